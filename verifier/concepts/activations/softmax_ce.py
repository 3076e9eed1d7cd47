"""Softmax with one-hot cross-entropy: L = −Σ y log softmax(z), gradient p − y (DLB 6.2.2.3)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.activations.functions import (
    N_CLASSES,
    _grid,
)
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

# --- softmax and cross-entropy ----------------------------------------------------------------------------


def softmax(z: FloatArray) -> FloatArray:
    """``e^{z_i} / sum_j e^{z_j}`` over the last axis, shifted by the max so it never overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


@dataclass(frozen=True, slots=True)
class SoftmaxCECache:
    """What the backward pass of softmax cross-entropy needs: the probabilities and the target."""

    p: FloatArray  # (k,)
    y: FloatArray  # (k,) one-hot


class SoftmaxCE(NamedTuple):
    """Probabilities, loss and the gradient of the loss with respect to the logits."""

    p: FloatArray
    loss: float
    grad: FloatArray


def softmax_ce_forward(z: FloatArray, y: FloatArray) -> tuple[float, SoftmaxCECache]:
    """``L = -sum(y * log softmax(z))`` for logits ``z`` (k,) and a one-hot target ``y`` (k,).

    Shifted by the largest logit, and ``log p`` taken as ``z − max − log(sum e^{z − max})``, which stays
    finite where ``p`` underflows. Plain floats: for a handful of classes NumPy's per-call cost dominates.
    """
    loss, p = softmax_ce_values(z.tolist(), y.tolist())
    return loss, SoftmaxCECache(p=np.array(p), y=y)


def softmax_values(z: Sequence[float]) -> list[float]:
    """:func:`softmax` of one short vector, on plain floats (shifted by the max as well)."""
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def softmax_ce_values(logits: Sequence[float], y: Sequence[float]) -> tuple[float, list[float]]:
    """The loss and the probabilities of :func:`softmax_ce_forward`, on plain floats."""
    top = max(logits)
    e = [math.exp(v - top) for v in logits]
    total = sum(e)
    log_total = math.log(total)
    loss = -sum(t * (v - top - log_total) for t, v in zip(y, logits, strict=True))
    return loss, [v / total for v in e]


def softmax_ce_backward(cache: SoftmaxCECache, dloss: float = 1.0) -> FloatArray:
    """``dL/dz = dloss * (p − y)``: softmax's Jacobian and the log's derivative cancel."""
    out: FloatArray = dloss * (cache.p - cache.y)
    return out


def softmax_cross_entropy(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """Forward and backward in one call (what ``activations.softmax_ce`` asks)."""
    loss, cache = softmax_ce_forward(z, y)
    return SoftmaxCE(p=cache.p, loss=loss, grad=softmax_ce_backward(cache))


# Each wrong belief keeps p and the loss and changes the gradient; ``wrong_grad_*`` derives it from the
# right result, and ``misconception_*`` (same arguments as ``softmax_cross_entropy``) applies it.
WrongGrad = Callable[[SoftmaxCE, FloatArray], SoftmaxCE]


def wrong_grad_without_y(right: SoftmaxCE, y: FloatArray) -> SoftmaxCE:  # noqa: ARG001
    """The gradient given as ``p``."""
    return right._replace(grad=right.p)


def wrong_grad_sign_flipped(right: SoftmaxCE, y: FloatArray) -> SoftmaxCE:  # noqa: ARG001
    """The gradient given as ``y − p``."""
    return right._replace(grad=-right.grad)


def wrong_grad_jacobian_diagonal(right: SoftmaxCE, y: FloatArray) -> SoftmaxCE:
    """The gradient given as ``y * (p − 1)``."""
    return right._replace(grad=y * (right.p - 1.0))


def misconception_softmax_grad_without_y(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """Gives the gradient as ``p``, forgetting to subtract the target.

    Tempting because the forward pass ends at ``p`` and "the gradient of softmax is softmax" sounds right.
    """
    return wrong_grad_without_y(softmax_cross_entropy(z, y), y)


def misconception_softmax_grad_sign_flipped(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """Gives ``y − p``, the direction that *decreases* the loss, instead of the gradient ``p − y``.

    Tempting because the update ``z ← z + lr * (y − p)`` is often written down first.
    """
    return wrong_grad_sign_flipped(softmax_cross_entropy(z, y), y)


def misconception_softmax_jacobian_diagonal(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """Treats softmax as elementwise, ``dp_i/dz_i = p_i(1 − p_i)`` and no cross terms: ``y * (p − 1)``.

    Tempting because that is sigmoid's derivative; but every ``p_i`` depends on every ``z_j``, so the
    wrong classes get gradient ``p_j`` too.
    """
    return wrong_grad_jacobian_diagonal(softmax_cross_entropy(z, y), y)


# --- generator: activations.softmax_ce --------------------------------------------------------------------


def _softmax_ce_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray]:
    return as_array(inputs["z"]), as_array(inputs["y"])


def _softmax_ce_answer(result: SoftmaxCE) -> Answer:
    return {"p": result.p, "loss": result.loss, "grad": result.grad}


def _softmax_ce_misconception(
    misconception_id: str, feedback: str, wrong: WrongGrad
) -> tuple[Misconception, WrongGrad]:
    """A misconception whose answer is ``wrong`` applied to the right result, paired with ``wrong``."""

    def answer(inputs: Inputs) -> Answer:
        z, y = _softmax_ce_inputs(inputs)
        return _softmax_ce_answer(wrong(softmax_cross_entropy(z, y), y))

    return Misconception(id=misconception_id, feedback=feedback, answer=answer, changes=("grad",)), wrong


_SOFTMAX_CE_MISCONCEPTIONS = (
    _softmax_ce_misconception(
        "activations.softmax-grad-without-y",
        "Your gradient is p; the cross-entropy gradient with respect to the logits is p − y.",
        wrong_grad_without_y,
    ),
    _softmax_ce_misconception(
        "activations.softmax-grad-sign-flipped",
        "Your gradient has the wrong sign: y − p is the descent direction; the gradient is p − y.",
        wrong_grad_sign_flipped,
    ),
    _softmax_ce_misconception(
        "activations.softmax-jacobian-diagonal",
        (
            "You treated softmax as elementwise (only ∂pᵢ/∂zᵢ); every pⱼ depends on every logit, "
            "so each wrong class j gets gradient pⱼ too."
        ),
        wrong_grad_jacobian_diagonal,
    ),
)


class SoftmaxCEGenerator(Generator):
    """``activations.softmax_ce``: softmax probabilities, cross-entropy loss and its gradient."""

    id = "activations.softmax_ce"
    topic = "activations"
    title = "Softmax with cross-entropy: probabilities, loss and gradient"
    answer_fields = {
        "p": FieldSpec(shape=(N_CLASSES,)),
        "loss": FieldSpec(),
        "grad": FieldSpec(shape=(N_CLASSES,)),
    }
    misconceptions = tuple(misconception for misconception, _ in _SOFTMAX_CE_MISCONCEPTIONS)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_CLASSES + 1)
        y = np.zeros(N_CLASSES)
        y[int(u[0] * N_CLASSES)] = 1.0
        return {"z": _grid(u[1:], -2.0, 2.0), "y": y}

    def prompt(self, inputs: Inputs) -> str:
        z, y = _softmax_ce_inputs(inputs)
        return (
            f"A classifier outputs the logits $z = {matrix(z)}$ and the one-hot target is $y = {matrix(y)}$.\n\n"
            r"Compute the softmax probabilities $p_i = e^{z_i} / \sum_j e^{z_j}$ (`p`), the cross-entropy "
            r"loss $L = -\sum_i y_i \log p_i$ with the natural log (`loss`), and the gradient "
            r"$\partial L / \partial z$ with respect to the logits (`grad`)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _softmax_ce_answer(softmax_cross_entropy(*_softmax_ce_inputs(inputs)))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # One forward and backward pass; each misconception changes only the gradient.
        z, y = _softmax_ce_inputs(inputs)
        right = softmax_cross_entropy(z, y)
        explaining = yield None, _softmax_ce_answer(right)
        for misconception, wrong in _SOFTMAX_CE_MISCONCEPTIONS:
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _softmax_ce_answer(wrong(right, y))

    def explain(self, inputs: Inputs) -> list[Step]:
        z, y = _softmax_ce_inputs(inputs)
        result = softmax_cross_entropy(z, y)
        target = int(y.argmax())
        e = np.exp(z - z.max())
        return [
            Step(
                "exp",
                f"Shift by the largest logit and exponentiate: $e^{{z - {num(float(z.max()))}}} = {matrix(e)}$.",
                e.tolist(),
            ),
            Step(
                "p",
                f"Normalize by the sum ${num(float(e.sum()))}$: $p = {matrix(result.p)}$.",
                result.p.tolist(),
            ),
            Step(
                "loss",
                f"Only the true class (index {target}) counts: $L = -\\log p_{{{target}}} = {num(result.loss)}$.",
                result.loss,
            ),
            Step(
                "grad",
                f"$\\partial L / \\partial z = p - y = {matrix(result.grad)}$; the entries sum to 0.",
                result.grad.tolist(),
            ),
        ]


register(SoftmaxCEGenerator())
