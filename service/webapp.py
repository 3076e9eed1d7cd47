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
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
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
SWAGGER = "swagger-ui-dist"

APP_CACHE_CONTROL = "no-cache"
VENDOR_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class VendorPackage:
    """An npm package the page loads: which of its files are served, and the one a bare import names."""

    name: str
    directory: str
    files: tuple[str, ...]
    entry: str | None  # None: loaded by a <script> or <link>, not imported


# chart.js is loaded only by the stats and settings pages; its ES build imports '@kurkle/color' by bare name.
VENDOR_PACKAGES = (
    VendorPackage(name="chart.js", directory="dist", files=("chart.js", "chunks/index.js"), entry="chart.js"),
    VendorPackage(name="@kurkle/color", directory="dist", files=("color.esm.js",), entry="color.esm.js"),
    # Swagger UI for /docs, so the API documentation works offline and under a strict CSP.
    VendorPackage(
        name=SWAGGER,
        directory="",
        files=("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
        entry=None,
    ),
)


@dataclass(frozen=True, slots=True)
class Vendor:
    """The served library files (URL path under ``/vendor/`` -> file) and the import map for them."""

    files: dict[str, Path]
    imports: dict[str, str]
    versions: dict[str, str]

    def url(self, package: str, name: str) -> str | None:
        """The versioned URL of one served file, or None when its package is not installed."""
        version = self.versions.get(package)
        return None if version is None else f"/vendor/{package}@{version}/{name}"


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
    versions: dict[str, str] = {}
    for package in VENDOR_PACKAGES:
        package_dir = node_modules / package.name
        version = _installed_version(package_dir)
        if version is None:
            log.warning("web: %s is not installed in %s (run `npm ci`)", package.name, node_modules)
            continue
        versions[package.name] = version
        prefix = f"{package.name}@{version}"
        for name in package.files:
            files[f"{prefix}/{name}"] = package_dir / package.directory / name
        if package.entry is not None:
            imports[package.name] = f"/vendor/{prefix}/{package.entry}"
    return Vendor(files=files, imports=imports, versions=versions)


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode()).digest()
    return "'sha256-" + base64.b64encode(digest).decode() + "'"


def _content_security_policy(*, inline_scripts: list[str], style_src: str = "'self'") -> str:
    """Same-origin only; the given inline scripts are allowed by hash, no others."""
    hashes = "".join(f" {_csp_hash(script)}" for script in inline_scripts)
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{hashes}",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def render_index(template: str, imports: dict[str, str]) -> tuple[str, str]:
    """``index.html`` with its import map filled in, and the Content-Security-Policy that allows it."""
    import_map = json.dumps({"imports": imports}, separators=(",", ":"))
    html = template.replace(IMPORT_MAP_PLACEHOLDER, f'<script type="importmap">{import_map}</script>')
    return html, _content_security_policy(inline_scripts=[import_map])


def render_docs(vendor: Vendor, *, openapi_url: str, title: str) -> tuple[str, str] | None:
    """The Swagger UI page on the served ``swagger-ui-dist`` files, and its Content-Security-Policy;
    None when the package is not installed.

    FastAPI's page is reused with local asset URLs; its one inline script (the ``SwaggerUIBundle`` call)
    is allowed by hash, and nothing is loaded from another origin.
    """
    script, stylesheet = vendor.url(SWAGGER, "swagger-ui-bundle.js"), vendor.url(SWAGGER, "swagger-ui.css")
    favicon = vendor.url(SWAGGER, "favicon-32x32.png")
    if script is None or stylesheet is None or favicon is None:
        return None
    page = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API documentation",
        swagger_js_url=script,
        swagger_css_url=stylesheet,
        swagger_favicon_url=favicon,
        oauth2_redirect_url=None,  # the password flow needs no redirect page
        swagger_ui_parameters={"validatorUrl": None},  # no calls to validator.swagger.io
    )
    html = bytes(page.body).decode()
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    return html, _content_security_policy(inline_scripts=inline)


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

    docs = render_docs(vendor, openapi_url=app.openapi_url or "/openapi.json", title=app.title)
    if docs is None:
        log.warning("web: /docs is off: swagger-ui-dist is not installed in %s (run `npm ci`)", node_modules)
    else:
        docs_html, docs_policy = docs
        docs_headers = {**page_headers, "Content-Security-Policy": docs_policy}

        @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
        def api_docs() -> HTMLResponse:
            return HTMLResponse(docs_html, headers=docs_headers)

    @app.api_route("/vendor/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    def web_vendor(path: str) -> FileResponse:
        file = vendor.files.get(path)
        if file is None or not file.is_file():
            raise NotFound(f"no library file '{path}'")
        return FileResponse(file, headers={"Cache-Control": VENDOR_CACHE_CONTROL})

    app.mount("/static", AppFiles(directory=web_dir), name="web")
