"""batchnorm.eval_fold checked against a real ``nn.Linear`` + ``nn.BatchNorm1d`` in eval mode (float64),
``torch.nn.utils.fusion.fuse_linear_bn_weights`` and the parameters/buffers of ``nn.BatchNorm2d``, on many
seeds; each misconception against what it changes."""

from __future__ import annotations

import json

import numpy as np
import torch

import verifier
from verifier.concepts import batchnorm_inference as bni

SEEDS = range(200)
GENERATOR = verifier.get("batchnorm.eval_fold")


def _t(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64)


def test_solve_matches_torch_eval_and_fusion() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = bni._read(inputs)
        answer = GENERATOR.solve(inputs)
        linear = torch.nn.Linear(2, 2, dtype=torch.float64)
        bn = torch.nn.BatchNorm1d(2, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(_t(v["w"]))
            linear.bias.copy_(_t(v["b"]))
            bn.weight.copy_(_t(v["gamma"]))
            bn.bias.copy_(_t(v["beta"]))
            bn.running_mean.copy_(_t(v["running_mean"]))
            bn.running_var.copy_(_t(v["running_var"]))
            model = torch.nn.Sequential(linear, bn).eval()
            y = model(_t(v["x"]).reshape(1, 2))[0]
            w_fold, b_fold = torch.nn.utils.fusion.fuse_linear_bn_weights(
                linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
            )
        np.testing.assert_allclose(answer["y_eval"], y.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(answer["w_fold"], w_fold.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(answer["b_fold"], b_fold.detach().numpy(), rtol=1e-12, atol=1e-12)
        bn2d = torch.nn.BatchNorm2d(v["channels"])
        assert answer["n_params"] == sum(p.numel() for p in bn2d.parameters() if p.requires_grad)
        assert answer["n_buffers"] == sum(b.numel() for b in bn2d.buffers())


def test_misconceptions_match_what_they_claim() -> None:
    inputs = json.loads(json.dumps(GENERATOR.generate(5).inputs_json()))
    v = bni._read(inputs)
    right = GENERATOR.solve(inputs)

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(bni.GRAPH.misconception(misconception_id).answer(inputs))

    scale = v["gamma"] / np.sqrt(v["running_var"] + bni.EPS)
    np.testing.assert_allclose(
        wrong("batchnorm.fold-bias-without-mean")["b_fold"], scale * v["b"] + v["beta"]
    )  # type: ignore[arg-type]
    np.testing.assert_allclose(
        wrong("batchnorm.fold-drops-linear-bias")["b_fold"],  # type: ignore[arg-type]
        v["beta"] - scale * v["running_mean"],
    )
    by_var = wrong("batchnorm.eval-divides-by-variance")
    np.testing.assert_allclose(
        by_var["w_fold"],  # type: ignore[arg-type]
        np.asarray(right["w_fold"]) / np.sqrt(v["running_var"] + bni.EPS)[:, None],
    )
    assert wrong("batchnorm.buffers-counted-as-parameters")["n_params"] == 4 * v["channels"]
    assert wrong("batchnorm.buffers-without-counter")["n_buffers"] == 2 * v["channels"]
