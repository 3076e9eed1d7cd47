"""``batchnorm.running_stats`` and ``batchnorm.population_stats`` as step graphs: the statistics eval mode uses.

Both start from the batches' means and biased variances; the Bessel factor m/(m − 1), PyTorch's momentum
and the running variance's starting value are steps of their own, so each misconception is rooted at the
one it gets wrong. ``running_stats`` and ``population_stats`` (functions.py) are the compact references the
oracle tests check against PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    FEATURES,
    K_POPULATION,
    K_RUNNING,
    MOMENTUM,
    MOMENTUM_CHOICES,
    RunningStats,
)
from verifier.concepts.batchnorm.inputs import _momentum, _spread_enough
from verifier.generator import as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep


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


def _ema(start: Any, values: FloatArray, momentum: float) -> FloatArray:
    """PyTorch's update ``(1 − momentum)·running + momentum·batch`` over the rows of ``values``."""
    running = np.full(values.shape[1], start, dtype=np.float64)
    for row in values:
        running = (1.0 - momentum) * running + momentum * row
    return running


def _stats(values: Values, mean: str, var: str) -> RunningStats:
    return RunningStats(np.asarray(values[mean]), np.asarray(values[var]))


def _running_wrong(misconception_id: str, batches: FloatArray, momentum: float) -> RunningStats:
    answer = RUNNING.misconception(misconception_id).answer({"batches": batches, "momentum": momentum})
    return _stats(answer, "running_mean", "running_var")


def misconception_biased_running_variance(batches: FloatArray, *, momentum: float = MOMENTUM) -> RunningStats:
    """The buffers of ``batchnorm.biased-running-variance`` (see RUNNING)."""
    return _running_wrong("batchnorm.biased-running-variance", batches, momentum)


def misconception_momentum_swapped(batches: FloatArray, *, momentum: float = MOMENTUM) -> RunningStats:
    """The buffers of ``batchnorm.momentum-swapped`` (see RUNNING)."""
    return _running_wrong("batchnorm.momentum-swapped", batches, momentum)


def misconception_running_var_starts_at_zero(
    batches: FloatArray, *, momentum: float = MOMENTUM
) -> RunningStats:
    """The buffers of ``batchnorm.running-var-starts-at-zero`` (see RUNNING)."""
    return _running_wrong("batchnorm.running-var-starts-at-zero", batches, momentum)


def _population_wrong(misconception_id: str, batches: FloatArray) -> RunningStats:
    return _stats(POPULATION.misconception(misconception_id).answer({"batches": batches}), "mean", "var")


def misconception_biased_population_variance(batches: FloatArray) -> RunningStats:
    """The statistics of ``batchnorm.biased-population-variance`` (see POPULATION)."""
    return _population_wrong("batchnorm.biased-population-variance", batches)


def misconception_pooled_variance(batches: FloatArray) -> RunningStats:
    """The statistics of ``batchnorm.pooled-variance`` (see POPULATION)."""
    return _population_wrong("batchnorm.pooled-variance", batches)


def misconception_correction_by_batch_count(batches: FloatArray) -> RunningStats:
    """The statistics of ``batchnorm.correction-by-batch-count`` (see POPULATION)."""
    return _population_wrong("batchnorm.correction-by-batch-count", batches)


def _moment_steps() -> list[Calc]:
    return [
        Calc(
            "batch_means",
            lambda batches: batches.sum(axis=1) / batches.shape[1],
            lambda v: f"Batch means (one row per batch): ${matrix(v['batch_means'])}$.",
        ),
        Calc(
            "batch_variances",
            lambda batches, batch_means: (
                ((batches - batch_means[:, None, :]) ** 2).sum(axis=1) / batches.shape[1]
            ),
            lambda v: (
                f"Biased batch variances (divide by $m = {v['batches'].shape[1]}$): "
                f"${matrix(v['batch_variances'])}$."
            ),
        ),
        Calc(
            "correction",
            lambda batches: batches.shape[1] / (batches.shape[1] - 1),
            lambda v: (
                f"Bessel's factor for a batch of $m = {v['batches'].shape[1]}$: "
                f"$m/(m-1) = {num(v['correction'])}$."
            ),
            hint="Each batch variance divides by $m$; an unbiased estimate needs $m/(m-1)$ of it.",
        ),
    ]


RUNNING = StepGraph(
    [
        *_moment_steps(),
        Calc(
            "momentum_used",
            lambda momentum: momentum,
            lambda v: (
                f"PyTorch's momentum {num(v['momentum_used'])} is the weight of the **new** batch: "
                f"$(1 - {num(v['momentum_used'])})\\,\\text{{running}} + {num(v['momentum_used'])}\\cdot"
                "\\text{batch}$."
            ),
            hint="In PyTorch, `momentum` weighs the new batch, not the old running value.",
        ),
        Calc(
            "start_var",
            lambda: 1.0,
            lambda v: "The buffers start at running mean 0 and running variance 1.",
            hint="What are `running_mean` and `running_var` in a freshly created layer?",
        ),
        Calc(
            "running_mean",
            lambda batch_means, momentum_used: _ema(0.0, batch_means, momentum_used),
            lambda v: f"Running mean after each batch's update: ${matrix(v['running_mean'])}$.",
        ),
        Calc(
            "running_var",
            lambda batch_variances, correction, momentum_used, start_var: _ema(
                start_var, batch_variances * correction, momentum_used
            ),
            lambda v: (
                "Running variance, updated with each batch's **unbiased** variance "
                f"${matrix(v['batch_variances'] * v['correction'])}$: ${matrix(v['running_var'])}$."
            ),
        ),
    ],
    fields=("running_mean", "running_var"),
    misconceptions=[
        WrongStep(
            id="batchnorm.biased-running-variance",
            feedback="You fed the biased batch variance into the running estimate; PyTorch updates "
            "running_var with the unbiased one (divide by m − 1).",
            root="correction",
            # Training mode normalizes with the biased variance; the running estimate uses the unbiased one.
            wrong=lambda: 1.0,
        ),
        WrongStep(
            id="batchnorm.momentum-swapped",
            feedback="You weighted the old running value by the momentum; in PyTorch the momentum is the "
            "weight of the new batch: (1 − momentum)·running + momentum·batch.",
            root="momentum_used",
            # The optimizer sense of momentum (and Keras's, whose 0.99 weighs the old value).
            wrong=lambda momentum: 1.0 - momentum,
        ),
        WrongStep(
            id="batchnorm.running-var-starts-at-zero",
            feedback="You started the running variance at 0; PyTorch starts running_var at 1 (and "
            "running_mean at 0).",
            root="start_var",
            # Accumulators usually start empty; PyTorch initializes running_var to ones.
            wrong=lambda: 0.0,
        ),
    ],
    read=lambda inputs: {"batches": _batches(inputs), "momentum": _momentum(inputs)},
)


class RunningStatsGenerator(StepGenerator):
    """``batchnorm.running_stats``: PyTorch's running mean and variance after k training batches."""

    id = "batchnorm.running_stats"
    topic = "batchnorm"
    title = "Batch norm running statistics (PyTorch's momentum update)"
    answer_fields = {
        "running_mean": FieldSpec((FEATURES,), atol=ATOL),
        "running_var": FieldSpec((FEATURES,), atol=ATOL),
    }
    graph = RUNNING

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: means, variances and momentum mixes, no root

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
            f"`running_var` ({FEATURES} values each) after the last batch, exactly as PyTorch updates them."
        )


def _pooled_variance(batches: FloatArray) -> FloatArray:
    """The unbiased variance of all k·m examples together."""
    pooled = batches.reshape(-1, batches.shape[2])
    out: FloatArray = pooled.var(axis=0, ddof=1)
    return out


POPULATION = StepGraph(
    [
        *_moment_steps(),
        Calc(
            "mean",
            lambda batch_means: batch_means.sum(axis=0) / batch_means.shape[0],
            lambda v: f"Average the batch means: $\\mathrm{{E}}[x] = {matrix(v['mean'])}$.",
        ),
        Calc(
            "var",
            lambda batch_variances, correction: (
                correction * (batch_variances.sum(axis=0) / batch_variances.shape[0])
            ),
            lambda v: (
                f"Average the batch variances and multiply by $m/(m-1)$: "
                f"$\\mathrm{{Var}}[x] = {matrix(v['var'])}$."
            ),
            hint="Average the variances *within* each batch; the spread between batches is not what a batch sees.",
        ),
    ],
    fields=("mean", "var"),
    misconceptions=[
        WrongStep(
            id="batchnorm.biased-population-variance",
            feedback="You averaged the biased batch variances without the m/(m − 1) correction; the "
            "average of biased estimates is still biased low.",
            root="correction",
            # Each batch variance is already an average; the mean of biased estimates is still biased low.
            wrong=lambda: 1.0,
        ),
        WrongStep(
            id="batchnorm.pooled-variance",
            feedback="You took the variance of all examples pooled together; the population estimate "
            "averages the variances within each batch and corrects by m/(m − 1).",
            root="var",
            # "The variance of the training data" adds the spread between batch means.
            wrong=lambda batches: _pooled_variance(batches),
        ),
        WrongStep(
            id="batchnorm.correction-by-batch-count",
            feedback="You corrected by k/(k − 1) with the number of batches; the bias comes from each "
            "batch's own size, so the factor is m/(m − 1).",
            root="correction",
            # The final average runs over the k batches; the bias comes from each batch's m.
            wrong=lambda batches: batches.shape[0] / (batches.shape[0] - 1),
        ),
    ],
    read=lambda inputs: {"batches": _batches(inputs)},
)


class PopulationStatsGenerator(StepGenerator):
    """``batchnorm.population_stats``: the paper's inference mean and variance from k training batches."""

    id = "batchnorm.population_stats"
    topic = "batchnorm"
    title = "Batch norm population statistics for inference"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), atol=ATOL),
        "var": FieldSpec((FEATURES,), atol=ATOL),
    }
    graph = POPULATION

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: means and variances, no root

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
            f"**unbiased** estimate built from the batch variances ({FEATURES} values each)."
        )


register(RunningStatsGenerator())
register(PopulationStatsGenerator())
