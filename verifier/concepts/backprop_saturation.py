"""Why sigmoid networks learn slowly: gradients through saturating layers, and the output error of
sigmoid with squared error versus sigmoid with cross-entropy.

Conventions: a chain of scalar layers a_l = f(w_l·a_{l−1} + b_l) with a₀ = x has
∂a_L/∂x = ∏_l w_l·f′(z_l); since σ′(z) = σ(z)(1 − σ(z)) ≤ ¼ and tanh′(z) = 1 − tanh²(z) ≤ 1, the product is
at most ∏|w_l|·(¼)^L for sigmoid (the vanishing gradient, Nielsen ch. 5,
http://neuralnetworksanddeeplearning.com/chap5.html). For an output unit a = σ(z) and target y, the squared
error ½(a − y)² gives δ = ∂L/∂z = (a − y)·σ′(z), which vanishes when the unit saturates even if it is
wrong; the binary cross-entropy −y ln a − (1 − y) ln(1 − a) gives δ = a − y (Nielsen ch. 3,
http://neuralnetworksanddeeplearning.com/chap3.html).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import Known, as_array, picks
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

LAYERS = 3
UNITS = 3
SIGNS = np.array([-1.0, 1.0])
PEAK = {"sigmoid": 0.25, "tanh": 1.0}  # the largest value of each derivative, at z = 0

Squashing = Literal["sigmoid", "tanh"]


def _symbol(name: str) -> str:
    return r"\sigma" if name == "sigmoid" else r"\tanh"


def squash(z: FloatArray, name: Squashing) -> FloatArray:
    """σ(z) = 1/(1 + e^{−z}) or tanh(z)."""
    return 1.0 / (1.0 + np.exp(-z)) if name == "sigmoid" else np.tanh(z)


def squash_derivative_from_output(a: FloatArray, name: Squashing) -> FloatArray:
    """f′ written with the activation's output: σ′ = a(1 − a), tanh′ = 1 − a²."""
    return a * (1.0 - a) if name == "sigmoid" else 1.0 - a * a


def _read_chain(inputs: Inputs) -> Values:
    name = inputs["activation"]
    if name not in PEAK:
        raise ValueError(f"activation must be sigmoid or tanh, got {name!r}")
    return {"f": name, "z": as_array(inputs["z"]), "w": as_array(inputs["w"])}


CHAIN = StepGraph(
    [
        Calc(
            "a",
            lambda z, f: squash(z, f),
            lambda v: f"The layers' outputs: $a = {_symbol(v['f'])}(z) = {matrix(v['a'])}$.",
        ),
        Calc(
            "derivs",
            lambda a, f: squash_derivative_from_output(a, f),
            lambda v: (
                ("$\\sigma'(z) = a(1 - a)$" if v["f"] == "sigmoid" else "$\\tanh'(z) = 1 - a^2$")
                + f", layer by layer: ${matrix(v['derivs'])}$."
            ),
            hint="Write the derivative with the layer's output a, not with its input z.",
        ),
        Calc(
            "grad",
            lambda w, derivs: float(np.prod(w * derivs)),
            lambda v: (
                "By the chain rule each layer multiplies the gradient by $w_l f'(z_l)$: $"
                + " \\cdot ".join(
                    f"({num(w)} \\cdot {num(d)})" for w, d in zip(v["w"], v["derivs"], strict=True)
                )
                + f" = {num(v['grad'], decimals=6)}$."
            ),
            hint="∂a₃/∂x = ∂a₃/∂z₃ · ∂z₃/∂a₂ · …: every layer contributes its weight and its derivative.",
        ),
        Calc(
            "bound",
            lambda w, f: float(np.prod(np.abs(w)) * PEAK[f] ** len(w)),
            lambda v: (
                f"The derivative is at most {num(PEAK[v['f']])} (at $z = 0$), so "
                f"$|\\partial a_3/\\partial x| \\le {num(float(np.prod(np.abs(v['w']))))} \\cdot "
                f"{num(PEAK[v['f']])}^{len(v['w'])} = {num(v['bound'], decimals=6)}$."
            ),
            hint="Where is σ′ (or tanh′) largest, and how large is it there?",
        ),
    ],
    fields=("derivs", "grad", "bound"),
    misconceptions=[
        WrongStep(
            id="backprop.derivative-of-z",
            feedback="You applied the derivative's output form to z: σ′(z) = σ(z)(1 − σ(z)) and "
            "tanh′(z) = 1 − tanh²(z) take the activation a, not the pre-activation z.",
            root="derivs",
            # a(1 − a) is memorised as "x(1 − x)", and x is read as the layer's input.
            wrong=lambda z, f: squash_derivative_from_output(z, f),
        ),
        WrongStep(
            id="backprop.weights-dropped",
            feedback="You multiplied only the activation derivatives; each layer's weight w_l is also a "
            "factor of the chain rule (∂z_l/∂a_{l−1} = w_l).",
            root="grad",
            # The vanishing-gradient story is told about σ′ alone.
            wrong=lambda w, derivs: float(np.prod(derivs)),  # noqa: ARG005 - the belief drops w
        ),
        WrongStep(
            id="backprop.derivative-peak-swapped",
            feedback="You swapped the peaks: σ′ is at most ¼ and tanh′ at most 1, both at z = 0.",
            root="bound",
            # Both curves are S-shaped; their slopes at 0 are easy to mix up.
            wrong=lambda w, f: float(
                np.prod(np.abs(w)) * PEAK["tanh" if f == "sigmoid" else "sigmoid"] ** len(w)
            ),
        ),
    ],
    read=_read_chain,
)


def _known_squash(name: Squashing, z: FloatArray) -> tuple[Known, ...]:
    symbol = _symbol(name)
    return tuple(
        Known(f"{symbol}({num(value)})", float(squash(np.array(value), name)))
        for value in sorted(set(z.tolist()))
    )


class SaturationGenerator(StepGenerator):
    """``backprop.saturation``: the gradient through three sigmoid or tanh layers and its upper bound."""

    id = "backprop.saturation"
    topic = "backprop"
    title = "Gradient through saturating layers (σ′ ≤ ¼)"
    answer_fields = {"derivs": FieldSpec(shape=(LAYERS,)), "grad": FieldSpec(), "bound": FieldSpec()}
    graph = CHAIN

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        name = "sigmoid" if rng.random() < 0.6 else "tanh"
        z = np.round(rng.uniform(0.3, 2.5, LAYERS) * picks(rng, SIGNS, LAYERS), 1)
        w = np.round(rng.uniform(0.5, 2.0, LAYERS) * picks(rng, SIGNS, LAYERS), 1)
        return {"activation": name, "z": z, "w": w}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        values = _read_chain(inputs)
        return _known_squash(values["f"], values["z"])

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # the whiteboard prompt lists σ(z) or tanh(z)

    def prompt(self, inputs: Inputs) -> str:
        v = _read_chain(inputs)
        return (
            f"A scalar input $x$ passes through {LAYERS} layers $a_l = f(w_l a_{{l-1}} + b_l)$ with "
            f"$a_0 = x$ and $f = $ {v['f']}. The weights are $w = {matrix(v['w'])}$ and in the forward pass "
            f"the pre-activations were $z = {matrix(v['z'])}$. Give the derivatives $f'(z_l)$ (`derivs`), "
            f"the gradient $\\partial a_{LAYERS}/\\partial x$ (`grad`), and the largest value "
            f"$|\\partial a_{LAYERS}/\\partial x|$ can take with these weights over any input and biases "
            "(`bound`)."
        )


register(SaturationGenerator())


# --- the output error of sigmoid with squared error versus with cross-entropy -----------------------------


def _read_output(inputs: Inputs) -> Values:
    return {"z": as_array(inputs["z"]), "y": as_array(inputs["y"])}


OUTPUT = StepGraph(
    [
        Calc(
            "a",
            lambda z: squash(z, "sigmoid"),
            lambda v: f"$a = \\sigma(z) = {matrix(v['a'])}$.",
        ),
        Calc(
            "residual",
            lambda a, y: a - y,
            lambda v: f"$a - y = {matrix(v['residual'])}$.",
            hint="Both losses grow when a moves away from y: their gradients carry a − y.",
        ),
        Calc(
            "sigma_prime",
            # From z, not from the field a: delta then reads a candidate's a linearly (in a - y), so a
            # 3-figure a far from the reference does not push the carried-forward delta out of tolerance.
            lambda z: squash_derivative_from_output(squash(z, "sigmoid"), "sigmoid"),
            lambda v: f"$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z)) = {matrix(v['sigma_prime'])}$.",
        ),
        Calc(
            "delta_mse",
            lambda residual, sigma_prime: residual * sigma_prime,
            lambda v: (
                "Squared error: $\\delta = (a - y)\\,\\sigma'(z) = "
                f"{matrix(v['delta_mse'])}$, small wherever the unit saturates, right or wrong."
            ),
            hint="∂L/∂z = ∂L/∂a · ∂a/∂z.",
        ),
        Calc(
            "delta_bce",
            lambda residual: residual,
            lambda v: (
                "Cross-entropy: $\\partial L/\\partial a = (a - y)/(a(1 - a))$ cancels $\\sigma'(z)$, "
                f"so $\\delta = a - y = {matrix(v['delta_bce'])}$."
            ),
            hint="Differentiate −y ln a − (1 − y) ln(1 − a) with respect to a, then multiply by σ′(z).",
        ),
    ],
    fields=("a", "delta_mse", "delta_bce"),
    misconceptions=[
        WrongStep(
            id="backprop.bce-keeps-sigma-prime",
            feedback="With cross-entropy σ′(z) cancels: ∂L/∂a = (a − y)/(a(1 − a)), so δ = a − y, with no "
            "extra factor σ′(z).",
            root="delta_bce",
            # "δ = ∂L/∂a ⊙ σ′(z)" is the backprop recipe, applied without working out ∂L/∂a.
            wrong=lambda residual, sigma_prime: residual * sigma_prime,
        ),
        WrongStep(
            id="backprop.mse-drops-sigma-prime",
            feedback="With squared error the derivative of the sigmoid stays: δ = (a − y)·σ′(z); only "
            "cross-entropy cancels it.",
            root="delta_mse",
            # a − y is the famous output error, remembered without its loss.
            wrong=lambda residual, sigma_prime: residual,  # noqa: ARG005 - the belief drops σ′
        ),
        WrongStep(
            id="backprop.residual-sign",
            feedback="You wrote y − a: the loss grows with a when a > y, so its gradient is a − y.",
            root="residual",
            # "target minus output" is the error of the perceptron rule, which adds it to the weights.
            wrong=lambda a, y: y - a,
        ),
    ],
    read=_read_output,
)


class OutputErrorGenerator(StepGenerator):
    """``backprop.output_error``: δ at sigmoid outputs under squared error and under cross-entropy."""

    id = "backprop.output_error"
    topic = "backprop"
    title = "Output error: sigmoid + squared error versus sigmoid + cross-entropy"
    answer_fields = {
        "a": FieldSpec(shape=(UNITS,)),
        "delta_mse": FieldSpec(shape=(UNITS,)),
        "delta_bce": FieldSpec(shape=(UNITS,)),
    }
    graph = OUTPUT

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        z = np.round(rng.uniform(0.4, 3.0, UNITS) * picks(rng, SIGNS, UNITS), 1)
        y = rng.integers(0, 2, UNITS).astype(np.float64)
        return {"z": z, "y": y}

    def acceptable(self, inputs: Inputs) -> bool:
        v = _read_output(inputs)
        a = squash(v["z"], "sigmoid")
        return bool(np.all(np.abs(a - v["y"]) > 0.1)) and bool(np.any((a - v["y"]) * (2 * v["y"] - 1) < -0.5))

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        return _known_squash("sigmoid", _read_output(inputs)["z"])

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator

    def prompt(self, inputs: Inputs) -> str:
        v = _read_output(inputs)
        return (
            f"A network's {UNITS} sigmoid output units have pre-activations $z = {matrix(v['z'])}$ and "
            f"targets $y = {matrix(v['y'])}$. Give the outputs $a = \\sigma(z)$ (`a`) and the output error "
            "$\\delta = \\partial L/\\partial z$ for the squared error $L = \\tfrac12 \\sum (a - y)^2$ "
            "(`delta_mse`) and for the binary cross-entropy $L = -\\sum [y \\ln a + (1 - y) \\ln(1 - a)]$ "
            "(`delta_bce`)."
        )


register(OutputErrorGenerator())
