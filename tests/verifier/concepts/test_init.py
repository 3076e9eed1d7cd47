"""init.fans checked against torch.nn.init: the fans from ``_calculate_fan_in_and_fan_out``, the gains
from ``calculate_gain``, and the scales of tensors actually sampled by ``xavier_uniform_`` and
``kaiming_normal_``; each misconception against what it swaps or drops."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import verifier
from verifier.concepts import init

SEEDS = range(200)
RTOL = 1e-6
GENERATOR = verifier.get("init.fans")


def torch_scales(shape: tuple[int, ...]) -> tuple[int, int, float, float]:
    """Fans, xavier_uniform_'s bound (gain 1) and kaiming_normal_'s std (fan_in, ReLU), from torch.nn.init."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    limit = 1.0 * math.sqrt(6.0 / (fan_in + fan_out))  # xavier_uniform_: gain · √(6/(fan_in+fan_out))
    std = torch.nn.init.calculate_gain("relu") / math.sqrt(fan_in)  # kaiming_normal_: gain / √fan
    return fan_in, fan_out, limit, std


def test_solve_matches_torch_init() -> None:
    kinds = set()
    for seed in SEEDS:
        question = GENERATOR.generate(seed)
        inputs = json.loads(json.dumps(question.inputs_json()))
        shape = init.read_shape(inputs)
        fan_in, fan_out, limit, std = torch_scales(shape)
        answer = GENERATOR.solve(inputs)
        assert (answer["fan_in"], answer["fan_out"]) == (fan_in, fan_out), seed
        assert answer["glorot_limit"] == pytest.approx(limit, rel=RTOL)
        assert answer["he_std"] == pytest.approx(std, rel=RTOL)
        kinds.add(len(shape))
    assert kinds == {2, 4}


@pytest.mark.parametrize("shape", [(300, 200), (256, 3, 5, 5), (128, 16, 3, 1), (64, 32, 3, 3, 3)])
def test_sampled_tensors_have_the_predicted_scale(shape: tuple[int, ...]) -> None:
    """Large tensors drawn by torch.nn.init: the uniform's bound and the normal's std are the predicted ones."""
    generator = torch.Generator().manual_seed(0)
    scales = init.init_scales(shape)
    uniform = torch.nn.init.xavier_uniform_(torch.empty(shape, dtype=torch.float64), generator=generator)
    assert uniform.abs().max().item() <= scales.glorot_limit
    assert uniform.abs().max().item() == pytest.approx(scales.glorot_limit, rel=0.01)
    assert uniform.std().item() == pytest.approx(scales.glorot_limit / math.sqrt(3), rel=0.02)
    normal = torch.empty(shape, dtype=torch.float64)
    torch.nn.init.kaiming_normal_(normal, mode="fan_in", nonlinearity="relu", generator=generator)
    assert normal.std().item() == pytest.approx(scales.he_std, rel=0.02)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 9), min_size=2, max_size=5))
def test_fans_match_torch_for_any_shape(shape: list[int]) -> None:
    assert init.fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dimensions() -> None:
    with pytest.raises(ValueError, match="2 dimensions"):
        init.fans([5])


def test_hand_checked_values() -> None:
    # nn.Linear(3, 5): weight (5, 3): fan_in 3, fan_out 5, a = √(6/8) = 0.866, σ = √(2/3) = 0.8165
    assert init.init_scales((5, 3)) == pytest.approx((3, 5, math.sqrt(0.75), math.sqrt(2 / 3)))
    # nn.Conv2d(3, 16, 3): weight (16, 3, 3, 3): fan_in 27, fan_out 144, a = √(6/171), σ = √(2/27)
    assert init.init_scales((16, 3, 3, 3)) == pytest.approx((27, 144, math.sqrt(6 / 171), math.sqrt(2 / 27)))


def _wrong(misconception_id: str, shape: tuple[int, ...]) -> tuple[float, ...]:
    """The whole answer of a misconception, as the generator derives it from its wrong step."""
    (misconception,) = [m for m in GENERATOR.misconceptions if m.id == misconception_id]
    answer = misconception.answer({"shape": list(shape)})
    return tuple(float(answer[name]) for name in ("fan_in", "fan_out", "glorot_limit", "he_std"))


def test_misconceptions() -> None:
    dense, conv = (5, 3), (16, 3, 3, 3)
    swapped = _wrong("init.fans-swapped", dense)
    assert swapped == pytest.approx((5, 3, math.sqrt(0.75), math.sqrt(2 / 5)))  # Glorot is symmetric
    assert _wrong("init.conv-fans-without-kernel", conv) == pytest.approx(
        (3, 16, math.sqrt(6 / 19), math.sqrt(2 / 3))
    )
    assert _wrong("init.he-without-gain", conv)[3] == pytest.approx(1 / math.sqrt(27))
    assert _wrong("init.glorot-normal-std-as-limit", conv)[2] == pytest.approx(
        torch.nn.init.xavier_normal_(torch.empty(conv), generator=torch.Generator().manual_seed(0))
        .std()
        .item(),
        rel=0.05,
    )


def test_every_question_separates_the_fans() -> None:
    for seed in SEEDS:
        inputs = GENERATOR.generate(seed).inputs
        shape = init.read_shape(inputs)
        assert shape[0] != shape[1]
        assert sum(m.applies_to(inputs) for m in GENERATOR.misconceptions) >= 3
        if len(shape) == 4:
            assert shape[2] * shape[3] > 1


def test_prompt_and_explanation_latex_converts() -> None:
    for seed in range(60):
        question = GENERATOR.generate(seed)
        for text in [question.prompt] + [step.text for step in GENERATOR.explain(question.inputs)]:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        for field in GENERATOR.answer_fields:
            assert f"`{field}`" in question.prompt
