"""embedding.params_sgns checked against torch: the parameters a real ``nn.Embedding`` + ``nn.Linear``
model yields, tied and untied, and the SGNS loss from ``F.logsigmoid``; each misconception against what
it changes."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

import verifier
from verifier.concepts import embedding

SEEDS = range(200)
GENERATOR = verifier.get("embedding.params_sgns")


def _count(vocab: int, dim: int, *, tied: bool) -> int:
    model = torch.nn.Sequential(
        torch.nn.Embedding(vocab, dim, device="meta"), torch.nn.Linear(dim, vocab, device="meta")
    )
    if tied:
        model[1].weight = model[0].weight
    return sum(p.numel() for p in model.parameters())


def test_solve_matches_torch() -> None:
    counted: dict[tuple[int, int], tuple[int, int]] = {}
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = embedding._read(inputs)
        answer = GENERATOR.solve(inputs)
        key = (v["vocab"], v["dim"])
        if key not in counted:
            counted[key] = (_count(*key, tied=False), _count(*key, tied=True))
        assert (answer["params_untied"], answer["params_tied"]) == counted[key]
        v_c, u_o, u_neg = (torch.tensor(v[name], dtype=torch.float64) for name in ("v_c", "u_o", "u_neg"))
        loss = -F.logsigmoid(u_o @ v_c) - F.logsigmoid(-(u_neg @ v_c)).sum()
        assert answer["loss"] == pytest.approx(loss.item(), rel=1e-12)


def test_misconceptions_match_what_they_claim() -> None:
    inputs = {
        "vocab": 1000,
        "dim": 64,
        "v_c": [1.0, 0.0],
        "u_o": [0.5, 0.5],
        "u_neg": [[1.0, 0.0], [-1.0, 0.0]],
    }

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(embedding.GRAPH.misconception(misconception_id).answer(inputs))

    right = GENERATOR.solve(inputs)
    assert (right["params_untied"], right["params_tied"]) == (129_000, 65_000)
    forgot = wrong("embedding.output-bias-forgotten")
    assert (forgot["params_untied"], forgot["params_tied"]) == (128_000, 64_000)
    assert wrong("embedding.tying-saves-nothing")["params_tied"] == 129_000
    scores = torch.tensor([1.0, -1.0], dtype=torch.float64)
    flipped = -F.logsigmoid(torch.tensor(0.5)) - F.logsigmoid(scores).sum()
    assert wrong("embedding.negatives-not-negated")["loss"] == pytest.approx(flipped.item())
