"""Softmax with one-hot cross-entropy: L = −Σ y log softmax(z), gradient p − y (DLB 6.2.2.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.activations.functions import (
    N_CLASSES,
    _grid,
)
from verifier.generator import Known, as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

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


def _wrong(misconception_id: str, z: FloatArray, y: FloatArray) -> SoftmaxCE:
    answer = GRAPH.misconception(misconception_id).answer({"z": z, "y": y})
    return SoftmaxCE(np.asarray(answer["p"]), float(answer["loss"]), np.asarray(answer["grad"]))


def misconception_softmax_grad_without_y(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """The answer of ``activations.softmax-grad-without-y`` (see GRAPH)."""
    return _wrong("activations.softmax-grad-without-y", z, y)


def misconception_softmax_grad_sign_flipped(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """The answer of ``activations.softmax-grad-sign-flipped`` (see GRAPH)."""
    return _wrong("activations.softmax-grad-sign-flipped", z, y)


def misconception_softmax_jacobian_diagonal(z: FloatArray, y: FloatArray) -> SoftmaxCE:
    """The answer of ``activations.softmax-jacobian-diagonal`` (see GRAPH)."""
    return _wrong("activations.softmax-jacobian-diagonal", z, y)


# --- generator: activations.softmax_ce --------------------------------------------------------------------


def _softmax_ce_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray]:
    return as_array(inputs["z"]), as_array(inputs["y"])


def _loss(p: Any, y: FloatArray) -> float:
    """``−Σ y log p`` from the probabilities (a candidate's own, when carried forward)."""
    return float(-(y * np.log(np.asarray(p, dtype=np.float64))).sum())


GRAPH = StepGraph(
    [
        Calc(
            "exp",
            lambda z: np.exp(z - z.max()),
            lambda v: (
                f"Shift by the largest logit and exponentiate: $e^{{z - {num(float(v['z'].max()))}}} = "
                f"{matrix(v['exp'])}$."
            ),
            hint="Subtracting the largest logit changes nothing in the softmax and keeps the numbers small.",
        ),
        Calc(
            "p",
            lambda exp: exp / exp.sum(),
            lambda v: f"Normalize by the sum ${num(float(v['exp'].sum()))}$: $p = {matrix(v['p'])}$.",
        ),
        Calc(
            "loss",
            _loss,
            lambda v: (
                f"Only the true class (index {int(v['y'].argmax())}) counts: "
                f"$L = -\\log p_{{{int(v['y'].argmax())}}} = {num(v['loss'])}$."
            ),
            hint="With a one-hot target only one term of the sum survives.",
        ),
        Calc(
            "grad",
            lambda p, y: np.asarray(p, dtype=np.float64) - y,
            lambda v: f"$\\partial L / \\partial z = p - y = {matrix(v['grad'])}$; the entries sum to 0.",
            hint="Softmax's Jacobian and the log's derivative combine into something simple.",
        ),
    ],
    fields=("p", "loss", "grad"),
    misconceptions=[
        WrongStep(
            id="activations.softmax-grad-without-y",
            feedback="Your gradient is p; the cross-entropy gradient with respect to the logits is p − y.",
            root="grad",
            # The forward pass ends at p, and "the gradient of softmax is softmax" sounds right.
            wrong=lambda p: np.asarray(p, dtype=np.float64),
        ),
        WrongStep(
            id="activations.softmax-grad-sign-flipped",
            feedback="Your gradient has the wrong sign: y − p is the descent direction; the gradient is p − y.",
            root="grad",
            # The update z ← z + lr·(y − p) is often written down first.
            wrong=lambda p, y: y - np.asarray(p, dtype=np.float64),
        ),
        WrongStep(
            id="activations.softmax-jacobian-diagonal",
            feedback=(
                "You treated softmax as elementwise (only ∂pᵢ/∂zᵢ); every pⱼ depends on every logit, "
                "so each wrong class j gets gradient pⱼ too."
            ),
            root="grad",
            # Sigmoid's derivative p(1 − p) applied to each class alone, without the cross terms.
            wrong=lambda p, y: y * (np.asarray(p, dtype=np.float64) - 1.0),
        ),
    ],
    read=lambda inputs: dict(zip(("z", "y"), _softmax_ce_inputs(inputs), strict=True)),
)


class SoftmaxCEGenerator(StepGenerator):
    """``activations.softmax_ce``: softmax probabilities, cross-entropy loss and its gradient."""

    id = "activations.softmax_ce"
    topic = "activations"
    title = "Softmax with cross-entropy: probabilities, loss and gradient"
    answer_fields = {
        "p": FieldSpec(shape=(N_CLASSES,)),
        "loss": FieldSpec(),
        "grad": FieldSpec(shape=(N_CLASSES,)),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_CLASSES + 1)
        y = np.zeros(N_CLASSES)
        y[int(u[0] * N_CLASSES)] = 1.0
        return {"z": _grid(u[1:], -2.0, 2.0), "y": y}

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_CLASSES + 1)
        y = np.zeros(N_CLASSES)
        y[int(u[0] * N_CLASSES)] = 1.0
        return {"z": np.floor(u[1:] * 4.0) - 1.0, "y": y}  # whole logits in [−1, 2]: a short table of e^z

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        z = as_array(inputs["z"])
        exps = tuple(Known(f"e^{{{num(value)}}}", math.exp(value)) for value in sorted(set(z.tolist())))
        return (*exps, Known(r"\ln \sum_j e^{z_j}", math.log(float(np.exp(z).sum()))))

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: whole logits, e^z and the log-sum printed

    def prompt(self, inputs: Inputs) -> str:
        z, y = _softmax_ce_inputs(inputs)
        return (
            f"A classifier outputs the logits $z = {matrix(z)}$ and the one-hot target is $y = {matrix(y)}$.\n\n"
            r"Compute the softmax probabilities $p_i = e^{z_i} / \sum_j e^{z_j}$ (`p`), the cross-entropy "
            r"loss $L = -\sum_i y_i \log p_i$ with the natural log (`loss`), and the gradient "
            r"$\partial L / \partial z$ with respect to the logits (`grad`)."
        )


register(SoftmaxCEGenerator())
