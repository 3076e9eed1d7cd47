"""The real decks cover the syllabus: seven decks, at least 100 cards, every generator linked."""

from __future__ import annotations

from pathlib import Path

import verifier
from service.content.service import check_content

DECKS = ["overfitting", "backprop", "activations", "batchnorm", "regularization", "dropout", "practice"]


def test_seven_decks_in_syllabus_order_with_at_least_100_cards(content_dir: Path) -> None:
    parsed = check_content(content_dir)
    assert parsed.issues == []
    assert [deck.id for deck in parsed.decks] == DECKS
    assert len(parsed.cards) >= 100
    for deck in DECKS:
        assert sum(card.deck_id == deck for card in parsed.cards) >= 10, deck


def test_every_generator_has_a_card_in_its_topic_deck(content_dir: Path) -> None:
    cards = check_content(content_dir).cards
    for generator in verifier.generators():
        linked = [card for card in cards if card.generator == generator.id]
        assert linked, f"no card links generator {generator.id}"
        assert {card.deck_id for card in linked} == {generator.topic}, generator.id


def test_every_card_names_a_source_and_has_a_short_answer(content_dir: Path) -> None:
    for card in check_content(content_dir).cards:
        assert card.source.strip(), card.id
        sentences = card.back_md.count(". ") + 1
        assert sentences <= 12, f"{card.id}: the answer should be sayable in under a minute"
