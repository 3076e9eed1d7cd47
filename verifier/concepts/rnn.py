"""Parameter counts of PyTorch's recurrent layers: ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``.

Convention (PyTorch, unidirectional, ``bias=True``): a cell has G weight blocks, one per gate or
candidate (RNN 1, GRU 3: reset, update, new; LSTM 4: input, forget, cell, output). Layer l has
``W_ih`` (G·h × in_l), ``W_hh`` (G·h × h) and **two** bias vectors ``b_ih`` and ``b_hh`` (G·h each,
kept separately for cuDNN compatibility), where in_0 = input_size and in_l = hidden_size above the
first layer: G·h·(in_l + h) + 2·G·h parameters. Keras uses a single bias per layer, hence the common
off-by-G·h answers. Sources: DLB 10.10 (LSTM), Cho et al. 2014 (GRU, https://arxiv.org/abs/1406.1078),
and the ``torch.nn.LSTM`` documentation.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

import numpy as np

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import Generator, Step, as_int
from verifier.grading import FieldSpec, Misconception
from verifier.registry import register

Cell = Literal["rnn", "lstm", "gru"]
CELLS: Final[tuple[Cell, ...]] = ("rnn", "lstm", "gru")
GATE_BLOCKS: Final[dict[Cell, int]] = {"rnn": 1, "gru": 3, "lstm": 4}
TORCH_CLASS: Final[dict[Cell, str]] = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
INPUT_SIZES = tuple(range(1, 13))
HIDDEN_SIZES = tuple(range(2, 13))
LAYER_CHOICES = (1, 1, 2, 2, 3)


class RecurrentLayer(NamedTuple):
    """A recurrent layer's constructor arguments (unidirectional, with biases)."""

    cell: Cell
    input_size: int
    hidden_size: int
    num_layers: int


def layer_param_count(blocks: int, layer_input: int, hidden: int, *, bias_vectors: int = 2) -> int:
    """One layer: W_ih (G·h × in), W_hh (G·h × h) and ``bias_vectors`` biases of G·h each."""
    return blocks * hidden * (layer_input + hidden) + bias_vectors * blocks * hidden


def param_count(layer: RecurrentLayer) -> int:
    """PyTorch's parameter count: ``sum(p.numel() for p in nn.LSTM(...).parameters())``."""
    blocks = GATE_BLOCKS[layer.cell]
    h = layer.hidden_size
    first = layer_param_count(blocks, layer.input_size, h)
    return first + (layer.num_layers - 1) * layer_param_count(blocks, h, h)


def misconception_one_bias_vector(layer: RecurrentLayer) -> int:
    """Believes each layer has one bias vector per gate block (G·h), as Keras and the equations show.

    Tempting because the textbook LSTM has one b per gate; PyTorch keeps b_ih and b_hh separately.
    """
    blocks, h = GATE_BLOCKS[layer.cell], layer.hidden_size
    return param_count(layer) - layer.num_layers * blocks * h


def misconception_gates_without_candidate(layer: RecurrentLayer) -> int:
    """Believes only the gates have weights, forgetting the candidate block (LSTM 3 blocks, GRU 2).

    Tempting because the cells are described by their gates (input, forget, output; reset, update); the
    candidate (cell input g, GRU's new state n) has its own W_ih, W_hh and biases too.
    """
    blocks, h = GATE_BLOCKS[layer.cell] - 1, layer.hidden_size
    return layer_param_count(blocks, layer.input_size, h) + (layer.num_layers - 1) * layer_param_count(
        blocks, h, h
    )


def misconception_no_recurrent_weights(layer: RecurrentLayer) -> int:
    """Believes a layer only has input weights and biases, forgetting W_hh (h × h per block).

    Tempting when thinking of the cell as a dense layer on x_t; the recurrence h_{t−1} → h_t has its
    own weight matrix in every block.
    """
    blocks, h = GATE_BLOCKS[layer.cell], layer.hidden_size
    return param_count(layer) - layer.num_layers * blocks * h * h


def misconception_upper_layers_take_input_size(layer: RecurrentLayer) -> int:
    """Believes every layer of a stack reads input_size features.

    Tempting because ``input_size`` is the only input dimension passed; layers above the first read the
    hidden state of the layer below, hidden_size features.
    """
    blocks, h = GATE_BLOCKS[layer.cell], layer.hidden_size
    return layer.num_layers * layer_param_count(blocks, layer.input_size, h)


def read_layer(inputs: Inputs) -> RecurrentLayer:
    """The layer described by a question's inputs."""
    cell = inputs["cell"]
    for name in CELLS:
        if cell == name:
            return RecurrentLayer(
                name,
                as_int(inputs["input_size"]),
                as_int(inputs["hidden_size"]),
                as_int(inputs["num_layers"]),
            )
    raise ValueError(f"unknown cell {cell!r}; expected one of {', '.join(CELLS)}")


class ParamCountGenerator(Generator):
    """``rnn.param_count``: parameters of a PyTorch RNN, LSTM or GRU stack."""

    id = "rnn.param_count"
    topic = "practice"
    title = "Parameter count of an RNN, LSTM or GRU"
    answer_fields = {"params": FieldSpec(dtype="int")}
    misconceptions = (
        Misconception(
            id="rnn.lstm-one-bias",
            feedback="You counted one bias vector per gate; PyTorch's LSTM has two per layer, b_ih and b_hh "
            "(4·hidden_size each).",
            answer=lambda inputs: {"params": misconception_one_bias_vector(read_layer(inputs))},
            applies=lambda inputs: inputs["cell"] == "lstm",
        ),
        Misconception(
            id="rnn.one-bias",
            feedback="You counted one bias vector per block; PyTorch's RNN and GRU keep two per layer, "
            "b_ih and b_hh.",
            answer=lambda inputs: {"params": misconception_one_bias_vector(read_layer(inputs))},
            applies=lambda inputs: inputs["cell"] != "lstm",
        ),
        Misconception(
            id="rnn.gates-without-candidate",
            feedback="You counted only the gates; the candidate (LSTM's cell input g, GRU's new state n) has "
            "its own weights and biases: 4 blocks for an LSTM, 3 for a GRU.",
            answer=lambda inputs: {"params": misconception_gates_without_candidate(read_layer(inputs))},
            applies=lambda inputs: inputs["cell"] != "rnn",
        ),
        Misconception(
            id="rnn.no-recurrent-weights",
            feedback="You left out the recurrent weights W_hh (hidden_size × hidden_size per block).",
            answer=lambda inputs: {"params": misconception_no_recurrent_weights(read_layer(inputs))},
        ),
        Misconception(
            id="rnn.upper-layers-take-input-size",
            feedback="Layers above the first read the hidden state below them, so their W_ih has "
            "hidden_size columns, not input_size.",
            answer=lambda inputs: {"params": misconception_upper_layers_take_input_size(read_layer(inputs))},
            applies=lambda inputs: (
                as_int(inputs["num_layers"]) > 1
                and as_int(inputs["input_size"]) != as_int(inputs["hidden_size"])
            ),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        draws = rng.random(4).tolist()
        return {
            "cell": CELLS[int(draws[0] * len(CELLS))],
            "input_size": INPUT_SIZES[int(draws[1] * len(INPUT_SIZES))],
            "hidden_size": HIDDEN_SIZES[int(draws[2] * len(HIDDEN_SIZES))],
            "num_layers": LAYER_CHOICES[int(draws[3] * len(LAYER_CHOICES))],
        }

    def prompt(self, inputs: Inputs) -> str:
        layer = read_layer(inputs)
        return (
            f"How many trainable parameters does `nn.{TORCH_CLASS[layer.cell]}(input_size={layer.input_size}, "
            f"hidden_size={layer.hidden_size}, num_layers={layer.num_layers})` have (unidirectional, "
            "`bias=True`, PyTorch's count: `sum(p.numel() for p in layer.parameters())`)? Give `params`."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return {"params": param_count(read_layer(inputs))}

    def explain(self, inputs: Inputs) -> list[Step]:
        layer = read_layer(inputs)
        blocks, h = GATE_BLOCKS[layer.cell], layer.hidden_size
        first = layer_param_count(blocks, layer.input_size, h)
        upper = layer_param_count(blocks, h, h)
        steps = [
            Step(
                "blocks",
                f"`nn.{TORCH_CLASS[layer.cell]}` has $G = {blocks}$ weight block(s), each with its own "
                "W_ih, W_hh, b_ih and b_hh.",
                blocks,
            ),
            Step(
                "layer_0",
                f"Layer 0: $G h (\\text{{in}} + h) + 2 G h = {blocks} \\cdot {h} \\cdot ({layer.input_size} + {h})"
                f" + 2 \\cdot {blocks} \\cdot {h} = {first}$.",
                first,
            ),
        ]
        if layer.num_layers > 1:
            steps.append(
                Step(
                    "upper_layers",
                    f"Each of the {layer.num_layers - 1} layer(s) above reads h features: "
                    f"${blocks} \\cdot {h} \\cdot ({h} + {h}) + 2 \\cdot {blocks} \\cdot {h} = {upper}$.",
                    upper,
                )
            )
        total = param_count(layer)
        steps.append(Step("params", f"Total: ${total}$.", total))
        return steps


register(ParamCountGenerator())
