"""Request and response shapes of the account API, and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]+$"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user behind a valid bearer token, and that token (logout revokes it)."""

    user_id: int
    token_id: int


class UserCreate(BaseModel):
    """A new account; the username is stored lowercase and compared case-insensitively."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON false is not the integer 0

    username: str = Field(min_length=3, max_length=32, pattern=USERNAME_PATTERN, examples=["ada"])
    password: str = Field(min_length=8, max_length=128, examples=["correct horse battery"])


class UserRead(BaseModel):
    id: int
    username: str
    created_at: datetime


class TokenRead(BaseModel):
    """An OAuth2 bearer token: send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
