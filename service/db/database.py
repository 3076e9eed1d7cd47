"""A request's database work, run whole in one place: the shapes that cannot deadlock.

The database driver blocks. If a request held a pooled connection, or SQLite's write lock, while it
waited for a thread (between a dependency and the handler, or between the handler and the commit), the
threads could all be waiting for that connection or lock while its holder waits for one of them: the
service stopped answering at about 45 concurrent users. :meth:`Database.run` therefore takes a
connection, does the work, commits and gives the connection back in one go; a request waiting for its
turn holds nothing, and the queue (first come first served) serves any number of clients in turn.

Where the work runs:

- **SQLite: on the event loop**, one request's work at a time (a FIFO lane). The work is Python that
  holds the GIL, and SQLite writes one at a time anyway, so worker threads added no parallelism, only
  a thread hop per request and a GIL handover at every SQLite call (each one releases the GIL): the
  study loop needed about a quarter less server CPU per request on the loop (``bench/load.py``). Work
  on the loop never waits for a lock (:func:`~service.db.session.without_waiting`): when another
  writer holds SQLite's lock (another process) or this process's write gate (work moved to a thread),
  it is rolled back and run again on a worker thread. Work that reads a user's whole history (stats,
  exports, the optimizer's input) asks for a thread itself (:meth:`Database.run_in_thread`), so it does
  not hold up everyone else's requests. Only on the standard asyncio loop (``dlquiz serve`` picks it
  for SQLite and one worker, :func:`uvicorn_loop`): under uvloop, requests on new connections waited
  seconds behind the loop's own work (200 users: p99 9 s), so there SQLite uses threads too.
- **PostgreSQL: on worker threads** (:data:`DATABASE_THREADS` at once): its round trips and row-lock
  waits release the GIL, and several uvicorn workers share the server.

The database's own unavailability (server down, connection lost, SQLite busy past its timeout, pool
exhausted) becomes :class:`~service.errors.ServiceUnavailable`, a 503 with ``Retry-After``. One warning
is logged when the database stops answering and one line when it answers again, not a traceback per
request.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread
from sqlalchemy import exc
from sqlalchemy.orm import Session, sessionmaker

from service.db.session import WouldBlock, transaction, without_waiting
from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# What the database says when it cannot serve now (as opposed to a bug in a statement).
UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
# Requests doing database work at once per process on worker threads (PostgreSQL, and SQLite work that
# may wait or asked for a thread); the rest wait their turn on the event loop, holding nothing. Few,
# because the work is mostly Python holding the GIL, so more threads only share it thinner (and hand it
# over at every statement): with threads on SQLite, 8 served the study mix about a quarter faster than
# AnyIO's 40, and 3 kept 200 users at 87-117 % of the 50-user rate where 8 kept 82-100 %. On PostgreSQL
# (2 workers, bench/load.py, interleaved runs) 2 kept 200 users at 98-100 % of the peak where 3 kept
# 78-89 %, at the same rate for 10 users; 1 lost a fifth of it at 10 users.
DATABASE_THREADS = 2
OUTAGE_RETRY_AFTER_S = 5
BUSY_RETRY_AFTER_S = 1


class Availability:
    """Whether the database answered last time: one log line per change, for any number of requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False

    def failed(self, error: Exception) -> ServiceUnavailable:
        """Record a failure and return the error to raise for it."""
        busy = "locked" in str(error) or isinstance(error, exc.TimeoutError)
        with self._lock:
            first, self._down = not self._down, True
        if first:
            log.warning(
                "database unavailable, answering 503 until it is back: %s", str(error).splitlines()[0]
            )
        if busy:
            return ServiceUnavailable("the database is busy; retry shortly", retry_after=BUSY_RETRY_AFTER_S)
        return ServiceUnavailable(
            "the database is unavailable; retry shortly", retry_after=OUTAGE_RETRY_AFTER_S
        )

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            log.warning("database available again")


class Database:
    """The app's sessions, as ``app.state.database``; see the module docstring for where work runs."""

    def __init__(
        self, factory: sessionmaker[Session], *, threads: int = DATABASE_THREADS, on_loop: bool = False
    ) -> None:
        self.factory = factory
        self.availability = Availability()
        self.threads = threads
        self.on_loop = on_loop
        self._limiter: CapacityLimiter | None = None
        self._lane: asyncio.Lock | None = None

    async def run(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(session, *args, **kwargs)`` in one transaction: on the event loop when the database
        is used there (``on_loop``), else in one worker thread.

        The transaction begins as a reader; ``work`` calls :func:`service.db.session.begin_write` before
        it writes. Committed when ``work`` returns, rolled back when it raises. ``work`` may run twice:
        once on the loop, rolled back because it would have to wait for a lock, then on a thread.
        """
        if self.on_loop:
            if self._lane is None:  # created on the event loop it serves
                self._lane = asyncio.Lock()
            async with self._lane:
                try:
                    return self._run(work, args, kwargs, may_wait=False)
                except WouldBlock:
                    pass
        return await self.run_in_thread(work, *args, **kwargs)

    async def run_in_thread(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """:meth:`run` on a worker thread whatever the database: for work that may take long (a user's
        whole review history) and so must not hold up the requests queued on the event loop."""

        def call() -> T:
            return self.run_sync(work, *args, **kwargs)

        if self._limiter is None:  # created on the event loop it serves
            self._limiter = CapacityLimiter(self.threads)
        return await to_thread.run_sync(call, limiter=self._limiter)

    def run_sync(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """:meth:`run` on the calling thread (for code that already runs in a worker thread)."""
        return self._run(work, args, kwargs, may_wait=True)

    def _run(
        self,
        work: Callable[..., T],
        args: tuple[object, ...],
        kwargs: dict[str, object],
        *,
        may_wait: bool,
    ) -> T:
        try:
            if may_wait:
                result = self._transact(work, args, kwargs)
            else:
                with without_waiting():
                    result = self._transact(work, args, kwargs)
        except exc.OperationalError as error:
            if not may_wait and _locked(error):
                raise WouldBlock(str(error)) from None
            raise self.availability.failed(error) from None
        except UNAVAILABLE as error:
            raise self.availability.failed(error) from None
        self.availability.succeeded()
        return result

    def _transact(self, work: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
        with transaction(self.factory) as session:
            return work(session, *args, **kwargs)


def for_engine(factory: sessionmaker[Session], *, dialect: str) -> Database:
    """The app's :class:`Database`; created on the event loop it will serve (the app's lifespan)."""
    loop = type(asyncio.get_running_loop())
    standard_loop = loop.__module__.partition(".")[0] == "asyncio"
    return Database(factory, on_loop=dialect == "sqlite" and standard_loop)


def uvicorn_loop(database_url: str, workers: int) -> str:
    """The event loop uvicorn should run: the standard one for SQLite in one process (its work runs on
    the loop, see the module docstring), uvicorn's choice (uvloop when installed) otherwise, where the
    work runs on threads. (Where uvicorn shares one socket between several workers, as it does outside
    Linux, connections on the standard loop never get ``TCP_NODELAY``: each keep-alive response then
    waits ~44 ms for a delayed ACK.)"""
    return "asyncio" if database_url.startswith("sqlite") and workers == 1 else "auto"


def _locked(error: exc.OperationalError) -> bool:
    """SQLite's SQLITE_BUSY: another connection holds the lock this statement needs."""
    return "database is locked" in str(error.orig)
