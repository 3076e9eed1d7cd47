"""The real decks cover the syllabus: seven decks, at least 100 cards, every generator linked."""

from __future__ import annotations

from pathlib import Path

import verifier
from service.content.service import check_content

DECKS = ["overfitting", "backprop", "activations", "batchnorm", "regularization", "dropout", "practice"]


def test_seven_decks_in_syllabus_order_with_at_least_240_cards(content_dir: Path) -> None:
    parsed = check_content(content_dir)
    assert parsed.issues == []
    assert [deck.id for deck in parsed.decks] == DECKS
    assert len(parsed.cards) >= 240  # issue 12: at least 240 live cards
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


# Every bullet of the syllabus (shared/topics.md), by section, with the cards that answer it. Merging a
# card away or moving it to another deck must repoint its bullet here; this is what proves coverage.
SYLLABUS: dict[str, dict[str, tuple[str, ...]]] = {
    "overfitting": {
        "underfitting": ("ovf-underfitting-definition",),
        "overfitting": ("ovf-overfitting-definition", "ovf-diagnose-learning-curves"),
        "regularization definition": ("ovf-regularization-definition",),
        "reducing overfitting": (
            "ovf-remedies-overview",
            "ovf-augmentation-images",
            "ovf-augmentation-gan",
            "ovf-augmentation-back-translation",
            "ovf-lower-capacity-networks",
            "ovf-lower-capacity-trees",
            "ovf-weight-penalties",
            "ovf-ensembles",
        ),
        "reducing underfitting": (
            "ovf-underfitting-remedies",
            "ovf-feature-crosses",
            "ovf-learned-feature-interactions",
            "ovf-more-capacity",
            "ovf-smaller-regularization",
        ),
        "early stopping": ("ovf-early-stopping-definition", "ovf-early-stopping-compute"),
    },
    "backprop": {
        "what backprop computes": ("bp-what-is-backprop", "bp-why-efficient"),
        "notation": ("bp-notation", "bp-error-delta"),
        "the four equations": (
            "bp-four-equations",
            "bp-bp1-output-error",
            "bp-bp2-propagate",
            "bp-bp3-bias",
            "bp-bp4-weights",
            "bp-mse-gradient",
        ),
        "MLP gradients and gradient checking": ("bp-mlp-gradients", "bp-gradcheck"),
    },
    "activations": {
        "why non-linear, universal approximation": (
            "act-why-nonlinear",
            "act-universal-approximation",
            "act-linear-layers-ok",
        ),
        "ReLU family and maxout": ("act-relu-default", "act-generalized-relu", "act-maxout"),
        "sigmoid, tanh, softmax, RBF, softplus, hard tanh, ELU, GELU": (
            "act-sigmoid-tanh",
            "act-softmax-output",
            "act-softmax-ce-gradient",
            "act-rbf",
            "act-softplus",
            "act-hard-tanh",
            "act-elu",
            "act-gelu",
            "act-derivatives-compute",
        ),
        "ReLU vs sigmoid": ("act-relu-vs-sigmoid", "act-dead-relu", "act-zero-centered"),
        "ReLU not differentiable at 0": ("act-relu-nondifferentiable",),
    },
    "batchnorm": {
        "effects": ("bn-effects",),
        "motivation": ("bn-motivation-covariate-shift",),
        "training computation": ("bn-train-forward", "bn-gamma-beta", "bn-backward"),
        "inference statistics": ("bn-inference-population", "bn-population-stats", "bn-running-stats"),
        "why not moving averages in training": ("bn-why-not-moving-averages",),
    },
    "regularization": {
        "small weights as a prior": (
            "reg-why-small-weights",
            "reg-l2-gaussian-prior",
            "reg-l1-laplace-prior",
        ),
        "L1 sparsity vs L2 shrinkage": ("reg-l1-sparsity", "reg-geometric-view"),
        "minimizers and update steps": (
            "reg-soft-threshold",
            "reg-l2-scalar-minimizer",
            "reg-count-zeros",
            "reg-weight-decay-step",
            "reg-proximal-step",
        ),
    },
    "dropout": {
        "bagging and the bootstrap": (
            "drop-bagging-definition",
            "drop-bootstrap-missing",
            "drop-bootstrap-unique",
        ),
        "why ensembles work": ("drop-why-ensembles-work",),
        "dropout as cheap bagging, keep probabilities": (
            "drop-definition",
            "drop-as-bagging",
            "drop-keep-probabilities",
        ),
        "weight scaling and inverted dropout": (
            "drop-weight-scaling-rule",
            "drop-inverted",
            "drop-weight-scaling-numeric",
        ),
        "dropout vs bagging": ("drop-vs-bagging",),
        "variants": (
            "drop-dropconnect",
            "drop-spatial-dropout",
            "drop-stochastic-depth",
            "drop-cutout",
            "drop-dropblock",
        ),
    },
    "practice": {
        "input standardization": ("prac-standardize-compute", "prac-standardize-why"),
        "initialization": (
            "prac-init-why",
            "prac-init-glorot",
            "prac-init-he",
            "prac-init-orthogonal",
            "prac-init-truncated-normal",
            "prac-init-conv-fans",
        ),
        "optimizers": (
            "prac-opt-sgd",
            "prac-opt-momentum",
            "prac-opt-nesterov",
            "prac-opt-adagrad",
            "prac-opt-adadelta",
            "prac-opt-rmsprop",
            "prac-opt-adam",
            "prac-opt-adamax",
            "prac-opt-nadam",
            "prac-opt-adam-vs-sgd",
        ),
        "learning rate and schedules": ("prac-lr-too-large-small", "prac-lr-step", "prac-lr-plateau"),
        "tuning tricks": (
            "prac-tune-dropout-later",
            "prac-tune-early-stopping",
            "prac-tune-pretrained-embeddings",
            "prac-tune-activation-choice",
            "act-dead-relu",
            "prac-tune-feature-extractor",
            "prac-rnn-lstm-params",
            "prac-rnn-gru-params",
        ),
        "pooling and attention": ("prac-pool-max-vs-avg", "prac-pool-attention"),
        "shuffling and batch size": (
            "prac-shuffle-every-epoch",
            "prac-batch-size-regimes",
            "prac-steps-per-epoch",
        ),
    },
}


def test_every_syllabus_bullet_is_answered_by_live_cards(content_dir: Path) -> None:
    decks = {card.id: card.deck_id for card in check_content(content_dir).cards}
    assert list(SYLLABUS) == DECKS
    for deck, bullets in SYLLABUS.items():
        for bullet, card_ids in bullets.items():
            missing = [card_id for card_id in card_ids if card_id not in decks]
            assert not missing, f"{deck} / {bullet}: no card {missing} (merged away? repoint the bullet)"
            # A bullet is answered in its own deck; a card of another deck may only add to it.
            assert deck in {decks[card_id] for card_id in card_ids}, f"{deck} / {bullet}"
