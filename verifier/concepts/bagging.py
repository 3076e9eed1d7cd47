"""Bootstrap sampling as used by bagging: how much of the data one bootstrap sample leaves out.

A bootstrap sample draws ``n`` examples with replacement from ``n``. A given example is missed by all
``n`` draws with probability ``(1 - 1/n)^n``, which tends to ``1/e ≈ 0.368``; the expected share of
distinct examples in the sample is the complement. Source: DLB 7.11 (Breiman 1996 for bagging).
"""

from __future__ import annotations

import numpy as np

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import Generator, Step, as_int
from verifier.grading import FieldSpec, Misconception
from verifier.latex import num
from verifier.registry import register

N_CHOICES = (2, 3, 4, 5, 6, 7, 8, 9, 10)


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


def _answer(missing: float) -> Answer:
    return {"missing_fraction": missing, "unique_fraction": 1.0 - missing}


class BootstrapGenerator(Generator):
    """``bagging.bootstrap``: the missing and unique shares of a bootstrap sample of size n."""

    id = "bagging.bootstrap"
    topic = "dropout"
    title = "Bootstrap sample: share of examples left out"
    answer_fields = {"missing_fraction": FieldSpec(), "unique_fraction": FieldSpec()}
    misconceptions = (
        Misconception(
            id="bagging.one-over-n",
            feedback="You used 1/n, the chance that a single draw misses an example; all n draws must miss it.",
            answer=lambda inputs: _answer(misconception_missing_is_one_over_n(as_int(inputs["n"]))),
        ),
        Misconception(
            id="bagging.limit-for-finite-n",
            feedback="You used the limit 1/e ≈ 0.368; for a finite n the exact share is (1 − 1/n)ⁿ.",
            answer=lambda inputs: _answer(misconception_missing_is_limit(as_int(inputs["n"]))),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {"n": int(rng.choice(N_CHOICES))}

    def prompt(self, inputs: Inputs) -> str:
        n = as_int(inputs["n"])
        return (
            f"A bootstrap sample draws $n = {n}$ examples **with replacement** from a data set of $n = {n}$. "
            "What fraction of the original examples is expected to be **missing** from the sample "
            "(`missing_fraction`), and what fraction appears at least once (`unique_fraction`)?"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _answer(missing_fraction(as_int(inputs["n"])))

    def explain(self, inputs: Inputs) -> list[Step]:
        n = as_int(inputs["n"])
        missing = missing_fraction(n)
        return [
            Step(
                "per_draw_miss", f"One draw misses a given example with probability $1 - 1/{n}$.", 1 - 1 / n
            ),
            Step(
                "missing_fraction",
                f"All {n} independent draws miss it: $(1 - 1/{n})^{{{n}}} = {num(missing)}$.",
                missing,
            ),
            Step("unique_fraction", f"The rest appear at least once: $1 - {num(missing)}$.", 1 - missing),
        ]


register(BootstrapGenerator())
