"""What the batch-norm generators share: hand-workable inputs, reading them back, and LaTeX for eps."""

from __future__ import annotations

import math

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
