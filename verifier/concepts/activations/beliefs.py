"""Wrong derivatives people give for each activation: the beliefs behind activations.derivative's misconceptions.

Each function takes what the right derivative takes and returns the wrong belief's values; the generator
roots each at its ``derivative`` step."""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray
from verifier.concepts.activations.functions import (
    ELU_ALPHA,
    LEAKY_SLOPE,
    hardtanh,
    normal_cdf,
    normal_pdf,
    relu,
    relu_derivative,
    sigmoid,
    softplus,
)

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
