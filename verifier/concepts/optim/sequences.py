"""The recurrences of the optimizers over a whole trajectory: arrays of shape (T, N), row t−1 for step t.

The step graph (:mod:`.graph`) writes each rule once with these; each is one loop over the steps because
every state depends on the one before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from verifier._types import FloatArray
from verifier.concepts.optim.hyper import Hyper


def ewma(x: FloatArray, beta: float, start: FloatArray | float = 0.0) -> FloatArray:
    """a_t = β·a_{t−1} + (1 − β)·x_t from a_0 = ``start``, for every row t of ``x``."""
    out = np.empty_like(x)
    acc: Any = start
    for t, row in enumerate(x):
        acc = beta * acc + (1.0 - beta) * row
        out[t] = acc
    return out


def momentum_buffer(g: FloatArray, momentum: float, dampening: float) -> FloatArray:
    """PyTorch's SGD buffer: b_1 = g_1, then b_t = μ·b_{t−1} + (1 − dampening)·g_t."""
    out = np.empty_like(g)
    buf = g[0]
    out[0] = buf
    for t in range(1, len(g)):
        buf = momentum * buf + (1.0 - dampening) * g[t]
        out[t] = buf
    return out


def adadelta_deltas(
    g: FloatArray, rms_g: FloatArray, *, rho: float, rms: Callable[[FloatArray], FloatArray]
) -> FloatArray:
    """Δ_t = RMS[Δw]_{t−1} / RMS[g]_t · g_t, where ``rms`` turns E[Δw²]_{t−1} (from 0) into RMS[Δw]_{t−1}."""
    out = np.empty_like(g)
    acc = np.zeros_like(g[0])
    for t, row in enumerate(g):
        delta = rms(acc) / rms_g[t] * row
        out[t] = delta
        acc = rho * acc + (1.0 - rho) * delta * delta
    return out


def infinity_norm(g: FloatArray, beta2: float, eps: float) -> FloatArray:
    """Adamax's u_t = max(β₂·u_{t−1}, |g_t| + eps) from u_0 = 0 (eps inside the max, as PyTorch)."""
    out = np.empty_like(g)
    u = np.zeros_like(g[0])
    for t, row in enumerate(g):
        u = np.maximum(beta2 * u, np.abs(row) + eps)
        out[t] = u
    return out


def descend(w0: FloatArray, update: FloatArray, *, sign: float = -1.0) -> FloatArray:
    """w0 with each step's update applied in turn (subtracted; ``sign`` +1 adds), as torch.optim does."""
    w = w0
    for row in update:
        w = w + sign * row
    return w


def powers(beta: float, t: FloatArray) -> FloatArray:
    """1 − βᵗ for each step number in the column ``t``: Adam's bias-correction divisor."""
    result: FloatArray = 1.0 - beta**t
    return result


def adam_direction(g: FloatArray, h: Hyper, t: FloatArray) -> FloatArray:
    """Adam's m̂ / (√v̂ + eps) (what a belief that every Adam variant steps like Adam computes)."""
    m_hat = ewma(g, h.beta1) / powers(h.beta1, t)
    v_hat = ewma(g * g, h.beta2) / powers(h.beta2, t)
    result: FloatArray = m_hat / (np.sqrt(v_hat) + h.eps)
    return result
