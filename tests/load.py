"""A study load scenario against a running server: simulated users, their outcomes, and the write check.

Shared by ``bench/load.py`` (timed, several levels, both backends) and the concurrency regression test
(``tests/service/test_load.py``, brief, asserts only correctness). Each simulated user registers, logs
in, raises its new-card limit, then loops with no think time: ``GET /study/next``, then a self-rated
review (``POST /reviews``) or, for a numeric card, an answer (``POST /questions/{id}/answers``), each
write with its own ``Idempotency-Key``. A write that fails in transit or with a 503 is retried with the
same key (honouring ``Retry-After``), as a careful client would; every failure is still reported.

A 429 or 503 that carries ``Retry-After`` is the server shedding load as designed (at most
``password_hash_concurrency`` Argon2 hashes at once, so 200 users registering in the same second queue
and some are told when to come back): it is counted apart, under ``shed``, and retried after the
interval it names. Anything else that is not a 2xx, a 503 without ``Retry-After`` included, is a failure.

Afterwards :func:`check_writes` compares what the server acknowledged with the review log: every
acknowledged review is there exactly once, and nothing is there that was not acknowledged.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests import loopback

PASSWORD = "load-password"
# Mostly Again and Hard: cards stay in learning (due within the learn-ahead limit), so the queue never
# runs dry however long the run.
RATINGS = (1, 1, 2, 3)
RETRIES = 5
SHED_RETRIES = 50
# httpx keeps an idle connection 5 s by default, exactly as long as uvicorn keeps it open: a request
# sent on it in that last instant meets a connection the server is closing (RemoteProtocolError).
# Dropping idle connections first is what a careful client does.
KEEPALIVE_EXPIRY = 2.0
SETUP = ("register", "token", "settings")


@dataclass
class Outcome:
    """What one run saw: latencies per operation, every failure, and the acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    # 429/503 answers with Retry-After: load shed as designed, retried after the interval they name
    shed: Counter[str] = field(default_factory=Counter)
    # review id -> (username, idempotency key) of the write that created it
    acknowledged: dict[int, tuple[str, str]] = field(default_factory=dict)
    # writes the server acknowledged twice under different review ids (a double write)
    doubled: list[str] = field(default_factory=list)
    gave_up: int = 0
    # study requests answered within the fixed window (the ones still out when it closes finish, but
    # are not counted: with long queues they would stretch the window and understate the rate)
    in_window: int = 0
    prefix: str = ""
    usernames: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: Outcome) -> None:
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
        self.failures.update(other.failures)
        self.shed.update(other.shed)
        self.acknowledged.update(other.acknowledged)
        self.doubled.extend(other.doubled)
        self.gave_up += other.gave_up
        self.in_window += other.in_window
        self.prefix = other.prefix
        self.usernames.extend(other.usernames)
        self.seconds = max(self.seconds, other.seconds)

    def requests(self, *, setup: bool = False) -> int:
        return sum(len(v) for k, v in self.latencies.items() if (k in SETUP) == setup)

    def errors(self) -> int:
        return sum(self.failures.values())


def _zeros(shape: list[int], dtype: str) -> Any:
    zero: Any = 0 if dtype == "int" else 0.0
    for size in reversed(shape):
        zero = [zero] * size
    return zero


class _User:
    def __init__(self, client: httpx.AsyncClient, outcome: Outcome, username: str) -> None:
        self.client = client
        self.outcome = outcome
        self.username = username
        self.headers: dict[str, str] = {}
        self.random = random.Random(username)
        self.stop = 0.0  # the end of the study window

    async def call(self, operation: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """One request, timed under ``operation``; a transport error or a non-2xx is recorded."""
        start = time.perf_counter()
        try:
            response = await self.client.request(method, url, headers=self.headers, **kwargs)
        except httpx.TransportError as exc:
            self.outcome.failures[f"{operation}: {type(exc).__name__}"] += 1
            return None
        end = time.perf_counter()
        self.outcome.latencies.setdefault(operation, []).append(end - start)
        if operation not in SETUP and end <= self.stop:
            self.outcome.in_window += 1
        if response.status_code >= 300:
            detail = (
                response.json().get("type", "") if "json" in response.headers.get("content-type", "") else ""
            )
            shed = response.status_code in (429, 503) and "retry-after" in response.headers
            tally = self.outcome.shed if shed else self.outcome.failures
            tally[f"{operation}: {response.status_code} {detail}".rstrip()] += 1
        return response

    async def call_until_answered(
        self, operation: str, method: str, url: str, stop: float, **kwargs: Any
    ) -> httpx.Response | None:
        """:meth:`call`, repeated on a transport error, 429 or 503 (same request, same key).

        A transport error or a 429/503 without ``Retry-After`` is retried :data:`RETRIES` times; an
        answer that names when to come back is retried after that interval up to :data:`SHED_RETRIES`
        times (a careful client keeps coming back while the server keeps asking it to).
        """
        failed = shed = 0
        while True:
            response = await self.call(operation, method, url, **kwargs)
            if response is not None and response.status_code not in (429, 503):
                return response
            if response is not None and "retry-after" in response.headers:
                shed += 1
                delay = min(float(response.headers["retry-after"]), 2.0)  # even past the window
            else:
                failed += 1
                delay = min(0.05, max(0.0, stop - time.perf_counter()))
            if failed >= RETRIES or shed >= SHED_RETRIES:
                return None
            await asyncio.sleep(delay)

    async def set_up(self, stop: float) -> bool:
        body = {"username": self.username, "password": PASSWORD}
        created = await self.call_until_answered("register", "POST", "/api/v1/auth/register", stop, json=body)
        if created is None or created.status_code != 201:
            return False
        token = await self.call_until_answered("token", "POST", "/api/v1/auth/token", stop, data=body)
        if token is None or token.status_code != 200:
            return False
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        limit = {"new_cards_per_day": 1000}
        patched = await self.call_until_answered("settings", "PATCH", "/api/v1/me/settings", stop, json=limit)
        return patched is not None and patched.status_code == 200

    async def write(self, operation: str, url: str, body: dict[str, Any], stop: float) -> None:
        key = uuid.uuid4().hex
        self.headers["Idempotency-Key"] = key
        try:
            response = await self.call_until_answered(operation, "POST", url, stop, json=body)
        finally:
            del self.headers["Idempotency-Key"]
        if response is None:
            self.outcome.gave_up += 1
            return
        if response.status_code >= 300:
            return
        data = response.json()
        review = data if operation == "review" else data.get("review")
        if review is None:
            return
        if review["id"] in self.outcome.acknowledged:
            self.outcome.doubled.append(f"review {review['id']} acknowledged for two keys")
        self.outcome.acknowledged[review["id"]] = (self.username, key)

    async def study(self, stop: float) -> None:
        self.stop = stop
        while time.perf_counter() < stop:
            response = await self.call("next", "GET", "/api/v1/study/next")
            if response is None or response.status_code != 200:
                await asyncio.sleep(0.01)  # an error: do not spin
                continue
            card = response.json()
            if card["card"] is None:
                continue
            question = card["question"]
            if question is None:
                body = {"card_id": card["card"]["id"], "rating": self.random.choice(RATINGS)}
                await self.write("review", "/api/v1/reviews", body, stop)
            else:
                fields = question["generator"]["answer_fields"]
                answer = {f["name"]: _zeros(f["shape"], f["dtype"]) for f in fields}
                url = f"/api/v1/questions/{question['id']}/answers"
                await self.write("answer", url, {"answer": answer}, stop)


async def run_users(
    base_url: str,
    *,
    users: int,
    seconds: float,
    prefix: str,
    first: int = 0,
    timeout: float = 60,
    on_study: Callable[[], object] | None = None,
) -> Outcome:
    """``users`` simulated users against ``base_url``: all set up first, then ``seconds`` of study.

    Usernames are ``<prefix>-<n>`` from ``n = first`` on (several client processes share a prefix).
    ``on_study`` is called when setup is done and studying begins.
    """
    outcome = Outcome(prefix=prefix)
    limits = httpx.Limits(
        max_connections=users, max_keepalive_connections=users, keepalive_expiry=KEEPALIVE_EXPIRY
    )
    async with loopback.async_client(base_url=base_url, limits=limits, timeout=timeout) as client:
        people = [_User(client, outcome, f"{prefix}-{first + i}") for i in range(users)]
        setup_stop = time.perf_counter() + timeout
        ready = await asyncio.gather(*(person.set_up(setup_stop) for person in people))
        outcome.usernames = [person.username for person, ok in zip(people, ready, strict=True) if ok]
        if on_study is not None:
            on_study()
        begin = time.perf_counter()
        stop = begin + seconds
        await asyncio.gather(*(person.study(stop) for person, ok in zip(people, ready, strict=True) if ok))
        outcome.seconds = seconds
    return outcome


@dataclass(frozen=True)
class WriteCheck:
    """Acknowledged reviews missing from the log, and logged reviews nobody was told about."""

    acknowledged: int
    lost: list[int]
    unacknowledged: list[int]
    doubled: list[str]

    @property
    def ok(self) -> bool:
        return not self.lost and not self.doubled


def check_writes(database_url: str, outcome: Outcome) -> WriteCheck:
    """Compare the acknowledged writes with the review log of the run's users.

    A write the client gave up on (after retries) may or may not be stored: it is listed as
    unacknowledged, not as an error of the server.
    """
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT review_logs.id FROM review_logs JOIN users ON users.id = review_logs.user_id "
                    "WHERE users.username LIKE :prefix"
                ),
                {"prefix": f"{outcome.prefix}-%"},
            ).all()
    finally:
        engine.dispose()
    logged = Counter(int(row[0]) for row in rows)
    acknowledged = set(outcome.acknowledged)
    return WriteCheck(
        acknowledged=len(acknowledged),
        lost=sorted(acknowledged - set(logged)),
        unacknowledged=sorted(set(logged) - acknowledged),
        doubled=list(outcome.doubled),
    )
