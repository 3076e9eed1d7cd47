"""Adam, Adamax and NAdam, one coordinate at a time, as ``torch.optim`` steps them (Kingma & Ba 2015,
https://arxiv.org/abs/1412.6980; Dozat 2016, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ).
Adam places eps after √v̂; Adamax puts it inside the max with |g|; NAdam uses PyTorch's
``momentum_decay`` schedule μ_t = β₁(1 − ½·0.96^{tψ}) and the running product of the μ's."""

from __future__ import annotations

import math
from typing import NamedTuple


class AdamState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0  # m
    exp_avg_sq: float = 0.0  # v


class AdamaxState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0  # m
    exp_inf: float = 0.0  # u, the exponentially weighted infinity norm


class NadamState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0
    exp_avg_sq: float = 0.0
    mu_product: float = 1.0  # μ_1·μ_2·…·μ_t


def adam_step(
    w: float,
    g: float,
    state: AdamState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdamState]:
    """Adam: w −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps), PyTorch's placement of eps."""
    t = state.t + 1
    g = g + weight_decay * w
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    v = beta2 * state.exp_avg_sq + (1.0 - beta2) * g * g
    denom = math.sqrt(v) / math.sqrt(1.0 - beta2**t) + eps
    return w - lr / (1.0 - beta1**t) * m / denom, AdamState(t, m, v)


def adamax_step(
    w: float,
    g: float,
    state: AdamaxState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdamaxState]:
    """Adamax: u = max(β₂·u, |g| + eps) (eps inside the max), w −= lr/(1−β₁ᵗ) · m/u."""
    t = state.t + 1
    g = g + weight_decay * w
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    u = max(beta2 * state.exp_inf, abs(g) + eps)
    return w - lr / (1.0 - beta1**t) * m / u, AdamaxState(t, m, u)


def nadam_mu(t: int, *, beta1: float, momentum_decay: float) -> float:
    """NAdam's momentum coefficient at step t: μ_t = β₁(1 − ½·0.96^{t·ψ})."""
    return beta1 * (1.0 - 0.5 * math.pow(0.96, t * momentum_decay))


def nadam_step(
    w: float,
    g: float,
    state: NadamState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    momentum_decay: float,
    weight_decay: float = 0.0,
) -> tuple[float, NadamState]:
    """NAdam: Adam's step with the Nesterov look-ahead, bias-corrected by the running product of μ's."""
    t = state.t + 1
    g = g + weight_decay * w
    mu = nadam_mu(t, beta1=beta1, momentum_decay=momentum_decay)
    mu_next = nadam_mu(t + 1, beta1=beta1, momentum_decay=momentum_decay)
    mu_product = state.mu_product * mu
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    v = beta2 * state.exp_avg_sq + (1.0 - beta2) * g * g
    denom = math.sqrt(v / (1.0 - beta2**t)) + eps
    w = w - lr * (1.0 - mu) / (1.0 - mu_product) * g / denom
    w = w - lr * mu_next / (1.0 - mu_product * mu_next) * m / denom
    return w, NadamState(t, m, v, mu_product)
