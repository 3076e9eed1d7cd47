"""Debian's chromium under Playwright, launched the one way the tests and ``bench/web.py`` share.

Playwright's own browser downloads are never used (no browser can be downloaded here): the Python
package's driver talks to ``/usr/bin/chromium`` from Debian's ``chromium`` package.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless chromium without any network chatter of its own."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
