"""Input standardization: zero mean and unit variance per feature, with the training set's statistics.

The mean and the **population** standard deviation (divide by m, as scikit-learn's ``StandardScaler``
and ``torch.std(unbiased=False)`` do) are fitted on the training set only, and the same transform
``(x - mean) / std`` is then applied to the test set, so test inputs are measured on the scale the model
was trained on and no test information leaks into the model. Sources: LeCun et al. 1998, "Efficient
BackProp", http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf (§4.3, normalizing the inputs);
https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.StandardScaler.html.

Answers are graded to 1 % relative with an absolute floor of 0.001, since a standardized value near zero
is a difference of nearly equal numbers when worked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.inputs import square_variance_patterns
from verifier.generator import as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

RTOL = 1e-2
ATOL = 1e-3
TRAIN_ROWS, TEST_ROWS, FEATURES = 4, 2, 2
MIN_STD = 0.3  # a feature with almost no spread would blow up the standardized values


class Standardizer(NamedTuple):
    """Per-feature statistics fitted on the training set."""

    mean: FloatArray
    std: FloatArray


def mean_and_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (divide by n) of one feature's values.

    Plain Python floats: for a handful of values they are several times faster than NumPy calls, whose
    per-call overhead dominates at this size.
    """
    n = len(values)
    mean = sum(values) / n
    return mean, math.sqrt(sum([(v - mean) ** 2 for v in values]) / n)


def fit_standardizer(train: FloatArray) -> Standardizer:
    """Per-feature mean and population standard deviation (divide by m) of the (m, d) training set."""
    moments = [mean_and_std(column) for column in train.T.tolist()]
    return Standardizer(
        mean=np.array([mean for mean, _ in moments]), std=np.array([std for _, std in moments])
    )


def standardize(x: FloatArray, scaler: Standardizer) -> FloatArray:
    """``(x - mean) / std`` with the given (training) statistics, for any (n, d) ``x``."""
    out: FloatArray = (x - scaler.mean) / scaler.std
    return out


def standardize_split(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """Fit on ``train``, transform ``test``: the training statistics and the standardized test set."""
    scaler = fit_standardizer(train)
    return scaler, standardize(test, scaler)


# --- the step graph and its misconceptions -----------------------------------------------------------


def _wrong_split(
    misconception_id: str, train: FloatArray, test: FloatArray
) -> tuple[Standardizer, FloatArray]:
    answer = GRAPH.misconception(misconception_id).answer({"train": train, "test": test})
    return Standardizer(np.asarray(answer["mean"]), np.asarray(answer["std"])), np.asarray(
        answer["test_standardized"]
    )


def misconception_test_own_statistics(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """The answer of ``normalization.test-own-statistics`` (see GRAPH)."""
    return _wrong_split("normalization.test-own-statistics", train, test)


def misconception_sample_std(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """The answer of ``normalization.sample-std`` (see GRAPH)."""
    return _wrong_split("normalization.sample-std", train, test)


def misconception_divided_by_variance(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """The answer of ``normalization.divided-by-variance`` (see GRAPH)."""
    return _wrong_split("normalization.divided-by-variance", train, test)


def _std(train: FloatArray, mean: Any, *, ddof: int = 0) -> FloatArray:
    """Per-feature root mean squared deviation from ``mean``, dividing by m − ddof."""
    out: FloatArray = np.sqrt(((train - mean) ** 2).sum(axis=0) / (train.shape[0] - ddof))
    return out


GRAPH = StepGraph(
    [
        Calc(
            "mean",
            lambda train: train.sum(axis=0) / train.shape[0],
            lambda v: f"Average each training column: $\\mu = {matrix(v['mean'])}$.",
            hint="The statistics come from the training set only.",
        ),
        Calc(
            "std",
            lambda train, mean: _std(train, mean),
            lambda v: (
                "Root of the mean squared deviation from $\\mu$, dividing by "
                f"$m = {v['train'].shape[0]}$: $\\sigma = {matrix(v['std'])}$."
            ),
            hint="The population standard deviation divides by $m$, not $m - 1$.",
        ),
        Calc(
            "applied",
            lambda mean, std: (mean, std),
            lambda v: (
                "The test rows are standardized with the **training** statistics $\\mu$ and "
                "$\\sigma$, the scale the model was trained on."
            ),
            hint="Which statistics does the model expect its test inputs to be scaled with?",
        ),
        Calc(
            "divisor",
            lambda applied: applied[1],
            lambda v: (
                f"Divide by the standard deviation $\\sigma = {matrix(v['divisor'])}$ (not the variance)."
            ),
        ),
        Calc(
            "test_standardized",
            lambda test, applied, divisor: (test - applied[0]) / divisor,
            lambda v: (
                "Apply them to the test rows: "
                f"$(X_\\text{{test}} - \\mu)/\\sigma = {matrix(v['test_standardized'])}$."
            ),
        ),
    ],
    fields=("mean", "std", "test_standardized"),
    misconceptions=[
        WrongStep(
            id="normalization.test-own-statistics",
            feedback="You standardized the test set with its own statistics; it must use the training "
            "set's mean and standard deviation, the scale the model was trained on.",
            root="applied",
            # Every set then has mean 0 and variance 1; but the model was fitted to the training scale.
            wrong=lambda test: (
                test.sum(axis=0) / test.shape[0],
                _std(test, test.sum(axis=0) / test.shape[0]),
            ),
        ),
        WrongStep(
            id="normalization.sample-std",
            feedback="You used the sample standard deviation (divide by m − 1); standardization uses the "
            "population standard deviation (divide by m).",
            root="std",
            # The default of torch.std, pandas and most calculators.
            wrong=lambda train, mean: _std(train, mean, ddof=1),
        ),
        WrongStep(
            id="normalization.divided-by-variance",
            feedback="You divided by the variance; dividing by the standard deviation is what gives unit "
            "variance.",
            root="divisor",
            # "Unit variance" suggests dividing by the variance.
            wrong=lambda applied: np.asarray(applied[1]) ** 2,
        ),
    ],
    read=lambda inputs: {"train": as_array(inputs["train"]), "test": as_array(inputs["test"])},
)


class StandardizeGenerator(StepGenerator):
    """``normalization.standardize``: fit standardization on a training set and apply it to a test set."""

    id = "normalization.standardize"
    topic = "practice"
    title = "Input standardization with training-set statistics"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), atol=ATOL),
        "std": FieldSpec((FEATURES,), atol=ATOL),
        "test_standardized": FieldSpec((TEST_ROWS, FEATURES), atol=ATOL),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        # Each feature gets its own whole-number offset in [-5, 5], so the columns sit on different scales.
        # Plain floats: for a dozen numbers NumPy's per-call cost is most of the work.
        n_train, n_test = TRAIN_ROWS * FEATURES, TEST_ROWS * FEATURES
        u: list[float] = rng.random(n_train + n_test + FEATURES).tolist()
        tenths = [math.floor(v * 41) - 20 for v in u[: n_train + n_test]]  # integers in [-20, 20]
        offsets = [(math.floor(v * 11) - 5) * 10 for v in u[n_train + n_test :]]
        values = [(t + offsets[i % FEATURES]) / 10 for i, t in enumerate(tenths)]
        return {
            "train": np.array(values[:n_train]).reshape(TRAIN_ROWS, FEATURES),
            "test": np.array(values[n_train:]).reshape(TEST_ROWS, FEATURES),
        }

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Each training column is its mean plus a deviation pattern whose mean square is a perfect square
        (so the population std is exact); the test rows lie within ±2 of it."""
        patterns = square_variance_patterns(TRAIN_ROWS)
        train, test = [], []
        for _ in range(FEATURES):
            mean = int(rng.integers(-50, 51))  # in tenths
            train.append((mean + np.array(patterns[int(rng.integers(len(patterns)))], dtype=np.float64)) / 10)
            test.append((mean + rng.integers(-20, 21, TEST_ROWS)).astype(np.float64) / 10)
        return {"train": np.stack(train, axis=1), "test": np.stack(test, axis=1)}

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: each training column's variance is a perfect square

    def acceptable(self, inputs: Inputs) -> bool:
        # The test set's own spread matters too: one misconception standardizes it with its own std.
        columns = as_array(inputs["train"]).T.tolist() + as_array(inputs["test"]).T.tolist()
        return all(mean_and_std(column)[1] >= MIN_STD for column in columns)

    def prompt(self, inputs: Inputs) -> str:
        train, test = as_array(inputs["train"]), as_array(inputs["test"])
        return (
            f"A model's inputs have {FEATURES} features (columns). The training set is "
            f"$X_\\text{{train}} = {matrix(train)}$ and the test set is $X_\\text{{test}} = {matrix(test)}$. "
            "The inputs are standardized to zero mean and unit variance per feature, the usual way for "
            "a model that is trained on the training set and then evaluated on the test set. Give the "
            "training set's per-feature mean `mean` and **population** standard deviation `std` (divide "
            f"by $m$; {FEATURES} values each), and the test set as the model receives it, "
            "`test_standardized` (a "
            f"${TEST_ROWS} \\times {FEATURES}$ matrix)."
        )


register(StandardizeGenerator())
