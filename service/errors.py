"""The domain error hierarchy: services raise these, one API handler turns them into JSON.

Each error carries the HTTP status it maps to, so the handler stays a single function and no service
imports FastAPI (polar's ``PolarError`` does the same).
"""

from __future__ import annotations


class DlquizError(Exception):
    """Base of every error a client may see; ``message`` is safe to show to the person."""

    status_code: int = 500

    def __init__(
        self, message: str, *, status_code: int | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.retry_after = retry_after  # seconds, sent as ``Retry-After`` (429 and 503)


# --- lookups ---------------------------------------------------------------------------------------


class NotFound(DlquizError):
    """Raised when an id names nothing the caller may see (also for another user's data)."""

    status_code = 404


# --- conflicts and bad requests --------------------------------------------------------------------


class Conflict(DlquizError):
    """Raised when a request contradicts stored state (a reused idempotency key with another body)."""

    status_code = 409


class InvalidSubmission(DlquizError):
    """Raised when a submitted answer or request body is well-typed but not acceptable."""

    status_code = 422


class PayloadTooLarge(DlquizError):
    """Raised when an uploaded file (an Anki package) is larger than the configured limit."""

    status_code = 413


class Unauthorized(DlquizError):
    """Raised when credentials or a token are missing, wrong, expired or revoked."""

    status_code = 401


class TooManyRequests(DlquizError):
    """Raised when a username or client address is locked out after too many failed attempts."""

    status_code = 429


# --- content and scheduling ------------------------------------------------------------------------


class ContentError(DlquizError):
    """Raised when the markdown content has errors; ``issues`` lists each with file and line."""

    status_code = 500

    def __init__(self, message: str, *, issues: list[str] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class SchedulingError(DlquizError):
    """Raised when the scheduler rejects a review (an fsrs ``ValueError`` translated at the boundary)."""

    status_code = 500


# --- availability ----------------------------------------------------------------------------------


class ServiceUnavailable(DlquizError):
    """Raised when the database does not answer or stays busy; the client should retry after
    ``retry_after`` seconds (sent as ``Retry-After``)."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message, retry_after=retry_after)


# --- backups ---------------------------------------------------------------------------------------


class BackupError(DlquizError):
    """Raised when a backup cannot be taken or restored: another schema revision, a target database
    that is not empty, or a file that is not a complete dlquiz backup."""
