"""optim.clip_grad checked against ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_`` applied to
real parameters (float64) on many seeds, and each misconception against what it changes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import verifier
from verifier.concepts import grad_clipping

SEEDS = range(200)
GENERATOR = verifier.get("optim.clip_grad")


def _params(inputs: dict[str, object]) -> list[torch.nn.Parameter]:
    v = grad_clipping._read(inputs)
    params = [
        torch.nn.Parameter(torch.zeros(len(v[name]), dtype=torch.float64)) for name in ("grad_a", "grad_b")
    ]
    for param, name in zip(params, ("grad_a", "grad_b"), strict=True):
        param.grad = torch.tensor(v[name], dtype=torch.float64)
    return params


def test_solve_matches_torch_clipping() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = grad_clipping._read(inputs)
        answer = GENERATOR.solve(inputs)
        params = _params(inputs)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm=v["max_norm"])
        assert answer["total_norm"] == pytest.approx(total.item(), rel=1e-12)
        np.testing.assert_allclose(answer["norm_a"], params[0].grad.numpy(), rtol=1e-12)  # type: ignore[union-attr]
        np.testing.assert_allclose(answer["norm_b"], params[1].grad.numpy(), rtol=1e-12)  # type: ignore[union-attr]
        assert answer["clip_coef"] == pytest.approx(v["max_norm"] / (total.item() + 1e-6), rel=1e-12)
        params = _params(inputs)
        torch.nn.utils.clip_grad_value_(params, clip_value=v["clip_value"])
        np.testing.assert_array_equal(answer["value_a"], params[0].grad.numpy())  # type: ignore[union-attr]
        np.testing.assert_array_equal(answer["value_b"], params[1].grad.numpy())  # type: ignore[union-attr]


def test_the_epsilon_keeps_the_clipped_norm_just_below_max_norm() -> None:
    inputs = {"grad_a": [3.0, 0.0, 0.0], "grad_b": [4.0, 0.0], "max_norm": 1.0, "clip_value": 1.0}
    answer = GENERATOR.solve(inputs)
    assert answer["clip_coef"] == 1.0 / (5.0 + 1e-6)
    assert np.hypot(np.linalg.norm(answer["norm_a"]), np.linalg.norm(answer["norm_b"])) < 1.0


def test_misconceptions_match_what_they_claim() -> None:
    inputs = {"grad_a": [3.0, 0.0, 0.0], "grad_b": [0.0, 4.0], "max_norm": 1.0, "clip_value": 2.0}

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(grad_clipping.GRAPH.misconception(misconception_id).answer(inputs))

    per_tensor = wrong("optim.clip-norm-per-tensor")
    np.testing.assert_allclose(per_tensor["norm_a"], [1.0, 0.0, 0.0], rtol=1e-5)  # type: ignore[arg-type]
    np.testing.assert_allclose(per_tensor["norm_b"], [0.0, 1.0], rtol=1e-5)  # type: ignore[arg-type]
    assert wrong("optim.clip-norm-without-sqrt")["total_norm"] == 25.0
    kept = wrong("optim.clip-value-keeps-direction")
    np.testing.assert_allclose(kept["value_a"], [2.0, 0.0, 0.0])  # type: ignore[arg-type]
    np.testing.assert_allclose(kept["value_b"], [0.0, 2.0])  # type: ignore[arg-type]
    assert GENERATOR.solve(inputs)["value_a"].tolist() == [2.0, 0.0, 0.0]  # type: ignore[union-attr]
