"""Study API latency for a heavy user against a light one, on SQLite and PostgreSQL, in one run.

Builds a database with 100,100 cards in 10 decks, one user with 100,000 card states and 1,000,000 review
log rows over three years, and one user with 100 card states and 1,000 log rows (bulk-inserted: sqlite3
``executemany``, PostgreSQL ``COPY``). Then runs the real service under uvicorn on loopback and measures,
for each user, ``GET /study/next``, ``POST /reviews`` (of the card the queue offers) and ``GET /stats``:
median and p99, and the heavy/light ratio of each; then ``GET /readiness`` with an interview date in 30
days. Targets: queue and review within 1.5x, stats and readiness within 10x.

    .venv/bin/python bench/study.py [--quick] [--backend sqlite|postgresql|both] [--samples 200]

``--quick`` builds 10,000 states and 100,000 log rows instead. PostgreSQL comes from
``DLQUIZ_BENCH_POSTGRES_URL`` (default: the local server the tests use); a database is created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.auth import service as auth_service  # noqa: E402
from service.auth.schemas import UserCreate  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.models import UserSettings  # noqa: E402
from service.db.session import make_engine, make_sessionmaker, transaction  # noqa: E402
from service.study import progress  # noqa: E402
from tests import loopback  # noqa: E402
from tests.server import running_server  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "DLQUIZ_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "bench-password"
DECKS = 10
HISTORY_DAYS = 3 * 365
LOGS_PER_CARD = 10
NOW = datetime.now(UTC).replace(microsecond=0)
CHEAP_HASHING = {"DLQUIZ_PASSWORD_HASH_TIME_COST": "1", "DLQUIZ_PASSWORD_HASH_MEMORY_KIB": "1024"}


@dataclass(frozen=True)
class Size:
    heavy_states: int
    light_states: int

    @property
    def cards(self) -> int:
        return self.heavy_states + 100  # a few cards the heavy user has not seen yet


# --- data ------------------------------------------------------------------------------------------


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's storage format for DateTime on SQLite (what UTCDateTime writes).
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Rows:
    """Column names and row tuples for one table, with datetimes as datetime objects."""

    columns: Sequence[str]
    rows: list[tuple[Any, ...]]


def _cards(size: Size) -> tuple[Rows, Rows]:
    decks = Rows(
        ["id", "title", "description", "position", "archived", "created_at", "updated_at"],
        [(f"deck-{d}", f"Deck {d}", "", d, False, NOW, NOW) for d in range(DECKS)],
    )
    per_deck = -(-size.cards // DECKS)
    cards = []
    for key in range(1, size.cards + 1):
        deck, position = divmod(key - 1, per_deck)
        text_ = f"Question {key}?"
        cards.append(
            (key, f"card-{key}", f"deck-{deck}", position, text_, "Answer.", "", f"<p>{text_}</p>", "<p>Answer.</p>",
             "", "[]", "bench", None, f"{key:064x}", False, NOW, NOW)
        )  # fmt: skip
    return decks, Rows(
        ["key", "id", "deck_id", "position", "front_md", "back_md", "detail_md", "front_html", "back_html",
         "detail_html", "tags", "source", "generator", "content_hash", "archived", "created_at", "updated_at"],
        cards,
    )  # fmt: skip


def _history(rng: random.Random, user_id: int, config_id: int, card_keys: Sequence[int]) -> tuple[Rows, Rows]:
    """States and logs for ``card_keys``: 2% overdue, 0.5% learning, the rest inside their interval
    (1-400 days); ten reviews per card over three years, the last one at the state's last review."""
    states, logs = [], []
    for key in card_keys:
        roll = rng.random()
        if roll < 0.005:  # learning: reviewed minutes ago, due within the learn-ahead window
            state, step, interval = 1, 1, 0
            last_review = NOW - timedelta(minutes=rng.uniform(1, 10))
            due = NOW + timedelta(minutes=rng.uniform(1, 20))
        elif roll < 0.025:  # overdue by up to three days
            state, step, interval = 2, None, rng.randint(1, 400)
            due = NOW - timedelta(days=rng.uniform(0, 3))
            last_review = due - timedelta(days=interval)
        else:  # somewhere inside its interval
            state, step, interval = 2, None, rng.randint(1, 400)
            last_review = NOW - timedelta(days=rng.uniform(0, interval))
            due = last_review + timedelta(days=interval)
        stability, difficulty = rng.uniform(1, 300), rng.uniform(1, 10)
        states.append(
            (user_id, key, state, step, stability, difficulty, due, last_review, LOGS_PER_CARD, interval)
        )
        span = (last_review - (NOW - timedelta(days=HISTORY_DAYS))).total_seconds()
        earlier = sorted(
            last_review - timedelta(seconds=rng.uniform(1, span)) for _ in range(LOGS_PER_CARD - 1)
        )
        times = [*earlier, last_review]
        for number, reviewed_at in enumerate(times, start=1):
            rating = 1 if rng.random() < 0.1 else 3
            before = None if number == 1 else 2
            logs.append(
                (user_id, key, config_id, number, rating, "self", reviewed_at, 5000,
                 before, None, None if before is None else stability, None if before is None else difficulty,
                 None if before is None else reviewed_at, None if before is None else reviewed_at - timedelta(days=3),
                 None if before is None else 3,
                 2, None, stability, difficulty, reviewed_at + timedelta(days=3), reviewed_at, 3,
                 None, None, None, None, False, None)
            )  # fmt: skip
    return (
        Rows(
            ["user_id", "card_key", "state", "step", "stability", "difficulty", "due", "last_review", "reps",
             "interval_days"],
            states,
        ),
        Rows(
            ["user_id", "card_key", "scheduler_config_id", "number", "rating", "source", "reviewed_at",
             "duration_ms", "before_state", "before_step", "before_stability", "before_difficulty", "before_due",
             "before_last_review", "before_interval_days", "after_state", "after_step", "after_stability",
             "after_difficulty", "after_due", "after_last_review", "after_interval_days", "question_id", "score",
             "correct", "misconception", "undone", "undone_at"],
            logs,
        ),
    )  # fmt: skip


def _bulk_sqlite(path: str, table: str, rows: Rows) -> None:
    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return _sqlite_time(value)
        if isinstance(value, bool):
            return int(value)
        return value

    connection = sqlite3.connect(path)
    try:
        marks = ", ".join("?" for _ in rows.columns)
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(rows.columns)}) VALUES ({marks})",
            ([convert(v) for v in row] for row in rows.rows),
        )
        connection.commit()
    finally:
        connection.close()


def _bulk_postgres(url: str, table: str, rows: Rows) -> None:
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(rows.columns)}) FROM STDIN") as copy:
            for row in rows.rows:
                copy.write_row(row)
        connection.commit()


def build(url: str, size: Size, settings: Settings) -> dict[str, int]:
    """Migrate, load the cards and both users' histories; returns user ids by name."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    bulk: Callable[[str, str, Rows], None]
    target: str
    if url.startswith("sqlite"):
        bulk, target = _bulk_sqlite, url.split("///", 1)[1]
    else:
        bulk, target = _bulk_postgres, url
    decks, cards = _cards(size)
    bulk(target, "decks", decks)
    bulk(target, "cards", cards)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO content_state (id, version, synced_at) VALUES (1, :v, :t)"),
            {"v": uuid.uuid4().hex, "t": _sqlite_time(NOW) if url.startswith("sqlite") else NOW},
        )
        if not url.startswith("sqlite"):
            connection.execute(text("SELECT setval('cards_key_seq', (SELECT max(key) FROM cards))"))
    users = {}
    # transaction(), not sessions.begin(): registering calls begin_write, which commits the read part
    with transaction(sessions) as session:
        for name in ("heavy", "light"):
            user = auth_service.register(
                session, UserCreate(username=name, password=PASSWORD), settings=settings, now=NOW
            )
            users[name] = user.id
            session.get(UserSettings, user.id).new_cards_per_day = 1000  # type: ignore[union-attr]
    rng = random.Random(7)
    with sessions() as session:
        configs = {
            name: session.execute(
                text("SELECT scheduler_config_id FROM user_settings WHERE user_id = :u"), {"u": user_id}
            ).scalar_one()
            for name, user_id in users.items()
        }
    for name, count in (("heavy", size.heavy_states), ("light", size.light_states)):
        started = time.perf_counter()
        states, logs = _history(rng, users[name], configs[name], range(1, count + 1))
        bulk(target, "card_states", states)
        bulk(target, "review_logs", logs)
        print(
            f"  {name}: {len(states.rows):,} states, {len(logs.rows):,} log rows in {time.perf_counter() - started:.1f} s"
        )
    with sessions.begin() as session:
        for user_id in users.values():
            progress.ensure_current(session, session.get(UserSettings, user_id))  # type: ignore[arg-type]
    with engine.connect() as connection:
        if url.startswith("sqlite"):
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return users


# --- measuring -------------------------------------------------------------------------------------


@dataclass
class Timing:
    median_ms: float
    p99_ms: float


def _timing(samples: list[float]) -> Timing:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return Timing(statistics.median(ordered) * 1000, p99 * 1000)


def _timed(call: Callable[[], httpx.Response]) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return elapsed


def measure(base: str, samples: int) -> dict[str, dict[str, Timing]]:
    clients = {}
    for name in ("heavy", "light"):
        client = loopback.client(base_url=base, timeout=60)
        token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD}).json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        clients[name] = client
    results: dict[str, dict[str, list[float]]] = {
        name: {"next": [], "review": [], "stats": [], "readiness": []} for name in clients
    }
    for client in clients.values():  # warm up connections, caches and query plans
        for _ in range(5):
            client.get("/api/v1/study/next")
            client.get("/api/v1/stats")
    for _ in range(samples):  # interleaved, so drift in machine load hits both users alike
        for name, client in clients.items():
            results[name]["next"].append(_timed(lambda c=client: c.get("/api/v1/study/next")))
    for _ in range(max(samples // 2, 10)):
        for name, client in clients.items():
            card = client.get("/api/v1/study/next").json()["card"]
            body = {"card_id": card["id"], "rating": 3}
            results[name]["review"].append(_timed(lambda c=client, b=body: c.post("/api/v1/reviews", json=b)))
    for _ in range(max(samples // 4, 10)):
        for name, client in clients.items():
            results[name]["stats"].append(_timed(lambda c=client: c.get("/api/v1/stats")))
    interview = (NOW + timedelta(days=30)).date().isoformat()
    for client in clients.values():  # readiness with an interview date, as the plan computes it
        client.patch("/api/v1/me/settings", json={"interview_date": interview}).raise_for_status()
        for _ in range(3):
            client.get("/api/v1/readiness")
    for _ in range(max(samples // 4, 10)):
        for name, client in clients.items():
            results[name]["readiness"].append(_timed(lambda c=client: c.get("/api/v1/readiness")))
    for client in clients.values():
        client.close()
    return {name: {op: _timing(values) for op, values in ops.items()} for name, ops in results.items()}


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    name = f"dlquiz_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


TARGETS = {"next": 1.5, "review": 1.5, "stats": 10.0, "readiness": 10.0}
LABELS = {
    "next": "GET /study/next",
    "review": "POST /reviews",
    "stats": "GET /stats",
    "readiness": "GET /readiness",
}


def run(backend: str, size: Size, samples: int) -> dict[str, Any]:
    settings = Settings(password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None)  # type: ignore[call-arg]
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp)) as url:
        print(f"{backend}: building {size.cards:,} cards ...")
        started = time.perf_counter()
        build(url, size, settings)
        print(f"  built in {time.perf_counter() - started:.1f} s")
        env = {"DLQUIZ_DATABASE_URL": url, "DLQUIZ_SYNC_CONTENT_ON_START": "false", **CHEAP_HASHING}
        with running_server(env, workers=1, log_path=Path(tmp) / "uvicorn.log") as base:
            timings = measure(base, samples)
    print(f"\n{backend}: heavy = {size.heavy_states:,} states / {size.heavy_states * LOGS_PER_CARD:,} log rows, "
          f"light = {size.light_states} states")  # fmt: skip
    print(
        f"  {'':18} {'heavy p50':>10} {'p99':>8} {'light p50':>10} {'p99':>8} {'ratio p50':>10} {'p99':>6} target"
    )
    report: dict[str, Any] = {}
    for op in ("next", "review", "stats", "readiness"):
        heavy, light = timings["heavy"][op], timings["light"][op]
        ratio, ratio99 = heavy.median_ms / light.median_ms, heavy.p99_ms / light.p99_ms
        ok = "ok" if ratio <= TARGETS[op] else "MISSED"
        print(
            f"  {LABELS[op]:18} {heavy.median_ms:9.2f}ms {heavy.p99_ms:6.1f}ms {light.median_ms:9.2f}ms "
            f"{light.p99_ms:6.1f}ms {ratio:9.2f}x {ratio99:5.2f}x  <{TARGETS[op]}x {ok}"
        )
        report[op] = {"heavy": vars(heavy), "light": vars(light), "ratio_p50": ratio, "ratio_p99": ratio99}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 states and 100,000 log rows")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--samples", type=int, default=200, help="GET /study/next requests per user")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    size = Size(heavy_states=10_000 if args.quick else 100_000, light_states=100)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = {backend: run(backend, size, args.samples) for backend in backends}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
