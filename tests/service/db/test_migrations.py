"""Alembic owns the schema: migrations build it from empty and match the ORM models exactly."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

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


def test_accounts_migration_keeps_every_card_and_drops_ownerless_questions(
    backend: str, fresh_database: Callable[[str], str]
) -> None:
    """0002 -> 0003 on a database with content and anonymous practice questions."""
    engine = make_engine(fresh_database(backend))
    stamp = "2026-01-01 00:00:00"
    try:
        migrate.upgrade(engine, "0002")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO decks (id, title, description, position, archived, created_at, updated_at) "
                    "VALUES ('d', 'Deck', '', 0, false, :t, :t)"
                ),
                {"t": stamp},
            )
            for key in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO cards (key, id, deck_id, position, front_md, back_md, detail_md, front_html, "
                        "back_html, detail_html, tags, source, generator, content_hash, archived, created_at, "
                        "updated_at) VALUES (:k, :id, 'd', :k, 'q', 'a', '', 'q', 'a', '', '[]', 's', NULL, 'h', "
                        "false, :t, :t)"
                    ),
                    {"k": key, "id": f"card-{key}", "t": stamp},
                )
            connection.execute(
                text(
                    "INSERT INTO question_instances (id, generator_id, seed, inputs, prompt_md, prompt_html, "
                    "card_key, created_at) VALUES ('q1', 'bagging.bootstrap', 1, '{}', 'p', 'p', NULL, :t)"
                ),
                {"t": stamp},
            )
            connection.execute(
                text(
                    "INSERT INTO attempts (instance_id, number, submission, correct, score, misconception, "
                    "feedback, fields, created_at) VALUES ('q1', 1, '{}', true, 1.0, NULL, '', '{}', :t)"
                ),
                {"t": stamp},
            )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            count = lambda table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: E731
            assert (count("decks"), count("cards")) == (1, 2)
            assert (count("question_instances"), count("attempts")) == (0, 0)
            assert count("users") == 0 and count("card_states") == 0
        columns = {column["name"]: column for column in inspect(engine).get_columns("question_instances")}
        assert columns["user_id"]["nullable"] is False
    finally:
        engine.dispose()
