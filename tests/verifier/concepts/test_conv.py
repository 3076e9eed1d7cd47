"""conv.output_shape checked against ``torch.nn.Conv2d``: the output tensor's shape, the parameter count
of the module and the MACs counted from the layer's weight shape; each misconception against what it
drops. conv.receptive_field checked by back-propagating from one output pixel through the stack."""

from __future__ import annotations

import json

import torch

import verifier
from verifier.concepts import conv, conv_receptive_field

SEEDS = range(200)
SHAPE = verifier.get("conv.output_shape")
FIELD = verifier.get("conv.receptive_field")


def _inputs(generator: verifier.Generator, seed: int, *, calculator: bool = True) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        json.dumps(generator.generate(seed, calculator=calculator).inputs_json())
    )
    return loaded


def _torch_conv(inputs: dict[str, object]) -> tuple[int, int, int, int]:
    v = conv._read(inputs)
    layer = torch.nn.Conv2d(
        v["in_channels"],
        v["out_channels"],
        kernel_size=v["kernel"],
        stride=v["stride"],
        padding=v["padding"],
        dilation=v["dilation"],
        groups=v["groups"],
        bias=v["bias"],
    )
    with torch.no_grad():
        out = layer(torch.zeros(1, v["in_channels"], v["height"], v["width"]))
    params = sum(p.numel() for p in layer.parameters() if p.requires_grad)
    weight = layer.weight  # (out, in/groups, kh, kw): one multiply-accumulate per weight per output position
    macs = out.shape[2] * out.shape[3] * weight.numel()
    return out.shape[2], out.shape[3], params, macs


def test_output_shape_matches_torch() -> None:
    seen = set()
    for seed in SEEDS:
        inputs = _inputs(SHAPE, seed)
        answer = SHAPE.solve(inputs)
        assert tuple(answer[name] for name in ("out_h", "out_w", "params", "macs")) == _torch_conv(inputs), (
            seed
        )
        seen |= {m.id for m in SHAPE.misconceptions if m.applies_to(inputs)}
    assert seen == {m.id for m in SHAPE.misconceptions}


def test_conv_out_size_is_torchs_formula() -> None:
    for size in range(5, 30):
        for kernel, stride, padding, dilation in [(3, 1, 1, 1), (3, 2, 0, 2), (5, 3, 2, 1), (7, 2, 3, 1)]:
            if size + 2 * padding < dilation * (kernel - 1) + 1:
                continue
            out = torch.nn.functional.conv2d(
                torch.zeros(1, 1, size, size),
                torch.zeros(1, 1, kernel, kernel),
                stride=stride,
                padding=padding,
                dilation=dilation,
            )
            assert (
                conv.conv_out_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
                == out.shape[2]
            )


def _wrong(misconception_id: str, inputs: dict[str, object]) -> dict[str, object]:
    (misconception,) = [m for m in SHAPE.misconceptions if m.id == misconception_id]
    return dict(misconception.answer(inputs))


def test_conv_misconceptions_by_hand() -> None:
    inputs: dict[str, object] = {
        "in_channels": 8,
        "out_channels": 16,
        "height": 10,
        "width": 10,
        "kernel": [3, 3],
        "stride": 2,
        "padding": 1,
        "dilation": 2,
        "groups": 2,
        "bias": True,
    }
    # span 5, padded 12: (12 - 5) // 2 + 1 = 4; 4 in-channels per filter: 16·36 + 16 = 592 parameters
    assert SHAPE.solve(inputs) == {"out_h": 4, "out_w": 4, "params": 592, "macs": 4 * 4 * 16 * 36}
    assert _wrong("conv.padding-one-side", inputs)["out_h"] == (11 - 5) // 2 + 1
    assert _wrong("conv.dilation-ignored", inputs)["out_h"] == (12 - 3) // 2 + 1
    assert _wrong("conv.ceil-rounding", inputs)["out_h"] == 5  # ⌈7/2⌉ + 1
    assert _wrong("conv.groups-ignored", inputs)["params"] == 16 * 72 + 16
    assert _wrong("conv.bias-forgotten", inputs)["params"] == 16 * 36


def _torch_receptive_field(layers: list[dict[str, object]]) -> tuple[int, int]:
    """Extent of the input gradient of output pixel 0, and the shift from pixel 0's to pixel 1's start."""
    modules: list[torch.nn.Module] = []
    for layer in layers:
        kernel, stride, dilation = int(layer["kernel"]), int(layer["stride"]), int(layer["dilation"])  # type: ignore[call-overload]
        if layer["kind"] == "conv":
            module = torch.nn.Conv1d(1, 1, kernel, stride=stride, dilation=dilation, bias=False)
            torch.nn.init.ones_(module.weight)
            modules.append(module)
        else:  # average pooling routes gradient to every pixel of the window that max pooling would read
            modules.append(torch.nn.AvgPool1d(kernel, stride=stride))
    net = torch.nn.Sequential(*modules).double()
    x = torch.zeros(1, 1, 600, dtype=torch.float64, requires_grad=True)
    out = net(x)
    starts = []
    for position in (0, 1):
        (grad,) = torch.autograd.grad(out[0, 0, position], x, retain_graph=True)
        nonzero = grad[0, 0].nonzero().flatten()
        starts.append(int(nonzero[0]))
        if position == 0:
            extent = int(nonzero[-1]) - int(nonzero[0]) + 1
    return extent, starts[1] - starts[0]


def test_receptive_field_matches_torch() -> None:
    for seed in SEEDS:
        inputs = _inputs(FIELD, seed)
        answer = FIELD.solve(inputs)
        layers = conv_receptive_field.read_layers(inputs)
        assert (answer["receptive_field"], answer["jump"]) == _torch_receptive_field(layers), seed


def test_receptive_field_misconceptions_by_hand() -> None:
    layers = [
        {"kind": "conv", "kernel": 3, "stride": 1, "dilation": 1},
        {"kind": "maxpool", "kernel": 2, "stride": 2, "dilation": 1},
        {"kind": "conv", "kernel": 3, "stride": 1, "dilation": 2},
    ]
    inputs = {"layers": layers}
    # 1 + 2·1 + 1·1 + 4·2 = 12, jump 2
    assert FIELD.solve(inputs) == {"receptive_field": 12, "jump": 2}
    answers = {m.id: m.answer(inputs)["receptive_field"] for m in FIELD.misconceptions}
    assert answers["conv.rf-strides-ignored"] == 1 + 2 + 1 + 4
    assert answers["conv.rf-own-stride"] == 1 + 2 + 1 * 2 + 4 * 2
    assert answers["conv.rf-dilation-ignored"] == 1 + 2 + 1 + 2 * 2


def test_whiteboard_mode_gives_integer_questions_without_calculator() -> None:
    for generator in (SHAPE, FIELD):
        for seed in range(20):
            question = generator.generate(seed, calculator=False)
            assert not question.needs_calculator and not question.calculator
            assert "No calculator needed" in question.prompt
