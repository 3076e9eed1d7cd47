"""Batch norm at inference: the eval-mode output from running statistics, folding it into the preceding
Linear layer, and what the layer stores (trainable parameters versus buffers).

Conventions (``torch.nn.BatchNorm1d``/``BatchNorm2d`` in ``eval()`` mode, eps = 1e-5): the running mean μ
and running (unbiased) variance σ² replace the batch statistics, so BN is a fixed affine map per feature,
y = γ (z − μ)/√(σ² + eps) + β. After a Linear layer z = W x + b it folds into one Linear layer
(``torch.nn.utils.fusion.fuse_linear_bn_weights``): with s = γ/√(σ² + eps),
W′ = diag(s) W and b′ = s (b − μ) + β. A BatchNorm layer with C features trains γ and β (2C parameters)
and keeps the buffers ``running_mean``, ``running_var`` and the scalar ``num_batches_tracked``
(2C + 1 elements). Ioffe & Szegedy 2015 (https://arxiv.org/abs/1502.03167) §3.1; DLB 8.7.1.
"""

from __future__ import annotations

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import as_array, as_int, pick, picks, signed_tenths
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

EPS = 1e-5
D = 2
RUNNING_VARS = np.array([0.25, 0.64, 2.25, 4.0, 0.16, 1.44])
GAMMAS = np.array([0.5, 1.5, 2.0, -1.0, 0.8])
CHANNELS = (16, 32, 64, 128, 256)


def _read(inputs: Inputs) -> Values:
    values: Values = {
        name: as_array(inputs[name]) for name in ("x", "b", "gamma", "beta", "running_mean", "running_var")
    }
    values["w"] = as_array(inputs["w"]).reshape(D, D)
    values["channels"] = as_int(inputs["channels"])
    return values


GRAPH = StepGraph(
    [
        Calc(
            "z",
            lambda w, x, b: w @ x + b,
            lambda v: f"The Linear layer first: $z = W x + b = {matrix(v['z'])}$.",
        ),
        Calc(
            "inv_std",
            lambda running_var: 1.0 / np.sqrt(running_var + EPS),
            lambda v: (
                f"$1/\\sqrt{{\\sigma^2 + \\epsilon}} = {matrix(v['inv_std'])}$ from the running variance "
                f"${matrix(v['running_var'])}$."
            ),
            hint="`running_var` is a variance: take its square root before dividing.",
        ),
        Calc(
            "y_eval",
            lambda gamma, z, running_mean, inv_std, beta: gamma * (z - running_mean) * inv_std + beta,
            lambda v: (
                f"$y = \\gamma (z - \\mu) / \\sqrt{{\\sigma^2 + \\epsilon}} + \\beta = {matrix(v['y_eval'])}$."
            ),
            hint="In eval mode the running statistics replace the batch's.",
        ),
        Calc(
            "scale",
            lambda gamma, inv_std: gamma * inv_std,
            lambda v: f"Per feature, $s = \\gamma / \\sqrt{{\\sigma^2 + \\epsilon}} = {matrix(v['scale'])}$.",
        ),
        Calc(
            "w_fold",
            lambda scale, w: scale[:, None] * w,
            lambda v: f"Each row of W is scaled by its feature's $s$: $W' = {matrix(v['w_fold'])}$.",
            hint="Write y = s (Wx + b − μ) + β and read off the matrix that multiplies x.",
        ),
        Calc(
            "b_fold",
            lambda scale, b, running_mean, beta: scale * (b - running_mean) + beta,
            lambda v: f"$b' = s (b - \\mu) + \\beta = {matrix(v['b_fold'])}$.",
            hint="The constant part keeps both the Linear bias and the running mean.",
        ),
        Calc(
            "n_params",
            lambda channels: 2 * channels,
            lambda v: f"Trainable: $\\gamma$ and $\\beta$, $2 \\cdot {v['channels']} = {v['n_params']}$.",
            hint="Only tensors that receive gradients are parameters.",
        ),
        Calc(
            "n_buffers",
            lambda channels: 2 * channels + 1,
            lambda v: (
                f"Buffers: running_mean and running_var ({v['channels']} each) and the scalar "
                f"num_batches_tracked: ${v['n_buffers']}$."
            ),
            hint="List `bn.buffers()`: the running statistics are not the only buffers.",
        ),
    ],
    fields=("y_eval", "w_fold", "b_fold", "n_params", "n_buffers"),
    misconceptions=[
        WrongStep(
            id="batchnorm.eval-divides-by-variance",
            feedback="You divided by the running variance; batch norm divides by the standard deviation "
            "√(σ² + eps).",
            root="inv_std",
            # The buffer is called running_var and is easy to use as the divisor directly.
            wrong=lambda running_var: 1.0 / (running_var + EPS),
        ),
        WrongStep(
            id="batchnorm.fold-bias-without-mean",
            feedback="Your folded bias leaves out the running mean: b′ = s(b − μ) + β.",
            root="b_fold",
            # Scaling the old bias and adding β looks complete.
            wrong=lambda scale, b, beta: scale * b + beta,
        ),
        WrongStep(
            id="batchnorm.fold-drops-linear-bias",
            feedback="Your folded bias leaves out the Linear layer's own bias b: b′ = s(b − μ) + β.",
            root="b_fold",
            # Folding is often shown for a convolution without bias (bias=False before BN).
            wrong=lambda scale, running_mean, beta: beta - scale * running_mean,
        ),
        WrongStep(
            id="batchnorm.buffers-counted-as-parameters",
            feedback="You counted the running statistics as parameters; they are buffers, updated without "
            "gradients, so only γ and β (2C) are trainable.",
            root="n_params",
            # The running statistics are in the state_dict beside γ and β.
            wrong=lambda channels: 4 * channels,
        ),
        WrongStep(
            id="batchnorm.buffers-without-counter",
            feedback="You left out num_batches_tracked, a third (scalar) buffer: 2C + 1 buffer elements.",
            root="n_buffers",
            # The counter only matters for momentum=None (a cumulative average), so few know it is there.
            wrong=lambda channels: 2 * channels,
        ),
    ],
    read=_read,
)


class EvalFoldGenerator(StepGenerator):
    """``batchnorm.eval_fold``: eval-mode BN after a Linear layer, the folded layer, parameters vs buffers."""

    id = "batchnorm.eval_fold"
    topic = "batchnorm"
    title = "Batch norm at inference: eval output, folding into Linear, parameters vs buffers"
    answer_fields = {
        "y_eval": FieldSpec(shape=(D,)),
        "w_fold": FieldSpec(shape=(D, D)),
        "b_fold": FieldSpec(shape=(D,)),
        "n_params": FieldSpec(dtype="int"),
        "n_buffers": FieldSpec(dtype="int"),
    }
    graph = GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: the running variances are perfect squares

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {
            "w": signed_tenths(rng, (D, D), 10),
            "b": signed_tenths(rng, (D,), 10, low=3),
            "x": rng.integers(-4, 5, size=D) / 2.0,
            "gamma": picks(rng, GAMMAS, D),
            "beta": signed_tenths(rng, (D,), 10),
            "running_mean": signed_tenths(rng, (D,), 15, low=3),
            "running_var": picks(rng, RUNNING_VARS, D),
            "channels": int(pick(rng, CHANNELS)),
        }

    def acceptable(self, inputs: Inputs) -> bool:
        """Both biases and both running means are clearly non-zero (each folding slip shows)."""
        v = _read(inputs)
        return bool(np.abs(v["b"]).min() >= 0.3 and np.abs(v["running_mean"]).min() >= 0.3)

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A `nn.Linear(2, 2)` with $W = {matrix(v['w'])}$, $b = {matrix(v['b'])}$ feeds a "
            f"`nn.BatchNorm1d(2)` in `eval()` mode with $\\gamma = {matrix(v['gamma'])}$, "
            f"$\\beta = {matrix(v['beta'])}$, running_mean $= {matrix(v['running_mean'])}$, running_var $= "
            f"{matrix(v['running_var'])}$, eps $= 10^{{-5}}$. Give the output for $x = {matrix(v['x'])}$ "
            "(`y_eval`), and the weight `w_fold` and bias `b_fold` of the single Linear layer that computes the "
            f"same map. For a `nn.BatchNorm2d({v['channels']})`, how many trainable parameter elements "
            "(`n_params`) and buffer elements (`n_buffers`) does it hold?"
        )


register(EvalFoldGenerator())
