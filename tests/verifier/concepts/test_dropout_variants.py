"""dropout.variants checked with torch: DropConnect as ``F.linear`` with the masked weight, stochastic depth's
expected depth against sampled block survivals, DropBlock's γ against the share of units its sampled
blocks cover; each misconception against what it changes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import verifier
from verifier.concepts import dropout_variants as dv

SEEDS = range(200)
GENERATOR = verifier.get("dropout.variants")


def test_dropconnect_and_formulas_match_torch() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        v = dv._read(inputs)
        answer = GENERATOR.solve(inputs)
        w = torch.tensor(v["w"]) * torch.tensor(v["mask"])
        np.testing.assert_allclose(
            answer["dropconnect_u"], F.linear(torch.tensor(v["v"]), w).numpy(), rtol=1e-12, atol=1e-12
        )
        levels = torch.arange(1, v["blocks"] + 1, dtype=torch.float64)
        survival = 1 - levels / v["blocks"] * (1 - v["p_last"])
        assert answer["expected_depth"] == pytest.approx(survival.sum().item(), rel=1e-12)
        assert survival[-1].item() == pytest.approx(v["p_last"])


def test_huang_et_al_110_layer_network() -> None:
    """54 blocks, p_L = 0.5: about 40 active blocks on average, as the paper says."""
    assert dv.expected_depth(54, 0.5) == pytest.approx(40.25)


def test_expected_depth_by_sampling() -> None:
    generator = torch.Generator().manual_seed(0)
    blocks, p_last = 18, 0.5
    survival = 1 - torch.arange(1, blocks + 1, dtype=torch.float64) / blocks * (1 - p_last)
    active = torch.bernoulli(survival.expand(40_000, blocks), generator=generator).sum(dim=1)
    standard_error = active.std().item() / 200
    assert active.mean().item() == pytest.approx(dv.expected_depth(blocks, p_last), abs=4 * standard_error)


@pytest.mark.parametrize(
    ("keep_prob", "block_size", "feat_size"), [(0.9, 7, 28), (0.8, 3, 14), (0.75, 5, 16)]
)
def test_dropblock_gamma_drops_the_intended_share_before_overlaps(
    keep_prob: float, block_size: int, feat_size: int
) -> None:
    """Centres sampled at rate γ in the valid region, each dropping block_size² units, drop on average a
    share 1 − keep_prob of the map when overlaps are counted twice (the paper's derivation)."""
    gamma = dv.dropblock_gamma(keep_prob, block_size, feat_size)
    valid = feat_size - block_size + 1
    generator = torch.Generator().manual_seed(1)
    centres = torch.bernoulli(
        torch.full((4000, valid, valid), gamma, dtype=torch.float64), generator=generator
    )
    covered = centres.sum(dim=(1, 2)) * block_size**2 / feat_size**2
    assert covered.mean().item() == pytest.approx(1 - keep_prob, rel=0.03)
    padded = F.pad(centres, [block_size - 1] * 4).unsqueeze(1)
    dropped = F.max_pool2d(padded, block_size, stride=1).squeeze(1)  # the blocks around each centre
    assert dropped.shape[-1] == feat_size and dropped.mean().item() < 1 - keep_prob  # overlaps count once


def test_misconceptions_match_what_they_claim() -> None:
    inputs = json.loads(json.dumps(GENERATOR.generate(2).inputs_json()))
    v = dv._read(inputs)
    right = GENERATOR.solve(inputs)

    def wrong(misconception_id: str) -> dict[str, object]:
        return dict(dv.GRAPH.misconception(misconception_id).answer(inputs))

    np.testing.assert_allclose(
        wrong("dropout.dropconnect-rescaled")["dropconnect_u"],  # type: ignore[arg-type]
        np.asarray(right["dropconnect_u"]) / (1 - v["p"]),
    )
    assert wrong("dropout.stochastic-depth-uniform")["expected_depth"] == pytest.approx(
        v["blocks"] * v["p_last"]
    )
    from_zero = wrong("dropout.stochastic-depth-from-zero")["expected_depth"]
    assert from_zero == pytest.approx(float(right["expected_depth"]) + 1 - v["p_last"])
    assert wrong("dropout.dropblock-gamma-is-drop-rate")["gamma"] == pytest.approx(1 - v["keep_prob"])
    assert wrong("dropout.dropblock-gamma-without-valid-region")["gamma"] == pytest.approx(
        (1 - v["keep_prob"]) / v["block_size"] ** 2
    )
