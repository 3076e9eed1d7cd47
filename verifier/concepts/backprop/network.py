"""The one-hidden-layer MLP of ``backprop.mlp``: each forward and backward step as one small function.

The step graph of :mod:`verifier.concepts.backprop.mlp` is built from these functions (and
``mlp_forward`` / ``mlp_loss_and_grads`` there evaluate that graph), so each formula exists once.
Arrays throughout: with two units per layer the arithmetic is trivial, and one plain copy of the math
matters more than NumPy's per-call cost.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, get_args

import numpy as np

from verifier._types import FloatArray
from verifier.concepts.activations import activation, activation_derivative, softmax

RTOL = 1e-2
ATOL = 1e-3  # gradients are products of several factors below 1: a hand computation rounds them near zero
HiddenActivation = Literal["sigmoid", "tanh", "relu"]
LossName = Literal["mse", "softmax_ce"]
HIDDEN_ACTIVATIONS: tuple[HiddenActivation, ...] = get_args(HiddenActivation)
LOSSES: tuple[LossName, ...] = get_args(LossName)
N_IN = N_HIDDEN = N_OUT = 2  # square weights keep every misconception below well defined
KINK_MARGIN = 0.05  # ReLU pre-activations stay at least this far from 0
MIN_BACK_ERROR = 0.01  # the error W2ᵀδ2 reaching each active hidden unit is at least this (10 × ATOL)
# How a weight gradient is laid out: like its weight, (out, in), or (the misconception) transposed.
OUT_IN = "(out, in)"
IN_OUT = "(in, out)"


class MLPParams(NamedTuple):
    """Weights (out, in) and biases (out,) of the two layers."""

    W1: FloatArray  # (h, i)
    b1: FloatArray  # (h,)
    W2: FloatArray  # (o, h)
    b2: FloatArray  # (o,)


class MLPCache(NamedTuple):
    """The forward pass's values that the backward pass needs.

    The loss layer hands back its prediction with the loss, so the backward pass starts from the output
    error ``output − y`` (as cs231n's ``softmax_loss`` returns its gradient with the loss).
    """

    x: FloatArray  # (i,) input
    y: FloatArray  # (o,) target
    z1: FloatArray  # (h,) hidden pre-activation
    a1: FloatArray  # (h,) hidden activation
    z2: FloatArray  # (o,) output pre-activation (the logits for softmax_ce)
    output: FloatArray  # (o,) the prediction: z2 (linear output) or softmax(z2)
    W2: FloatArray  # (o, h)
    activation: HiddenActivation


class MLPGrads(NamedTuple):
    """Gradients of the loss with respect to each parameter (each has its parameter's shape)."""

    dW1: FloatArray
    db1: FloatArray
    dW2: FloatArray
    db2: FloatArray


# --- forward ---------------------------------------------------------------------------------------------


def affine(w: FloatArray, v: FloatArray, b: FloatArray) -> FloatArray:
    """``W v + b`` for ``W`` stored (out, in)."""
    out: FloatArray = w @ v + b
    return out


def hidden(z1: FloatArray, name: HiddenActivation) -> FloatArray:
    """The hidden layer's activation ``f(z1)``."""
    return activation(z1, name)


def prediction(z2: FloatArray, loss: LossName) -> FloatArray:
    """The network's prediction: ``z2`` for a linear output (squared error), ``softmax(z2)`` for CE."""
    return z2 if loss == "mse" else softmax(z2)


def loss_value(output: FloatArray, y: FloatArray, loss: LossName) -> float:
    """``½‖output − y‖²`` (squared error) or ``−Σ y log p`` (cross-entropy on the probabilities)."""
    if loss == "mse":
        return 0.5 * float(((output - y) ** 2).sum())
    return -float((y * np.log(output)).sum())


# --- backward --------------------------------------------------------------------------------------------


def output_error(output: FloatArray, y: FloatArray) -> FloatArray:
    """``δ2 = dL/dz2 = output − y``: ``z2 − y`` for squared error, ``p − y`` for softmax cross-entropy."""
    out: FloatArray = output - y
    return out


def weight_gradient(delta: FloatArray, layer_input: FloatArray, layout: str) -> FloatArray:
    """``dW = δ ⊗ input``, shape (out, in) like its weight; transposed for the layout ``IN_OUT``."""
    grad: FloatArray = np.multiply.outer(delta, layer_input)  # np.outer of vectors without its Python wrapper
    return grad if layout == OUT_IN else grad.T


def backpropagate(w: FloatArray, delta: FloatArray) -> FloatArray:
    """``Wᵀ δ``: an error at a layer's output sent back to its input."""
    out: FloatArray = w.T @ delta
    return out


def slope(at: FloatArray, name: HiddenActivation) -> FloatArray:
    """The hidden activation's derivative ``f'`` at each point of ``at``."""
    return activation_derivative(at, name)


def hidden_error(back: FloatArray, gate: FloatArray) -> FloatArray:
    """``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``: the error sent back through ``W2``, gated by the activation's slope."""
    out: FloatArray = back * gate
    return out
