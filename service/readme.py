"""The README's generated sections: the generator catalog and the settings, taken from the code.

README.md marks each section with ``<!-- BEGIN name -->`` / ``<!-- END name -->``; ``dlquiz readme``
rewrites them and a test fails when they drift, so there is never a second hand-kept copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import verifier
from service.config import PROJECT_ROOT, Settings


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "×".join(str(n) for n in shape)


def generators_markdown() -> str:
    """One table row per registered generator."""
    rows = [
        "| id | deck | title | answer fields | misconceptions recognized |",
        "|---|---|---|---|---|",
    ]
    for generator in verifier.generators():
        fields = ", ".join(
            f"`{name}` ({_shape(spec.shape)}{', int' if spec.dtype == 'int' else ''})"
            for name, spec in generator.answer_fields.items()
        )
        misconceptions = ", ".join(f"`{m.id}`" for m in generator.misconceptions)
        rows.append(
            f"| `{generator.id}` | {generator.topic} | {generator.title} | {fields} | {misconceptions} |"
        )
    return "\n".join(rows)


def settings_markdown() -> str:
    """One table row per setting, with its environment variable and default."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, Path):
            shown = f"`{default.relative_to(PROJECT_ROOT)}/` in the checkout"
        elif default is None:
            shown = "unset"
        else:
            shown = f"`{default}`"
        rows.append(f"| `{prefix}{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)


def study_settings_markdown() -> str:
    """One row per per-user study setting (``GET/PATCH /me/settings``) with a new account's value."""
    # Imported here: the settings module pulls in the database models, which the other tables do not need.
    from service.study.schemas import SettingsRead
    from service.study.settings import default_settings

    defaults = default_settings(Settings(_env_file=None), now=datetime.now(UTC)).model_dump(mode="json")
    rows = ["| setting | new account | meaning |", "|---|---|---|"]
    for name, field in SettingsRead.model_fields.items():
        value = defaults[name]
        shown = "unset" if value is None else f"`{json.dumps(value)}`"
        rows.append(f"| `{name}` | {shown} | {field.description or ''} |")
    return "\n".join(rows)


SECTIONS: dict[str, Callable[[], str]] = {
    "generators": generators_markdown,
    "settings": settings_markdown,
    "study-settings": study_settings_markdown,
}


def render(text: str) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.DOTALL)
        match = pattern.search(text)
        if match is None:
            raise ValueError(f"README has no generated section '{name}'")
        text = text[: match.start()] + match.group(1) + make() + "\n" + match.group(2) + text[match.end() :]
    return text


def update(path: Path) -> bool:
    """Rewrite the generated sections of ``path``; True when anything changed."""
    old = path.read_text()
    new = render(old)
    if new != old:
        path.write_text(new)
    return new != old
