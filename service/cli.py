"""The ``dlquiz`` command line: thin typer commands over the service functions.

Every command reads the same settings (``DLQUIZ_*`` environment variables or ``.env``), so
``dlquiz content check`` checks exactly what ``dlquiz serve`` would load.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

import verifier
from service import readme
from service.config import PROJECT_ROOT, get_settings
from service.content.loader import SyncReport
from service.content.service import check_content, load_content
from service.db import migrate
from service.db.session import make_engine, make_sessionmaker, sync_lock_session
from service.db.types import utcnow
from service.errors import ContentError
from service.quiz.reports import list_reports

app = typer.Typer(
    help="dlquiz: deep-learning interview flashcards and computed quizzes.", no_args_is_help=True
)
content_app = typer.Typer(help="Check and load the markdown decks.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(content_app, name="content")
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)


def _upgrade_database() -> None:
    engine = make_engine(get_settings().resolved_database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def _sync() -> SyncReport | None:
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        with sync_lock_session(make_sessionmaker(engine)) as session:
            return load_content(session, settings.content_dir, now=utcnow())
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    _upgrade_database()
    out.print(f"database at head: {get_settings().resolved_database_url}")


@content_app.command("check")
def content_check() -> None:
    """Parse every deck; print each error as file:line: message, or a one-line summary."""
    try:
        parsed = check_content(get_settings().content_dir)
    except ContentError as exc:
        err.print(exc.message, markup=False)
        raise typer.Exit(1) from None
    if parsed.issues:
        for issue in parsed.issues:
            err.print(str(issue), markup=False, highlight=False, soft_wrap=True)
        err.print(f"{len(parsed.issues)} error(s)")
        raise typer.Exit(1)
    out.print(f"ok: {len(parsed.decks)} decks, {len(parsed.cards)} cards")


def _print_sync(report: SyncReport | None) -> None:
    if report is None:
        err.print("content has errors: kept the last good content (run `dlquiz content check`)")
        return
    out.print(
        f"synced {report.decks} decks, {report.cards} cards: {report.created} new, "
        f"{report.updated} updated, {report.archived} archived, {report.unchanged} unchanged"
    )


@content_app.command("sync")
def content_sync() -> None:
    """Migrate the database, then load the decks into it (idempotent)."""
    _upgrade_database()
    try:
        report = _sync()
    except ContentError as exc:
        for issue in exc.issues:
            err.print(issue, markup=False, highlight=False, soft_wrap=True)
        err.print(exc.message)
        raise typer.Exit(1) from None
    _print_sync(report)
    if report is None:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (DLQUIZ_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (DLQUIZ_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes (DLQUIZ_WORKERS).")] = None,
) -> None:
    """Migrate, sync content and serve the API and web app with uvicorn."""
    settings = get_settings()
    _upgrade_database()
    try:
        _print_sync(_sync())
    except ContentError as exc:
        for issue in exc.issues:
            err.print(issue, markup=False, highlight=False, soft_wrap=True)
        err.print(f"refusing to start: {exc.message} and the database has no content yet")
        raise typer.Exit(1) from None
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
    )


@app.command("generators")
def list_generators() -> None:
    """Print the verifier's catalog of numeric question generators."""
    table = Table("id", "topic", "title", "answer fields", "misconceptions")
    for generator in verifier.generators():
        fields = ", ".join(
            f"{name} {spec.shape if spec.shape else ''}{' int' if spec.dtype == 'int' else ''}".strip()
            for name, spec in generator.answer_fields.items()
        )
        table.add_row(
            generator.id,
            generator.topic,
            generator.title,
            fields,
            ", ".join(m.id for m in generator.misconceptions),
        )
    out.print(table)


@app.command("reports")
def show_reports(
    generator: Annotated[str | None, typer.Option(help="Only this generator's reports.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many, newest first.")] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line, with inputs and submission.")
    ] = False,
) -> None:
    """List the problems candidates reported on numeric questions, newest first.

    Each comes with the generator and seed (regenerate it with `verifier.get(id).generate(seed)`) and
    the candidate's last submission.
    """
    engine = make_engine(get_settings().resolved_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            page = list_reports(session, generator_id=generator, limit=limit)
    finally:
        engine.dispose()
    if as_json:
        for item in page.items:
            out.print(json.dumps(item.model_dump(mode="json")), markup=False, highlight=False, soft_wrap=True)
        return
    if not page.items:
        out.print("no reports" + (f" for {generator}" if generator else ""))
        return
    table = Table(
        "when (UTC)", "user", "generator", "seed", "question", "attempt", "report", "last submission"
    )
    for item in page.items:
        table.add_row(
            item.created_at.strftime("%Y-%m-%d %H:%M"),
            item.username,
            item.generator_id,
            str(item.seed),
            item.question_id,
            "-" if item.attempt_number is None else str(item.attempt_number),
            item.text,
            "-" if item.submission is None else json.dumps(item.submission),
        )
    out.print(table)


@app.command("readme")
def update_readme(
    check: Annotated[bool, typer.Option("--check", help="Only report whether README.md is current.")] = False,
) -> None:
    """Regenerate README.md's generator catalog and settings table from the code."""
    path = PROJECT_ROOT / "README.md"
    if check:
        current = path.read_text() == readme.render(path.read_text())
        out.print("README.md is current" if current else "README.md is out of date: run `dlquiz readme`")
        raise typer.Exit(0 if current else 1)
    out.print("README.md updated" if readme.update(path) else "README.md already current")
