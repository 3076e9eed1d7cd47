"""Maxout units (Goodfellow et al. 2013, https://arxiv.org/abs/1302.4389): h_j = max_k (x @ W[k] + b[k])_j,
k·(i·o + o) parameters per layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.activations.functions import (
    MAXOUT_INPUTS,
    MAXOUT_OUTPUTS,
    MAXOUT_PIECES,
    TIE_MARGIN,
    _grid,
)
from verifier.generator import as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

# --- maxout -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaxoutCache:
    """The input, the weights and which piece won for each output unit."""

    x: FloatArray  # (i,)
    w: FloatArray  # (k, i, o)
    winner: FloatArray  # (k, o) one-hot over pieces: 1 where that piece is the max


class MaxoutGrads(NamedTuple):
    """Gradients with respect to the input and the parameters (each has its shape)."""

    dx: FloatArray
    dw: FloatArray
    db: FloatArray


def maxout_pieces(x: FloatArray, w: FloatArray, b: FloatArray) -> FloatArray:
    """The ``k`` affine pieces ``x @ W[k] + b[k]``, shape (k, o)."""
    out: FloatArray = x @ w + b
    return out


def maxout_forward(x: FloatArray, w: FloatArray, b: FloatArray) -> tuple[FloatArray, MaxoutCache]:
    """``h_j = max_k (x @ W[k] + b[k])_j`` for ``x`` (i,), ``W`` (k, i, o), ``b`` (k, o); returns ``h`` (o,)."""
    pieces = maxout_pieces(x, w, b)
    best = pieces.argmax(axis=0)
    winner: FloatArray = (np.arange(w.shape[0])[:, None] == best).astype(np.float64)
    out: FloatArray = pieces.max(axis=0)
    return out, MaxoutCache(x=x, w=w, winner=winner)


def maxout_backward(dout: FloatArray, cache: MaxoutCache) -> MaxoutGrads:
    """Only the winning piece of each unit gets the gradient, like max pooling."""
    db: FloatArray = cache.winner * dout  # (k, o)
    dw: FloatArray = cache.x[None, :, None] * db[:, None, :]  # (k, i, o)
    dx: FloatArray = np.einsum("kio,ko->i", cache.w, db)
    return MaxoutGrads(dx=dx, dw=dw, db=db)


def maxout_param_count(*, inputs: int, outputs: int, pieces: int) -> int:
    """Weights and biases of a maxout layer: ``k`` dense layers' worth, ``k (i o + o)``."""
    return pieces * (inputs * outputs + outputs)


def _wrong_count(misconception_id: str, inputs: int, outputs: int, pieces: int) -> int:
    layer = {
        "x": np.zeros(inputs),
        "W": np.zeros((pieces, inputs, outputs)),
        "b": np.zeros((pieces, outputs)),
    }
    return int(GRAPH.misconception(misconception_id).answer(layer)["params"])


def misconception_maxout_params_without_bias(*, inputs: int, outputs: int, pieces: int) -> int:
    """The count of ``activations.maxout-params-without-bias`` (see GRAPH)."""
    return _wrong_count("activations.maxout-params-without-bias", inputs, outputs, pieces)


def misconception_maxout_params_one_piece(*, inputs: int, outputs: int, pieces: int) -> int:
    """The count of ``activations.maxout-params-one-piece`` (see GRAPH)."""
    return _wrong_count("activations.maxout-params-one-piece", inputs, outputs, pieces)


# --- generator: activations.maxout ------------------------------------------------------------------------


def _maxout_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, FloatArray]:
    return as_array(inputs["x"]), as_array(inputs["W"]), as_array(inputs["b"])


GRAPH = StepGraph(
    [
        Calc(
            "pieces",
            lambda x, W, b: maxout_pieces(x, W, b),  # noqa: N803 - the textbook's W
            lambda v: (
                f"Each piece's affine output $x^\\top W_k + b_k$, one row per piece: ${matrix(v['pieces'])}$."
            ),
            hint="Compute every piece's affine output first, then compare them output by output.",
        ),
        Calc(
            "output",
            lambda pieces: pieces.max(axis=0),
            lambda v: f"Take the maximum over the pieces in each column: $h = {matrix(v['output'])}$.",
        ),
        Calc(
            "per_piece",
            lambda W: W.shape[1] * W.shape[2] + W.shape[2],  # noqa: N803
            lambda v: (
                f"One piece is a dense layer: $i o + o = {v['W'].shape[1]} \\cdot {v['W'].shape[2]} + "
                f"{v['W'].shape[2]} = {v['per_piece']}$ weights and biases."
            ),
            hint="Each piece is a full dense layer, biases included.",
        ),
        Calc(
            "piece_count",
            lambda W: W.shape[0],  # noqa: N803
            lambda v: f"There are $k = {v['piece_count']}$ pieces, each with its own parameters.",
        ),
        Calc(
            "params",
            lambda piece_count, per_piece: piece_count * per_piece,
            lambda v: f"$k (i o + o) = {v['piece_count']} \\cdot {v['per_piece']} = {v['params']}$.",
        ),
    ],
    fields=("output", "params"),
    misconceptions=[
        WrongStep(
            id="activations.maxout-params-without-bias",
            feedback="You counted only the weights; each of the k pieces also has a bias per output unit.",
            root="per_piece",
            # The weight tensor W (k, i, o) is the visible part of the layer.
            wrong=lambda W: W.shape[1] * W.shape[2],  # noqa: N803
        ),
        WrongStep(
            id="activations.maxout-params-one-piece",
            feedback="You counted one dense layer; every one of the k pieces has its own weights and biases.",
            root="piece_count",
            # The layer has only o outputs, like a dense layer of the same width.
            wrong=lambda: 1,
        ),
    ],
    read=lambda inputs: dict(zip(("x", "W", "b"), _maxout_inputs(inputs), strict=True)),
)


class MaxoutGenerator(StepGenerator):
    """``activations.maxout``: a maxout layer's output and its parameter count."""

    id = "activations.maxout"
    topic = "activations"
    title = "Maxout: output and parameter count"
    answer_fields = {"output": FieldSpec(shape=(MAXOUT_OUTPUTS,)), "params": FieldSpec(dtype="int")}
    graph = GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: sums and products of one-decimal numbers

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        shape = rng.random(2)
        pieces = MAXOUT_PIECES[int(shape[0] * len(MAXOUT_PIECES))]
        n_in = MAXOUT_INPUTS[int(shape[1] * len(MAXOUT_INPUTS))]
        n_w, n_b = pieces * n_in * MAXOUT_OUTPUTS, pieces * MAXOUT_OUTPUTS
        u = rng.random(n_in + n_w + n_b)
        return {
            "x": _grid(u[:n_in], -2.0, 2.0),
            "W": _grid(u[n_in : n_in + n_w], -1.0, 1.0).reshape(pieces, n_in, MAXOUT_OUTPUTS),
            "b": _grid(u[n_in + n_w :], -0.5, 0.5).reshape(pieces, MAXOUT_OUTPUTS),
        }

    def acceptable(self, inputs: Inputs) -> bool:
        top_two = np.sort(maxout_pieces(*_maxout_inputs(inputs)), axis=0)[-2:]
        return bool(np.all(top_two[1] - top_two[0] >= TIE_MARGIN))

    def prompt(self, inputs: Inputs) -> str:
        x, w, b = _maxout_inputs(inputs)
        pieces, n_in, n_out = w.shape
        listing = ", ".join(f"$W_{k} = {matrix(w[k])}$, $b_{k} = {matrix(b[k])}$" for k in range(pieces))
        return (
            f"A maxout layer maps $x \\in \\mathbb{{R}}^{{{n_in}}}$ to ${n_out}$ outputs with $k = {pieces}$ "
            r"affine pieces, $h_j = \max_k \left(x^\top W_k + b_k\right)_j$, where each $W_k$ is "
            f"${n_in} \\times {n_out}$ (rows are inputs) and each $b_k$ has ${n_out}$ entries: {listing}.\n\n"
            f"For $x = {matrix(x)}$ compute the output $h$ (`output`) and the number of trainable "
            "parameters of the layer (`params`, an integer)."
        )


register(MaxoutGenerator())
