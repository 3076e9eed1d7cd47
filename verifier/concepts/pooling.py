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
from typing import NamedTuple

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.activations import softmax_values
from verifier.generator import Known, as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

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


def attention_scale(d: int) -> float:
    """``1/sqrt(d)``: the standard deviation of a sum of ``d`` unit-variance products, divided out."""
    return 1.0 / math.sqrt(d)


def attention_weights(h: FloatArray, q: FloatArray, scale: float) -> FloatArray:
    """``softmax(H q · scale)`` over the time steps."""
    return np.array(softmax_values((h @ q * scale).tolist()))


def attended(weights: FloatArray, h: FloatArray) -> FloatArray:
    """``weights @ H``: the weighted average of the rows of H."""
    out: FloatArray = np.asarray(weights, dtype=np.float64) @ h
    return out


def attention_pool(h: FloatArray, q: FloatArray, *, scale: float | None = None) -> AttentionPool:
    """``weights = softmax(H q * scale)`` and ``attended = weights @ H``; ``scale`` defaults to ``1/sqrt(d)``."""
    weights = attention_weights(h, q, attention_scale(h.shape[-1]) if scale is None else scale)
    return AttentionPool(weights=weights, attended=attended(weights, h))


def _wrong_pool(misconception_id: str, h: FloatArray, q: FloatArray) -> Answer:
    return GRAPH.misconception(misconception_id).answer({"H": h, "q": q})


def misconception_attention_unscaled(h: FloatArray, q: FloatArray) -> AttentionPool:
    """The attention of ``pooling.attention-unscaled`` (see GRAPH)."""
    answer = _wrong_pool("pooling.attention-unscaled", h, q)
    return AttentionPool(np.asarray(answer["weights"]), np.asarray(answer["attended"]))


def misconception_attention_scaled_by_d(h: FloatArray, q: FloatArray) -> AttentionPool:
    """The attention of ``pooling.attention-scaled-by-d`` (see GRAPH)."""
    answer = _wrong_pool("pooling.attention-scaled-by-d", h, q)
    return AttentionPool(np.asarray(answer["weights"]), np.asarray(answer["attended"]))


def misconception_avg_pool_is_sum(h: FloatArray) -> FloatArray:
    """The average pooling of ``pooling.avg-pool-is-sum`` (see GRAPH)."""
    return np.asarray(_wrong_pool("pooling.avg-pool-is-sum", h, np.zeros(h.shape[-1]))["avg_pool"])


def _read(inputs: Inputs) -> Values:
    return {"H": as_array(inputs["H"]), "q": as_array(inputs["q"])}


GRAPH = StepGraph(
    [
        Calc(
            "max_pool",
            lambda H: max_pool(H),  # noqa: N803
            lambda v: f"Column maxima of $H$: ${matrix(v['max_pool'])}$.",
            hint="Max pooling over time keeps, for each feature, its largest value over the time steps.",
        ),
        Calc(
            "avg_pool",
            lambda H: avg_pool(H),  # noqa: N803
            lambda v: (
                f"Column means of $H$ (sums divided by $t = {v['H'].shape[0]}$): ${matrix(v['avg_pool'])}$."
            ),
        ),
        Calc(
            "raw_scores",
            lambda H, q: H @ q,  # noqa: N803 - the textbook's H
            lambda v: f"Dot products of each hidden state with $q$: $H q = {matrix(v['raw_scores'])}$.",
            hint="Each time step's score is the dot product of its hidden state with the query.",
        ),
        Calc(
            "scale",
            lambda H: attention_scale(H.shape[-1]),  # noqa: N803
            lambda v: f"Scale $1/\\sqrt{{d}} = 1/\\sqrt{{{v['H'].shape[-1]}}} = {num(v['scale'])}$.",
            hint=r"Scaled dot-product attention divides the scores by $\sqrt{d}$ before the softmax.",
        ),
        Calc(
            "scores",
            lambda raw_scores, scale: raw_scores * scale,
            lambda v: f"Scaled scores $H q / \\sqrt{{d}} = {matrix(v['scores'])}$.",
        ),
        Calc(
            "weights",
            lambda scores: np.array(softmax_values(scores.tolist())),
            lambda v: f"Softmax of the scores: $\\alpha = {matrix(v['weights'])}$ (they sum to 1).",
        ),
        Calc(
            "attended",
            lambda weights, H: attended(weights, H),  # noqa: N803
            lambda v: f"Weighted sum of the rows of $H$: $\\alpha^\\top H = {matrix(v['attended'])}$.",
        ),
    ],
    fields=("max_pool", "avg_pool", "weights", "attended"),
    misconceptions=[
        WrongStep(
            id="pooling.attention-unscaled",
            feedback="You took the softmax of the raw scores Hq; scaled dot-product attention divides them "
            "by √d first.",
            root="scale",
            # Plain dot-product attention (Luong et al.) has no scale; the Transformer's has.
            wrong=lambda: 1.0,
        ),
        WrongStep(
            id="pooling.attention-scaled-by-d",
            feedback="You divided the scores by d; the scale is 1/√d, the standard deviation of a d-term "
            "dot product.",
            root="scale",
            # "Normalize by the dimension" sounds like dividing by it.
            wrong=lambda H: 1.0 / H.shape[-1],  # noqa: N803
        ),
        WrongStep(
            id="pooling.avg-pool-is-sum",
            feedback="Your average pooling is a sum; divide by the number of time steps t.",
            root="avg_pool",
            # Pooling is often introduced as sum pooling, and the division looks cosmetic.
            wrong=lambda H: H.sum(axis=0),  # noqa: N803
        ),
    ],
    read=_read,
)


class AttentionPoolingGenerator(StepGenerator):
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
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = np.rint((rng.random((STEPS + 1) * FEATURES) * 3.0 - 1.5) * 10.0) / 10.0
        return {"H": u[FEATURES:].reshape(STEPS, FEATURES), "q": u[:FEATURES]}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        v = _read(inputs)
        scores = (v["H"] @ v["q"]) * attention_scale(v["H"].shape[-1])  # √d = 2: scores in 0.005 steps
        return tuple(Known(f"e^{{{num(s)}}}", math.exp(s)) for s in sorted(set(np.round(scores, 6).tolist())))

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: √4 = 2, and e^s of each scaled score printed

    def prompt(self, inputs: Inputs) -> str:
        h, q = _read(inputs)["H"], _read(inputs)["q"]
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


register(AttentionPoolingGenerator())
