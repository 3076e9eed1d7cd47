"""Pooling a sequence of hidden states into one vector: max, average and dot-product attention.

Given hidden states ``H`` (t, d), one per time step, max pooling takes the per-feature maximum over time,
average pooling the per-feature mean, and attention pooling a weighted average whose weights are
``softmax(H q / sqrt(d))`` for a query ``q`` (d): scaled dot-product attention with one query and keys =
values = ``H``, as ``F.scaled_dot_product_attention`` computes it. The ``1/sqrt(d)`` keeps the scores'
variance near 1 when the entries of ``H`` and ``q`` have unit variance, so the softmax does not saturate.
Sources: Vaswani et al. 2017, https://arxiv.org/abs/1706.03762 (sec. 3.2.1); Bahdanau et al. 2014,
https://arxiv.org/abs/1409.0473 (attention as learned pooling); DLB 9.3 (pooling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import mul
from typing import NamedTuple

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.activations import softmax_values
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

STEPS, FEATURES = 3, 4  # H is (t, d); d = 4 makes sqrt(d) = 2 easy by hand


class AttentionPool(NamedTuple):
    """The attention weights over time steps (t,) and the weighted average of the rows of H (d,)."""

    weights: FloatArray
    attended: FloatArray


def max_pool(h: FloatArray) -> FloatArray:
    """Per-feature maximum over time: (t, d) -> (d,)."""
    out: FloatArray = h.max(axis=0)
    return out


def avg_pool(h: FloatArray) -> FloatArray:
    """Per-feature mean over time: (t, d) -> (d,)."""
    out: FloatArray = h.sum(axis=0) / h.shape[0]
    return out


def attention_pool(h: FloatArray, q: FloatArray, *, scale: float | None = None) -> AttentionPool:
    """``weights = softmax(H q * scale)`` and ``attended = weights @ H``; ``scale`` defaults to ``1/sqrt(d)``."""
    return attention_from_scores(h, h @ q, scale=scale)


def attention_from_scores(h: FloatArray, scores: FloatArray, *, scale: float | None = None) -> AttentionPool:
    """:func:`attention_pool` from the raw scores ``H q``, which every scale shares."""
    factor = 1.0 / math.sqrt(h.shape[-1]) if scale is None else scale
    return _attention(list(zip(*h.tolist(), strict=True)), scores.tolist(), factor)


def _attention(columns: Sequence[Sequence[float]], scores: Sequence[float], factor: float) -> AttentionPool:
    """Softmax of the scaled scores and the weighted average of H's columns, on plain floats (for three
    time steps NumPy's per-call cost would be most of the work)."""
    weights = softmax_values([s * factor for s in scores])
    attended = [sum(map(mul, weights, column)) for column in columns]
    return AttentionPool(weights=np.array(weights), attended=np.array(attended))


def misconception_attention_unscaled(h: FloatArray, q: FloatArray) -> AttentionPool:
    """Takes the softmax of the raw dot products ``H q``, without dividing by ``sqrt(d)``.

    Tempting because plain dot-product attention (Luong et al.) has no scale; the question's Transformer
    convention does.
    """
    return attention_pool(h, q, scale=1.0)


def misconception_attention_scaled_by_d(h: FloatArray, q: FloatArray) -> AttentionPool:
    """Divides the scores by ``d`` instead of ``sqrt(d)``.

    Tempting because "normalize by the dimension" sounds like dividing by it; the scale comes from the
    standard deviation of a sum of ``d`` unit-variance products, which is ``sqrt(d)``.
    """
    return attention_pool(h, q, scale=1.0 / h.shape[-1])


def misconception_avg_pool_is_sum(h: FloatArray) -> FloatArray:
    """Sums over time instead of averaging (forgets to divide by ``t``).

    Tempting because "pooling" is often introduced as sum pooling, and the division looks cosmetic.
    """
    out: FloatArray = h.sum(axis=0)
    return out


def _inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray]:
    return as_array(inputs["H"]), as_array(inputs["q"])


def _pooled(maximum: FloatArray, average: FloatArray, attention: AttentionPool) -> Answer:
    return {
        "max_pool": maximum,
        "avg_pool": average,
        "weights": attention.weights,
        "attended": attention.attended,
    }


def _answer(h: FloatArray, attention: AttentionPool, *, average: FloatArray | None = None) -> Answer:
    return _pooled(max_pool(h), avg_pool(h) if average is None else average, attention)


def _answer_unscaled(inputs: Inputs) -> Answer:
    h, q = _inputs(inputs)
    return _answer(h, misconception_attention_unscaled(h, q))


def _answer_scaled_by_d(inputs: Inputs) -> Answer:
    h, q = _inputs(inputs)
    return _answer(h, misconception_attention_scaled_by_d(h, q))


def _answer_sum_pool(inputs: Inputs) -> Answer:
    h, q = _inputs(inputs)
    return _answer(h, attention_pool(h, q), average=misconception_avg_pool_is_sum(h))


_UNSCALED = Misconception(
    id="pooling.attention-unscaled",
    feedback="You took the softmax of the raw scores Hq; scaled dot-product attention divides them by √d first.",
    answer=_answer_unscaled,
    changes=("weights", "attended"),
)
_SCALED_BY_D = Misconception(
    id="pooling.attention-scaled-by-d",
    feedback="You divided the scores by d; the scale is 1/√d, the standard deviation of a d-term dot product.",
    answer=_answer_scaled_by_d,
    changes=("weights", "attended"),
)
_SUM_POOL = Misconception(
    id="pooling.avg-pool-is-sum",
    feedback="Your average pooling is a sum; divide by the number of time steps t.",
    answer=_answer_sum_pool,
    changes=("avg_pool",),
)


class AttentionPoolingGenerator(Generator):
    """``pooling.attention``: max, average and attention pooling of a few hidden states."""

    id = "pooling.attention"
    topic = "practice"
    title = "Pooling hidden states: max, average and attention"
    answer_fields = {
        "max_pool": FieldSpec(shape=(FEATURES,)),
        "avg_pool": FieldSpec(shape=(FEATURES,)),
        "weights": FieldSpec(shape=(STEPS,)),
        "attended": FieldSpec(shape=(FEATURES,)),
    }
    misconceptions = (_UNSCALED, _SCALED_BY_D, _SUM_POOL)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        # One draw, rounded to one decimal: NumPy's per-call cost dominates at this size.
        u = np.rint((rng.random((STEPS + 1) * FEATURES) * 3.0 - 1.5) * 10.0) / 10.0
        return {"H": u[FEATURES:].reshape(STEPS, FEATURES), "q": u[:FEATURES]}

    def prompt(self, inputs: Inputs) -> str:
        h, q = _inputs(inputs)
        t, d = h.shape
        return (
            f"A sequence encoder produced $t = {t}$ hidden states of size $d = {d}$, the rows of "
            f"$H = {matrix(h)}$. Pool them into one vector in three ways:\n\n"
            "- max pooling over time, the per-feature maximum (`max_pool`);\n"
            "- average pooling over time, the per-feature mean (`avg_pool`);\n"
            f"- attention pooling with the query $q = {matrix(q)}$: the weights "
            r"$\alpha = \operatorname{softmax}(H q / \sqrt{d})$ over the time steps (`weights`) and the "
            r"weighted average of the hidden states $\alpha^\top H$ (`attended`)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        h, q = _inputs(inputs)
        return _answer(h, attention_pool(h, q))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The pools and the raw scores H q once; each wrong answer changes one step after them.
        h, q = _inputs(inputs)
        columns, scores = list(zip(*h.tolist(), strict=True)), (h @ q).tolist()
        maximum, average = max_pool(h), avg_pool(h)
        right = _attention(columns, scores, 1.0 / math.sqrt(h.shape[-1]))
        explaining = yield None, _pooled(maximum, average, right)
        if _UNSCALED.could_explain(explaining):
            yield _UNSCALED, _pooled(maximum, average, _attention(columns, scores, 1.0))
        if _SCALED_BY_D.could_explain(explaining):
            yield _SCALED_BY_D, _pooled(maximum, average, _attention(columns, scores, 1.0 / h.shape[-1]))
        if _SUM_POOL.could_explain(explaining):
            yield _SUM_POOL, _pooled(maximum, misconception_avg_pool_is_sum(h), right)

    def explain(self, inputs: Inputs) -> list[Step]:
        h, q = _inputs(inputs)
        d = h.shape[1]
        scores = (h @ q) / math.sqrt(d)
        attention = attention_pool(h, q)
        return [
            Step("max_pool", f"Column maxima of $H$: ${matrix(max_pool(h))}$.", max_pool(h).tolist()),
            Step("avg_pool", f"Column means of $H$: ${matrix(avg_pool(h))}$.", avg_pool(h).tolist()),
            Step(
                "scores",
                f"Scores $H q / \\sqrt{{{d}}} = H q / {num(math.sqrt(d))}$: ${matrix(scores)}$.",
                scores.tolist(),
            ),
            Step(
                "weights",
                f"Softmax of the scores: $\\alpha = {matrix(attention.weights)}$ (they sum to 1).",
                attention.weights.tolist(),
            ),
            Step(
                "attended",
                f"Weighted sum of the rows of $H$: $\\alpha^\\top H = {matrix(attention.attended)}$.",
                attention.attended.tolist(),
            ),
        ]


register(AttentionPoolingGenerator())
