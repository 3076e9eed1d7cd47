"""The ``dlquiz`` command line: thin typer commands over the service functions.

Every command reads the same settings (``DLQUIZ_*`` environment variables or ``.env``), so
``dlquiz content check`` checks exactly what ``dlquiz serve`` would load.

Commands import the service's heavier parts (the database layer, the verifier, uvicorn) when they
run, not when ``dlquiz`` starts: the terminal client's ``dlquiz study`` and ``dlquiz login`` and every
``--help`` start in about a third of a second instead of nearly two.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

import service.study.cli as study_cli
import service.tui.cli as tui_cli
from service.config import PROJECT_ROOT, get_settings
from service.errors import BackupError, ContentError
from service.interop.cli import export_app, import_app

if TYPE_CHECKING:
    from service.content.loader import SyncReport
    from service.db.backup.service import Summary

app = typer.Typer(
    help="dlquiz: deep-learning interview flashcards and computed quizzes.", no_args_is_help=True
)
content_app = typer.Typer(help="Check and load the markdown decks.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema, backups and moving between databases.", no_args_is_help=True)
app.add_typer(content_app, name="content")
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
app.command("optimize")(study_cli.optimize)
app.command("login")(tui_cli.login)
app.command("study")(tui_cli.study)

out = Console()
err = Console(stderr=True)


def _upgrade_database() -> None:
    from service.db import migrate
    from service.db.session import make_engine

    engine = make_engine(get_settings().resolved_database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


def _sync() -> SyncReport | None:
    from service.content.service import load_content
    from service.db.session import make_engine, make_sessionmaker, sync_lock_session
    from service.db.types import utcnow

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


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _backup_summary(verb: str, summary: Summary, where: str) -> str:
    return (
        f"{verb} {summary.rows} rows of {len(summary.counts)} tables "
        f"(schema revision {summary.revision}) {where}"
    )


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup (gzip'd JSON lines).")],
    sqlite_file: Annotated[
        bool,
        typer.Option(
            "--sqlite-file",
            help="SQLite only: copy the database file with SQLite's online backup API instead.",
        ),
    ] = False,
) -> None:
    """Write a consistent snapshot of every table while the service runs; restorable on either backend."""
    from service.db.backup import service as backup_service
    from service.db.session import make_engine

    url = get_settings().resolved_database_url
    engine = make_engine(url)
    try:
        if sqlite_file:
            backup_service.sqlite_file_backup(engine, file)
            out.print(f"copied {_safe_url(url)} to {file}")
            return
        summary = backup_service.backup(engine, file)
    except BackupError as exc:
        err.print(exc.message, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    out.print(_backup_summary("backed up", summary, f"to {file}"), markup=False, soft_wrap=True)


@db_app.command("restore")
def db_restore(file: Annotated[Path, typer.Argument(help="A file written by `dlquiz db backup`.")]) -> None:
    """Load a backup into the configured database, which must be empty (it is migrated first)."""
    from service.db.backup import service as backup_service
    from service.db.session import make_engine

    url = get_settings().resolved_database_url
    engine = make_engine(url)
    try:
        summary = backup_service.restore(engine, file)
    except BackupError as exc:
        err.print(exc.message, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    out.print(_backup_summary("restored", summary, f"into {_safe_url(url)}"), markup=False, soft_wrap=True)


@db_app.command("copy")
def db_copy(
    source: Annotated[str, typer.Option("--from", help="Database URL to copy from (left unchanged).")],
    target: Annotated[str, typer.Option("--to", help="Empty database URL to copy into (migrated first).")],
) -> None:
    """Copy every row from one database into an empty one, e.g. from SQLite to PostgreSQL."""
    from service.db.backup import service as backup_service
    from service.db.session import make_engine

    source_engine, target_engine = make_engine(source), make_engine(target)
    try:
        summary = backup_service.copy(source_engine, target_engine)
    except BackupError as exc:
        err.print(exc.message, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        source_engine.dispose()
        target_engine.dispose()
    where = f"from {_safe_url(source)} to {_safe_url(target)}"
    out.print(_backup_summary("copied", summary, where), markup=False, soft_wrap=True)


@content_app.command("check")
def content_check() -> None:
    """Parse every deck; print each error and warning as file:line: ..., then a one-line summary.

    Only errors fail the check (exit 1); warnings (long answers, near-duplicate questions, vague
    sources) are advice for the author and leave the exit code alone.
    """
    from service.content.lint import content_warnings
    from service.content.service import check_content, generators_without_cards

    try:
        parsed = check_content(get_settings().content_dir)
    except ContentError as exc:
        err.print(exc.message, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    # Every generator needs a card that links to it, or the study queue never asks its question.
    uncovered = [
        f"generator '{generator_id}' has no card: add one with generator=\"{generator_id}\""
        for generator_id in generators_without_cards(parsed)
    ]
    for issue in parsed.issues:
        err.print(str(issue), markup=False, highlight=False, soft_wrap=True)
    for message in uncovered:
        err.print(message, markup=False, highlight=False, soft_wrap=True)
    warnings = content_warnings(parsed.cards)
    for warning in warnings:
        err.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    if parsed.issues or uncovered:
        err.print(f"{len(parsed.issues) + len(uncovered)} error(s), {len(warnings)} warning(s)")
        raise typer.Exit(1)
    summary = f"ok: {len(parsed.decks)} decks, {len(parsed.cards)} cards, every generator has a card"
    out.print(f"{summary}, {len(warnings)} warning(s)" if warnings else summary)


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
    from service.serving import serve as serve_app

    serve_app(
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        database_url=settings.resolved_database_url,
    )


@app.command("generators")
def list_generators() -> None:
    """Print the verifier's catalog of numeric question generators."""
    import verifier

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
    from service.db.session import make_engine, make_sessionmaker
    from service.quiz.reports import list_reports

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
    from service import readme

    path = PROJECT_ROOT / "README.md"
    if check:
        current = path.read_text() == readme.render(path.read_text())
        out.print("README.md is current" if current else "README.md is out of date: run `dlquiz readme`")
        raise typer.Exit(0 if current else 1)
    out.print("README.md updated" if readme.update(path) else "README.md already current")
