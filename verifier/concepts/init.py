"""Weight initialization scales from a weight tensor's fans, as ``torch.nn.init`` computes them.

Convention (PyTorch's ``_calculate_fan_in_and_fan_out``): a dense weight has shape (out, in) and a
convolution kernel (out, in, kh, kw); with the receptive field r = kh·kw (1 for dense),
fan_in = in·r and fan_out = out·r. ``xavier_uniform_`` with gain 1 samples U(−a, a) with
a = √(6 / (fan_in + fan_out)) (Glorot & Bengio 2010, https://proceedings.mlr.press/v9/glorot10a.html);
``kaiming_normal_(mode="fan_in", nonlinearity="relu")`` samples N(0, σ²) with σ = √2 / √fan_in
(He et al. 2015, https://arxiv.org/abs/1502.01852).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_int
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

RELU_GAIN = math.sqrt(2.0)  # torch.nn.init.calculate_gain("relu")
DENSE_SIZES = (3, 4, 5, 6, 8, 10, 16, 20, 32, 50, 64, 100, 128, 256)
CONV_CHANNELS = (1, 3, 8, 16, 32, 64)
KERNEL_SIZES = (1, 3, 5, 7)
# Whiteboard shapes: fan_in = 2k² makes √(2/fan_in) = 1/k, and fan_in + fan_out = 6j² makes √(6/(fan_in +
# fan_out)) = 1/j: [22, 32] has He σ = 1/4 and Glorot limit 1/3. (fan_out = 2·fan_in would make the two
# equal, and a swap of the fields invisible.)
HAND_SHAPES = (
    (6, 18), (22, 32), (46, 50), (78, 72), (88, 128), (184, 200),
    (22, 2, 3, 3), (46, 8, 3, 3), (22, 32, 3, 3), (22, 2, 5, 5), (46, 8, 5, 5),
)  # fmt: skip


class InitScales(NamedTuple):
    """The fans of a weight shape and the two initialization scales that depend on them."""

    fan_in: int
    fan_out: int
    glorot_limit: float
    he_std: float


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape`` (out, in, *kernel): in·r and out·r with r = ∏ kernel."""
    if len(shape) < 2:
        raise ValueError(f"fans need a weight with at least 2 dimensions, got shape {tuple(shape)}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def glorot_limit(fan_in: int, fan_out: int, *, gain: float = 1.0) -> float:
    """Bound a of ``xavier_uniform_``: U(−a, a) has variance 2 / (fan_in + fan_out) times gain²."""
    return gain * math.sqrt(6.0 / (fan_in + fan_out))


def he_std(fan: int, *, gain: float = RELU_GAIN) -> float:
    """Standard deviation of ``kaiming_normal_``: gain / √fan (ReLU's gain √2 keeps the activations' scale)."""
    return gain / math.sqrt(fan)


def init_scales(shape: Sequence[int]) -> InitScales:
    """Fans, Glorot-uniform limit (gain 1) and He-normal std (fan_in, ReLU) of a weight of ``shape``."""
    fan_in, fan_out = fans(shape)
    return InitScales(fan_in, fan_out, glorot_limit(fan_in, fan_out), he_std(fan_in))


def read_shape(inputs: Inputs) -> tuple[int, ...]:
    """The weight shape from a question's inputs (a list of ints, possibly floats after JSON)."""
    value = inputs["shape"]
    if not isinstance(value, list | tuple | np.ndarray):
        raise ValueError(f"shape must be a list of dimensions, got {value!r}")
    shape = tuple(value)
    if all(type(dim) is int for dim in shape):  # the usual case, checked cheaply: every answer rereads it
        return shape
    return tuple(as_int(dim) for dim in shape)


def _is_conv(inputs: Inputs) -> bool:
    return len(read_shape(inputs)) > 2


def _read(inputs: Inputs) -> Values:
    return {"shape": read_shape(inputs)}


def _product(dims: Sequence[int]) -> str:
    return r" \cdot ".join(map(str, dims)) or "1"


GRAPH = StepGraph(
    [
        Calc(
            "receptive_field",
            lambda shape: math.prod(shape[2:]),
            lambda v: (
                "Each weight connects one input to one output through the kernel area: "
                f"$r = {_product(v['shape'][2:])} = {v['receptive_field']}$."
            ),
            hint="A convolution's fans count every input of the kernel window, not just the channels.",
        ),
        Calc(
            "fans",
            lambda shape, receptive_field: (shape[1] * receptive_field, shape[0] * receptive_field),
            lambda v: (
                f"PyTorch stores the weight as (out, in, ...): fan_in = in·r = "
                f"${v['shape'][1]} \\cdot {v['receptive_field']} = {v['fans'][0]}$, fan_out = out·r = "
                f"${v['shape'][0]} \\cdot {v['receptive_field']} = {v['fans'][1]}$."
            ),
            hint="`nn.Linear(in, out)` stores its weight as (out, in).",
        ),
        Calc("fan_in", lambda fans: fans[0], lambda v: f"`fan_in` $= {v['fan_in']}$."),
        Calc("fan_out", lambda fans: fans[1], lambda v: f"`fan_out` $= {v['fan_out']}$."),
        Calc(
            "glorot_limit",
            lambda fan_in, fan_out: glorot_limit(fan_in, fan_out),
            lambda v: (
                f"$a = \\sqrt{{6/({v['fan_in']} + {v['fan_out']})}} = "
                f"\\sqrt{{6/{v['fan_in'] + v['fan_out']}}} = {num(v['glorot_limit'])}$."
            ),
            hint="$U(-a, a)$ has variance $a^2/3$; Glorot wants variance $2/(\\text{fan\\_in} + "
            "\\text{fan\\_out})$.",
        ),
        Calc(
            "he_std",
            lambda fan_in: he_std(fan_in),
            lambda v: f"$\\sigma = \\sqrt{{2}}/\\sqrt{{{v['fan_in']}}} = {num(v['he_std'])}$.",
            hint="He's initialization doubles LeCun's variance $1/\\text{fan\\_in}$ to make up for ReLU.",
        ),
    ],
    fields=("fan_in", "fan_out", "glorot_limit", "he_std"),
    misconceptions=[
        WrongStep(
            id="init.fans-swapped",
            feedback="You swapped the fans: PyTorch stores a weight as (out, in, ...), so fan_in comes from "
            "the second dimension, and He's std uses fan_in.",
            root="fans",
            # Believes a dense layer's weight is (in, out), as in books that compute ``x @ W``.
            wrong=lambda shape, receptive_field: (shape[0] * receptive_field, shape[1] * receptive_field),
        ),
        WrongStep(
            id="init.conv-fans-without-kernel",
            feedback="You left out the kernel: a convolution's fans are channels × kh × kw.",
            root="receptive_field",
            # Believes the fans are the channel counts, as a dense layer's are its two dimensions.
            wrong=lambda shape: 1,  # noqa: ARG005 - the wrong belief ignores the kernel
            applies=_is_conv,
        ),
        WrongStep(
            id="init.he-without-gain",
            feedback="You used 1/√fan_in (LeCun); He's initialization for ReLU has gain √2: σ = √(2/fan_in).",
            root="he_std",
            # 1/√fan_in keeps a linear layer's variance; ReLU zeroes half its inputs, which gain √2 restores.
            wrong=lambda fan_in: he_std(fan_in, gain=1.0),
        ),
        WrongStep(
            id="init.glorot-normal-std-as-limit",
            feedback="You gave √(2/(fan_in+fan_out)), Glorot's standard deviation; the uniform limit is "
            "√(6/(fan_in+fan_out)) because U(−a, a) has std a/√3.",
            root="glorot_limit",
            # √(2/(fan_in + fan_out)) is xavier_normal_'s std; a uniform's limit is √3 times its std.
            wrong=lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
        ),
    ],
    read=_read,
)


class FansGenerator(StepGenerator):
    """``init.fans``: fans of a dense or convolution weight, Glorot's uniform limit and He's std."""

    id = "init.fans"
    topic = "practice"
    title = "Fans, Glorot (Xavier) uniform limit and He (Kaiming) std"
    answer_fields = {
        "fan_in": FieldSpec(dtype="int"),
        "fan_out": FieldSpec(dtype="int"),
        "glorot_limit": FieldSpec(),
        "he_std": FieldSpec(),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        draws = rng.random(5).tolist()
        if draws[0] < 0.5:
            shape: list[object] = [DENSE_SIZES[int(u * len(DENSE_SIZES))] for u in draws[1:3]]
        else:
            kernel = KERNEL_SIZES[1 + int(draws[3] * (len(KERNEL_SIZES) - 1))]  # a 1×1 kernel has no area
            kh, kw = (kernel, kernel) if draws[4] < 0.8 else (kernel, 1)
            out_channels = CONV_CHANNELS[1 + int(draws[1] * (len(CONV_CHANNELS) - 1))]
            in_channels = CONV_CHANNELS[int(draws[2] * len(CONV_CHANNELS))]  # may be a 1-channel image
            shape = [out_channels, in_channels, kh, kw]
        return {"shape": shape}

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {"shape": list(HAND_SHAPES[int(rng.integers(len(HAND_SHAPES)))])}

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: fan_in = 2k² and fan_in + fan_out = 6j², so both roots are exact

    def acceptable(self, inputs: Inputs) -> bool:
        shape = read_shape(inputs)
        return shape[0] != shape[1]  # otherwise swapping the fans changes nothing

    def prompt(self, inputs: Inputs) -> str:
        shape = read_shape(inputs)
        layer = (
            f"a dense layer `nn.Linear({shape[1]}, {shape[0]})`"
            if len(shape) == 2
            else f"a convolution `nn.Conv2d({shape[1]}, {shape[0]}, kernel_size=({shape[2]}, {shape[3]}))`"
        )
        return (
            f"The weight of {layer} has PyTorch shape $({', '.join(map(str, shape))})$. Give its fans "
            "`fan_in` and `fan_out` as `torch.nn.init` computes them, the bound $a$ of "
            "`xavier_uniform_(w, gain=1)`, which samples $U(-a, a)$ (`glorot_limit`), and the standard "
            'deviation of `kaiming_normal_(w, mode="fan_in", nonlinearity="relu")` (`he_std`).'
        )


register(FansGenerator())
