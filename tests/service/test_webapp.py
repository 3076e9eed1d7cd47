"""How the browser app is served: the page with its import map and CSP, its files, and only the listed
library files, without touching the API's own routes."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.webapp import NODE_MODULES, VENDOR_CACHE_CONTROL, find_vendor, render_index
from tests import loopback
from tests.server import running_server

# Outside CI a missing node_modules skips with its reason; in CI (CI=true) these tests always run.
needs_node_modules = pytest.mark.skipif(
    not (NODE_MODULES / "chart.js").exists() and os.environ.get("CI", "").lower() != "true",
    reason="node_modules is not installed (`make web` runs npm ci)",
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A real server (the app is only ever served that way) on an empty database: no content needed."""
    env = {
        "DLQUIZ_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('webapp') / 'dlquiz.db'}",
        "DLQUIZ_SYNC_CONTENT_ON_START": "false",
    }
    with running_server(env) as base, loopback.client(base_url=base, timeout=30) as http:
        yield http


def _import_map(html: str) -> dict[str, str]:
    match = re.search(r'<script type="importmap">(.*?)</script>', html)
    assert match, "no import map in the page"
    imports: dict[str, str] = json.loads(match.group(1))["imports"]
    return imports


class TestIndex:
    def test_page_carries_the_import_map_and_a_csp_that_allows_only_it(self, client: httpx.Client) -> None:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"
        match = re.search(r'<script type="importmap">(.*?)</script>', response.text)
        assert match
        digest = base64.b64encode(hashlib.sha256(match.group(1).encode()).digest()).decode()
        policy = response.headers["content-security-policy"]
        assert f"script-src 'self' 'sha256-{digest}'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    @needs_node_modules
    def test_import_map_names_the_installed_versions(self, client: httpx.Client) -> None:
        imports = _import_map(client.get("/").text)
        version = json.loads((NODE_MODULES / "chart.js" / "package.json").read_text())["version"]
        assert imports["chart.js"] == f"/vendor/chart.js@{version}/chart.js"
        assert imports["@kurkle/color"].startswith("/vendor/@kurkle/color@")

    def test_the_template_itself_is_not_served(self, client: httpx.Client) -> None:
        assert client.get("/static/index.html").status_code == 404


class TestAppFiles:
    def test_modules_are_javascript_and_revalidated(self, client: httpx.Client) -> None:
        response = client.get("/static/js/main.js")
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
        assert response.headers["cache-control"] == "no-cache"
        etag = response.headers["etag"]
        assert client.get("/static/js/main.js", headers={"If-None-Match": etag}).status_code == 304

    def test_stylesheet_is_compressed(self, client: httpx.Client) -> None:
        response = client.get("/static/styles.css", headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip"


class TestVendor:
    @needs_node_modules
    def test_listed_files_are_served_for_a_year(self, client: httpx.Client) -> None:
        url = _import_map(client.get("/").text)["chart.js"]
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == VENDOR_CACHE_CONTROL
        assert "javascript" in response.headers["content-type"]
        # chart.js's own relative import resolves to a listed file too.
        assert client.get(url.rsplit("/", 1)[0] + "/chunks/index.js").status_code == 200

    @pytest.mark.parametrize(
        "path",
        [
            "chart.js@0.0.0/chart.js",
            "chart.js/dist/chart.cjs",
            "axe-core@4.14.1/axe.min.js",
            "../package.json",
        ],
    )
    def test_anything_else_is_a_404_in_the_api_error_shape(self, client: httpx.Client, path: str) -> None:
        response = client.get(f"/vendor/{path}")
        assert response.status_code == 404
        assert set(response.json()) == {"type", "detail"}

    def test_missing_node_modules_leaves_the_libraries_out(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="service.webapp"):
            vendor = find_vendor(tmp_path)
        assert vendor.files == {} and vendor.imports == {}
        assert "npm ci" in caplog.text
        html, _ = render_index("<head><!-- importmap --></head>", vendor.imports)
        assert _import_map(html) == {}


class TestApiUntouched:
    def test_wrong_method_on_an_api_route_is_still_its_405(self, client: httpx.Client) -> None:
        # Nothing is mounted at "/", so the API's route answers (a catch-all mount would take the request).
        response = client.post("/api/v1/decks")
        assert response.status_code == 405
        assert response.json() == {"type": "HTTPError", "detail": "Method Not Allowed"}

    def test_unknown_api_path_is_a_json_404(self, client: httpx.Client) -> None:
        response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        assert response.json()["type"] == "HTTPError"

    def test_health_and_docs_still_answer(self, client: httpx.Client) -> None:
        assert client.get("/healthz").status_code == 200
        assert client.get("/docs").status_code == 200
