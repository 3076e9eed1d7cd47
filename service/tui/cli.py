"""``dlquiz login`` and ``dlquiz study``, registered on the main ``dlquiz`` command."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from rich.console import Console

from service.tui import credentials, keys
from service.tui.api import ApiError, StudyApi
from service.tui.loop import StudyLoop


def login(
    server: Annotated[str, typer.Option(help="The dlquiz server's base URL, e.g. http://127.0.0.1:8000.")],
    username: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
) -> None:
    """Log in once: the token is kept in your config directory, readable only by you."""
    console = Console()
    try:
        with StudyApi(server) as api:
            token = api.login(username, password)
    except ApiError as exc:
        console.print(f"login failed: {exc.detail}", markup=False)
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:
        console.print(f"cannot reach {server}: {exc}", markup=False)
        raise typer.Exit(1) from None
    path = credentials.save(credentials.Credentials(server=server, username=username, token=token))
    console.print(f"logged in as {username}; token saved in {path}", markup=False)


def study(
    deck: Annotated[str | None, typer.Option(help="Study only this deck id.")] = None,
) -> None:
    """Study in the terminal: Space reveals, 1-4 rate, u undoes, q quits."""
    console = Console()
    saved = credentials.load()
    if saved is None:
        console.print("not logged in: run `dlquiz login --server URL` first", markup=False)
        raise typer.Exit(1)
    try:
        with StudyApi(saved.server, saved.token) as api:
            StudyLoop(api, keys.for_stdin(), console, deck=deck).run()
    except ApiError as exc:
        hint = " (run `dlquiz login` again)" if exc.status == 401 else ""
        console.print(f"the server refused: {exc.detail}{hint}", markup=False)
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:
        console.print(f"lost the server at {saved.server}: {exc}", markup=False)
        raise typer.Exit(1) from None
