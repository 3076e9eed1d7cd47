"""The ``backprop.gradcheck`` generator: a small loss, a gradient with a typical backprop bug, a large
step; sampling and prompt here, everything else from the step graph in :mod:`.checking`."""

from __future__ import annotations

import math

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.backprop.checking import (
    GRADCHECK_KINDS,
    GRAPH,
    GradcheckKind,
)
from verifier.concepts.backprop.network import ATOL, RTOL
from verifier.generator import as_array, as_float
from verifier.gradcheck import relative_error
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Values

N_WEIGHTS = 2  # backprop.gradcheck checks a gradient with this many entries
STEP_CHOICES = (0.1, 0.2, 0.5)  # large on purpose: the differences must be visible by hand
MIN_GRADIENT = 0.2  # the true gradient's norm is at least this, so the relative error is well conditioned
MIN_BUG_ERROR = 0.05  # the reported gradient's bug shows as at least this relative error
N_BUGS = 3


def _tenths(u: float, low: float, high: float) -> float:
    """A uniform draw ``u`` in [0, 1) mapped to [low, high] and rounded to one decimal (half to even)."""
    return round((low + u * (high - low)) * 10.0) / 10.0


def buggy_gradient(kind: GradcheckKind, w: FloatArray, extra: dict[str, InputValue], bug: int) -> FloatArray:
    """The gradient "under test": the true one with one of three typical backprop bugs."""
    if kind == "quadratic":
        a, b = as_array(extra["A"]), as_array(extra["b"])
        quadratic_bugs = (
            0.5 * (a @ w) + b,  # d(½ wᵀAw) taken as ½Aw
            np.diag(a) * w + b,  # off-diagonal coupling dropped
            a @ w,  # linear term forgotten
        )
        return quadratic_bugs[bug]
    x, y = as_float(extra["x"]), as_float(extra["y"])
    hidden = math.tanh(w[0] * x)
    r = w[1] * hidden - y
    net_bugs = (
        np.array([r * w[1] * x, r * hidden]),  # tanh derivative missing
        np.array([r * w[1] * (1.0 - hidden * hidden), r * hidden]),  # input x missing
        -np.array([r * w[1] * (1.0 - hidden * hidden) * x, r * hidden]),  # residual taken as y − output
    )
    return net_bugs[bug]


class GradcheckGenerator(StepGenerator):
    """``backprop.gradcheck``: centered-difference gradient of a small loss and its relative error."""

    id = "backprop.gradcheck"
    topic = "backprop"
    title = "Gradient checking: numerical gradient and relative error"
    answer_fields = {
        "numerical_grad": FieldSpec(shape=(N_WEIGHTS,), rtol=RTOL, atol=ATOL),
        "relative_error": FieldSpec(rtol=RTOL, atol=ATOL),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u: list[float] = rng.random(10).tolist()  # one call, cut into pieces
        kind = GRADCHECK_KINDS[int(u[0] * len(GRADCHECK_KINDS))]
        h = STEP_CHOICES[int(u[1] * len(STEP_CHOICES))]
        bug = int(u[2] * N_BUGS)
        w = np.array([_tenths(u[3], -1.5, 1.5), _tenths(u[4], -1.5, 1.5)])
        extra: dict[str, InputValue]
        if kind == "quadratic":
            off = _tenths(u[7], -1.0, 1.0)
            a = np.array([[_tenths(u[5], 1.0, 3.0), off], [off, _tenths(u[6], 1.0, 3.0)]])
            extra = {"A": a, "b": np.array([_tenths(u[8], -1.0, 1.0), _tenths(u[9], -1.0, 1.0)])}
        else:
            extra = {"x": _tenths(u[5], -2.0, 2.0), "y": _tenths(u[6], -1.0, 1.0)}
        analytic = np.rint(buggy_gradient(kind, w, extra, bug) * 1000.0) / 1000.0  # 3 decimals
        return {"kind": kind, "w": w, "h": h, "analytic": analytic, **extra}

    def acceptable(self, inputs: Inputs) -> bool:
        """The true gradient is not tiny (the relative error is well conditioned)."""
        v = GRAPH.read(inputs)
        return float(np.linalg.norm(v["truth"](v["w"]))) >= MIN_GRADIENT

    def acceptable_values(self, values: Values) -> bool:
        """The bug stands out from the large step's truncation error (or the check proves nothing)."""
        baseline = relative_error(values["truth"](values["w"]), values["numerical_grad"])
        return bool(values["relative_error"] >= max(MIN_BUG_ERROR, 10.0 * baseline))

    def prompt(self, inputs: Inputs) -> str:
        v = GRAPH.read(inputs)
        if v["kind"] == "quadratic":
            function = (
                r"the quadratic $C(w) = \tfrac{1}{2} w^\top A w + b^\top w$ with "
                f"$A = {matrix(as_array(inputs['A']))}$ and $b = {matrix(as_array(inputs['b']))}$"
            )
        else:
            x, y = as_float(inputs["x"]), as_float(inputs["y"])
            function = (
                r"the loss of a one-hidden-unit net, $C(w) = \tfrac{1}{2}\left(w_2 \tanh(w_1 x) - y\right)^2$ "
                f"with $x = {num(x)}$ and $y = {num(y)}$"
            )
        return (
            f"A backprop implementation reports the gradient $g_a = {matrix(v['analytic'])}$ of {function}, "
            f"at $w = {matrix(v['w'])}$. Check it with a step $h = {num(v['h'])}$ (large, so it can be done "
            "by hand).\n\n"
            r"Compute the centered-difference gradient $g_n$, with $g_{n,i} = (C(w + h e_i) - C(w - h e_i)) / 2h$ "
            r"(`numerical_grad`), and the relative error $\|g_a - g_n\| / \max(\|g_a\|, \|g_n\|)$ with "
            "Euclidean norms (`relative_error`). Keep the loss values $C(w \\pm h e_i)$ to at least 5 "
            "significant figures: their differences cancel the leading digits."
        )


register(GradcheckGenerator())
