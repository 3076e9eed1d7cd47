"""Activation functions and their derivatives, elementwise on arrays.

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
from typing import Literal, get_args

import numpy as np

from verifier._types import FloatArray

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
