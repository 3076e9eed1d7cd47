"""batchnorm.running_stats and batchnorm.population_stats: the statistics eval mode uses."""

from __future__ import annotations

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    FEATURES,
    K_POPULATION,
    K_RUNNING,
    MOMENTUM_CHOICES,
    RTOL,
    TOLERANCE_TEXT,
    RunningStats,
    _biased_running_variance,
    _corrected_by_batch_count,
    _momentum_swapped,
    _running_from_moments,
    _running_var_starts_at_zero,
    _uncorrected,
    batch_moments,
    feature_moments,
    misconception_biased_population_variance,
    misconception_biased_running_variance,
    misconception_correction_by_batch_count,
    misconception_momentum_swapped,
    misconception_pooled_variance,
    misconception_running_var_starts_at_zero,
    population_stats,
    running_stats,
)
from verifier.concepts.batchnorm.inputs import (
    _momentum,
    _spread_enough,
)
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register


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


register(RunningStatsGenerator())
register(PopulationStatsGenerator())
