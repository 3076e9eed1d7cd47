"""rnn.param_count checked against torch: ``sum(p.numel() for p in nn.LSTM(...).parameters())`` (and RNN,
GRU), and each misconception against the torch module or parameter subset it amounts to."""

from __future__ import annotations

import json
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import verifier
from verifier.concepts import rnn
from verifier.concepts.rnn import RecurrentLayer

SEEDS = range(200)
GENERATOR = verifier.get("rnn.param_count")


def torch_module(layer: RecurrentLayer, **options: object) -> torch.nn.Module:
    cls = getattr(torch.nn, rnn.TORCH_CLASS[layer.cell])
    module: torch.nn.Module = cls(layer.input_size, layer.hidden_size, layer.num_layers, **options)
    return module


def torch_count(layer: RecurrentLayer, **options: object) -> int:
    return sum(p.numel() for p in torch_module(layer, **options).parameters())


def test_solve_matches_torch_modules() -> None:
    cells = set()
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        layer = rnn.read_layer(inputs)
        assert GENERATOR.solve(inputs)["params"] == torch_count(layer), seed
        cells.add(layer.cell)
    assert cells == set(rnn.CELLS)


@settings(max_examples=60, deadline=None)
@given(
    cell=st.sampled_from(rnn.CELLS),
    input_size=st.integers(1, 20),
    hidden_size=st.integers(1, 20),
    num_layers=st.integers(1, 4),
)
def test_param_count_matches_torch_for_any_size(
    cell: rnn.Cell, input_size: int, hidden_size: int, num_layers: int
) -> None:
    layer = RecurrentLayer(cell, input_size, hidden_size, num_layers)
    assert rnn.param_count(layer) == torch_count(layer)


def test_hand_checked_values() -> None:
    # LSTM(10, 20): 4·20·(10 + 20) + 2·4·20 = 2400 + 160 = 2560
    assert rnn.param_count(RecurrentLayer("lstm", 10, 20, 1)) == 2560
    # GRU(3, 4, 2 layers): 3·4·7 + 24 = 108, then 3·4·8 + 24 = 120 → 228
    assert rnn.param_count(RecurrentLayer("gru", 3, 4, 2)) == 228
    # RNN(2, 3): 3·(2 + 3) + 6 = 21
    assert rnn.param_count(RecurrentLayer("rnn", 2, 3, 1)) == 21


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_one_bias_is_torch_without_the_hidden_bias(cell: rnn.Cell) -> None:
    layer = RecurrentLayer(cell, 5, 7, 3)
    module = torch_module(layer)
    without_b_hh = sum(p.numel() for name, p in module.named_parameters() if not name.startswith("bias_hh"))
    assert rnn.misconception_one_bias_vector(layer) == without_b_hh


@pytest.mark.parametrize("cell", rnn.CELLS)
def test_no_recurrent_weights_is_torch_without_weight_hh(cell: rnn.Cell) -> None:
    layer = RecurrentLayer(cell, 5, 7, 2)
    module = torch_module(layer)
    without_w_hh = sum(p.numel() for name, p in module.named_parameters() if not name.startswith("weight_hh"))
    assert rnn.misconception_no_recurrent_weights(layer) == without_w_hh


def test_gates_without_candidate_counts_one_block_fewer() -> None:
    # An LSTM counted with 3 blocks and a GRU with 2: 3/4 and 2/3 of the true counts (every term has G).
    lstm, gru = RecurrentLayer("lstm", 6, 5, 2), RecurrentLayer("gru", 6, 5, 2)
    assert rnn.misconception_gates_without_candidate(lstm) * 4 == torch_count(lstm) * 3
    assert rnn.misconception_gates_without_candidate(gru) * 3 == torch_count(gru) * 2


def test_upper_layers_taking_input_size_is_a_stack_of_first_layers() -> None:
    layer = RecurrentLayer("lstm", 3, 8, 3)
    single = torch_count(RecurrentLayer("lstm", 3, 8, 1))
    assert rnn.misconception_upper_layers_take_input_size(layer) == 3 * single
    assert rnn.misconception_upper_layers_take_input_size(layer) != torch_count(layer)


def test_misconceptions_apply_where_they_mean_something() -> None:
    for seed in SEEDS:
        inputs = GENERATOR.generate(seed).inputs
        layer = rnn.read_layer(inputs)
        applying = {m.id for m in GENERATOR.misconceptions if m.applies_to(inputs)}
        assert ("rnn.lstm-one-bias" in applying) == (layer.cell == "lstm")
        assert ("rnn.gates-without-candidate" in applying) == (layer.cell != "rnn")
        assert len(applying) >= 2


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cell"):
        rnn.read_layer({"cell": "transformer", "input_size": 3, "hidden_size": 4, "num_layers": 1})


def test_prompt_and_explanation_latex_converts() -> None:
    for seed in range(60):
        question = GENERATOR.generate(seed)
        steps = GENERATOR.explain(question.inputs)
        for text in [question.prompt] + [step.text for step in steps]:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        assert "`params`" in question.prompt
        assert steps[-1].value == GENERATOR.solve(question.inputs)["params"]
