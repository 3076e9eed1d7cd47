"""Three relatives of dropout, each by its paper's formula: DropConnect, stochastic depth and DropBlock.

- DropConnect (Wan et al. 2013, "Regularization of Neural Networks using DropConnect", ICML,
  https://proceedings.mlr.press/v28/wan13.html, eq. 1–2): in training a binary mask M on the *weights*
  gives u = (M ⊙ W) v, with no rescaling (the paper handles inference by a Gaussian approximation).
- Stochastic depth (Huang et al. 2016, "Deep Networks with Stochastic Depth", ECCV,
  https://arxiv.org/abs/1603.09382, eq. 4): residual block ℓ = 1..L survives with probability
  p_ℓ = 1 − (ℓ/L)(1 − p_L), so the expected number of active blocks is Σ p_ℓ = L − (1 − p_L)(L + 1)/2
  (their 110-layer net: L = 54, p_L = 0.5 → 40.25).
- DropBlock (Ghiasi, Lin & Le 2018, "DropBlock", NeurIPS, https://arxiv.org/abs/1810.12890, eq. 1):
  block centres are drawn with rate γ = (1 − keep_prob)/block_size² · feat_size²/(feat_size − block_size + 1)²,
  so that about a share 1 − keep_prob of the units is dropped.
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float, as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

OUT, IN = 2, 3
DROP_PROBS = (0.2, 0.25, 0.4)
DEPTHS = (6, 8, 10, 12)  # deeper nets hide the off-by-one (1 − p_L) below 3 significant figures
FINAL_SURVIVALS = (0.5, 0.6)
FEAT_SIZES = (7, 14, 28, 16, 32)
BLOCK_SIZES = (3, 5, 7)
KEEP_PROBS = (0.9, 0.8, 0.75)


def expected_depth(blocks: int, p_last: float, *, first: int = 1) -> float:
    """Σ p_ℓ over ℓ = first .. first + L − 1 of the linear decay rule p_ℓ = 1 − (ℓ/L)(1 − p_L)."""
    return sum(1.0 - (level / blocks) * (1.0 - p_last) for level in range(first, first + blocks))


def dropblock_gamma(keep_prob: float, block_size: int, feat_size: int) -> float:
    """γ of DropBlock's eq. 1."""
    return (1.0 - keep_prob) / block_size**2 * feat_size**2 / (feat_size - block_size + 1) ** 2


def _read(inputs: Inputs) -> Values:
    return {
        "w": as_array(inputs["w"]).reshape(OUT, IN),
        "mask": as_array(inputs["mask"]).reshape(OUT, IN),
        "v": as_array(inputs["v"]),
        "p": as_float(inputs["p"]),
        "blocks": as_int(inputs["blocks"]),
        "p_last": as_float(inputs["p_last"]),
        "keep_prob": as_float(inputs["keep_prob"]),
        "block_size": as_int(inputs["block_size"]),
        "feat_size": as_int(inputs["feat_size"]),
    }


GRAPH = StepGraph(
    [
        Calc(
            "masked_w",
            lambda mask, w: mask * w,
            lambda v: f"Drop weights, not units: $M \\odot W = {matrix(v['masked_w'])}$.",
            hint="DropConnect's mask has the shape of W.",
        ),
        Calc(
            "dropconnect_u",
            lambda masked_w, v: masked_w @ v,
            lambda v: (
                f"$u = (M \\odot W) v = {matrix(v['dropconnect_u'])}$, with no rescaling in Wan et al.'s formula."
            ),
            hint="Wan et al. do not divide by the keep probability during training.",
        ),
        Calc(
            "expected_depth",
            lambda blocks, p_last: expected_depth(blocks, p_last),
            lambda v: (
                f"$\\sum_{{\\ell=1}}^{{{v['blocks']}}} \\left(1 - \\tfrac{{\\ell}}{{{v['blocks']}}}(1 - "
                f"{num(v['p_last'])})\\right) = {v['blocks']} - {num(1 - v['p_last'])} \\cdot "
                f"{v['blocks'] + 1}/2 = {num(v['expected_depth'])}$."
            ),
            hint="Only the last block has survival probability p_L; the ℓ-th has 1 − (ℓ/L)(1 − p_L).",
        ),
        Calc(
            "gamma",
            lambda keep_prob, block_size, feat_size: dropblock_gamma(keep_prob, block_size, feat_size),
            lambda v: (
                f"$\\gamma = \\frac{{1 - {num(v['keep_prob'])}}}{{{v['block_size']}^2}} \\cdot "
                f"\\frac{{{v['feat_size']}^2}}{{({v['feat_size']} - {v['block_size']} + 1)^2}} = "
                f"{num(v['gamma'], decimals=6)}$."
            ),
            hint="Each centre drops block_size² units, and centres only fall where a whole block fits.",
        ),
    ],
    fields=("dropconnect_u", "expected_depth", "gamma"),
    misconceptions=[
        WrongStep(
            id="dropout.dropconnect-rescaled",
            feedback="You divided by the keep probability as inverted dropout does; Wan et al.'s DropConnect "
            "computes u = (M ⊙ W) v with no rescaling.",
            root="dropconnect_u",
            # Carried over from PyTorch's inverted dropout.
            wrong=lambda masked_w, v, p: masked_w @ v / (1.0 - p),
        ),
        WrongStep(
            id="dropout.stochastic-depth-uniform",
            feedback="You gave every block the final survival probability p_L; under the linear decay rule "
            "early blocks almost always survive.",
            root="expected_depth",
            # p_L is the one number the paper's recipe quotes (0.5).
            wrong=lambda blocks, p_last: blocks * p_last,
        ),
        WrongStep(
            id="dropout.stochastic-depth-from-zero",
            feedback="You counted the blocks from ℓ = 0; the rule runs over ℓ = 1..L, so the last block has "
            "probability exactly p_L.",
            root="expected_depth",
            # Zero-based loops over the blocks.
            wrong=lambda blocks, p_last: expected_depth(blocks, p_last, first=0),
        ),
        WrongStep(
            id="dropout.dropblock-gamma-is-drop-rate",
            feedback="You used 1 − keep_prob as γ; each centre drops a whole block_size² block, so γ is "
            "divided by block_size² (and corrected for the valid region).",
            root="gamma",
            # γ plays the role dropout's rate plays.
            wrong=lambda keep_prob: 1.0 - keep_prob,
        ),
        WrongStep(
            id="dropout.dropblock-gamma-without-valid-region",
            feedback="You left out the factor feat_size²/(feat_size − block_size + 1)²: centres are only "
            "sampled where the whole block fits.",
            root="gamma",
            # The first factor is the intuitive one; the second is a boundary correction.
            wrong=lambda keep_prob, block_size: (1.0 - keep_prob) / block_size**2,
        ),
    ],
    read=_read,
)


def _mask(rng: np.random.Generator) -> FloatArray:
    """A weight mask with one or two of its six weights dropped (a typical draw at these rates)."""
    mask = np.ones(OUT * IN)
    mask[rng.permutation(OUT * IN)[: int(rng.integers(1, 3))]] = 0.0
    result: FloatArray = mask.reshape(OUT, IN)
    return result


class DropoutVariantsGenerator(StepGenerator):
    """``dropout.variants``: DropConnect output, stochastic depth's expected depth, DropBlock's γ."""

    id = "dropout.variants"
    topic = "dropout"
    title = "DropConnect, stochastic depth and DropBlock by their papers' formulas"
    answer_fields = {
        "dropconnect_u": FieldSpec(shape=(OUT,)),
        "expected_depth": FieldSpec(),
        "gamma": FieldSpec(),
    }
    graph = GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: fractions of small whole numbers

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        p = float(pick(rng, DROP_PROBS))
        feat_size = int(pick(rng, FEAT_SIZES))
        return {
            "w": rng.integers(-10, 11, size=(OUT, IN)) / 10.0,
            "mask": _mask(rng),
            "v": rng.integers(-3, 4, size=IN).astype(np.float64),
            "p": p,
            "blocks": int(pick(rng, DEPTHS)),
            "p_last": float(pick(rng, FINAL_SURVIVALS)),
            "keep_prob": float(pick(rng, KEEP_PROBS)),
            "block_size": int(pick(rng, [b for b in BLOCK_SIZES if b < feat_size])),
            "feat_size": feat_size,
        }

    def acceptable(self, inputs: Inputs) -> bool:
        """Some weight dropped and some kept, and the masked output not near 0 (the rescaling shows)."""
        v = _read(inputs)
        u: FloatArray = (v["mask"] * v["w"]) @ v["v"]
        return bool(0 < v["mask"].sum() < OUT * IN and np.abs(u).max() >= 0.5)

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"(a) DropConnect (Wan et al. 2013) with drop probability ${num(v['p'])}$ draws the weight mask "
            f"$M = {matrix(v['mask'])}$ for $W = {matrix(v['w'])}$; give the training-time output "
            f"$u = (M \\odot W) v$ for $v = {matrix(v['v'])}$ (`dropconnect_u`). "
            f"(b) Stochastic depth (Huang et al. 2016) on {v['blocks']} residual blocks with the linear "
            f"decay rule $p_\\ell = 1 - \\tfrac{{\\ell}}{{L}}(1 - p_L)$, $p_L = {num(v['p_last'])}$: give the "
            "expected number of active blocks (`expected_depth`). "
            f"(c) DropBlock (Ghiasi et al. 2018) with keep_prob ${num(v['keep_prob'])}$, block_size "
            f"{v['block_size']} on a {v['feat_size']}×{v['feat_size']} feature map: give $\\gamma$ of the "
            "paper's eq. 1 (`gamma`)."
        )


register(DropoutVariantsGenerator())
