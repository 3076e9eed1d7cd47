"""Anki interop: export time for all decks, import time for 10,000 Anki review rows.

Builds a database with the real ``content/`` (SQLite, and PostgreSQL unless ``--backend sqlite``), then:

- export: ``GET /export/anki``'s service call for every deck, median of ``--repeat`` runs;
- import: a package made by the official Anki client (our export imported, ``--rows`` revlog rows spread
  over every card and a few months, exported with scheduling in Anki's current zstd format), imported
  for a fresh user in one transaction (read, deduplicate, insert, replay every touched card), then the
  same file again (every row a duplicate).

    .venv/bin/python bench/interop.py [--rows 10000] [--repeat 5] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.auth import service as auth_service  # noqa: E402
from service.auth.schemas import UserCreate  # noqa: E402
from service.config import Settings  # noqa: E402
from service.content.service import load_content  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.session import make_engine, make_sessionmaker, transaction  # noqa: E402
from service.interop import anki_export, anki_import  # noqa: E402
from tests import postgres  # noqa: E402
from tests.anki_client import export_package, import_package, new_collection  # noqa: E402

NOW = datetime.now(UTC)
# Anki's share of buttons in a typical collection: mostly Good, some Again.
EASE_WEIGHTS = {1: 0.12, 2: 0.08, 3: 0.72, 4: 0.08}


def _anki_package(export: bytes, folder: Path, *, rows: int) -> Path:
    """Our export studied "for months" in Anki: ``rows`` revlog rows, ids strictly increasing in time."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "dlquiz.apkg"
    source.write_bytes(export)
    collection = new_collection(folder / "anki")
    try:
        import_package(collection, source)
        card_ids = collection.find_cards("")
        rng = random.Random(7)
        start = NOW - timedelta(days=180)
        step_ms = int(timedelta(days=179).total_seconds() * 1000) // rows
        base_ms = int(start.timestamp() * 1000)
        eases, weights = list(EASE_WEIGHTS), list(EASE_WEIGHTS.values())
        collection.db.executemany(
            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
            "VALUES (?, ?, -1, ?, 1, 0, 2500, ?, 1)",
            [
                (
                    base_ms + i * step_ms,
                    card_ids[i % len(card_ids)],
                    rng.choices(eases, weights)[0],
                    rng.randint(3000, 30000),
                )
                for i in range(rows)
            ],
        )
        path = folder / "studied.apkg"
        export_package(collection, path)
    finally:
        collection.close()
    return path


def _bench(url: str, *, rows: int, repeat: int, folder: Path) -> None:
    settings = Settings(
        database_url=url, password_hash_time_cost=1, password_hash_memory_kib=1024, _env_file=None
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        load_content(session, settings.content_dir, now=NOW)
        user_id = auth_service.register(
            session, UserCreate(username="bench", password="bench-password"), settings=settings, now=NOW
        ).id

    timings: list[float] = []
    cpu_timings: list[float] = []
    package = b""
    for _ in range(repeat):
        with transaction(sessions) as session:
            started, cpu = time.perf_counter(), time.process_time()
            package = anki_export.export_anki(session, deck=None)
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu)
    backend = engine.dialect.name
    print(
        f"{backend:10} export all decks: {statistics.median(timings) * 1000:.0f} ms median of {repeat} ({statistics.median(cpu_timings) * 1000:.0f} ms CPU; {len(package) / 1024:.0f} KB)"
    )

    studied = _anki_package(package, folder / backend, rows=rows).read_bytes()
    for label in ("import", "re-import"):
        with transaction(sessions) as session:
            started, cpu = time.perf_counter(), time.process_time()
            report = anki_import.import_anki_reviews(
                session, user_id=user_id, data=studied, max_bytes=settings.anki_import_max_mb << 20, now=NOW
            )
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu  # commit included
        print(
            f"{backend:10} {label} {rows:,} Anki review rows ({len(studied) / 1024:.0f} KB package): "
            f"{elapsed:.2f} s ({cpu:.2f} s CPU here), {report.imported:,} imported, {report.duplicate:,} duplicate, {report.cards} cards replayed"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            _bench(f"sqlite:///{folder / 'bench.db'}", rows=args.rows, repeat=args.repeat, folder=folder)
        if args.backend in ("postgresql", "both"):
            url = postgres.create_database()
            try:
                _bench(url, rows=args.rows, repeat=args.repeat, folder=folder)
            finally:
                postgres.drop_database(url)


if __name__ == "__main__":
    main()
