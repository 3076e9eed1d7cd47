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

from verifier._types import Inputs, InputValue
from verifier.generator import as_int
from verifier.grading import FieldSpec
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

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


def _wrong_count(misconception_id: str, layer: RecurrentLayer) -> int:
    return int(GRAPH.misconception(misconception_id).answer(layer._asdict())["params"])


def misconception_one_bias_vector(layer: RecurrentLayer) -> int:
    """The count of ``rnn.one-bias`` / ``rnn.lstm-one-bias`` (see GRAPH)."""
    return _wrong_count("rnn.one-bias", layer)


def misconception_gates_without_candidate(layer: RecurrentLayer) -> int:
    """The count of ``rnn.gates-without-candidate`` (see GRAPH)."""
    return _wrong_count("rnn.gates-without-candidate", layer)


def misconception_no_recurrent_weights(layer: RecurrentLayer) -> int:
    """The count of ``rnn.no-recurrent-weights`` (see GRAPH)."""
    return _wrong_count("rnn.no-recurrent-weights", layer)


def misconception_upper_layers_take_input_size(layer: RecurrentLayer) -> int:
    """The count of ``rnn.upper-layers-take-input-size`` (see GRAPH)."""
    return _wrong_count("rnn.upper-layers-take-input-size", layer)


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


def _read(inputs: Inputs) -> Values:
    return read_layer(inputs)._asdict()


def _layer_text(v: Values) -> str:
    g, h, b = v["blocks"], v["hidden_size"], v["bias_vectors"]
    return (
        f"Layer 0: $G h \\cdot \\text{{in}} + G h^2 + {b} G h = {g} \\cdot {h} \\cdot {v['input_size']} + "
        f"{v['recurrent']} + {b} \\cdot {g} \\cdot {h} = {v['layer_0']}$."
    )


def _upper_text(v: Values) -> str:
    above = v["num_layers"] - 1
    if above == 0:
        return "There is no layer above the first: 0."
    g, h, b = v["blocks"], v["hidden_size"], v["bias_vectors"]
    each = v["upper_layers"] // above
    return (
        f"Each of the {above} layer(s) above reads {v['upper_input']} features: "
        f"${g} \\cdot {h} \\cdot {v['upper_input']} + {v['recurrent']} + {b} \\cdot {g} \\cdot {h} = {each}$, "
        f"{v['upper_layers']} in all."
    )


GRAPH = StepGraph(
    [
        Calc(
            "blocks",
            lambda cell: GATE_BLOCKS[cell],
            lambda v: (
                f"`nn.{TORCH_CLASS[v['cell']]}` has $G = {v['blocks']}$ weight block(s) (gates and "
                "candidate), each with its own W_ih, W_hh, b_ih and b_hh."
            ),
            hint="Count the weight blocks: every gate, and the candidate too.",
        ),
        Calc(
            "bias_vectors",
            lambda: 2,
            lambda v: "PyTorch keeps two bias vectors per block, b_ih and b_hh.",
            hint="PyTorch's recurrent layers have two biases per block.",
        ),
        Calc(
            "recurrent",
            lambda blocks, hidden_size: blocks * hidden_size * hidden_size,
            lambda v: (
                f"Recurrent weights W_hh per layer: $G h^2 = {v['blocks']} \\cdot {v['hidden_size']}^2 = "
                f"{v['recurrent']}$."
            ),
            hint="Every layer also has recurrent weights from its previous hidden state.",
        ),
        Calc(
            "upper_input",
            lambda hidden_size: hidden_size,
            lambda v: f"Layers above the first read the hidden state below: {v['upper_input']} features.",
        ),
        Calc(
            "layer_0",
            lambda blocks, hidden_size, input_size, recurrent, bias_vectors: (
                blocks * hidden_size * input_size + recurrent + bias_vectors * blocks * hidden_size
            ),
            _layer_text,
        ),
        Calc(
            "upper_layers",
            lambda num_layers, blocks, hidden_size, upper_input, recurrent, bias_vectors: (
                (num_layers - 1)
                * (blocks * hidden_size * upper_input + recurrent + bias_vectors * blocks * hidden_size)
            ),
            _upper_text,
        ),
        Calc(
            "params",
            lambda layer_0, upper_layers: layer_0 + upper_layers,
            lambda v: f"Total: ${v['layer_0']} + {v['upper_layers']} = {v['params']}$.",
        ),
    ],
    fields=("params",),
    misconceptions=[
        WrongStep(
            id="rnn.lstm-one-bias",
            feedback="You counted one bias vector per gate; PyTorch's LSTM has two per layer, b_ih and b_hh "
            "(4·hidden_size each).",
            root="bias_vectors",
            # The textbook LSTM has one b per gate; PyTorch keeps b_ih and b_hh separately.
            wrong=lambda: 1,
            applies=lambda inputs: inputs["cell"] == "lstm",
        ),
        WrongStep(
            id="rnn.one-bias",
            feedback="You counted one bias vector per block; PyTorch's RNN and GRU keep two per layer, "
            "b_ih and b_hh.",
            root="bias_vectors",
            wrong=lambda: 1,
            applies=lambda inputs: inputs["cell"] != "lstm",
        ),
        WrongStep(
            id="rnn.gates-without-candidate",
            feedback="You counted only the gates; the candidate (LSTM's cell input g, GRU's new state n) has "
            "its own weights and biases: 4 blocks for an LSTM, 3 for a GRU.",
            root="blocks",
            # The cells are described by their gates; the candidate block has weights too.
            wrong=lambda cell: GATE_BLOCKS[cell] - 1,
            applies=lambda inputs: inputs["cell"] != "rnn",
        ),
        WrongStep(
            id="rnn.no-recurrent-weights",
            feedback="You left out the recurrent weights W_hh (hidden_size × hidden_size per block).",
            root="recurrent",
            # The cell seen as a dense layer on x_t; the recurrence has its own weights.
            wrong=lambda: 0,
        ),
        WrongStep(
            id="rnn.upper-layers-take-input-size",
            feedback="Layers above the first read the hidden state below them, so their W_ih has "
            "hidden_size columns, not input_size.",
            root="upper_input",
            # input_size is the only input dimension passed to the constructor.
            wrong=lambda input_size: input_size,
            applies=lambda inputs: (
                as_int(inputs["num_layers"]) > 1
                and as_int(inputs["input_size"]) != as_int(inputs["hidden_size"])
            ),
        ),
    ],
    read=_read,
)


class ParamCountGenerator(StepGenerator):
    """``rnn.param_count``: parameters of a PyTorch RNN, LSTM or GRU stack."""

    id = "rnn.param_count"
    topic = "practice"
    title = "Parameter count of an RNN, LSTM or GRU"
    answer_fields = {"params": FieldSpec(dtype="int")}
    graph = GRAPH

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


register(ParamCountGenerator())
