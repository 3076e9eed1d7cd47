"""The study fixtures (small decks with one numeric card, users, a fixed clock) for interview tests."""

from tests.service.study.conftest import content, make_user, settings

__all__ = ["content", "make_user", "settings"]
