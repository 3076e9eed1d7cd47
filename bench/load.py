"""Study load: N simulated users against a real server, on SQLite (1 worker) and PostgreSQL (2 workers).

Each level (10, 50 and 200 users by default) registers and logs in its users, then runs them for a fixed
time with no think time: ``GET /study/next`` then a self-rated review or a numeric answer, each write
with an Idempotency-Key (the scenario is ``tests/load.py``). Prints req/s of the study loop, p50/p99 per
operation, every non-2xx and transport error, and checks afterwards that every acknowledged write is in
the review log exactly once. Targets, each printed PASS/FAIL:

- 0 errors and 0 lost or doubled writes at every level;
- at 50 users, p99 of the study loop <= 500 ms;
- at 200 users, throughput within 20 % of the backend's peak (degrades gracefully, never collapses).

The client is async httpx, in ``--clients`` processes (default 4; the output gives the client's CPU use
over the study phase, so a saturated client shows). One process is the bottleneck from 50 users on: timed
inside the server, ``study/next`` took p50 26 / p99 153 ms while a single client saw 806 / 3,280 ms (it
got about half a core on the shared machine), so by default four share the users. Loopback only.

    .venv/bin/python bench/load.py [--quick] [--backend sqlite|postgresql|both] [--users 10,50,200]
        [--seconds 20] [--clients 4] [--root OTHER_CHECKOUT]

``--quick``: 5 s per level. ``--root``: run the server from another checkout (e.g. an older commit
unpacked with ``git archive``), to compare old and new code side by side in one period.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.db import migrate  # noqa: E402
from service.db.session import make_engine  # noqa: E402
from tests import postgres  # noqa: E402
from tests.load import Outcome, WriteCheck, check_writes, run_users  # noqa: E402
from tests.server import running_server  # noqa: E402
from tests.sockets import ESTABLISHED, owners, sockets  # noqa: E402

CHEAP_HASHING = {"DLQUIZ_PASSWORD_HASH_TIME_COST": "1", "DLQUIZ_PASSWORD_HASH_MEMORY_KIB": "1024"}
WORKERS = {"sqlite": 1, "postgresql": 2}
P99_TARGET_MS = 500.0
P99_TARGET_USERS = 50
DEGRADATION = 0.20
SETUP_TIMEOUT_S = 300
OPERATIONS = ("next", "review", "answer")


@dataclass
class Level:
    backend: str
    users: int
    outcome: Outcome
    writes: WriteCheck
    client_cpu: float  # client CPU seconds per wall second of study, summed over client processes
    server_cpu: float  # server CPU seconds during the study phase
    # the server's open connections per worker process, halfway through the study phase
    split: list[int] = field(default_factory=list)

    @property
    def server_ms_per_request(self) -> float:
        requests = self.outcome.requests()
        return self.server_cpu * 1000 / requests if requests else float("nan")

    @property
    def rps(self) -> float:
        return self.outcome.in_window / self.outcome.seconds if self.outcome.seconds else 0.0

    def quantile_ms(self, operation: str | None, q: int) -> float:
        if operation is None:
            values = [v for op in OPERATIONS for v in self.outcome.latencies.get(op, [])]
        else:
            values = self.outcome.latencies.get(operation, [])
        if len(values) < 2:
            return float("nan")
        return statistics.quantiles(values, n=100)[q - 1] * 1000


def server_cpu_seconds(base: str) -> float:
    """CPU time used so far by the uvicorn serving ``base`` and its workers (Linux /proc): a measure of
    the work per request that the other load on a shared machine does not inflate much."""
    port = base.rsplit(":", 1)[1]
    stats: dict[int, list[str]] = {}
    parent = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        stats[int(entry.name)] = stat
        if f"--port\0{port}\0".encode() in cmdline:
            parent = int(entry.name)
    if parent is None:
        return float("nan")
    mine = [pid for pid, stat in stats.items() if pid == parent or int(stat[1]) == parent]
    ticks = sum(int(stats[pid][11]) + int(stats[pid][12]) for pid in mine)
    return ticks / os.sysconf("SC_CLK_TCK")


def connections_per_worker(base: str) -> list[int]:
    """How many connections each server process holds now, most first: keep-alive connections stay on
    the worker that accepted them, and a worker with more of them answers each one later."""
    port = int(base.rsplit(":", 1)[1])
    return sorted(owners(sockets(port, ESTABLISHED)).values(), reverse=True)


def _client(
    base: str,
    users: int,
    seconds: float,
    prefix: str,
    first: int,
    on_study: Callable[[], object] | None = None,
) -> tuple[Outcome, float]:
    # Measured over the study phase alone: during setup the client mostly waits for password hashing,
    # which made a busy client look idle.
    begin = [time.process_time(), time.perf_counter()]

    def study_begins() -> None:
        begin[:] = [time.process_time(), time.perf_counter()]
        if on_study is not None:
            on_study()

    outcome = asyncio.run(
        run_users(base, users=users, seconds=seconds, prefix=prefix, first=first, on_study=study_begins)
    )
    return outcome, (time.process_time() - begin[0]) / (time.perf_counter() - begin[1])


def run_level(
    base: str, database_url: str, *, backend: str, users: int, seconds: float, clients: int
) -> Level:
    prefix = f"load{users}x{os.getpid()}x{int(time.time())}"
    shares = [users // clients + (1 if i < users % clients else 0) for i in range(clients)]
    firsts = [sum(shares[:i]) for i in range(clients)]
    outcome = Outcome(prefix=prefix)
    cpu = 0.0
    split: list[int] = []
    server_before = [server_cpu_seconds(base)]
    # The server's CPU is measured over the study phase alone (setup hashes passwords).
    if clients == 1:

        def study_begins() -> None:
            server_before[0] = server_cpu_seconds(base)

        part, cpu = _client(base, users, seconds, prefix, 0, study_begins)
        outcome.merge(part)
    else:
        active = [(n, first) for n, first in zip(shares, firsts, strict=True) if n]
        with ProcessPoolExecutor(clients) as pool, multiprocessing.Manager() as manager:
            # every client process starts studying when all are set up, and then the count begins
            barrier = manager.Barrier(len(active) + 1, timeout=SETUP_TIMEOUT_S)
            futures = [
                pool.submit(_client, base, n, seconds, prefix, first, barrier.wait) for n, first in active
            ]
            barrier.wait()
            server_before[0] = server_cpu_seconds(base)
            halfway = threading.Timer(seconds / 2, lambda: split.extend(connections_per_worker(base)))
            halfway.start()
            for future in futures:
                part, part_cpu = future.result()
                outcome.merge(part)
                cpu += part_cpu
            halfway.join()
    server_cpu = server_cpu_seconds(base) - server_before[0]
    return Level(backend, users, outcome, check_writes(database_url, outcome), cpu, server_cpu, split)


def _database(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}"
    return postgres.create_database()


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Level]:
    url = _database(backend, workdir)
    try:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        env = {
            "DLQUIZ_DATABASE_URL": url,
            # the content of the checkout whose server runs: an older parser may refuse newer content
            "DLQUIZ_CONTENT_DIR": str(args.root / "content"),
            "DLQUIZ_LOG_LEVEL": "warning",
            **CHEAP_HASHING,
        }
        log = workdir / f"{backend}.log"
        levels = []
        # running_server also lifts the per-address login and registration limits (RELAXED_LIMITS):
        # every simulated user registers and logs in from 127.0.0.1. A 429 or 503 that still comes is
        # retried after its Retry-After (tests/load.py).
        with running_server(env, workers=WORKERS[backend], log_path=log, root=args.root) as base:
            for users in args.users:
                level = run_level(
                    base, url, backend=backend, users=users, seconds=args.seconds, clients=args.clients
                )
                report_level(level)
                levels.append(level)
        report_log(backend, log)
        return levels
    finally:
        if backend == "postgresql":
            postgres.drop_database(url)


EXCEPTION_LINE = re.compile(r"^([\w.]+(?:Error|Exception|Timeout|Exhausted))\b:?(.*)$")


def report_log(backend: str, log: Path) -> None:
    """Every distinct exception and warning in the server's log, counted."""
    seen: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = EXCEPTION_LINE.match(line)
        if match:
            seen[f"{match.group(1)}:{match.group(2)[:100]}"] += 1
        elif line.startswith(("WARNING", "ERROR", "CRITICAL")):
            seen[line[:140]] += 1
    for text, count in seen.most_common(10):
        print(f"  server log ({backend}): {count:6} x {text}")


def report_level(level: Level) -> None:
    o = level.outcome
    ops = "  ".join(
        f"{op} {len(o.latencies.get(op, []))}x p50 {level.quantile_ms(op, 50):.0f}/p99 {level.quantile_ms(op, 99):.0f} ms"
        for op in OPERATIONS
    )
    print(
        f"{level.backend:10} {level.users:4} users  {level.rps:7.1f} req/s  {ops}  "
        f"errors {o.errors()}  writes acked {level.writes.acknowledged}, lost {len(level.writes.lost)}, "
        f"doubled {len(level.writes.doubled)}, gave up {o.gave_up}  client CPU {level.client_cpu:.0%}  "
        f"server CPU {level.server_ms_per_request:.1f} ms/request",
        flush=True,
    )
    if len(level.split) > 1:
        print(f"    connections per worker halfway: {' / '.join(map(str, level.split))}")
    for failure, count in sorted(o.failures.items()):
        print(f"    {count:6} x {failure}")
    for answer, count in sorted(o.shed.items()):
        print(f"    {count:6} x {answer} with Retry-After (load shed as designed, retried)")
    if len(o.usernames) < level.users:
        print(f"    only {len(o.usernames)} of {level.users} users could register and log in")


def verdicts(levels: list[Level]) -> list[tuple[str, bool]]:
    results = []
    for backend in dict.fromkeys(level.backend for level in levels):
        mine = [level for level in levels if level.backend == backend]
        clean = all(
            lv.outcome.errors() == 0 and lv.writes.ok and len(lv.outcome.usernames) == lv.users for lv in mine
        )
        results.append((f"{backend}: 0 errors, 0 lost/doubled writes at every level", clean))
        for level in mine:
            if level.users == P99_TARGET_USERS:
                p99 = level.quantile_ms(None, 99)
                results.append(
                    (f"{backend}: p99 at 50 users {p99:.0f} ms <= {P99_TARGET_MS:.0f} ms", p99 <= 500)
                )
        peak = max(level.rps for level in mine)
        for level in mine:
            if level.users == max(lv.users for lv in mine) and len(mine) > 1:
                share = level.rps / peak if peak else 0.0
                results.append(
                    (
                        f"{backend}: {level.users} users at {share:.0%} of peak {peak:.0f} req/s (>= 80 %)",
                        share >= 1 - DEGRADATION,
                    )
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5 s per level")
    parser.add_argument("--seconds", type=float, default=None, help="study time per level (default 20)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--users", default="10,50,200", help="comma-separated levels")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose server code runs")
    args = parser.parse_args()
    args.seconds = args.seconds or (5.0 if args.quick else 20.0)
    args.users = [int(n) for n in args.users.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"bench/load.py: {args.seconds:g} s per level, client: async httpx in {args.clients} process(es), "
        f"server code: {args.root}, {os.cpu_count()} CPUs"
    )
    levels: list[Level] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            print(f"--- {backend}, {WORKERS[backend]} uvicorn worker(s)")
            levels += run_backend(backend, args, Path(tmp))
    print("--- targets")
    for text, ok in verdicts(levels):
        print(f"{'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
