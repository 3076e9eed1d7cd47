"""Backups: a populated database copied SQLite -> PostgreSQL -> SQLite keeps every row and the replay
invariant; a snapshot taken while writes commit is one consistent state; restores are all or nothing."""

from __future__ import annotations

import gzip
import json
import stat
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

import verifier
from service.auth import security
from service.auth import service as auth_service
from service.auth.schemas import UserCreate
from service.config import Settings
from service.db import migrate
from service.db.backup import service as backup
from service.db.backup.records import Header, Record, TableStart
from service.db.database import Database
from service.db.models import Card, CardState, ReviewLog
from service.db.session import make_engine, make_sessionmaker, transaction
from service.errors import BackupError
from service.quiz import service as quiz_service
from service.study import reviews
from service.study import settings as study_settings
from service.study.schemas import ReviewCreate, SettingsUpdate
from tests.service.study.conftest import NUMERIC_GENERATOR, T0, study_decks, sync
from tests.service.study.test_reviews import assert_matches_replay
from tests.service.test_cli import dlquiz

Rows = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None
    )


@pytest.fixture
def open_engine() -> Iterator[Callable[[str], Engine]]:
    """Engines for URLs, each migrated to head; all disposed after the test."""
    engines: list[Engine] = []

    def open_(url: str) -> Engine:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engines.append(engine)
        return engine

    yield open_
    for engine in engines:
        engine.dispose()


def all_rows(engine: Engine) -> Rows:
    """Every table's rows, sorted in Python (string keys sort by collation, which differs by backend)."""
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.execute(select(table))),
                key=lambda row: repr(row),
            )
            for table in backup.tables()
        }


def review(session: Session, settings: Settings, user: int, card: str, rating: int, **kw: Any) -> None:
    reviews.submit_review(
        session,
        user_id=user,
        body=ReviewCreate(card_id=card, rating=rating),
        idempotency_key=kw.get("key"),
        settings=settings,
        now=T0 + kw.get("at", timedelta(0)),
    )


def populate(engine: Engine, settings: Settings, content_dir: Path) -> list[int]:
    """Content, two users with tokens and a settings change, self-rated reviews with idempotency keys
    and an undo, and numeric answers (one that is also a card's review); every write commits."""
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        sync(session, content_dir, study_decks())
    users = []
    hasher = security.PasswordHasher(time_cost=1, memory_kib=1024, concurrency=1, wait_seconds=5)
    for name in ("ada", "grace"):
        with transaction(factory) as session:
            body = UserCreate(username=name, password="password-1")
            users.append(auth_service.register(session, body, settings=settings, now=T0).id)
        anyio.run(
            partial(
                auth_service.issue_token,
                Database(factory),
                hasher,
                username=name,
                password="password-1",
                address="192.0.2.1",
                settings=settings,
                now=T0,
            )
        )
    ada, grace = users
    with transaction(factory) as session:
        update = SettingsUpdate(desired_retention=0.85, timezone="Europe/Berlin")
        study_settings.update_settings(session, user_id=ada, update=update, now=T0)
    steps = [("a-one", 3, "k1"), ("a-two", 1, "k2"), ("b-one", 4, None), ("a-one", 3, "k3")]
    for minute, (card, rating, key) in enumerate(steps):
        for user in users:
            with transaction(factory) as session:
                review(session, settings, user, card, rating, key=key, at=timedelta(minutes=minute))
    with transaction(factory) as session:
        reviews.undo_last_review(
            session, user_id=grace, idempotency_key="undo-1", settings=settings, now=T0 + timedelta(minutes=9)
        )
    generator = verifier.get(NUMERIC_GENERATOR)
    with transaction(factory) as session:
        numeric = session.scalars(select(Card).where(Card.id == "a-num")).one()
        instance = quiz_service.new_instance(
            session, NUMERIC_GENERATOR, seed=11, now=T0, user_id=ada, card_key=numeric.key, calculator=True
        )
        right = verifier.to_jsonable(generator.solve(instance.inputs))
        assert isinstance(right, dict)
        wrong = {
            name: -1.0 if not isinstance(value, list) else [-1.0] * len(value)
            for name, value in right.items()
        }
        answers: list[dict[str, Any]] = [wrong, right]
        for number, answer in enumerate(answers):
            quiz_service.answer_question(
                session,
                instance.id,
                answer,
                user_id=ada,
                idempotency_key=f"answer-{number}",
                settings=settings,
                now=T0 + timedelta(minutes=10 + number),
            )
    with transaction(factory) as session:
        quiz_service.create_question(session, NUMERIC_GENERATOR, user_id=grace, seed=5, now=T0)
    return users


def assert_replay_holds(engine: Engine) -> None:
    with Session(engine) as session:
        states = session.scalars(select(CardState)).all()
        assert states
        for state in states:
            card = session.get(Card, state.card_key)
            assert card is not None
            assert_matches_replay(session, state.user_id, card)


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back_keeps_every_row_and_the_replay_invariant(
    fresh_database: Callable[[str], str],
    open_engine: Callable[[str], Engine],
    settings: Settings,
    tmp_path: Path,
) -> None:
    original = open_engine(fresh_database("sqlite"))
    populate(original, settings, tmp_path / "content")
    rows = all_rows(original)
    assert all(
        rows[name] for name in ("users", "access_tokens", "review_logs", "attempts", "idempotency_keys")
    )
    undone = [column.name for column in ReviewLog.__table__.columns].index("undone")
    assert any(row[undone] for row in rows["review_logs"])  # the undone flag is among the copied values

    page_copy = tmp_path / "pages.db"
    backup.sqlite_file_backup(original, page_copy)
    assert all_rows(open_engine(f"sqlite:///{page_copy}")) == rows
    assert stat.S_IMODE(page_copy.stat().st_mode) == 0o600

    postgres = open_engine(fresh_database("postgresql"))
    backup.copy(original, postgres)
    assert all_rows(postgres) == rows
    assert_replay_holds(postgres)

    file = tmp_path / "from-postgres.jsonl.gz"
    written = backup.backup(postgres, file)
    assert written.counts == {name: len(table_rows) for name, table_rows in rows.items()}
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # it holds password hashes
    in_database = set(inspect(original).get_table_names()) - {"alembic_version"}
    assert set(rows) == in_database  # the metadata's tables are every table the migrations made
    back = open_engine(fresh_database("sqlite"))
    backup.restore(back, file)
    assert all_rows(back) == rows
    assert_replay_holds(back)

    # The sequences moved past the restored ids: a new user and review on PostgreSQL just work.
    with transaction(make_sessionmaker(postgres)) as session:
        body = UserCreate(username="linus", password="password-1")
        newcomer = auth_service.register(session, body, settings=settings, now=T0).id
        review(session, settings, newcomer, "a-one", 3)
    assert newcomer == max(row[0] for row in rows["users"]) + 1


def test_a_snapshot_taken_while_writes_commit_is_the_state_it_started_from(
    backend: str,
    fresh_database: Callable[[str], str],
    open_engine: Callable[[str], Engine],
    settings: Settings,
    tmp_path: Path,
) -> None:
    """Before each table is read, a review commits on another connection; the backup has none of them."""
    live = open_engine(fresh_database(backend))
    users = populate(live, settings, tmp_path / "content")
    before = all_rows(live)
    factory = make_sessionmaker(live)
    stream = backup.snapshot(live)
    records: list[Record] = [next(stream)]  # the header: the snapshot is taken
    assert isinstance(records[0], Header)
    writes = 0
    for record in stream:
        records.append(record)
        if isinstance(record, TableStart):
            with transaction(factory) as session:
                at = timedelta(hours=1, minutes=writes)
                review(session, settings, users[writes % 2], "b-two", 1 + writes % 4, at=at, key=f"w{writes}")
            writes += 1
    assert writes == len(backup.tables())
    assert len(all_rows(live)["review_logs"]) == len(before["review_logs"]) + writes

    copy = open_engine(fresh_database(backend))
    backup.load(copy, iter(records))
    assert all_rows(copy) == before
    assert_replay_holds(copy)


def test_restore_refuses_a_database_with_rows_and_keeps_it_unchanged(
    backend: str,
    fresh_database: Callable[[str], str],
    open_engine: Callable[[str], Engine],
    settings: Settings,
    tmp_path: Path,
) -> None:
    source = open_engine(fresh_database("sqlite"))
    populate(source, settings, tmp_path / "content")
    file = tmp_path / "backup.jsonl.gz"
    backup.backup(source, file)
    target = open_engine(fresh_database(backend))
    with transaction(make_sessionmaker(target)) as session:
        sync(session, tmp_path / "other-content", study_decks()[:1])
    before = all_rows(target)
    with pytest.raises(
        BackupError, match=r"restore needs an empty database; this one has rows in .*decks \(1 rows\)"
    ):
        backup.restore(target, file)
    assert all_rows(target) == before


def test_a_truncated_or_foreign_file_or_another_revision_restores_nothing(
    backend: str,
    fresh_database: Callable[[str], str],
    open_engine: Callable[[str], Engine],
    settings: Settings,
    tmp_path: Path,
) -> None:
    source = open_engine(fresh_database("sqlite"))
    populate(source, settings, tmp_path / "content")
    file = tmp_path / "backup.jsonl.gz"
    backup.backup(source, file)
    lines = gzip.decompress(file.read_bytes()).decode().splitlines(keepends=True)
    target = open_engine(fresh_database(backend))
    empty = all_rows(target)

    truncated = tmp_path / "truncated.jsonl.gz"
    truncated.write_bytes(gzip.compress("".join(lines[:-1]).encode()))
    with pytest.raises(BackupError, match="ends early"):
        backup.restore(target, truncated)
    other_revision = tmp_path / "old.jsonl.gz"
    other_revision.write_bytes(
        gzip.compress("".join([lines[0].replace('"revision":"', '"revision":"x')] + lines[1:]).encode())
    )
    with pytest.raises(BackupError, match="restore it with the dlquiz version that made it"):
        backup.restore(target, other_revision)
    start = next(i for i, line in enumerate(lines) if line.startswith('{"table":"review_logs"'))
    row = json.loads(lines[start + 1])
    row[1] = 999_999  # a user that does not exist
    orphan = tmp_path / "orphan.jsonl.gz"
    orphan.write_bytes(
        gzip.compress("".join([*lines[: start + 1], json.dumps(row) + "\n", *lines[start + 2 :]]).encode())
    )
    with pytest.raises(BackupError, match="rows of 'review_logs' could not be restored"):
        backup.restore(target, orphan)
    foreign = tmp_path / "foreign.jsonl.gz"
    foreign.write_bytes(b"not gzip")
    with pytest.raises(BackupError, match="is not a readable dlquiz backup"):
        backup.restore(target, foreign)
    assert all_rows(target) == empty

    backup.restore(target, file)  # the intact file still restores into the same database
    assert all_rows(target) == all_rows(source)


@pytest.mark.postgres
def test_the_cli_backs_up_restores_copies_and_refuses_a_full_database(
    fresh_database: Callable[[str], str],
    open_engine: Callable[[str], Engine],
    settings: Settings,
    tmp_path: Path,
) -> None:
    sqlite_url = fresh_database("sqlite")
    source = open_engine(sqlite_url)
    populate(source, settings, tmp_path / "content")
    rows = all_rows(source)
    file = tmp_path / "backup.jsonl.gz"
    made = dlquiz("db", "backup", str(file), env={"DLQUIZ_DATABASE_URL": sqlite_url})
    assert made.returncode == 0, made.stderr
    assert f"backed up {sum(map(len, rows.values()))} rows of {len(rows)} tables" in made.stdout

    postgres_url = fresh_database("postgresql")
    restored = dlquiz("db", "restore", str(file), env={"DLQUIZ_DATABASE_URL": postgres_url})
    assert restored.returncode == 0, restored.stderr
    assert all_rows(open_engine(postgres_url)) == rows
    again = dlquiz("db", "restore", str(file), env={"DLQUIZ_DATABASE_URL": postgres_url})
    assert again.returncode == 1 and "restore needs an empty database" in again.stderr

    copy_url = fresh_database("sqlite")
    copied = dlquiz("db", "copy", "--from", postgres_url, "--to", copy_url, env={})
    assert copied.returncode == 0, copied.stderr
    assert all_rows(open_engine(copy_url)) == rows
