"""Alembic owns the schema: migrations build it from empty and match the ORM models exactly."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from service.db import migrate
from service.db.base import Base
from service.db.session import make_engine


def test_upgrade_builds_every_table_on_an_empty_database(
    backend: str, fresh_database: Callable[[str], str]
) -> None:
    engine = make_engine(fresh_database(backend))
    try:
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        assert "alembic_version" in tables
        migrate.upgrade(engine)  # a second run is a no-op, not an error
    finally:
        engine.dispose()


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"
