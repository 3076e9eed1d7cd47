"""The expected squared error of an ensemble average (DLB 7.11, "Bagging and Other Ensemble Methods").

k models make errors ε_i with E[ε_i] = 0, E[ε_i²] = v and E[ε_i ε_j] = c (i ≠ j). The average prediction
errs by (1/k) Σ ε_i, whose expected square is

    E[((1/k) Σ ε_i)²] = v/k + (k − 1)c/k,

so perfectly correlated models (c = v) gain nothing, uncorrelated ones (c = 0) divide the error by k, and
however many models are averaged the error never falls below c (the limit k → ∞). Goodfellow, Bengio &
Courville, Deep Learning (2016), §7.11, https://www.deeplearningbook.org/contents/regularization.html.
"""

from __future__ import annotations

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_float, as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

MODEL_COUNTS = (2, 3, 4, 5, 8, 10, 20)
VARIANCES = (1.0, 2.0, 4.0, 0.5, 3.0)
CORRELATIONS = (0.1, 0.2, 0.25, 0.4, 0.5, 0.6)


def ensemble_mse(k: int, v: float, c: float) -> float:
    """v/k + (k − 1)c/k, the expected squared error of the average of k models (DLB eq. 7.50)."""
    return v / k + (k - 1) * c / k


def _read(inputs: Inputs) -> Values:
    return {"k": as_int(inputs["k"]), "v": as_float(inputs["v"]), "c": as_float(inputs["c"])}


GRAPH = StepGraph(
    [
        Calc(
            "variance_term",
            lambda k, v: v / k,
            lambda v: (
                f"The k squared errors: $\\tfrac{{1}}{{k^2}} \\cdot k v = v/k = {num(v['v'])}/{v['k']} = "
                f"{num(v['variance_term'])}$."
            ),
            hint="Expand the square of the average: k terms E[ε_i²] and k(k − 1) cross terms E[ε_i ε_j].",
        ),
        Calc(
            "covariance_term",
            lambda k, c: (k - 1) * c / k,
            lambda v: (
                f"The $k(k-1)$ cross terms: $\\tfrac{{1}}{{k^2}} \\cdot k(k-1) c = (k-1)c/k = "
                f"{v['k'] - 1} \\cdot {num(v['c'])}/{v['k']} = {num(v['covariance_term'])}$."
            ),
            hint="Each cross term also carries the 1/k² of the average.",
        ),
        Calc(
            "ensemble_mse",
            lambda variance_term, covariance_term: variance_term + covariance_term,
            lambda v: (
                f"$v/k + (k-1)c/k = {num(v['variance_term'])} + {num(v['covariance_term'])} = "
                f"{num(v['ensemble_mse'])}$."
            ),
        ),
        Calc(
            "limit_mse",
            lambda c: c,
            lambda v: f"As $k \\to \\infty$, $v/k \\to 0$ and $(k-1)c/k \\to c = {num(v['c'])}$.",
            hint="Which term survives when k grows without bound?",
        ),
    ],
    fields=("ensemble_mse", "limit_mse"),
    misconceptions=[
        WrongStep(
            id="bagging.ignores-covariance",
            feedback="You treated the models' errors as independent; correlated errors add (k − 1)c/k, which "
            "averaging does not remove.",
            root="covariance_term",
            # "Averaging k models divides the variance by k" holds only for independent errors.
            wrong=lambda: 0.0,
        ),
        WrongStep(
            id="bagging.covariance-not-averaged",
            feedback="You added the whole covariance c; the k(k − 1) cross terms are also divided by k², "
            "giving (k − 1)c/k.",
            root="covariance_term",
            # Remembering "v/k plus the covariance" without redoing the count.
            wrong=lambda c: c,
        ),
        WrongStep(
            id="bagging.limit-is-zero",
            feedback="An infinite ensemble does not reach zero error: the covariance term tends to c, the "
            "error the models share.",
            root="limit_mse",
            # The independent-errors picture, v/k → 0, carried to the limit.
            wrong=lambda: 0.0,
        ),
    ],
    read=_read,
)


class EnsembleErrorGenerator(StepGenerator):
    """``bagging.ensemble_error``: expected squared error of an average of k correlated models."""

    id = "bagging.ensemble_error"
    topic = "dropout"
    title = "Expected squared error of an ensemble of k correlated models"
    answer_fields = {"ensemble_mse": FieldSpec(), "limit_mse": FieldSpec()}
    graph = GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: v/k + (k − 1)c/k

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        v = float(pick(rng, VARIANCES))
        return {
            "k": int(pick(rng, MODEL_COUNTS)),
            "v": v,
            "c": round(v * float(pick(rng, CORRELATIONS)), 4),
        }

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"An ensemble averages the predictions of $k = {v['k']}$ models. Each model's error has mean 0 "
            f"and variance $v = {num(v['v'])}$, and any two models' errors have covariance "
            f"$c = {num(v['c'])}$ (DLB 7.11). Give the expected squared error of the ensemble's prediction "
            "(`ensemble_mse`) and its limit as the number of models grows without bound (`limit_mse`)."
        )


register(EnsembleErrorGenerator())
