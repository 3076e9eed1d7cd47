"""Throwaway PostgreSQL databases on the local server, for tests that must run on both backends.

In CI (``CI=true``) an unreachable server fails the run; elsewhere the PostgreSQL tests skip and say why.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_URL = os.environ.get(
    "DLQUIZ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def unavailable_reason() -> str | None:
    """None when the server answers, else why not."""
    try:
        engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any driver or network failure means "not available"
        return f"PostgreSQL at {make_url(ADMIN_URL).render_as_string()} unreachable: {exc}"
    return None


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when the server is not there."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
    pytest.skip(reason)


def create_database() -> str:
    """Create an empty database and return its URL."""
    name = f"dlquiz_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing any connection left open."""
    name = make_url(url).database
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
