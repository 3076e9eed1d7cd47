"""``activations.derivative``: the value and derivative of one activation at a few points, as a step graph.

The derivative step reads the value step wherever the textbook writes f′ through f (tanh: 1 − f², sigmoid:
f(1 − f), ELU below 0: f + α), so a candidate who works it from their own 3-figure values is graded on them
(error carried forward). Each misconception is a wrong ``derivative`` step for one activation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.activations.beliefs import (
    misconception_elu_derivative_is_alpha,
    misconception_gelu_derivative_is_phi,
    misconception_gelu_derivative_is_z_pdf,
    misconception_hardtanh_derivative_one,
    misconception_leaky_derivative_is_alpha_z,
    misconception_leaky_derivative_zero_below,
    misconception_relu_derivative_one,
    misconception_sigmoid_derivative_z_one_minus_z,
    misconception_softplus_missing_inner_derivative,
    misconception_tanh_derivative_one_minus_z_squared,
)
from verifier.concepts.activations.functions import (
    ELU_ALPHA_CHOICES,
    KINK_MARGIN,
    LEAKY_SLOPE_CHOICES,
    N_POINTS,
    NAMES,
    Z_LIMIT,
    ActivationName,
    _grid,
    activation,
    activation_derivative,
    normal_cdf,
    normal_pdf,
)
from verifier.generator import Known, as_array, as_float
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

# Whiteboard mode: the piecewise-linear activations, and sigmoid and tanh with their values printed (f′ is
# read off f); ELU, GELU and softplus need e^z, Φ or log at every point and are left to calculator mode.
HAND_NAMES: tuple[ActivationName, ...] = ("relu", "leaky_relu", "hardtanh", "sigmoid", "tanh")
_PRINTED: dict[ActivationName, str] = {"sigmoid": r"\sigma", "tanh": r"\tanh"}

_DEFINITIONS: dict[ActivationName, str] = {
    "relu": r"f(z) = \max(0, z)",
    "leaky_relu": r"f(z) = \max(0, z) + \alpha \min(0, z)",
    "elu": r"f(z) = z \text{ for } z > 0, \quad f(z) = \alpha (e^{z} - 1) \text{ for } z \le 0",
    "gelu": r"f(z) = z \, \Phi(z), \quad \Phi(z) = \tfrac{1}{2}\left(1 + \operatorname{erf}(z / \sqrt{2})\right)",
    "softplus": r"f(z) = \log(1 + e^{z})",
    "sigmoid": r"f(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"f(z) = \tanh z",
    "hardtanh": r"f(z) = \max(-1, \min(1, z))",
}
_DERIVATIVES: dict[ActivationName, str] = {
    "relu": r"f'(z) = 1 \text{ for } z > 0, \; 0 \text{ for } z < 0",
    "leaky_relu": r"f'(z) = 1 \text{ for } z > 0, \; \alpha \text{ for } z < 0",
    "elu": r"f'(z) = 1 \text{ for } z > 0, \; \alpha e^{z} = f(z) + \alpha \text{ for } z < 0",
    "gelu": r"f'(z) = \Phi(z) + z \, \varphi(z), \quad \varphi(z) = e^{-z^2/2} / \sqrt{2\pi}",
    "softplus": r"f'(z) = \frac{e^{z}}{1 + e^{z}} = \sigma(z)",
    "sigmoid": r"f'(z) = \sigma(z)\,(1 - \sigma(z)) = f(z)\,(1 - f(z))",
    "tanh": r"f'(z) = 1 - \tanh^2 z = 1 - f(z)^2",
    "hardtanh": r"f'(z) = 1 \text{ for } |z| < 1, \; 0 \text{ for } |z| > 1",
}
_DISPLAY: dict[ActivationName, str] = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "elu": "ELU",
    "gelu": "GELU (exact erf form, not the tanh approximation)",
    "softplus": r"softplus ($\beta = 1$, natural log)",
    "sigmoid": "the logistic sigmoid",
    "tanh": "tanh",
    "hardtanh": r"hard tanh (range $[-1, 1]$)",
}
_KINKS: dict[ActivationName, tuple[float, ...]] = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "elu": (0.0,),
    "hardtanh": (-1.0, 1.0),
}

_HINTS: dict[ActivationName, str] = {
    "relu": "ReLU is the identity where it is active and constant where it is not.",
    "leaky_relu": "Each branch is linear: its slope is its coefficient.",
    "elu": r"Below 0 the branch is $\alpha(e^z - 1)$; its derivative can be written with $f(z)$ itself.",
    "gelu": r"$z\,\Phi(z)$ is a product: use the product rule, with $\Phi' = \varphi$.",
    "softplus": r"Use the chain rule on $\log(1 + e^z)$.",
    "sigmoid": r"Write $f'$ in terms of the output $f(z)$.",
    "tanh": r"Write $f'$ in terms of the output $f(z)$.",
    "hardtanh": "Hard tanh is linear inside the clip range and constant outside it.",
}


def read_derivative(inputs: Inputs) -> Values:
    """``z`` (an array), ``name`` and ``alpha`` (0 for activations without one)."""
    name = str(inputs["name"])
    if name not in NAMES:
        raise ValueError(f"unknown activation: {name!r}")
    return {"z": as_array(inputs["z"]), "name": name, "alpha": as_float(inputs["alpha"])}


def _uses_alpha(name: ActivationName) -> bool:
    return name in ("leaky_relu", "elu")


def _alpha(name: ActivationName, alpha: float) -> float | None:
    return alpha if _uses_alpha(name) else None


def derivative_from_value(z: FloatArray, value: Any, name: ActivationName, alpha: float) -> FloatArray:
    """f′(z), through the output f(z) = ``value`` where the textbook formula uses it."""
    f = np.asarray(value, dtype=np.float64)
    out: FloatArray
    match name:
        case "tanh":
            out = 1.0 - f * f
        case "sigmoid":
            out = f * (1.0 - f)
        case "elu":
            out = np.where(z > 0, 1.0, f + alpha)
        case _:
            out = activation_derivative(z, name, alpha=_alpha(name, alpha))
    return out


def _entry(name: ActivationName, z: float, f: float, d: float, alpha: float) -> str:
    """One entry of the derivative, worked: ``f'(z) = formula = d``."""
    if name == "tanh":
        work = f"1 - ({num(f)})^2"
    elif name == "sigmoid":
        work = f"{num(f)}\\,(1 - {num(f)})"
    elif name == "elu" and z <= 0:
        work = f"{num(f)} + {num(alpha)}"
    elif name == "gelu":
        cdf, pdf = float(normal_cdf(np.array(z))), float(normal_pdf(np.array(z)))
        work = f"\\Phi({num(z)}) + {num(z)}\\,\\varphi({num(z)}) = {num(cdf)} + {num(z * pdf)}"
    elif name == "softplus":
        work = f"\\sigma({num(z)})"
    else:
        work = ""
    return f"f'({num(z)}) = {work + ' = ' if work else ''}{num(d)}"


def _derivative_text(v: Values) -> str:
    name, alpha = v["name"], v["alpha"]
    entries = [
        _entry(name, z, f, d, alpha)
        for z, f, d in zip(
            v["z"].tolist(), np.asarray(v["value"]).tolist(), v["derivative"].tolist(), strict=True
        )
    ]
    return f"${_DERIVATIVES[name]}$: " + ", ".join(f"${entry}$" for entry in entries) + "."


def _value_text(v: Values) -> str:
    parameter = f" with $\\alpha = {num(v['alpha'])}$" if _uses_alpha(v["name"]) else ""
    return f"${_DEFINITIONS[v['name']]}${parameter}, elementwise: $f(z) = {matrix(v['value'])}$."


def _for(name: ActivationName) -> Any:
    return lambda inputs: inputs["name"] == name


def _wrong(misconception_id: str, name: ActivationName, feedback: str, wrong: Any) -> WrongStep:
    return WrongStep(misconception_id, feedback, root="derivative", wrong=wrong, applies=_for(name))


GRAPH = StepGraph(
    [
        Calc(
            "value",
            lambda z, name, alpha: activation(z, name, alpha=_alpha(name, alpha)),
            _value_text,
            hint=lambda v: "Apply the definition to each entry of $z$.",
        ),
        Calc(
            "derivative",
            derivative_from_value,
            _derivative_text,
            hint=lambda v: _HINTS[v["name"]],
        ),
    ],
    fields=("value", "derivative"),
    misconceptions=[
        _wrong(
            "activations.relu-derivative-one",
            "relu",
            "You passed the gradient through everywhere; ReLU's derivative is 0 where z < 0.",
            lambda z: misconception_relu_derivative_one(z),
        ),
        _wrong(
            "activations.relu-derivative-is-relu",
            "relu",
            "You used ReLU's value max(0, z) as its derivative; the slope is 1 where z > 0 and 0 elsewhere.",
            lambda value: np.asarray(value, dtype=np.float64),  # the stored output taken as the slope
        ),
        _wrong(
            "activations.leaky-derivative-zero-below",
            "leaky_relu",
            "You used ReLU's derivative; Leaky ReLU's slope for z < 0 is α, not 0.",
            lambda z, alpha: misconception_leaky_derivative_zero_below(z, alpha=alpha),
        ),
        _wrong(
            "activations.leaky-derivative-is-alpha-z",
            "leaky_relu",
            "You used the negative branch's value αz as its slope; the slope of αz is the constant α.",
            lambda z, alpha: misconception_leaky_derivative_is_alpha_z(z, alpha=alpha),
        ),
        _wrong(
            "activations.elu-derivative-is-alpha",
            "elu",
            "You used a constant slope α below 0, as for Leaky ReLU; ELU's slope there is αeᶻ.",
            lambda z, alpha: misconception_elu_derivative_is_alpha(z, alpha=alpha),
        ),
        _wrong(
            "activations.elu-derivative-keeps-minus-one",
            "elu",
            "You kept the −1 when differentiating α(eᶻ − 1); the constant drops out, leaving αeᶻ.",
            # the branch copied whole: f(z) itself below 0
            lambda z, value: np.where(z > 0, 1.0, np.asarray(value, dtype=np.float64)),
        ),
        _wrong(
            "activations.gelu-derivative-is-phi",
            "gelu",
            "You gave Φ(z), treating the gate as a constant; by the product rule GELU′(z) = Φ(z) + zφ(z).",
            lambda z: misconception_gelu_derivative_is_phi(z),
        ),
        _wrong(
            "activations.gelu-derivative-is-z-pdf",
            "gelu",
            "You differentiated only Φ and kept z fixed; the product rule adds the term Φ(z).",
            lambda z: misconception_gelu_derivative_is_z_pdf(z),
        ),
        _wrong(
            "activations.softplus-derivative-is-softplus",
            "softplus",
            "You gave softplus itself; its derivative is eᶻ/(1 + eᶻ) = σ(z).",
            lambda value: np.asarray(value, dtype=np.float64),  # the function taken as its own derivative
        ),
        _wrong(
            "activations.softplus-missing-inner-derivative",
            "softplus",
            "You gave 1/(1 + eᶻ) and dropped the chain rule's inner factor eᶻ; the derivative is σ(z).",
            lambda z: misconception_softplus_missing_inner_derivative(z),
        ),
        _wrong(
            "activations.sigmoid-derivative-is-sigmoid",
            "sigmoid",
            "You gave σ(z) itself; the sigmoid's derivative is σ(z)(1 − σ(z)).",
            lambda value: np.asarray(value, dtype=np.float64),  # the output σ(z) taken as the slope
        ),
        _wrong(
            "activations.sigmoid-derivative-z-one-minus-z",
            "sigmoid",
            "You applied a(1 − a) to z; the formula takes the output a = σ(z), not the input.",
            lambda z: misconception_sigmoid_derivative_z_one_minus_z(z),
        ),
        _wrong(
            "activations.tanh-derivative-is-one-minus-tanh",
            "tanh",
            "You gave 1 − tanh(z); the derivative is 1 − tanh²(z), with the square.",
            lambda value: 1.0 - np.asarray(value, dtype=np.float64),  # 1 − f without the square
        ),
        _wrong(
            "activations.tanh-derivative-one-minus-z-squared",
            "tanh",
            "You applied 1 − a² to z; the formula takes the output a = tanh(z), not the input.",
            lambda z: misconception_tanh_derivative_one_minus_z_squared(z),
        ),
        _wrong(
            "activations.hardtanh-derivative-one",
            "hardtanh",
            "You passed the gradient through everywhere; where hard tanh clips (|z| > 1) its slope is 0.",
            lambda z: misconception_hardtanh_derivative_one(z),
        ),
        _wrong(
            "activations.hardtanh-derivative-like-tanh",
            "hardtanh",
            "You used tanh's rule 1 − g²; hard tanh is linear inside (−1, 1), so its slope there is exactly 1.",
            lambda value: 1.0 - np.asarray(value, dtype=np.float64) ** 2,  # tanh's 1 − f² on hard tanh's f
        ),
    ],
    read=read_derivative,
)


class DerivativeGenerator(StepGenerator):
    """``activations.derivative``: value and derivative of one activation at a few points."""

    id = "activations.derivative"
    topic = "activations"
    title = "Activation functions: value and derivative"
    answer_fields = {"value": FieldSpec(shape=(N_POINTS,)), "derivative": FieldSpec(shape=(N_POINTS,))}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_POINTS + 2)  # one call: NumPy's per-call cost dominates at this size
        name = NAMES[int(u[0] * len(NAMES))]
        alpha = 0.0  # unused by activations without a parameter
        if name == "leaky_relu":
            alpha = LEAKY_SLOPE_CHOICES[int(u[1] * len(LEAKY_SLOPE_CHOICES))]
        elif name == "elu":
            alpha = ELU_ALPHA_CHOICES[int(u[1] * len(ELU_ALPHA_CHOICES))]
        return {"name": name, "z": _grid(u[2:], -Z_LIMIT, Z_LIMIT), "alpha": alpha}

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(N_POINTS + 2)
        name = HAND_NAMES[int(u[0] * len(HAND_NAMES))]
        alpha = LEAKY_SLOPE_CHOICES[int(u[1] * len(LEAKY_SLOPE_CHOICES))] if name == "leaky_relu" else 0.0
        return {"name": name, "z": _grid(u[2:], -Z_LIMIT, Z_LIMIT), "alpha": alpha}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        v = read_derivative(inputs)
        symbol = _PRINTED.get(v["name"])
        if symbol is None:
            return ()
        return tuple(
            Known(f"{symbol}({num(z)})", float(activation(np.array(z), v["name"])))
            for z in sorted(set(v["z"].tolist()))
        )

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: piecewise-linear, or f read off the printed values

    def acceptable(self, inputs: Inputs) -> bool:
        v = read_derivative(inputs)
        z, name = v["z"], v["name"]
        return all(np.abs(z - kink).min() >= KINK_MARGIN for kink in _KINKS.get(name, ()))

    def prompt(self, inputs: Inputs) -> str:
        v = read_derivative(inputs)
        z, name, alpha = v["z"], v["name"], v["alpha"]
        parameter = ""
        if name == "leaky_relu":
            parameter = f" with negative slope $\\alpha = {num(alpha)}$"
        elif name == "elu":
            parameter = f" with $\\alpha = {num(alpha)}$"
        return (
            f"The activation is {_DISPLAY[name]}{parameter}: ${_DEFINITIONS[name]}$.\n\n"
            f"Evaluate it elementwise at $z = {matrix(z)}$: give the values $f(z)$ (`value`) and the "
            "derivatives $f'(z)$ (`derivative`), one per entry of $z$. No entry of $z$ sits on a kink."
        )


register(DerivativeGenerator())
