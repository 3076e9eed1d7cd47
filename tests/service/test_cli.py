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

import httpx

from service.auth import service as auth_service
from service.auth.schemas import UserCreate
from service.config import Settings
from service.db import migrate
from service.db.session import make_engine, make_sessionmaker
from service.quiz import reports
from service.quiz import service as quiz_service
from service.quiz.schemas import ReportCreate
from tests.factories import CardSpec, DeckSpec, write_decks
from tests.server import running_server

DLQUIZ = str(Path(sys.executable).parent / "dlquiz")


def dlquiz(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DLQUIZ, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_check_passes_on_the_real_content(content_dir: Path) -> None:
    result = dlquiz("content", "check", env={"DLQUIZ_CONTENT_DIR": str(content_dir)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 7 decks, ")


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
        before = httpx.get(f"{base}/api/v1/cards/a-one").json()
        decks[0].cards[0].back = "Edited while the server runs. Two sentences."
        decks[0].cards.pop()
        write_decks(directory, decks)
        synced = dlquiz("content", "sync", env=env)
        assert "1 updated, 1 archived" in synced.stdout
        after = httpx.get(f"{base}/api/v1/cards/a-one").json()
        assert (
            after["back"]["markdown"].startswith("Edited") and after["content_hash"] != before["content_hash"]
        )
        assert httpx.get(f"{base}/api/v1/cards/a-two").status_code == 404
        assert httpx.get(f"{base}/api/v1/decks").json()["items"][0]["card_count"] == 1


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
            instance = quiz_service.new_instance(session, generator_id, seed=9, now=now, user_id=user)
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
