"""Card API throughput against a bare FastAPI app, measured side by side in one run.

Starts the real service (a SQLite file, content synced) and a bare FastAPI app whose one route returns a
small constant JSON (``async def``: the fastest route FastAPI has, no trip to the thread pool), both under
the same uvicorn settings, loads each from loopback with the same client
(wrk when installed, otherwise an async httpx loop) and prints req/s, p50 and p99 per endpoint and each
endpoint's throughput as a share of the bare app's. Then times a content sync of 10,000 generated cards,
first run and unchanged re-run.

    .venv/bin/python bench/api.py [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.content.loader import sync_content  # noqa: E402
from service.content.parser import parse_content_dir  # noqa: E402
from service.db import migrate  # noqa: E402
from service.db.database import uvicorn_loop  # noqa: E402
from service.db.session import make_engine, make_sessionmaker  # noqa: E402
from service.db.types import utcnow  # noqa: E402
from tests import loopback  # noqa: E402

BARE_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/constant")
async def constant() -> dict[str, object]:
    return {"id": "bare", "ok": True, "n": 1}
"""


WORKERS = int(os.environ.get("DLQUIZ_WORKERS", "1"))


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn(
    app: str, env: dict[str, str], *, factory: bool, cwd: Path, health: str, loop: str
) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log", "--workers", str(WORKERS), "--loop", loop]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if loopback.get(base + health, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"{app} did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match.group(2)]


def load_wrk(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        print(out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    return Load(rps, p50, p99)


def load_httpx(url: str, *, seconds: int, connections: int, headers: dict[str, str]) -> Load:
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient, stop: float) -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append(time.perf_counter() - start)
            if response.status_code >= 400:
                raise RuntimeError(f"{url}: {response.status_code}")

    async def run() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with loopback.async_client(limits=limits, timeout=30) as client:
            begin = time.perf_counter()
            await asyncio.gather(*(worker(client, begin + seconds) for _ in range(connections)))
            return time.perf_counter() - begin

    elapsed = asyncio.run(run())
    quantiles = statistics.quantiles(latencies, n=100)
    return Load(len(latencies) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000)


def generated_content(directory: Path, *, decks: int, cards_per_deck: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for d in range(decks):
        lines = ["---", f"id: bench-{d}", f"title: Bench deck {d}", "---", ""]
        for c in range(cards_per_deck):
            lines += [
                f'{{#bench-{d}-{c} tags="bench, deck-{d}" source="DLB 5.2"}}',
                f"## What is $x_{{{c}}}^2$ in card {c}?",
                "",
                f"It is the square of $x_{{{c}}}$, written $x_{{{c}}} \\cdot x_{{{c}}}$. Nothing more.",
                "",
            ]
        (directory / f"{d:02d}-bench-{d}.md").write_text("\n".join(lines))
    return directory


def sync_timing(workdir: Path) -> tuple[float, float, float]:
    content = generated_content(workdir / "generated", decks=10, cards_per_deck=1000)
    engine = make_engine(f"sqlite:///{workdir / 'sync.db'}")
    migrate.upgrade(engine)
    factory = make_sessionmaker(engine)
    start = time.perf_counter()
    parsed = parse_content_dir(content)
    parse_seconds = time.perf_counter() - start
    timings = []
    for _ in range(2):
        start = time.perf_counter()
        parsed = parse_content_dir(content)
        with factory() as session:
            report = sync_content(session, parsed, now=utcnow())
            session.commit()
        timings.append(time.perf_counter() - start)
        assert report.cards == 10_000
    engine.dispose()
    return parse_seconds, timings[0], timings[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    client = "wrk" if shutil.which("wrk") else "httpx"
    load = load_wrk if client == "wrk" else load_httpx

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database = f"sqlite:///{workdir / 'dlquiz.db'}"
        engine = make_engine(database)
        migrate.upgrade(engine)
        engine.dispose()
        (workdir / "bare_app.py").write_text(BARE_APP)
        env = {
            "DLQUIZ_DATABASE_URL": database,
            "DLQUIZ_CONTENT_DIR": os.environ.get("DLQUIZ_CONTENT_DIR", str(ROOT / "content")),
        }
        # both on the event loop `dlquiz serve` runs for this database (service.db.database.uvicorn_loop)
        loop = uvicorn_loop(database, WORKERS)
        print(
            f"client: {client}, {args.connections} connections, {args.seconds} s per endpoint, "
            f"{WORKERS} uvicorn worker(s) each, loop {loop}"
        )
        if client == "httpx":
            print("caution: without wrk the Python client is likely the bottleneck (`make wrk` installs it)")
        with (
            uvicorn("bare_app:app", {}, factory=False, cwd=workdir, health="/constant", loop=loop) as bare,
            uvicorn(
                "service.main:create_app", env, factory=True, cwd=ROOT, health="/healthz", loop=loop
            ) as service,
        ):
            card = loopback.get(f"{service}/api/v1/cards", params={"limit": 1}).json()["items"][0]
            etag = loopback.get(f"{service}/api/v1/cards/{card['id']}").headers["etag"]
            targets = [
                ("bare app GET /constant (async)", f"{bare}/constant", {}),
                ("GET /api/v1/cards/{id}", f"{service}/api/v1/cards/{card['id']}", {}),
                (
                    "GET /api/v1/cards/{id} (304)",
                    f"{service}/api/v1/cards/{card['id']}",
                    {"If-None-Match": etag},
                ),
                ("GET /api/v1/cards?deck=", f"{service}/api/v1/cards?deck={card['deck']}", {}),
                ("GET /api/v1/decks", f"{service}/api/v1/decks", {}),
            ]
            results = []
            for name, url, headers in targets:
                load(url, seconds=1, connections=args.connections, headers=headers)  # warm up
                results.append(
                    (name, load(url, seconds=args.seconds, connections=args.connections, headers=headers))
                )
        baseline = results[0][1].rps
        print(f"{'endpoint':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
        for name, result in results:
            print(
                f"{name:34} {result.rps:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} {result.rps / baseline:8.0%}"
            )

        parse_seconds, first, again = sync_timing(workdir)
        print(
            f"content sync of 10,000 generated cards: parse alone {parse_seconds:.2f} s, first sync {first:.2f} s, unchanged re-sync {again:.2f} s"
        )


if __name__ == "__main__":
    main()
