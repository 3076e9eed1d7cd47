"""The ``dlquiz`` command as an author and an operator use it: check, sync, and the served result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import verifier
from service.auth import service as auth_service
from service.auth.schemas import UserCreate
from service.config import Settings
from service.db import migrate
from service.db.session import make_engine, make_sessionmaker, transaction
from service.db.types import utcnow
from service.quiz import reports
from service.quiz import service as quiz_service
from service.quiz.schemas import ReportCreate
from tests import loopback
from tests.anki_client import export_package, import_package, new_collection, study_deck
from tests.factories import CardSpec, DeckSpec, write_decks
from tests.server import running_server
from tests.service.study.conftest import study_decks

DLQUIZ = str(Path(sys.executable).parent / "dlquiz")


def dlquiz(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DLQUIZ, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_check_passes_on_the_real_content(content_dir: Path) -> None:
    result = dlquiz("content", "check", env={"DLQUIZ_CONTENT_DIR": str(content_dir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 7 decks, ")


def test_check_names_a_generator_without_a_card_and_an_unknown_generator(
    content_dir: Path, tmp_path: Path
) -> None:
    edited = tmp_path / "content"
    shutil.copytree(content_dir, edited)
    deck = next(edited.glob("07-*.md"))
    text = deck.read_text()
    assert text.count('generator="conv.output_shape"') == 1
    text = text.replace(' generator="conv.output_shape"', "")
    text = text.replace('generator="conv.receptive_field"', 'generator="conv.no_such"')
    deck.write_text(text)
    result = dlquiz("content", "check", env={"DLQUIZ_CONTENT_DIR": str(edited)})
    assert result.returncode == 1
    assert "generator 'conv.output_shape' has no card" in result.stderr
    assert "generator 'conv.receptive_field' has no card" in result.stderr
    assert "unknown generator 'conv.no_such'" in result.stderr


def test_check_lists_every_error_of_a_broken_deck_with_file_and_line(
    content_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(content_dir, broken)
    deck = next(broken.glob("04-*.md"))
    lines = deck.read_text().splitlines()
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    first, second, third = headings[0], headings[1], headings[2]
    first_id = lines[first - 1].split()[0].removeprefix("{#")
    lines[second - 1] = lines[second - 1].replace(lines[second - 1].split()[0], "{#" + first_id)
    lines[third - 1] = lines[third - 1].replace('tags="', 'tags="two words, ')
    lines.append("")
    lines.append('{#bn-bad-math tags="x" source="DLB 8.7.1"}')
    lines.append("## Unterminated $x^2")
    lines.append("")
    lines.append("An answer.")
    deck.write_text("\n".join(lines) + "\n")

    result = dlquiz("content", "check", env={"DLQUIZ_CONTENT_DIR": str(broken)})
    assert result.returncode == 1
    errors = result.stderr
    # headings[] are 0-based indexes: a heading's line is index + 1, its attribute line is index
    assert f"{deck}:{second + 1}: duplicate card id '{first_id}'" in errors
    assert f"{deck}:{third}: tag 'two words'" in errors
    assert f"{deck}:{len(lines) - 2}: unterminated math" in errors
    assert "error(s)" in errors


def test_check_prints_warnings_with_file_and_line_but_still_passes(tmp_path: Path) -> None:
    decks = [
        DeckSpec(
            "alpha",
            cards=[
                CardSpec("a-one", front="What is the dead ReLU problem?", source="the internet"),
                CardSpec("a-two", front="What is a dead ReLU problem?", back=" ".join(["word"] * 120)),
            ],
        ),
        # Every generator needs a card (an error otherwise): one each, with questions far apart.
        DeckSpec(
            "beta",
            cards=[
                CardSpec(f"g-{index}", front=f"{generator.id}?", generator=generator.id)
                for index, generator in enumerate(verifier.generators())
            ],
        ),
    ]
    cards = 2 + len(verifier.generators())
    directory = write_decks(tmp_path / "content", decks)
    deck = next(directory.glob("01-*.md"))
    result = dlquiz("content", "check", env={"DLQUIZ_CONTENT_DIR": str(directory)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: 2 decks, {cards} cards, every generator has a card, 3 warning(s)")
    # deck_markdown: front matter is lines 1-6, the first heading is line 8, the second line 13
    assert f"{deck}:8: warning: 'a-one': source 'the internet'" in result.stderr
    assert f"{deck}:13: warning: 'a-two': the spoken answer has 120 words" in result.stderr
    assert (
        f"{deck}:13: warning: 'a-two': question is a near-duplicate of 'a-one' at {deck}:8" in result.stderr
    )


def test_sync_edit_and_removal_show_through_the_api(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    decks = [DeckSpec("alpha", cards=[CardSpec("a-one"), CardSpec("a-two")])]
    directory = write_decks(tmp_path / "content", decks)
    env = {"DLQUIZ_DATABASE_URL": fresh_database("sqlite"), "DLQUIZ_CONTENT_DIR": str(directory)}
    first = dlquiz("content", "sync", env=env)
    assert first.returncode == 0, first.stderr
    assert "2 new" in first.stdout
    again = dlquiz("content", "sync", env=env)
    assert "0 new, 0 updated, 0 archived, 2 unchanged" in again.stdout

    with running_server(env) as base:
        before = loopback.get(f"{base}/api/v1/cards/a-one").json()
        decks[0].cards[0].back = "Edited while the server runs. Two sentences."
        decks[0].cards.pop()
        write_decks(directory, decks)
        synced = dlquiz("content", "sync", env=env)
        assert "1 updated, 1 archived" in synced.stdout
        after = loopback.get(f"{base}/api/v1/cards/a-one").json()
        assert (
            after["back"]["markdown"].startswith("Edited") and after["content_hash"] != before["content_hash"]
        )
        assert loopback.get(f"{base}/api/v1/cards/a-two").status_code == 404
        assert loopback.get(f"{base}/api/v1/decks").json()["items"][0]["card_count"] == 1


def test_serve_refuses_to_start_on_broken_content_with_an_empty_database(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    decks = [DeckSpec("alpha", cards=[CardSpec("a-one", back="")])]
    env = {
        "DLQUIZ_DATABASE_URL": fresh_database("sqlite"),
        "DLQUIZ_CONTENT_DIR": str(write_decks(tmp_path / "content", decks)),
        "DLQUIZ_PORT": "1",
    }
    result = dlquiz("serve", env=env)
    assert result.returncode == 1
    assert "refusing to start" in result.stderr and "01-alpha.md:" in result.stderr


def test_generators_prints_the_registry() -> None:
    result = subprocess.run(
        [DLQUIZ, "generators"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"}
    )
    assert result.returncode == 0
    import verifier

    for generator in verifier.generators():
        assert generator.id in result.stdout


def test_export_for_anki_and_import_the_reviews_back(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    """`dlquiz export anki`, studied in the official Anki client, then `dlquiz import anki --user`."""
    url = fresh_database("sqlite")
    directory = write_decks(tmp_path / "content", study_decks())
    env = {"DLQUIZ_DATABASE_URL": url, "DLQUIZ_CONTENT_DIR": str(directory)}
    assert dlquiz("content", "sync", env=env).returncode == 0
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            settings = Settings(password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None)
            auth_service.register(
                session, UserCreate(username="ada", password="password-1"), settings=settings, now=utcnow()
            )
    finally:
        engine.dispose()

    package = tmp_path / "beta.apkg"
    exported = dlquiz("export", "anki", "--deck", "beta", "-o", str(package), env=env)
    assert exported.returncode == 0, exported.stderr
    cards = tmp_path / "cards.json"
    assert dlquiz("export", "cards", "--format", "json", "-o", str(cards), env=env).returncode == 0
    assert [card["id"] for card in json.loads(cards.read_text())][-3:] == ["b-one", "b-two", "b-three"]

    collection = new_collection(tmp_path / "anki")
    try:
        import_package(collection, package)
        answered = study_deck(collection, "dlquiz::beta", [3, 1, 3])
        export_package(collection, tmp_path / "studied.apkg")
    finally:
        collection.close()
    imported = dlquiz("import", "anki", str(tmp_path / "studied.apkg"), "--user", "ada", env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"imported {answered} reviews on ")
    unknown = dlquiz("import", "anki", str(tmp_path / "studied.apkg"), "--user", "bob", env=env)
    assert unknown.returncode == 1 and "no user named 'bob'" in unknown.stderr


def test_reports_lists_problem_reports_newest_first(
    backend: str, fresh_database: Callable[[str], str]
) -> None:
    """What the author reads: each report with generator, seed and text; --generator filters; --json
    carries the inputs and the last submission."""
    url = fresh_database(backend)
    engine = make_engine(url)
    migrate.upgrade(engine)
    settings = Settings(password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with make_sessionmaker(engine)() as session:
        user = auth_service.register(
            session, UserCreate(username="reporter", password="password-1"), settings=settings, now=now
        ).id
        for minutes, (generator_id, text) in enumerate(
            [("init.fans", "first: fans look swapped"), ("bagging.bootstrap", "second: rounding")]
        ):
            instance = quiz_service.new_instance(
                session, generator_id, seed=9, now=now, user_id=user, calculator=True
            )
            reports.report_question(
                session,
                instance.id,
                ReportCreate(text=text),
                user_id=user,
                now=now + timedelta(minutes=minutes),
            )
        session.commit()
    engine.dispose()
    env = {"DLQUIZ_DATABASE_URL": url, "COLUMNS": "250"}

    listed = dlquiz("reports", env=env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.index("second: rounding") < listed.stdout.index("first: fans look swapped")
    assert "reporter" in listed.stdout and "init.fans" in listed.stdout

    only = dlquiz("reports", "--generator", "init.fans", "--json", env=env)
    assert only.returncode == 0, only.stderr
    rows = [json.loads(line) for line in only.stdout.splitlines()]
    assert [row["text"] for row in rows] == ["first: fans look swapped"]
    assert rows[0]["seed"] == 9 and rows[0]["inputs"] and rows[0]["submission"] is None

    none = dlquiz("reports", "--generator", "no.such", env=env)
    assert none.returncode == 0 and "no reports for no.such" in none.stdout
