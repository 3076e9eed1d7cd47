"""Authoring warnings: long answers, near-duplicate questions, sources that cite nothing checkable."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.content.drafts import CardDraft
from service.content.lint import (
    ANSWER_WORD_LIMIT,
    QUESTION_SIMILARITY_THRESHOLD,
    content_warnings,
    question_similarity,
    spoken_word_count,
    vague_source_parts,
)
from service.content.parser import parse_content_dir
from service.content.service import check_content
from tests.factories import CardSpec, DeckSpec, write_decks


def cards_of(tmp_path: Path, *decks: DeckSpec) -> list[CardDraft]:
    parsed = parse_content_dir(write_decks(tmp_path / "content", list(decks)))
    assert parsed.issues == []
    return parsed.cards


def words(count: int) -> str:
    return " ".join(["word"] * (count - 1)) + " end."


class TestLongAnswer:
    def test_an_answer_over_the_limit_is_warned_at_its_heading(self, tmp_path: Path) -> None:
        cards = cards_of(
            tmp_path,
            DeckSpec(
                "alpha",
                cards=[
                    CardSpec("a-short", back=words(ANSWER_WORD_LIMIT)),
                    CardSpec("a-long", front="Why is this long?", back=words(ANSWER_WORD_LIMIT + 1)),
                ],
            ),
        )
        warnings = content_warnings(cards)
        long_card = cards[1]
        assert [str(w) for w in warnings] == [
            f"{long_card.path}:{long_card.line}: warning: 'a-long': the spoken answer has "
            f"{ANSWER_WORD_LIMIT + 1} words (over ~{ANSWER_WORD_LIMIT}, more than a minute); move "
            "derivations and asides under '### Detail'"
        ]

    def test_detail_does_not_count_and_formulas_count_as_one_word(self, tmp_path: Path) -> None:
        back = words(ANSWER_WORD_LIMIT - 1) + " $\\frac{a + b}{c + d} = e + f$"
        cards = cards_of(
            tmp_path,
            DeckSpec("alpha", cards=[CardSpec("a-card", back=back, detail=words(500))]),
        )
        assert content_warnings(cards) == []

    def test_display_math_is_not_spoken(self) -> None:
        assert spoken_word_count("One two.\n\n$$\na + b + c + d\n$$\n\nThree $x^2 + y$.") == 4


class TestNearDuplicateQuestions:
    def test_reworded_question_in_another_deck_is_warned_once_at_the_later_card(self, tmp_path: Path) -> None:
        cards = cards_of(
            tmp_path,
            DeckSpec(
                "alpha",
                cards=[CardSpec("a-dead", front="What is the dead ReLU problem, and how do you fix it?")],
            ),
            DeckSpec(
                "beta",
                cards=[
                    CardSpec("b-dead", front="What is a dead ReLU, what causes it, and how do you fix it?"),
                    CardSpec("b-other", front="How does batch normalization behave at inference time?"),
                ],
            ),
        )
        first, second = cards[0], cards[1]
        warnings = content_warnings(cards)
        assert len(warnings) == 1
        assert str(warnings[0]).startswith(
            f"{second.path}:{second.line}: warning: 'b-dead': question is a near-duplicate of 'a-dead' "
            f"at {first.path}:{first.line} (word overlap "
        )

    def test_similarity_ignores_stop_words_math_and_word_endings(self) -> None:
        assert (
            question_similarity("Why is early stopping a regularizer?", "Early stopping as regularization")
            == 1.0
        )
        assert question_similarity("What is $x^2$ for dropout?", "What is $y$ for dropout?") == 1.0
        assert question_similarity("What is dropout?", "How is batch norm computed?") == 0.0

    def test_distinct_questions_on_one_topic_stay_below_the_threshold(self) -> None:
        similarity = question_similarity(
            "How does batch norm behave at inference time?",
            "Why does batch norm struggle with small batches?",
        )
        assert similarity < QUESTION_SIMILARITY_THRESHOLD


class TestVagueSource:
    @pytest.mark.parametrize(
        "source",
        [
            "DLB 7.12",
            "DLB 11",
            "Srivastava et al. 2014",
            "Nielsen ch. 2",
            "Bishop §5.3",
            "https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html",
            "PyTorch docs, torch.nn.GroupNorm",
            "Ba, Kiros & Hinton 2016; DLB 8.7.1",
        ],
    )
    def test_papers_sections_and_pages_are_specific(self, source: str) -> None:
        assert vague_source_parts(source) == []

    def test_each_vague_part_is_named(self, tmp_path: Path) -> None:
        cards = cards_of(
            tmp_path, DeckSpec("alpha", cards=[CardSpec("a-card", source="DLB 7.12; the internet; PyTorch")])
        )
        card = cards[0]
        assert [str(w) for w in content_warnings(cards)] == [
            f"{card.path}:{card.line}: warning: 'a-card': source '{part}' names no paper (authors + year), "
            "book section (DLB 7.12, ch. 2, §) or documentation page (URL, 'PyTorch docs')"
            for part in ("the internet", "PyTorch")
        ]


def test_the_real_decks_warn_only_about_the_pairs_content_readme_explains(content_dir: Path) -> None:
    warnings = content_warnings(check_content(content_dir).cards)
    readme = (content_dir / "README.md").read_text()
    for warning in warnings:
        assert "near-duplicate" in warning.message, warning
        card_id = warning.message.split("'")[1]
        assert f"`{card_id}`" in readme, f"content/README.md does not explain: {warning}"
