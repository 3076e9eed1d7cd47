"""optim.adamw checked against one real step of ``torch.optim.Adam`` and ``torch.optim.AdamW`` (float64,
defaults for betas and eps) on many seeds, and each misconception against what it changes."""

from __future__ import annotations

import json

import numpy as np
import torch

import verifier
from verifier.concepts import adamw

SEEDS = range(200)
GENERATOR = verifier.get("optim.adamw")


def torch_step(optimizer_class: type[torch.optim.Optimizer], inputs: dict[str, object]) -> np.ndarray:
    """The weights after one step of ``optimizer_class`` from a fresh state."""
    v = adamw._read(inputs)
    w = torch.tensor(v["w"], dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_class([w], lr=v["lr"], weight_decay=v["weight_decay"])  # type: ignore[call-arg]
    w.grad = torch.tensor(v["grad"], dtype=torch.float64)
    optimizer.step()
    result: np.ndarray = w.detach().numpy().copy()
    return result


def test_solve_matches_torch_adam_and_adamw() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        answer = GENERATOR.solve(inputs)
        v = adamw._read(inputs)
        np.testing.assert_allclose(answer["grad_l2"], v["grad"] + v["weight_decay"] * v["w"], rtol=1e-12)
        np.testing.assert_allclose(answer["adam_w"], torch_step(torch.optim.Adam, inputs), rtol=1e-12)
        np.testing.assert_allclose(answer["adamw_w"], torch_step(torch.optim.AdamW, inputs), rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_lr() -> None:
    for seed in range(50):
        inputs = GENERATOR.generate(seed).inputs
        answer = GENERATOR.solve(inputs)
        np.testing.assert_allclose(
            np.abs(answer["adam_w"] - adamw._read(inputs)["w"]), adamw._read(inputs)["lr"], rtol=1e-6
        )


def test_misconceptions_match_what_they_claim() -> None:
    inputs = json.loads(json.dumps(GENERATOR.generate(7).inputs_json()))
    v = adamw._read(inputs)
    right = GENERATOR.solve(inputs)

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(adamw.GRAPH.misconception(misconception_id).answer(inputs))

    plain = torch.tensor(v["w"])
    np.testing.assert_allclose(wrong("optim.adamw-as-l2")["adamw_w"], right["adam_w"])  # type: ignore[arg-type]
    ignored = wrong("optim.adam-weight-decay-ignored")["adam_w"]
    np.testing.assert_allclose(ignored, (plain - v["lr"] * torch.sign(torch.tensor(v["grad"]))).numpy())  # type: ignore[arg-type]
    np.testing.assert_allclose(
        wrong("optim.adamw-decay-without-lr")["adamw_w"],  # type: ignore[arg-type]
        np.asarray(right["adamw_w"]) + v["lr"] * v["weight_decay"] * v["w"] - v["weight_decay"] * v["w"],
    )
    moved = np.asarray(wrong("optim.adamw-no-bias-correction")["adamw_w"]) - v["w"] * (
        1 - v["lr"] * v["weight_decay"]
    )
    np.testing.assert_allclose(np.abs(moved), v["lr"] * 0.1 / np.sqrt(0.001), rtol=1e-6)
