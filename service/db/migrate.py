"""Running Alembic from code: the CLI, the service and the tests upgrade the same way."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from service.config import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    """Alembic's config for ``url``, pointing at the project's migration scripts."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


# Any constant works, as long as every process that migrates uses the same one.
MIGRATION_LOCK_ID = 0x646C7175


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` on ``engine``'s database.

    On PostgreSQL the migration holds a transaction-scoped advisory lock, so replicas that all start
    with ``dlquiz serve`` at once migrate one after the other: the first does the work, the others
    then find the database at head. (SQLite's DDL takes its write lock, which serializes them too.)
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(connection: Connection) -> str | None:
    """The revision ``connection``'s database is at; None before the first migration."""
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision among the project's migration scripts."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("no migration scripts found")
    return head
