"""training.early_stopping against an independent implementation of the issue's definition and
hand-checked curves (torch has no early stopping), and training.steps_per_epoch against
``len(DataLoader(range(n), batch_size, drop_last))``."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert
from torch.utils.data import DataLoader

import verifier
from verifier.concepts import training
from verifier.concepts.training import EarlyStop

SEEDS = range(200)
EARLY = verifier.get("training.early_stopping")
STEPS = verifier.get("training.steps_per_epoch")


def reference_early_stopping(val_loss: Sequence[float], patience: int, min_delta: float) -> EarlyStop:
    """The issue's definition written declaratively: which epochs improve, then the first full window.

    improves(e) compares e with the loss of the last improving epoch before it (epoch 0 always improves);
    training stops at the first epoch ending ``patience`` non-improving epochs in a row.
    """

    @functools.cache
    def last_improving_before(e: int) -> int | None:
        candidates = [d for d in range(e) if improves(d)]
        return candidates[-1] if candidates else None

    @functools.cache
    def improves(e: int) -> bool:
        previous = last_improving_before(e)
        return previous is None or val_loss[e] < val_loss[previous] - min_delta

    epochs = range(len(val_loss))
    windows_full = [
        e
        for e in epochs
        if e + 1 >= patience and not any(improves(d) for d in range(e - patience + 1, e + 1))
    ]
    stop = windows_full[0] if windows_full else len(val_loss) - 1
    best = max(e for e in range(stop + 1) if improves(e))
    return EarlyStop(stop, best)


# (val_loss, patience, min_delta) → (stop_epoch, best_epoch), worked out by hand from the definition.
HAND_CHECKED = [
    # improves at 0, 1, 2; 3 and 4 do not (2 in a row) → stop at 4, restore 2
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.6], 2, 0.0, (4, 2)),
    # same curve, patience 3: 5 improves (0.6 < 0.7), no 3 in a row → runs to the end, restores 5
    ([1.0, 0.8, 0.7, 0.75, 0.72, 0.6], 3, 0.0, (5, 5)),
    # min_delta 0.05: 0.67 is not below 0.7 − 0.05, so 3 and 4 fail → stop at 4, restore 2
    ([1.0, 0.8, 0.7, 0.67, 0.68, 0.5], 2, 0.05, (4, 2)),
    # min_delta 0.05: 0.64 < 0.65 improves at 3 → best 0.64; 4 (0.6 ≥ 0.59) and 5 fail → stop at 5
    ([1.0, 0.8, 0.7, 0.64, 0.6, 0.61], 2, 0.05, (5, 3)),
    # a blip at 2 is forgiven by patience 2: 3 improves, then 4, 5 fail → stop 5, restore 3
    ([0.9, 0.7, 0.75, 0.6, 0.62, 0.65, 0.4], 2, 0.0, (5, 3)),
    # patience 1: the first non-improving epoch stops training
    ([0.9, 0.7, 0.75, 0.6], 1, 0.0, (2, 1)),
]


@pytest.mark.parametrize(("val_loss", "patience", "min_delta", "expected"), HAND_CHECKED)
def test_hand_checked_curves(
    val_loss: list[float], patience: int, min_delta: float, expected: tuple[int, int]
) -> None:
    assert training.early_stopping(val_loss, patience=patience, min_delta=min_delta) == expected
    assert reference_early_stopping(val_loss, patience, min_delta) == expected


def test_early_stopping_matches_the_reference_on_generated_questions() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(EARLY.generate(seed).inputs_json()))
        val_loss, patience, min_delta = training.read_early_stopping(inputs)
        answer = EARLY.solve(inputs)
        expected = reference_early_stopping(val_loss, patience, min_delta)
        assert (answer["stop_epoch"], answer["best_epoch"]) == expected, seed


losses = st.lists(st.integers(1, 60).map(lambda k: k / 50), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(val_loss=losses, patience=st.integers(1, 4), min_delta=st.sampled_from([0.0, 0.01, 0.05, 0.1]))
def test_matches_the_reference_and_its_invariants(
    val_loss: list[float], patience: int, min_delta: float
) -> None:
    result = training.early_stopping(val_loss, patience=patience, min_delta=min_delta)
    assert result == reference_early_stopping(val_loss, patience, min_delta)
    assert 0 <= result.best_epoch <= result.stop_epoch < len(val_loss)
    assert result.stop_epoch - result.best_epoch <= patience
    if result.stop_epoch < len(val_loss) - 1:  # stopped by patience: exactly that many epochs after the best
        assert result.stop_epoch - result.best_epoch == patience
    if min_delta == 0.0:  # improvements then track the running minimum: best is its first occurrence
        seen = val_loss[: result.stop_epoch + 1]
        assert result.best_epoch == seen.index(min(seen))


def test_early_stopping_misconceptions_by_hand() -> None:
    curve = [1.0, 0.8, 0.85, 0.7, 0.68, 0.69, 0.71, 0.72, 0.6]
    # right, patience 2, min_delta 0.05: 0, 1, 3 improve; 0.68 ≥ 0.65, 0.69, → stop at 5, restore 3
    assert training.early_stopping(curve, patience=2, min_delta=0.05) == (5, 3)
    # stops at the first non-improvement: epoch 2, restoring 1
    assert training.misconception_stops_at_first_non_improvement(curve, patience=2, min_delta=0.05) == (2, 1)
    # keeps the stopping epoch's weights
    assert training.misconception_keeps_last_weights(curve, patience=2, min_delta=0.05) == (5, 5)
    # ignoring min_delta: 4 (0.68 < 0.7) improves, 5 and 6 do not → stop 6, restore 4
    assert training.misconception_ignores_min_delta(curve, patience=2, min_delta=0.05) == (6, 4)
    # never resetting: epochs 2 and 4 are the 1st and 2nd non-improving → stop at 4, restore 3
    assert training.misconception_counter_not_reset(curve, patience=2, min_delta=0.05) == (4, 3)


def test_generated_curves_have_no_ties_and_two_misconceptions() -> None:
    for seed in SEEDS:
        inputs = EARLY.generate(seed).inputs
        val_loss, _, min_delta = training.read_early_stopping(inputs)
        for delta in {min_delta, 0.0}:
            best = float("inf")
            for loss in val_loss:
                assert abs(loss - (best - delta)) > 1e-9, seed
                best = min(best, loss) if loss < best - delta else best
        assert sum(m.applies_to(inputs) for m in EARLY.misconceptions) >= 2


def test_tie_with_the_threshold_is_rejected() -> None:
    # 0.65 is exactly 0.7 − 0.05
    assert not EARLY.acceptable({"val_loss": [1.0, 0.7, 0.65, 0.9], "patience": 2, "min_delta": 0.05})
    assert EARLY.acceptable({"val_loss": [1.0, 0.7, 0.64, 0.9], "patience": 2, "min_delta": 0.05})


# --- steps per epoch --------------------------------------------------------------------------------


def dataloader_steps(n: int, batch_size: int, drop_last: bool) -> int:
    return len(DataLoader(range(n), batch_size=batch_size, drop_last=drop_last))


def test_steps_match_dataloader_on_generated_questions() -> None:
    seen = set()
    for seed in SEEDS:
        inputs = json.loads(json.dumps(STEPS.generate(seed).inputs_json()))
        n, batch_size, drop_last = training.read_steps(inputs)
        assert STEPS.solve(inputs)["steps"] == dataloader_steps(n, batch_size, drop_last), seed
        seen.add((drop_last, n % batch_size == 0))
        assert sum(m.applies_to(inputs) for m in STEPS.misconceptions) == 2
    assert seen == {(False, False), (False, True), (True, False), (True, True)}


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), batch_size=st.integers(1, 300), drop_last=st.booleans())
def test_steps_match_dataloader_for_any_size(n: int, batch_size: int, drop_last: bool) -> None:
    assert training.steps_per_epoch(n, batch_size=batch_size, drop_last=drop_last) == dataloader_steps(
        n, batch_size, drop_last
    )


def test_steps_misconceptions_by_hand() -> None:
    # 1000 examples, batch 32: 31 full batches and 8 left over
    assert training.steps_per_epoch(1000, batch_size=32, drop_last=False) == 32
    assert training.steps_per_epoch(1000, batch_size=32, drop_last=True) == 31
    assert training.misconception_floor_without_drop_last(1000, batch_size=32, drop_last=False) == 31
    assert training.misconception_ceil_with_drop_last(1000, batch_size=32, drop_last=True) == 32
    assert training.misconception_one_step_per_example(1000, batch_size=32, drop_last=False) == 1000
    # 960 = 30 · 32: no leftovers, drop_last changes nothing
    assert dataloader_steps(960, 32, True) == dataloader_steps(960, 32, False) == 30
    assert training.misconception_extra_step_for_remainder(960, batch_size=32, drop_last=False) == 31
    assert training.misconception_drops_full_last_batch(960, batch_size=32, drop_last=True) == 29


def test_drop_last_must_be_a_boolean() -> None:
    with pytest.raises(ValueError, match="drop_last"):
        training.read_steps({"n": 10, "batch_size": 3, "drop_last": "yes"})


@pytest.mark.parametrize("generator", [EARLY, STEPS], ids=lambda g: g.id)
def test_prompt_and_explanation_latex_converts(generator: verifier.Generator) -> None:
    for seed in range(60):
        question = generator.generate(seed)
        for text in [question.prompt] + [step.text for step in generator.explain(question.inputs)]:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        for field in generator.answer_fields:
            assert f"`{field}`" in question.prompt
