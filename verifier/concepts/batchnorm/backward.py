"""``batchnorm.backward`` as a step graph, staged as it is derived by hand (cs231n's staged backward):

forward statistics → ``dbeta``, ``dgamma`` → ``dx_hat`` = γ·dy → ``dvar`` (the path through σ²) → ``dmean``
(the path through μ) → ``stat_paths`` → ``dx``. The compact form ``batchnorm_backward`` stays the public
reference; the oracle tests check both it and this graph's ``solve`` against PyTorch's autograd.
Each misconception drops one path: its root is ``dmean``, ``dvar`` or both (``stat_paths``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    FEATURES,
    BatchNormCache,
    BatchNormGrads,
    batchnorm_forward,
)
from verifier.concepts.batchnorm.inputs import (
    _eps_tex,
    _forward_inputs,
    _forward_spec,
    _grid,
    _sample_layer,
    _sample_layer_by_hand,
    _spread_enough,
)
from verifier.generator import as_array
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep


def _backward_inputs(inputs: Inputs) -> tuple[FloatArray, BatchNormCache]:
    x, gamma, beta, eps = _forward_inputs(inputs)
    _, cache = batchnorm_forward(x, gamma, beta, eps=eps)
    return as_array(inputs["dy"]), cache


def _read(inputs: Inputs) -> Values:
    x, gamma, beta, eps = _forward_inputs(inputs)
    return {"x": x, "gamma": gamma, "beta": beta, "eps": eps, "dy": as_array(inputs["dy"])}


def _grads(values: Values) -> BatchNormGrads:
    return BatchNormGrads(np.asarray(values["dx"]), np.asarray(values["dgamma"]), np.asarray(values["dbeta"]))


def _wrong_backward(misconception_id: str, dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """A misconception's gradients for the forward pass in ``cache`` (x is recovered from x̂, μ and σ)."""
    x = cache.x_hat / cache.inv_std + cache.mean
    inputs = {"x": x, "gamma": cache.gamma, "beta": np.zeros_like(cache.gamma), "eps": 0.0, "dy": dy}
    inputs["eps"] = float(np.mean(1.0 / cache.inv_std**2 - cache.var))
    return _grads(GRAPH.misconception(misconception_id).answer(inputs))


def misconception_dx_ignores_mean_path(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """The gradients of ``batchnorm.dx-ignores-mean-path`` (see GRAPH)."""
    return _wrong_backward("batchnorm.dx-ignores-mean-path", dy, cache)


def misconception_dx_ignores_variance_path(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """The gradients of ``batchnorm.dx-ignores-variance-path`` (see GRAPH)."""
    return _wrong_backward("batchnorm.dx-ignores-variance-path", dy, cache)


def misconception_stats_treated_as_constants(dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads:
    """The gradients of ``batchnorm.dx-treats-stats-as-constants`` (see GRAPH)."""
    return _wrong_backward("batchnorm.dx-treats-stats-as-constants", dy, cache)


def _dvar(dx_hat: FloatArray, x: FloatArray, mean: FloatArray, inv_std: FloatArray) -> FloatArray:
    """∂L/∂σ² = Σ dx̂·(x − μ) · (−½)(σ² + ε)^(−3/2)."""
    out: FloatArray = -0.5 * (dx_hat * (x - mean)).sum(axis=0) * inv_std**3
    return out


def _dmean(dx_hat: FloatArray, inv_std: FloatArray, dvar: Any, x: FloatArray, mean: FloatArray) -> FloatArray:
    """∂L/∂μ = −Σ dx̂ / σ + ∂L/∂σ² · (−2/m) Σ (x − μ); the second sum is 0 but is written out."""
    m = x.shape[0]
    out: FloatArray = -dx_hat.sum(axis=0) * inv_std + dvar * (-2.0 / m) * (x - mean).sum(axis=0)
    return out


GRAPH = StepGraph(
    [
        Calc(
            "mean",
            lambda x: x.sum(axis=0) / x.shape[0],
            lambda v: f"Forward pass: $\\mu_B = {matrix(v['mean'])}$,",
        ),
        Calc(
            "var",
            lambda x, mean: ((x - mean) ** 2).sum(axis=0) / x.shape[0],
            lambda v: f"$\\sigma_B^2 = {matrix(v['var'])}$ (biased),",
        ),
        Calc(
            "inv_std",
            lambda var, eps: 1.0 / np.sqrt(var + eps),
            lambda v: f"$1/\\sqrt{{\\sigma_B^2 + {_eps_tex(v['eps'])}}} = {matrix(v['inv_std'])}$,",
        ),
        Calc(
            "x_hat",
            lambda x, mean, inv_std: (x - mean) * inv_std,
            lambda v: f"$\\hat{{x}} = {matrix(v['x_hat'])}$.",
        ),
        Calc(
            "dbeta",
            lambda dy: dy.sum(axis=0),
            lambda v: (
                "$\\beta$ is added to every row: $\\partial L/\\partial \\beta = \\sum_i dy_i = "
                f"{matrix(v['dbeta'])}$."
            ),
            hint=r"$\beta$ is added to every example, so its gradient sums $dy$ over the batch.",
        ),
        Calc(
            "dgamma",
            lambda dy, x_hat: (dy * x_hat).sum(axis=0),
            lambda v: (
                "$\\gamma$ multiplies $\\hat{x}$: $\\partial L/\\partial \\gamma = "
                f"\\sum_i dy_i \\hat{{x}}_i = {matrix(v['dgamma'])}$."
            ),
        ),
        Calc(
            "dx_hat",
            lambda dy, gamma: dy * gamma,
            lambda v: f"$\\partial L/\\partial \\hat{{x}} = \\gamma\\, dy = {matrix(v['dx_hat'])}$.",
            hint=r"Go backwards one step at a time: $\hat{x}$, then $\sigma_B^2$, then $\mu_B$, then $x$.",
        ),
        Calc(
            "dvar",
            _dvar,
            lambda v: (
                "Through the variance: $\\partial L/\\partial \\sigma_B^2 = \\sum_i "
                "\\frac{\\partial L}{\\partial \\hat{x}_i}(x_i - \\mu_B) \\cdot "
                f"(-\\tfrac{{1}}{{2}})(\\sigma_B^2 + \\epsilon)^{{-3/2}} = {matrix(v['dvar'])}$."
            ),
            hint=r"$\sigma_B^2$ depends on every $x_i$: it has its own path to $dx$.",
        ),
        Calc(
            "dmean",
            _dmean,
            lambda v: (
                "Through the mean: $\\partial L/\\partial \\mu_B = -\\sum_i "
                "\\frac{\\partial L}{\\partial \\hat{x}_i} \\frac{1}{\\sqrt{\\sigma_B^2 + \\epsilon}} + "
                "\\frac{\\partial L}{\\partial \\sigma_B^2} \\cdot \\frac{-2}{m}\\sum_i (x_i - \\mu_B) = "
                f"{matrix(v['dmean'])}$."
            ),
            hint=r"So does $\mu_B$.",
        ),
        Calc(
            "stat_paths",
            lambda dvar, dmean, x, mean: dvar * 2.0 * (x - mean) / x.shape[0] + dmean / x.shape[0],
            lambda v: (
                "The statistics' share of each $dx_i$: $\\frac{\\partial L}{\\partial \\sigma_B^2}"
                "\\frac{2(x_i - \\mu_B)}{m} + \\frac{\\partial L}{\\partial \\mu_B}\\frac{1}{m} = "
                f"{matrix(v['stat_paths'])}$."
            ),
        ),
        Calc(
            "dx",
            lambda dx_hat, inv_std, stat_paths: dx_hat * inv_std + stat_paths,
            lambda v: (
                "Direct path plus the statistics' paths: $dx = \\frac{\\partial L}{\\partial \\hat{x}}"
                f"\\frac{{1}}{{\\sqrt{{\\sigma_B^2 + \\epsilon}}}} + \\ldots = {matrix(v['dx'])}$."
            ),
        ),
    ],
    fields=("dx", "dgamma", "dbeta"),
    misconceptions=[
        WrongStep(
            id="batchnorm.dx-ignores-mean-path",
            feedback="Your dx treats the batch mean as a constant; μ_B depends on every input, which adds "
            "a −Σdy term.",
            root="dmean",
            # The mean looks like a fixed shift; it is computed from the very inputs being differentiated.
            wrong=lambda mean: np.zeros_like(mean),
        ),
        WrongStep(
            id="batchnorm.dx-ignores-variance-path",
            feedback="Your dx treats the batch variance as a constant; σ²_B depends on every input, which "
            "adds a −x̂·Σ(dy·x̂) term.",
            root="dvar",
            # The variance enters only as a divisor; that divisor still depends on every input.
            wrong=lambda var: np.zeros_like(var),
        ),
        WrongStep(
            id="batchnorm.dx-treats-stats-as-constants",
            feedback="You backpropagated as through a fixed affine map (γ·dy/√(σ² + ε)); in training mode "
            "both batch statistics depend on x.",
            root="stat_paths",
            # The eval-mode gradient; in training mode both statistics depend on x.
            wrong=lambda x: np.zeros_like(x),
        ),
    ],
    read=_read,
)


class BackwardGenerator(StepGenerator):
    """``batchnorm.backward``: dx, dgamma and dbeta of a training-mode batch-norm layer."""

    id = "batchnorm.backward"
    topic = "batchnorm"
    title = "Batch norm backward pass (dx, dγ, dβ)"
    answer_fields = {
        "dx": FieldSpec((BATCH, FEATURES), atol=ATOL),
        "dgamma": FieldSpec((FEATURES,), atol=ATOL),
        "dbeta": FieldSpec((FEATURES,), atol=ATOL),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        inputs = _sample_layer(rng)
        inputs["dy"] = _grid(rng.random(BATCH * FEATURES), -2.0, 2.0).reshape(BATCH, FEATURES)
        return inputs

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        inputs = _sample_layer_by_hand(rng)
        inputs["dy"] = _grid(rng.random(BATCH * FEATURES), -2.0, 2.0).reshape(BATCH, FEATURES)
        return inputs

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: every batch variance is a perfect square, ε = 10⁻⁵

    def acceptable(self, inputs: Inputs) -> bool:
        return _spread_enough(as_array(inputs["x"]))

    def prompt(self, inputs: Inputs) -> str:
        x, gamma, beta, eps = _forward_inputs(inputs)
        dy = as_array(inputs["dy"])
        return (
            f"A batch-normalization layer in **training mode** computed {_forward_spec()}, on the "
            f"mini-batch $X = {matrix(x)}$ (rows are the $m = {BATCH}$ examples), with "
            f"$\\gamma = {matrix(gamma)}$, $\\beta = {matrix(beta)}$ and $\\epsilon = {_eps_tex(eps)}$. "
            f"The gradient of the loss with respect to its output is $\\partial L/\\partial y = {matrix(dy)}$. "
            "Backpropagate through the layer: "
            f"give `dx` (a ${BATCH} \\times {FEATURES}$ matrix), `dgamma` and `dbeta` ({FEATURES} values each)."
        )


register(BackwardGenerator())
