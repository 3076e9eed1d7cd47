"""``dlquiz login`` and ``dlquiz study`` against real uvicorn servers on both backends: keys fed through
Typer's CliRunner (the client's stream key reader), one session in a real pseudo-terminal (its
terminal key reader), and a review whose connection drops after the server got it, retried once with
the same Idempotency-Key and logged once."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from service.cli import app
from service.db.models import Card, ReviewLog
from service.db.session import make_engine
from tests import loopback
from tests.service.api.conftest import PASSWORD, StudyServer, register

DLQUIZ = str(Path(sys.executable).parent / "dlquiz")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def config_home(tmp_path: Path) -> dict[str, str]:
    """A private config directory for the client's credentials file."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "COLUMNS": "100", "NO_COLOR": "1"}


def _login(server: str, base_url: str, env: dict[str, str]) -> str:
    """A fresh account registered on ``base_url``, logged in with ``dlquiz login --server server``."""
    username = f"tui-{uuid.uuid4().hex[:10]}"
    with loopback.client(base_url=base_url, timeout=30) as http:
        register(http, username)
    result = CliRunner().invoke(
        app, ["login", "--server", server, "--username", username, "--password", PASSWORD], env=env
    )
    assert result.exit_code == 0, result.output
    return username


def _logs(database_url: str, username: str) -> list[tuple[str, int, bool, str | None]]:
    """The user's review log: (card id, rating, undone, misconception), in order."""
    from service.db.models import User

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                sql_select(Card.id, ReviewLog.rating, ReviewLog.undone, ReviewLog.misconception)
                .join(Card, Card.key == ReviewLog.card_key)
                .join(User, User.id == ReviewLog.user_id)
                .where(User.username == username)
                .order_by(ReviewLog.id)
            ).all()
            return [(card, rating, undone, misconception) for card, rating, undone, misconception in rows]
    finally:
        engine.dispose()


class TestLogin:
    def test_token_file_is_private_and_a_wrong_password_is_refused(
        self, study_server: StudyServer, config_home: dict[str, str]
    ) -> None:
        _login(study_server.url, study_server.url, config_home)
        path = Path(config_home["XDG_CONFIG_HOME"]) / "dlquiz" / "credentials.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        refused = CliRunner().invoke(
            app,
            ["login", "--server", study_server.url, "--username", "nobody-x", "--password", "wrong-password"],
            env=config_home,
        )
        assert refused.exit_code == 1 and "login failed: incorrect username or password" in refused.output

    def test_study_without_login_says_what_to_do(self, config_home: dict[str, str]) -> None:
        result = CliRunner().invoke(app, ["study"], env=config_home)
        assert result.exit_code == 1 and "dlquiz login --server URL" in result.output


class TestStudy:
    def test_reveal_rate_undo_and_a_numeric_question(
        self, study_server: StudyServer, config_home: dict[str, str]
    ) -> None:
        username = _login(study_server.url, study_server.url, config_home)
        keys = (
            " 3"  # a-one: reveal, Good
            " u"  # a-two: reveal, then undo a-one's review: a-one is new again and comes first
            " 3"  # a-one again
            " 4"  # a-two: Easy
            "abc\n0.3679\n0.6321\n"  # a-num: a typo is refused, then 1/e for a finite n: a misconception
            " "  # continue
            " 3"  # a-three
            "q"
        )
        result = CliRunner().invoke(app, ["study", "--deck", "alpha"], input=keys, env=config_home)
        assert result.exit_code == 0, result.output
        out = result.output
        assert "What is a test card?" in out and "A card written by the test suite." in out
        assert re.search(r"1\s+Again 1m\s+2\s+Hard \S+\s+3\s+Good 10m\s+4\s+Easy \S+", out), out
        assert "Undid the review of a-one." in out
        assert '"abc" is not a number' in out
        assert "missing_fraction (a number):" in out
        assert "Misconception: bagging.limit-for-finite-n" in out and "worked solution" in out
        assert "Session: 5 reviews, 1 undone." in out
        assert _logs(study_server.database_url, username) == [
            ("a-one", 3, True, None),
            ("a-one", 3, False, None),
            ("a-two", 4, False, None),
            # The second field, right given the wrong first one, is credited (error carried forward):
            # partial credit, so Hard (reviews.rating_for_grade).
            ("a-num", 2, False, "bagging.limit-for-finite-n"),
            ("a-three", 3, False, None),
        ]

    def test_a_real_terminal_reads_single_keys(
        self, study_server: StudyServer, config_home: dict[str, str]
    ) -> None:
        username = _login(study_server.url, study_server.url, config_home)
        primary, secondary = pty.openpty()
        process = subprocess.Popen(
            [DLQUIZ, "study", "--deck", "beta"],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env={**os.environ, **config_home, "TERM": "xterm"},
            close_fds=True,
        )
        os.close(secondary)
        screen = ""

        def until(text: str) -> None:
            nonlocal screen
            deadline = time.monotonic() + 60
            while text not in ANSI.sub("", screen):
                assert time.monotonic() < deadline, f"waited for {text!r}; screen:\n{screen}"
                ready, _, _ = select.select([primary], [], [], 0.5)
                if ready:
                    try:
                        screen += os.read(primary, 65536).decode("utf-8", errors="replace")
                    except OSError:  # the child closed the terminal
                        break

        try:
            until("Space reveal")
            os.write(primary, b" ")  # no Enter: the terminal is in cbreak mode
            until("Again")
            os.write(primary, b"3")
            until("Good: next in 10m.")
            os.write(primary, b"q")
            until("Session: 1 review, 0 undone.")
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
            os.close(primary)
        assert _logs(study_server.database_url, username) == [("b-one", 3, False, None)]


class DroppingProxy:
    """A loopback TCP proxy that forwards everything, except that it closes the client's connection
    instead of answering the first ``POST /api/v1/reviews``: the server has the request, the client
    never sees the response (as when a connection dies on the way back)."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.dropped = threading.Event()
        self.review_requests: list[bytes] = []
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        drop_next_response = threading.Event()

        def client_to_upstream() -> None:
            try:
                while data := client.recv(65536):
                    if b"POST /api/v1/reviews" in data:
                        self.review_requests.append(data)
                        if not self.dropped.is_set():
                            self.dropped.set()
                            drop_next_response.set()
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                upstream.close()

        threading.Thread(target=client_to_upstream, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                if drop_next_response.is_set():
                    break  # the server answered; the client never hears it
                client.sendall(data)
        except OSError:
            pass
        finally:
            # shutdown, not just close: it wakes the other pump's recv and sends the client a FIN now
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def proxy(study_server: StudyServer) -> Iterator[DroppingProxy]:
    proxy = DroppingProxy(study_server.url)
    yield proxy
    proxy.close()


def test_a_review_lost_on_the_way_back_is_retried_with_its_key_and_logged_once(
    study_server: StudyServer, proxy: DroppingProxy, config_home: dict[str, str]
) -> None:
    username = _login(proxy.url, study_server.url, config_home)
    result = CliRunner().invoke(app, ["study", "--deck", "beta"], input=" 3q", env=config_home)
    assert result.exit_code == 0, result.output
    assert proxy.dropped.is_set() and len(proxy.review_requests) == 2
    keys = {re.search(rb"idempotency-key: (\S+)", r, re.IGNORECASE).group(1) for r in proxy.review_requests}  # type: ignore[union-attr]
    assert len(keys) == 1  # the retry carried the same key
    assert "Good: next in 10m." in result.output
    assert _logs(study_server.database_url, username) == [("b-one", 3, False, None)]
