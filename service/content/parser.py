"""Decks in ``content/`` -> ``DeckDraft``/``CardDraft`` values, and every problem found, with its line.

The format is the one ``content/README.md`` documents. Each file is parsed once into a single
markdown-it token stream (front matter, ``{...}`` attribute lines and dollar math come from
mdit-py-plugins); cards are cut out of the top-level blocks of that stream, so the parser never
disagrees with the renderer about where a heading, a code fence or a formula starts and ends.

Authors fix content in batches, so nothing here stops at the first problem: every check runs and
every issue is collected with its file and 1-based line. Drafts are returned even when issues were
found (cross-file checks such as duplicate ids need them); whoever loads content must load nothing
unless the issue list is empty.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it.token import Token

from service.content.blocks import Block, CardSection, FileIssues, render_blocks, top_level_blocks
from service.content.card_checks import (
    DETAIL_TITLE,
    KEBAB_CASE,
    KEBAB_HINT,
    KEY_POINTS_TITLE,
    check_card,
)
from service.content.drafts import CardDraft, ContentIssue, DeckDraft, ParsedContent
from service.content.render import markdown

DECK_FILE_GLOB = "[0-9][0-9]-*.md"
DECK_KEYS = ("id", "title", "description")
REQUIRED_DECK_KEYS = ("id", "title")

_ATTRIBUTE_LINE_EXAMPLE = '{#card-id tags="tag-a, tag-b" source="DLB 7.12"}'


@dataclass(slots=True)
class _ParsedDeck:
    deck: DeckDraft | None
    deck_id_line: int
    cards: list[CardDraft]
    issues: list[ContentIssue]


def parse_deck(
    path: Path,
    text: str,
    *,
    position: int,
    known_generators: Collection[str] | None = None,
) -> tuple[DeckDraft | None, list[CardDraft], list[ContentIssue]]:
    """Parse one deck file's text; ``path`` is only used to locate issues and drafts.

    The deck is ``None`` when its front matter has no usable id and title; its cards are still
    parsed and returned (with ``deck_id`` taken from the front matter as far as it goes) so that
    every problem shows in one run. Card positions count from 0 in file order. Issues come back
    sorted by line. ``known_generators``, when given, is the set of verifier generator ids a card's
    ``generator`` attribute may name.
    """
    parsed = _parse_deck(path, text, position=position, known_generators=known_generators)
    return parsed.deck, parsed.cards, parsed.issues


def parse_content_dir(directory: Path, *, known_generators: Collection[str] | None = None) -> ParsedContent:
    """Parse every deck file (``NN-name.md``) in ``directory``, in file-name order.

    Deck positions count from 0 in that order. On top of the per-file checks this reports deck and
    card ids used in more than one file, at every place they occur. ``README.md`` and any other
    file without the two-digit prefix is not a deck.
    """
    if not directory.is_dir():
        return ParsedContent(issues=[ContentIssue(directory, 1, "content directory does not exist")])
    result = ParsedContent()
    deck_places: dict[str, list[tuple[Path, int]]] = {}
    for position, path in enumerate(sorted(p for p in directory.glob(DECK_FILE_GLOB) if p.is_file())):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            result.issues.append(ContentIssue(path, 1, f"file is not valid UTF-8 ({exc.reason})"))
            continue
        parsed = _parse_deck(path, text, position=position, known_generators=known_generators)
        if parsed.deck is not None:
            result.decks.append(parsed.deck)
            deck_places.setdefault(parsed.deck.id, []).append((path, parsed.deck_id_line))
        result.cards.extend(parsed.cards)
        result.issues.extend(parsed.issues)

    for deck_id, places in deck_places.items():
        for path, line in places:
            for other_path, other_line in places:
                if other_path != path:
                    result.issues.append(
                        ContentIssue(
                            path, line, f"duplicate deck id '{deck_id}' (also at {other_path}:{other_line})"
                        )
                    )
    card_places: dict[str, list[CardDraft]] = {}
    for card in result.cards:
        card_places.setdefault(card.id, []).append(card)
    for card_id, cards in card_places.items():
        # Duplicates inside one file were already reported by that file's parse.
        for card in cards:
            for other in cards:
                if other.path != card.path:
                    result.issues.append(
                        ContentIssue(card.path, card.line, _duplicate_card_message(card_id, other))
                    )
    result.issues.sort(key=lambda issue: (str(issue.path), issue.line))
    return result


def _parse_deck(
    path: Path, text: str, *, position: int, known_generators: Collection[str] | None
) -> _ParsedDeck:
    issues = FileIssues(path)
    # markdown-it normalizes line endings before mapping lines; slice the same text it saw.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    lines = text.split("\n")
    tokens = markdown().parse(text)
    blocks = list(top_level_blocks(tokens))

    deck: DeckDraft | None = None
    deck_id = ""
    deck_id_line = 1
    if blocks and blocks[0].first.type == "front_matter":
        deck, deck_id, deck_id_line = _parse_front_matter(blocks[0].first, path, position, issues)
        blocks = blocks[1:]
    elif lines and lines[0].strip() == "---":
        issues.add(1, "front matter is not closed: add a '---' line after its last key")
    else:
        issues.add(1, "missing front matter: a deck starts with '---', 'id:' and 'title:' lines, then '---'")

    preamble, sections = _split_cards(blocks, lines, issues)
    render_blocks([token for block in preamble for token in block.tokens], issues)
    cards: list[CardDraft] = []
    first_place: dict[str, CardDraft] = {}
    for section in sections:
        card = check_card(
            section,
            lines,
            issues,
            path=path,
            deck_id=deck_id,
            position=len(cards),
            known_generators=known_generators,
        )
        if card is None:
            continue
        if (first := first_place.get(card.id)) is not None:
            issues.add(first.line, _duplicate_card_message(card.id, card))
            issues.add(card.line, _duplicate_card_message(card.id, first))
        else:
            first_place[card.id] = card
        cards.append(card)

    issues.items.sort(key=lambda issue: issue.line)
    return _ParsedDeck(deck, deck_id_line, cards, issues.items)


def _parse_front_matter(
    token: Token, path: Path, position: int, issues: FileIssues
) -> tuple[DeckDraft | None, str, int]:
    """Check the YAML between the ``---`` lines; returns the deck, its id as far as usable, the id's line."""
    # The YAML starts on the file's second line; node marks count from 0.
    first_yaml_line = 2
    try:
        root = yaml.compose(token.content, Loader=yaml.SafeLoader)
        data = yaml.safe_load(token.content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + first_yaml_line if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        issues.add(line, f"front matter is not valid YAML: {problem}")
        return None, "", 1
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        issues.add(1, "front matter must be 'key: value' lines (id, title, description)")
        return None, "", 1

    key_lines: dict[str, int] = {}
    for key_node, _value_node in root.value:
        key = str(key_node.value)
        line = key_node.start_mark.line + first_yaml_line
        if key in key_lines:
            issues.add(line, f"duplicate front-matter key '{key}'")
        key_lines.setdefault(key, line)
        if key not in DECK_KEYS:
            issues.add(line, f"unknown front-matter key '{key}' (allowed: {', '.join(DECK_KEYS)})")

    values: dict[str, str] = {}
    for key in DECK_KEYS:
        if key not in data:
            if key in REQUIRED_DECK_KEYS:
                issues.add(1, f"front matter has no '{key}'")
            continue
        value = data[key]
        line = key_lines.get(key, 1)
        if not isinstance(value, str):
            issues.add(line, f"front-matter '{key}' must be text, not {type(value).__name__}")
        elif not value.strip() and key in REQUIRED_DECK_KEYS:
            issues.add(line, f"front-matter '{key}' is empty")
        else:
            values[key] = value.strip()

    deck_id = values.get("id", "")
    deck_id_line = key_lines.get("id", 1)
    if deck_id and not KEBAB_CASE.fullmatch(deck_id):
        issues.add(deck_id_line, f"deck id '{deck_id}' is not kebab-case ({KEBAB_HINT})")
    if not deck_id or "title" not in values:
        return None, deck_id, deck_id_line
    deck = DeckDraft(
        id=deck_id,
        title=values["title"],
        description=values.get("description", ""),
        position=position,
        path=path,
    )
    return deck, deck_id, deck_id_line


def _split_cards(
    blocks: Sequence[Block], lines: Sequence[str], issues: FileIssues
) -> tuple[list[Block], list[CardSection]]:
    """Group the blocks after the front matter into card sections, reporting structural problems.

    Also returns the blocks before the first card (each already reported), so their formulas can
    still be checked.
    """
    preamble: list[Block] = []
    sections: list[CardSection] = []
    pending: Block | None = None  # an attribute line waiting for its heading
    for index, block in enumerate(blocks):
        first = block.first
        if first.type == "attrs_block":
            if pending is not None:
                issues.add(
                    pending.line, "two attribute lines in a row: put all of a card's attributes on one line"
                )
            pending = block
            continue
        if pending is not None and not block.is_heading("h2"):
            issues.add(pending.line, "attribute line is not followed by a '## ' card heading")
            pending = None

        if block.is_heading("h2"):
            attributes = None if pending is None else {str(k): str(v) for k, v in pending.first.attrs.items()}
            if pending is None:
                issues.add(*_missing_attributes_issue(block, lines))
            sections.append(
                CardSection(
                    heading=block,
                    attributes=attributes,
                    attributes_line=block.line if pending is None else pending.line,
                )
            )
            pending = None
            continue

        current = sections[-1] if sections else None
        if block.is_heading("h1"):
            issues.add(
                block.line,
                f"level-1 heading '# {block.inline.content}' inside a deck: the deck title goes in the "
                "front matter, and a card question is a '## ' heading",
            )
        elif current is None:
            if not _is_unrecognized_attribute_line(block, blocks[index + 1 : index + 2], lines):
                issues.add(
                    block.line,
                    "text outside any card: after the front matter a deck holds only cards, "
                    f"each an attribute line {_ATTRIBUTE_LINE_EXAMPLE} above a '## ' question",
                )
        elif block.is_heading("h3"):
            title = block.inline.content.strip()
            if title == DETAIL_TITLE and current.detail_heading is None:
                current.detail_heading = block
                current.part = "detail"
                continue
            if title == KEY_POINTS_TITLE and current.key_points_heading is None:
                current.key_points_heading = block
                current.part = "key_points"
                continue
            if title in (DETAIL_TITLE, KEY_POINTS_TITLE):
                issues.add(block.line, f"second '### {title}' heading in one card")
            else:
                issues.add(
                    block.line,
                    f"unexpected h3 '{title}': the only h3 a card may have are '### {DETAIL_TITLE}' "
                    f"and '### {KEY_POINTS_TITLE}'",
                )
        if current is None:
            preamble.append(block)
        else:
            current.add(block)
    if pending is not None:
        issues.add(pending.line, "attribute line is not followed by a '## ' card heading")
    return preamble, sections


def _looks_like_attribute_line(line: str) -> bool:
    line = line.strip()
    return line.startswith("{") and line.endswith("}")


def _is_unrecognized_attribute_line(block: Block, following: Sequence[Block], lines: Sequence[str]) -> bool:
    """A one-line paragraph `{...}` right above a heading: the heading reports it, more precisely."""
    start, end = block.line_span
    return (
        block.first.type == "paragraph_open"
        and end - start == 1
        and _looks_like_attribute_line(lines[start])
        and bool(following)
        and following[0].is_heading("h2")
        and following[0].line == end + 1
    )


def _missing_attributes_issue(heading: Block, lines: Sequence[str]) -> tuple[int, str]:
    heading_index = heading.line - 1
    if heading_index > 0 and _looks_like_attribute_line(lines[heading_index - 1]):
        # Written, but markdown-it read it as paragraph text: glued to the text above, or unparsable.
        return (
            heading_index,
            "attribute line not recognized: it needs a blank line above it and the form "
            f"{_ATTRIBUTE_LINE_EXAMPLE} (quote every value that has characters other than letters, digits, - _ :)",
        )
    return (
        heading.line,
        f"card heading '## {heading.inline.content}' has no attribute line above it "
        f"(a card needs one, e.g. {_ATTRIBUTE_LINE_EXAMPLE})",
    )


def _duplicate_card_message(card_id: str, other: CardDraft) -> str:
    return f"duplicate card id '{card_id}' (also at {other.path}:{other.line})"
