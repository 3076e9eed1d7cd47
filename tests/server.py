"""A real uvicorn process on 127.0.0.1 for tests that talk HTTP, as a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

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
    This checkout's server runs as ``dlquiz serve`` runs it (:mod:`service.serving`); another
    checkout's under plain uvicorn, as it ran then.
    """
    port = free_port()
    environment = {**os.environ, **RELAXED_LIMITS, **env}
    # With several workers the first answers /healthz while the others still start (each syncs the
    # content in turn), and clients that connect then all land on it: uvicorn logs each worker's
    # startup at info level, and the server counts as up when all have.
    level = "info" if workers > 1 else "warning"
    common = ["--port", str(port), "--workers", str(workers), "--log-level", level]
    if root == ROOT:
        command = [sys.executable, "-m", "service.serving", "--host", "127.0.0.1", *common, "--no-access-log"]
    else:
        command = [sys.executable, "-m", "uvicorn", "service.main:create_app", "--factory"]
        command += ["--host", "127.0.0.1", *common, "--no-access-log"]
    scratch = None
    if log_path is None:
        scratch = tempfile.TemporaryDirectory()
        log_path = Path(scratch.name) / "uvicorn.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=root, env=environment, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _started(base, log_path, workers):
            if process.poll() is not None:
                raise RuntimeError(
                    f"uvicorn exited with {process.returncode}: {log_path.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn's {workers} worker(s) did not all start within 60 s")
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
        if scratch is not None:
            scratch.cleanup()


STARTED = b"Application startup complete."


def _started(base: str, log_path: Path, workers: int) -> bool:
    """Every worker has started (the log says so) and the server answers ``/healthz``."""
    if workers > 1 and log_path.read_bytes().count(STARTED) < workers:
        return False
    try:
        return loopback.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
