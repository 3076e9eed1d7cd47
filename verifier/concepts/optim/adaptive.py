"""Adagrad, Adadelta and RMSprop, one coordinate at a time, as ``torch.optim`` steps them: Adagrad adds
``eps`` after the square root (Duchi et al. 2011), Adadelta inside both roots (Zeiler 2012,
https://arxiv.org/abs/1212.5701), RMSprop after the root with no bias correction (Hinton, lecture 6e)."""

from __future__ import annotations

import math
from typing import NamedTuple


class AdagradState(NamedTuple):
    t: int
    sum: float  # running sum of squared gradients


class AdadeltaState(NamedTuple):
    square_avg: float = 0.0  # E[g²]
    acc_delta: float = 0.0  # E[Δw²]


class RmspropState(NamedTuple):
    square_avg: float = 0.0
    grad_avg: float = 0.0  # only used when centered
    buf: float = 0.0  # only used with momentum


def adagrad_step(
    w: float,
    g: float,
    state: AdagradState,
    *,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdagradState]:
    """Adagrad: divide by the root of the running sum of squared gradients (``eps`` after the root)."""
    t = state.t + 1
    g = g + weight_decay * w
    clr = lr / (1.0 + (t - 1) * lr_decay)
    total = state.sum + g * g
    return w - clr * g / (math.sqrt(total) + eps), AdagradState(t, total)


def adadelta_step(
    w: float, g: float, state: AdadeltaState, *, lr: float, rho: float, eps: float, weight_decay: float = 0.0
) -> tuple[float, AdadeltaState]:
    """Adadelta: Δ = RMS[Δw]_{t−1}/RMS[g]_t · g with RMS[x] = √(E[x²] + eps), scaled by ``lr``."""
    g = g + weight_decay * w
    square_avg = rho * state.square_avg + (1.0 - rho) * g * g
    delta = math.sqrt(state.acc_delta + eps) / math.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1.0 - rho) * delta * delta
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


def rmsprop_step(
    w: float,
    g: float,
    state: RmspropState,
    *,
    lr: float,
    alpha: float,
    eps: float,
    momentum: float = 0.0,
    centered: bool = False,
    weight_decay: float = 0.0,
) -> tuple[float, RmspropState]:
    """RMSprop: divide by √E[g²] + eps (no bias correction); optionally centered and with momentum."""
    g = g + weight_decay * w
    square_avg = alpha * state.square_avg + (1.0 - alpha) * g * g
    grad_avg = state.grad_avg + (1.0 - alpha) * (g - state.grad_avg) if centered else state.grad_avg
    avg = math.sqrt(square_avg - grad_avg * grad_avg if centered else square_avg) + eps
    if momentum > 0.0:
        buf = momentum * state.buf + g / avg
        return w - lr * buf, RmspropState(square_avg, grad_avg, buf)
    return w - lr * g / avg, RmspropState(square_avg, grad_avg, state.buf)
