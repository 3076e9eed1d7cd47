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

import hashlib
import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it.token import Token

from service.content.drafts import CardDraft, ContentIssue, DeckDraft, ParsedContent
from service.content.render import markdown, render_tokens

DECK_FILE_GLOB = "[0-9][0-9]-*.md"
DECK_KEYS = ("id", "title", "description")
REQUIRED_DECK_KEYS = ("id", "title")
CARD_ATTRIBUTES = ("id", "tags", "source", "generator")
DETAIL_TITLE = "Detail"
KEY_POINTS_TITLE = "Key points"
MAX_KEY_POINT_CHARS = 200
KEBAB_CASE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Bump when the hash input changes shape, so every card is rewritten once instead of never.
HASH_VERSION = 1

_ALLOWED_ATTRIBUTES = "#id, tags, source, generator"
_KEBAB_HINT = "lowercase letters and digits joined by single hyphens"
_ATTRIBUTE_LINE_EXAMPLE = '{#card-id tags="tag-a, tag-b" source="DLB 7.12"}'


@dataclass(frozen=True, slots=True)
class _Block:
    """One top-level block of the token stream (an opening token through its matching close)."""

    tokens: Sequence[Token]

    @property
    def first(self) -> Token:
        return self.tokens[0]

    @property
    def line(self) -> int:
        token_map = self.first.map
        return token_map[0] + 1 if token_map else 1

    @property
    def line_span(self) -> tuple[int, int]:
        """0-based start line and exclusive end line in the file."""
        maps = [token.map for token in self.tokens if token.map is not None]
        return min(m[0] for m in maps), max(m[1] for m in maps)

    def is_heading(self, tag: str) -> bool:
        return self.first.type == "heading_open" and self.first.tag == tag

    @property
    def inline(self) -> Token:
        """The inline token of a heading: its text."""
        return self.tokens[1]


@dataclass(slots=True)
class _CardSection:
    """A ``## `` heading and what follows it, before it is checked and turned into a draft."""

    heading: _Block
    attributes: dict[str, str] | None
    attributes_line: int
    back: list[_Block] = field(default_factory=list)
    detail_heading: _Block | None = None
    detail: list[_Block] = field(default_factory=list)
    key_points_heading: _Block | None = None
    key_points: list[_Block] = field(default_factory=list)
    # Where the next block goes: the back, then whichever h3 section was opened last.
    part: str = "back"

    def add(self, block: _Block) -> None:
        {"back": self.back, "detail": self.detail, "key_points": self.key_points}[self.part].append(block)


class _Issues:
    """Collects issues for one file, so checks can report without threading lists around."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[ContentIssue] = []

    def add(self, line: int, message: str) -> None:
        self.items.append(ContentIssue(self.path, line, message))


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


def content_hash(
    *,
    card_id: str,
    deck_id: str,
    position: int,
    front_md: str,
    back_md: str,
    detail_md: str,
    front_html: str,
    back_html: str,
    detail_html: str,
    tags: Sequence[str],
    source: str,
    generator: str | None,
    key_points: Sequence[str] = (),
) -> str:
    """SHA-256 over every stored field, so a sync rewrites a card exactly when something changed.

    The rendered HTML is part of it: an upgrade of the renderer or of latex2mathml changes stored
    HTML without any markdown changing, and the database must pick that up too. Key points enter the
    hash only when a card has them, so cards without them keep the hash they had before the field.
    """
    payload = {
        "version": HASH_VERSION,
        "id": card_id,
        "deck": deck_id,
        "position": position,
        "front_md": front_md,
        "back_md": back_md,
        "detail_md": detail_md,
        "front_html": front_html,
        "back_html": back_html,
        "detail_html": detail_html,
        "tags": list(tags),
        "source": source,
        "generator": generator,
    }
    if key_points:
        payload["key_points"] = list(key_points)
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _parse_deck(
    path: Path, text: str, *, position: int, known_generators: Collection[str] | None
) -> _ParsedDeck:
    issues = _Issues(path)
    # markdown-it normalizes line endings before mapping lines; slice the same text it saw.
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    lines = text.split("\n")
    tokens = markdown().parse(text)
    blocks = list(_top_level_blocks(tokens))

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
    _render([token for block in preamble for token in block.tokens], issues)
    cards: list[CardDraft] = []
    first_place: dict[str, CardDraft] = {}
    for section in sections:
        card = _check_card(
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


def _top_level_blocks(tokens: Sequence[Token]) -> Iterator[_Block]:
    index = 0
    while index < len(tokens):
        end = index
        if tokens[index].nesting == 1:
            depth = 0
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        yield _Block(tokens[index : end + 1])
        index = end + 1


def _parse_front_matter(
    token: Token, path: Path, position: int, issues: _Issues
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
        issues.add(deck_id_line, f"deck id '{deck_id}' is not kebab-case ({_KEBAB_HINT})")
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
    blocks: Sequence[_Block], lines: Sequence[str], issues: _Issues
) -> tuple[list[_Block], list[_CardSection]]:
    """Group the blocks after the front matter into card sections, reporting structural problems.

    Also returns the blocks before the first card (each already reported), so their formulas can
    still be checked.
    """
    preamble: list[_Block] = []
    sections: list[_CardSection] = []
    pending: _Block | None = None  # an attribute line waiting for its heading
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
                _CardSection(
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


def _is_unrecognized_attribute_line(block: _Block, following: Sequence[_Block], lines: Sequence[str]) -> bool:
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


def _missing_attributes_issue(heading: _Block, lines: Sequence[str]) -> tuple[int, str]:
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


def _check_card(
    section: _CardSection,
    lines: Sequence[str],
    issues: _Issues,
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
    back_md = _source(section.back, lines)
    if not back_md:
        where = (
            f"between the '## ' heading and '### {DETAIL_TITLE}'"
            if section.detail_heading
            else "below the '## ' heading"
        )
        issues.add(heading_line, f"empty answer: write the answer {where}")
    detail_md = _source(section.detail, lines)
    if section.detail_heading is not None and not detail_md:
        issues.add(section.detail_heading.line, f"empty detail: nothing follows '### {DETAIL_TITLE}'")
    key_points = _check_key_points(section, issues)

    front_html = _render(section.heading.tokens[1:2], issues)
    back_html = _render([t for block in section.back for t in block.tokens], issues)
    detail_html = _render([t for block in section.detail for t in block.tokens], issues)
    if card_id is None:
        return None
    return CardDraft(
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
        content_hash=content_hash(
            card_id=card_id,
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
        ),
        path=path,
        line=heading_line,
    )


def _check_attributes(
    attributes: dict[str, str], line: int, issues: _Issues, *, known_generators: Collection[str] | None
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
        issues.add(line, f"card id '{card_id}' is not kebab-case ({_KEBAB_HINT})")

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
                issues.add(line, f"tag '{tag}' is not kebab-case ({_KEBAB_HINT})")
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


def _check_key_points(section: _CardSection, issues: _Issues) -> tuple[str, ...]:
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
        item = list(_top_level_blocks(tokens[index:]))[0].tokens[1:-1]
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


def _source(blocks: Sequence[_Block], lines: Sequence[str]) -> str:
    """The markdown exactly as written for a run of blocks, without trailing blank lines."""
    if not blocks:
        return ""
    start = blocks[0].line_span[0]
    end = max(block.line_span[1] for block in blocks)
    return "\n".join(lines[start:end]).rstrip()


def _render(tokens: Sequence[Token], issues: _Issues) -> str:
    result = render_tokens(tokens)
    for problem in result.problems:
        issues.add(problem.line, problem.message)
    return result.html


def _duplicate_card_message(card_id: str, other: CardDraft) -> str:
    return f"duplicate card id '{card_id}' (also at {other.path}:{other.line})"
