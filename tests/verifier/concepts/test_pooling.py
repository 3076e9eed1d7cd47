"""Max, average and attention pooling against PyTorch (float64), plus properties of the pooled vectors."""

from __future__ import annotations

import math
import re

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays
from latex2mathml.converter import convert

import verifier
from verifier import as_array
from verifier._types import FloatArray
from verifier.concepts import pooling

SEEDS = range(200)
ATTENTION = verifier.get("pooling.attention")
ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False)


def _t(x: object) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64)


def _torch_attention(
    h: FloatArray, q: FloatArray, *, scale: float | None = None
) -> tuple[FloatArray, FloatArray]:
    """Weights from the softmax of the scaled scores, and the attended vector from PyTorch's fused kernel."""
    th, tq = _t(h), _t(q)
    factor = 1.0 / math.sqrt(h.shape[1]) if scale is None else scale
    weights = torch.softmax((th @ tq) * factor, dim=0)
    attended = F.scaled_dot_product_attention(tq[None, None, :], th[None], th[None], scale=scale)[0, 0]
    return weights.numpy(), attended.numpy()


def test_attention_generator_matches_torch() -> None:
    for seed in SEEDS:
        inputs = ATTENTION.generate(seed).inputs
        h, q = as_array(inputs["H"]), as_array(inputs["q"])
        assert h.shape == (pooling.STEPS, pooling.FEATURES) and q.shape == (pooling.FEATURES,)
        answer = ATTENTION.solve(inputs)
        weights, attended = _torch_attention(h, q)
        np.testing.assert_allclose(answer["max_pool"], torch.amax(_t(h), dim=0).numpy(), rtol=1e-6)
        np.testing.assert_allclose(
            answer["avg_pool"], torch.mean(_t(h), dim=0).numpy(), rtol=1e-6, atol=1e-12
        )
        np.testing.assert_allclose(answer["weights"], weights, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(answer["attended"], attended, rtol=1e-6, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    h=arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=ELEMENTS),
    data=st.data(),
)
def test_pooling_shapes_and_bounds(h: FloatArray, data: st.DataObject) -> None:
    q = data.draw(arrays(np.float64, (h.shape[1],), elements=ELEMENTS))
    before = h.copy(), q.copy()
    result = pooling.attention_pool(h, q)
    low, high = h.min(axis=0), pooling.max_pool(h)
    assert pooling.max_pool(h).shape == pooling.avg_pool(h).shape == result.attended.shape == (h.shape[1],)
    assert result.weights.shape == (h.shape[0],)
    assert result.weights.sum() == pytest.approx(1.0) and np.all(result.weights >= 0)
    # Average and attention pooling are convex combinations of the rows, so they lie between min and max.
    for pooled in (pooling.avg_pool(h), result.attended):
        assert np.all(pooled >= low - 1e-12) and np.all(pooled <= high + 1e-12)
    assert np.array_equal(h, before[0]) and np.array_equal(q, before[1])


def test_a_zero_query_attends_uniformly() -> None:
    h = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    result = pooling.attention_pool(h, np.zeros(2))
    np.testing.assert_allclose(result.weights, np.full(3, 1 / 3))
    np.testing.assert_allclose(result.attended, pooling.avg_pool(h))


def test_attention_misconception_functions() -> None:
    h = np.array([[0.5, -1.0, 1.2, 0.3], [1.5, 0.2, -0.4, 1.0], [-0.7, 0.8, 0.6, -1.3]])
    q = np.array([1.2, -0.5, 0.8, 1.4])
    right = pooling.attention_pool(h, q)
    for wrong, scale in (
        (pooling.misconception_attention_unscaled(h, q), 1.0),
        (pooling.misconception_attention_scaled_by_d(h, q), 0.25),
    ):
        weights, attended = _torch_attention(h, q, scale=scale)
        np.testing.assert_allclose(wrong.weights, weights, rtol=1e-9)
        np.testing.assert_allclose(wrong.attended, attended, rtol=1e-9, atol=1e-12)
        assert np.abs(wrong.weights - right.weights).max() > 0.05
    summed = pooling.misconception_avg_pool_is_sum(h)
    np.testing.assert_allclose(summed, torch.sum(_t(h), dim=0).numpy())
    np.testing.assert_allclose(summed, h.shape[0] * pooling.avg_pool(h))


def test_every_misconception_changes_only_its_own_fields() -> None:
    for seed in range(30):
        inputs = ATTENTION.generate(seed).inputs
        right = ATTENTION.solve(inputs)
        for misconception in ATTENTION.misconceptions:
            wrong = misconception.answer(inputs)
            np.testing.assert_array_equal(wrong["max_pool"], right["max_pool"])
            if misconception.id == "pooling.avg-pool-is-sum":
                np.testing.assert_array_equal(wrong["attended"], right["attended"])
            else:
                np.testing.assert_array_equal(wrong["avg_pool"], right["avg_pool"])


def test_prompt_and_explanation_convert_to_mathml_and_name_the_fields() -> None:
    for seed in range(40):
        question = ATTENTION.generate(seed)
        texts = [question.prompt] + [step.text for step in ATTENTION.explain(question.inputs)]
        for text in texts:
            assert text.count("$") % 2 == 0, text
            for a, b in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$", text, flags=re.DOTALL):
                assert "\\" not in convert(a or b), (seed, a or b)
        for field in ATTENTION.answer_fields:
            assert f"`{field}`" in question.prompt
