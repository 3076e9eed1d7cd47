"""``batchnorm.train_forward`` as a step graph: mean → var → inv_std → x_hat → y.

``var`` reads the candidate's own ``mean`` and ``y`` their own ``mean`` and ``var`` (error carried forward),
so a batch worked by hand from 3-figure statistics is graded on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    EPS,
    FEATURES,
    BatchNormCache,
)
from verifier.concepts.batchnorm.inputs import (
    _eps_tex,
    _forward_inputs,
    _sample_layer,
    _sample_layer_by_hand,
    _spread_enough,
)
from verifier.generator import as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep


def _inputs(x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float) -> Values:
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps}


def _result(values: Values) -> tuple[FloatArray, BatchNormCache]:
    cache = BatchNormCache(values["x_hat"], values["gamma"], values["mean"], values["var"], values["inv_std"])
    return values["y"], cache


def _wrong_forward(
    misconception_id: str, x: FloatArray, gamma: FloatArray, beta: FloatArray, eps: float
) -> tuple[FloatArray, BatchNormCache]:
    """A misconception's whole forward pass, every intermediate value included (the cache's inv_std slot
    holds what the belief divides by)."""
    _, values = GRAPH.evaluate(_inputs(x, gamma, beta, eps), override=GRAPH.misconception(misconception_id))
    return _result(values)


def misconception_unbiased_batch_variance(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """The forward pass of ``batchnorm.unbiased-batch-variance`` (see GRAPH)."""
    return _wrong_forward("batchnorm.unbiased-batch-variance", x, gamma, beta, eps)


def misconception_no_square_root(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """The forward pass of ``batchnorm.no-square-root`` (see GRAPH)."""
    return _wrong_forward("batchnorm.no-square-root", x, gamma, beta, eps)


def misconception_forgot_scale_and_shift(
    x: FloatArray, gamma: FloatArray, beta: FloatArray, *, eps: float = EPS
) -> tuple[FloatArray, BatchNormCache]:
    """The forward pass of ``batchnorm.forgot-scale-and-shift`` (see GRAPH)."""
    return _wrong_forward("batchnorm.forgot-scale-and-shift", x, gamma, beta, eps)


def _read(inputs: Inputs) -> Values:
    return _inputs(*_forward_inputs(inputs))


def _column_means(x: FloatArray) -> FloatArray:
    out: FloatArray = x.sum(axis=0) / x.shape[0]
    return out


def _variance(x: FloatArray, mean: Any, *, ddof: int = 0) -> FloatArray:
    """Per-feature mean squared deviation from ``mean``, dividing by m − ddof."""
    out: FloatArray = ((x - mean) ** 2).sum(axis=0) / (x.shape[0] - ddof)
    return out


GRAPH = StepGraph(
    [
        Calc(
            "mean",
            _column_means,
            lambda v: f"Average each column: $\\mu_B = {matrix(v['mean'])}$.",
            hint="Each feature (column) gets its own mean over the batch.",
        ),
        Calc(
            "var",
            lambda x, mean: _variance(x, mean),
            lambda v: (
                "Average the squared deviations from $\\mu_B$, dividing by "
                f"$m = {v['x'].shape[0]}$: $\\sigma_B^2 = {matrix(v['var'])}$."
            ),
            hint="Training mode uses the biased batch variance: divide by $m$, not $m - 1$.",
        ),
        Calc(
            "inv_std",
            lambda var, eps: 1.0 / np.sqrt(np.asarray(var, dtype=np.float64) + eps),
            lambda v: f"$1/\\sqrt{{\\sigma_B^2 + {_eps_tex(v['eps'])}}} = {matrix(v['inv_std'])}$.",
            hint=r"Divide by the standard deviation $\sqrt{\sigma_B^2 + \epsilon}$.",
        ),
        Calc(
            "x_hat",
            lambda x, mean, inv_std: (x - mean) * inv_std,
            lambda v: (
                f"Normalize: $\\hat{{x}} = (x - \\mu_B)/\\sqrt{{\\sigma_B^2 + \\epsilon}} = "
                f"{matrix(v['x_hat'])}$; each column now has mean 0 and variance (almost) 1."
            ),
        ),
        Calc(
            "y",
            lambda gamma, x_hat, beta: gamma * x_hat + beta,
            lambda v: f"Scale and shift: $y = \\gamma \\hat{{x}} + \\beta = {matrix(v['y'])}$.",
            hint=r"The layer's output is $\gamma \hat{x} + \beta$, per feature.",
        ),
    ],
    fields=("mean", "var", "y"),
    misconceptions=[
        WrongStep(
            id="batchnorm.unbiased-batch-variance",
            feedback="You normalized with the unbiased variance (divide by m − 1); training mode uses the "
            "biased batch variance (divide by m).",
            root="var",
            # The unbiased variance is the "proper" estimator, and the running estimate does use it.
            wrong=lambda x, mean: _variance(x, mean, ddof=1),
        ),
        WrongStep(
            id="batchnorm.no-square-root",
            feedback="You divided by the variance; x̂ divides by the standard deviation √(σ² + ε).",
            root="inv_std",
            # The formula read as "divide by the variance"; only the standard deviation gives unit variance.
            wrong=lambda var, eps: 1.0 / (np.asarray(var, dtype=np.float64) + eps),
        ),
        WrongStep(
            id="batchnorm.forgot-scale-and-shift",
            feedback="You gave the normalized x̂ as the output; the layer then scales by γ and shifts by β.",
            root="y",
            # Normalizing is the headline step; the learned scale and shift are what let the layer undo it.
            wrong=lambda x_hat: x_hat,
        ),
    ],
    read=_read,
)


class TrainForwardGenerator(StepGenerator):
    """``batchnorm.train_forward``: batch mean, biased batch variance and output in training mode."""

    id = "batchnorm.train_forward"
    topic = "batchnorm"
    title = "Batch norm forward pass in training mode"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), atol=ATOL),
        "var": FieldSpec((FEATURES,), atol=ATOL),
        "y": FieldSpec((BATCH, FEATURES), atol=ATOL),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return _sample_layer(rng)

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return _sample_layer_by_hand(rng)

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: every batch variance is a perfect square, ε = 10⁻⁵

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
            f"`var` ({FEATURES} values) and the layer's output `y` (a ${BATCH} \\times {FEATURES}$ matrix)."
        )


register(TrainForwardGenerator())
