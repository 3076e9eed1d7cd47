"""bagging.bootstrap checked against torch: the closed form (1 - 1/n)^n in float64, an exact count over
every possible bootstrap sample for small n, and a Monte-Carlo estimate from torch.randint samples."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import verifier
from verifier import as_int
from verifier.concepts import bagging

SEEDS = range(200)
RTOL = 1e-6
GENERATOR = verifier.get("bagging.bootstrap")
MONTE_CARLO_SAMPLES = 200_000
N_VALUES = sorted(bagging.N_CHOICES)


def test_solve_matches_torch_closed_form() -> None:
    for seed in SEEDS:
        inputs = GENERATOR.generate(seed).inputs
        n = as_int(inputs["n"])
        answer = GENERATOR.solve(inputs)
        expected = torch.pow(1 - 1 / torch.tensor(n, dtype=torch.float64), n).item()
        assert answer["missing_fraction"] == pytest.approx(expected, rel=RTOL)
        assert answer["unique_fraction"] == pytest.approx(1 - expected, rel=RTOL)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_missing_fraction_is_the_exact_average_over_all_bootstrap_samples(n: int) -> None:
    """All n**n equally likely samples enumerated: the average share of absent examples."""
    samples = torch.tensor(list(itertools.product(range(n), repeat=n)))
    present = torch.zeros(samples.shape[0], n, dtype=torch.bool).scatter_(1, samples, True)
    exact = 1 - present.double().mean().item()
    assert bagging.missing_fraction(n) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize("n", N_VALUES)
def test_monte_carlo_bootstrap_agrees_and_rules_out_the_misconceptions(n: int) -> None:
    generator = torch.Generator().manual_seed(n)
    draws = torch.randint(0, n, (MONTE_CARLO_SAMPLES, n), generator=generator)
    present = torch.zeros(MONTE_CARLO_SAMPLES, n, dtype=torch.bool).scatter_(1, draws, True)
    missing_share = 1 - present.double().mean(dim=1)
    estimate = missing_share.mean().item()
    standard_error = missing_share.std().item() / math.sqrt(MONTE_CARLO_SAMPLES)
    answer = GENERATOR.solve({"n": n})
    assert abs(estimate - answer["missing_fraction"]) < 5 * standard_error
    assert abs((1 - estimate) - answer["unique_fraction"]) < 5 * standard_error
    for misconception in GENERATOR.misconceptions:
        wrong = misconception.answer({"n": n})["missing_fraction"]
        assert abs(estimate - wrong) > 10 * standard_error, misconception.id


def test_misconception_functions() -> None:
    for n in N_VALUES:
        assert bagging.misconception_missing_is_one_over_n(n) == pytest.approx(1 / n, rel=1e-12)
        assert bagging.misconception_missing_is_limit(n) == pytest.approx(math.exp(-1), rel=1e-12)
        # both are wrong for every n the generator asks about
        right = bagging.missing_fraction(n)
        assert abs(bagging.misconception_missing_is_one_over_n(n) - right) > 0.05 * right
        assert abs(bagging.misconception_missing_is_limit(n) - right) > 0.05 * right


@given(st.integers(1, 10_000))
def test_missing_fraction_rises_towards_one_over_e(n: int) -> None:
    assert 0 <= bagging.missing_fraction(n) < bagging.missing_fraction(n + 1) < math.exp(-1)


def test_large_n_approaches_the_limit() -> None:
    assert bagging.missing_fraction(10**6) == pytest.approx(math.exp(-1), rel=1e-6)


def test_generated_n_is_one_of_the_choices() -> None:
    seen = {as_int(GENERATOR.generate(seed).inputs["n"]) for seed in SEEDS}
    assert seen <= set(N_VALUES) and len(seen) > 1
