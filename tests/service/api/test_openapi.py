"""Schemathesis over the whole OpenAPI document, against a real server on SQLite.

Every generated request must get a non-5xx answer whose status, content type and body match what the
schema declares. New endpoints join automatically as the API grows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.service.api.conftest import start_api


@pytest.fixture(scope="module")
def sqlite_server(
    fresh_database: Callable[[str], str], content_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("schemathesis") / "uvicorn.log"
    with start_api(fresh_database("sqlite"), content_dir, log) as base:
        yield base


@pytest.fixture(scope="module")
def api_schema(sqlite_server: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{sqlite_server}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()
