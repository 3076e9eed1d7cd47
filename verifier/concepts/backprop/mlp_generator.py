"""The ``backprop.mlp`` generator: sampling and prompt; everything else comes from the step graph."""

from __future__ import annotations

import itertools
import math

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.backprop.mlp import GRAPH
from verifier.concepts.backprop.network import (
    ATOL,
    HIDDEN_ACTIVATIONS,
    KINK_MARGIN,
    LOSSES,
    MIN_BACK_ERROR,
    N_HIDDEN,
    N_IN,
    N_OUT,
    RTOL,
    HiddenActivation,
    LossName,
    affine,
)
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Values

_LOSS_TEXT: dict[LossName, str] = {
    "mse": r"squared error with a linear output, $L = \tfrac{1}{2}\|z_2 - y\|^2$",
    "softmax_ce": (
        r"softmax cross-entropy on the logits $z_2$ with the one-hot target $y$, "
        r"$L = -\sum_k y_k \log \operatorname{softmax}(z_2)_k$ (natural log)"
    ),
}
_ACTIVATION_TEXT: dict[HiddenActivation, str] = {
    "sigmoid": r"the logistic sigmoid $\sigma(z) = 1/(1 + e^{-z})$",
    "tanh": r"$\tanh$",
    "relu": r"ReLU, $\max(0, z)$",
}
# Where each input comes from in the one uniform draw per sample: (name, shape, low, high).
_DRAWS: tuple[tuple[str, tuple[int, ...], float, float], ...] = (
    ("x", (N_IN,), -2.0, 2.0),
    ("W1", (N_HIDDEN, N_IN), -1.5, 1.5),
    ("b1", (N_HIDDEN,), -0.5, 0.5),
    ("W2", (N_OUT, N_HIDDEN), -1.5, 1.5),
    ("b2", (N_OUT,), -0.5, 0.5),
    ("y", (N_OUT,), -1.0, 1.0),  # squared error only; cross-entropy draws a one-hot target
)
_CHOICES = 3  # activation, loss, class of the one-hot target
_STOPS = list(itertools.accumulate((math.prod(shape) for _, shape, _, _ in _DRAWS), initial=0))
_SLICES = [
    (name, start, stop, shape)
    for (name, shape, _, _), (start, stop) in zip(_DRAWS, itertools.pairwise(_STOPS), strict=True)
]
_LOWS = np.array([low for _, shape, low, _ in _DRAWS for _ in range(math.prod(shape))])
_SPANS = np.array([high - low for _, shape, low, high in _DRAWS for _ in range(math.prod(shape))])


def _one_unit_active(w1: FloatArray, x: FloatArray, b1: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``W1`` and ``b1`` with the second hidden unit's row negated when both units' pre-activations have
    the same sign, so that one ReLU unit is active and one dead.

    Their ranges are symmetric about 0, so this draws from the same distribution as before, conditioned
    on opposite signs; half of all ReLU draws used to be redrawn for it (``acceptable_values``)."""
    z1 = affine(w1, x, b1)
    if z1[0] * z1[1] <= 0:
        return w1, b1
    flip = np.array([1.0, -1.0])
    return w1 * flip[:, None] + 0.0, b1 * flip + 0.0  # + 0.0: no -0.0 in a prompt


class MLPGenerator(StepGenerator):
    """``backprop.mlp``: loss and gradients of a 2-2-2 MLP on one example."""

    id = "backprop.mlp"
    topic = "backprop"
    title = "Backpropagation through a one-hidden-layer MLP"
    answer_fields = {
        "loss": FieldSpec(rtol=RTOL, atol=ATOL),
        "dW1": FieldSpec(shape=(N_HIDDEN, N_IN), rtol=RTOL, atol=ATOL),
        "db1": FieldSpec(shape=(N_HIDDEN,), rtol=RTOL, atol=ATOL),
        "dW2": FieldSpec(shape=(N_OUT, N_HIDDEN), rtol=RTOL, atol=ATOL),
        "db2": FieldSpec(shape=(N_OUT,), rtol=RTOL, atol=ATOL),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(_CHOICES + _STOPS[-1])
        activation_name = HIDDEN_ACTIVATIONS[int(u[0] * len(HIDDEN_ACTIVATIONS))]
        loss = LOSSES[int(u[1] * len(LOSSES))]
        values = np.rint((_LOWS + u[_CHOICES:] * _SPANS) * 10.0) / 10.0  # tenths: hand-workable
        arrays = {name: values[start:stop].reshape(shape) for name, start, stop, shape in _SLICES}
        if activation_name == "relu":
            arrays["W1"], arrays["b1"] = _one_unit_active(arrays["W1"], arrays["x"], arrays["b1"])
        inputs: dict[str, InputValue] = dict(arrays)
        if loss == "softmax_ce":
            y = np.zeros(N_OUT)
            y[int(u[2] * N_OUT)] = 1.0
            inputs["y"] = y
        return {**inputs, "activation": activation_name, "loss": loss}

    def acceptable_values(self, values: Values) -> bool:
        """ReLU off the kink with one unit active and one dead, and an error reaching every active unit.

        With both ReLU units active the gate changes nothing and with both dead every hidden gradient is
        0: either way the question cannot show the gate. With softmax cross-entropy the error ``W2ᵀδ2``
        is exactly 0 for a unit whose column of ``W2`` repeats an entry (``Σδ2 = 0``), and ``dW1`` would
        not show that step.
        """
        v = values
        z1 = v["z1"]
        if v["activation"] == "relu" and not (np.abs(z1).min() >= KINK_MARGIN and z1.min() < 0 < z1.max()):
            return False
        return bool(np.all((np.abs(v["back"]) >= MIN_BACK_ERROR) | (v["gate"] <= 0)))

    def prompt(self, inputs: Inputs) -> str:
        v = GRAPH.read(inputs)
        return (
            "A network with one hidden layer computes, for one example, "
            r"$z_1 = W_1 x + b_1$, $a_1 = f(z_1)$, $z_2 = W_2 a_1 + b_2$, "
            f"where the hidden activation $f$ is {_ACTIVATION_TEXT[v['activation']]} and the loss is "
            f"{_LOSS_TEXT[v['objective']]}. Weights are stored as (out, in); vectors are columns, written "
            "below as rows.\n\n"
            f"$x = {matrix(v['x'])}$, $y = {matrix(v['y'])}$, $W_1 = {matrix(v['W1'])}$, "
            f"$b_1 = {matrix(v['b1'])}$, $W_2 = {matrix(v['W2'])}$, $b_2 = {matrix(v['b2'])}$.\n\n"
            "Compute the loss (`loss`) and its gradients with respect to each parameter, each with the "
            "shape of its parameter: `dW1`, `db1`, `dW2`, `db2`. Keep intermediate values (such as $z_2$) "
            "to 4 significant figures: the output error (prediction minus target) may cancel leading digits."
        )


register(MLPGenerator())
