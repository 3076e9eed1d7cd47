"""Dropout checked against PyTorch: F.dropout's output for the same mask, its gradient, a linear layer with
scaled weights, and expectations over masks drawn by torch; plus each misconception."""

from __future__ import annotations

import re

import latex2mathml.converter
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import verifier
from verifier import as_float
from verifier.concepts import dropout as do

SEEDS = range(200)
RTOL = 1e-6
DTYPE = torch.float64
# F.dropout on this many copies of x shows every mask pattern the generator can ask about (the rarest,
# one unit kept at p = 0.8 or one dropped at p = 0.2, has probability 0.8 * 0.2**4 ≈ 1.3e-3).
COPIES = 1 << 15


def _t(value: object) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=DTYPE)


def _close(actual: object, expected: torch.Tensor | np.ndarray) -> None:
    wanted = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual), wanted, rtol=RTOL, atol=1e-12)


def _questions(generator_id: str) -> list[dict[str, object]]:
    generator = verifier.get(generator_id)
    return [dict(generator.generate(seed).inputs) for seed in SEEDS]


# --- oracle tests, 200 seeds per generator -------------------------------------------------------------


def test_inverted_matches_torch_dropout_for_the_same_mask() -> None:
    """F.dropout draws its own masks; among many copies of x, the rows whose kept units equal the
    question's mask are torch's output for exactly that mask."""
    generator = verifier.get("dropout.inverted")
    torch.manual_seed(0)
    for inputs in _questions(generator.id):
        answer = generator.solve(inputs)
        x, p = _t(inputs["x"]), as_float(inputs["p"])
        out = F.dropout(x.expand(COPIES, -1), p=p, training=True)
        same_mask = ((out != 0) == (_t(inputs["mask"]) == 1)).all(dim=1)  # x has no zero entries
        assert same_mask.any()
        _close(answer["train_output"], out[same_mask][0])
        _close(answer["test_output"], F.dropout(x, p=p, training=False))


def test_inverted_solve_agrees_with_torch_on_torch_masks() -> None:
    generator = verifier.get("dropout.inverted")
    torch.manual_seed(1)
    for inputs in _questions(generator.id):
        x, p = _t(inputs["x"]), as_float(inputs["p"])
        out = F.dropout(x.expand(8, -1), p=p, training=True)
        for row in out:
            mask = (row != 0).double().numpy()
            _close(generator.solve({**inputs, "mask": mask})["train_output"], row)


def test_dropout_backward_matches_autograd() -> None:
    torch.manual_seed(2)
    for inputs in _questions("dropout.inverted")[:100]:
        x = _t(inputs["x"]).requires_grad_(True)
        p = as_float(inputs["p"])
        out = F.dropout(x, p=p, training=True)
        dout = torch.linspace(-1.0, 2.0, x.shape[0], dtype=DTYPE)
        out.backward(dout)
        assert x.grad is not None
        mask = (out != 0).double().detach().numpy()
        _close(do.dropout_backward(dout.numpy(), mask, p=p), x.grad)


def test_weight_scaling_matches_a_linear_layer_with_scaled_weights() -> None:
    generator = verifier.get("dropout.weight_scaling")
    for inputs in _questions(generator.id):
        w, x, p = _t(inputs["W"]), _t(inputs["x"]), as_float(inputs["p"])
        layer = torch.nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=DTYPE)
        with torch.no_grad():
            layer.weight.copy_((1 - p) * w)
        _close(generator.solve(inputs)["test_output"], layer(x))


def test_weight_scaling_is_the_expected_training_output() -> None:
    """Monte Carlo over torch.bernoulli masks of non-inverted dropout: E[W (x * mask)] = (1 - p) W x."""
    generator = verifier.get("dropout.weight_scaling")
    generator_torch = torch.Generator().manual_seed(3)
    samples = 20_000
    for inputs in _questions(generator.id)[:50]:
        w, x, p = _t(inputs["W"]), _t(inputs["x"]), as_float(inputs["p"])
        masks = torch.bernoulli(
            torch.full((samples, x.shape[0]), 1 - p, dtype=DTYPE), generator=generator_torch
        )
        outputs = (x * masks) @ w.T
        standard_error = outputs.std(dim=0) / samples**0.5
        deviation = (outputs.mean(dim=0) - _t(generator.solve(inputs)["test_output"])).abs()
        assert bool((deviation < 5 * standard_error + 1e-12).all())
        # and the misconceptions' answers are far outside that bound
        for misconception in generator.misconceptions:
            wrong = _t(misconception.answer(inputs)["test_output"])
            assert bool(((outputs.mean(dim=0) - wrong).abs() > 10 * standard_error).any()), misconception.id


# --- properties ----------------------------------------------------------------------------------------

values = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
drop_probs = st.floats(0.01, 0.95)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=values), drop_probs)
def test_inverted_dropout_preserves_expectation_exactly(x: np.ndarray, p: float) -> None:
    """Each unit is kept with probability 1 - p, so E[out] = (1 - p) out(kept) + p out(dropped) = x."""
    before = x.copy()
    kept = do.dropout_forward(x, np.ones_like(x), p=p, mode="train")
    dropped = do.dropout_forward(x, np.zeros_like(x), p=p, mode="train")
    assert kept.shape == dropped.shape == x.shape
    np.testing.assert_allclose((1 - p) * kept + p * dropped, x, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(do.dropout_forward(x, np.zeros_like(x), p=p, mode="eval"), x)
    np.testing.assert_array_equal(x, before)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.integers(1, 6), elements=values), drop_probs, st.integers(0, 2**16))
def test_inverted_dropout_mean_over_torch_masks(x: np.ndarray, p: float, seed: int) -> None:
    samples = 20_000
    torch_masks = torch.bernoulli(
        torch.full((samples, x.shape[0]), 1 - p, dtype=DTYPE), generator=torch.Generator().manual_seed(seed)
    ).numpy()
    outputs = do.dropout_forward(np.broadcast_to(x, torch_masks.shape), torch_masks, p=p, mode="train")
    standard_error = outputs.std(axis=0) / samples**0.5
    assert np.all(np.abs(outputs.mean(axis=0) - x) <= 5 * standard_error + 1e-12)


def test_eval_output_is_a_copy() -> None:
    x = np.array([1.0, -2.0])
    out = do.dropout_forward(x, np.array([1.0, 0.0]), p=0.5, mode="eval")
    out[0] = 99.0
    assert x[0] == 1.0


# --- misconceptions ----------------------------------------------------------------------------------------


def test_inverted_misconceptions() -> None:
    for inputs in _questions("dropout.inverted")[:50]:
        x, mask = np.asarray(inputs["x"]), np.asarray(inputs["mask"])
        p = as_float(inputs["p"])
        right_train = do.dropout_forward(x, mask, p=p, mode="train")
        divided = do.misconception_divided_by_drop_prob(x, mask, p=p, mode="train")
        _close(divided, x * mask / p)
        _close(do.misconception_divided_by_drop_prob(x, mask, p=p, mode="eval"), x)
        _close(do.misconception_scaled_at_test(x, mask, p=p, mode="train"), right_train)
        _close(do.misconception_scaled_at_test(x, mask, p=p, mode="eval"), (1 - p) * x)
        flipped = do.misconception_mask_marks_dropped(x, mask, p=p, mode="train")
        _close(flipped, np.where(mask == 0, x / (1 - p), 0.0))
        # the flipped answer keeps exactly the units the right one drops
        np.testing.assert_array_equal(flipped != 0, right_train == 0)


def test_weight_scaling_misconceptions() -> None:
    for inputs in _questions("dropout.weight_scaling")[:50]:
        w, x, p = _t(inputs["W"]), _t(inputs["x"]), as_float(inputs["p"])
        wn, xn = w.numpy(), x.numpy()
        _close(do.misconception_scaled_by_drop_prob(wn, xn, p=p), F.linear(x, p * w))
        _close(do.misconception_unscaled_at_test(wn, xn, p=p), F.linear(x, w))
        _close(do.misconception_divided_by_keep_prob(wn, xn, p=p), F.linear(x, w / (1 - p)))


# --- questions -------------------------------------------------------------------------------------------

GENERATOR_IDS = ["dropout.inverted", "dropout.weight_scaling"]


@pytest.mark.parametrize("generator_id", GENERATOR_IDS)
def test_prompts_and_steps_convert_to_mathml(generator_id: str) -> None:
    generator = verifier.get(generator_id)
    for seed in range(10):
        question = generator.generate(seed)
        texts = [question.prompt] + [step.text for step in generator.explain(question.inputs)]
        snippets = [snippet for text in texts for snippet in re.findall(r"\$(.+?)\$", text)]
        assert snippets
        for snippet in snippets:
            assert "<math" in latex2mathml.converter.convert(snippet), snippet
        for name in generator.answer_fields:
            assert f"`{name}`" in question.prompt


def test_inverted_questions_keep_and_drop_some_units_and_avoid_p_one_half() -> None:
    for inputs in _questions("dropout.inverted"):
        mask = np.asarray(inputs["mask"])
        assert set(np.unique(mask)) == {0.0, 1.0}
        assert abs(as_float(inputs["p"]) - 0.5) > 0.09
        assert np.all(np.abs(np.asarray(inputs["x"])) >= 0.1)
