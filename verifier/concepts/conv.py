"""The arithmetic of one ``torch.nn.Conv2d`` layer: output size, parameter count, multiply-accumulates.

Convention (the ``torch.nn.Conv2d`` documentation, https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html):
with padding p on both sides, dilation d and stride s, a kernel of size k spans d·(k − 1) + 1 input pixels
and the output has ⌊(H + 2p − d·(k − 1) − 1) / s⌋ + 1 rows (floor, never ceil). Each of the ``out`` filters
sees ``in/groups`` channels, so the weight has out·(in/groups)·kh·kw entries, plus ``out`` biases. The
multiply-accumulates (MACs) of one image are out_h·out_w·out·(in/groups)·kh·kw; adding the bias is not a MAC
(Dumoulin & Visin 2016, "A guide to convolution arithmetic", https://arxiv.org/abs/1603.07285).
"""

from __future__ import annotations

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_int
from verifier.grading import FieldSpec
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

IN_CHANNELS = (3, 4, 8, 16, 32)
OUT_CHANNELS = (8, 16, 32, 64)
KERNELS = (1, 3, 5, 7)
STRIDES = (1, 2, 2, 3)
PADDINGS = (0, 1, 2, 3)
DILATIONS = (1, 1, 2, 3)
GROUPS = (1, 1, 2, 4)
SIZES = tuple(range(7, 41))
INT_NAMES = ("in_channels", "out_channels", "height", "width", "stride", "padding", "dilation", "groups")


def conv_out_size(size: int, kernel: int, *, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis, ``torch.nn.Conv2d``'s floor formula."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _read(inputs: Inputs) -> Values:
    values: Values = {name: as_int(inputs[name]) for name in INT_NAMES}
    kernel = inputs["kernel"]
    if not isinstance(kernel, list | tuple | np.ndarray) or len(kernel) != 2:
        raise ValueError(f"kernel must be [kh, kw], got {kernel!r}")
    values["kernel"] = (as_int(kernel[0]), as_int(kernel[1]))
    values["bias"] = bool(inputs["bias"])
    return values


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


GRAPH = StepGraph(
    [
        Calc(
            "padded",
            lambda height, width, padding: (height + 2 * padding, width + 2 * padding),
            lambda v: (
                f"Padding {v['padding']} is added on both sides: "
                f"${v['height']} + 2 \\cdot {v['padding']} = {v['padded'][0]}$ rows and "
                f"${v['width']} + 2 \\cdot {v['padding']} = {v['padded'][1]}$ columns."
            ),
            hint="`padding=p` pads every side: top and bottom, left and right.",
        ),
        Calc(
            "span",
            lambda kernel, dilation: (dilation * (kernel[0] - 1) + 1, dilation * (kernel[1] - 1) + 1),
            lambda v: (
                f"With dilation {v['dilation']} the kernel spans $d(k-1)+1$ pixels: "
                f"${v['dilation']} \\cdot ({v['kernel'][0]} - 1) + 1 = {v['span'][0]}$ by "
                f"${v['dilation']} \\cdot ({v['kernel'][1]} - 1) + 1 = {v['span'][1]}$."
            ),
            hint="Dilation d leaves d − 1 gaps between kernel taps: the kernel covers d(k − 1) + 1 pixels.",
        ),
        Calc(
            "out_size",
            lambda padded, span, stride: tuple(
                (p - k) // stride + 1 for p, k in zip(padded, span, strict=True)
            ),
            lambda v: (
                f"Positions of the window, stride {v['stride']}, rounding down: "
                f"$\\lfloor ({v['padded'][0]} - {v['span'][0]}) / {v['stride']} \\rfloor + 1 = {v['out_size'][0]}$"
                f" and $\\lfloor ({v['padded'][1]} - {v['span'][1]}) / {v['stride']} \\rfloor + 1 = "
                f"{v['out_size'][1]}$."
            ),
            hint="A window that would run past the padded edge is dropped: PyTorch rounds down.",
        ),
        Calc("out_h", lambda out_size: out_size[0], lambda v: f"`out_h` $= {v['out_h']}$."),
        Calc("out_w", lambda out_size: out_size[1], lambda v: f"`out_w` $= {v['out_w']}$."),
        Calc(
            "per_filter",
            lambda in_channels, groups, kernel: in_channels // groups * kernel[0] * kernel[1],
            lambda v: (
                f"Each filter sees in/groups $= {v['in_channels']}/{v['groups']} = "
                f"{v['in_channels'] // v['groups']}$ channels: "
                f"${v['in_channels'] // v['groups']} \\cdot {v['kernel'][0]} \\cdot {v['kernel'][1]} = "
                f"{v['per_filter']}$ weights per filter."
            ),
            hint="With groups g, each output channel is connected to only in/g input channels.",
        ),
        Calc(
            "params",
            lambda out_channels, per_filter, bias: out_channels * per_filter + (out_channels if bias else 0),
            lambda v: (
                f"${v['out_channels']} \\cdot {v['per_filter']}"
                + (f" + {v['out_channels']}" if v["bias"] else "")
                + f" = {v['params']}$ parameters"
                + (" (one bias per output channel)." if v["bias"] else " (no bias).")
            ),
            hint="Count the bias: one per output channel when `bias=True`.",
        ),
        Calc(
            "macs",
            lambda out_h, out_w, out_channels, per_filter: out_h * out_w * out_channels * per_filter,
            lambda v: (
                "Every output value is one filter's dot product: "
                f"${v['out_h']} \\cdot {v['out_w']} \\cdot {v['out_channels']} \\cdot {v['per_filter']} = "
                f"{v['macs']}$ multiply-accumulates."
            ),
            hint="Outputs × weights per filter; the bias is an addition, not a multiply-accumulate.",
        ),
    ],
    fields=("out_h", "out_w", "params", "macs"),
    misconceptions=[
        WrongStep(
            id="conv.padding-one-side",
            feedback="You added the padding once; `padding=p` pads both sides, so the size grows by 2p.",
            root="padded",
            # "padding 1 adds one pixel" reads naturally; the formula's 2p says both edges.
            wrong=lambda height, width, padding: (height + padding, width + padding),
            applies=lambda inputs: as_int(inputs["padding"]) > 0,
        ),
        WrongStep(
            id="conv.dilation-ignored",
            feedback="You used the kernel size as its span; a dilated kernel covers d·(k − 1) + 1 pixels.",
            root="span",
            # The kernel still has k taps, which makes it easy to forget they are spread out.
            wrong=lambda kernel, dilation: (kernel[0], kernel[1]),  # noqa: ARG005 - the belief drops d
            applies=lambda inputs: as_int(inputs["dilation"]) > 1,
        ),
        WrongStep(
            id="conv.ceil-rounding",
            feedback="You rounded up; `nn.Conv2d` rounds down, dropping a window that would not fit.",
            root="out_size",
            # Rounding up is what "cover every pixel" suggests, and pooling's ceil_mode exists.
            wrong=lambda padded, span, stride: tuple(
                _ceil_div(p - k, stride) + 1 for p, k in zip(padded, span, strict=True)
            ),
            applies=lambda inputs: _uneven(_read(inputs)),
        ),
        WrongStep(
            id="conv.groups-ignored",
            feedback="You ignored the groups: each filter sees only in/groups channels, which divides the "
            "weights and the MACs by groups.",
            root="per_filter",
            # Grouped convolution looks like an ordinary one in the constructor call.
            wrong=lambda in_channels, groups, kernel: in_channels * kernel[0] * kernel[1],  # noqa: ARG005
            applies=lambda inputs: as_int(inputs["groups"]) > 1,
        ),
        WrongStep(
            id="conv.bias-forgotten",
            feedback="You left out the biases: `bias=True` adds one parameter per output channel.",
            root="params",
            # The weight tensor's shape is what one sees first; the bias is a second tensor.
            wrong=lambda out_channels, per_filter, bias: out_channels * per_filter,  # noqa: ARG005
            applies=lambda inputs: bool(inputs["bias"]),
        ),
    ],
    read=_read,
)


def _uneven(values: Values) -> bool:
    """Whether rounding up gives another size than rounding down along some axis."""
    padded = (values["height"] + 2 * values["padding"], values["width"] + 2 * values["padding"])
    kernel, dilation, stride = values["kernel"], values["dilation"], values["stride"]
    return any((p - dilation * (k - 1) - 1) % stride != 0 for p, k in zip(padded, kernel, strict=True))


class ConvShapeGenerator(StepGenerator):
    """``conv.output_shape``: output size, parameter count and MACs of one ``nn.Conv2d``."""

    id = "conv.output_shape"
    topic = "practice"
    title = "Conv2d output size, parameters and multiply-accumulates"
    answer_fields = {
        "out_h": FieldSpec(dtype="int"),
        "out_w": FieldSpec(dtype="int"),
        "params": FieldSpec(dtype="int"),
        "macs": FieldSpec(dtype="int"),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(12).tolist()

        def pick(options: tuple[int, ...], x: float) -> int:
            return options[int(x * len(options))]

        in_channels, out_channels = pick(IN_CHANNELS, u[0]), pick(OUT_CHANNELS, u[1])
        groups = pick(GROUPS, u[2])
        if in_channels % groups or out_channels % groups:
            groups = 1
        kernel = pick(KERNELS[1:], u[3])
        kernel_w = kernel if u[4] < 0.8 else pick(KERNELS, u[5])
        height = pick(SIZES, u[6])
        width = height if u[7] < 0.5 else pick(SIZES, u[8])
        return {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "height": height,
            "width": width,
            "kernel": [kernel, kernel_w],
            "stride": pick(STRIDES, u[9]),
            "padding": pick(PADDINGS, u[10]),
            "dilation": pick(DILATIONS, u[11]),
            "groups": groups,
            "bias": bool(u[2] < 0.7),
        }

    def acceptable(self, inputs: Inputs) -> bool:
        values = _read(inputs)
        padded = (values["height"] + 2 * values["padding"], values["width"] + 2 * values["padding"])
        span = max(values["dilation"] * (k - 1) + 1 for k in values["kernel"])
        applicable = sum(m.applies_to(inputs) for m in self.misconceptions)
        return min(padded) >= span + values["stride"] and applicable >= 2

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return False  # integer arithmetic

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        kh, kw = v["kernel"]
        return (
            f"An input of shape $(N, {v['in_channels']}, {v['height']}, {v['width']})$ goes through "
            f"`nn.Conv2d({v['in_channels']}, {v['out_channels']}, kernel_size=({kh}, {kw}), "
            f"stride={v['stride']}, padding={v['padding']}, dilation={v['dilation']}, "
            f"groups={v['groups']}, bias={v['bias']})`. Give the output height `out_h` and width `out_w`, "
            "the layer's number of trainable parameters `params`, and the multiply-accumulates `macs` it "
            "performs for one image (adding the bias is not a multiply-accumulate)."
        )


register(ConvShapeGenerator())
