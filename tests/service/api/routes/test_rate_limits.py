"""Login and registration limits over HTTP, on two uvicorn workers per backend.

The counters live in the database, so the two workers share them: a burst of concurrent wrong passwords,
each on its own connection (spread over both workers by the kernel), gets exactly as many 401s as the
limit allows and 429s after that. uvicorn trusts ``X-Forwarded-For`` from 127.0.0.1, which lets each
test act from a client address of its own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import loopback
from tests.factories import write_decks
from tests.service.api.conftest import PASSWORD, start_api
from tests.service.study.conftest import study_decks

LIMITS = {
    "DLQUIZ_LOGIN_MAX_FAILURES": "3",
    "DLQUIZ_LOGIN_MAX_FAILURES_PER_ADDRESS": "6",
    "DLQUIZ_REGISTER_MAX_PER_ADDRESS": "3",
    "DLQUIZ_LOGIN_FAILURE_WINDOW_SECONDS": "600",
    "DLQUIZ_LOCKOUT_SECONDS": "1",
    "DLQUIZ_LOCKOUT_MAX_SECONDS": "2",
}


@pytest.fixture(scope="module")
def limited_url(
    backend: str, fresh_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    content = write_decks(tmp_path_factory.mktemp("limits-content"), study_decks())
    log = tmp_path_factory.mktemp("limits-server") / "uvicorn.log"
    with start_api(fresh_database(backend), content, log, workers=2, env=LIMITS) as base:
        yield base


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def _name() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def _post(base: str, path: str, address: str, **kwargs: object) -> httpx.Response:
    """One request on a fresh connection, so that successive requests may land on either worker."""
    return loopback.post(f"{base}{path}", headers={"X-Forwarded-For": address}, timeout=30, **kwargs)  # type: ignore[arg-type]


def _register(base: str, address: str) -> str:
    name = _name()
    response = _post(base, "/api/v1/auth/register", address, json={"username": name, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return name


def _login(base: str, address: str, name: str, password: str = PASSWORD) -> httpx.Response:
    return _post(base, "/api/v1/auth/token", address, data={"username": name, "password": password})


class TestLogin:
    def test_locked_after_the_limit_then_the_right_password_works_again(self, limited_url: str) -> None:
        address = _address()
        name = _register(limited_url, address)
        for _ in range(3):
            assert _login(limited_url, address, name, "wrong-password").status_code == 401
        locked = _login(limited_url, address, name)  # even the right password waits out the lockout
        assert locked.status_code == 429 and locked.json()["type"] == "TooManyRequests"
        retry_after = int(locked.headers["retry-after"])
        assert retry_after == 1  # the 1 s lockout, rounded up
        time.sleep(retry_after + 0.1)
        assert _login(limited_url, address, name).status_code == 200
        # ... and a success clears the username's count: three more failures before the next lockout
        for _ in range(3):
            assert _login(limited_url, address, name, "wrong-password").status_code == 401
        assert _login(limited_url, address, name).status_code == 429

    def test_a_concurrent_burst_across_both_workers_gets_exactly_the_limit(self, limited_url: str) -> None:
        address = _address()
        name = _register(limited_url, address)
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(
                pool.map(
                    lambda _: _login(limited_url, address, name, "wrong-password").status_code, range(12)
                )
            )
        assert sorted(statuses) == [401] * 3 + [429] * 9

    def test_one_address_is_limited_across_usernames(self, limited_url: str) -> None:
        address = _address()
        name = _register(limited_url, address)
        for _ in range(6):
            assert _login(limited_url, address, _name(), "wrong-password").status_code == 401
        assert _login(limited_url, address, name).status_code == 429
        assert _login(limited_url, _address(), name).status_code == 200  # from elsewhere it works


class TestRegister:
    def test_registrations_per_address_are_limited(self, limited_url: str) -> None:
        address = _address()
        for _ in range(3):
            _register(limited_url, address)
        refused = _post(
            limited_url, "/api/v1/auth/register", address, json={"username": _name(), "password": PASSWORD}
        )
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert _register(limited_url, _address())


@pytest.fixture(scope="module")
def one_hash_at_a_time_url(
    fresh_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One hashing slot, no waiting for it, and a hash slow enough (~1 s) that a burst overlaps it.
    SQLite only: the database has no part in it (the refused attempt's refund is tested on both)."""
    content = write_decks(tmp_path_factory.mktemp("hash-content"), study_decks())
    log = tmp_path_factory.mktemp("hash-server") / "uvicorn.log"
    env = {
        "DLQUIZ_PASSWORD_HASH_CONCURRENCY": "1",
        "DLQUIZ_PASSWORD_HASH_WAIT_SECONDS": "0",
        "DLQUIZ_PASSWORD_HASH_TIME_COST": "8",
        "DLQUIZ_PASSWORD_HASH_MEMORY_KIB": "65536",
    }
    with start_api(fresh_database("sqlite"), content, log, env=env) as base:
        yield base


def test_logins_beyond_the_hashing_slots_are_503_with_retry_after(one_hash_at_a_time_url: str) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(
            pool.map(
                lambda _: _login(one_hash_at_a_time_url, _address(), _name(), "wrong-password"), range(6)
            )
        )
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {401, 503} and 401 in statuses and 503 in statuses, statuses
    for response in responses:
        if response.status_code == 503:
            assert response.json()["type"] == "ServiceUnavailable" and response.headers["retry-after"] == "1"
