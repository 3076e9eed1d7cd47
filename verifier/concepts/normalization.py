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
from typing import NamedTuple, Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix
from verifier.registry import register

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


# --- misconceptions --------------------------------------------------------------------------------------


def misconception_test_own_statistics(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """Standardizes the test set with its own mean and standard deviation.

    Tempting because every set then has mean 0 and variance 1; but the model was fitted to the training
    scale, and a test batch's own statistics shift with its composition (and leak test information).
    """
    return _test_own_statistics(fit_standardizer(train), train, test)


def misconception_sample_std(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """Uses the sample standard deviation (divide by m - 1) instead of the population one.

    Tempting because it is the default of ``torch.std``, ``pandas.Series.std`` and most calculators;
    standardization uses the population standard deviation (``np.std``, ``StandardScaler``).
    """
    return _sample_std(fit_standardizer(train), train, test)


def misconception_divided_by_variance(train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    """Divides the centered test values by the variance instead of the standard deviation.

    Tempting because "unit variance" suggests dividing by the variance; dividing by the standard
    deviation is what makes the variance 1.
    """
    return _divided_by_variance(fit_standardizer(train), train, test)


# The same wrong steps from the training set's fitted statistics, which the generator fits once.
def _test_own_statistics(
    scaler: Standardizer,
    train: FloatArray,  # noqa: ARG001 - same arguments as the other steps
    test: FloatArray,
) -> tuple[Standardizer, FloatArray]:
    return scaler, standardize(test, fit_standardizer(test))


def _sample_std(scaler: Standardizer, train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]:
    m = train.shape[0]
    sample = Standardizer(mean=scaler.mean, std=scaler.std * np.sqrt(m / (m - 1)))
    return sample, standardize(test, sample)


def _divided_by_variance(
    scaler: Standardizer,
    train: FloatArray,  # noqa: ARG001 - same arguments as the other steps
    test: FloatArray,
) -> tuple[Standardizer, FloatArray]:
    return scaler, standardize(test, Standardizer(mean=scaler.mean, std=scaler.std * scaler.std))


# --- generator -------------------------------------------------------------------------------------------


class SplitRule(Protocol):
    """The signature shared by ``standardize_split`` and its misconceptions."""

    def __call__(self, train: FloatArray, test: FloatArray) -> tuple[Standardizer, FloatArray]: ...


def _split_answer(scaler: Standardizer, test_standardized: FloatArray) -> Answer:
    return {"mean": scaler.mean, "std": scaler.std, "test_standardized": test_standardized}


def _answer(inputs: Inputs, rule: SplitRule = standardize_split) -> Answer:
    return _split_answer(*rule(as_array(inputs["train"]), as_array(inputs["test"])))


class StandardizeGenerator(Generator):
    """``normalization.standardize``: fit standardization on a training set and apply it to a test set."""

    id = "normalization.standardize"
    topic = "practice"
    title = "Input standardization with training-set statistics"
    answer_fields = {
        "mean": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "std": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "test_standardized": FieldSpec((TEST_ROWS, FEATURES), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="normalization.test-own-statistics",
            feedback="You standardized the test set with its own statistics; it must use the training "
            "set's mean and standard deviation, the scale the model was trained on.",
            answer=lambda inputs: _answer(inputs, misconception_test_own_statistics),
            changes=("test_standardized",),
        ),
        Misconception(
            id="normalization.sample-std",
            feedback="You used the sample standard deviation (divide by m − 1); standardization uses the "
            "population standard deviation (divide by m).",
            answer=lambda inputs: _answer(inputs, misconception_sample_std),
            changes=("std", "test_standardized"),
        ),
        Misconception(
            id="normalization.divided-by-variance",
            feedback="You divided by the variance; dividing by the standard deviation is what gives unit "
            "variance.",
            answer=lambda inputs: _answer(inputs, misconception_divided_by_variance),
            changes=("test_standardized",),
        ),
    )

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
            f"${TEST_ROWS} \\times {FEATURES}$ matrix). Answers are checked to 1 % (0.001 absolute near zero)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _answer(inputs)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The training statistics once; each misconception is a different step after fitting them.
        train, test = as_array(inputs["train"]), as_array(inputs["test"])
        scaler = fit_standardizer(train)
        explaining = yield None, _split_answer(scaler, standardize(test, scaler))
        steps = (_test_own_statistics, _sample_std, _divided_by_variance)
        for misconception, step in zip(self.misconceptions, steps, strict=True):
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _split_answer(*step(scaler, train, test))

    def explain(self, inputs: Inputs) -> list[Step]:
        train, test = as_array(inputs["train"]), as_array(inputs["test"])
        scaler, test_standardized = standardize_split(train, test)
        m = train.shape[0]
        return [
            Step(
                "mean", f"Average each training column: $\\mu = {matrix(scaler.mean)}$.", scaler.mean.tolist()
            ),
            Step(
                "std",
                f"Root of the mean squared deviation, dividing by $m = {m}$: $\\sigma = {matrix(scaler.std)}$.",
                scaler.std.tolist(),
            ),
            Step(
                "test_standardized",
                "Apply the training statistics to the test rows: "
                f"$(X_\\text{{test}} - \\mu)/\\sigma = {matrix(test_standardized)}$.",
                test_standardized.tolist(),
            ),
        ]


register(StandardizeGenerator())
