"""The pieces a deck file is cut into: top-level blocks of its markdown-it token stream, card sections,
and the issues found in the file.

Shared by the parser, which cuts a file into card sections, and the card checks, which turn a section
into a draft; both report through :class:`FileIssues`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it.token import Token

from service.content.drafts import ContentIssue
from service.content.render import render_tokens


@dataclass(frozen=True, slots=True)
class Block:
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
class CardSection:
    """A ``## `` heading and what follows it, before it is checked and turned into a draft."""

    heading: Block
    attributes: dict[str, str] | None
    attributes_line: int
    back: list[Block] = field(default_factory=list)
    detail_heading: Block | None = None
    detail: list[Block] = field(default_factory=list)
    key_points_heading: Block | None = None
    key_points: list[Block] = field(default_factory=list)
    # Where the next block goes: the back, then whichever h3 section was opened last.
    part: str = "back"

    def add(self, block: Block) -> None:
        {"back": self.back, "detail": self.detail, "key_points": self.key_points}[self.part].append(block)


class FileIssues:
    """Collects issues for one file, so checks can report without threading lists around."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[ContentIssue] = []

    def add(self, line: int, message: str) -> None:
        self.items.append(ContentIssue(self.path, line, message))


def top_level_blocks(tokens: Sequence[Token]) -> Iterator[Block]:
    """The stream cut at depth 0: each opening token with everything up to its matching close."""
    index = 0
    while index < len(tokens):
        end = index
        if tokens[index].nesting == 1:
            depth = 0
            for end in range(index, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        yield Block(tokens[index : end + 1])
        index = end + 1


def markdown_source(blocks: Sequence[Block], lines: Sequence[str]) -> str:
    """The markdown exactly as written for a run of blocks, without trailing blank lines."""
    if not blocks:
        return ""
    start = blocks[0].line_span[0]
    end = max(block.line_span[1] for block in blocks)
    return "\n".join(lines[start:end]).rstrip()


def render_blocks(tokens: Sequence[Token], issues: FileIssues) -> str:
    """HTML for ``tokens``; what the renderer could not render (bad math) becomes an issue of the file."""
    result = render_tokens(tokens)
    for problem in result.problems:
        issues.add(problem.line, problem.message)
    return result.html
