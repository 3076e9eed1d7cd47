"""The application factory: ``create_app(settings)`` wires the database, content, routes and handlers.

uvicorn runs it as a factory (``service.main:create_app``), so importing this module reads no settings.
Each process syncs the content on startup under a lock, so several workers starting at once serialize
and all but the first find nothing to change.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware

from service.api.errors import register_error_handlers
from service.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from service.api.router import api_router
from service.api.routes import health
from service.auth.security import PasswordHasher
from service.config import Settings, get_settings
from service.content.cache import GZIP_MINIMUM_BYTES, ContentCache
from service.content.service import load_content
from service.db import database
from service.db.session import make_engine, make_sessionmaker, sync_lock_session
from service.db.types import utcnow
from service.webapp import mount_web

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured app; ``settings`` defaults to the environment's."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.database = database.for_engine(app.state.sessionmaker, dialect=engine.dialect.name)
        if settings.sync_content_on_start:
            with sync_lock_session(app.state.sessionmaker) as session:
                report = load_content(session, settings.content_dir, now=utcnow())
            if report is not None:
                log.info(
                    "content: %d decks, %d cards (%d new, %d updated, %d archived)",
                    report.decks,
                    report.cards,
                    report.created,
                    report.updated,
                    report.archived,
                )
        app.state.content_cache = ContentCache(engine, app.state.sessionmaker)
        # Built here, not on first use: it computes the dummy hash for unknown usernames.
        app.state.password_hasher = PasswordHasher(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            concurrency=settings.resolved_password_hash_concurrency,
            wait_seconds=settings.password_hash_wait_seconds,
        )
        try:
            yield
        finally:
            app.state.content_cache.close()
            engine.dispose()

    app = FastAPI(
        title="dlquiz",
        version="0.1.0",
        summary="Interview flashcards and computed quizzes for deep-learning fundamentals.",
        lifespan=lifespan,
        docs_url=None,  # served by mount_web from swagger-ui-dist, not from a CDN
        redoc_url=None,  # ReDoc would load from a CDN; /docs covers the same ground offline
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings  # what SettingsDep hands to the routes
    # level 6 (zlib's default): level 9 took a third more time for the same size on study responses
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=6)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: its headers go on every response
    register_error_handlers(app)
    app.include_router(api_router)
    app.include_router(health.router)
    mount_web(app)  # after the API, so its routes keep their own 404s and 405s
    return app
