"""PyTorch's initialization defaults: ``nn.Linear``'s own init, ``xavier_normal_``'s std and the bounds of
``trunc_normal_``.

Conventions (``torch.nn.Linear.reset_parameters`` and ``torch.nn.init``,
https://pytorch.org/docs/stable/nn.init.html):

- ``nn.Linear(fan_in, fan_out)`` calls ``kaiming_uniform_(weight, a=√5)``: gain = √(2/(1 + a²)) = √(1/3),
  bound = gain·√(3/fan_in) = 1/√fan_in, so the weight is U(−1/√fan_in, 1/√fan_in) (its bias too);
- ``xavier_normal_(w, gain=1)`` samples N(0, σ²) with σ = √(2/(fan_in + fan_out)) (Glorot & Bengio 2010,
  https://proceedings.mlr.press/v9/glorot10a.html);
- ``trunc_normal_(w, mean, std, a=-2.0, b=2.0)`` cuts at the *absolute* values a and b, not at a and b
  standard deviations: with std = 0.02 the cut sits 100 σ out and truncates nothing.
"""

from __future__ import annotations

import math

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_float, as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

LINEAR_A = math.sqrt(5.0)  # the negative slope nn.Linear passes to kaiming_uniform_
TRUNC_A, TRUNC_B = -2.0, 2.0  # trunc_normal_'s default bounds
SIZES = (16, 25, 64, 100, 128, 256, 400, 512, 784, 1024)
TRUNC_STDS = (0.02, 0.1, 0.25, 0.5)
TRUNC_MEANS = (0.0, 0.5, -0.5, 1.0)
# Whiteboard fans: a square fan_in makes the default bound 1/√fan_in exact, and fan_in + fan_out = 2k²
# makes xavier's √(2/(fan_in + fan_out)) = 1/k: (64, 136) gives 1/8 and 1/10.
HAND_FANS = (
    (16, 784),
    (784, 16),
    (64, 136),
    (144, 56),
    (100, 28),
    (16, 112),
    (64, 448),
    (400, 112),
    (256, 544),
)


def leaky_relu_gain(a: float) -> float:
    """``calculate_gain("leaky_relu", a)`` = √(2/(1 + a²))."""
    return math.sqrt(2.0 / (1.0 + a**2))


def _signed(value: float) -> str:
    """A number to subtract: in parentheses when negative."""
    return f"({num(value)})" if value < 0 else num(value)


def _read(inputs: Inputs) -> Values:
    return {
        "fan_in": as_int(inputs["fan_in"]),
        "fan_out": as_int(inputs["fan_out"]),
        "mean": as_float(inputs["mean"]),
        "std": as_float(inputs["std"]),
    }


GRAPH = StepGraph(
    [
        Calc(
            "gain",
            lambda: leaky_relu_gain(LINEAR_A),
            lambda v: (
                f"`kaiming_uniform_(a=√5)` has gain $\\sqrt{{2/(1 + 5)}} = \\sqrt{{1/3}} = {num(v['gain'])}$."
            ),
            hint="nn.Linear calls kaiming_uniform_ with a = √5, the leaky-ReLU slope; its gain is √(2/(1 + a²)).",
        ),
        Calc(
            "weight_bound",
            lambda gain, fan_in: gain * math.sqrt(3.0 / fan_in),
            lambda v: (
                f"bound $= \\text{{gain}} \\cdot \\sqrt{{3/\\text{{fan\\_in}}}} = 1/\\sqrt{{{v['fan_in']}}} = "
                f"{num(v['weight_bound'], decimals=6)}$."
            ),
            hint="A uniform U(−b, b) has std b/√3; kaiming_uniform_ wants std gain/√fan_in.",
        ),
        Calc(
            "xavier_std",
            lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
            lambda v: (
                f"$\\sigma = \\sqrt{{2/({v['fan_in']} + {v['fan_out']})}} = {num(v['xavier_std'], decimals=6)}$."
            ),
            hint="Glorot's variance is 2/(fan_in + fan_out) whether the draw is normal or uniform.",
        ),
        Calc(
            "trunc_bounds",
            lambda: (TRUNC_A, TRUNC_B),
            lambda v: (
                "`trunc_normal_`'s defaults a = −2, b = 2 are values of the weight, not multiples of std."
            ),
            hint="Read the units of `trunc_normal_`'s a and b in its docstring.",
        ),
        Calc(
            "trunc_low_z",
            lambda trunc_bounds, mean, std: (trunc_bounds[0] - mean) / std,
            lambda v: (
                f"$(a - \\text{{mean}})/\\text{{std}} = ({num(v['trunc_bounds'][0])} - {_signed(v['mean'])})/"
                f"{num(v['std'])} = {num(v['trunc_low_z'])}$."
            ),
        ),
        Calc(
            "trunc_high_z",
            lambda trunc_bounds, mean, std: (trunc_bounds[1] - mean) / std,
            lambda v: (
                f"$(b - \\text{{mean}})/\\text{{std}} = ({num(v['trunc_bounds'][1])} - {_signed(v['mean'])})/"
                f"{num(v['std'])} = {num(v['trunc_high_z'])}$."
            ),
        ),
    ],
    fields=("weight_bound", "xavier_std", "trunc_low_z", "trunc_high_z"),
    misconceptions=[
        WrongStep(
            id="init.default-linear-is-kaiming-relu",
            feedback="You used He's ReLU gain √2 (bound √(6/fan_in)); nn.Linear calls kaiming_uniform_ with "
            "a = √5, whose gain √(1/3) makes the bound 1/√fan_in.",
            root="gain",
            # "PyTorch uses Kaiming init by default" is said often, without the a = √5.
            wrong=lambda: math.sqrt(2.0),
        ),
        WrongStep(
            id="init.default-linear-is-xavier",
            feedback="You gave Glorot's uniform limit √(6/(fan_in + fan_out)); nn.Linear's default is "
            "U(−1/√fan_in, 1/√fan_in).",
            root="weight_bound",
            # Keras's Dense layer defaults to glorot_uniform.
            wrong=lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
        ),
        WrongStep(
            id="init.xavier-normal-std-is-uniform-limit",
            feedback="You gave xavier_uniform_'s limit √(6/(fan_in + fan_out)); xavier_normal_'s std is "
            "√(2/(fan_in + fan_out)).",
            root="xavier_std",
            # The uniform limit is the formula most often quoted for "Xavier".
            wrong=lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out)),
        ),
        WrongStep(
            id="init.trunc-bounds-in-std-units",
            feedback="You read a = −2, b = 2 as standard deviations; trunc_normal_ cuts at the absolute values "
            "−2 and 2, so with a small std it truncates nothing.",
            root="trunc_bounds",
            # scipy's truncnorm and TensorFlow's truncated_normal (±2σ) measure bounds in std units.
            wrong=lambda mean, std: (mean - 2.0 * std, mean + 2.0 * std),
        ),
    ],
    read=_read,
)


class InitDefaultsGenerator(StepGenerator):
    """``init.defaults``: nn.Linear's default bound, xavier_normal_'s std, trunc_normal_'s bounds in σ."""

    id = "init.defaults"
    topic = "practice"
    title = "PyTorch init defaults: nn.Linear bound, xavier_normal_ std, trunc_normal_ bounds"
    answer_fields = {
        "weight_bound": FieldSpec(),
        "xavier_std": FieldSpec(),
        "trunc_low_z": FieldSpec(),
        "trunc_high_z": FieldSpec(),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        fan_in, fan_out = (int(n) for n in rng.choice(SIZES, size=2, replace=False))
        return {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "mean": float(pick(rng, TRUNC_MEANS)),
            "std": float(pick(rng, TRUNC_STDS)),
        }

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        fan_in, fan_out = HAND_FANS[int(rng.integers(len(HAND_FANS)))]
        return {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "mean": float(pick(rng, TRUNC_MEANS)),
            "std": float(pick(rng, TRUNC_STDS)),
        }

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: a square fan_in, and fan_in + fan_out = 2k²

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"For `nn.Linear({v['fan_in']}, {v['fan_out']})`, give the bound $b$ of the uniform "
            "$U(-b, b)$ its weight is initialized from by default (`weight_bound`) and the std of "
            "`xavier_normal_(weight)` with gain 1 (`xavier_std`). A tensor is then filled by "
            f"`trunc_normal_(w, mean={num(v['mean'])}, std={num(v['std'])})` with the default a and b: how "
            "many standard deviations from the mean are its lower and upper cut-offs "
            "(`trunc_low_z` = (a − mean)/std, `trunc_high_z` = (b − mean)/std)?"
        )


register(InitDefaultsGenerator())
