"""Authoring warnings for ``dlquiz content check``: what a reviewer would flag, not what stops a load.

The parser's issues make content unloadable; these never do, and they never change the exit code.
They are deliberately cheap heuristics over parsed drafts (word counts, token sets, a few regular
expressions), so they can be wrong both ways: ``content/README.md`` says how to read each one and
lists the warnings the real decks keep on purpose.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from service.content.drafts import CardDraft

# A candidate speaks about 130-150 words a minute; 110 leaves room to breathe and for formulas.
ANSWER_WORD_LIMIT = 110
# Token-set Jaccard of two questions at or above which they probably ask the same thing. Measured on
# the decks: true duplicates reach 0.5-0.6, while contrast pairs (L1 vs L2 prior, LSTM vs GRU counts)
# reach 0.6-0.9 too, so this threshold keeps false alarms few rather than none.
QUESTION_SIMILARITY_THRESHOLD = 0.6
# Words are compared by their first letters only, a crude stemmer: "regularizer" and
# "regularization" both become "regula".
STEM_LENGTH = 6
STOP_WORDS = frozenset(
    "a an and are as at be by do does for from how in into is it its of on or than that the this to "
    "vs what when which why with you your".split()
)

_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$")
_WORD = re.compile(r"[a-z0-9]+")
# A source part is specific when it names a paper (a year), a book section or chapter, or a page.
_SPECIFIC_SOURCE = re.compile(
    r"\b(?:1[89]|20)\d{2}[a-z]?\b"  # a paper or book cited with its year: "Srivastava et al. 2014"
    r"|\bDLB\s+\d+(?:\.\d+)*\b"  # a Deep Learning Book chapter or section: "DLB 7.12"
    r"|\bch(?:apter|\.)\s*\d+"  # a chapter of another book: "Nielsen ch. 2"
    r"|§\s*\d"  # a numbered section
    r"|https?://\S+"  # a web page
    r"|\bdocs?\b|\bdocumentation\b",  # a documentation page: "PyTorch docs, torch.nn.LayerNorm"
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ContentWarning:
    """One authoring warning, located by file and 1-based line like a parser issue."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: warning: {self.message}"


def content_warnings(cards: Sequence[CardDraft]) -> list[ContentWarning]:
    """Every warning for ``cards`` (all decks at once, so duplicates across decks are found), by place."""
    found: list[ContentWarning] = []
    for card in cards:
        words = spoken_word_count(card.back_md)
        if words > ANSWER_WORD_LIMIT:
            found.append(
                ContentWarning(
                    card.path,
                    card.line,
                    f"'{card.id}': the spoken answer has {words} words (over ~{ANSWER_WORD_LIMIT}, "
                    "more than a minute); move derivations and asides under '### Detail'",
                )
            )
        for part in vague_source_parts(card.source):
            found.append(
                ContentWarning(
                    card.path,
                    card.line,
                    f"'{card.id}': source '{part}' names no paper (authors + year), book section "
                    "(DLB 7.12, ch. 2, §) or documentation page (URL, 'PyTorch docs')",
                )
            )
    ordered = sorted(cards, key=lambda card: (str(card.path), card.line))
    stems = {card.id: question_stems(card.front_md) for card in ordered}
    for first, second in itertools.combinations(ordered, 2):
        similarity = _jaccard(stems[first.id], stems[second.id])
        if similarity >= QUESTION_SIMILARITY_THRESHOLD:
            found.append(
                ContentWarning(
                    second.path,
                    second.line,
                    f"'{second.id}': question is a near-duplicate of '{first.id}' at "
                    f"{first.path}:{first.line} (word overlap {similarity:.2f} >= "
                    f"{QUESTION_SIMILARITY_THRESHOLD}); merge them or give each a distinct angle",
                )
            )
    found.sort(key=lambda warning: (str(warning.path), warning.line))
    return found


def spoken_word_count(markdown: str) -> int:
    """Words in an answer as spoken: inline math counts as one word, display math as none."""
    text = _DISPLAY_MATH.sub(" ", markdown)
    text = _INLINE_MATH.sub("formula", text)
    return len(text.split())


def question_stems(question: str) -> frozenset[str]:
    """The question's content words (no inline math, no stop words), cut to ``STEM_LENGTH`` letters."""
    text = _INLINE_MATH.sub(" ", question).lower()
    return frozenset(word[:STEM_LENGTH] for word in _WORD.findall(text) if word not in STOP_WORDS)


def question_similarity(first: str, second: str) -> float:
    """Jaccard overlap of two questions' stems: 1.0 for the same words, 0.0 for none in common."""
    return _jaccard(question_stems(first), question_stems(second))


def vague_source_parts(source: str) -> list[str]:
    """The ``;``-separated parts of a source that cite nothing checkable (no year, section or page)."""
    return [
        part for part in (p.strip() for p in source.split(";")) if part and not _SPECIFIC_SOURCE.search(part)
    ]


def _jaccard(first: frozenset[str], second: frozenset[str]) -> float:
    union = first | second
    return len(first & second) / len(union) if union else 0.0
