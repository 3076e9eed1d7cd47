"""Batch normalization: training-mode forward and backward, running and population statistics.

Training mode normalizes each feature with the mini-batch mean and the **biased** batch variance (divide by
m), then scales and shifts: ``y = gamma * x_hat + beta``. Inference uses fixed statistics instead, either
PyTorch's running estimate (``running = (1 - momentum) * running + momentum * batch``, started from mean 0
and variance 1, with the **unbiased** batch variance) or the population estimate of the paper (mean of the
batch means; ``m/(m-1)`` times the mean of the biased batch variances). This is what ``nn.BatchNorm1d``
computes. Source: Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167 (Alg. 1 and 2); DLB 8.7.1.

Answers are graded to 1 % relative with an absolute floor of 0.001: normalized outputs and gradients mix
terms that nearly cancel, so a person rounding intermediate values by hand is off by about that much near
zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

import numpy as np

from verifier._types import FloatArray

RTOL = 1e-2
ATOL = 1e-3
EPS = 1e-5  # PyTorch's default
MOMENTUM = 0.1  # PyTorch's default
EPS_CHOICES = (1e-5, 1e-3)
MOMENTUM_CHOICES = (0.1, 0.2, 0.3)
MIN_VAR = 0.1  # keeps each feature's batch variance well away from 0, so x_hat is well conditioned
BATCH, FEATURES = 4, 2  # train_forward and backward: x is (m, d)
K_RUNNING, K_POPULATION = 2, 2  # batches for running_stats and population_stats, each (m, d)


# --- state types -----------------------------------------------------------------------------------------


class BatchNormCache(NamedTuple):
    """What the backward pass needs from the forward pass, plus the statistics for the worked solution."""

    x_hat: FloatArray  # (m, d) normalized input
    gamma: FloatArray  # (d,)
    mean: FloatArray  # (d,) statistics used to normalize
    var: FloatArray  # (d,)
    inv_std: FloatArray  # (d,) 1 / sqrt(var + eps)


class BatchNormGrads(NamedTuple):
    """Gradients of the loss with respect to the layer's input and parameters (each has its shape)."""

    dx: FloatArray
    dgamma: FloatArray
    dbeta: FloatArray


class RunningStats(NamedTuple):
    """Per-feature statistics used in eval mode: a running estimate or the population estimate."""

    mean: FloatArray
    var: FloatArray


# --- forward / backward ----------------------------------------------------------------------------------


def mean_and_variance(values: Sequence[float]) -> tuple[float, float]:
    """Mean and **biased** variance (divide by n) of one feature's values in one batch.

    Plain Python floats: for the handful of values in an interview-sized batch they are several times
    faster than NumPy calls, whose per-call overhead dominates at this size.
    """
    n = len(values)
    mean = sum(values) / n
    return mean, sum([(v - mean) ** 2 for v in values]) / n


def batch_moments(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-feature mean and **biased** variance of the (m, d) batch ``x``."""
    means, variances = [], []
    for column in x.T.tolist():
        mean, var = mean_and_variance(column)
        means.append(mean)
        variances.append(var)
    return np.array(means), np.array(variances)


def _normalize(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, mean: FloatArray, var: FloatArray, eps: float
) -> tuple[FloatArray, BatchNormCache]:
    inv_std: FloatArray = 1.0 / np.sqrt(var + eps)
    x_hat: FloatArray = (x - mean) * inv_std
    cache = BatchNormCache(x_hat=x_hat, gamma=gamma, mean=mean, var=var, inv_std=inv_std)
    return gamma * x_hat + beta, cache


def batchnorm_forward(
    x: FloatArray,
    gamma: FloatArray,
    beta: FloatArray,
    *,
    eps: float = EPS,
    mode: Literal["train", "eval"] = "train",
    stats: RunningStats | None = None,
) -> tuple[FloatArray, BatchNormCache]:
    """``y = gamma * (x - mean) / sqrt(var + eps) + beta`` for ``x`` of shape (m, d).

    In train mode mean and var are the batch's own (biased variance); in eval mode they come from
    ``stats`` (required there, a ValueError otherwise), as ``nn.BatchNorm1d.eval()`` uses its running
    buffers.
    """
    if mode == "train":
        mean, var = batch_moments(x)
    elif stats is None:
        raise ValueError("eval mode needs the running or population statistics")
    else:
        mean, var = stats
    return _normalize(x, gamma, beta, mean, var, eps)


def batchnorm_backward(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """Gradients of a train-mode forward pass, given the upstream gradient ``dy`` (m, d).

    The batch mean and variance depend on every example, so ``dx`` has three paths: the direct one,
    the one through the mean (``- sum(dy)``) and the one through the variance (``- x_hat * dgamma``).
    """
    dbeta, dgamma = parameter_grads(dy, cache)
    return BatchNormGrads(dx=_dx(dy, cache, dbeta, dgamma), dgamma=dgamma, dbeta=dbeta)


def parameter_grads(dy: FloatArray, cache: BatchNormCache) -> tuple[FloatArray, FloatArray]:
    """``dbeta = sum(dy)`` and ``dgamma = sum(dy * x_hat)`` over the batch: no path through the statistics."""
    dbeta: FloatArray = dy.sum(axis=0)
    dgamma: FloatArray = (dy * cache.x_hat).sum(axis=0)
    return dbeta, dgamma


def _dx(dy: FloatArray, cache: BatchNormCache, dbeta: FloatArray, dgamma: FloatArray) -> FloatArray:
    m = float(dy.shape[0])
    dx: FloatArray = (cache.gamma * cache.inv_std * (1.0 / m)) * (m * dy - dbeta - cache.x_hat * dgamma)
    return dx


def ema(running: float, batch: float, *, momentum: float = MOMENTUM) -> float:
    """PyTorch's running-statistics update: ``(1 - momentum) * running + momentum * batch``."""
    return (1 - momentum) * running + momentum * batch


def _running(
    batches: FloatArray, *, momentum: float, unbiased: bool = True, start_var: float = 1.0
) -> RunningStats:
    return _running_from_moments(
        feature_moments(batches), batches.shape[1], momentum=momentum, unbiased=unbiased, start_var=start_var
    )


def feature_moments(batches: FloatArray) -> list[list[tuple[float, float]]]:
    """Per feature, the (mean, biased variance) of each of the (k, m, d) ``batches``, in order."""
    return [
        [mean_and_variance(batch) for batch in feature] for feature in batches.transpose(2, 0, 1).tolist()
    ]


def _running_from_moments(
    moments: list[list[tuple[float, float]]],
    m: int,
    *,
    momentum: float,
    unbiased: bool = True,
    start_var: float = 1.0,
) -> RunningStats:
    correction = m / (m - 1) if unbiased else 1.0
    means, variances = [], []
    for feature in moments:
        running_mean, running_var = 0.0, start_var
        for mean, var in feature:
            running_mean = ema(running_mean, mean, momentum=momentum)
            running_var = ema(running_var, var * correction, momentum=momentum)
        means.append(running_mean)
        variances.append(running_var)
    return RunningStats(mean=np.array(means), var=np.array(variances))


def running_stats(batches: FloatArray, *, momentum: float = MOMENTUM) -> RunningStats:
    """Running mean and variance after the (k, m, d) ``batches``, as ``nn.BatchNorm1d`` keeps them.

    The buffers start at mean 0 and variance 1, and each batch updates them by :func:`ema` with its
    mean and its **unbiased** variance (divide by m - 1).
    """
    return _running(batches, momentum=momentum)


def population_stats(batches: FloatArray) -> RunningStats:
    """The paper's inference statistics from (k, m, d) ``batches``: E[mu_B] and m/(m-1) E[sigma_B^2]."""
    k, m = batches.shape[0], batches.shape[1]
    means, variances = [], []
    for feature in batches.transpose(2, 0, 1).tolist():  # per feature: its k batches of m values
        moments = [mean_and_variance(batch) for batch in feature]
        means.append(sum(mean for mean, _ in moments) / k)
        variances.append(m / (m - 1) * sum(var for _, var in moments) / k)
    return RunningStats(mean=np.array(means), var=np.array(variances))
