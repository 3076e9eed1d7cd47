"""Activation functions and their derivatives, softmax with cross-entropy, and maxout units.

Conventions are PyTorch's: Leaky ReLU's ``alpha`` is ``negative_slope`` (default 0.01), ELU's ``alpha``
defaults to 1, hard tanh clips to [-1, 1], softplus has beta = 1, and GELU is the exact form
``z * Phi(z)`` with the normal CDF written through ``erf`` (``approximate="none"``). Derivatives are never
asked at a kink (ReLU, Leaky ReLU and ELU at 0, hard tanh at ±1). Softmax cross-entropy takes a one-hot
target, ``L = -sum(y * log softmax(z))``, whose gradient with respect to the logits is ``p - y``. A maxout
unit outputs the largest of ``k`` affine pieces, ``h_j = max_k (x @ W[k] + b[k])_j``, so a layer has
``k * (i * o + o)`` parameters. Sources: DLB 6.3; Hendrycks & Gimpel 2016 (GELU,
https://arxiv.org/abs/1606.08415); Clevert et al. 2015 (ELU, https://arxiv.org/abs/1511.07289);
Goodfellow et al. 2013 (maxout, https://arxiv.org/abs/1302.4389).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, get_args

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

ActivationName = Literal["relu", "leaky_relu", "elu", "gelu", "softplus", "sigmoid", "tanh", "hardtanh"]
NAMES: tuple[ActivationName, ...] = get_args(ActivationName)
LEAKY_SLOPE = 0.01  # PyTorch's negative_slope default
ELU_ALPHA = 1.0  # PyTorch's default
LEAKY_SLOPE_CHOICES = (0.01, 0.05, 0.1, 0.2)
ELU_ALPHA_CHOICES = (1.0, 1.0, 0.5, 2.0)
N_POINTS = 4  # activations.derivative evaluates at this many points
Z_LIMIT = 3.0
KINK_MARGIN = 0.05  # no point closer than this to a kink
N_CLASSES = 3  # activations.softmax_ce
MAXOUT_OUTPUTS = 2  # fixed so the answer shape is fixed; pieces and inputs vary per question
MAXOUT_PIECES = (2, 3)
MAXOUT_INPUTS = (2, 3)
TIE_MARGIN = 0.05  # the winning maxout piece leads the runner-up by at least this much
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _grid(u: FloatArray, low: float, high: float) -> FloatArray:
    """Uniform draws ``u`` in [0, 1) mapped to [low, high] and rounded to one decimal (hand-workable)."""
    out: FloatArray = np.rint((low + u * (high - low)) * 10.0) / 10.0
    return out


# --- activations and derivatives (elementwise; z of any shape) -------------------------------------------


def sigmoid(z: FloatArray) -> FloatArray:
    """``1 / (1 + e^{-z})``, written as ``(1 + tanh(z/2)) / 2``, which never overflows."""
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * z))
    return out


def sigmoid_derivative(z: FloatArray) -> FloatArray:
    """``σ(z)(1 − σ(z))``: cheapest from the forward value, as frameworks compute it."""
    s = sigmoid(z)
    out: FloatArray = s * (1.0 - s)
    return out


def tanh(z: FloatArray) -> FloatArray:
    """The hyperbolic tangent."""
    out: FloatArray = np.tanh(z)
    return out


def tanh_derivative(z: FloatArray) -> FloatArray:
    """``1 − tanh(z)²``."""
    t = np.tanh(z)
    out: FloatArray = 1.0 - t * t
    return out


def relu(z: FloatArray) -> FloatArray:
    """``max(0, z)``."""
    out: FloatArray = np.maximum(z, 0.0)
    return out


def relu_derivative(z: FloatArray) -> FloatArray:
    """1 where ``z > 0``, else 0 (PyTorch uses 0 at the kink)."""
    out: FloatArray = (z > 0).astype(np.float64)
    return out


def leaky_relu(z: FloatArray, *, alpha: float = LEAKY_SLOPE) -> FloatArray:
    """``z`` for ``z > 0``, ``alpha * z`` otherwise."""
    out: FloatArray = np.where(z > 0, z, alpha * z)
    return out


def leaky_relu_derivative(z: FloatArray, *, alpha: float = LEAKY_SLOPE) -> FloatArray:
    """1 for ``z > 0``, ``alpha`` otherwise."""
    out: FloatArray = np.where(z > 0, 1.0, alpha)
    return out


def elu(z: FloatArray, *, alpha: float = ELU_ALPHA) -> FloatArray:
    """``z`` for ``z > 0``, ``alpha * (e^z − 1)`` otherwise."""
    out: FloatArray = np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))
    return out


def elu_derivative(z: FloatArray, *, alpha: float = ELU_ALPHA) -> FloatArray:
    """1 for ``z > 0``, ``alpha * e^z`` (= ELU(z) + alpha) otherwise."""
    out: FloatArray = np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))
    return out


def normal_cdf(z: FloatArray) -> FloatArray:
    """``Φ(z) = (1 + erf(z / √2)) / 2``, the standard normal CDF (NumPy has no erf; math's is exact)."""
    erf = np.array([math.erf(v / _SQRT2) for v in z.ravel().tolist()]).reshape(z.shape)
    out: FloatArray = 0.5 * (1.0 + erf)
    return out


def normal_pdf(z: FloatArray) -> FloatArray:
    """``φ(z) = e^{−z²/2} / √(2π)``."""
    out: FloatArray = _INV_SQRT_2PI * np.exp(-0.5 * z * z)
    return out


def gelu(z: FloatArray) -> FloatArray:
    """``z Φ(z)``, the exact (erf) form, PyTorch's ``F.gelu(approximate="none")``."""
    out: FloatArray = z * normal_cdf(z)
    return out


def gelu_derivative(z: FloatArray) -> FloatArray:
    """``Φ(z) + z φ(z)`` by the product rule."""
    out: FloatArray = normal_cdf(z) + z * normal_pdf(z)
    return out


def softplus(z: FloatArray) -> FloatArray:
    """``log(1 + e^z)`` (beta = 1), computed as ``logaddexp(0, z)`` so it never overflows."""
    out: FloatArray = np.logaddexp(0.0, z)
    return out


def softplus_derivative(z: FloatArray) -> FloatArray:
    """``e^z / (1 + e^z) = σ(z)``."""
    return sigmoid(z)


def hardtanh(z: FloatArray) -> FloatArray:
    """``max(−1, min(1, z))``."""
    out: FloatArray = np.clip(z, -1.0, 1.0)
    return out


def hardtanh_derivative(z: FloatArray) -> FloatArray:
    """1 strictly inside (−1, 1), 0 outside (PyTorch uses 0 at the corners)."""
    out: FloatArray = (np.abs(z) < 1.0).astype(np.float64)
    return out


def activation(z: FloatArray, name: ActivationName, *, alpha: float | None = None) -> FloatArray:
    """The named activation; ``alpha`` is Leaky ReLU's slope or ELU's α (their defaults when None)."""
    match name:
        case "relu":
            return relu(z)
        case "leaky_relu":
            return leaky_relu(z, alpha=LEAKY_SLOPE if alpha is None else alpha)
        case "elu":
            return elu(z, alpha=ELU_ALPHA if alpha is None else alpha)
        case "gelu":
            return gelu(z)
        case "softplus":
            return softplus(z)
        case "sigmoid":
            return sigmoid(z)
        case "tanh":
            return tanh(z)
        case "hardtanh":
            return hardtanh(z)
    raise ValueError(f"unknown activation: {name!r}")


def activation_derivative(z: FloatArray, name: ActivationName, *, alpha: float | None = None) -> FloatArray:
    """``f'(z)`` elementwise for the named activation; same ``alpha`` convention as :func:`activation`."""
    match name:
        case "relu":
            return relu_derivative(z)
        case "leaky_relu":
            return leaky_relu_derivative(z, alpha=LEAKY_SLOPE if alpha is None else alpha)
        case "elu":
            return elu_derivative(z, alpha=ELU_ALPHA if alpha is None else alpha)
        case "gelu":
            return gelu_derivative(z)
        case "softplus":
            return softplus_derivative(z)
        case "sigmoid":
            return sigmoid_derivative(z)
        case "tanh":
            return tanh_derivative(z)
        case "hardtanh":
            return hardtanh_derivative(z)
    raise ValueError(f"unknown activation: {name!r}")


def activation_backward(
    dout: FloatArray, z: FloatArray, name: ActivationName, *, alpha: float | None = None
) -> FloatArray:
    """``dz = dout * f'(z)``: the backward pass of an elementwise activation, given its input ``z``."""
    out: FloatArray = dout * activation_derivative(z, name, alpha=alpha)
    return out


# --- the same activations on one float --------------------------------------------------------------------
# For a layer of two units NumPy's per-call cost is ten times the arithmetic, so single-example code (the
# hidden layer of backprop.mlp) uses these; the formulas are the array functions' above.

ScalarFunction = Callable[[float], float]


def _sigmoid_scalar(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * z))


def _sigmoid_derivative_scalar(z: float) -> float:
    s = _sigmoid_scalar(z)
    return s * (1.0 - s)


def _tanh_derivative_scalar(z: float) -> float:
    t = math.tanh(z)
    return 1.0 - t * t


_SCALAR: dict[str, tuple[ScalarFunction, ScalarFunction]] = {
    "sigmoid": (_sigmoid_scalar, _sigmoid_derivative_scalar),
    "tanh": (math.tanh, _tanh_derivative_scalar),
    "relu": (lambda z: z if z > 0.0 else 0.0, lambda z: 1.0 if z > 0.0 else 0.0),
}
SCALAR_NAMES: tuple[ActivationName, ...] = ("sigmoid", "tanh", "relu")


def scalar_activation(name: ActivationName) -> tuple[ScalarFunction, ScalarFunction]:
    """``(f, f')`` on one float for sigmoid, tanh or ReLU; a ValueError for the others."""
    try:
        return _SCALAR[name]
    except KeyError:
        raise ValueError(f"no scalar form of activation {name!r}") from None


# --- misconceptions about derivatives (same arguments as the right derivative function) ------------------


def misconception_relu_derivative_one(z: FloatArray) -> FloatArray:
    """Believes ReLU passes every gradient through (derivative 1), as if it were the identity.

    Tempting because ReLU *is* the identity wherever it is active; the gate at ``z < 0`` is forgotten.
    """
    return np.ones_like(z)


def misconception_relu_derivative_is_relu(z: FloatArray) -> FloatArray:
    """Uses the forward value ``max(0, z)`` as the local gradient.

    Tempting because the backward pass multiplies by something stored from the forward pass, and the
    activation's output is what gets stored.
    """
    return relu(z)


def misconception_leaky_derivative_zero_below(z: FloatArray, *, alpha: float = LEAKY_SLOPE) -> FloatArray:  # noqa: ARG001
    """Uses ReLU's derivative (0 for ``z < 0``), forgetting that the leak also leaks the gradient.

    Tempting because Leaky ReLU is "ReLU with a small slope" and the slope looks negligible.
    """
    return relu_derivative(z)


def misconception_leaky_derivative_is_alpha_z(z: FloatArray, *, alpha: float = LEAKY_SLOPE) -> FloatArray:
    """Uses the negative branch's value ``alpha * z`` as its slope.

    Tempting because the value of the branch and its slope are both written with ``alpha``.
    """
    out: FloatArray = np.where(z > 0, 1.0, alpha * z)
    return out


def misconception_elu_derivative_is_alpha(z: FloatArray, *, alpha: float = ELU_ALPHA) -> FloatArray:
    """Uses a constant slope ``alpha`` below 0, as for Leaky ReLU.

    Tempting because alpha is "the negative-side parameter" in both units; ELU's slope is ``alpha e^z``.
    """
    out: FloatArray = np.where(z > 0, 1.0, alpha)
    return out


def misconception_elu_derivative_keeps_minus_one(z: FloatArray, *, alpha: float = ELU_ALPHA) -> FloatArray:
    """Differentiates ``alpha (e^z − 1)`` to ``alpha (e^z − 1)``: the exponential is its own derivative, and the −1 is kept.

    Tempting because ``d/dz e^z = e^z`` invites copying the whole branch; the constant −1 drops out.
    """
    out: FloatArray = np.where(z > 0, 1.0, alpha * np.expm1(np.minimum(z, 0.0)))
    return out


def misconception_gelu_derivative_is_phi(z: FloatArray) -> FloatArray:
    """Gives ``Φ(z)``: differentiates ``z Φ(z)`` as if ``Φ`` were a constant gate.

    Tempting because GELU is described as "z gated by Φ(z)", like ReLU's gate whose derivative is the gate.
    """
    return normal_cdf(z)


def misconception_gelu_derivative_is_z_pdf(z: FloatArray) -> FloatArray:
    """Gives ``z φ(z)``: differentiates only the ``Φ`` factor and treats ``z`` as a constant.

    Tempting because the derivative of the CDF is the density, and the product rule's other term is lost.
    """
    out: FloatArray = z * normal_pdf(z)
    return out


def misconception_softplus_derivative_is_softplus(z: FloatArray) -> FloatArray:
    """Gives ``log(1 + e^z)`` itself, as if softplus were its own derivative like ``e^z``.

    Tempting because softplus is built from an exponential.
    """
    return softplus(z)


def misconception_softplus_missing_inner_derivative(z: FloatArray) -> FloatArray:
    """Gives ``1 / (1 + e^z)``: the derivative of the log without the chain rule's inner ``e^z``.

    Tempting because ``d/du log u = 1/u`` is the first step, and the inner factor is easy to drop.
    """
    return sigmoid(-z)


def misconception_sigmoid_derivative_is_sigmoid(z: FloatArray) -> FloatArray:
    """Gives ``σ(z)`` instead of ``σ(z)(1 − σ(z))``.

    Tempting because the derivative is "written in terms of σ" and σ is what the forward pass stored.
    """
    return sigmoid(z)


def misconception_sigmoid_derivative_z_one_minus_z(z: FloatArray) -> FloatArray:
    """Applies the ``a(1 − a)`` formula to the input ``z`` instead of the output ``a = σ(z)``.

    Tempting because the formula is memorised as ``x(1 − x)`` without saying which x.
    """
    out: FloatArray = z * (1.0 - z)
    return out


def misconception_tanh_derivative_one_minus_tanh(z: FloatArray) -> FloatArray:
    """Gives ``1 − tanh(z)`` instead of ``1 − tanh(z)²``.

    Tempting because the square is easy to forget next to sigmoid's ``σ(1 − σ)``, which has none.
    """
    out: FloatArray = 1.0 - np.tanh(z)
    return out


def misconception_tanh_derivative_one_minus_z_squared(z: FloatArray) -> FloatArray:
    """Applies ``1 − a²`` to the input ``z`` instead of the output ``a = tanh(z)``.

    Tempting for the same reason as sigmoid's ``z(1 − z)``: the formula is remembered without its argument.
    """
    out: FloatArray = 1.0 - z * z
    return out


def misconception_hardtanh_derivative_one(z: FloatArray) -> FloatArray:
    """Passes the gradient through everywhere, as if clipping had no effect on the backward pass.

    Tempting because hard tanh is the identity on its linear part, where most examples sit.
    """
    return np.ones_like(z)


def misconception_hardtanh_derivative_like_tanh(z: FloatArray) -> FloatArray:
    """Uses tanh's rule ``1 − g(z)²`` on hard tanh's output ``g(z)``.

    Tempting because hard tanh is "the piecewise-linear tanh"; its linear part has slope exactly 1.
    """
    g = hardtanh(z)
    out: FloatArray = 1.0 - g * g
    return out


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


# --- maxout -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaxoutCache:
    """The input, the weights and which piece won for each output unit."""

    x: FloatArray  # (i,)
    w: FloatArray  # (k, i, o)
    winner: FloatArray  # (k, o) one-hot over pieces: 1 where that piece is the max


class MaxoutGrads(NamedTuple):
    """Gradients with respect to the input and the parameters (each has its shape)."""

    dx: FloatArray
    dw: FloatArray
    db: FloatArray


def maxout_pieces(x: FloatArray, w: FloatArray, b: FloatArray) -> FloatArray:
    """The ``k`` affine pieces ``x @ W[k] + b[k]``, shape (k, o)."""
    out: FloatArray = x @ w + b
    return out


def maxout_forward(x: FloatArray, w: FloatArray, b: FloatArray) -> tuple[FloatArray, MaxoutCache]:
    """``h_j = max_k (x @ W[k] + b[k])_j`` for ``x`` (i,), ``W`` (k, i, o), ``b`` (k, o); returns ``h`` (o,)."""
    pieces = maxout_pieces(x, w, b)
    best = pieces.argmax(axis=0)
    winner: FloatArray = (np.arange(w.shape[0])[:, None] == best).astype(np.float64)
    out: FloatArray = pieces.max(axis=0)
    return out, MaxoutCache(x=x, w=w, winner=winner)


def maxout_backward(dout: FloatArray, cache: MaxoutCache) -> MaxoutGrads:
    """Only the winning piece of each unit gets the gradient, like max pooling."""
    db: FloatArray = cache.winner * dout  # (k, o)
    dw: FloatArray = cache.x[None, :, None] * db[:, None, :]  # (k, i, o)
    dx: FloatArray = np.einsum("kio,ko->i", cache.w, db)
    return MaxoutGrads(dx=dx, dw=dw, db=db)


def maxout_param_count(*, inputs: int, outputs: int, pieces: int) -> int:
    """Weights and biases of a maxout layer: ``k`` dense layers' worth, ``k (i o + o)``."""
    return pieces * (inputs * outputs + outputs)


def misconception_maxout_params_without_bias(*, inputs: int, outputs: int, pieces: int) -> int:
    """Counts only the weights, ``k i o``.

    Tempting because the weight tensor ``W`` (k, i, o) is the visible part of the layer.
    """
    return pieces * inputs * outputs


def misconception_maxout_params_one_piece(*, inputs: int, outputs: int, pieces: int) -> int:  # noqa: ARG001
    """Counts one dense layer, ``i o + o``, as if the ``k`` pieces shared their parameters.

    Tempting because the layer has only ``o`` outputs, like a dense layer of the same width.
    """
    return inputs * outputs + outputs


# --- generator: activations.derivative --------------------------------------------------------------------

_DEFINITIONS: dict[ActivationName, str] = {
    "relu": r"f(z) = \max(0, z)",
    "leaky_relu": r"f(z) = \max(0, z) + \alpha \min(0, z)",
    "elu": r"f(z) = z \text{ for } z > 0, \quad f(z) = \alpha (e^{z} - 1) \text{ for } z \le 0",
    "gelu": r"f(z) = z \, \Phi(z), \quad \Phi(z) = \tfrac{1}{2}\left(1 + \operatorname{erf}(z / \sqrt{2})\right)",
    "softplus": r"f(z) = \log(1 + e^{z})",
    "sigmoid": r"f(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"f(z) = \tanh z",
    "hardtanh": r"f(z) = \max(-1, \min(1, z))",
}
_DERIVATIVES: dict[ActivationName, str] = {
    "relu": r"f'(z) = 1 \text{ for } z > 0, \; 0 \text{ for } z < 0",
    "leaky_relu": r"f'(z) = 1 \text{ for } z > 0, \; \alpha \text{ for } z < 0",
    "elu": r"f'(z) = 1 \text{ for } z > 0, \; \alpha e^{z} = f(z) + \alpha \text{ for } z < 0",
    "gelu": r"f'(z) = \Phi(z) + z \, \varphi(z), \quad \varphi(z) = e^{-z^2/2} / \sqrt{2\pi}",
    "softplus": r"f'(z) = \frac{e^{z}}{1 + e^{z}} = \sigma(z)",
    "sigmoid": r"f'(z) = \sigma(z)\,(1 - \sigma(z)) = f(z)\,(1 - f(z))",
    "tanh": r"f'(z) = 1 - \tanh^2 z = 1 - f(z)^2",
    "hardtanh": r"f'(z) = 1 \text{ for } |z| < 1, \; 0 \text{ for } |z| > 1",
}
_DISPLAY: dict[ActivationName, str] = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "elu": "ELU",
    "gelu": "GELU (exact erf form, not the tanh approximation)",
    "softplus": r"softplus ($\beta = 1$, natural log)",
    "sigmoid": "the logistic sigmoid",
    "tanh": "tanh",
    "hardtanh": r"hard tanh (range $[-1, 1]$)",
}
_KINKS: dict[ActivationName, tuple[float, ...]] = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "elu": (0.0,),
    "hardtanh": (-1.0, 1.0),
}


def _derivative_inputs(inputs: Inputs) -> tuple[FloatArray, ActivationName, float]:
    name = str(inputs["name"])
    if name not in NAMES:
        raise ValueError(f"unknown activation: {name!r}")
    return as_array(inputs["z"]), name, as_float(inputs["alpha"])


def _uses_alpha(name: ActivationName) -> bool:
    return name in ("leaky_relu", "elu")


def _value_and_derivative(
    inputs: Inputs, derivative: Callable[[FloatArray, ActivationName, float], FloatArray]
) -> Answer:
    z, name, alpha = _derivative_inputs(inputs)
    alpha_or_default = alpha if _uses_alpha(name) else None
    return {"value": activation(z, name, alpha=alpha_or_default), "derivative": derivative(z, name, alpha)}


def _right_derivative(z: FloatArray, name: ActivationName, alpha: float) -> FloatArray:
    return activation_derivative(z, name, alpha=alpha if _uses_alpha(name) else None)


WrongDerivative = Callable[[FloatArray, float], FloatArray]


def _derivative_misconception(
    misconception_id: str,
    name: ActivationName,
    feedback: str,
    wrong: WrongDerivative,
) -> tuple[Misconception, WrongDerivative, ActivationName]:
    """A wrong derivative for one activation (the value stays right), with ``wrong`` and that activation."""
    misconception = Misconception(
        id=misconception_id,
        feedback=feedback,
        answer=lambda inputs: _value_and_derivative(inputs, lambda z, _name, alpha: wrong(z, alpha)),
        applies=lambda inputs: inputs["name"] == name,
        changes=("derivative",),
    )
    return misconception, wrong, name


_DERIVATIVE_MISCONCEPTIONS = (
    _derivative_misconception(
        "activations.relu-derivative-one",
        "relu",
        "You passed the gradient through everywhere; ReLU's derivative is 0 where z < 0.",
        lambda z, _a: misconception_relu_derivative_one(z),
    ),
    _derivative_misconception(
        "activations.relu-derivative-is-relu",
        "relu",
        "You used ReLU's value max(0, z) as its derivative; the slope is 1 where z > 0 and 0 elsewhere.",
        lambda z, _a: misconception_relu_derivative_is_relu(z),
    ),
    _derivative_misconception(
        "activations.leaky-derivative-zero-below",
        "leaky_relu",
        "You used ReLU's derivative; Leaky ReLU's slope for z < 0 is α, not 0.",
        lambda z, a: misconception_leaky_derivative_zero_below(z, alpha=a),
    ),
    _derivative_misconception(
        "activations.leaky-derivative-is-alpha-z",
        "leaky_relu",
        "You used the negative branch's value αz as its slope; the slope of αz is the constant α.",
        lambda z, a: misconception_leaky_derivative_is_alpha_z(z, alpha=a),
    ),
    _derivative_misconception(
        "activations.elu-derivative-is-alpha",
        "elu",
        "You used a constant slope α below 0, as for Leaky ReLU; ELU's slope there is αeᶻ.",
        lambda z, a: misconception_elu_derivative_is_alpha(z, alpha=a),
    ),
    _derivative_misconception(
        "activations.elu-derivative-keeps-minus-one",
        "elu",
        "You kept the −1 when differentiating α(eᶻ − 1); the constant drops out, leaving αeᶻ.",
        lambda z, a: misconception_elu_derivative_keeps_minus_one(z, alpha=a),
    ),
    _derivative_misconception(
        "activations.gelu-derivative-is-phi",
        "gelu",
        "You gave Φ(z), treating the gate as a constant; by the product rule GELU′(z) = Φ(z) + zφ(z).",
        lambda z, _a: misconception_gelu_derivative_is_phi(z),
    ),
    _derivative_misconception(
        "activations.gelu-derivative-is-z-pdf",
        "gelu",
        "You differentiated only Φ and kept z fixed; the product rule adds the term Φ(z).",
        lambda z, _a: misconception_gelu_derivative_is_z_pdf(z),
    ),
    _derivative_misconception(
        "activations.softplus-derivative-is-softplus",
        "softplus",
        "You gave softplus itself; its derivative is eᶻ/(1 + eᶻ) = σ(z).",
        lambda z, _a: misconception_softplus_derivative_is_softplus(z),
    ),
    _derivative_misconception(
        "activations.softplus-missing-inner-derivative",
        "softplus",
        "You gave 1/(1 + eᶻ) and dropped the chain rule's inner factor eᶻ; the derivative is σ(z).",
        lambda z, _a: misconception_softplus_missing_inner_derivative(z),
    ),
    _derivative_misconception(
        "activations.sigmoid-derivative-is-sigmoid",
        "sigmoid",
        "You gave σ(z) itself; the sigmoid's derivative is σ(z)(1 − σ(z)).",
        lambda z, _a: misconception_sigmoid_derivative_is_sigmoid(z),
    ),
    _derivative_misconception(
        "activations.sigmoid-derivative-z-one-minus-z",
        "sigmoid",
        "You applied a(1 − a) to z; the formula takes the output a = σ(z), not the input.",
        lambda z, _a: misconception_sigmoid_derivative_z_one_minus_z(z),
    ),
    _derivative_misconception(
        "activations.tanh-derivative-is-one-minus-tanh",
        "tanh",
        "You gave 1 − tanh(z); the derivative is 1 − tanh²(z), with the square.",
        lambda z, _a: misconception_tanh_derivative_one_minus_tanh(z),
    ),
    _derivative_misconception(
        "activations.tanh-derivative-one-minus-z-squared",
        "tanh",
        "You applied 1 − a² to z; the formula takes the output a = tanh(z), not the input.",
        lambda z, _a: misconception_tanh_derivative_one_minus_z_squared(z),
    ),
    _derivative_misconception(
        "activations.hardtanh-derivative-one",
        "hardtanh",
        "You passed the gradient through everywhere; where hard tanh clips (|z| > 1) its slope is 0.",
        lambda z, _a: misconception_hardtanh_derivative_one(z),
    ),
    _derivative_misconception(
        "activations.hardtanh-derivative-like-tanh",
        "hardtanh",
        "You used tanh's rule 1 − g²; hard tanh is linear inside (−1, 1), so its slope there is exactly 1.",
        lambda z, _a: misconception_hardtanh_derivative_like_tanh(z),
    ),
)
# The misconceptions that apply to each activation: those naming it, in catalog order.
_DERIVATIVE_BY_NAME: dict[str, list[tuple[Misconception, WrongDerivative]]] = {
    name: [(misconception, wrong) for misconception, wrong, of in _DERIVATIVE_MISCONCEPTIONS if of == name]
    for name in NAMES
}


class DerivativeGenerator(Generator):
    """``activations.derivative``: value and derivative of one activation at a few points."""

    id = "activations.derivative"
    topic = "activations"
    title = "Activation functions: value and derivative"
    answer_fields = {"value": FieldSpec(shape=(N_POINTS,)), "derivative": FieldSpec(shape=(N_POINTS,))}
    misconceptions = tuple(misconception for misconception, _, _ in _DERIVATIVE_MISCONCEPTIONS)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_POINTS + 2)  # one call: NumPy's per-call cost dominates at this size
        name = NAMES[int(u[0] * len(NAMES))]
        alpha = 0.0  # unused by activations without a parameter
        if name == "leaky_relu":
            alpha = LEAKY_SLOPE_CHOICES[int(u[1] * len(LEAKY_SLOPE_CHOICES))]
        elif name == "elu":
            alpha = ELU_ALPHA_CHOICES[int(u[1] * len(ELU_ALPHA_CHOICES))]
        return {"name": name, "z": _grid(u[2:], -Z_LIMIT, Z_LIMIT), "alpha": alpha}

    def acceptable(self, inputs: Inputs) -> bool:
        z, name, _alpha = _derivative_inputs(inputs)
        return all(np.abs(z - kink).min() >= KINK_MARGIN for kink in _KINKS.get(name, ()))

    def prompt(self, inputs: Inputs) -> str:
        z, name, alpha = _derivative_inputs(inputs)
        parameter = ""
        if name == "leaky_relu":
            parameter = f" with negative slope $\\alpha = {num(alpha)}$"
        elif name == "elu":
            parameter = f" with $\\alpha = {num(alpha)}$"
        return (
            f"The activation is {_DISPLAY[name]}{parameter}: ${_DEFINITIONS[name]}$.\n\n"
            f"Evaluate it elementwise at $z = {matrix(z)}$: give the values $f(z)$ (`value`) and the "
            "derivatives $f'(z)$ (`derivative`), one per entry of $z$. No entry of $z$ sits on a kink."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _value_and_derivative(inputs, _right_derivative)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The value once: each misconception here only gets the derivative wrong.
        z, name, alpha = _derivative_inputs(inputs)
        value = activation(z, name, alpha=alpha if _uses_alpha(name) else None)
        explaining = yield None, {"value": value, "derivative": _right_derivative(z, name, alpha)}
        for misconception, wrong in _DERIVATIVE_BY_NAME.get(name, ()):
            if misconception.could_explain(explaining):
                yield misconception, {"value": value, "derivative": wrong(z, alpha)}

    def explain(self, inputs: Inputs) -> list[Step]:
        z, name, alpha = _derivative_inputs(inputs)
        value = activation(z, name, alpha=alpha if _uses_alpha(name) else None)
        derivative = _right_derivative(z, name, alpha)
        parameter = f" with $\\alpha = {num(alpha)}$" if _uses_alpha(name) else ""
        return [
            Step(
                "value", f"${_DEFINITIONS[name]}${parameter}, elementwise: ${matrix(value)}$.", value.tolist()
            ),
            Step(
                "derivative",
                f"${_DERIVATIVES[name]}$, elementwise: ${matrix(derivative)}$.",
                derivative.tolist(),
            ),
        ]


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


# --- generator: activations.maxout ------------------------------------------------------------------------


def _maxout_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, FloatArray]:
    return as_array(inputs["x"]), as_array(inputs["W"]), as_array(inputs["b"])


def _maxout_answer(inputs: Inputs, count: Callable[..., int]) -> Answer:
    x, w, b = _maxout_inputs(inputs)
    pieces, n_in, n_out = w.shape
    output, _cache = maxout_forward(x, w, b)
    return {"output": output, "params": count(inputs=n_in, outputs=n_out, pieces=pieces)}


_MAXOUT_WITHOUT_BIAS = Misconception(
    id="activations.maxout-params-without-bias",
    feedback="You counted only the weights; each of the k pieces also has a bias per output unit.",
    answer=lambda inputs: _maxout_answer(inputs, misconception_maxout_params_without_bias),
    changes=("params",),
)
_MAXOUT_ONE_PIECE = Misconception(
    id="activations.maxout-params-one-piece",
    feedback="You counted one dense layer; every one of the k pieces has its own weights and biases.",
    answer=lambda inputs: _maxout_answer(inputs, misconception_maxout_params_one_piece),
    changes=("params",),
)
_MAXOUT_COUNTS: tuple[tuple[Misconception, Callable[..., int]], ...] = (
    (_MAXOUT_WITHOUT_BIAS, misconception_maxout_params_without_bias),
    (_MAXOUT_ONE_PIECE, misconception_maxout_params_one_piece),
)


class MaxoutGenerator(Generator):
    """``activations.maxout``: a maxout layer's output and its parameter count."""

    id = "activations.maxout"
    topic = "activations"
    title = "Maxout: output and parameter count"
    answer_fields = {"output": FieldSpec(shape=(MAXOUT_OUTPUTS,)), "params": FieldSpec(dtype="int")}
    misconceptions = (_MAXOUT_WITHOUT_BIAS, _MAXOUT_ONE_PIECE)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        shape = rng.random(2)
        pieces = MAXOUT_PIECES[int(shape[0] * len(MAXOUT_PIECES))]
        n_in = MAXOUT_INPUTS[int(shape[1] * len(MAXOUT_INPUTS))]
        n_w, n_b = pieces * n_in * MAXOUT_OUTPUTS, pieces * MAXOUT_OUTPUTS
        u = rng.random(n_in + n_w + n_b)
        return {
            "x": _grid(u[:n_in], -2.0, 2.0),
            "W": _grid(u[n_in : n_in + n_w], -1.0, 1.0).reshape(pieces, n_in, MAXOUT_OUTPUTS),
            "b": _grid(u[n_in + n_w :], -0.5, 0.5).reshape(pieces, MAXOUT_OUTPUTS),
        }

    def acceptable(self, inputs: Inputs) -> bool:
        top_two = np.sort(maxout_pieces(*_maxout_inputs(inputs)), axis=0)[-2:]
        return bool(np.all(top_two[1] - top_two[0] >= TIE_MARGIN))

    def prompt(self, inputs: Inputs) -> str:
        x, w, b = _maxout_inputs(inputs)
        pieces, n_in, n_out = w.shape
        listing = ", ".join(f"$W_{k} = {matrix(w[k])}$, $b_{k} = {matrix(b[k])}$" for k in range(pieces))
        return (
            f"A maxout layer maps $x \\in \\mathbb{{R}}^{{{n_in}}}$ to ${n_out}$ outputs with $k = {pieces}$ "
            r"affine pieces, $h_j = \max_k \left(x^\top W_k + b_k\right)_j$, where each $W_k$ is "
            f"${n_in} \\times {n_out}$ (rows are inputs) and each $b_k$ has ${n_out}$ entries: {listing}.\n\n"
            f"For $x = {matrix(x)}$ compute the output $h$ (`output`) and the number of trainable "
            "parameters of the layer (`params`, an integer)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _maxout_answer(inputs, maxout_param_count)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # One forward pass: the misconceptions only miscount the parameters.
        x, w, b = _maxout_inputs(inputs)
        pieces, n_in, n_out = w.shape
        output, _cache = maxout_forward(x, w, b)
        explaining = yield (
            None,
            {"output": output, "params": maxout_param_count(inputs=n_in, outputs=n_out, pieces=pieces)},
        )
        for misconception, count in _MAXOUT_COUNTS:
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield (
                    misconception,
                    {"output": output, "params": count(inputs=n_in, outputs=n_out, pieces=pieces)},
                )

    def explain(self, inputs: Inputs) -> list[Step]:
        x, w, b = _maxout_inputs(inputs)
        pieces, n_in, n_out = w.shape
        values = maxout_pieces(x, w, b)
        output, _cache = maxout_forward(x, w, b)
        params = maxout_param_count(inputs=n_in, outputs=n_out, pieces=pieces)
        return [
            Step(
                "pieces",
                f"Each piece's affine output $x^\\top W_k + b_k$, one row per piece: ${matrix(values)}$.",
                values.tolist(),
            ),
            Step(
                "output",
                f"Take the maximum over the pieces in each column: $h = {matrix(output)}$.",
                output.tolist(),
            ),
            Step(
                "params",
                f"$k (i o + o) = {pieces} \\cdot ({n_in} \\cdot {n_out} + {n_out}) = {params}$: $k$ dense layers' worth.",
                params,
            ),
        ]


register(DerivativeGenerator())
register(SoftmaxCEGenerator())
register(MaxoutGenerator())
