"""What a self-hosted service meets in the wild, against real servers on both backends: unstorable text
(NUL, lone surrogates) in every kind of input, oversized bodies, wrong methods, and the security headers.
"""

from __future__ import annotations

import re
import socket
import threading
from urllib.parse import urlsplit

import httpx
import pytest

from tests.service.api.conftest import PASSWORD, register

NUL_INPUTS = [
    # (method, path, keyword arguments, the field the 422 must name)
    ("GET", "/api/v1/cards?q=%00", {}, "query parameter 'q'"),
    ("GET", "/api/v1/cards?deck=%00", {}, "query parameter 'deck'"),
    ("GET", "/api/v1/cards?tag=a%00b", {}, "query parameter 'tag'"),
    ("GET", "/api/v1/cards/%00", {}, "path parameter 'card_id'"),
    ("GET", "/api/v1/study/next?deck=%00", {}, "query parameter 'deck'"),
    ("GET", "/api/v1/questions/%00", {}, "path parameter 'question_id'"),
    ("POST", "/api/v1/generators/%00/questions", {}, "path parameter 'generator_id'"),
    (
        "POST",
        "/api/v1/questions/x%00/answers",
        {"json": {"answer": {"y": 1}}},
        "path parameter 'question_id'",
    ),
    (
        "POST",
        "/api/v1/questions/x/answers",
        {"json": {"answer": {"y\x00": 1}}},
        "body field 'answer.y\\u0000'",
    ),
    ("POST", "/api/v1/reviews", {"json": {"card_id": "a\x00", "rating": 3}}, "body field 'card_id'"),
    (
        "POST",
        "/api/v1/reviews?next=true&deck=%00",
        {"json": {"card_id": "a", "rating": 3}},
        "query parameter 'deck'",
    ),
    ("PATCH", "/api/v1/me/settings", {"json": {"timezone": "UTC\x00"}}, "body field 'timezone'"),
    (
        "POST",
        "/api/v1/auth/register",
        {"json": {"username": "ada", "password": "pass\x00word"}},
        "body field 'password'",
    ),
    (
        "POST",
        "/api/v1/auth/token",
        {"data": {"username": "ada\x00", "password": "x"}},
        "body field 'username'",
    ),
    # An unpaired surrogate can only arrive as a JSON escape; no database driver can encode it.
    (
        "POST",
        "/api/v1/reviews",
        {"content": b'{"card_id": "a\\ud800", "rating": 3}', "headers": {"content-type": "application/json"}},
        "body field 'card_id'",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"), NUL_INPUTS, ids=[f"{m} {p}" for m, p, _, _ in NUL_INPUTS]
)
def test_unstorable_text_anywhere_is_a_422_naming_the_field(
    user_client: httpx.Client, method: str, path: str, kwargs: dict[str, object], field: str
) -> None:
    response = user_client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "ValidationError"
    assert body["detail"].startswith(f"{field}: must not contain NUL characters or unpaired surrogates")


def test_anonymous_reads_with_nul_are_422_too(client: httpx.Client) -> None:
    for path, field in [("/api/v1/cards?q=%00", "q"), ("/api/v1/cards/%00", "card_id")]:
        response = client.get(path)
        assert response.status_code == 422 and f"'{field}'" in response.json()["detail"]


def _raw_request(base: str, head: bytes, body: bytes = b"", *, chunked_total: int = 0) -> tuple[int, bytes]:
    """Send a request head (and optionally a body, or ``chunked_total`` bytes in chunks from a thread)
    on a plain socket and read the status line and headers of the answer, whatever is left unsent."""
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=30)

    def send_chunks() -> None:
        chunk = b"x" * 65536
        try:
            for _ in range(chunked_total // len(chunk)):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: expected

    try:
        sock.sendall(head + body)
        sender = threading.Thread(target=send_chunks) if chunked_total else None
        if sender:
            sender.start()
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        if sender:
            sock.shutdown(socket.SHUT_RDWR)
            sender.join()
    finally:
        sock.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer


class TestBodyLimit:
    def test_a_100_mb_post_is_refused_from_its_content_length_before_it_is_sent(self, api_url: str) -> None:
        head = (
            b"POST /api/v1/auth/register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 104857600\r\n\r\n"
        )
        status, answer = _raw_request(api_url, head, b"{" + b" " * 1000)
        assert status == 413 and b"x-content-type-options: nosniff" in answer.lower()

    def test_a_chunked_body_is_cut_off_at_the_limit(self, api_url: str) -> None:
        head = (
            b"POST /api/v1/auth/register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        status, _ = _raw_request(api_url, head, chunked_total=4 * 1024 * 1024)
        assert status == 413

    def test_authentication_comes_before_the_body_on_authenticated_routes(self, api_url: str) -> None:
        head = (
            b"POST /api/v1/reviews HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        status, answer = _raw_request(api_url, head, chunked_total=4 * 1024 * 1024)
        assert status == 401 and b"www-authenticate: bearer" in answer.lower()

    def test_a_body_within_the_limit_is_read(self, client: httpx.Client) -> None:
        response = client.post("/api/v1/auth/register", json={"username": "x", "password": "p" * 500_000})
        assert response.status_code == 422  # parsed and validated, not refused for its size


def test_405_names_the_allowed_methods(client: httpx.Client) -> None:
    for method, path, allowed in [
        ("DELETE", "/api/v1/cards", "GET"),
        ("PUT", "/api/v1/auth/token", "POST"),
        ("DELETE", "/api/v1/me/settings", "GET, PATCH"),
        ("GET", "/api/v1/reviews", "POST"),
        ("POST", "/healthz", "GET"),
        ("POST", "/static/app.js", "GET, HEAD"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allowed, (method, path)
        assert response.json()["type"] == "HTTPError"


class TestHeaders:
    def test_nosniff_everywhere(self, client: httpx.Client) -> None:
        for path in [
            "/",
            "/healthz",
            "/api/v1/cards",
            "/api/v1/nothing",
            "/static/app.js",
            "/openapi.json",
            "/docs",
        ]:
            assert client.get(path).headers["x-content-type-options"] == "nosniff", path

    def test_token_and_authenticated_json_are_not_stored(self, user_client: httpx.Client) -> None:
        token = user_client.post("/api/v1/auth/token", data={"username": "nobody", "password": "wrong-pass"})
        assert token.headers["cache-control"] == "no-store"
        for path in ["/api/v1/me", "/api/v1/me/settings", "/api/v1/study/counts", "/api/v1/stats"]:
            response = user_client.get(path)
            assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path

    def test_successful_token_response_is_not_stored(self, client: httpx.Client) -> None:
        name = client.get("/api/v1/me", headers=register(client)).json()["username"]
        token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
        assert token.status_code == 200 and token.headers["cache-control"] == "no-store"


class TestOfflineDocs:
    def test_docs_reference_only_local_urls_that_answer(self, client: httpx.Client) -> None:
        page = client.get("/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(
            r"""url:\s*['"]([^'"]+)['"]""", page.text
        )
        assert any("swagger-ui-bundle.js" in url for url in urls) and any(
            "swagger-ui.css" in url for url in urls
        )
        assert not re.search(r"https?://", page.text)
        for url in urls:
            assert url.startswith("/"), url
            assert client.get(url).status_code == 200, url
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self' 'sha256-" in policy
        assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN
