"""Settings read from the environment (``DLQUIZ_*``) or a ``.env`` file.

There is no module-level instance: ``get_settings()`` builds one on first use, so importing the
package never needs a complete environment, and tests override the dependency instead.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every knob of the service, with the default that suits a laptop."""

    model_config = SettingsConfigDict(env_prefix="DLQUIZ_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=PROJECT_ROOT / "data", description="Where the default SQLite database file lives."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means a SQLite file `dlquiz.db` in the data directory. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`.",
    )
    content_dir: Path = Field(default=PROJECT_ROOT / "content", description="Folder of markdown decks.")
    host: str = Field(default="127.0.0.1", description="Address `dlquiz serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `dlquiz serve` listens on.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="uvicorn worker processes. One event loop serves thousands of req/s here; raise it "
        "only with several cores to spare, on PostgreSQL (SQLite serializes writes anyway).",
    )
    log_level: str = Field(default="info", description="uvicorn and application log level.")
    sync_content_on_start: bool = Field(
        default=True, description="Load `content/` into the database when the service starts."
    )

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"critical", "error", "warning", "info", "debug", "trace"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dlquiz.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
