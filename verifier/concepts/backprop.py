"""Backpropagation through a one-hidden-layer MLP, and checking a gradient with centered differences.

The network is ``z1 = W1 x + b1``, ``a1 = f(z1)``, ``z2 = W2 a1 + b2`` for one example, with weights stored
as (out, in) like ``nn.Linear``. Two losses: squared error ``½‖z2 − y‖²`` with a linear output, or softmax
cross-entropy ``−Σ y log softmax(z2)`` with a one-hot ``y``; both give the output error ``δ2 = z2 − y``
resp. ``p − y``. Backward (Nielsen's BP1-BP4): ``dW2 = δ2 a1ᵀ``, ``db2 = δ2``,
``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``, ``dW1 = δ1 xᵀ``, ``db1 = δ1``; every gradient has its parameter's shape.

A gradient check compares an analytic gradient ``g_a`` with the centered difference
``g_n[i] = (C(w + h e_i) − C(w − h e_i)) / 2h`` by the relative error ``‖g_a − g_n‖ / max(‖g_a‖, ‖g_n‖)``
(Euclidean norms; for one weight, ``|g_a − g_n| / max(|g_a|, |g_n|)``), the same functions the verifier's
own tests use (:mod:`verifier.gradcheck`). Sources: Nielsen, *Neural Networks and Deep Learning* ch. 2,
http://neuralnetworksanddeeplearning.com/chap2.html; DLB 6.5; CS231n "Gradient checks".

Gradients are graded to 1 % with an absolute floor of 0.001: a hand computation rounds intermediate values,
and small gradient entries (a product of several factors below 1) would otherwise need 5 exact digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple, get_args

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.activations import activation, activation_derivative, softmax_ce_forward
from verifier.generator import Generator, Step, as_array, as_float
from verifier.gradcheck import numerical_gradient, relative_error
from verifier.grading import FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

RTOL = 1e-2
ATOL = 1e-3
HiddenActivation = Literal["sigmoid", "tanh", "relu"]
LossName = Literal["mse", "softmax_ce"]
HIDDEN_ACTIVATIONS: tuple[HiddenActivation, ...] = get_args(HiddenActivation)
LOSSES: tuple[LossName, ...] = get_args(LossName)
N_IN = N_HIDDEN = N_OUT = 2  # square weights keep every misconception below well defined
KINK_MARGIN = 0.05  # ReLU pre-activations stay at least this far from 0
MIN_BACK_ERROR = 0.01  # the error W2ᵀδ2 reaching each active hidden unit is at least this (10 × ATOL)
GradcheckKind = Literal["quadratic", "tiny_net"]
GRADCHECK_KINDS: tuple[GradcheckKind, ...] = get_args(GradcheckKind)
N_WEIGHTS = 2  # backprop.gradcheck checks a gradient with this many entries
STEP_CHOICES = (0.1, 0.2, 0.5)  # large on purpose: the differences must be visible by hand
MIN_GRADIENT = 0.2  # the true gradient's norm is at least this, so the relative error is well conditioned
MIN_BUG_ERROR = 0.05  # the reported gradient's bug shows as at least this relative error


def _grid(u: FloatArray, low: float, high: float) -> FloatArray:
    """Uniform draws ``u`` in [0, 1) mapped to [low, high] and rounded to one decimal (hand-workable)."""
    out: FloatArray = np.rint((low + u * (high - low)) * 10.0) / 10.0
    return out


def _scientific(value: float) -> str:
    """A small number for LaTeX: ``0.0123`` as is, ``4.5e-05`` as ``4.5 \\times 10^{-5}``."""
    if value >= 1e-3:
        return num(value)
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} \\times 10^{{{int(exponent)}}}"


# --- state types -----------------------------------------------------------------------------------------


class MLPParams(NamedTuple):
    """Weights (out, in) and biases (out,) of the two layers."""

    W1: FloatArray  # (h, i)
    b1: FloatArray  # (h,)
    W2: FloatArray  # (o, h)
    b2: FloatArray  # (o,)


@dataclass(frozen=True, slots=True)
class MLPCache:
    """The forward pass's values that the backward pass needs.

    The loss layer hands back its gradient ``delta2`` together with the loss (as cs231n's ``softmax_loss``
    does), so the backward pass starts from it.
    """

    x: FloatArray  # (i,) input
    z1: FloatArray  # (h,) hidden pre-activation
    a1: FloatArray  # (h,) hidden activation
    z2: FloatArray  # (o,) output pre-activation (the logits for softmax_ce)
    W2: FloatArray  # (o, h)
    delta2: FloatArray  # (o,) dLoss/dz2, the output error
    activation: HiddenActivation


class MLPGrads(NamedTuple):
    """Gradients of the loss with respect to each parameter (each has its parameter's shape)."""

    dW1: FloatArray
    db1: FloatArray
    dW2: FloatArray
    db2: FloatArray


class GradCheck(NamedTuple):
    """A numerical gradient and its relative error against the analytic one."""

    numerical: FloatArray
    relative_error: float


# --- forward / backward ----------------------------------------------------------------------------------


def output_loss(z2: FloatArray, y: FloatArray, loss: LossName) -> tuple[float, FloatArray]:
    """The loss and the output error ``δ2 = dLoss/dz2``: ``z2 − y`` for squared error, ``p − y`` for CE."""
    if loss == "mse":
        residual: FloatArray = z2 - y
        return 0.5 * float(residual @ residual), residual
    value, cache = softmax_ce_forward(z2, y)
    delta: FloatArray = cache.p - y
    return value, delta


def mlp_forward(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPCache]:
    """The loss of one example and the cache for :func:`mlp_backward`."""
    z1: FloatArray = params.W1 @ x + params.b1
    a1 = activation(z1, activation_name)
    z2: FloatArray = params.W2 @ a1 + params.b2
    value, delta2 = output_loss(z2, y, loss)
    cache = MLPCache(x=x, z1=z1, a1=a1, z2=z2, W2=params.W2, delta2=delta2, activation=activation_name)
    return value, cache


def layer_grads(delta: FloatArray, layer_input: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``dW = δ ⊗ input`` (out, in) and ``db = δ`` for an affine layer ``W @ input + b``."""
    dw: FloatArray = delta[:, None] * layer_input[None, :]
    return dw, delta


def hidden_error(cache: MLPCache) -> FloatArray:
    """``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``: the error sent back through ``W2``, gated by the activation's slope."""
    out: FloatArray = (cache.W2.T @ cache.delta2) * activation_derivative(cache.z1, cache.activation)
    return out


def mlp_backward(cache: MLPCache) -> MLPGrads:
    """Gradients of the loss for each parameter, from the forward cache (BP1-BP4)."""
    dW2, db2 = layer_grads(cache.delta2, cache.a1)
    dW1, db1 = layer_grads(hidden_error(cache), cache.x)
    return MLPGrads(dW1=dW1, db1=db1, dW2=dW2, db2=db2)


def mlp_loss_and_grads(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Forward and backward in one call (what ``backprop.mlp`` asks)."""
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    return value, mlp_backward(cache)


# --- misconceptions about backprop (same arguments as mlp_loss_and_grads) --------------------------------


def misconception_missing_activation_derivative(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Sends ``W2ᵀ δ2`` straight into the hidden layer's gradients, without the factor ``f'(z1)``.

    Tempting because the output layer (linear, or softmax with CE) needs no derivative factor, and the
    pattern gets copied one layer down.
    """
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    dW2, db2 = layer_grads(cache.delta2, cache.a1)
    dW1, db1 = layer_grads(cache.W2.T @ cache.delta2, cache.x)
    return value, MLPGrads(dW1=dW1, db1=db1, dW2=dW2, db2=db2)


def misconception_untransposed_weights(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Propagates the error back with ``W2 δ2`` instead of ``W2ᵀ δ2``.

    Tempting because the forward pass multiplies by ``W2``; with square weights the shapes even match.
    """
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    dW2, db2 = layer_grads(cache.delta2, cache.a1)
    delta1 = (cache.W2 @ cache.delta2) * activation_derivative(cache.z1, activation_name)
    dW1, db1 = layer_grads(delta1, cache.x)
    return value, MLPGrads(dW1=dW1, db1=db1, dW2=dW2, db2=db2)


def misconception_outer_product_reversed(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Forms each weight gradient as ``input ⊗ δ`` (in, out), the transpose of ``δ ⊗ input``.

    Tempting because the batch formula ``Xᵀ δ`` puts the input first; for weights stored (out, in) the
    order is ``δ xᵀ``.
    """
    value, grads = mlp_loss_and_grads(x, y, params, activation_name=activation_name, loss=loss)
    return value, grads._replace(dW1=grads.dW1.T, dW2=grads.dW2.T)


def misconception_derivative_at_output(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Evaluates the activation's derivative at the output ``a1`` instead of the pre-activation ``z1``.

    Tempting because the derivative is often written in terms of the output (``a(1 − a)``, ``1 − a²``), and
    the cached ``a1`` then gets passed to a function that expects ``z1``.
    """
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    dW2, db2 = layer_grads(cache.delta2, cache.a1)
    delta1 = (cache.W2.T @ cache.delta2) * activation_derivative(cache.a1, activation_name)
    dW1, db1 = layer_grads(delta1, cache.x)
    return value, MLPGrads(dW1=dW1, db1=db1, dW2=dW2, db2=db2)


def misconception_output_error_without_y(
    x: FloatArray, y: FloatArray, params: MLPParams, *, activation_name: HiddenActivation, loss: LossName
) -> tuple[float, MLPGrads]:
    """Uses ``δ2 = p`` (softmax's output) for cross-entropy, forgetting to subtract the target.

    Tempting because the forward pass ends at ``p``; the ``− y`` comes from the log in the loss.
    """
    value, cache = mlp_forward(x, y, params, activation_name=activation_name, loss=loss)
    return value, mlp_backward(replace(cache, delta2=cache.delta2 + y))


# --- gradient checking -----------------------------------------------------------------------------------


def quadratic_loss(w: FloatArray, *, a: FloatArray, b: FloatArray) -> float:
    """``C(w) = ½ wᵀ A w + bᵀ w`` for a symmetric ``A``."""
    return 0.5 * float(w @ a @ w) + float(b @ w)


def quadratic_gradient(w: FloatArray, *, a: FloatArray, b: FloatArray) -> FloatArray:
    """``∇C = A w + b`` (A symmetric)."""
    out: FloatArray = a @ w + b
    return out


def tiny_net_loss(w: FloatArray, *, x: float, y: float) -> float:
    """``C(w) = ½ (w₂ tanh(w₁ x) − y)²``: one input, one tanh hidden unit, one linear output."""
    residual = w[1] * math.tanh(w[0] * x) - y
    return 0.5 * float(residual * residual)


def tiny_net_gradient(w: FloatArray, *, x: float, y: float) -> FloatArray:
    """``[r w₂ (1 − a²) x, r a]`` with ``a = tanh(w₁ x)`` and the residual ``r = w₂ a − y``."""
    a = math.tanh(w[0] * x)
    r = float(w[1] * a - y)
    return np.array([r * float(w[1]) * (1.0 - a * a) * x, r * a])


def gradient_check(
    f: Callable[[FloatArray], float], w: FloatArray, analytic: FloatArray, *, h: float
) -> GradCheck:
    """The centered-difference gradient of ``f`` at ``w`` and its relative error against ``analytic``."""
    numerical = numerical_gradient(f, w, h=h)
    return GradCheck(numerical=numerical, relative_error=relative_error(analytic, numerical))


def misconception_forward_difference(
    f: Callable[[FloatArray], float], w: FloatArray, analytic: FloatArray, *, h: float
) -> GradCheck:
    """Uses the one-sided difference ``(C(w + h e_i) − C(w)) / h``.

    Tempting because it is the definition of the derivative and needs one evaluation fewer; its error is
    ``O(h)`` instead of ``O(h²)``.
    """
    base = f(w)
    numerical = np.empty_like(w)
    for i in range(w.size):
        shifted = w.copy()
        shifted[i] += h
        numerical[i] = (f(shifted) - base) / h
    return GradCheck(numerical=numerical, relative_error=relative_error(analytic, numerical))


def misconception_step_not_doubled(
    f: Callable[[FloatArray], float], w: FloatArray, analytic: FloatArray, *, h: float
) -> GradCheck:
    """Divides the centered difference by ``h`` instead of ``2h``: the two points are ``2h`` apart.

    Tempting because the one-sided formula divides by ``h`` and the denominator gets copied.
    """
    numerical = 2.0 * numerical_gradient(f, w, h=h)
    return GradCheck(numerical=numerical, relative_error=relative_error(analytic, numerical))


def misconception_abs_error_not_relative(
    f: Callable[[FloatArray], float], w: FloatArray, analytic: FloatArray, *, h: float
) -> GradCheck:
    """Reports the absolute error ``‖g_a − g_n‖`` instead of dividing by the gradients' scale.

    Tempting because "how far apart are they" is the first question; but gradients vary over orders of
    magnitude, so an absolute threshold means nothing.
    """
    numerical = numerical_gradient(f, w, h=h)
    return GradCheck(numerical=numerical, relative_error=float(np.linalg.norm(analytic - numerical)))


# --- generator: backprop.mlp -----------------------------------------------------------------------------

_MLPFunction = Callable[..., tuple[float, MLPGrads]]


@dataclass(frozen=True, slots=True)
class _MLPQuestion:
    x: FloatArray
    y: FloatArray
    params: MLPParams
    activation_name: HiddenActivation
    loss: LossName


def _mlp_inputs(inputs: Inputs) -> _MLPQuestion:
    activation_name = str(inputs["activation"])
    loss = str(inputs["loss"])
    if activation_name not in HIDDEN_ACTIVATIONS:
        raise ValueError(f"unknown hidden activation: {activation_name!r}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss: {loss!r}")
    params = MLPParams(
        W1=as_array(inputs["W1"]),
        b1=as_array(inputs["b1"]),
        W2=as_array(inputs["W2"]),
        b2=as_array(inputs["b2"]),
    )
    return _MLPQuestion(as_array(inputs["x"]), as_array(inputs["y"]), params, activation_name, loss)


def _mlp_answer(inputs: Inputs, compute: _MLPFunction) -> Answer:
    q = _mlp_inputs(inputs)
    value, grads = compute(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)
    return {"loss": value, "dW1": grads.dW1, "db1": grads.db1, "dW2": grads.dW2, "db2": grads.db2}


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


class MLPGenerator(Generator):
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
    misconceptions = (
        Misconception(
            id="backprop.missing-activation-derivative",
            feedback="You sent W₂ᵀδ₂ into the hidden layer without multiplying by the activation's slope f′(z₁).",
            answer=lambda inputs: _mlp_answer(inputs, misconception_missing_activation_derivative),
        ),
        Misconception(
            id="backprop.untransposed-weights",
            feedback="You propagated the error with W₂δ₂; going backwards uses the transpose, W₂ᵀδ₂.",
            answer=lambda inputs: _mlp_answer(inputs, misconception_untransposed_weights),
        ),
        Misconception(
            id="backprop.outer-product-reversed",
            feedback="Your weight gradients are transposed: with W stored as (out, in), dW = δ xᵀ, not x δᵀ.",
            answer=lambda inputs: _mlp_answer(inputs, misconception_outer_product_reversed),
        ),
        Misconception(
            id="backprop.derivative-at-output",
            feedback="You evaluated the activation's derivative at the output a₁; it is f′(z₁), at the pre-activation.",
            answer=lambda inputs: _mlp_answer(inputs, misconception_derivative_at_output),
            applies=lambda inputs: inputs["activation"] != "relu",  # relu'(relu(z)) = relu'(z) off the kink
        ),
        Misconception(
            id="backprop.output-error-without-y",
            feedback="You used δ₂ = p; with softmax and cross-entropy the output error is p − y.",
            answer=lambda inputs: _mlp_answer(inputs, misconception_output_error_without_y),
            applies=lambda inputs: inputs["loss"] == "softmax_ce",
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(19)  # one call, cut into pieces: NumPy's per-call cost dominates at this size
        activation_name = HIDDEN_ACTIVATIONS[int(u[0] * len(HIDDEN_ACTIVATIONS))]
        loss = LOSSES[int(u[1] * len(LOSSES))]
        if loss == "mse":
            y = _grid(u[5:7], -1.0, 1.0)
        else:
            y = np.zeros(N_OUT)
            y[int(u[2] * N_OUT)] = 1.0
        return {
            "x": _grid(u[3:5], -2.0, 2.0),
            "y": y,
            "W1": _grid(u[7:11], -1.5, 1.5).reshape(N_HIDDEN, N_IN),
            "b1": _grid(u[11:13], -0.5, 0.5),
            "W2": _grid(u[13:17], -1.5, 1.5).reshape(N_OUT, N_HIDDEN),
            "b2": _grid(u[17:19], -0.5, 0.5),
            "activation": activation_name,
            "loss": loss,
        }

    def acceptable(self, inputs: Inputs) -> bool:
        q = _mlp_inputs(inputs)
        _value, cache = mlp_forward(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)
        if q.activation_name == "relu":
            # Off the kink, and one unit active and one dead: with both active ReLU's gate changes nothing,
            # with both dead every hidden gradient is 0, and either way the question cannot show the gate.
            z1 = cache.z1
            if not (np.abs(z1).min() >= KINK_MARGIN and z1.min() < 0 < z1.max()):
                return False
        # Every active hidden unit receives an error through W2, or dW1 cannot show that step (with softmax
        # cross-entropy it is exactly 0 for a unit whose column of W2 repeats an entry, since Σδ2 = 0).
        back = cache.W2.T @ cache.delta2
        active = activation_derivative(cache.z1, q.activation_name) > 0
        return bool((np.abs(back[active]) >= MIN_BACK_ERROR).all())

    def prompt(self, inputs: Inputs) -> str:
        q = _mlp_inputs(inputs)
        p = q.params
        return (
            "A network with one hidden layer computes, for one example, "
            r"$z_1 = W_1 x + b_1$, $a_1 = f(z_1)$, $z_2 = W_2 a_1 + b_2$, "
            f"where the hidden activation $f$ is {_ACTIVATION_TEXT[q.activation_name]} and the loss is "
            f"{_LOSS_TEXT[q.loss]}. Weights are stored as (out, in); vectors are columns, written below as rows.\n\n"
            f"$x = {matrix(q.x)}$, $y = {matrix(q.y)}$, $W_1 = {matrix(p.W1)}$, $b_1 = {matrix(p.b1)}$, "
            f"$W_2 = {matrix(p.W2)}$, $b_2 = {matrix(p.b2)}$.\n\n"
            "Compute the loss (`loss`) and its gradients with respect to each parameter, each with the "
            "shape of its parameter: `dW1`, `db1`, `dW2`, `db2`. Answers are checked to 1 % "
            "(0.001 absolute near zero)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _mlp_answer(inputs, mlp_loss_and_grads)

    def explain(self, inputs: Inputs) -> list[Step]:
        q = _mlp_inputs(inputs)
        value, cache = mlp_forward(q.x, q.y, q.params, activation_name=q.activation_name, loss=q.loss)
        grads = mlp_backward(cache)
        delta1 = hidden_error(cache)
        slope = activation_derivative(cache.z1, q.activation_name)
        if q.loss == "mse":
            loss_text = f"$L = \\tfrac12 \\|z_2 - y\\|^2 = {num(value)}$"
            error_text = f"Output error (linear output): $\\delta_2 = z_2 - y = {matrix(cache.delta2)}$."
        else:
            p = cache.delta2 + q.y
            loss_text = f"$p = \\operatorname{{softmax}}(z_2) = {matrix(p)}$, $L = -\\log p_{{{int(q.y.argmax())}}} = {num(value)}$"
            error_text = (
                f"Output error of softmax with cross-entropy: $\\delta_2 = p - y = {matrix(cache.delta2)}$."
            )
        return [
            Step("z1", f"$z_1 = W_1 x + b_1 = {matrix(cache.z1)}$.", cache.z1.tolist()),
            Step("a1", f"$a_1 = f(z_1) = {matrix(cache.a1)}$.", cache.a1.tolist()),
            Step("z2", f"$z_2 = W_2 a_1 + b_2 = {matrix(cache.z2)}$.", cache.z2.tolist()),
            Step("loss", f"{loss_text}.", value),
            Step("delta2", error_text, cache.delta2.tolist()),
            Step(
                "dW2",
                f"$dW_2 = \\delta_2 a_1^\\top = {matrix(grads.dW2)}$ and $db_2 = \\delta_2$.",
                grads.dW2.tolist(),
            ),
            Step(
                "delta1",
                f"Back through $W_2$ and the activation: $W_2^\\top \\delta_2 = {matrix(cache.W2.T @ cache.delta2)}$, "
                f"$f'(z_1) = {matrix(slope)}$, so $\\delta_1 = (W_2^\\top \\delta_2) \\odot f'(z_1) = {matrix(delta1)}$.",
                delta1.tolist(),
            ),
            Step(
                "dW1",
                f"$dW_1 = \\delta_1 x^\\top = {matrix(grads.dW1)}$ and $db_1 = \\delta_1$.",
                grads.dW1.tolist(),
            ),
        ]


# --- generator: backprop.gradcheck -----------------------------------------------------------------------

_CheckFunction = Callable[..., GradCheck]


@dataclass(frozen=True, slots=True)
class _CheckQuestion:
    kind: GradcheckKind
    f: Callable[[FloatArray], float]
    gradient: Callable[[FloatArray], FloatArray]  # the true gradient, for the worked solution
    w: FloatArray
    analytic: FloatArray
    h: float


def _check_inputs(inputs: Inputs) -> _CheckQuestion:
    kind = str(inputs["kind"])
    w, analytic, h = as_array(inputs["w"]), as_array(inputs["analytic"]), as_float(inputs["h"])
    if kind == "quadratic":
        a, b = as_array(inputs["A"]), as_array(inputs["b"])
        return _CheckQuestion(
            "quadratic",
            lambda v: quadratic_loss(v, a=a, b=b),
            lambda v: quadratic_gradient(v, a=a, b=b),
            w,
            analytic,
            h,
        )
    if kind == "tiny_net":
        x, y = as_float(inputs["x"]), as_float(inputs["y"])
        return _CheckQuestion(
            "tiny_net",
            lambda v: tiny_net_loss(v, x=x, y=y),
            lambda v: tiny_net_gradient(v, x=x, y=y),
            w,
            analytic,
            h,
        )
    raise ValueError(f"unknown function kind: {kind!r}")


def _check_answer(inputs: Inputs, compute: _CheckFunction) -> Answer:
    q = _check_inputs(inputs)
    result = compute(q.f, q.w, q.analytic, h=q.h)
    return {"numerical_grad": result.numerical, "relative_error": result.relative_error}


def _buggy_gradient(kind: GradcheckKind, w: FloatArray, extra: Inputs, bug: int) -> FloatArray:
    """The gradient "under test": the true one with one of three typical backprop bugs."""
    if kind == "quadratic":
        a, b = as_array(extra["A"]), as_array(extra["b"])
        quadratic_bugs: tuple[FloatArray, ...] = (
            0.5 * (a @ w) + b,  # d(½ wᵀAw) taken as ½Aw
            np.diag(a) * w + b,  # off-diagonal coupling dropped
            a @ w,  # linear term forgotten
        )
        return quadratic_bugs[bug]
    x, y = as_float(extra["x"]), as_float(extra["y"])
    hidden = math.tanh(float(w[0]) * x)
    r = float(w[1]) * hidden - y
    net_bugs = (
        np.array([r * float(w[1]) * x, r * hidden]),  # tanh derivative missing
        np.array([r * float(w[1]) * (1.0 - hidden * hidden), r * hidden]),  # input x missing
        -tiny_net_gradient(w, x=x, y=y),  # residual taken as y − output
    )
    return net_bugs[bug]


class GradcheckGenerator(Generator):
    """``backprop.gradcheck``: centered-difference gradient of a small loss and its relative error."""

    id = "backprop.gradcheck"
    topic = "backprop"
    title = "Gradient checking: numerical gradient and relative error"
    answer_fields = {
        "numerical_grad": FieldSpec(shape=(N_WEIGHTS,), rtol=RTOL, atol=ATOL),
        "relative_error": FieldSpec(rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="backprop.forward-difference",
            feedback="You used the one-sided difference (C(w + h) − C(w))/h; the check uses the centered (C(w + h) − C(w − h))/2h.",
            answer=lambda inputs: _check_answer(inputs, misconception_forward_difference),
        ),
        Misconception(
            id="backprop.abs-error-not-relative",
            feedback="You gave the absolute error ‖gₐ − gₙ‖; divide it by max(‖gₐ‖, ‖gₙ‖) to make it scale-free.",
            answer=lambda inputs: _check_answer(inputs, misconception_abs_error_not_relative),
        ),
        Misconception(
            id="backprop.centered-difference-over-h",
            feedback="You divided the centered difference by h; the two points w ± h are 2h apart.",
            answer=lambda inputs: _check_answer(inputs, misconception_step_not_doubled),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(10)  # one call, cut into pieces: NumPy's per-call cost dominates at this size
        kind = GRADCHECK_KINDS[int(u[0] * len(GRADCHECK_KINDS))]
        h = STEP_CHOICES[int(u[1] * len(STEP_CHOICES))]
        bug = int(u[2] * 3)
        w = _grid(u[3:5], -1.5, 1.5)
        extra: dict[str, InputValue]
        if kind == "quadratic":
            diagonal, off = _grid(u[5:7], 1.0, 3.0), float(_grid(u[7:8], -1.0, 1.0)[0])
            a = np.array([[diagonal[0], off], [off, diagonal[1]]])
            extra = {"A": a, "b": _grid(u[8:10], -1.0, 1.0)}
        else:
            extra = {"x": float(_grid(u[5:6], -2.0, 2.0)[0]), "y": float(_grid(u[6:7], -1.0, 1.0)[0])}
        analytic = np.round(_buggy_gradient(kind, w, extra, bug), 3)
        return {"kind": kind, "w": w, "h": h, "analytic": analytic, **extra}

    def acceptable(self, inputs: Inputs) -> bool:
        q = _check_inputs(inputs)
        true = q.gradient(q.w)
        if float(np.linalg.norm(true)) < MIN_GRADIENT:
            return False
        # The bug must stand out from the truncation error of the large step, or the check proves nothing.
        numerical = numerical_gradient(q.f, q.w, h=q.h)
        return relative_error(q.analytic, numerical) >= max(
            MIN_BUG_ERROR, 10.0 * relative_error(true, numerical)
        )

    def prompt(self, inputs: Inputs) -> str:
        q = _check_inputs(inputs)
        if q.kind == "quadratic":
            a, b = as_array(inputs["A"]), as_array(inputs["b"])
            function = (
                r"the quadratic $C(w) = \tfrac{1}{2} w^\top A w + b^\top w$ with "
                f"$A = {matrix(a)}$ and $b = {matrix(b)}$"
            )
        else:
            x, y = as_float(inputs["x"]), as_float(inputs["y"])
            function = (
                r"the loss of a one-hidden-unit net, $C(w) = \tfrac{1}{2}\left(w_2 \tanh(w_1 x) - y\right)^2$ "
                f"with $x = {num(x)}$ and $y = {num(y)}$"
            )
        return (
            f"A backprop implementation reports the gradient $g_a = {matrix(q.analytic)}$ of {function}, "
            f"at $w = {matrix(q.w)}$. Check it with a step $h = {num(q.h)}$ (large, so it can be done by hand).\n\n"
            r"Compute the centered-difference gradient $g_n$, with $g_{n,i} = (C(w + h e_i) - C(w - h e_i)) / 2h$ "
            r"(`numerical_grad`), and the relative error $\|g_a - g_n\| / \max(\|g_a\|, \|g_n\|)$ with "
            "Euclidean norms (`relative_error`). Answers are checked to 1 % (0.001 absolute near zero)."
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _check_answer(inputs, gradient_check)

    def explain(self, inputs: Inputs) -> list[Step]:
        q = _check_inputs(inputs)
        result = gradient_check(q.f, q.w, q.analytic, h=q.h)
        steps: list[Step] = []
        for i in range(q.w.size):
            plus, minus = q.w.copy(), q.w.copy()
            plus[i] += q.h
            minus[i] -= q.h
            c_plus, c_minus = q.f(plus), q.f(minus)
            steps.append(
                Step(
                    f"g_n[{i}]",
                    f"$C({matrix(plus)}) = {num(c_plus)}$ and $C({matrix(minus)}) = {num(c_minus)}$, so "
                    f"$g_{{n,{i + 1}}} = ({num(c_plus)} - {num(c_minus)}) / {num(2 * q.h)} = {num(float(result.numerical[i]))}$.",
                    float(result.numerical[i]),
                )
            )
        difference = float(np.linalg.norm(q.analytic - result.numerical))
        scale = max(float(np.linalg.norm(q.analytic)), float(np.linalg.norm(result.numerical)))
        true = q.gradient(q.w)
        baseline = relative_error(true, result.numerical)
        if baseline < 1e-9:
            reference = "agrees with $g_n$ exactly (a centered difference is exact for a quadratic)"
        else:
            reference = (
                f"would be off by only ${_scientific(baseline)}$ at this step (the centered difference's "
                "truncation error)"
            )
        steps.append(
            Step(
                "relative_error",
                f"$\\|g_a - g_n\\| = {num(difference)}$ and $\\max(\\|g_a\\|, \\|g_n\\|) = {num(scale)}$, "
                f"so the relative error is ${num(result.relative_error)}$. The exact gradient ${matrix(true)}$ "
                f"{reference}, so the reported gradient has a bug.",
                result.relative_error,
            )
        )
        return steps


register(MLPGenerator())
register(GradcheckGenerator())
