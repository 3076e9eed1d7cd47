"""Quiz service fixtures: the study fixtures (settings, users), reused on both backends."""

from tests.service.study.conftest import make_user, settings

__all__ = ["make_user", "settings"]
