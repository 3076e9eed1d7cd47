"""One step of Adam with ``weight_decay`` (L2 in the gradient) versus AdamW (decoupled weight decay).

Conventions (``torch.optim.Adam`` and ``torch.optim.AdamW``, defaults betas = (0.9, 0.999), eps = 1e-8, no
amsgrad), from a fresh optimizer (step t = 1, zero moments):

- Adam(weight_decay=λ) adds λw to the gradient, g' = g + λw, then takes the Adam step on g';
- AdamW(weight_decay=λ) first shrinks the weights, w ← w·(1 − lr·λ), then takes the Adam step on g.

At t = 1 the bias-corrected moments are m̂ = g and v̂ = g², so the Adam step is lr·g/(|g| + eps), within
1e-8 of lr·sign(g): with L2-in-the-gradient the decay only matters where λw flips the gradient's sign,
which is the point of Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019
(https://arxiv.org/abs/1711.05101); Adam: Kingma & Ba 2015 (https://arxiv.org/abs/1412.6980).
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float, pick, signed_tenths
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

BETA1 = 0.9
BETA2 = 0.999
EPS = 1e-8
N_WEIGHTS = 3
LEARNING_RATES = (0.1, 0.2, 0.05)
WEIGHT_DECAYS = (0.1, 0.2, 0.5)


def adam_direction(grad: FloatArray, *, bias_correction: bool = True) -> FloatArray:
    """m̂ / (√v̂ + eps) at the first step (zero moments) for gradient ``grad``."""
    m = (1.0 - BETA1) * grad
    v = (1.0 - BETA2) * grad**2
    if bias_correction:
        m, v = m / (1.0 - BETA1), v / (1.0 - BETA2)
    result: FloatArray = m / (np.sqrt(v) + EPS)
    return result


def _read(inputs: Inputs) -> Values:
    return {
        "w": as_array(inputs["w"]),
        "grad": as_array(inputs["grad"]),
        "lr": as_float(inputs["lr"]),
        "weight_decay": as_float(inputs["weight_decay"]),
    }


GRAPH = StepGraph(
    [
        Calc(
            "grad_l2",
            lambda grad, weight_decay, w: grad + weight_decay * w,
            lambda v: (
                f"Adam's `weight_decay` is L2 in the gradient: $g' = g + \\lambda w = {matrix(v['grad'])} + "
                f"{num(v['weight_decay'])} \\cdot {matrix(v['w'])} = {matrix(v['grad_l2'])}$."
            ),
            hint="In `torch.optim.Adam`, weight_decay is added to the gradient before the moments.",
        ),
        Calc(
            "adam_dir",
            lambda grad_l2: adam_direction(grad_l2),
            lambda v: (
                "First step: $m = 0.1\\,g'$, $v = 0.001\\,g'^2$, bias-corrected $\\hat m = g'$, "
                f"$\\hat v = g'^2$, so $\\hat m/(\\sqrt{{\\hat v}} + \\epsilon) = {matrix(v['adam_dir'])}$ "
                "(the sign of g')."
            ),
            hint="At the first step the bias corrections undo the factors 1 − β: m̂ = g and v̂ = g².",
        ),
        Calc(
            "adam_w",
            lambda w, lr, adam_dir: w - lr * adam_dir,
            lambda v: (
                f"$w - \\eta \\cdot {matrix(v['adam_dir'])} = {matrix(v['adam_w'])}$ with "
                f"$\\eta = {num(v['lr'])}$."
            ),
        ),
        Calc(
            "adamw_dir",
            lambda grad: adam_direction(grad),
            lambda v: (
                f"AdamW's Adam step uses the plain gradient: $\\operatorname{{sign}}(g) = {matrix(v['adamw_dir'])}$."
            ),
            hint="AdamW never puts the decay into the moments.",
        ),
        Calc(
            "adamw_w",
            lambda w, lr, weight_decay, adamw_dir: w * (1.0 - lr * weight_decay) - lr * adamw_dir,
            lambda v: (
                f"Decoupled decay: $w(1 - \\eta\\lambda) - \\eta \\cdot {matrix(v['adamw_dir'])} = "
                f"{matrix(v['w'])} \\cdot {num(1.0 - v['lr'] * v['weight_decay'])} - {num(v['lr'])} \\cdot "
                f"{matrix(v['adamw_dir'])} = {matrix(v['adamw_w'])}$."
            ),
            hint="AdamW multiplies the weights by 1 − lr·λ: the decay is scaled by the learning rate.",
        ),
    ],
    fields=("grad_l2", "adam_w", "adamw_w"),
    misconceptions=[
        WrongStep(
            id="optim.adam-weight-decay-ignored",
            feedback="You left weight_decay out of Adam's step; torch.optim.Adam adds λw to the gradient.",
            root="grad_l2",
            # "Weight decay is something AdamW does": Adam's weight_decay looks like a no-op.
            wrong=lambda grad: grad,
        ),
        WrongStep(
            id="optim.adamw-as-l2",
            feedback="You put AdamW's decay into the gradient; AdamW decouples it: w ← w(1 − lr·λ), then the "
            "Adam step on the plain gradient.",
            root="adamw_w",
            # "AdamW is Adam with weight decay": the two are the same only for plain SGD.
            wrong=lambda w, lr, grad_l2: w - lr * adam_direction(grad_l2),
        ),
        WrongStep(
            id="optim.adamw-decay-without-lr",
            feedback="You shrank the weights by (1 − λ); torch's AdamW multiplies them by (1 − lr·λ).",
            root="adamw_w",
            # The paper writes the decay with its own schedule multiplier, not with lr.
            wrong=lambda w, lr, weight_decay, adamw_dir: w * (1.0 - weight_decay) - lr * adamw_dir,
        ),
        WrongStep(
            id="optim.adamw-no-bias-correction",
            feedback="You skipped bias correction; at the first step m̂ = m/(1 − β₁) = g and v̂ = v/(1 − β₂) = g², "
            "so each weight moves by lr.",
            root="adamw_dir",
            # m = 0.1 g and v = 0.001 g² look like the moments, but both start biased towards 0.
            wrong=lambda grad: adam_direction(grad, bias_correction=False),
        ),
    ],
    read=_read,
)


class AdamWGenerator(StepGenerator):
    """``optim.adamw``: one step of Adam(weight_decay) versus AdamW from a fresh optimizer."""

    id = "optim.adamw"
    topic = "practice"
    title = "Adam with weight_decay (L2) versus AdamW (decoupled), one step"
    answer_fields = {
        "grad_l2": FieldSpec(shape=(N_WEIGHTS,)),
        "adam_w": FieldSpec(shape=(N_WEIGHTS,)),
        "adamw_w": FieldSpec(shape=(N_WEIGHTS,)),
    }
    graph = GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: Adam's first step moves each weight by lr·sign(g)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Random weights and gradients, one coordinate's gradient made small and opposite to its weight
        so that λw flips its sign (the only place Adam's L2 shows on a first step)."""
        w, grad = signed_tenths(rng, (N_WEIGHTS,), 30, low=5), signed_tenths(rng, (N_WEIGHTS,), 8, low=1)
        weight_decay = float(pick(rng, WEIGHT_DECAYS))
        flip = int(rng.integers(N_WEIGHTS))
        cap = int(10 * weight_decay * abs(w[flip]) - 0.5)  # |g| ≤ λ|w| − 0.05, in tenths
        if cap >= 1:
            grad[flip] = -np.sign(w[flip]) * int(rng.integers(1, cap + 1)) / 10.0
        return {"w": w, "grad": grad, "lr": float(pick(rng, LEARNING_RATES)), "weight_decay": weight_decay}

    def acceptable(self, inputs: Inputs) -> bool:
        """L2 flips the sign of some gradient entry (else Adam's decay is invisible), and no g' is near 0."""
        v = _read(inputs)
        grad_l2 = v["grad"] + v["weight_decay"] * v["w"]
        flips = np.sign(grad_l2) != np.sign(v["grad"])
        return bool(flips.any() and np.abs(grad_l2).min() >= 0.05)

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"Weights $w = {matrix(v['w'])}$ have gradient $g = {matrix(v['grad'])}$. Take one step from a "
            f"fresh optimizer with lr $= {num(v['lr'])}$ and `weight_decay` $= {num(v['weight_decay'])}$, "
            "torch.optim defaults otherwise (betas = (0.9, 0.999), eps = 1e-8). Give the gradient "
            "`torch.optim.Adam` feeds its moments (`grad_l2`), the weights after `Adam` (`adam_w`) and the "
            "weights after `AdamW` (`adamw_w`)."
        )


register(AdamWGenerator())
