"""Numerical gradients by centered differences, and the relative error used to compare gradients.

Every backward pass in the verifier is checked against these in the tests: float64, step ``h = 1e-5``,
and a relative error below :data:`REL_ERROR_TOL`. The centered difference ``(f(x+h) - f(x-h)) / 2h``
has truncation error ``O(h^2)``, the one-sided ``(f(x+h) - f(x)) / h`` only ``O(h)`` (DLB 6.5; CS231n,
"Gradient checks": https://cs231n.github.io/neural-networks-3/#gradcheck).

Two details follow cs231n's ``eval_numerical_gradient_array`` and one departs from it:
- ``f(x)`` is copied before the two sides are subtracted, because a NumPy function may return a view of a
  buffer that the next call overwrites (the difference would then silently be 0);
- the array-valued version contracts with an upstream gradient ``dout``, so it checks a backward pass
  ``dx = backward(dout)`` without forming the Jacobian;
- unlike cs231n, the caller's ``x`` is never written to: perturbations happen in a private copy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import mul, sub

import numpy as np

from verifier._types import FloatArray

DEFAULT_H = 1e-5
# A correct float64 backward agrees with centered differences (h = 1e-5) to about 1e-10 relative;
# a wrong one (a missing factor, a transposed matrix) is off by order 1.
REL_ERROR_TOL = 1e-7


def numerical_gradient(
    f: Callable[[FloatArray], float], x: FloatArray, *, h: float = DEFAULT_H
) -> FloatArray:
    """Centered-difference gradient of the scalar function ``f`` at ``x`` (same shape as ``x``).

    ``f`` is called ``2 * x.size`` times on a private, perturbed copy of ``x``; it must not keep a
    reference to its argument.
    """
    point = np.array(x, dtype=np.float64)  # a private copy: the caller's x is never written to
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        old = point[index]
        point[index] = old + h
        plus = float(f(point))
        point[index] = old - h
        minus = float(f(point))
        point[index] = old
        grad[index] = (plus - minus) / (2.0 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[FloatArray], FloatArray], x: FloatArray, dout: FloatArray, *, h: float = DEFAULT_H
) -> FloatArray:
    """Centered-difference gradient of ``sum(f(x) * dout)`` at ``x``: what a backward pass returns as ``dx``.

    ``dout`` has the shape of ``f(x)``; the result has the shape of ``x``.
    """
    point = np.array(x, dtype=np.float64)
    upstream = np.asarray(dout, dtype=np.float64)
    grad = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        old = point[index]
        point[index] = old + h
        plus = np.array(f(point), dtype=np.float64)  # copied: f may return a view it later overwrites
        point[index] = old - h
        minus = np.array(f(point), dtype=np.float64)
        point[index] = old
        grad[index] = float(np.sum((plus - minus) * upstream)) / (2.0 * h)
    return grad


def relative_error(
    analytic: FloatArray | Sequence[float] | float, numerical: FloatArray | Sequence[float] | float
) -> float:
    """``‖a − n‖ / max(‖a‖, ‖n‖)`` with Euclidean norms; 0 when both gradients are exactly zero.

    For scalars this is the textbook ``|a − n| / max(|a|, |n|)``. Norms over the whole gradient rather
    than a per-element maximum keep the check meaningful when some entries are near zero (a dead ReLU,
    a saturated sigmoid), where a per-element ratio only measures round-off.
    """
    # Plain floats: gradients here have a handful of entries, and np.linalg.norm costs several
    # microseconds per call on tiny vectors.
    a = _flat(analytic)
    n = _flat(numerical)
    if len(a) != len(n):
        raise ValueError(f"gradients of different sizes: {len(a)} and {len(n)}")
    scale = math.sqrt(max(sum(map(mul, a, a)), sum(map(mul, n, n))))
    if scale == 0.0:
        return 0.0
    d = list(map(sub, a, n))
    return math.sqrt(sum(map(mul, d, d))) / scale


def _flat(value: FloatArray | Sequence[float] | float) -> list[float]:
    if isinstance(value, list) and list(map(type, value)).count(float) == len(value):
        return value
    flat: list[float] = np.asarray(value, dtype=np.float64).ravel().tolist()
    return flat
