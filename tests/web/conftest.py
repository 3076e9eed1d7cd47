"""Browser tests: Debian's chromium, driven by Playwright, against a real uvicorn server on 127.0.0.1.

One server (a throwaway SQLite database, the real ``content/``) and one browser serve the whole
session; each test gets a fresh browser context, so its storage (the token) starts empty. axe-core is
added to every page as an init script (not a page script, so the app's Content-Security-Policy stays on
and is tested too). Screenshots go to ``test-artifacts/``.

chromium is installed by ``make test`` with apt-get. When it is missing anyway, the tests skip with
the reason, except under CI (``CI=true``), where they fail: CI must never pass without them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize, sync_playwright

from service.db import migrate
from service.db.session import make_engine
from tests import loopback
from tests.server import running_server
from tests.web.chromium import CHROMIUM, launch_chromium

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct horse battery"
DESKTOP: ViewportSize = {"width": 1100, "height": 900}
PHONE: ViewportSize = {"width": 375, "height": 740}
ColorScheme = Literal["light", "dark"]

# Chromium logs every non-2xx fetch as a console error; those are the API answering as designed
# (a wrong password is a 401). Anything else on the console is a bug in the page.
EXPECTED_CONSOLE = re.compile(
    r"^Failed to load resource: the server responded with a status of (401|404|409|422)"
)

# Serious and critical findings of axe on the document, with the first offending nodes of each.
AXE_RUN = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
    }));
}"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def web_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The web server's SQLite database, for tests that write a history the page then shows."""
    return f"sqlite:///{tmp_path_factory.mktemp('web-db') / 'dlquiz.db'}"


@pytest.fixture(scope="session")
def web_url(
    tmp_path_factory: pytest.TempPathFactory, content_dir: Path, web_database_url: str
) -> Iterator[str]:
    """A server on a fresh, migrated SQLite database with the real content; cheap password hashing."""
    database_url = web_database_url
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {
        "DLQUIZ_DATABASE_URL": database_url,
        "DLQUIZ_CONTENT_DIR": str(content_dir),
        "DLQUIZ_PASSWORD_HASH_MEMORY_KIB": "1024",
        "DLQUIZ_PASSWORD_HASH_TIME_COST": "1",
    }
    log = tmp_path_factory.mktemp("web-server") / "uvicorn.log"
    with running_server(env, log_path=log) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)"
        if _in_ci():
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (`make test` does)")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """Uncaught errors and unexpected console errors seen while a test ran."""

    messages: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=lambda: [EXPECTED_CONSOLE])

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(pattern.match(message.text) for pattern in self.allowed):
            self.messages.append(f"console: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.messages.append(f"page error: {error}")


@dataclass
class Web:
    """What a browser test needs: the server, pages with checks attached, and API shortcuts."""

    base_url: str
    browser: Browser
    test_name: str
    problems: PageProblems = field(default_factory=PageProblems)
    contexts: list[BrowserContext] = field(default_factory=list)

    def new_page(self, *, viewport: ViewportSize = DESKTOP, color_scheme: ColorScheme = "light") -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, viewport=viewport, color_scheme=color_scheme, reduced_motion="reduce"
        )
        context.add_init_script(path=AXE)
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self.problems.on_console)
        page.on("pageerror", self.problems.on_page_error)
        return page

    def allow_console_error(self, pattern: str) -> None:
        """Accept console errors matching ``pattern`` (for a test that makes requests fail on purpose)."""
        self.problems.allowed.append(re.compile(pattern))

    def check_page(self, page: Page, name: str) -> None:
        """Screenshot the page into test-artifacts/ and require no serious or critical axe finding."""
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{self.test_name}--{name}.png", full_page=True)
        violations = page.evaluate(AXE_RUN)
        assert violations == [], f"axe on {name}:\n{json.dumps(violations, indent=2)}"

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return loopback.client(base_url=f"{self.base_url}/api/v1", headers=headers, timeout=30)

    def register(self, username: str | None = None) -> tuple[str, str]:
        """A new account made through the API: (username, token)."""
        username = username or f"user_{secrets.token_hex(4)}"
        with self.api() as client:
            client.post(
                "/auth/register", json={"username": username, "password": PASSWORD}
            ).raise_for_status()
            token = client.post("/auth/token", data={"username": username, "password": PASSWORD})
            token.raise_for_status()
        return username, str(token.json()["access_token"])

    def signed_in_page(
        self, *, viewport: ViewportSize = DESKTOP, color_scheme: ColorScheme = "light"
    ) -> tuple[Page, str, str]:
        """A page whose storage already holds a fresh account's token: (page, username, token)."""
        username, token = self.register()
        page = self.new_page(viewport=viewport, color_scheme=color_scheme)
        page.goto("/static/favicon.svg")  # same origin, but not the app, which would start without it
        page.evaluate(
            "session => localStorage.setItem('dlquiz.session', JSON.stringify(session))",
            {"token": token, "username": username, "expiresAt": None},
        )
        return page, username, token


@pytest.fixture
def web(web_url: str, browser: Browser, request: pytest.FixtureRequest) -> Iterator[Web]:
    helper = Web(base_url=web_url, browser=browser, test_name=request.node.name)
    yield helper
    for context in helper.contexts:
        context.close()
    assert helper.problems.messages == [], "\n".join(helper.problems.messages)
