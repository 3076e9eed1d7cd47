"""Layer normalization next to batch normalization on the same (batch, features) input: which axis each
one averages over, and the two outputs side by side.

Conventions: ``nn.LayerNorm(d)`` normalizes each example over its last d features with the *biased*
variance (divide by d), eps = 1e-5, and its default affine parameters (weight 1, bias 0);
``nn.BatchNorm1d(d)`` in training mode normalizes each feature over the batch, also with the biased
variance, eps = 1e-5, weight 1, bias 0. Ba, Kiros & Hinton 2016, "Layer Normalization"
(https://arxiv.org/abs/1607.06450); https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html.
"""

from __future__ import annotations

import math

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.normalization import mean_and_std
from verifier.generator import Known, as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

EPS = 1e-5
MIN_STD = math.sqrt(0.5)  # a row or column with a smaller std is nearly constant
N = D = 3  # square, so a slip of axis still gives answers of the right shape
# The rows a sample draws from: integers in [−4, 4] summing to a multiple of 3, not all equal. Such a row
# spans at least 2 (a span of 1 would not sum to a multiple of 3), and 3 integers spanning at least 2 have
# a variance of at least 2/3, so no row is nearly constant; a column is when it spans less than MIN_RANGE.
ROWS = np.array(
    [
        (a, b, c)
        for a in range(-4, 5)
        for b in range(-4, 5)
        for c in range(-4, 5)
        if (a + b + c) % 3 == 0 and not a == b == c
    ],
    dtype=np.float64,
)
MIN_RANGE = 2
FEATURE_AXIS, BATCH_AXIS = 1, 0
AXIS_NAMES = {
    FEATURE_AXIS: "each row (one example's features)",
    BATCH_AXIS: "each column (one feature over the batch)",
}


def _expand(stat: FloatArray, axis: int) -> FloatArray:
    """A per-row (axis 1) or per-column (axis 0) statistic broadcast against the (N, D) input."""
    result: FloatArray = stat[:, None] if axis == FEATURE_AXIS else stat[None, :]
    return result


def mean_over(x: FloatArray, axis: int) -> FloatArray:
    """The mean over ``axis`` (1: per example, as LayerNorm; 0: per feature, as BatchNorm)."""
    result: FloatArray = x.sum(axis=axis) / x.shape[axis]
    return result


def var_over(x: FloatArray, mean: FloatArray, axis: int, *, ddof: int = 0) -> FloatArray:
    """The variance over ``axis`` around ``mean`` (biased, ddof = 0, for both normalizations)."""
    result: FloatArray = ((x - _expand(mean, axis)) ** 2).sum(axis=axis) / (x.shape[axis] - ddof)
    return result


def normalize(x: FloatArray, mean: FloatArray, var: FloatArray, axis: int) -> FloatArray:
    """(x − mean)/√(var + eps) with the statistics taken over ``axis``."""
    result: FloatArray = (x - _expand(mean, axis)) / np.sqrt(_expand(var, axis) + EPS)
    return result


def _batchnorm(x: FloatArray, axis: int) -> FloatArray:
    mean = mean_over(x, axis)
    return normalize(x, mean, var_over(x, mean, axis), axis)


GRAPH = StepGraph(
    [
        Calc(
            "axis",
            lambda: FEATURE_AXIS,
            lambda v: f"LayerNorm averages over {AXIS_NAMES[v['axis']]}: the last dimension, of size d.",
            hint="`nn.LayerNorm(d)` normalizes over the last d entries of each example.",
        ),
        Calc(
            "ln_mean",
            lambda x, axis: mean_over(x, axis),
            lambda v: f"Row means: ${matrix(v['ln_mean'])}$.",
        ),
        Calc(
            "ln_var",
            lambda x, ln_mean, axis: var_over(x, ln_mean, axis),
            lambda v: f"Biased row variances (divide by {D}): ${matrix(v['ln_var'])}$.",
            hint="LayerNorm's variance is biased: divide by d, not d − 1.",
        ),
        Calc(
            "y_ln",
            lambda x, ln_mean, ln_var, axis: normalize(x, ln_mean, ln_var, axis),
            lambda v: f"$(x - \\mu_i)/\\sqrt{{\\sigma_i^2 + \\epsilon}} = {matrix(v['y_ln'])}$.",
        ),
        Calc(
            "bn_axis",
            lambda: BATCH_AXIS,
            lambda v: f"BatchNorm averages over {AXIS_NAMES[v['bn_axis']]}.",
            hint="Batch norm's statistics are per feature, over the examples of the batch.",
        ),
        Calc(
            "y_bn",
            lambda x, bn_axis: _batchnorm(x, bn_axis),
            lambda v: (
                f"Column means ${matrix(mean_over(v['x'], v['bn_axis']))}$, biased column variances "
                f"${matrix(var_over(v['x'], mean_over(v['x'], v['bn_axis']), v['bn_axis']))}$: "
                f"$y_{{BN}} = {matrix(v['y_bn'])}$."
            ),
        ),
    ],
    fields=("ln_mean", "ln_var", "y_ln", "y_bn"),
    misconceptions=[
        WrongStep(
            id="normalization.layernorm-over-batch",
            feedback="You normalized each feature over the batch, which is batch norm; LayerNorm normalizes "
            "each example over its own features.",
            root="axis",
            # Both are "normalize then scale"; the difference is only the axis.
            wrong=lambda: BATCH_AXIS,
        ),
        WrongStep(
            id="normalization.layernorm-unbiased-variance",
            feedback="You divided by d − 1; LayerNorm uses the biased variance (divide by d).",
            root="ln_var",
            # torch.var and pandas' std default to the unbiased estimate.
            wrong=lambda x, ln_mean, axis: var_over(x, ln_mean, axis, ddof=1),
        ),
        WrongStep(
            id="normalization.batchnorm-over-features",
            feedback="You normalized each example over its features, which is layer norm; batch norm "
            "normalizes each feature over the batch.",
            root="bn_axis",
            # The mirror image of the LayerNorm slip.
            wrong=lambda: FEATURE_AXIS,
        ),
    ],
    read=lambda inputs: {"x": as_array(inputs["x"]).reshape(N, D)},
)


class LayerNormGenerator(StepGenerator):
    """``normalization.layernorm``: LayerNorm and BatchNorm (train mode) on the same 3×3 input."""

    id = "normalization.layernorm"
    topic = "batchnorm"
    title = "LayerNorm versus BatchNorm on the same input: axis and outputs"
    answer_fields = {
        "ln_mean": FieldSpec(shape=(N,)),
        "ln_var": FieldSpec(shape=(N,)),
        "y_ln": FieldSpec(shape=(N, D)),
        "y_bn": FieldSpec(shape=(N, D)),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Integers in [−4, 4] whose row sums are multiples of 3: LayerNorm's means are whole numbers, so
        ``x − mean`` (which may nearly cancel) is exact in hand work.

        Two rows uniformly from :data:`ROWS`, the third uniformly from those that leave no column nearly
        constant, in a random row order: the draw ``acceptable`` asks for, without the redraws (a third
        of all draws used to be redrawn for a nearly constant row or column)."""
        first = ROWS[rng.integers(len(ROWS), size=N - 1)]
        low, high = first.min(axis=0), first.max(axis=0)
        spread = np.maximum(high, ROWS) - np.minimum(low, ROWS)  # each column's range with each candidate
        fits = ROWS[(spread >= MIN_RANGE).all(axis=1)]
        rows = np.vstack([first, fits[rng.integers(len(fits))]])  # at least 68 rows fit any first two
        return {"x": rows[rng.permutation(N)]}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        """√σ² for every row (LayerNorm) and column (BatchNorm) variance, sorted, so the list does not say
        which is which; ε = 10⁻⁵ changes none of them at the figures asked."""
        x = as_array(inputs["x"]).reshape(N, D)
        variances = {round(float(var), 4) for var in (*x.var(axis=1).tolist(), *x.var(axis=0).tolist())}
        return tuple(Known(f"\\sqrt{{{num(var)}}}", float(np.sqrt(var))) for var in sorted(variances))

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: whole-number inputs, the square roots printed

    def acceptable(self, inputs: Inputs) -> bool:
        """No row or column is nearly constant (its variance would sit at eps): each variance ≥ 0.5.

        Plain floats (asked of every draw; NumPy's per-call cost is most of the work on 9 numbers). The
        entries are integers, so each variance is a multiple of 1/9 and never near 0.5: comparing the std
        with √0.5 gives the same verdict whatever the rounding.
        """
        rows = as_array(inputs["x"]).reshape(N, D).tolist()
        return all(mean_and_std(line)[1] >= MIN_STD for line in (*rows, *zip(*rows, strict=True)))

    def prompt(self, inputs: Inputs) -> str:
        x = as_array(inputs["x"]).reshape(N, D)
        return (
            f"A batch of 3 examples with 3 features, $x = {matrix(x)}$ (one example per row), goes through "
            "`nn.LayerNorm(3)` and, separately, through `nn.BatchNorm1d(3)` in training mode, both with "
            "eps = 1e-5 and their default weight 1 and bias 0. Give LayerNorm's three means (`ln_mean`) and "
            "variances (`ln_var`) and its output (`y_ln`), and BatchNorm's output (`y_bn`)."
        )


register(LayerNormGenerator())
