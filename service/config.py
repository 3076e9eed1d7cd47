"""Settings read from the environment (``DLQUIZ_*``) or a ``.env`` file.

There is no module-level instance: ``get_settings()`` builds one on first use, so importing the
package never needs a complete environment, and tests override the dependency instead.
"""

from __future__ import annotations

import os
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
    opentelemetry: bool = Field(
        default=False,
        description="Let FastAPI's native OpenTelemetry instrumentation send traces, metrics and logs to "
        "the globally configured providers. Off by default: with no provider configured it only looks "
        "for one, on every request (about 3 % of the study loop's server time).",
    )
    sync_content_on_start: bool = Field(
        default=True, description="Load `content/` into the database when the service starts."
    )
    token_ttl_hours: int = Field(
        default=720,
        ge=1,
        le=24 * 365,
        description="How long a bearer token from `POST /api/v1/auth/token` stays valid (logout revokes it "
        "earlier).",
    )
    password_hash_time_cost: int = Field(
        default=3, ge=1, le=20, description="Argon2id passes over memory when hashing a password."
    )
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=1024,
        le=4 * 1024 * 1024,
        description="Argon2id memory per password hash, in KiB. Lower it only for tests.",
    )
    password_hash_concurrency: int = Field(
        default=0,
        ge=0,
        le=256,
        description="Password hashes (login, registration) computed at once per process; each holds "
        "`password_hash_memory_kib` of memory. 0 means the number of cores.",
    )
    password_hash_wait_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a login or registration waits for a free hashing slot before it is "
        "answered 503 with `Retry-After`.",
    )
    login_max_failures: int = Field(
        default=10,
        ge=1,
        le=10_000,
        description="Failed logins per username within `login_failure_window_seconds` before that "
        "username is locked out (429 with `Retry-After`).",
    )
    login_max_failures_per_address: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Failed logins from one client address within the window before the address is "
        "locked out (higher than per username: several people may share an address).",
    )
    register_max_per_address: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Registrations (successful or not) from one client address within the window before "
        "the address is locked out of registering.",
    )
    login_failure_window_seconds: int = Field(
        default=900,
        ge=1,
        le=7 * 86_400,
        description="The rate-limit window: counts start at a key's first failure and reset once the "
        "window and any lockout have passed.",
    )
    lockout_seconds: int = Field(
        default=60,
        ge=1,
        le=86_400,
        description="The first lockout once a limit is reached; each further failure doubles it "
        "(exponential backoff), up to `lockout_max_seconds`.",
    )
    lockout_max_seconds: int = Field(
        default=3600,
        ge=1,
        le=7 * 86_400,
        description="The longest lockout.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Largest request body accepted, in bytes: a larger `Content-Length` is answered 413 before "
        "anything is read, a chunked body as soon as it crosses the limit.",
    )
    idempotency_key_ttl_hours: int = Field(
        default=24,
        ge=24,
        le=24 * 30,
        description="How long a stored `Idempotency-Key` answers retries before it may be purged (at least "
        "24 h).",
    )
    learning_steps_seconds: list[int] = Field(
        default=[60, 600],
        max_length=10,
        description="Learning steps of a new account's scheduler, in seconds (fsrs's defaults: 1 min, "
        "10 min). JSON list in the environment.",
    )
    relearning_steps_seconds: list[int] = Field(
        default=[600],
        max_length=10,
        description="Relearning steps after a lapse for a new account's scheduler, in seconds (fsrs's "
        "default: 10 min).",
    )
    learn_ahead_minutes: int = Field(
        default=20,
        ge=0,
        le=24 * 60,
        description="A learning card due within this many minutes counts as due now (Anki's learn-ahead "
        "limit), once nothing else is left.",
    )

    anki_import_max_mb: int = Field(
        default=100,
        ge=1,
        le=2048,
        description="Largest Anki package `POST /api/v1/import/anki` accepts, in MB; the collection "
        "unpacked from it has the same limit.",
    )

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"critical", "error", "warning", "info", "debug", "trace"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @field_validator("learning_steps_seconds", "relearning_steps_seconds")
    @classmethod
    def _positive_steps(cls, value: list[int]) -> list[int]:
        if any(not 1 <= step <= 86_400 for step in value):
            raise ValueError("every step must be between 1 and 86400 seconds")
        return value

    @property
    def resolved_password_hash_concurrency(self) -> int:
        """The configured number of concurrent password hashes, or the number of cores."""
        return self.password_hash_concurrency or os.cpu_count() or 1

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
