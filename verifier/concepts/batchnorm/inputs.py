"""What the batch-norm generators share: hand-workable inputs, reading them back, and LaTeX for eps."""

from __future__ import annotations

import math
from functools import cache
from itertools import product

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    BATCH,
    EPS_CHOICES,
    FEATURES,
    MIN_VAR,
    mean_and_variance,
)
from verifier.generator import as_array, as_float
from verifier.latex import num

# --- generators ------------------------------------------------------------------------------------------


def _grid(u: FloatArray, low: float, high: float) -> FloatArray:
    """Map uniforms ``u`` in [0, 1) to the 0.1 grid from ``low`` to ``high`` (inclusive), uniformly."""
    lo, hi = round(low * 10), round(high * 10)
    out: FloatArray = (np.floor(u * (hi - lo + 1)) + lo) / 10
    return out


# Lowest value and number of values (in tenths) of each input of a layer question, in draw order:
# x in [-3, 3], gamma in [0.3, 2], beta in [-1, 1].
_N = BATCH * FEATURES
_LAYER_LOW = np.concatenate([np.full(_N, -30.0), np.full(FEATURES, 3.0), np.full(FEATURES, -10.0)])
_LAYER_SPAN = np.concatenate([np.full(_N, 61.0), np.full(FEATURES, 18.0), np.full(FEATURES, 21.0)])


def _sample_layer(rng: np.random.Generator) -> dict[str, InputValue]:
    """x in [-3, 3], gamma in [0.3, 2], beta in [-1, 1], all on the 0.1 grid, and one of the eps choices."""
    u = rng.random(_N + 2 * FEATURES + 1)
    values = (np.floor(u[:-1] * _LAYER_SPAN) + _LAYER_LOW) / 10  # one vectorized draw for every input
    return {
        "x": values[:_N].reshape(BATCH, FEATURES),
        "gamma": values[_N : _N + FEATURES],
        "beta": values[_N + FEATURES :],
        "eps": EPS_CHOICES[int(u[-1] * len(EPS_CHOICES))],
    }


# Whiteboard draws: each feature's deviations from its mean, in tenths, have a mean square that is a
# perfect square s² (s ≥ 4, so the variance is at least MIN_VAR): σ_B = s/10 exactly, and with
# ε = 10⁻⁵ the root √(σ_B² + ε) equals σ_B to six figures. (1, −1, 7, −7) has σ_B = 0.5, for instance.
_HAND_DEVIATION = 9  # |x − μ| ≤ 0.9
HAND_EPS = 1e-5


@cache
def square_variance_patterns(m: int = BATCH) -> tuple[tuple[int, ...], ...]:
    """Every ordered m-tuple of whole deviations (in tenths) summing to 0 whose mean square is s², s ≥ 4.

    Shared with ``normalization.standardize``'s whiteboard draws (4 training rows, population std).
    """
    span = range(-_HAND_DEVIATION, _HAND_DEVIATION + 1)
    patterns = []
    for head in product(span, repeat=m - 1):
        last = -sum(head)
        if abs(last) > _HAND_DEVIATION:
            continue
        squares = sum(d * d for d in head) + last * last
        root = math.isqrt(squares // m)
        if squares % m == 0 and root * root * m == squares and root >= 4:
            patterns.append((*head, last))
    return tuple(patterns)


def _sample_layer_by_hand(rng: np.random.Generator) -> dict[str, InputValue]:
    """Like ``_sample_layer``, but every feature's biased batch variance is a perfect square and ε = 10⁻⁵."""
    patterns = square_variance_patterns()
    columns = []
    for _ in range(FEATURES):
        deviations = np.array(patterns[int(rng.integers(len(patterns)))], dtype=np.float64)
        low, high = -30 - int(deviations.min()), 30 - int(deviations.max())
        columns.append((int(rng.integers(low, high + 1)) + deviations) / 10)
    u = rng.random(2 * FEATURES)
    return {
        "x": np.stack(columns, axis=1),
        "gamma": (np.floor(u[:FEATURES] * 18) + 3) / 10,
        "beta": (np.floor(u[FEATURES:] * 21) - 10) / 10,
        "eps": HAND_EPS,
    }


def _spread_enough(x: FloatArray) -> bool:
    """Every feature of the (m, d) batch has a biased variance of at least MIN_VAR."""
    return all(mean_and_variance(column)[1] >= MIN_VAR for column in x.T.tolist())


def _eps_tex(eps: float) -> str:
    exponent = round(math.log10(eps))
    return f"10^{{{exponent}}}" if 10.0**exponent == eps else num(eps, decimals=8)


def _forward_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    return (
        as_array(inputs["x"]),
        as_array(inputs["gamma"]),
        as_array(inputs["beta"]),
        as_float(inputs["eps"]),
    )


def _momentum(inputs: Inputs) -> float:
    return as_float(inputs["momentum"])


def _forward_spec() -> str:
    return (
        r"$\hat{x} = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$ and $y = \gamma \hat{x} + \beta$, "
        r"with the **biased** batch variance $\sigma_B^2 = \frac{1}{m}\sum_i (x_i - \mu_B)^2$"
    )


# In the order of TrainForwardGenerator.misconceptions.
