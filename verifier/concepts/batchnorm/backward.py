"""batchnorm.backward: dx, dgamma and dbeta of a training-mode batch-norm layer."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.concepts.batchnorm.functions import (
    ATOL,
    BATCH,
    FEATURES,
    RTOL,
    TOLERANCE_TEXT,
    BatchNormCache,
    BatchNormGrads,
    _dx,
    _dx_ignores_mean_path,
    _dx_ignores_variance_path,
    _dx_stats_constant,
    batchnorm_backward,
    batchnorm_forward,
    misconception_dx_ignores_mean_path,
    misconception_dx_ignores_variance_path,
    misconception_stats_treated_as_constants,
    parameter_grads,
)
from verifier.concepts.batchnorm.inputs import (
    _eps_tex,
    _forward_inputs,
    _forward_spec,
    _grid,
    _sample_layer,
    _spread_enough,
)
from verifier.generator import Generator, Step, as_array
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.latex import matrix
from verifier.registry import register


def _backward_inputs(inputs: Inputs) -> tuple[FloatArray, BatchNormCache]:
    x, gamma, beta, eps = _forward_inputs(inputs)
    _, cache = batchnorm_forward(x, gamma, beta, eps=eps)
    return as_array(inputs["dy"]), cache


class BackwardRule(Protocol):
    """The signature shared by ``batchnorm_backward`` and its misconceptions."""

    def __call__(self, dy: FloatArray, cache: BatchNormCache) -> BatchNormGrads: ...


def _backward_answer(inputs: Inputs, rule: BackwardRule = batchnorm_backward) -> Answer:
    dy, cache = _backward_inputs(inputs)
    grads = rule(dy, cache)
    return {"dx": grads.dx, "dgamma": grads.dgamma, "dbeta": grads.dbeta}


# In the order of BackwardGenerator.misconceptions.
_DX_RULES = (_dx_ignores_mean_path, _dx_ignores_variance_path, _dx_stats_constant)


class BackwardGenerator(Generator):
    """``batchnorm.backward``: dx, dgamma and dbeta of a training-mode batch-norm layer."""

    id = "batchnorm.backward"
    topic = "batchnorm"
    title = "Batch norm backward pass (dx, dγ, dβ)"
    answer_fields = {
        "dx": FieldSpec((BATCH, FEATURES), rtol=RTOL, atol=ATOL),
        "dgamma": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
        "dbeta": FieldSpec((FEATURES,), rtol=RTOL, atol=ATOL),
    }
    misconceptions = (
        Misconception(
            id="batchnorm.dx-ignores-mean-path",
            feedback="Your dx treats the batch mean as a constant; μ_B depends on every input, which adds "
            "a −Σdy term.",
            answer=lambda inputs: _backward_answer(inputs, misconception_dx_ignores_mean_path),
            changes=("dx",),
        ),
        Misconception(
            id="batchnorm.dx-ignores-variance-path",
            feedback="Your dx treats the batch variance as a constant; σ²_B depends on every input, which "
            "adds a −x̂·Σ(dy·x̂) term.",
            answer=lambda inputs: _backward_answer(inputs, misconception_dx_ignores_variance_path),
            changes=("dx",),
        ),
        Misconception(
            id="batchnorm.dx-treats-stats-as-constants",
            feedback="You backpropagated as through a fixed affine map (γ·dy/√(σ² + ε)); in training mode "
            "both batch statistics depend on x.",
            answer=lambda inputs: _backward_answer(inputs, misconception_stats_treated_as_constants),
            changes=("dx",),
        ),
    )

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        inputs = _sample_layer(rng)
        inputs["dy"] = _grid(rng.random(BATCH * FEATURES), -2.0, 2.0).reshape(BATCH, FEATURES)
        return inputs

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
            f"give `dx` (a ${BATCH} \\times {FEATURES}$ matrix), `dgamma` and `dbeta` ({FEATURES} values each). "
            f"{TOLERANCE_TEXT}"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _backward_answer(inputs)

    def answers(self, inputs: Inputs) -> AnswerStream:
        # One forward pass; each misconception is a different backward pass from its cache.
        dy, cache = _backward_inputs(inputs)
        dbeta, dgamma = parameter_grads(dy, cache)
        explaining = yield None, {"dx": _dx(dy, cache, dbeta, dgamma), "dgamma": dgamma, "dbeta": dbeta}
        for misconception, rule in zip(self.misconceptions, _DX_RULES, strict=True):
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, {"dx": rule(dy, cache, dbeta, dgamma), "dgamma": dgamma, "dbeta": dbeta}

    def explain(self, inputs: Inputs) -> list[Step]:
        dy, cache = _backward_inputs(inputs)
        grads = batchnorm_backward(dy, cache)
        return [
            Step(
                "x_hat", f"From the forward pass: $\\hat{{x}} = {matrix(cache.x_hat)}$.", cache.x_hat.tolist()
            ),
            Step(
                "inv_std",
                f"and $1/\\sqrt{{\\sigma_B^2 + \\epsilon}} = {matrix(cache.inv_std)}$.",
                cache.inv_std.tolist(),
            ),
            Step(
                "dbeta",
                f"$\\beta$ is added to every row: $\\partial L/\\partial \\beta = \\sum_i dy_i = {matrix(grads.dbeta)}$.",
                grads.dbeta.tolist(),
            ),
            Step(
                "dgamma",
                "$\\gamma$ multiplies $\\hat{x}$: "
                f"$\\partial L/\\partial \\gamma = \\sum_i dy_i \\hat{{x}}_i = {matrix(grads.dgamma)}$.",
                grads.dgamma.tolist(),
            ),
            Step(
                "dx",
                "Direct path, mean path and variance path together: "
                "$dx = \\frac{\\gamma}{m\\sqrt{\\sigma_B^2 + \\epsilon}}"
                "\\left(m\\, dy - \\sum_i dy_i - \\hat{x} \\sum_i dy_i \\hat{x}_i\\right) = "
                f"{matrix(grads.dx)}$.",
                grads.dx.tolist(),
            ),
        ]


register(BackwardGenerator())
