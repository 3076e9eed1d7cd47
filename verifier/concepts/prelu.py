"""PReLU: a leaky ReLU whose negative slope α is learned, forward and backward with one shared α.

Convention (``torch.nn.PReLU()`` with ``num_parameters=1``, https://pytorch.org/docs/stable/generated/
torch.nn.PReLU.html): y = x for x ≥ 0 and y = α·x for x < 0; ∂y/∂x is 1 or α, and since the single α is
used by every element, ∂L/∂α = Σ_{x<0} (∂L/∂y)·x (He et al. 2015, §2.1, https://arxiv.org/abs/1502.01852).
Inputs are never 0, where the derivative in x is not defined.
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

N = 6
ALPHAS = (0.1, 0.2, 0.25, 0.3, 0.5)


def _read(inputs: Inputs) -> Values:
    return {"x": as_array(inputs["x"]), "alpha": as_float(inputs["alpha"]), "dy": as_array(inputs["dy"])}


def _terms(v: Values) -> str:
    pairs = [(d, x) for d, x in zip(v["dy"].tolist(), v["x"].tolist(), strict=True) if x < 0]
    return " + ".join(f"({num(d)})({num(x)})" for d, x in pairs)


GRAPH = StepGraph(
    [
        Calc(
            "negative",
            lambda x: x < 0,
            lambda v: (
                "The negative inputs (where α acts) are at positions "
                + ", ".join(str(i + 1) for i in np.flatnonzero(v["negative"]).tolist())
                + "."
            ),
        ),
        Calc(
            "y",
            lambda x, alpha, negative: np.where(negative, alpha * x, x),
            lambda v: f"$y = x$ where $x \\ge 0$ and $\\alpha x$ elsewhere: $y = {matrix(v['y'])}$.",
        ),
        Calc(
            "dx",
            lambda dy, alpha, negative: np.where(negative, alpha * dy, dy),
            lambda v: (
                f"$\\partial y/\\partial x$ is 1 or $\\alpha = {num(v['alpha'])}$: "
                f"$\\partial L/\\partial x = {matrix(v['dx'])}$."
            ),
            hint="Below zero PReLU is the line αx: its slope is α, not 0.",
        ),
        Calc(
            "dalpha",
            lambda dy, x, negative: float((dy * x)[negative].sum()),
            lambda v: (
                f"$\\partial y_i/\\partial \\alpha = x_i$ where $x_i < 0$ (else 0), summed over the elements "
                f"that share α: ${_terms(v)} = {num(v['dalpha'])}$."
            ),
            hint="α multiplies x only where x < 0; every element that uses α adds to its gradient.",
        ),
    ],
    fields=("y", "dx", "dalpha"),
    misconceptions=[
        WrongStep(
            id="activations.prelu-dx-zero-below",
            feedback="You used ReLU's derivative: below zero PReLU's slope is α, so ∂L/∂x = α·∂L/∂y there.",
            root="dx",
            # ReLU's backward is the one everybody has written.
            wrong=lambda dy, negative: np.where(negative, 0.0, dy),
        ),
        WrongStep(
            id="activations.prelu-dalpha-without-x",
            feedback="You summed the upstream gradients alone; ∂y/∂α = x, so each negative element adds "
            "∂L/∂y·x.",
            root="dalpha",
            # α is a slope like a bias is an offset, and a bias's gradient is the plain sum.
            wrong=lambda dy, negative: float(dy[negative].sum()),
        ),
        WrongStep(
            id="activations.prelu-dalpha-all-inputs",
            feedback="You summed ∂L/∂y·x over every element; α only acts where x < 0, so positive inputs add "
            "nothing to ∂L/∂α.",
            root="dalpha",
            # The shared-parameter sum is remembered, the mask is forgotten.
            wrong=lambda dy, x: float((dy * x).sum()),
        ),
    ],
    read=_read,
)


def _nonzero(rng: np.random.Generator, low: float, high: float, size: int) -> FloatArray:
    values = np.round(rng.uniform(low, high, size), 1)
    values[values == 0.0] = 0.5
    return values


class PReLUGenerator(StepGenerator):
    """``activations.prelu``: PReLU output and the gradients with respect to x and to the shared α."""

    id = "activations.prelu"
    topic = "activations"
    title = "PReLU forward and backward (shared α)"
    answer_fields = {"y": FieldSpec(shape=(N,)), "dx": FieldSpec(shape=(N,)), "dalpha": FieldSpec()}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        x = _nonzero(rng, -3.0, 3.0, N)
        dy = _nonzero(rng, -2.0, 2.0, N)
        return {"x": x, "alpha": ALPHAS[int(rng.integers(0, len(ALPHAS)))], "dy": dy}

    def acceptable(self, inputs: Inputs) -> bool:
        negatives = int((_read(inputs)["x"] < 0).sum())
        return 2 <= negatives <= N - 2

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return False  # products of one-decimal numbers

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"`nn.PReLU()` (one shared slope) has $\\alpha = {num(v['alpha'])}$. For the input "
            f"$x = {matrix(v['x'])}$ and the upstream gradient $\\partial L/\\partial y = {matrix(v['dy'])}$, "
            "give the output $y$ (`y`), $\\partial L/\\partial x$ (`dx`) and $\\partial L/\\partial \\alpha$ "
            "(`dalpha`)."
        )


register(PReLUGenerator())
