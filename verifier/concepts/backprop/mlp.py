"""``backprop.mlp`` as a step graph: forward pass, loss, output error, ``db2``, ``dW2``, the error sent back
through ``W2``, the activation's slope, the hidden error, ``db1``, ``dW1``.

``db2`` is the output error and ``db1`` the hidden error, so the later steps read the candidate's own
values of them (error carried forward: a wrong ``δ2`` costs once). Each misconception is a wrong version of
one step: the derivative at ``a1`` (root ``gate``), no derivative (``delta1``), ``W2 δ2`` (``back``), a
transposed weight gradient (``layout``), ``δ2 = p`` (``delta2``). ``mlp_forward``, ``mlp_loss_and_grads``
and the public ``misconception_*`` functions evaluate this graph.
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs
from verifier.concepts.backprop.network import (
    HIDDEN_ACTIVATIONS,
    IN_OUT,
    LOSSES,
    OUT_IN,
    HiddenActivation,
    LossName,
    MLPCache,
    MLPGrads,
    MLPParams,
    affine,
    backpropagate,
    hidden,
    hidden_error,
    loss_value,
    output_error,
    prediction,
    slope,
    weight_gradient,
)
from verifier.generator import as_array
from verifier.latex import matrix, num
from verifier.steps import Calc, StepGraph, Values, WrongStep

_SYMBOL = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}"}
_SLOPE_TEXT = {
    "sigmoid": r"\sigma'(z) = \sigma(z)(1 - \sigma(z))",
    "tanh": r"\tanh'(z) = 1 - \tanh^2(z)",
    "relu": r"\operatorname{relu}'(z) = 1 \text{ for } z > 0, \text{ else } 0",
}


def read_mlp(inputs: Inputs) -> Values:
    """The graph's base values from a question's inputs (JSON lists or arrays)."""
    name, loss = inputs["activation"], inputs["loss"]
    if name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown hidden activation: {name!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss: {loss!r}")
    values: Values = {key: as_array(inputs[key]) for key in ("x", "y", "W1", "b1", "W2", "b2")}
    # The input ``loss`` names the loss function; the step ``loss`` is its value (an answer field).
    return {**values, "activation": name, "objective": loss}


def _loss_text(v: Values) -> str:
    if v["objective"] == "mse":
        return f"Squared error: $L = \\tfrac12 \\|z_2 - y\\|^2 = {num(v['loss'])}$."
    target = int(np.argmax(v["y"]))
    p = float(v["output"][target])
    return (
        f"Cross-entropy with the one-hot target (class {target + 1}): "
        f"$L = -\\log p_{{{target + 1}}} = -\\log {num(p)} = {num(v['loss'])}$."
    )


def _loss_hint(v: Values) -> str:
    if v["objective"] == "mse":
        return r"Only the output's distance from the target counts: $\tfrac12 \sum_k (z_{2,k} - y_k)^2$."
    return "With a one-hot target only the target class's log-probability is left of the sum."


GRAPH = StepGraph(
    [
        Calc(
            "z1",
            lambda W1, x, b1: affine(W1, x, b1),
            lambda v: (
                f"Forward pass: $z_1 = W_1 x + b_1 = {matrix(v['W1'])} {matrix(v['x'])}^\\top + "
                f"{matrix(v['b1'])}^\\top = {matrix(v['z1'])}$."
            ),
        ),
        Calc(
            "a1",
            lambda z1, activation: hidden(z1, activation),
            lambda v: f"$a_1 = {_SYMBOL[v['activation']]}(z_1) = {matrix(v['a1'])}$.",
        ),
        Calc(
            "z2",
            lambda W2, a1, b2: affine(W2, a1, b2),
            lambda v: f"$z_2 = W_2 a_1 + b_2 = {matrix(v['z2'])}$.",
        ),
        Calc(
            "output",
            lambda z2, objective: prediction(z2, objective),
            lambda v: (
                f"The output is linear: the prediction is $z_2 = {matrix(v['output'])}$."
                if v["objective"] == "mse"
                else f"$p = \\operatorname{{softmax}}(z_2) = {matrix(v['output'])}$."
            ),
        ),
        Calc(
            "loss", lambda output, y, objective: loss_value(output, y, objective), _loss_text, hint=_loss_hint
        ),
        Calc(
            "delta2",
            lambda output, y: output_error(output, y),
            lambda v: (
                f"Output error: $\\delta_2 = \\partial L/\\partial z_2 = "
                f"{'z_2' if v['objective'] == 'mse' else 'p'} - y = {matrix(v['delta2'])}$."
            ),
            hint="For a linear output with squared error, and for softmax with cross-entropy, "
            "∂L/∂z₂ is the prediction minus the target.",
        ),
        Calc(
            "db2",
            lambda delta2: delta2,
            lambda v: f"$b_2$ is added to $z_2$: $db_2 = \\delta_2 = {matrix(v['db2'])}$.",
        ),
        Calc(
            "layout",
            lambda: OUT_IN,
            lambda v: (
                f"A weight gradient has its weight's shape {v['layout']}: $dW = \\delta \\cdot "
                "\\text{input}^\\top$."
            ),
            hint="dW has the shape of W, (out, in): the error of the layer's outputs times its inputs.",
        ),
        Calc(
            "dW2",
            lambda db2, a1, layout: weight_gradient(db2, a1, layout),
            lambda v: (
                f"$dW_2 = \\delta_2 a_1^\\top$, entry $(i, j) = \\delta_{{2,i}} a_{{1,j}}$ with "
                f"$\\delta_2 = {matrix(v['db2'])}$ and $a_1 = {matrix(v['a1'])}$: $dW_2 = {matrix(v['dW2'])}$."
            ),
        ),
        Calc(
            "back",
            lambda W2, db2: backpropagate(W2, db2),
            lambda v: (
                f"Back through $W_2$: $W_2^\\top \\delta_2 = {matrix(v['W2'].T)} {matrix(v['db2'])}^\\top = "
                f"{matrix(v['back'])}$."
            ),
            hint="Going backwards through a layer multiplies the error by the transpose of its weights.",
        ),
        Calc(
            "gate",
            lambda z1, activation: slope(z1, activation),
            lambda v: (
                f"The activation's slope at the pre-activation, ${_SLOPE_TEXT[v['activation']]}$: "
                f"$f'(z_1) = {matrix(v['gate'])}$."
            ),
            hint="The hidden error is gated by the activation's slope at its input z₁.",
        ),
        Calc(
            "delta1",
            lambda back, gate: hidden_error(back, gate),
            lambda v: (
                f"Hidden error: $\\delta_1 = (W_2^\\top \\delta_2) \\odot f'(z_1) = {matrix(v['delta1'])}$."
            ),
        ),
        Calc(
            "db1",
            lambda delta1: delta1,
            lambda v: f"$db_1 = \\delta_1 = {matrix(v['db1'])}$.",
        ),
        Calc(
            "dW1",
            lambda db1, x, layout: weight_gradient(db1, x, layout),
            lambda v: (
                f"$dW_1 = \\delta_1 x^\\top$, entry $(i, j) = \\delta_{{1,i}} x_j$ with "
                f"$\\delta_1 = {matrix(v['db1'])}$ and $x = {matrix(v['x'])}$: $dW_1 = {matrix(v['dW1'])}$."
            ),
        ),
    ],
    fields=("loss", "dW1", "db1", "dW2", "db2"),
    misconceptions=[
        WrongStep(
            id="backprop.derivative-at-output",
            feedback="You evaluated the activation's derivative at the output a₁; it is f′(z₁), at the "
            "pre-activation.",
            root="gate",
            # The derivative is often written with the output (a(1 − a), 1 − a²), and a1 gets passed to a
            # function that expects z1.
            wrong=lambda a1, activation: slope(a1, activation),
            applies=lambda inputs: inputs["activation"] != "relu",  # relu'(relu(z)) = relu'(z) off the kink
        ),
        WrongStep(
            id="backprop.missing-activation-derivative",
            feedback="You sent W₂ᵀδ₂ into the hidden layer without multiplying by the activation's slope "
            "f′(z₁).",
            root="delta1",
            # The output layer needs no derivative factor, and the pattern gets copied one layer down.
            wrong=lambda back: back,
        ),
        WrongStep(
            id="backprop.untransposed-weights",
            feedback="You propagated the error with W₂δ₂; going backwards uses the transpose, W₂ᵀδ₂.",
            root="back",
            # The forward pass multiplies by W2; with square weights the shapes even match.
            wrong=lambda W2, db2: W2 @ db2,
        ),
        WrongStep(
            id="backprop.outer-product-reversed",
            feedback="Your weight gradients are transposed: with W stored as (out, in), dW = δ xᵀ, not x δᵀ.",
            root="layout",
            # The batch formula Xᵀ δ puts the input first; for weights stored (out, in) the order is δ xᵀ.
            wrong=lambda: IN_OUT,
        ),
        WrongStep(
            id="backprop.output-error-without-y",
            feedback="You used δ₂ = p; with softmax and cross-entropy the output error is p − y.",
            root="delta2",
            # The forward pass ends at p; the − y comes from the log in the loss.
            wrong=lambda output: output,
            applies=lambda inputs: inputs["loss"] == "softmax_ce",
        ),
    ],
    read=read_mlp,
)


def _base(x: FloatArray, y: FloatArray, params: MLPParams, activation_name: str, loss: str) -> Values:
    return read_mlp({"x": x, "y": y, **params._asdict(), "activation": activation_name, "loss": loss})


def _grads(values: Values) -> MLPGrads:
    return MLPGrads(values["dW1"], values["db1"], values["dW2"], values["db2"])


def mlp_forward(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPCache]:
    """The loss of one example and its forward values (the graph evaluated)."""
    _, v = GRAPH.evaluate(_base(x, y, params, activation_name, loss))
    cache = MLPCache(v["x"], v["y"], v["z1"], v["a1"], v["z2"], v["output"], v["W2"], activation_name)
    return float(v["loss"]), cache


def mlp_loss_and_grads(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """The loss and every parameter's gradient (what ``backprop.mlp`` asks), from the graph."""
    _, v = GRAPH.evaluate(_base(x, y, params, activation_name, loss))
    return float(v["loss"]), _grads(v)


def _wrong_answer(
    misconception_id: str,
    x: FloatArray,
    y: FloatArray,
    params: MLPParams,
    activation_name: HiddenActivation,
    loss: LossName,
) -> tuple[float, MLPGrads]:
    """A misconception's whole answer: its wrong step, every later step recomputed (the graph's)."""
    misconception = GRAPH.misconception(misconception_id)
    _, v = GRAPH.evaluate(_base(x, y, params, activation_name, loss), override=misconception)
    return float(v["loss"]), _grads(v)


def misconception_missing_activation_derivative(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """``backprop.missing-activation-derivative``: ``δ1 = W2ᵀ δ2`` without ``f'(z1)`` (see GRAPH)."""
    return _wrong_answer("backprop.missing-activation-derivative", x, y, params, activation_name, loss)


def misconception_untransposed_weights(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """``backprop.untransposed-weights``: the error sent back with ``W2 δ2`` (see GRAPH)."""
    return _wrong_answer("backprop.untransposed-weights", x, y, params, activation_name, loss)


def misconception_outer_product_reversed(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """``backprop.outer-product-reversed``: each weight gradient as ``input ⊗ δ`` (see GRAPH)."""
    return _wrong_answer("backprop.outer-product-reversed", x, y, params, activation_name, loss)


def misconception_derivative_at_output(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """``backprop.derivative-at-output``: the slope taken at ``a1`` instead of ``z1`` (see GRAPH)."""
    return _wrong_answer("backprop.derivative-at-output", x, y, params, activation_name, loss)


def misconception_output_error_without_y(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """``backprop.output-error-without-y``: ``δ2 = p`` instead of ``p − y`` (see GRAPH)."""
    return _wrong_answer("backprop.output-error-without-y", x, y, params, activation_name, loss)
