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

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import Generator, Step, as_int
from verifier.grading import FieldSpec, Misconception
from verifier.latex import num
from verifier.registry import register

RELU_GAIN = math.sqrt(2.0)  # torch.nn.init.calculate_gain("relu")
DENSE_SIZES = (3, 4, 5, 6, 8, 10, 16, 20, 32, 50, 64, 100, 128, 256)
CONV_CHANNELS = (1, 3, 8, 16, 32, 64)
KERNEL_SIZES = (1, 3, 5, 7)


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


def misconception_fans_swapped(shape: Sequence[int]) -> InitScales:
    """Believes fan_in is the first dimension (out) and fan_out the second.

    Tempting because a dense layer computes ``x @ W`` in many books, with W of shape (in, out); PyTorch
    stores (out, in), so fan_in is ``shape[1]``. Glorot's limit is symmetric, He's std is not.
    """
    fan_in, fan_out = fans(shape)
    return InitScales(fan_out, fan_in, glorot_limit(fan_out, fan_in), he_std(fan_out))


def misconception_conv_fans_without_kernel(shape: Sequence[int]) -> InitScales:
    """Believes a convolution's fans are its channel counts, without the kernel's receptive field.

    Tempting because a dense layer's fans are its two dimensions; each output of a convolution sums
    in·kh·kw inputs, so the kernel area multiplies both fans.
    """
    fan_in, fan_out = shape[1], shape[0]
    return InitScales(fan_in, fan_out, glorot_limit(fan_in, fan_out), he_std(fan_in))


def misconception_he_without_gain(shape: Sequence[int]) -> InitScales:
    """Believes He's std is 1/√fan_in, without ReLU's gain √2 (that is LeCun's initialization).

    Tempting because 1/√fan_in keeps a linear layer's variance; ReLU zeroes half of its inputs, which
    He's factor 2 in the variance compensates.
    """
    fan_in, fan_out = fans(shape)
    return InitScales(fan_in, fan_out, glorot_limit(fan_in, fan_out), he_std(fan_in, gain=1.0))


def misconception_glorot_normal_std_as_limit(shape: Sequence[int]) -> InitScales:
    """Believes the uniform limit is √(2 / (fan_in + fan_out)), Glorot's target standard deviation.

    Tempting because that is the std of ``xavier_normal_``; a uniform U(−a, a) has std a/√3, so the
    limit needs √6 where the std has √2.
    """
    fan_in, fan_out = fans(shape)
    return InitScales(fan_in, fan_out, math.sqrt(2.0 / (fan_in + fan_out)), he_std(fan_in))


def read_shape(inputs: Inputs) -> tuple[int, ...]:
    """The weight shape from a question's inputs (a list of ints, possibly floats after JSON)."""
    value = inputs["shape"]
    if not isinstance(value, list | tuple | np.ndarray):
        raise ValueError(f"shape must be a list of dimensions, got {value!r}")
    shape = tuple(value)
    if all(type(dim) is int for dim in shape):  # the usual case, checked cheaply: every answer rereads it
        return shape
    return tuple(as_int(dim) for dim in shape)


def _answer(scales: InitScales) -> Answer:
    return scales._asdict()


def _is_conv(inputs: Inputs) -> bool:
    return len(read_shape(inputs)) > 2


class FansGenerator(Generator):
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
    misconceptions = (
        Misconception(
            id="init.fans-swapped",
            feedback="You swapped the fans: PyTorch stores a weight as (out, in, ...), so fan_in comes from "
            "the second dimension, and He's std uses fan_in.",
            answer=lambda inputs: _answer(misconception_fans_swapped(read_shape(inputs))),
        ),
        Misconception(
            id="init.conv-fans-without-kernel",
            feedback="You left out the kernel: a convolution's fans are channels × kh × kw.",
            answer=lambda inputs: _answer(misconception_conv_fans_without_kernel(read_shape(inputs))),
            applies=_is_conv,
        ),
        Misconception(
            id="init.he-without-gain",
            feedback="You used 1/√fan_in (LeCun); He's initialization for ReLU has gain √2: σ = √(2/fan_in).",
            answer=lambda inputs: _answer(misconception_he_without_gain(read_shape(inputs))),
        ),
        Misconception(
            id="init.glorot-normal-std-as-limit",
            feedback="You gave √(2/(fan_in+fan_out)), Glorot's standard deviation; the uniform limit is "
            "√(6/(fan_in+fan_out)) because U(−a, a) has std a/√3.",
            answer=lambda inputs: _answer(misconception_glorot_normal_std_as_limit(read_shape(inputs))),
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        return _answer(init_scales(read_shape(inputs)))

    def explain(self, inputs: Inputs) -> list[Step]:
        shape = read_shape(inputs)
        scales = init_scales(shape)
        field = math.prod(shape[2:])
        area = r" \cdot ".join(map(str, shape[2:])) or "1"
        total = scales.fan_in + scales.fan_out
        return [
            Step(
                "receptive_field",
                "Each weight connects one input to one output through the kernel area: "
                f"$r = {area} = {field}$.",
                field,
            ),
            Step(
                "fans",
                f"fan_in = in·r = ${shape[1]} \\cdot {field} = {scales.fan_in}$, "
                f"fan_out = out·r = ${shape[0]} \\cdot {field} = {scales.fan_out}$.",
                [scales.fan_in, scales.fan_out],
            ),
            Step(
                "glorot_limit",
                f"$a = \\sqrt{{6/({scales.fan_in} + {scales.fan_out})}} = \\sqrt{{6/{total}}} = "
                f"{num(scales.glorot_limit)}$.",
                scales.glorot_limit,
            ),
            Step(
                "he_std",
                f"$\\sigma = \\sqrt{{2}}/\\sqrt{{{scales.fan_in}}} = {num(scales.he_std)}$.",
                scales.he_std,
            ),
        ]


register(FansGenerator())
