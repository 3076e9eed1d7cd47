"""schedule.warmup_cosine checked against ``torch.optim.lr_scheduler`` (LambdaLR, and SequentialLR of
LinearLR and CosineAnnealingLR) stepped for real on many seeds, and each misconception against what it
changes."""

from __future__ import annotations

import json
import math

import pytest
import torch

import verifier
from verifier.concepts import warmup

SEEDS = range(40)
GENERATOR = verifier.get("schedule.warmup_cosine")


def _optimizer(lr: float) -> torch.optim.SGD:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def lambda_lr(peak: float, w: int, total: int, steps: int) -> float:
    """The lr after ``steps`` calls of LambdaLR.step() with the module's f."""
    optimizer = _optimizer(peak)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: warmup.warmup_cosine_factor(t, warmup=w, total=total)
    )
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return float(optimizer.param_groups[0]["lr"])


def sequential_lr(peak: float, w: int, total: int, steps: int) -> float:
    """The lr after ``steps`` calls of SequentialLR(LinearLR, CosineAnnealingLR, milestones=[W]).step()."""
    optimizer = _optimizer(peak)
    scheduler = torch.optim.lr_scheduler.SequentialLR(
        optimizer,
        [
            torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1e-9, end_factor=1.0, total_iters=w),
            torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - w),
        ],
        milestones=[w],
    )
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
    return float(optimizer.param_groups[0]["lr"])


def test_solve_matches_torch_schedulers() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = warmup._read(inputs)
        answer = GENERATOR.solve(inputs)
        assert answer["effective_batch"] == v["per_device"] * v["devices"] * v["accumulation"]
        peak = float(answer["peak_lr"])
        assert peak == pytest.approx(v["base_lr"] * answer["effective_batch"] / 256)
        assert answer["lr_warmup"] == pytest.approx(
            lambda_lr(peak, v["warmup"], v["total"], v["t_warm"]), rel=1e-9
        )
        assert answer["lr_decay"] == pytest.approx(
            lambda_lr(peak, v["warmup"], v["total"], v["t_decay"]), rel=1e-9
        )
        if seed % 8 == 0:  # SequentialLR agrees after warmup (its warmup cannot start at exactly 0)
            got = sequential_lr(peak, v["warmup"], v["total"], v["t_decay"])
            assert answer["lr_decay"] == pytest.approx(got, rel=1e-6)


def test_hand_checked_values() -> None:
    assert warmup.warmup_cosine_factor(0, warmup=10, total=110) == 0.0
    assert warmup.warmup_cosine_factor(5, warmup=10, total=110) == 0.5
    assert warmup.warmup_cosine_factor(60, warmup=10, total=110) == pytest.approx(0.5)
    assert warmup.warmup_cosine_factor(110, warmup=10, total=110) == pytest.approx(0.0)


def test_misconceptions_match_what_they_claim() -> None:
    inputs = {
        "per_device": 32, "devices": 4, "accumulation": 2, "base_lr": 0.1,
        "warmup": 10, "total": 110, "t_warm": 4, "t_decay": 60,
    }  # fmt: skip

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(warmup.GRAPH.misconception(misconception_id).answer(inputs))

    assert GENERATOR.solve(inputs)["peak_lr"] == pytest.approx(0.1)
    assert wrong("schedule.accumulation-ignored")["effective_batch"] == 128
    assert wrong("schedule.sqrt-batch-scaling")["peak_lr"] == pytest.approx(0.1)  # ratio 1: √1 = 1
    assert wrong("schedule.warmup-off-by-one")["lr_warmup"] == pytest.approx(0.05)
    expected = 0.05 * (1 + math.cos(math.pi * 60 / 110))
    assert wrong("schedule.cosine-over-total-steps")["lr_decay"] == pytest.approx(expected)
