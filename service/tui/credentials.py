"""Where ``dlquiz login`` keeps the server URL and the bearer token: a JSON file in the user's config
directory (``typer.get_app_dir``, so ``$XDG_CONFIG_HOME/dlquiz`` on Linux), readable only by its owner.

The file is created with mode 0600 from the start (``os.open`` with the mode, not chmod afterwards), so
the token is never readable by others, not even for a moment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import typer

APP_NAME = "dlquiz"
FILE_NAME = "credentials.json"
FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class Credentials:
    server: str
    username: str
    token: str


def path() -> Path:
    return Path(typer.get_app_dir(APP_NAME)) / FILE_NAME


def save(credentials: Credentials) -> Path:
    """Write the credentials (replacing older ones) into a file only the user can read."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_suffix(".tmp")
    if temporary.exists():
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(
            {"server": credentials.server, "username": credentials.username, "token": credentials.token}, file
        )
    os.replace(temporary, target)
    return target


def load() -> Credentials | None:
    """The saved credentials, or None when the user never logged in (or the file is unreadable)."""
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
        return Credentials(
            server=str(data["server"]), username=str(data["username"]), token=str(data["token"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
