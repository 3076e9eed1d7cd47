"""A real uvicorn process on 127.0.0.1 for tests that talk HTTP, as a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from service.db.database import uvicorn_loop
from tests import loopback

ROOT = Path(__file__).resolve().parent.parent

# Every test client connects from 127.0.0.1 and many register and log in, so the per-address limits are
# lifted unless a test sets them (tests/service/api/routes/test_rate_limits.py does).
RELAXED_LIMITS = {
    "DLQUIZ_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    "DLQUIZ_REGISTER_MAX_PER_ADDRESS": "100000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    env: Mapping[str, str], *, workers: int = 1, log_path: Path | None = None, root: Path = ROOT
) -> Iterator[str]:
    """Start ``dlquiz``'s app under uvicorn with ``env`` (over :data:`RELAXED_LIMITS`) and yield its base
    URL; stop it afterwards.

    ``root`` is the checkout whose code runs (``bench/load.py`` compares an older one side by side).
    This checkout's server runs on the event loop ``dlquiz serve`` picks for the database; another
    checkout's on uvicorn's default, as it ran then.
    """
    port = free_port()
    environment = {**os.environ, **RELAXED_LIMITS, **env}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "service.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    if root == ROOT:
        command += ["--loop", uvicorn_loop(environment.get("DLQUIZ_DATABASE_URL", "sqlite"), workers)]
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=root, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                detail = log_path.read_text() if log_path else ""
                raise RuntimeError(f"uvicorn exited with {process.returncode}: {detail[-3000:]}")
            try:
                if loopback.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
