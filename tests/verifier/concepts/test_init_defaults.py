"""init.defaults checked against torch: ``calculate_gain``, the weights and biases a real ``nn.Linear``
draws, tensors sampled by ``xavier_normal_`` and ``trunc_normal_``; each misconception against what it
changes."""

from __future__ import annotations

import json
import math

import pytest
import torch

import verifier
from verifier.concepts import init_defaults

SEEDS = range(200)
GENERATOR = verifier.get("init.defaults")


def test_solve_matches_torch_formulas() -> None:
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = init_defaults._read(inputs)
        answer = GENERATOR.solve(inputs)
        fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(v["fan_out"], v["fan_in"]))
        assert answer["weight_bound"] == pytest.approx(gain * math.sqrt(3 / fan_in), rel=1e-12)
        assert answer["weight_bound"] == pytest.approx(1 / math.sqrt(fan_in), rel=1e-12)
        assert answer["xavier_std"] == pytest.approx(math.sqrt(2 / (fan_in + fan_out)), rel=1e-12)
        assert answer["trunc_low_z"] == pytest.approx((-2 - v["mean"]) / v["std"])
        assert answer["trunc_high_z"] == pytest.approx((2 - v["mean"]) / v["std"])


@pytest.mark.parametrize(("fan_in", "fan_out"), [(100, 400), (784, 256)])
def test_linear_and_xavier_samples_have_the_predicted_scale(fan_in: int, fan_out: int) -> None:
    torch.manual_seed(0)
    bound = 1 / math.sqrt(fan_in)
    linear = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
    assert linear.weight.abs().max().item() <= bound
    assert linear.weight.abs().max().item() == pytest.approx(bound, rel=0.01)
    assert linear.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert linear.bias.abs().max().item() <= bound
    weight = torch.nn.init.xavier_normal_(torch.empty(fan_out, fan_in, dtype=torch.float64))
    expected = GENERATOR.solve({"fan_in": fan_in, "fan_out": fan_out, "mean": 0.0, "std": 1.0})["xavier_std"]
    assert weight.std().item() == pytest.approx(expected, rel=0.02)


def test_trunc_normal_cuts_at_absolute_values() -> None:
    torch.manual_seed(0)
    wide = torch.nn.init.trunc_normal_(torch.empty(200_000, dtype=torch.float64), mean=0.5, std=1.0)
    assert wide.min().item() >= -2.0 and wide.max().item() <= 2.0
    assert wide.min().item() == pytest.approx(-2.0, abs=0.01)  # 2.5 σ below the mean, not 2 σ
    narrow = torch.nn.init.trunc_normal_(torch.empty(200_000, dtype=torch.float64), std=0.02)
    assert narrow.abs().max().item() > 2 * 0.02 * 2  # well past ±2 σ: nothing is cut near there


def test_misconceptions_match_what_they_claim() -> None:
    inputs = {"fan_in": 100, "fan_out": 200, "mean": 0.5, "std": 0.5}

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(init_defaults.GRAPH.misconception(misconception_id).answer(inputs))

    assert wrong("init.default-linear-is-kaiming-relu")["weight_bound"] == pytest.approx(math.sqrt(6 / 100))
    assert wrong("init.default-linear-is-xavier")["weight_bound"] == pytest.approx(math.sqrt(6 / 300))
    assert wrong("init.xavier-normal-std-is-uniform-limit")["xavier_std"] == pytest.approx(math.sqrt(6 / 300))
    in_std = wrong("init.trunc-bounds-in-std-units")
    assert (in_std["trunc_low_z"], in_std["trunc_high_z"]) == pytest.approx((-2.0, 2.0))
    right = GENERATOR.solve(inputs)
    assert (right["trunc_low_z"], right["trunc_high_z"]) == pytest.approx((-5.0, 3.0))
