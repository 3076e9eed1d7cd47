"""The browser app: plain ES modules from ``service/web`` plus the few library files they load from npm.

There is no build step: the app's modules are served as they are in the repository, under ``/static``,
and revalidated on every load (``no-cache`` with ETags), so a deploy is picked up at once. Library code
comes only from ``node_modules`` (installed by ``npm ci`` from ``package-lock.json``); only the files
listed in :data:`VENDOR_PACKAGES` are served, under ``/vendor/<package>@<version>/``. Because the URL
names the installed version, those files are cached for a year and an upgrade is simply a new URL.

The page's import map, which resolves the libraries' bare specifiers (``chart.js``, and the
``@kurkle/color`` that chart.js imports), is written into ``index.html`` once at startup with those
versioned URLs; its hash goes into the Content-Security-Policy, which allows no other inline script.

Nothing is mounted at ``/`` as a catch-all: ``/`` is one route, and the static trees are mounted under
their own prefixes, so the API's own 404s and 405s (with ``Allow``) are untouched.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from service.config import PROJECT_ROOT
from service.errors import NotFound

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
NODE_MODULES = PROJECT_ROOT / "node_modules"
IMPORT_MAP_PLACEHOLDER = "<!-- importmap -->"

APP_CACHE_CONTROL = "no-cache"
VENDOR_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class VendorPackage:
    """An npm package the page loads: which of its files are served, and the one a bare import names."""

    name: str
    directory: str
    files: tuple[str, ...]
    entry: str


# chart.js is loaded only by the stats and settings pages; its ES build imports '@kurkle/color' by bare name.
VENDOR_PACKAGES = (
    VendorPackage(name="chart.js", directory="dist", files=("chart.js", "chunks/index.js"), entry="chart.js"),
    VendorPackage(name="@kurkle/color", directory="dist", files=("color.esm.js",), entry="color.esm.js"),
)


@dataclass(frozen=True, slots=True)
class Vendor:
    """The served library files (URL path under ``/vendor/`` -> file) and the import map for them."""

    files: dict[str, Path]
    imports: dict[str, str]


def _installed_version(package_dir: Path) -> str | None:
    try:
        manifest = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = manifest.get("version")
    return version if isinstance(version, str) else None


def find_vendor(node_modules: Path) -> Vendor:
    """The listed library files that are installed; a missing package is logged and left out."""
    files: dict[str, Path] = {}
    imports: dict[str, str] = {}
    for package in VENDOR_PACKAGES:
        package_dir = node_modules / package.name
        version = _installed_version(package_dir)
        if version is None:
            log.warning("web: %s is not installed in %s (run `npm ci`)", package.name, node_modules)
            continue
        prefix = f"{package.name}@{version}"
        for name in package.files:
            files[f"{prefix}/{name}"] = package_dir / package.directory / name
        imports[package.name] = f"/vendor/{prefix}/{package.entry}"
    return Vendor(files=files, imports=imports)


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def render_index(template: str, imports: dict[str, str]) -> tuple[str, str]:
    """``index.html`` with its import map filled in, and the Content-Security-Policy that allows it."""
    import_map = json.dumps({"imports": imports}, separators=(",", ":"))
    html = template.replace(IMPORT_MAP_PLACEHOLDER, f'<script type="importmap">{import_map}</script>')
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {_csp_hash(import_map)}",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return html, policy


class AppFiles(StaticFiles):
    """The app's own modules and stylesheet, revalidated on each load (ETag / Last-Modified)."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = APP_CACHE_CONTROL
        return response

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path == "index.html":  # the template; the page itself is served at /
            raise NotFound("not found")
        return await super().get_response(path, scope)


def mount_web(app: FastAPI, *, web_dir: Path = WEB_DIR, node_modules: Path = NODE_MODULES) -> None:
    """Serve the app at ``/``, its files under ``/static`` and the library files under ``/vendor``."""
    vendor = find_vendor(node_modules)
    html, policy = render_index((web_dir / "index.html").read_text(encoding="utf-8"), vendor.imports)
    page_headers = {
        "Cache-Control": APP_CACHE_CONTROL,
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def web_index() -> HTMLResponse:
        return HTMLResponse(html, headers=page_headers)

    @app.api_route("/vendor/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def web_vendor(path: str) -> FileResponse:
        file = vendor.files.get(path)
        if file is None or not file.is_file():
            raise NotFound(f"no library file '{path}'")
        return FileResponse(file, headers={"Cache-Control": VENDOR_CACHE_CONTROL})

    app.mount("/static", AppFiles(directory=web_dir), name="web")
