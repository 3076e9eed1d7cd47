"""A request's database work, run whole inside one worker thread: the shape that cannot deadlock.

The database driver blocks, so the work runs in AnyIO's worker threads (40 per process). If a request
held a pooled connection, or SQLite's write lock, while it waited for a thread (between a dependency
and the handler, or between the handler and the commit), the threads could all be waiting for that
connection or lock while its holder waits for one of them: the service stopped answering at about 45
concurrent users. :meth:`Database.run` therefore takes a connection, does the work, commits and gives
the connection back inside one thread; a request waiting for a thread holds nothing, and the queue for
threads (AnyIO's limiter, first come first served) serves any number of clients in turn.

The database's own unavailability (server down, connection lost, SQLite busy past its timeout, pool
exhausted) becomes :class:`~service.errors.ServiceUnavailable`, a 503 with ``Retry-After``. One warning
is logged when the database stops answering and one line when it answers again, not a traceback per
request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from anyio import CapacityLimiter, to_thread
from sqlalchemy import exc
from sqlalchemy.orm import Session, sessionmaker

from service.db.session import transaction
from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# What the database says when it cannot serve now (as opposed to a bug in a statement).
UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
# Requests doing database work at once per process; the rest wait their turn on the event loop,
# holding nothing. Few, because the work is mostly Python holding the GIL, so more threads only share
# it thinner (a writer holding SQLite's write lock included, which every other writer then waits on):
# measured with bench/load.py on SQLite, 8 threads served the study mix about a quarter faster than
# AnyIO's 40, and 3 kept 200 users at 87-117 % of the 50-user rate over five runs where 8 kept 82-100 %
# (and served 200 users 5-35 % faster). On PostgreSQL the two were within the runs' noise.
DATABASE_THREADS = 3
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
    """The app's sessions, as ``app.state.database``; see the module docstring for why one thread."""

    def __init__(self, factory: sessionmaker[Session], *, threads: int = DATABASE_THREADS) -> None:
        self.factory = factory
        self.availability = Availability()
        self.threads = threads
        self._limiter: CapacityLimiter | None = None

    async def run(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(session, *args, **kwargs)`` in one transaction, in one worker thread.

        The transaction begins as a reader; ``work`` calls :func:`service.db.session.begin_write` before
        it writes. Committed when ``work`` returns, rolled back when it raises.
        """

        def call() -> T:
            return self.run_sync(work, *args, **kwargs)

        if self._limiter is None:  # created on the event loop it serves
            self._limiter = CapacityLimiter(self.threads)
        return await to_thread.run_sync(call, limiter=self._limiter)

    def run_sync(self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """:meth:`run` on the calling thread (for code that already runs in a worker thread)."""
        try:
            with transaction(self.factory) as session:
                result = work(session, *args, **kwargs)
        except UNAVAILABLE as error:
            raise self.availability.failed(error) from None
        self.availability.succeeded()
        return result
