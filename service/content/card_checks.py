"""One card section -> a ``CardDraft``: its attribute line, question, answer, detail and key points checked,
every problem reported with its line, and the hash a sync compares.

The format is the one ``content/README.md`` documents; :mod:`service.content.parser` cuts the file
into sections and calls :func:`check_card` on each.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Collection, Sequence
from pathlib import Path

from service.content.blocks import CardSection, FileIssues, markdown_source, render_blocks, top_level_blocks
from service.content.drafts import CardDraft

CARD_ATTRIBUTES = ("id", "tags", "source", "generator")
DETAIL_TITLE = "Detail"
KEY_POINTS_TITLE = "Key points"
MAX_KEY_POINT_CHARS = 200
KEBAB_CASE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
KEBAB_HINT = "lowercase letters and digits joined by single hyphens"
# Bump when the hash input changes shape, so every card is rewritten once instead of never.
HASH_VERSION = 1

_ALLOWED_ATTRIBUTES = "#id, tags, source, generator"


def content_hash(card: CardDraft) -> str:
    """SHA-256 over every stored field, so a sync rewrites a card exactly when something changed.

    The rendered HTML is part of it: an upgrade of the renderer or of latex2mathml changes stored
    HTML without any markdown changing, and the database must pick that up too. Key points enter the
    hash only when a card has them, so cards without them keep the hash they had before the field.
    """
    payload = {
        "version": HASH_VERSION,
        "id": card.id,
        "deck": card.deck_id,
        "position": card.position,
        "front_md": card.front_md,
        "back_md": card.back_md,
        "detail_md": card.detail_md,
        "front_html": card.front_html,
        "back_html": card.back_html,
        "detail_html": card.detail_html,
        "tags": list(card.tags),
        "source": card.source,
        "generator": card.generator,
    }
    if card.key_points:
        payload["key_points"] = list(card.key_points)
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_card(
    section: CardSection,
    lines: Sequence[str],
    issues: FileIssues,
    *,
    path: Path,
    deck_id: str,
    position: int,
    known_generators: Collection[str] | None,
) -> CardDraft | None:
    """Check one card section; returns its draft when it has an id to store it under."""
    attributes = section.attributes
    card_id: str | None = None
    tags: tuple[str, ...] = ()
    source = ""
    generator: str | None = None
    if attributes is not None:
        card_id, tags, source, generator = _check_attributes(
            attributes, section.attributes_line, issues, known_generators=known_generators
        )

    heading_line = section.heading.line
    front_md = section.heading.inline.content.strip()
    if not front_md:
        issues.add(heading_line, "empty question: the '## ' heading has no text")
    back_md = markdown_source(section.back, lines)
    if not back_md:
        where = (
            f"between the '## ' heading and '### {DETAIL_TITLE}'"
            if section.detail_heading
            else "below the '## ' heading"
        )
        issues.add(heading_line, f"empty answer: write the answer {where}")
    detail_md = markdown_source(section.detail, lines)
    if section.detail_heading is not None and not detail_md:
        issues.add(section.detail_heading.line, f"empty detail: nothing follows '### {DETAIL_TITLE}'")
    key_points = _check_key_points(section, issues)

    front_html = render_blocks(section.heading.tokens[1:2], issues)
    back_html = render_blocks([t for block in section.back for t in block.tokens], issues)
    detail_html = render_blocks([t for block in section.detail for t in block.tokens], issues)
    if card_id is None:
        return None
    draft = CardDraft(
        id=card_id,
        deck_id=deck_id,
        position=position,
        front_md=front_md,
        back_md=back_md,
        detail_md=detail_md,
        front_html=front_html,
        back_html=back_html,
        detail_html=detail_html,
        tags=tags,
        source=source,
        generator=generator,
        key_points=key_points,
        content_hash="",  # hashed below, from the draft itself
        path=path,
        line=heading_line,
    )
    return dataclasses.replace(draft, content_hash=content_hash(draft))


def _check_attributes(
    attributes: dict[str, str], line: int, issues: FileIssues, *, known_generators: Collection[str] | None
) -> tuple[str | None, tuple[str, ...], str, str | None]:
    """Validate an attribute line; returns card id, tags, source and generator as far as usable."""
    for key, value in attributes.items():
        if key not in CARD_ATTRIBUTES:
            # `.name` shorthand lands under "class"; name it as the author wrote it.
            shown = " ".join(f".{name}" for name in value.split()) if key == "class" else key
            issues.add(line, f"unknown attribute '{shown}' (allowed: {_ALLOWED_ATTRIBUTES})")

    card_id = attributes.get("id")
    if card_id is None or not card_id.strip():
        issues.add(line, "missing card id: start the attribute line with #card-id")
        card_id = None
    elif not KEBAB_CASE.fullmatch(card_id):
        issues.add(line, f"card id '{card_id}' is not kebab-case ({KEBAB_HINT})")

    tags: list[str] = []
    raw_tags = attributes.get("tags")
    if raw_tags is None:
        issues.add(line, 'missing tags: add tags="tag-a, tag-b"')
    elif not raw_tags.strip():
        issues.add(line, "empty tag list: give at least one tag")
    else:
        for tag in (part.strip() for part in raw_tags.split(",")):
            if not tag:
                issues.add(line, f'empty tag in tags="{raw_tags}" (a stray comma?)')
            elif any(ch.isspace() for ch in tag):
                issues.add(
                    line, f"tag '{tag}' contains spaces: separate tags with commas, join words with hyphens"
                )
            elif not KEBAB_CASE.fullmatch(tag):
                issues.add(line, f"tag '{tag}' is not kebab-case ({KEBAB_HINT})")
            elif tag in tags:
                issues.add(line, f"duplicate tag '{tag}'")
            else:
                tags.append(tag)

    source = attributes.get("source")
    if source is None:
        issues.add(line, 'missing source: add source="DLB 7.12" (the book section or paper)')
        source = ""
    elif not source.strip():
        issues.add(line, "empty source")
    source = source.strip()

    generator = attributes.get("generator")
    if generator is not None:
        generator = generator.strip()
        if not generator:
            issues.add(line, "empty generator: leave the attribute out if the card has none")
            generator = None
        elif known_generators is not None and generator not in known_generators:
            issues.add(line, f"unknown generator '{generator}'")
    return card_id, tuple(tags), source, generator


def _check_key_points(section: CardSection, issues: FileIssues) -> tuple[str, ...]:
    """The ``### Key points`` section: exactly one bullet list, one non-empty line per point."""
    heading = section.key_points_heading
    if heading is None:
        return ()
    lists = [block for block in section.key_points if block.first.type == "bullet_list_open"]
    for block in section.key_points:
        # A stray h3 in the section was already reported where it was split off.
        if block.first.type not in ("bullet_list_open", "heading_open"):
            issues.add(
                block.line,
                f"'### {KEY_POINTS_TITLE}' holds only a bullet list ('- ' lines), one key point per line",
            )
    if len(lists) > 1:
        issues.add(lists[1].line, f"'### {KEY_POINTS_TITLE}' has more than one list: join them into one")
    if not lists:
        issues.add(
            heading.line, f"empty key points: write a '- ' line per point under '### {KEY_POINTS_TITLE}'"
        )
        return ()
    points: list[str] = []
    tokens = lists[0].tokens
    depth = 0
    for index, token in enumerate(tokens):
        depth += token.nesting if token.type in ("bullet_list_open", "bullet_list_close") else 0
        if token.type != "list_item_open" or depth != 1:
            continue
        line = token.map[0] + 1 if token.map else heading.line
        item = list(top_level_blocks(tokens[index:]))[0].tokens[1:-1]
        inlines = [t for t in item if t.type == "inline"]
        text = inlines[0].content.strip() if inlines else ""
        if len(inlines) > 1 or "\n" in text or any(t.type.endswith("_list_open") for t in item):
            issues.add(line, "a key point is one line: no continuation lines or nested lists")
        elif not text:
            issues.add(line, "empty key point")
        elif len(text) > MAX_KEY_POINT_CHARS:
            issues.add(line, f"key point longer than {MAX_KEY_POINT_CHARS} characters: split it")
        elif text in points:
            issues.add(line, f"duplicate key point '{text}'")
        else:
            points.append(text)
    return tuple(points)
