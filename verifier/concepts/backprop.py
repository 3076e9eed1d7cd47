"""Backpropagation through a one-hidden-layer MLP, and checking a gradient with centered differences.

The network is ``z1 = W1 x + b1``, ``a1 = f(z1)``, ``z2 = W2 a1 + b2`` for one example, with weights stored
as (out, in) like ``nn.Linear``. Two losses: squared error ``½‖z2 − y‖²`` with a linear output, or softmax
cross-entropy ``−Σ y log softmax(z2)`` with a one-hot ``y``; both give the output error ``δ2 = z2 − y``
resp. ``p − y``. Backward (Nielsen's BP1-BP4): ``dW2 = δ2 a1ᵀ``, ``db2 = δ2``,
``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``, ``dW1 = δ1 xᵀ``, ``db1 = δ1``; every gradient has its parameter's shape.

A gradient check compares an analytic gradient ``g_a`` with the centered difference
``g_n[i] = (C(w + h e_i) − C(w − h e_i)) / 2h`` by the relative error ``‖g_a − g_n‖ / max(‖g_a‖, ‖g_n‖)``
(Euclidean norms; for one weight, ``|g_a − g_n| / max(|g_a|, |g_n|)``), the same relative error the
verifier's own tests use (:mod:`verifier.gradcheck`). Sources: Nielsen, *Neural Networks and Deep Learning*
ch. 2, http://neuralnetworksanddeeplearning.com/chap2.html; DLB 6.5; CS231n "Gradient checks".

One example's vectors are lists of floats (``Vector``, ``Matrix``): with two units per layer, NumPy's
per-call cost is ten times the arithmetic. The functions also accept NumPy arrays. Every wrong answer is
one wrong step after the same forward pass (or the same loss evaluations), so the generators compute
those once per question and derive the right answer and each misconception's from them.

Gradients are graded to 1 % with an absolute floor of 0.001: a hand computation rounds intermediate values,
and small gradient entries (a product of several factors below 1) would otherwise need 5 exact digits.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from operator import mul
from typing import Literal, NamedTuple, TypeAlias, get_args

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue, StreamAnswer
from verifier.concepts.activations import scalar_activation, softmax_ce_values
from verifier.generator import Generator, Step, as_array, as_float
from verifier.gradcheck import relative_error
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.jsonsafe import to_jsonable
from verifier.latex import matrix, num
from verifier.registry import register

RTOL = 1e-2
ATOL = 1e-3
HiddenActivation = Literal["sigmoid", "tanh", "relu"]
LossName = Literal["mse", "softmax_ce"]
HIDDEN_ACTIVATIONS: tuple[HiddenActivation, ...] = get_args(HiddenActivation)
LOSSES: tuple[LossName, ...] = get_args(LossName)
N_IN = N_HIDDEN = N_OUT = 2  # square weights keep every misconception below well defined
KINK_MARGIN = 0.05  # ReLU pre-activations stay at least this far from 0
MIN_BACK_ERROR = 0.01  # the error W2ᵀδ2 reaching each active hidden unit is at least this (10 × ATOL)
GradcheckKind = Literal["quadratic", "tiny_net"]
GRADCHECK_KINDS: tuple[GradcheckKind, ...] = get_args(GradcheckKind)
N_WEIGHTS = 2  # backprop.gradcheck checks a gradient with this many entries
STEP_CHOICES = (0.1, 0.2, 0.5)  # large on purpose: the differences must be visible by hand
MIN_GRADIENT = 0.2  # the true gradient's norm is at least this, so the relative error is well conditioned
MIN_BUG_ERROR = 0.05  # the reported gradient's bug shows as at least this relative error

Vector: TypeAlias = list[float]
Matrix: TypeAlias = list[list[float]]


def _tenths(u: float, low: float, high: float) -> float:
    """A uniform draw ``u`` in [0, 1) mapped to [low, high] and rounded to one decimal (hand-workable).

    ``round`` rounds half to even, as ``np.rint`` does.
    """
    return round((low + u * (high - low)) * 10.0) / 10.0


def _scientific(value: float) -> str:
    """A small number for LaTeX: ``0.0123`` as is, ``4.5e-05`` as ``4.5 \\times 10^{-5}``."""
    if value >= 1e-3:
        return num(value)
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


# --- small linear algebra on lists -----------------------------------------------------------------------


def affine(w: Sequence[Sequence[float]], v: Sequence[float], b: Sequence[float]) -> Vector:
    """``W v + b`` for ``W`` stored (out, in)."""
    return [sum(map(mul, row, v)) + bias for row, bias in zip(w, b, strict=True)]


def matvec(w: Sequence[Sequence[float]], v: Sequence[float]) -> Vector:
    """``W v``."""
    return [sum(map(mul, row, v)) for row in w]


def transposed_matvec(w: Sequence[Sequence[float]], d: Sequence[float]) -> Vector:
    """``Wᵀ d``: an error ``d`` at a layer's output sent back to its input."""
    return [sum(map(mul, column, d)) for column in zip(*w, strict=True)]


def outer(d: Sequence[float], v: Sequence[float]) -> Matrix:
    """``d vᵀ``, shape (len(d), len(v))."""
    return [[di * vj for vj in v] for di in d]


def transpose(m: Sequence[Sequence[float]]) -> Matrix:
    """``Mᵀ``."""
    return [list(column) for column in zip(*m, strict=True)]


def _times(u: Sequence[float], v: Sequence[float]) -> Vector:
    """Elementwise ``u ⊙ v``."""
    return list(map(mul, u, v))


# --- state types -----------------------------------------------------------------------------------------


class MLPParams(NamedTuple):
    """Weights (out, in) and biases (out,) of the two layers."""

    W1: Matrix  # (h, i)
    b1: Vector  # (h,)
    W2: Matrix  # (o, h)
    b2: Vector  # (o,)


class MLPCache(NamedTuple):
    """The forward pass's values that the backward pass needs.

    The loss layer hands back its gradient ``delta2`` together with the loss (as cs231n's ``softmax_loss``
    does), so the backward pass starts from it.
    """

    x: Vector  # (i,) input
    y: Vector  # (o,) target
    z1: Vector  # (h,) hidden pre-activation
    a1: Vector  # (h,) hidden activation
    z2: Vector  # (o,) output pre-activation (the logits for softmax_ce)
    W2: Matrix  # (o, h)
    delta2: Vector  # (o,) dLoss/dz2, the output error
    activation: HiddenActivation


class MLPGrads(NamedTuple):
    """Gradients of the loss with respect to each parameter (each has its parameter's shape)."""

    dW1: Matrix
    db1: Vector
    dW2: Matrix
    db2: Vector


class GradCheck(NamedTuple):
    """A numerical gradient and its relative error against the analytic one."""

    numerical: FloatArray
    relative_error: float


# --- forward / backward ----------------------------------------------------------------------------------


def output_loss(z2: Sequence[float], y: Sequence[float], loss: LossName) -> tuple[float, Vector]:
    """The loss and the output error ``δ2 = dLoss/dz2``: ``z2 − y`` for squared error, ``p − y`` for CE."""
    if loss == "mse":
        residual = [a - b for a, b in zip(z2, y, strict=True)]
        return 0.5 * sum(r * r for r in residual), residual
    value, p = softmax_ce_values(z2, y)
    return value, [a - b for a, b in zip(p, y, strict=True)]


def mlp_forward(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPCache]:
    """The loss of one example and the cache for :func:`mlp_backward`."""
    f, _slope = scalar_activation(activation_name)
    z1 = affine(params.W1, x, params.b1)
    a1 = [f(z) for z in z1]
    z2 = affine(params.W2, a1, params.b2)
    value, delta2 = output_loss(z2, y, loss)
    cache = MLPCache(list(x), list(y), z1, a1, z2, params.W2, delta2, activation_name)  # in field order
    return value, cache


def slope(cache: MLPCache, at: Sequence[float]) -> Vector:
    """The hidden activation's derivative ``f'`` at each point of ``at``."""
    _f, derivative = scalar_activation(cache.activation)
    return [derivative(v) for v in at]


def layer_grads(delta: Sequence[float], layer_input: Sequence[float]) -> tuple[Matrix, Vector]:
    """``dW = δ ⊗ input`` (out, in) and ``db = δ`` for an affine layer ``W @ input + b``."""
    return outer(delta, layer_input), list(delta)


def hidden_error(cache: MLPCache) -> Vector:
    """``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``: the error sent back through ``W2``, gated by the activation's slope."""
    return _times(transposed_matvec(cache.W2, cache.delta2), slope(cache, cache.z1))


def backward_from_hidden_error(cache: MLPCache, delta1: Sequence[float]) -> MLPGrads:
    """Both layers' gradients from the output error in the cache and a hidden error ``δ1``."""
    dW2, db2 = layer_grads(cache.delta2, cache.a1)
    dW1, db1 = layer_grads(delta1, cache.x)
    return MLPGrads(dW1, db1, dW2, db2)


def mlp_backward(cache: MLPCache) -> MLPGrads:
    """Gradients of the loss for each parameter, from the forward cache (BP1-BP4)."""
    return backward_from_hidden_error(cache, hidden_error(cache))


def mlp_loss_and_grads(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Forward and backward in one call (what ``backprop.mlp`` asks)."""
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    return value, mlp_backward(cache)


# --- misconceptions about backprop -----------------------------------------------------------------------
# Each wrong belief is a wrong backward pass after the right forward pass: ``wrong_backward_*`` takes the
# cache as ``mlp_backward`` does, and the right gradients, whose unaffected parts it keeps (a wrong hidden
# error leaves the output layer's gradients right); ``misconception_*`` runs it after the forward pass,
# with the same arguments as ``mlp_loss_and_grads``.

WrongBackward = Callable[[MLPCache, MLPGrads], MLPGrads]


def with_hidden_error(right: MLPGrads, cache: MLPCache, delta1: Sequence[float]) -> MLPGrads:
    """The right gradients with the hidden layer's taken from another hidden error ``δ1``.

    The output layer's gradients do not depend on ``δ1``, so they are the right ones, the same objects.
    """
    dW1, db1 = layer_grads(delta1, cache.x)
    return MLPGrads(dW1, db1, right.dW2, right.db2)


def wrong_backward_missing_activation_derivative(cache: MLPCache, right: MLPGrads) -> MLPGrads:
    """``δ1 = W2ᵀ δ2``, without the factor ``f'(z1)``."""
    return with_hidden_error(right, cache, transposed_matvec(cache.W2, cache.delta2))


def wrong_backward_untransposed_weights(cache: MLPCache, right: MLPGrads) -> MLPGrads:
    """``δ1 = (W2 δ2) ⊙ f'(z1)``."""
    return with_hidden_error(right, cache, _times(matvec(cache.W2, cache.delta2), slope(cache, cache.z1)))


def wrong_backward_outer_product_reversed(_cache: MLPCache, right: MLPGrads) -> MLPGrads:
    """The right gradients with each weight gradient transposed."""
    return MLPGrads(transpose(right.dW1), right.db1, transpose(right.dW2), right.db2)


def wrong_backward_derivative_at_output(cache: MLPCache, right: MLPGrads) -> MLPGrads:
    """``δ1 = (W2ᵀ δ2) ⊙ f'(a1)``."""
    back = transposed_matvec(cache.W2, cache.delta2)
    return with_hidden_error(right, cache, _times(back, slope(cache, cache.a1)))


def wrong_backward_output_error_without_y(cache: MLPCache, _right: MLPGrads) -> MLPGrads:
    """The backward pass from ``δ2 = p`` instead of ``p − y`` (softmax cross-entropy)."""
    p = [d + t for d, t in zip(cache.delta2, cache.y, strict=True)]
    return mlp_backward(cache._replace(delta2=p))


def _after_forward(
    wrong: WrongBackward,
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    return value, wrong(cache, mlp_backward(cache))


def misconception_missing_activation_derivative(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Sends ``W2ᵀ δ2`` straight into the hidden layer's gradients, without the factor ``f'(z1)``.

    Tempting because the output layer (linear, or softmax with CE) needs no derivative factor, and the
    pattern gets copied one layer down.
    """
    return _after_forward(wrong_backward_missing_activation_derivative, x, y, params, activation_name, loss)


def misconception_untransposed_weights(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Propagates the error back with ``W2 δ2`` instead of ``W2ᵀ δ2``.

    Tempting because the forward pass multiplies by ``W2``; with square weights the shapes even match.
    """
    return _after_forward(wrong_backward_untransposed_weights, x, y, params, activation_name, loss)


def misconception_outer_product_reversed(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Forms each weight gradient as ``input ⊗ δ`` (in, out), the transpose of ``δ ⊗ input``.

    Tempting because the batch formula ``Xᵀ δ`` puts the input first; for weights stored (out, in) the
    order is ``δ xᵀ``.
    """
    return _after_forward(wrong_backward_outer_product_reversed, x, y, params, activation_name, loss)


def misconception_derivative_at_output(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Evaluates the activation's derivative at the output ``a1`` instead of the pre-activation ``z1``.

    Tempting because the derivative is often written in terms of the output (``a(1 − a)``, ``1 − a²``), and
    the cached ``a1`` then gets passed to a function that expects ``z1``.
    """
    return _after_forward(wrong_backward_derivative_at_output, x, y, params, activation_name, loss)


def misconception_output_error_without_y(
    x: Sequence[float],
    y: Sequence[float],
    params: MLPParams,
    *,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """Uses ``δ2 = p`` (softmax's output) for cross-entropy, forgetting to subtract the target.

    Tempting because the forward pass ends at ``p``; the ``− y`` comes from the log in the loss.
    """
    return _after_forward(wrong_backward_output_error_without_y, x, y, params, activation_name, loss)


# --- gradient checking -----------------------------------------------------------------------------------


def quadratic_loss(w: Sequence[float], *, a: Sequence[Sequence[float]], b: Sequence[float]) -> float:
    """``C(w) = ½ wᵀ A w + bᵀ w`` for a symmetric ``A``."""
    quadratic: float = sum(map(mul, w, matvec(a, w)))
    linear: float = sum(map(mul, b, w))
    return 0.5 * quadratic + linear


def quadratic_gradient(w: Sequence[float], *, a: Sequence[Sequence[float]], b: Sequence[float]) -> FloatArray:
    """``∇C = A w + b`` (A symmetric)."""
    return np.array(affine(a, w, b))


def tiny_net_loss(w: Sequence[float], *, x: float, y: float) -> float:
    """``C(w) = ½ (w₂ tanh(w₁ x) − y)²``: one input, one tanh hidden unit, one linear output."""
    residual = float(w[1]) * math.tanh(float(w[0]) * x) - y
    return 0.5 * residual * residual


def tiny_net_gradient(w: Sequence[float], *, x: float, y: float) -> FloatArray:
    """``[r w₂ (1 − a²) x, r a]`` with ``a = tanh(w₁ x)`` and the residual ``r = w₂ a − y``."""
    a = math.tanh(float(w[0]) * x)
    r = float(w[1]) * a - y
    return np.array([r * float(w[1]) * (1.0 - a * a) * x, r * a])


class Evaluations(NamedTuple):
    """The loss at ``w`` and at ``w ± h e_i`` for each weight: all that a difference quotient needs."""

    h: float
    base: float  # C(w)
    plus: Vector  # C(w + h e_i)
    minus: Vector  # C(w − h e_i)


def evaluate(f: Callable[[Vector], float], w: Sequence[float], *, h: float) -> Evaluations:
    """Evaluate ``f`` at ``w`` and at ``w ± h`` along each axis (on private copies: ``w`` is never written)."""
    point = [float(v) for v in w]
    plus, minus = [], []
    for i, old in enumerate(point):
        point[i] = old + h
        plus.append(float(f(point)))
        point[i] = old - h
        minus.append(float(f(point)))
        point[i] = old
    return Evaluations(h=h, base=float(f(point)), plus=plus, minus=minus)


def centered_difference(ev: Evaluations) -> Vector:
    """``(C(w + h e_i) − C(w − h e_i)) / 2h``."""
    return [(p - m) / (2.0 * ev.h) for p, m in zip(ev.plus, ev.minus, strict=True)]


def forward_difference(ev: Evaluations) -> Vector:
    """``(C(w + h e_i) − C(w)) / h``."""
    return [(p - ev.base) / ev.h for p in ev.plus]


def _check(analytic: Sequence[float], numerical: Vector) -> GradCheck:
    return GradCheck(numerical=np.array(numerical), relative_error=relative_error(analytic, numerical))


# What the check reports from the evaluations, right or wrong (``analytic`` is the gradient under test).
CheckRule = Callable[[Evaluations, Sequence[float]], GradCheck]


def check_from(ev: Evaluations, analytic: Sequence[float]) -> GradCheck:
    """The centered-difference gradient and its relative error against ``analytic``."""
    return _check(analytic, centered_difference(ev))


def forward_difference_check(ev: Evaluations, analytic: Sequence[float]) -> GradCheck:
    """The one-sided difference and its relative error."""
    return _check(analytic, forward_difference(ev))


def step_not_doubled_check(ev: Evaluations, analytic: Sequence[float]) -> GradCheck:
    """The centered difference divided by ``h`` (twice the right one) and its relative error."""
    return _check(analytic, [2.0 * g for g in centered_difference(ev)])


def abs_error_check(ev: Evaluations, analytic: Sequence[float]) -> GradCheck:
    """The centered difference and the absolute error ``‖g_a − g_n‖``."""
    numerical = centered_difference(ev)
    error = math.sqrt(sum((float(a) - n) ** 2 for a, n in zip(analytic, numerical, strict=True)))
    return GradCheck(numerical=np.array(numerical), relative_error=error)


def gradient_check(
    f: Callable[[Vector], float], w: Sequence[float], analytic: Sequence[float], *, h: float
) -> GradCheck:
    """The centered-difference gradient of ``f`` at ``w`` and its relative error against ``analytic``."""
    return check_from(evaluate(f, w, h=h), analytic)


def misconception_forward_difference(
    f: Callable[[Vector], float], w: Sequence[float], analytic: Sequence[float], *, h: float
) -> GradCheck:
    """Uses the one-sided difference ``(C(w + h e_i) − C(w)) / h``.

    Tempting because it is the definition of the derivative and needs one evaluation fewer; its error is
    ``O(h)`` instead of ``O(h²)``.
    """
    return forward_difference_check(evaluate(f, w, h=h), analytic)


def misconception_step_not_doubled(
    f: Callable[[Vector], float], w: Sequence[float], analytic: Sequence[float], *, h: float
) -> GradCheck:
    """Divides the centered difference by ``h`` instead of ``2h``: the two points are ``2h`` apart.

    Tempting because the one-sided formula divides by ``h`` and the denominator gets copied.
    """
    return step_not_doubled_check(evaluate(f, w, h=h), analytic)


def misconception_abs_error_not_relative(
    f: Callable[[Vector], float], w: Sequence[float], analytic: Sequence[float], *, h: float
) -> GradCheck:
    """Reports the absolute error ``‖g_a − g_n‖`` instead of dividing by the gradients' scale.

    Tempting because "how far apart are they" is the first question; but gradients vary over orders of
    magnitude, so an absolute threshold means nothing.
    """
    return abs_error_check(evaluate(f, w, h=h), analytic)


# --- generator: backprop.mlp -----------------------------------------------------------------------------


class _MLPQuestion(NamedTuple):
    x: Vector
    y: Vector
    params: MLPParams
    activation_name: HiddenActivation
    loss: LossName


def _vector(value: object) -> Vector:
    out: Vector = (value if isinstance(value, np.ndarray) else as_array(value)).tolist()
    return out


def _matrix(value: object) -> Matrix:
    out: Matrix = (value if isinstance(value, np.ndarray) else as_array(value)).tolist()
    return out


def _mlp_inputs(inputs: Inputs) -> _MLPQuestion:
    activation_name = str(inputs["activation"])
    loss = str(inputs["loss"])
    if activation_name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown hidden activation: {activation_name!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss: {loss!r}")
    params = MLPParams(
        _matrix(inputs["W1"]), _vector(inputs["b1"]), _matrix(inputs["W2"]), _vector(inputs["b2"])
    )
    return _MLPQuestion(_vector(inputs["x"]), _vector(inputs["y"]), params, activation_name, loss)


def _mlp_forward(inputs: Inputs) -> tuple[float, MLPCache]:
    q = _mlp_inputs(inputs)
    return mlp_forward(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)


def _mlp_answer(value: float, grads: MLPGrads) -> Answer:
    return {
        "loss": value,
        "dW1": np.array(grads.dW1),
        "db1": np.array(grads.db1),
        "dW2": np.array(grads.dW2),
        "db2": np.array(grads.db2),
    }


def _mlp_stream_answer(value: float, grads: MLPGrads) -> StreamAnswer:
    """:func:`_mlp_answer` with the gradients as the lists they were computed as (see ``StreamAnswer``).

    A wrong backward pass keeps the right answer's lists for the gradients it does not touch, so the
    separation check skips them as the same objects.
    """
    return {"loss": value, "dW1": grads.dW1, "db1": grads.db1, "dW2": grads.dW2, "db2": grads.db2}


def _mlp_misconception(
    misconception_id: str,
    feedback: str,
    wrong: WrongBackward,
    changes: tuple[str, ...],
    applies: Callable[[Inputs], bool] | None = None,
) -> tuple[Misconception, WrongBackward]:
    """A misconception whose answer is ``wrong`` after the right forward pass, paired with ``wrong``."""

    def answer(inputs: Inputs) -> Answer:
        value, cache = _mlp_forward(inputs)
        return _mlp_answer(value, wrong(cache, mlp_backward(cache)))

    misconception = Misconception(
        id=misconception_id, feedback=feedback, answer=answer, applies=applies, changes=changes
    )
    return misconception, wrong


_LOSS_TEXT: dict[LossName, str] = {
    "mse": r"squared error with a linear output, $L = \tfrac{1}{2}\|z_2 - y\|^2$",
    "softmax_ce": (
        r"softmax cross-entropy on the logits $z_2$ with the one-hot target $y$, "
        r"$L = -\sum_k y_k \log \operatorname{softmax}(z_2)_k$ (natural log)"
    ),
}
_ACTIVATION_TEXT: dict[HiddenActivation, str] = {
    "sigmoid": r"the logistic sigmoid $\sigma(z) = 1/(1 + e^{-z})$",
    "tanh": r"$\tanh$",
    "relu": r"ReLU, $\max(0, z)$",
}
# Where each input comes from in the one uniform draw per sample: (name, shape, low, high).
_MLP_DRAWS: tuple[tuple[str, tuple[int, ...], float, float], ...] = (
    ("x", (N_IN,), -2.0, 2.0),
    ("W1", (N_HIDDEN, N_IN), -1.5, 1.5),
    ("b1", (N_HIDDEN,), -0.5, 0.5),
    ("W2", (N_OUT, N_HIDDEN), -1.5, 1.5),
    ("b2", (N_OUT,), -0.5, 0.5),
    ("y", (N_OUT,), -1.0, 1.0),  # squared error only; cross-entropy draws a one-hot target
)
_MLP_CHOICES = 3  # activation, loss, class of the one-hot target
_MLP_STOPS = list(itertools.accumulate((math.prod(shape) for _, shape, _, _ in _MLP_DRAWS), initial=0))
# Each input's slice of the drawn values, and each value's range, in draw order.
_MLP_SLICES = [
    (name, start, stop, shape)
    for (name, shape, _, _), (start, stop) in zip(_MLP_DRAWS, itertools.pairwise(_MLP_STOPS), strict=True)
]
_MLP_RANGES = [(low, high - low) for _, shape, low, high in _MLP_DRAWS for _ in range(math.prod(shape))]
_MLP_UNIFORMS = _MLP_CHOICES + _MLP_STOPS[-1]

# In the order the separation check meets them: the one most often too close to the right answer first
# (f'(a1) is near f'(z1) for small z1), so most rejected draws stop after one wrong backward pass.
_MLP_MISCONCEPTIONS = (
    _mlp_misconception(
        "backprop.derivative-at-output",
        "You evaluated the activation's derivative at the output a₁; it is f′(z₁), at the pre-activation.",
        wrong_backward_derivative_at_output,
        ("dW1", "db1"),
        applies=lambda inputs: inputs["activation"] != "relu",  # relu'(relu(z)) = relu'(z) off the kink
    ),
    _mlp_misconception(
        "backprop.missing-activation-derivative",
        "You sent W₂ᵀδ₂ into the hidden layer without multiplying by the activation's slope f′(z₁).",
        wrong_backward_missing_activation_derivative,
        ("dW1", "db1"),
    ),
    _mlp_misconception(
        "backprop.untransposed-weights",
        "You propagated the error with W₂δ₂; going backwards uses the transpose, W₂ᵀδ₂.",
        wrong_backward_untransposed_weights,
        ("dW1", "db1"),
    ),
    _mlp_misconception(
        "backprop.outer-product-reversed",
        "Your weight gradients are transposed: with W stored as (out, in), dW = δ xᵀ, not x δᵀ.",
        wrong_backward_outer_product_reversed,
        ("dW1", "dW2"),
    ),
    _mlp_misconception(
        "backprop.output-error-without-y",
        "You used δ₂ = p; with softmax and cross-entropy the output error is p − y.",
        wrong_backward_output_error_without_y,
        ("dW1", "db1", "dW2", "db2"),
        applies=lambda inputs: inputs["loss"] == "softmax_ce",
    ),
)


def _off_the_kink(q: _MLPQuestion) -> bool:
    """ReLU's pre-activations are off the kink, with one unit active and one dead (other activations: True).

    With both units active ReLU's gate changes nothing, with both dead every hidden gradient is 0, and
    either way the question cannot show the gate.
    """
    if q.activation_name != "relu":
        return True
    z1 = affine(q.params.W1, q.x, q.params.b1)
    return min(abs(z) for z in z1) >= KINK_MARGIN and min(z1) < 0 < max(z1)


def _every_step_shows(cache: MLPCache) -> bool:
    """Every active hidden unit receives an error through ``W2``, or ``dW1`` cannot show that step.

    With softmax cross-entropy that error is exactly 0 for a unit whose column of ``W2`` repeats an entry,
    since ``Σδ2 = 0``.
    """
    back = transposed_matvec(cache.W2, cache.delta2)
    return all(
        abs(error) >= MIN_BACK_ERROR
        for error, gate in zip(back, slope(cache, cache.z1), strict=True)
        if gate > 0
    )


def _acceptable_forward(q: _MLPQuestion) -> tuple[float, MLPCache] | None:
    """The forward pass of an acceptable question (off the kink, every step shows), else None."""
    if not _off_the_kink(q):
        return None
    value, cache = mlp_forward(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)
    return (value, cache) if _every_step_shows(cache) else None


def _mlp_answers(inputs: Inputs, value: float, cache: MLPCache) -> AnswerStream:
    """``MLPGenerator.answers`` after the forward pass: each misconception is a wrong backward pass."""
    grads = mlp_backward(cache)
    explaining = yield None, _mlp_stream_answer(value, grads)
    for misconception, wrong in _MLP_MISCONCEPTIONS:
        if misconception.applies_to(inputs) and misconception.could_explain(explaining):
            yield misconception, _mlp_stream_answer(value, wrong(cache, grads))


class MLPGenerator(Generator):
    """``backprop.mlp``: loss and gradients of a 2-2-2 MLP on one example."""

    id = "backprop.mlp"
    topic = "backprop"
    title = "Backpropagation through a one-hidden-layer MLP"
    answer_fields = {
        "loss": FieldSpec(rtol=RTOL, atol=ATOL),
        "dW1": FieldSpec(shape=(N_HIDDEN, N_IN), rtol=RTOL, atol=ATOL),
        "db1": FieldSpec(shape=(N_HIDDEN,), rtol=RTOL, atol=ATOL),
        "dW2": FieldSpec(shape=(N_OUT, N_HIDDEN), rtol=RTOL, atol=ATOL),
        "db2": FieldSpec(shape=(N_OUT,), rtol=RTOL, atol=ATOL),
    }
    misconceptions = tuple(misconception for misconception, _ in _MLP_MISCONCEPTIONS)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u: Vector = rng.random(_MLP_UNIFORMS).tolist()  # one call, cut into pieces
        activation_name = HIDDEN_ACTIVATIONS[int(u[0] * len(HIDDEN_ACTIVATIONS))]
        loss = LOSSES[int(u[1] * len(LOSSES))]
        # Uniforms mapped to each input's range and rounded to tenths (round is half-even, as np.rint);
        # one array, of which each input is a view.
        values = np.array(
            [
                round((low + v * span) * 10.0) / 10.0
                for v, (low, span) in zip(u[_MLP_CHOICES:], _MLP_RANGES, strict=True)
            ]
        )
        inputs: dict[str, InputValue] = {
            name: values[start:stop].reshape(shape) for name, start, stop, shape in _MLP_SLICES
        }
        if loss == "softmax_ce":
            y = np.zeros(N_OUT)
            y[int(u[2] * N_OUT)] = 1.0
            inputs["y"] = y
        return {**inputs, "activation": activation_name, "loss": loss}

    def acceptable(self, inputs: Inputs) -> bool:
        return _acceptable_forward(_mlp_inputs(inputs)) is not None

    def admissible(self, inputs: Inputs) -> bool:
        # ``acceptable`` and ``well_separated`` with one forward pass.
        forward = _acceptable_forward(_mlp_inputs(inputs))
        return forward is not None and self.separated(_mlp_answers(inputs, *forward))

    def prompt(self, inputs: Inputs) -> str:
        q = _mlp_inputs(inputs)
        p = q.params
        return (
            "A network with one hidden layer computes, for one example, "
            r"$z_1 = W_1 x + b_1$, $a_1 = f(z_1)$, $z_2 = W_2 a_1 + b_2$, "
            f"where the hidden activation $f$ is {_ACTIVATION_TEXT[q.activation_name]} and the loss is "
            f"{_LOSS_TEXT[q.loss]}. Weights are stored as (out, in); vectors are columns, written below as rows.\n\n"
            f"$x = {matrix(q.x)}$, $y = {matrix(q.y)}$, $W_1 = {matrix(p.W1)}$, $b_1 = {matrix(p.b1)}$, "
            f"$W_2 = {matrix(p.W2)}$, $b_2 = {matrix(p.b2)}$.\n\n"
            "Compute the loss (`loss`) and its gradients with respect to each parameter, each with the "
            "shape of its parameter: `dW1`, `db1`, `dW2`, `db2`. Answers are checked to 1 % "
            "(0.001 absolute near zero)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        value, cache = _mlp_forward(inputs)
        return _mlp_answer(value, mlp_backward(cache))

    def answers(self, inputs: Inputs) -> AnswerStream:
        return _mlp_answers(inputs, *_mlp_forward(inputs))

    def explain(self, inputs: Inputs) -> list[Step]:
        q = _mlp_inputs(inputs)
        value, cache = mlp_forward(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)
        grads = mlp_backward(cache)
        delta1 = hidden_error(cache)
        gate = slope(cache, cache.z1)
        back = transposed_matvec(cache.W2, cache.delta2)
        if q.loss == "mse":
            loss_text = f"$L = \\tfrac12 \\|z_2 - y\\|^2 = {num(value)}$"
            error_text = f"Output error (linear output): $\\delta_2 = z_2 - y = {matrix(cache.delta2)}$."
        else:
            p = [d + t for d, t in zip(cache.delta2, q.y, strict=True)]
            target = q.y.index(max(q.y))
            loss_text = f"$p = \\operatorname{{softmax}}(z_2) = {matrix(p)}$, $L = -\\log p_{{{target}}} = {num(value)}$"
            error_text = (
                f"Output error of softmax with cross-entropy: $\\delta_2 = p - y = {matrix(cache.delta2)}$."
            )
        return [
            Step("z1", f"$z_1 = W_1 x + b_1 = {matrix(cache.z1)}$.", to_jsonable(cache.z1)),
            Step("a1", f"$a_1 = f(z_1) = {matrix(cache.a1)}$.", to_jsonable(cache.a1)),
            Step("z2", f"$z_2 = W_2 a_1 + b_2 = {matrix(cache.z2)}$.", to_jsonable(cache.z2)),
            Step("loss", f"{loss_text}.", value),
            Step("delta2", error_text, to_jsonable(cache.delta2)),
            Step(
                "dW2",
                f"$dW_2 = \\delta_2 a_1^\\top = {matrix(grads.dW2)}$ and $db_2 = \\delta_2$.",
                to_jsonable(grads.dW2),
            ),
            Step(
                "delta1",
                f"Back through $W_2$ and the activation: $W_2^\\top \\delta_2 = {matrix(back)}$, "
                f"$f'(z_1) = {matrix(gate)}$, so $\\delta_1 = (W_2^\\top \\delta_2) \\odot f'(z_1) = {matrix(delta1)}$.",
                to_jsonable(delta1),
            ),
            Step(
                "dW1",
                f"$dW_1 = \\delta_1 x^\\top = {matrix(grads.dW1)}$ and $db_1 = \\delta_1$.",
                to_jsonable(grads.dW1),
            ),
        ]


# --- generator: backprop.gradcheck -----------------------------------------------------------------------


class _CheckQuestion(NamedTuple):
    kind: GradcheckKind
    f: Callable[[Vector], float]
    gradient: Callable[[Vector], FloatArray]  # the true gradient, for the worked solution
    w: Vector
    analytic: Vector
    h: float


def _check_inputs(inputs: Inputs) -> _CheckQuestion:
    kind = str(inputs["kind"])
    w, analytic, h = _vector(inputs["w"]), _vector(inputs["analytic"]), as_float(inputs["h"])
    if kind == "quadratic":
        a, b = _matrix(inputs["A"]), _vector(inputs["b"])
        return _CheckQuestion(
            "quadratic",
            lambda v: quadratic_loss(v, a=a, b=b),
            lambda v: quadratic_gradient(v, a=a, b=b),
            w,
            analytic,
            h,
        )
    if kind == "tiny_net":
        x, y = as_float(inputs["x"]), as_float(inputs["y"])
        return _CheckQuestion(
            "tiny_net",
            lambda v: tiny_net_loss(v, x=x, y=y),
            lambda v: tiny_net_gradient(v, x=x, y=y),
            w,
            analytic,
            h,
        )
    raise ValueError(f"unknown function kind: {kind!r}")


def _check_answer(result: GradCheck) -> Answer:
    return {"numerical_grad": result.numerical, "relative_error": result.relative_error}


def _checked(inputs: Inputs) -> tuple[_CheckQuestion, Evaluations]:
    q = _check_inputs(inputs)
    return q, evaluate(q.f, q.w, h=q.h)


def _check_misconception(
    misconception_id: str, feedback: str, rule: CheckRule, changes: tuple[str, ...] | None = None
) -> tuple[Misconception, CheckRule]:
    """A misconception whose answer is ``rule`` on the question's loss evaluations, paired with ``rule``."""

    def answer(inputs: Inputs) -> Answer:
        q, ev = _checked(inputs)
        return _check_answer(rule(ev, q.analytic))

    return Misconception(id=misconception_id, feedback=feedback, answer=answer, changes=changes), rule


def _buggy_gradient(kind: GradcheckKind, w: Vector, extra: dict[str, InputValue], bug: int) -> Vector:
    """The gradient "under test": the true one with one of three typical backprop bugs."""
    if kind == "quadratic":
        a, b = _matrix(extra["A"]), _vector(extra["b"])
        aw = matvec(a, w)
        quadratic_bugs = (
            [0.5 * v + bi for v, bi in zip(aw, b, strict=True)],  # d(½ wᵀAw) taken as ½Aw
            [a[i][i] * w[i] + b[i] for i in range(len(w))],  # off-diagonal coupling dropped
            aw,  # linear term forgotten
        )
        return quadratic_bugs[bug]
    x, y = as_float(extra["x"]), as_float(extra["y"])
    hidden = math.tanh(w[0] * x)
    r = w[1] * hidden - y
    net_bugs = (
        [r * w[1] * x, r * hidden],  # tanh derivative missing
        [r * w[1] * (1.0 - hidden * hidden), r * hidden],  # input x missing
        (-tiny_net_gradient(w, x=x, y=y)).tolist(),  # residual taken as y − output
    )
    return net_bugs[bug]


_CHECK_MISCONCEPTIONS = (
    _check_misconception(
        "backprop.forward-difference",
        "You used the one-sided difference (C(w + h) − C(w))/h; the check uses the centered (C(w + h) − C(w − h))/2h.",
        forward_difference_check,
    ),
    _check_misconception(
        "backprop.abs-error-not-relative",
        "You gave the absolute error ‖gₐ − gₙ‖; divide it by max(‖gₐ‖, ‖gₙ‖) to make it scale-free.",
        abs_error_check,
        ("relative_error",),
    ),
    _check_misconception(
        "backprop.centered-difference-over-h",
        "You divided the centered difference by h; the two points w ± h are 2h apart.",
        step_not_doubled_check,
    ),
)


class GradcheckGenerator(Generator):
    """``backprop.gradcheck``: centered-difference gradient of a small loss and its relative error."""

    id = "backprop.gradcheck"
    topic = "backprop"
    title = "Gradient checking: numerical gradient and relative error"
    answer_fields = {
        "numerical_grad": FieldSpec(shape=(N_WEIGHTS,), rtol=RTOL, atol=ATOL),
        "relative_error": FieldSpec(rtol=RTOL, atol=ATOL),
    }
    misconceptions = tuple(misconception for misconception, _ in _CHECK_MISCONCEPTIONS)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u: Vector = rng.random(10).tolist()  # one call, cut into pieces
        kind = GRADCHECK_KINDS[int(u[0] * len(GRADCHECK_KINDS))]
        h = STEP_CHOICES[int(u[1] * len(STEP_CHOICES))]
        bug = int(u[2] * 3)
        w = [_tenths(u[3], -1.5, 1.5), _tenths(u[4], -1.5, 1.5)]
        extra: dict[str, InputValue]
        if kind == "quadratic":
            off = _tenths(u[7], -1.0, 1.0)
            a = np.array([[_tenths(u[5], 1.0, 3.0), off], [off, _tenths(u[6], 1.0, 3.0)]])
            extra = {"A": a, "b": np.array([_tenths(u[8], -1.0, 1.0), _tenths(u[9], -1.0, 1.0)])}
        else:
            extra = {"x": _tenths(u[5], -2.0, 2.0), "y": _tenths(u[6], -1.0, 1.0)}
        # Rounded to 3 decimals as np.round does it: rint(g * 1000) / 1000.
        analytic = [round(g * 1000.0) / 1000.0 for g in _buggy_gradient(kind, w, extra, bug)]
        return {"kind": kind, "w": np.array(w), "h": h, "analytic": np.array(analytic), **extra}

    def acceptable(self, inputs: Inputs) -> bool:
        q = _check_inputs(inputs)
        true: Vector = q.gradient(q.w).tolist()
        if math.sqrt(sum(g * g for g in true)) < MIN_GRADIENT:
            return False  # before evaluating the loss: most rejected draws stop here
        # The bug must stand out from the truncation error of the large step, or the check proves nothing.
        numerical = centered_difference(evaluate(q.f, q.w, h=q.h))
        return relative_error(q.analytic, numerical) >= max(
            MIN_BUG_ERROR, 10.0 * relative_error(true, numerical)
        )

    def prompt(self, inputs: Inputs) -> str:
        q = _check_inputs(inputs)
        if q.kind == "quadratic":
            a, b = as_array(inputs["A"]), as_array(inputs["b"])
            function = (
                r"the quadratic $C(w) = \tfrac{1}{2} w^\top A w + b^\top w$ with "
                f"$A = {matrix(a)}$ and $b = {matrix(b)}$"
            )
        else:
            x, y = as_float(inputs["x"]), as_float(inputs["y"])
            function = (
                r"the loss of a one-hidden-unit net, $C(w) = \tfrac{1}{2}\left(w_2 \tanh(w_1 x) - y\right)^2$ "
                f"with $x = {num(x)}$ and $y = {num(y)}$"
            )
        return (
            f"A backprop implementation reports the gradient $g_a = {matrix(q.analytic)}$ of {function}, "
            f"at $w = {matrix(q.w)}$. Check it with a step $h = {num(q.h)}$ (large, so it can be done by hand).\n\n"
            r"Compute the centered-difference gradient $g_n$, with $g_{n,i} = (C(w + h e_i) - C(w - h e_i)) / 2h$ "
            r"(`numerical_grad`), and the relative error $\|g_a - g_n\| / \max(\|g_a\|, \|g_n\|)$ with "
            "Euclidean norms (`relative_error`). Answers are checked to 1 % (0.001 absolute near zero)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        q, ev = _checked(inputs)
        return _check_answer(check_from(ev, q.analytic))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The loss at w and w ± h e_i once: every misconception reads its answer off the same evaluations.
        q, ev = _checked(inputs)
        explaining = yield None, _check_answer(check_from(ev, q.analytic))
        for misconception, rule in _CHECK_MISCONCEPTIONS:
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _check_answer(rule(ev, q.analytic))

    def explain(self, inputs: Inputs) -> list[Step]:
        q, ev = _checked(inputs)
        result = check_from(ev, q.analytic)
        steps: list[Step] = []
        for i in range(len(q.w)):
            plus = [v + q.h if j == i else v for j, v in enumerate(q.w)]
            minus = [v - q.h if j == i else v for j, v in enumerate(q.w)]
            c_plus, c_minus = ev.plus[i], ev.minus[i]
            steps.append(
                Step(
                    f"g_n[{i}]",
                    f"$C({matrix(plus)}) = {num(c_plus)}$ and $C({matrix(minus)}) = {num(c_minus)}$, so "
                    f"$g_{{n,{i + 1}}} = ({num(c_plus)} - {num(c_minus)}) / {num(2 * q.h)} = {num(float(result.numerical[i]))}$.",
                    float(result.numerical[i]),
                )
            )
        numerical = result.numerical.tolist()
        difference = math.sqrt(sum((a - n) ** 2 for a, n in zip(q.analytic, numerical, strict=True)))
        scale = max(math.sqrt(sum(a * a for a in q.analytic)), math.sqrt(sum(n * n for n in numerical)))
        true = q.gradient(q.w)
        baseline = relative_error(true.tolist(), numerical)
        if baseline < 1e-9:
            reference = "agrees with $g_n$ exactly (a centered difference is exact for a quadratic)"
        else:
            reference = (
                f"would be off by only ${_scientific(baseline)}$ at this step (the centered difference's "
                "truncation error)"
            )
        steps.append(
            Step(
                "relative_error",
                f"$\\|g_a - g_n\\| = {num(difference)}$ and $\\max(\\|g_a\\|, \\|g_n\\|) = {num(scale)}$, "
                f"so the relative error is ${num(result.relative_error)}$. The exact gradient ${matrix(true)}$ "
                f"{reference}, so the reported gradient has a bug.",
                result.relative_error,
            )
        )
        return steps


register(MLPGenerator())
register(GradcheckGenerator())
