"""Bootstrap sampling as used by bagging: how much of the data one bootstrap sample leaves out.

A bootstrap sample draws ``n`` examples with replacement from ``n``. A given example is missed by all
``n`` draws with probability ``(1 - 1/n)^n``, which tends to ``1/e ≈ 0.368``; the expected share of
distinct examples in the sample is the complement. Source: DLB 7.11 (Breiman 1996 for bagging).
"""

from __future__ import annotations

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

N_CHOICES = (2, 3, 4, 5, 6, 7, 8, 9, 10)
HAND_N_CHOICES = (2, 3, 4, 5)  # whiteboard mode


def missing_fraction(n: int) -> float:
    """Probability that one given example is absent from a bootstrap sample of size ``n``."""
    return float((1.0 - 1.0 / n) ** n)


def misconception_missing_is_one_over_n(n: int) -> float:
    """Believes each example is missed with probability 1/n, the chance of missing one single draw.

    Tempting because 1/n is the per-draw probability of picking a given example; it ignores that all n
    draws must miss.
    """
    return 1.0 / n


def misconception_missing_is_limit(n: int) -> float:  # noqa: ARG001 - same arguments as missing_fraction
    """Believes the missing share is always 1/e, the large-n limit, even for a tiny data set.

    Tempting because 36.8 % is the number everyone remembers; for small n the exact value is lower.
    """
    return float(np.exp(-1.0))


GRAPH = StepGraph(
    [
        Calc(
            "per_draw_miss",
            lambda n: 1.0 - 1.0 / n,
            lambda v: (
                f"One draw misses a given example with probability $1 - 1/{v['n']} = "
                f"{num(v['per_draw_miss'])}$."
            ),
            hint="Start with one draw: how likely is it to miss a given example?",
        ),
        Calc(
            "missing_fraction",
            lambda n: missing_fraction(n),
            lambda v: (
                f"All {v['n']} independent draws miss it: $(1 - 1/{v['n']})^{{{v['n']}}} = "
                f"{num(v['missing_fraction'])}$."
            ),
            hint="The draws are independent, and all of them must miss the example.",
        ),
        Calc(
            "unique_fraction",
            lambda missing_fraction: 1.0 - missing_fraction,
            lambda v: (
                f"The rest appear at least once: $1 - {num(v['missing_fraction'])} = "
                f"{num(v['unique_fraction'])}$."
            ),
        ),
    ],
    fields=("missing_fraction", "unique_fraction"),
    misconceptions=[
        WrongStep(
            id="bagging.one-over-n",
            feedback="You used 1/n, the chance that a single draw misses an example; all n draws must miss it.",
            root="missing_fraction",
            wrong=lambda n: misconception_missing_is_one_over_n(n),
        ),
        WrongStep(
            id="bagging.limit-for-finite-n",
            feedback="You used the limit 1/e ≈ 0.368; for a finite n the exact share is (1 − 1/n)ⁿ.",
            root="missing_fraction",
            wrong=lambda n: misconception_missing_is_limit(n),
        ),
    ],
    read=lambda inputs: {"n": as_int(inputs["n"])},
)


class BootstrapGenerator(StepGenerator):
    """``bagging.bootstrap``: the missing and unique shares of a bootstrap sample of size n."""

    id = "bagging.bootstrap"
    topic = "dropout"
    title = "Bootstrap sample: share of examples left out"
    answer_fields = {"missing_fraction": FieldSpec(), "unique_fraction": FieldSpec()}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {"n": int(pick(rng, N_CHOICES))}

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {"n": int(pick(rng, HAND_N_CHOICES))}

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: (1 − 1/n)^n for n ≤ 5 is a short fraction: (3/4)^4 = 81/256

    def prompt(self, inputs: Inputs) -> str:
        n = as_int(inputs["n"])
        return (
            f"A bootstrap sample draws $n = {n}$ examples **with replacement** from a data set of $n = {n}$. "
            "What fraction of the original examples is expected to be **missing** from the sample "
            "(`missing_fraction`), and what fraction appears at least once (`unique_fraction`)?"
        )


register(BootstrapGenerator())
