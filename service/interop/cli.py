"""``dlquiz export ...`` and ``dlquiz import ...``: the same exports and import as the API, on the
configured database, for an operator or a script."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from service.config import get_settings
from service.errors import DlquizError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

export_app = typer.Typer(help="Export decks for Anki, or cards as CSV/JSON.", no_args_is_help=True)
import_app = typer.Typer(help="Import reviews done elsewhere.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)


class CardFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@contextmanager
def _session(*, write: bool = False) -> Iterator[Session]:
    """A transaction on the configured database; a domain error ends the command with its message."""
    # imported here, as in every dlquiz command (see service/cli.py)
    from service.db.session import begin_write, make_engine, make_sessionmaker, transaction

    engine = make_engine(get_settings().resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            if write:
                begin_write(session)
            yield session
    except DlquizError as exc:
        err.print(exc.message, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@export_app.command("anki")
def export_anki(
    deck: Annotated[str | None, typer.Option(help="Only this deck id (default: every deck).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: dlquiz-<deck|all>.apkg).")
    ] = None,
) -> None:
    """Write the decks as an Anki package (.apkg) to import in Anki or AnkiDroid."""
    from service.interop import anki_export

    with _session() as session:
        package = anki_export.export_anki(session, deck=deck)
    path = output or Path(f"dlquiz-{deck or 'all'}.apkg")
    path.write_bytes(package)
    out.print(f"wrote {path} ({len(package)} bytes)", markup=False, soft_wrap=True)


@export_app.command("cards")
def export_cards(
    format_: Annotated[CardFormat, typer.Option("--format", help="csv or json.")] = CardFormat.CSV,
    deck: Annotated[str | None, typer.Option(help="Only this deck id (default: every deck).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Write every live card (id, deck, question, answer, detail, tags, source, generator)."""
    from service.interop import tables

    with _session() as session:
        cards = tables.export_cards(session, deck=deck)
    text = tables.cards_csv(cards) if format_ == CardFormat.CSV else tables.cards_json(cards) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(cards)} cards to {output}", markup=False, soft_wrap=True)


@import_app.command("anki")
def import_anki(
    file: Annotated[Path, typer.Argument(help="An .apkg or .colpkg exported from Anki with scheduling.")],
    user: Annotated[str, typer.Option("--user", help="The dlquiz account the reviews belong to.")],
) -> None:
    """Add the reviews done in Anki on dlquiz cards to a user's log (importing twice adds nothing)."""
    from service.db.types import utcnow
    from service.interop import anki_import

    settings = get_settings()
    try:
        data = file.read_bytes()
    except OSError as exc:
        err.print(f"cannot read {file}: {exc.strerror}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    with _session(write=True) as session:
        report = anki_import.import_anki_reviews_for(
            session, username=user, data=data, max_bytes=settings.anki_import_max_mb << 20, now=utcnow()
        )
    out.print(
        f"imported {report.imported} reviews on {report.cards} cards; {report.duplicate} already imported, "
        f"{report.ignored} ignored, {report.skipped_notes} notes skipped (not dlquiz cards)",
        markup=False,
        soft_wrap=True,
    )
