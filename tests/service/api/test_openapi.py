"""Schemathesis over the whole OpenAPI document, against a real server on each backend.

Every generated request must get a non-5xx answer whose status, content type and body match what the
schema declares. New endpoints join automatically as the API grows. PostgreSQL refuses text SQLite
takes (NUL characters), so both backends are run. Requests carry a valid bearer
token of one test user (logout gets a token of its own, so it never logs the others out).

The schema is the app's own ``openapi()`` document, loaded at import (no server needed to collect the
tests); each case is sent to the real server. Schemathesis's lazy ``from_fixture`` loader does not run
under pytest 9.2 (it reads the removed ``Node._nodeid``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from service.api.checked_route import UNSTORABLE_MESSAGE
from service.config import Settings
from service.main import create_app
from tests import loopback
from tests.service.api.conftest import PASSWORD, register, start_api

USERNAME = "schemathesis"

schema = schemathesis.openapi.from_dict(create_app(Settings(_env_file=None)).openapi())


@pytest.fixture(scope="module")
def server(
    backend: str,
    fresh_database: Callable[[str], str],
    content_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    log = tmp_path_factory.mktemp("schemathesis") / "uvicorn.log"
    with start_api(fresh_database(backend), content_dir, log) as base:
        yield base


@pytest.fixture(scope="module")
def auth_headers(server: str) -> Callable[[bool], dict[str, str]]:
    """The shared user's Authorization header, or (``fresh=True``) one with a token of its own."""
    with loopback.client(base_url=server, timeout=30) as client:
        shared = register(client, USERNAME)

    def headers(fresh: bool) -> dict[str, str]:
        if not fresh:
            return shared
        with loopback.client(base_url=server, timeout=30) as client:
            token = client.post("/api/v1/auth/token", data={"username": USERNAME, "password": PASSWORD})
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return headers


def test_served_schema_is_the_one_tested(server: str) -> None:
    assert loopback.get(f"{server}/openapi.json").json() == schema.raw_schema


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, server: str, auth_headers: Callable[[bool], dict[str, str]]
) -> None:
    response = case.call(base_url=server, headers=auth_headers(case.path == "/api/v1/auth/logout"))
    # A 422 from a domain rule (a numeric card cannot be self-rated, an answer of the wrong shape) refuses
    # a request the schema cannot tell apart from a good one; so does the 422 for text no database can
    # store (schemathesis sends NUL characters, which JSON Schema has no way to exclude from every
    # string). Other validation 422s still count as rejections.
    refusal = response.status_code == 422 and (
        response.json().get("type") != "ValidationError" or UNSTORABLE_MESSAGE in response.json()["detail"]
    )
    case.validate_response(
        response,
        excluded_checks=[schemathesis.checks.positive_data_acceptance] if refusal else None,
    )
