"""Gradient clipping: ``torch.nn.utils.clip_grad_norm_`` versus ``clip_grad_value_`` on two tensors.

Conventions (https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html and its source):

- ``clip_grad_norm_(params, max_norm)`` computes one *global* 2-norm over every gradient, N = ‖(g_a, g_b)‖₂,
  the coefficient ``clip_coef = max_norm / (N + 1e-6)`` clamped to at most 1, and multiplies every
  gradient by it, so the direction of the whole gradient is kept (Pascanu et al. 2013,
  https://arxiv.org/abs/1211.5063; DLB 10.11.1);
- ``clip_grad_value_(params, clip_value)`` clamps each entry to [−clip_value, clip_value], which may
  change the direction.
"""

from __future__ import annotations

import math

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float, pick, signed_tenths
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

NORM_EPS = 1e-6  # torch adds it to the total norm in the divisor
SIZE_A, SIZE_B = 3, 2
MAX_NORMS = (1.0, 2.0, 0.5)
CLIP_VALUES = (0.5, 1.0)


def clip_coefficient(total_norm: float, max_norm: float) -> float:
    """min(1, max_norm / (total_norm + 1e-6)), as ``clip_grad_norm_`` computes it."""
    return min(1.0, max_norm / (total_norm + NORM_EPS))


def _read(inputs: Inputs) -> Values:
    return {
        "grad_a": as_array(inputs["grad_a"]),
        "grad_b": as_array(inputs["grad_b"]),
        "max_norm": as_float(inputs["max_norm"]),
        "clip_value": as_float(inputs["clip_value"]),
    }


def _norm(grad: FloatArray) -> float:
    return math.sqrt(float(grad @ grad))


GRAPH = StepGraph(
    [
        Calc(
            "total_norm",
            lambda grad_a, grad_b: math.sqrt(float(grad_a @ grad_a + grad_b @ grad_b)),
            lambda v: (
                f"One norm over all gradients: $N = \\sqrt{{{num(float(v['grad_a'] @ v['grad_a']))} + "
                f"{num(float(v['grad_b'] @ v['grad_b']))}}} = {num(v['total_norm'])}$."
            ),
            hint="`clip_grad_norm_` treats all the gradients as one long vector.",
        ),
        Calc(
            "clip_coef",
            lambda max_norm, total_norm: clip_coefficient(total_norm, max_norm),
            lambda v: (
                f"$\\min(1, {num(v['max_norm'])} / ({num(v['total_norm'])} + 10^{{-6}})) = "
                f"{num(v['clip_coef'])}$."
            ),
            hint="The coefficient is max_norm / (N + 1e-6), and never more than 1.",
        ),
        Calc(
            "coefs",
            lambda clip_coef: (clip_coef, clip_coef),
            lambda v: "Every tensor is multiplied by the same coefficient.",
        ),
        Calc(
            "norm_a",
            lambda grad_a, coefs: grad_a * coefs[0],
            lambda v: f"$g_a \\cdot {num(v['coefs'][0])} = {matrix(v['norm_a'])}$.",
        ),
        Calc(
            "norm_b",
            lambda grad_b, coefs: grad_b * coefs[1],
            lambda v: f"$g_b \\cdot {num(v['coefs'][1])} = {matrix(v['norm_b'])}$.",
        ),
        Calc(
            "clamped",
            lambda grad_a, grad_b, clip_value: (
                np.clip(grad_a, -clip_value, clip_value),
                np.clip(grad_b, -clip_value, clip_value),
            ),
            lambda v: (
                f"`clip_grad_value_` clamps each entry to $[-{num(v['clip_value'])}, {num(v['clip_value'])}]$."
            ),
            hint="`clip_grad_value_` looks at each entry on its own.",
        ),
        Calc("value_a", lambda clamped: clamped[0], lambda v: f"$g_a \\to {matrix(v['value_a'])}$."),
        Calc("value_b", lambda clamped: clamped[1], lambda v: f"$g_b \\to {matrix(v['value_b'])}$."),
    ],
    fields=("total_norm", "clip_coef", "norm_a", "norm_b", "value_a", "value_b"),
    misconceptions=[
        WrongStep(
            id="optim.clip-norm-per-tensor",
            feedback="You clipped each tensor by its own norm; clip_grad_norm_ uses one global norm over all "
            "gradients and one coefficient for all of them.",
            root="coefs",
            # TensorFlow's clip_by_norm works per tensor; clip_by_global_norm is the one torch copies.
            wrong=lambda grad_a, grad_b, max_norm: (
                clip_coefficient(_norm(grad_a), max_norm),
                clip_coefficient(_norm(grad_b), max_norm),
            ),
        ),
        WrongStep(
            id="optim.clip-norm-without-sqrt",
            feedback="You used the sum of squares; the norm is its square root.",
            root="total_norm",
            # The squared norm is what one accumulates before the final square root.
            wrong=lambda grad_a, grad_b: float(grad_a @ grad_a + grad_b @ grad_b),
        ),
        WrongStep(
            id="optim.clip-value-keeps-direction",
            feedback="You rescaled each tensor so its largest entry is clip_value; clip_grad_value_ clamps "
            "each entry on its own, which changes the direction.",
            root="clamped",
            # Carrying over "clipping keeps the direction" from clip_grad_norm_.
            wrong=lambda grad_a, grad_b, clip_value: tuple(
                g * min(1.0, clip_value / float(np.abs(g).max())) for g in (grad_a, grad_b)
            ),
        ),
    ],
    read=_read,
)


class ClipGradGenerator(StepGenerator):
    """``optim.clip_grad``: ``clip_grad_norm_`` (global norm) versus ``clip_grad_value_`` on two tensors."""

    id = "optim.clip_grad"
    topic = "practice"
    title = "clip_grad_norm_ (global norm) versus clip_grad_value_"
    answer_fields = {
        "total_norm": FieldSpec(),
        "clip_coef": FieldSpec(),
        "norm_a": FieldSpec(shape=(SIZE_A,)),
        "norm_b": FieldSpec(shape=(SIZE_B,)),
        "value_a": FieldSpec(shape=(SIZE_A,)),
        "value_b": FieldSpec(shape=(SIZE_B,)),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {
            "grad_a": signed_tenths(rng, (SIZE_A,), 20, low=1),
            "grad_b": signed_tenths(rng, (SIZE_B,), 20, low=1),
            "max_norm": float(pick(rng, MAX_NORMS)),
            "clip_value": float(pick(rng, CLIP_VALUES)),
        }

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Like ``sample``, redrawn until the sum of squares is a perfect square (in hundredths), so the
        global norm is exact: (0.3, 0.4) has norm 0.5."""
        while True:
            inputs = self.sample(rng)
            grads = np.concatenate([as_array(inputs["grad_a"]), as_array(inputs["grad_b"])])
            tenths = np.rint(10 * grads).astype(int)
            squares = int((tenths * tenths).sum())
            if math.isqrt(squares) ** 2 == squares:
                return inputs

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: the global norm is a whole number of tenths

    def acceptable(self, inputs: Inputs) -> bool:
        """The global norm exceeds max_norm and each tensor has entries past clip_value (both clips act)."""
        v = _read(inputs)
        total = math.hypot(_norm(v["grad_a"]), _norm(v["grad_b"]))
        return total > 1.2 * v["max_norm"] and all(
            np.abs(g).max() > v["clip_value"] + 0.05 for g in (v["grad_a"], v["grad_b"])
        )

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A model has two parameter tensors with gradients $g_a = {matrix(v['grad_a'])}$ and "
            f"$g_b = {matrix(v['grad_b'])}$. Give what `torch.nn.utils.clip_grad_norm_(params, "
            f"max_norm={num(v['max_norm'])})` computes — the total norm it returns (`total_norm`), the "
            "coefficient it multiplies by (`clip_coef`, torch's max_norm / (norm + 1e-6), at most 1) and the "
            "clipped gradients (`norm_a`, `norm_b`) — and, starting again from the original gradients, what "
            f"`clip_grad_value_(params, clip_value={num(v['clip_value'])})` leaves (`value_a`, `value_b`)."
        )


register(ClipGradGenerator())
