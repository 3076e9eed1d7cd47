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

import math
from collections.abc import Sequence
from typing import Literal, NamedTuple, Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

RTOL = 1e-2
ATOL = 1e-3
EPS = 1e-5  # PyTorch's default
MOMENTUM = 0.1  # PyTorch's default
EPS_CHOICES = (1e-5, 1e-3)
MOMENTUM_CHOICES = (0.1, 0.2, 0.3)
MIN_VAR = 0.1  # keeps each feature's batch variance well away from 0, so x_hat is well conditioned
BATCH, FEATURES = 4, 2  # train_forward and backward: x is (m, d)
K_RUNNING, K_POPULATION = 2, 2  # batches for running_stats and population_stats, each (m, d)
TOLERANCE_TEXT = "Answers are checked to 1 % (0.001 absolute near zero)."


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


# --- misconceptions --------------------------------------------------------------------------------------


def misconception_unbiased_batch_variance(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """Normalizes with the unbiased (m-1) batch variance in training mode.

    Tempting because the unbiased variance is the "proper" estimator and the running estimate does use
    it; the training-mode normalization itself divides by m.
    """
    return _unbiased_from_moments(x, gamma, beta, eps, *batch_moments(x))


def misconception_no_square_root(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """Divides the centered input by ``var + eps`` instead of its square root.

    Tempting because the formula is read as "divide by the variance"; only the standard deviation gives
    unit variance.
    """
    return _no_square_root_from_moments(x, gamma, beta, eps, *batch_moments(x))


def misconception_forgot_scale_and_shift(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """Reports the normalized ``x_hat`` as the output, without ``gamma`` and ``beta``.

    Tempting because normalizing is the headline step; the learned scale and shift are what let the layer
    undo it.
    """
    mean, var = batch_moments(x)
    return _forgot_scale_and_shift(_normalize(x, gamma, beta, mean, var, eps))


# The same wrong forward passes from the batch moments, which the generator computes once per question.
def _unbiased_from_moments(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float, mean: FloatArray, var: FloatArray
) -> tuple[FloatArray, BatchNormCache]:
    m = x.shape[0]
    return _normalize(x, gamma, beta, mean, var * (m / (m - 1)), eps)


def _no_square_root_from_moments(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float, mean: FloatArray, var: FloatArray
) -> tuple[FloatArray, BatchNormCache]:
    inv_var: FloatArray = 1.0 / (var + eps)
    x_hat: FloatArray = (x - mean) * inv_var
    # The cache records what this belief divides by, 1/(var + eps), in the inv_std slot.
    return gamma * x_hat + beta, BatchNormCache(x_hat, gamma, mean, var, inv_std=inv_var)


def _forgot_scale_and_shift(right: tuple[FloatArray, BatchNormCache]) -> tuple[FloatArray, BatchNormCache]:
    """From the right forward pass: its x_hat reported as the output."""
    _, cache = right
    return cache.x_hat, cache


def misconception_dx_ignores_mean_path(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """Treats the batch mean as a constant in ``dx`` (drops the ``- sum(dy)`` term).

    Tempting because the mean looks like a fixed shift; it is computed from the very inputs being
    differentiated.
    """
    dbeta, dgamma = parameter_grads(dy, cache)
    return BatchNormGrads(dx=_dx_ignores_mean_path(dy, cache, dbeta, dgamma), dgamma=dgamma, dbeta=dbeta)


def misconception_dx_ignores_variance_path(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """Treats the batch variance as a constant in ``dx`` (drops the ``- x_hat * dgamma`` term).

    Tempting because the variance enters only as a divisor; that divisor still depends on every input.
    """
    dbeta, dgamma = parameter_grads(dy, cache)
    return BatchNormGrads(dx=_dx_ignores_variance_path(dy, cache, dbeta, dgamma), dgamma=dgamma, dbeta=dbeta)


def misconception_stats_treated_as_constants(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """Backpropagates as through a fixed affine map: ``dx = gamma * dy / sqrt(var + eps)``.

    Tempting because it is the eval-mode gradient; in training mode both statistics depend on ``x``.
    """
    dbeta, dgamma = parameter_grads(dy, cache)
    return BatchNormGrads(dx=_dx_stats_constant(dy, cache, dbeta, dgamma), dgamma=dgamma, dbeta=dbeta)


# The wrong dx of each belief from the parameter gradients, which all share and the generator computes once.
def _dx_ignores_mean_path(
    dy: FloatArray,
    cache: BatchNormCache,
    dbeta: FloatArray,  # noqa: ARG001 - same arguments as the other dx rules
    dgamma: FloatArray,
) -> FloatArray:
    m = float(dy.shape[0])
    dx: FloatArray = (cache.gamma * cache.inv_std * (1.0 / m)) * (m * dy - cache.x_hat * dgamma)
    return dx


def _dx_ignores_variance_path(
    dy: FloatArray,
    cache: BatchNormCache,
    dbeta: FloatArray,
    dgamma: FloatArray,  # noqa: ARG001 - same arguments as the other dx rules
) -> FloatArray:
    m = float(dy.shape[0])
    dx: FloatArray = (cache.gamma * cache.inv_std * (1.0 / m)) * (m * dy - dbeta)
    return dx


def _dx_stats_constant(
    dy: FloatArray,
    cache: BatchNormCache,
    dbeta: FloatArray,  # noqa: ARG001 - same arguments as the other dx rules
    dgamma: FloatArray,  # noqa: ARG001
) -> FloatArray:
    dx: FloatArray = (cache.gamma * cache.inv_std) * dy
    return dx


def misconception_biased_running_variance(batches: FloatArray, *, momentum: float = MOMENTUM) -> RunningStats:
    """Feeds the biased (divide by m) batch variance into the running estimate.

    Tempting because training mode normalizes with the biased variance; PyTorch's running estimate uses
    the unbiased one.
    """
    return _biased_running_variance(feature_moments(batches), batches.shape[1], momentum)


def misconception_momentum_swapped(batches: FloatArray, *, momentum: float = MOMENTUM) -> RunningStats:
    """Weights the old running value by ``momentum`` and the new batch by ``1 - momentum``.

    Tempting because that is the optimizer sense of momentum (and Keras's BatchNormalization, whose
    momentum=0.99 weights the old value); PyTorch's momentum is the weight of the new batch.
    """
    return _momentum_swapped(feature_moments(batches), batches.shape[1], momentum)


def misconception_running_var_starts_at_zero(
    batches: FloatArray, *, momentum: float = MOMENTUM
) -> RunningStats:
    """Starts the running variance at 0, like the running mean.

    Tempting because accumulators usually start empty; PyTorch initializes running_var to ones.
    """
    return _running_var_starts_at_zero(feature_moments(batches), batches.shape[1], momentum)


# The same wrong updates from the batch moments, which the generator computes once per question.
def _biased_running_variance(
    moments: list[list[tuple[float, float]]], m: int, momentum: float
) -> RunningStats:
    return _running_from_moments(moments, m, momentum=momentum, unbiased=False)


def _momentum_swapped(moments: list[list[tuple[float, float]]], m: int, momentum: float) -> RunningStats:
    return _running_from_moments(moments, m, momentum=1 - momentum)


def _running_var_starts_at_zero(
    moments: list[list[tuple[float, float]]], m: int, momentum: float
) -> RunningStats:
    return _running_from_moments(moments, m, momentum=momentum, start_var=0.0)


def misconception_biased_population_variance(batches: FloatArray) -> RunningStats:
    """Averages the biased batch variances without the m/(m-1) correction.

    Tempting because each batch variance is already an average; the mean of biased estimates is still
    biased low.
    """
    return _uncorrected(population_stats(batches), batches)


def misconception_pooled_variance(batches: FloatArray) -> RunningStats:
    """Takes the unbiased variance of all k*m examples pooled, ignoring the batches.

    Tempting because it is "the variance of the training data"; it adds the spread between batch means,
    which the network never saw inside a batch.
    """
    n = batches.shape[0] * batches.shape[1]
    mean, var = batch_moments(batches.reshape(n, batches.shape[2]))
    return RunningStats(mean=mean, var=var * (n / (n - 1)))


def misconception_correction_by_batch_count(batches: FloatArray) -> RunningStats:
    """Applies the Bessel correction with the number of batches, k/(k-1), instead of m/(m-1).

    Tempting because the final average runs over the k batches; the bias comes from each batch's m.
    """
    return _corrected_by_batch_count(population_stats(batches), batches)


# The two corrections above from the right statistics, which the generator computes once per question.
def _uncorrected(right: RunningStats, batches: FloatArray) -> RunningStats:
    m = batches.shape[1]
    return RunningStats(mean=right.mean, var=right.var * ((m - 1) / m))


def _corrected_by_batch_count(right: RunningStats, batches: FloatArray) -> RunningStats:
    k, m = batches.shape[0], batches.shape[1]
    return RunningStats(mean=right.mean, var=right.var * (k * (m - 1) / ((k - 1) * m)))


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


class ForwardRule(Protocol):
    """The signature shared by ``batchnorm_forward`` (train mode) and its misconceptions."""

    def __call__(
        self, x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float
    ) -> tuple[FloatArray, BatchNormCache]: ...


def _forward_answer(inputs: Inputs, rule: ForwardRule = batchnorm_forward) -> Answer:
    x, gamma, beta, eps = _forward_inputs(inputs)
    return _forward_result(rule(x, gamma, beta, eps=eps))


def _forward_result(result: tuple[FloatArray, BatchNormCache]) -> Answer:
    y, cache = result
    return {"mean": cache.mean, "var": cache.var, "y": y}


def _forward_spec() -> str:
    return (
        r"$\hat{x} = (x - \mu_B)/\sqrt{\sigma_B^2 + \epsilon}$ and $y = \gamma \hat{x} + \beta$, "
        r"with the **biased** batch variance $\sigma_B^2 = \frac{1}{m}\sum_i (x_i - \mu_B)^2$"
    )


# In the order of TrainForwardGenerator.misconceptions.
_FORWARD_FROM_MOMENTS = (_unbiased_from_moments, _no_square_root_from_moments)


class TrainForwardGenerator(Generator):
    """``batchnorm.train_forward``: batch mean, biased batch variance and output in training mode."""

    id = "batchnorm.train_forward"
    topic = "batchnorm"
    title = "Batch norm forward pass in training mode"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "var": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "y": FieldSpec((BATCH, FEATURES), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="batchnorm.unbiased-batch-variance",
            feedback="You normalized with the unbiased variance (divide by m − 1); training mode uses the "
            "biased batch variance (divide by m).",
            answer=lambda inputs: _forward_answer(inputs, misconception_unbiased_batch_variance),
            changes=("var", "y"),
        ),
        Misconception(
            id="batchnorm.no-square-root",
            feedback="You divided by the variance; x̂ divides by the standard deviation √(σ² + ε).",
            answer=lambda inputs: _forward_answer(inputs, misconception_no_square_root),
            changes=("y",),
        ),
        Misconception(
            id="batchnorm.forgot-scale-and-shift",
            feedback="You gave the normalized x̂ as the output; the layer then scales by γ and shifts by β.",
            answer=lambda inputs: _forward_answer(inputs, misconception_forgot_scale_and_shift),
            changes=("y",),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return _sample_layer(rng)

    def acceptable(self, inputs: Inputs) -> bool:
        return _spread_enough(as_array(inputs["x"]))

    def prompt(self, inputs: Inputs) -> str:
        x, gamma, beta, eps = _forward_inputs(inputs)
        return (
            f"A batch-normalization layer in **training mode** receives the mini-batch $X = {matrix(x)}$ "
            f"(rows are the $m = {BATCH}$ examples, columns the $d = {FEATURES}$ features), with "
            f"$\\gamma = {matrix(gamma)}$, $\\beta = {matrix(beta)}$ and $\\epsilon = {_eps_tex(eps)}$. "
            "It normalizes each feature with the batch mean and the **biased** batch variance (divide by "
            "$m$), with $\\epsilon$ added to the variance as in PyTorch's `nn.BatchNorm1d`, then applies its "
            f"scale and shift. Give the batch mean `mean` ({FEATURES} values), the biased batch variance "
            f"`var` ({FEATURES} values) and the layer's output `y` (a ${BATCH} \\times {FEATURES}$ matrix). "
            f"{TOLERANCE_TEXT}"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _forward_answer(inputs)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The batch moments once; each misconception is a different normalization with them.
        x, gamma, beta, eps = _forward_inputs(inputs)
        mean, var = batch_moments(x)
        right = _normalize(x, gamma, beta, mean, var, eps)
        explaining = yield None, _forward_result(right)
        unbiased, no_square_root, forgot_scale_and_shift = self.misconceptions
        for misconception, rule in zip((unbiased, no_square_root), _FORWARD_FROM_MOMENTS, strict=True):
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _forward_result(rule(x, gamma, beta, eps, mean, var))
        if forgot_scale_and_shift.could_explain(explaining):
            yield forgot_scale_and_shift, _forward_result(_forgot_scale_and_shift(right))

    def explain(self, inputs: Inputs) -> list[Step]:
        x, gamma, beta, eps = _forward_inputs(inputs)
        y, cache = batchnorm_forward(x, gamma, beta, eps=eps)
        return _forward_steps(y, cache, eps)


def _forward_steps(y: FloatArray, cache: BatchNormCache, eps: float) -> list[Step]:
    return [
        Step("mean", f"Average each column: $\\mu_B = {matrix(cache.mean)}$.", cache.mean.tolist()),
        Step(
            "var",
            f"Average the squared deviations, dividing by $m = {BATCH}$: $\\sigma_B^2 = {matrix(cache.var)}$.",
            cache.var.tolist(),
        ),
        Step(
            "inv_std",
            f"$1/\\sqrt{{\\sigma_B^2 + {_eps_tex(eps)}}} = {matrix(cache.inv_std)}$.",
            cache.inv_std.tolist(),
        ),
        Step(
            "x_hat",
            f"Normalize: $\\hat{{x}} = (x - \\mu_B)/\\sqrt{{\\sigma_B^2 + \\epsilon}} = {matrix(cache.x_hat)}$; "
            "each column now has mean 0 and variance (almost) 1.",
            cache.x_hat.tolist(),
        ),
        Step("y", f"Scale and shift: $y = \\gamma \\hat{{x}} + \\beta = {matrix(y)}$.", y.tolist()),
    ]


def _backward_inputs(inputs: Inputs) -> tuple[FloatArray, BatchNormCache]:
    x, gamma, beta, eps = _forward_inputs(inputs)
    _, cache = batchnorm_forward(x, gamma, beta, eps=eps)
    return as_array(inputs["dy"]), cache


class BackwardRule(Protocol):
    """The signature shared by ``batchnorm_backward`` and its misconceptions."""

    def __call__(self, dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads: ...


def _backward_answer(inputs: Inputs, rule: BackwardRule = batchnorm_backward) -> Answer:
    dy, cache = _backward_inputs(inputs)
    grads = rule(dy, cache)
    return {"dx": grads.dx, "dgamma": grads.dgamma, "dbeta": grads.dbeta}


# In the order of BackwardGenerator.misconceptions.
_DX_RULES = (_dx_ignores_mean_path, _dx_ignores_variance_path, _dx_stats_constant)


class BackwardGenerator(Generator):
    """``batchnorm.backward``: dx, dgamma and dbeta of a training-mode batch-norm layer."""

    id = "batchnorm.backward"
    topic = "batchnorm"
    title = "Batch norm backward pass (dx, dγ, dβ)"
    answer_fields = {
        "dx": FieldSpec((BATCH, FEATURES), rtol=RTOL, atol=ATOL),
        "dgamma": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "dbeta": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="batchnorm.dx-ignores-mean-path",
            feedback="Your dx treats the batch mean as a constant; μ_B depends on every input, which adds "
            "a −Σdy term.",
            answer=lambda inputs: _backward_answer(inputs, misconception_dx_ignores_mean_path),
            changes=("dx",),
        ),
        Misconception(
            id="batchnorm.dx-ignores-variance-path",
            feedback="Your dx treats the batch variance as a constant; σ²_B depends on every input, which "
            "adds a −x̂·Σ(dy·x̂) term.",
            answer=lambda inputs: _backward_answer(inputs, misconception_dx_ignores_variance_path),
            changes=("dx",),
        ),
        Misconception(
            id="batchnorm.dx-treats-stats-as-constants",
            feedback="You backpropagated as through a fixed affine map (γ·dy/√(σ² + ε)); in training mode "
            "both batch statistics depend on x.",
            answer=lambda inputs: _backward_answer(inputs, misconception_stats_treated_as_constants),
            changes=("dx",),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        inputs = _sample_layer(rng)
        inputs["dy"] = _grid(rng.random(BATCH * FEATURES), -2.0, 2.0).reshape(BATCH, FEATURES)
        return inputs

    def acceptable(self, inputs: Inputs) -> bool:
        return _spread_enough(as_array(inputs["x"]))

    def prompt(self, inputs: Inputs) -> str:
        x, gamma, beta, eps = _forward_inputs(inputs)
        dy = as_array(inputs["dy"])
        return (
            f"A batch-normalization layer in **training mode** computed {_forward_spec()}, on the "
            f"mini-batch $X = {matrix(x)}$ (rows are the $m = {BATCH}$ examples), with "
            f"$\\gamma = {matrix(gamma)}$, $\\beta = {matrix(beta)}$ and $\\epsilon = {_eps_tex(eps)}$. "
            f"The gradient of the loss with respect to its output is $\\partial L/\\partial y = {matrix(dy)}$. "
            "Backpropagate through the layer: "
            f"give `dx` (a ${BATCH} \\times {FEATURES}$ matrix), `dgamma` and `dbeta` ({FEATURES} values each). "
            f"{TOLERANCE_TEXT}"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _backward_answer(inputs)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # One forward pass; each misconception is a different backward pass from its cache.
        dy, cache = _backward_inputs(inputs)
        dbeta, dgamma = parameter_grads(dy, cache)
        explaining = yield None, {"dx": _dx(dy, cache, dbeta, dgamma), "dgamma": dgamma, "dbeta": dbeta}
        for misconception, rule in zip(self.misconceptions, _DX_RULES, strict=True):
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, {"dx": rule(dy, cache, dbeta, dgamma), "dgamma": dgamma, "dbeta": dbeta}

    def explain(self, inputs: Inputs) -> list[Step]:
        dy, cache = _backward_inputs(inputs)
        grads = batchnorm_backward(dy, cache)
        return [
            Step(
                "x_hat", f"From the forward pass: $\\hat{{x}} = {matrix(cache.x_hat)}$.", cache.x_hat.tolist()
            ),
            Step(
                "inv_std",
                f"and $1/\\sqrt{{\\sigma_B^2 + \\epsilon}} = {matrix(cache.inv_std)}$.",
                cache.inv_std.tolist(),
            ),
            Step(
                "dbeta",
                f"$\\beta$ is added to every row: $\\partial L/\\partial \\beta = \\sum_i dy_i = {matrix(grads.dbeta)}$.",
                grads.dbeta.tolist(),
            ),
            Step(
                "dgamma",
                "$\\gamma$ multiplies $\\hat{x}$: "
                f"$\\partial L/\\partial \\gamma = \\sum_i dy_i \\hat{{x}}_i = {matrix(grads.dgamma)}$.",
                grads.dgamma.tolist(),
            ),
            Step(
                "dx",
                "Direct path, mean path and variance path together: "
                "$dx = \\frac{\\gamma}{m\\sqrt{\\sigma_B^2 + \\epsilon}}"
                "\\left(m\\, dy - \\sum_i dy_i - \\hat{x} \\sum_i dy_i \\hat{x}_i\\right) = "
                f"{matrix(grads.dx)}$.",
                grads.dx.tolist(),
            ),
        ]


def _batches(inputs: Inputs) -> FloatArray:
    return as_array(inputs["batches"])


def _batches_tex(batches: FloatArray) -> str:
    return ", ".join(f"$X_{{{j + 1}}} = {matrix(batch)}$" for j, batch in enumerate(batches))


def _sample_batches(rng: np.random.Generator, k: int) -> FloatArray:
    # Feature-wise offsets make the batch means differ visibly between features.
    n = k * BATCH * FEATURES
    u = rng.random(n + FEATURES)
    tenths = np.floor(u * 41) - 20  # integers in [-20, 20]
    batches: FloatArray = (tenths[:n].reshape(k, BATCH, FEATURES) + tenths[n:]) / 10
    return batches


def _batches_acceptable(batches: FloatArray) -> bool:
    return all(_spread_enough(batch) for batch in batches)


def _running_answer(stats: RunningStats) -> Answer:
    return {"running_mean": stats.mean, "running_var": stats.var}


# In the order of RunningStatsGenerator.misconceptions.
_RUNNING_FROM_MOMENTS = (_biased_running_variance, _momentum_swapped, _running_var_starts_at_zero)


class RunningStatsGenerator(Generator):
    """``batchnorm.running_stats``: PyTorch's running mean and variance after k training batches."""

    id = "batchnorm.running_stats"
    topic = "batchnorm"
    title = "Batch norm running statistics (PyTorch's momentum update)"
    answer_fields = {
        "running_mean": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "running_var": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="batchnorm.biased-running-variance",
            feedback="You fed the biased batch variance into the running estimate; PyTorch updates "
            "running_var with the unbiased one (divide by m − 1).",
            answer=lambda inputs: _running_answer(
                misconception_biased_running_variance(_batches(inputs), momentum=_momentum(inputs))
            ),
            changes=("running_var",),
        ),
        Misconception(
            id="batchnorm.momentum-swapped",
            feedback="You weighted the old running value by the momentum; in PyTorch the momentum is the "
            "weight of the new batch: (1 − momentum)·running + momentum·batch.",
            answer=lambda inputs: _running_answer(
                misconception_momentum_swapped(_batches(inputs), momentum=_momentum(inputs))
            ),
        ),
        Misconception(
            id="batchnorm.running-var-starts-at-zero",
            feedback="You started the running variance at 0; PyTorch starts running_var at 1 (and "
            "running_mean at 0).",
            answer=lambda inputs: _running_answer(
                misconception_running_var_starts_at_zero(_batches(inputs), momentum=_momentum(inputs))
            ),
            changes=("running_var",),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {
            "batches": _sample_batches(rng, K_RUNNING),
            "momentum": MOMENTUM_CHOICES[int(rng.random() * len(MOMENTUM_CHOICES))],
        }

    def acceptable(self, inputs: Inputs) -> bool:
        return _batches_acceptable(_batches(inputs))

    def prompt(self, inputs: Inputs) -> str:
        batches = _batches(inputs)
        momentum = _momentum(inputs)
        return (
            f"A freshly created `nn.BatchNorm1d({FEATURES}, momentum={num(momentum)})` in PyTorch sees "
            f"{K_RUNNING} training-mode mini-batches ($m = {BATCH}$ examples as rows, {FEATURES} features "
            f"as columns), in this order: {_batches_tex(batches)}. Give its buffers `running_mean` and "
            f"`running_var` ({FEATURES} values each) after the last batch, exactly as PyTorch updates them. "
            f"{TOLERANCE_TEXT}"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _running_answer(running_stats(_batches(inputs), momentum=_momentum(inputs)))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The inputs read once for all four updates.
        batches, momentum = _batches(inputs), _momentum(inputs)
        moments, m = feature_moments(batches), batches.shape[1]
        explaining = yield None, _running_answer(_running_from_moments(moments, m, momentum=momentum))
        for misconception, rule in zip(self.misconceptions, _RUNNING_FROM_MOMENTS, strict=True):
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _running_answer(rule(moments, m, momentum))

    def explain(self, inputs: Inputs) -> list[Step]:
        batches = _batches(inputs)
        momentum = _momentum(inputs)
        m = batches.shape[1]
        steps = [Step("start", "Running mean 0 and running variance 1 per feature.", None)]
        for j, batch in enumerate(batches, start=1):
            mean, var = batch_moments(batch)
            stats = running_stats(batches[:j], momentum=momentum)
            steps.append(
                Step(
                    f"batch_{j}",
                    f"Batch {j}: $\\mu_B = {matrix(mean)}$, unbiased variance "
                    f"${matrix(var * (m / (m - 1)))}$; after the update "
                    f"$(1 - {num(momentum)})\\,\\text{{running}} + {num(momentum)}\\cdot\\text{{batch}}$: "
                    f"running mean ${matrix(stats.mean)}$, "
                    f"running variance ${matrix(stats.var)}$.",
                    {"running_mean": stats.mean.tolist(), "running_var": stats.var.tolist()},
                )
            )
        return steps


def _population_answer(stats: RunningStats) -> Answer:
    return {"mean": stats.mean, "var": stats.var}


class PopulationStatsGenerator(Generator):
    """``batchnorm.population_stats``: the paper's inference mean and variance from k training batches."""

    id = "batchnorm.population_stats"
    topic = "batchnorm"
    title = "Batch norm population statistics for inference"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "var": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="batchnorm.biased-population-variance",
            feedback="You averaged the biased batch variances without the m/(m − 1) correction; the "
            "average of biased estimates is still biased low.",
            answer=lambda inputs: _population_answer(
                misconception_biased_population_variance(_batches(inputs))
            ),
            changes=("var",),
        ),
        Misconception(
            id="batchnorm.pooled-variance",
            feedback="You took the variance of all examples pooled together; the population estimate "
            "averages the variances within each batch and corrects by m/(m − 1).",
            answer=lambda inputs: _population_answer(misconception_pooled_variance(_batches(inputs))),
        ),
        Misconception(
            id="batchnorm.correction-by-batch-count",
            feedback="You corrected by k/(k − 1) with the number of batches; the bias comes from each "
            "batch's own size, so the factor is m/(m − 1).",
            answer=lambda inputs: _population_answer(
                misconception_correction_by_batch_count(_batches(inputs))
            ),
            changes=("var",),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {"batches": _sample_batches(rng, K_POPULATION)}

    def acceptable(self, inputs: Inputs) -> bool:
        return _batches_acceptable(_batches(inputs))

    def prompt(self, inputs: Inputs) -> str:
        batches = _batches(inputs)
        return (
            f"After training, a batch-normalization layer's inference statistics are estimated from "
            f"{K_POPULATION} training mini-batches ($m = {BATCH}$ examples as rows, {FEATURES} features as "
            f"columns): {_batches_tex(batches)}. Estimate them as Ioffe & Szegedy's Algorithm 2 does: the "
            "population mean `mean` from the batch means, and the population variance `var` as the "
            f"**unbiased** estimate built from the batch variances ({FEATURES} values each). {TOLERANCE_TEXT}"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _population_answer(population_stats(_batches(inputs)))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The right statistics once: two misconceptions only rescale their variance.
        batches = _batches(inputs)
        right = population_stats(batches)
        explaining = yield None, _population_answer(right)
        uncorrected, pooled, by_batch_count = self.misconceptions
        if uncorrected.could_explain(explaining):
            yield uncorrected, _population_answer(_uncorrected(right, batches))
        if pooled.could_explain(explaining):
            yield pooled, _population_answer(misconception_pooled_variance(batches))
        if by_batch_count.could_explain(explaining):
            yield by_batch_count, _population_answer(_corrected_by_batch_count(right, batches))

    def explain(self, inputs: Inputs) -> list[Step]:
        batches = _batches(inputs)
        m = batches.shape[1]
        moments = [batch_moments(batch) for batch in batches]
        means = np.array([mean for mean, _ in moments])
        variances = np.array([var for _, var in moments])
        stats = population_stats(batches)
        return [
            Step("batch_means", f"Batch means (one row per batch): ${matrix(means)}$.", means.tolist()),
            Step(
                "batch_variances",
                f"Biased batch variances (divide by $m = {m}$): ${matrix(variances)}$.",
                variances.tolist(),
            ),
            Step(
                "mean",
                f"Average the batch means: $\\mathrm{{E}}[x] = {matrix(stats.mean)}$.",
                stats.mean.tolist(),
            ),
            Step(
                "var",
                f"Average the batch variances and multiply by $m/(m-1) = {m}/{m - 1}$: "
                f"$\\mathrm{{Var}}[x] = {matrix(stats.var)}$.",
                stats.var.tolist(),
            ),
        ]


register(TrainForwardGenerator())
register(BackwardGenerator())
register(RunningStatsGenerator())
register(PopulationStatsGenerator())
