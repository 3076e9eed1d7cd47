"""``dlquiz optimize --user NAME``: fit one user's FSRS weights on the server, as POST /me/optimize does
(registered on the main ``dlquiz`` command)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from service.config import get_settings
from service.errors import DlquizError

if TYPE_CHECKING:
    from service.study.schemas import OptimizeRead


def print_optimization(console: Console, result: OptimizeRead) -> None:
    """The before/after figures of a fit, as a table."""
    table = Table("weights", "log loss", "RMSE")
    table.add_row("before", f"{result.before.log_loss:.4f}", f"{result.before.rmse:.4f}")
    table.add_row("fitted", f"{result.after.log_loss:.4f}", f"{result.after.rmse:.4f}")
    console.print(table)
    verdict = "now scheduling with the fitted weights" if result.applied else "kept the weights in force"
    console.print(f"{result.training_items} training reviews of {result.reviews}: {verdict}")


def optimize(
    user: Annotated[str, typer.Option("--user", help="The account whose review log is fitted.")],
) -> None:
    """Fit FSRS weights to one user's review log (fsrs-rs), as POST /api/v1/me/optimize does."""
    import anyio  # imported here, as in every dlquiz command: see service/cli.py

    from service.auth import service as auth_service
    from service.db.database import Database
    from service.db.session import make_engine, make_sessionmaker
    from service.db.types import utcnow
    from service.study import tuning

    engine = make_engine(get_settings().resolved_database_url)
    database = Database(make_sessionmaker(engine))
    try:
        user_id = database.run_sync(auth_service.user_id_of, user)
        result = anyio.run(partial(tuning.optimize, database, user_id=user_id, now=utcnow()))
    except DlquizError as exc:
        Console(stderr=True).print(exc.message, markup=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    print_optimization(Console(), result)
