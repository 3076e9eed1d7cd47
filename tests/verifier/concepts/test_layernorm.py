"""normalization.layernorm checked against ``nn.LayerNorm(3)`` and ``nn.BatchNorm1d(3)`` in training mode
(float64) on many seeds; each misconception against what it changes."""

from __future__ import annotations

import json

import numpy as np
import torch

import verifier
from verifier.concepts import layernorm

SEEDS = range(200)
GENERATOR = verifier.get("normalization.layernorm")


def test_solve_matches_torch_layernorm_and_batchnorm() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        x = torch.tensor(inputs["x"], dtype=torch.float64)
        answer = GENERATOR.solve(inputs)
        with torch.no_grad():
            y_ln = torch.nn.LayerNorm(3, dtype=torch.float64)(x)
            y_bn = torch.nn.BatchNorm1d(3, dtype=torch.float64).train()(x)
        np.testing.assert_allclose(answer["ln_mean"], x.mean(dim=1).numpy(), rtol=1e-12)
        np.testing.assert_allclose(answer["ln_var"], x.var(dim=1, unbiased=False).numpy(), rtol=1e-12)
        np.testing.assert_allclose(answer["y_ln"], y_ln.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(answer["y_bn"], y_bn.numpy(), rtol=1e-10, atol=1e-12)
        assert np.asarray(answer["ln_mean"]).tolist() == np.round(answer["ln_mean"]).tolist()


def test_misconceptions_match_what_they_claim() -> None:
    inputs = json.loads(json.dumps(GENERATOR.generate(11).inputs_json()))
    x = torch.tensor(inputs["x"], dtype=torch.float64)
    right = GENERATOR.solve(inputs)

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(layernorm.GRAPH.misconception(misconception_id).answer(inputs))

    over_batch = wrong("normalization.layernorm-over-batch")
    np.testing.assert_allclose(over_batch["y_ln"], right["y_bn"])  # type: ignore[arg-type]
    np.testing.assert_allclose(over_batch["ln_mean"], x.mean(dim=0).numpy())  # type: ignore[arg-type]
    unbiased = wrong("normalization.layernorm-unbiased-variance")
    np.testing.assert_allclose(unbiased["ln_var"], x.var(dim=1, unbiased=True).numpy())  # type: ignore[arg-type]
    np.testing.assert_allclose(wrong("normalization.batchnorm-over-features")["y_bn"], right["y_ln"])  # type: ignore[arg-type]
