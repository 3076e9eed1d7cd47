"""This process's SQLite writers take the write lock in turn, first come first served.

SQLite lets one connection write at a time. A ``BEGIN IMMEDIATE`` that finds the lock taken sleeps in
SQLite's busy handler and tries again, with sleeps growing to 100 ms: a writer that has waited long
sleeps through the moments the lock is free, while newer writers, still on short sleeps, take it. At
50 users on one worker (``bench/load.py``, four client processes) that made a review's
``BEGIN IMMEDIATE`` wait 10 ms at the median, 1.1 s at p99 and 3 s at worst, and the worker threads
sleeping in it kept the rest of the requests queued.

So the writers of one process queue here instead, each woken as the one before it ends its
transaction: the wait is the time the writers ahead of it need, in order. The gate only orders one
process's threads; SQLite's lock and busy timeout still order the processes (several uvicorn workers,
a ``dlquiz content sync``), so correctness never depends on it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque

from sqlalchemy import exc


class WriteGate:
    """A FIFO lock: :meth:`acquire` waits behind every earlier caller, :meth:`release` wakes the next.

    ``threading.Lock`` wakes an arbitrary waiter (whichever thread the OS runs first), so each waiter
    gets a lock of its own, held until it is handed the gate.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self) -> None:
        """Wait for the gate; after ``timeout_s`` it is SQLite's "database is locked" (a 503)."""
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=self.timeout_s):
            return  # handed over by release(); the gate stays held
        with self._mutex:
            try:
                self._waiters.remove(turn)
            except ValueError:  # handed over just as the wait timed out: ours after all
                return
        raise exc.OperationalError(
            "BEGIN IMMEDIATE",
            None,
            sqlite3.OperationalError("database is locked (waited for this process's earlier writers)"),
        )

    def try_acquire(self) -> bool:
        """Take the gate if it is open and nobody waits for it; never waits."""
        with self._mutex:
            if self._held:
                return False
            self._held = True
            return True

    @property
    def queued(self) -> int:
        """Callers waiting now (for tests and diagnostics)."""
        with self._mutex:
            return len(self._waiters)

    def release(self) -> None:
        """Hand the gate to the longest waiting caller, or open it."""
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False
