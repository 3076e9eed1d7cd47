"""The study fixtures (small decks with one numeric card, users, settings), shared with interop tests."""

from tests.service.study.conftest import content, make_user, settings

__all__ = ["content", "make_user", "settings"]
