"""batchnorm.train_forward (being ported)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    EPS,
    FEATURES,
    RTOL,
    TOLERANCE_TEXT,
    BatchNormCache,
    _normalize,
    batch_moments,
    batchnorm_forward,
)
from verifier.concepts.batchnorm.inputs import (
    _eps_tex,
    _forward_inputs,
    _sample_layer,
    _spread_enough,
)
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix
from verifier.registry import register

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


register(TrainForwardGenerator())
