"""Rate-limit counters for logins and registrations, shared by every worker and replica.

One row per limited key (``login:user:<name>``, ``login:addr:<address>``, ``register:addr:<address>``):
how many failures it has had since its window started, and until when it is locked out. Rows live in
the database rather than in process memory so that N workers (or N replicas on one PostgreSQL) count
the same failures; a row whose window and lockout have both passed is simply reset by its next use.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base
from service.db.types import UTCDateTime


class AuthThrottle(Base):
    """Failures counted against one key since ``window_start``; locked while ``locked_until`` > now."""

    __tablename__ = "auth_throttles"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
