"""Receptive field and jump (stride product) of a stack of convolution and pooling layers.

Convention: the receptive field is measured in input pixels along one axis. With r₀ = 1 and the jump
j₀ = 1 (the distance, in input pixels, between neighbouring positions of the current map), a layer with
kernel k, dilation d and stride s adds (d·(k − 1))·j to the field, where j is the jump *before* the layer,
and multiplies the jump by s: r_L = 1 + Σ_l d_l(k_l − 1)·∏_{i<l} s_i, j_L = ∏_l s_l. Padding moves the
field, never changes its size; max pooling counts as a layer with its kernel and stride (Araujo et al. 2019,
"Computing Receptive Fields of Convolutional Neural Networks", https://distill.pub/2019/computing-receptive-fields/).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_int
from verifier.grading import FieldSpec
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

CONV_KERNELS = (1, 3, 3, 3, 5, 7)
CONV_STRIDES = (1, 1, 1, 2)
POOLS = ((2, 2), (3, 2), (2, 2))  # (kernel, stride) of nn.MaxPool2d
DILATIONS = (1, 1, 1, 2)

Layer = dict[str, Any]


def read_layers(inputs: Inputs) -> list[Layer]:
    """The layers of a question: kind ("conv" or "maxpool"), kernel, stride and dilation, as ints."""
    layers = inputs["layers"]
    if not isinstance(layers, list):
        raise ValueError(f"layers must be a list, got {layers!r}")
    out: list[Layer] = []
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("kind") not in ("conv", "maxpool"):
            raise ValueError(f"a layer must be a conv or maxpool dict, got {layer!r}")
        out.append(
            {"kind": layer["kind"]} | {key: as_int(layer[key]) for key in ("kernel", "stride", "dilation")}
        )
    return out


def _read(inputs: Inputs) -> Values:
    return {"layers": read_layers(inputs)}


def _prefix_products(strides: list[int], *, own: bool) -> list[int]:
    """The jump before each layer (``own``: after it, the wrong belief)."""
    jumps, jump = [], 1
    for stride in strides:
        if own:
            jump *= stride
        jumps.append(jump)
        if not own:
            jump *= stride
    return jumps


def _name(layer: Layer) -> str:
    if layer["kind"] == "maxpool":
        return f"`MaxPool2d({layer['kernel']}, stride={layer['stride']})`"
    dilation = f", dilation={layer['dilation']}" if layer["dilation"] > 1 else ""
    return f"`Conv2d(k={layer['kernel']}, stride={layer['stride']}{dilation})`"


def _field_sum(v: Values) -> str:
    terms = " + ".join(f"{span - 1} \\cdot {jump}" for span, jump in zip(v["spans"], v["jumps"], strict=True))
    return f"r = 1 + {terms} = {v['receptive_field']}"


def _strides(layers: list[Layer]) -> str:
    return r" \cdot ".join(str(layer["stride"]) for layer in layers)


GRAPH = StepGraph(
    [
        Calc(
            "spans",
            lambda layers: [layer["dilation"] * (layer["kernel"] - 1) + 1 for layer in layers],
            lambda v: (
                "Each layer's window spans $d(k-1)+1$ pixels of its own input: "
                + ", ".join(str(span) for span in v["spans"])
                + "."
            ),
            hint="A dilated kernel's window is d(k − 1) + 1 pixels wide.",
        ),
        Calc(
            "jumps",
            lambda layers: _prefix_products([layer["stride"] for layer in layers], own=False),
            lambda v: (
                "The jump before each layer (input pixels between neighbouring positions of its input) "
                "is the product of the earlier strides: " + ", ".join(map(str, v["jumps"])) + "."
            ),
            hint="One step on a layer's input map moves the product of all earlier strides in the image.",
        ),
        Calc(
            "receptive_field",
            lambda spans, jumps: 1 + sum((span - 1) * jump for span, jump in zip(spans, jumps, strict=True)),
            lambda v: f"Each layer widens the field by (span − 1) × its jump: ${_field_sum(v)}$.",
            hint="Start from one pixel; each layer adds (span − 1) steps of the jump before it.",
        ),
        Calc(
            "jump",
            lambda layers: math.prod(layer["stride"] for layer in layers),
            lambda v: (
                "Neighbouring outputs are the product of all strides apart: "
                f"${_strides(v['layers'])} = {v['jump']}$."
            ),
        ),
    ],
    fields=("receptive_field", "jump"),
    misconceptions=[
        WrongStep(
            id="conv.rf-strides-ignored",
            feedback="You added the kernel sizes as if every layer moved one input pixel per step; after a "
            "stride s, each step of the map is s pixels of the image.",
            root="jumps",
            # "Three 3×3 convs see 7×7" holds only without strides, and that example is the famous one.
            wrong=lambda layers: [1] * len(layers),
        ),
        WrongStep(
            id="conv.rf-own-stride",
            feedback="You multiplied a layer's widening by its own stride; its window moves over its input, so "
            "only the strides of earlier layers count.",
            root="jumps",
            # The stride is a property of the layer, so it is tempting to apply it to the layer's own window.
            wrong=lambda layers: _prefix_products([layer["stride"] for layer in layers], own=True),
        ),
        WrongStep(
            id="conv.rf-dilation-ignored",
            feedback="You used the kernel size of the dilated convolution; its window spans d·(k − 1) + 1 pixels.",
            root="spans",
            # A dilated 3×3 kernel still has 9 weights.
            wrong=lambda layers: [layer["kernel"] for layer in layers],
            applies=lambda inputs: any(layer["dilation"] > 1 for layer in read_layers(inputs)),
        ),
    ],
    read=_read,
)


class ReceptiveFieldGenerator(StepGenerator):
    """``conv.receptive_field``: receptive field and jump of a small conv/pool stack."""

    id = "conv.receptive_field"
    topic = "practice"
    title = "Receptive field and jump of a conv/pool stack"
    answer_fields = {"receptive_field": FieldSpec(dtype="int"), "jump": FieldSpec(dtype="int")}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        count = 3 + int(rng.integers(0, 3))
        layers: list[object] = []
        for _ in range(count):
            u = rng.random(4).tolist()
            if u[0] < 0.3 and layers:
                kernel, stride = POOLS[int(u[1] * len(POOLS))]
                layers.append({"kind": "maxpool", "kernel": kernel, "stride": stride, "dilation": 1})
            else:
                kernel = CONV_KERNELS[int(u[1] * len(CONV_KERNELS))]
                dilation = DILATIONS[int(u[3] * len(DILATIONS))] if kernel > 1 else 1
                stride = CONV_STRIDES[int(u[2] * len(CONV_STRIDES))]
                layers.append({"kind": "conv", "kernel": kernel, "stride": stride, "dilation": dilation})
        return {"layers": layers}

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return False  # integer arithmetic

    def prompt(self, inputs: Inputs) -> str:
        layers = read_layers(inputs)
        stack = " → ".join(_name(layer) for layer in layers)
        return (
            f"A network applies, in order: {stack} (square kernels, any padding). Along one axis, how many "
            "input pixels does one output pixel see (`receptive_field`), and how many input pixels apart "
            "are the fields of two neighbouring output pixels (`jump`)?"
        )


register(ReceptiveFieldGenerator())
