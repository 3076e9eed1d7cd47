"""bagging.ensemble_error checked in torch: the closed form 1ᵀΣ1/k² of the averaged error's variance for
the covariance matrix Σ = c·11ᵀ + (v − c)I, and a Monte-Carlo estimate from correlated normal errors;
each misconception against what it changes."""

from __future__ import annotations

import json

import pytest
import torch

import verifier
from verifier.concepts import ensemble

SEEDS = range(200)
GENERATOR = verifier.get("bagging.ensemble_error")


def covariance(k: int, v: float, c: float) -> torch.Tensor:
    return c * torch.ones(k, k, dtype=torch.float64) + (v - c) * torch.eye(k, dtype=torch.float64)


def test_solve_matches_the_quadratic_form() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = ensemble._read(inputs)
        ones = torch.ones(v["k"], dtype=torch.float64) / v["k"]
        exact = (ones @ covariance(v["k"], v["v"], v["c"]) @ ones).item()
        answer = GENERATOR.solve(inputs)
        assert answer["ensemble_mse"] == pytest.approx(exact, rel=1e-12)
        assert answer["limit_mse"] == pytest.approx(v["c"])


@pytest.mark.parametrize(("k", "v", "c"), [(5, 2.0, 0.5), (10, 1.0, 0.1), (3, 4.0, 2.4)])
def test_monte_carlo_average_of_correlated_errors(k: int, v: float, c: float) -> None:
    torch.manual_seed(0)
    errors = torch.distributions.MultivariateNormal(torch.zeros(k, dtype=torch.float64), covariance(k, v, c))
    squared = errors.sample((100_000,)).mean(dim=1) ** 2
    standard_error = squared.std().item() / (100_000**0.5)
    assert squared.mean().item() == pytest.approx(ensemble.ensemble_mse(k, v, c), abs=4 * standard_error)


def test_limit_is_approached_for_many_models() -> None:
    assert ensemble.ensemble_mse(10_000, 2.0, 0.5) == pytest.approx(0.5, rel=1e-3)
    assert ensemble.ensemble_mse(7, 2.0, 2.0) == pytest.approx(2.0)  # perfectly correlated: no gain


def test_misconceptions_match_what_they_claim() -> None:
    inputs = {"k": 4, "v": 2.0, "c": 0.5}

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(ensemble.GRAPH.misconception(misconception_id).answer(inputs))

    assert GENERATOR.solve(inputs)["ensemble_mse"] == pytest.approx(0.5 + 0.375)
    assert wrong("bagging.ignores-covariance")["ensemble_mse"] == pytest.approx(0.5)
    assert wrong("bagging.covariance-not-averaged")["ensemble_mse"] == pytest.approx(1.0)
    assert wrong("bagging.limit-is-zero")["limit_mse"] == 0.0
