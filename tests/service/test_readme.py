"""README.md's generated sections match the code (run `dlquiz readme` after changing either)."""

from __future__ import annotations

from pathlib import Path

import verifier
from service import readme
from service.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_generated_sections_are_current() -> None:
    text = README.read_text()
    assert readme.render(text) == text, "README.md is out of date: run `.venv/bin/dlquiz readme`"


def test_catalog_and_settings_tables_list_everything() -> None:
    text = README.read_text()
    for generator in verifier.generators():
        assert f"| `{generator.id}` |" in text
    for name in Settings.model_fields:
        assert f"`DLQUIZ_{name.upper()}`" in text
