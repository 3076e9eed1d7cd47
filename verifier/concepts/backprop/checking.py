"""Checking a gradient with centered differences, as a step graph: the loss at ``w ± h e_i``, the
numerical gradient, the distance to the analytic gradient, the scale, the relative error.

A gradient check compares an analytic gradient ``g_a`` with ``g_n[i] = (C(w + h e_i) − C(w − h e_i)) / 2h``
by the relative error ``‖g_a − g_n‖ / max(‖g_a‖, ‖g_n‖)`` (Euclidean norms), the relative error the
verifier's own tests use (:mod:`verifier.gradcheck`). Each misconception is a wrong version of one step:
the one-sided difference or the division by ``h`` (root ``numerical_grad``), the absolute error (root
``relative_error``). Source: CS231n "Gradient checks".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Literal, NamedTuple, get_args

import numpy as np

from verifier._types import FloatArray, Inputs
from verifier.generator import as_array, as_float
from verifier.gradcheck import relative_error
from verifier.latex import matrix, num
from verifier.steps import Calc, StepGraph, Values, WrongStep

GradcheckKind = Literal["quadratic", "tiny_net"]
GRADCHECK_KINDS: tuple[GradcheckKind, ...] = get_args(GradcheckKind)
Loss = Callable[[FloatArray], float]


class GradCheck(NamedTuple):
    """A numerical gradient and its relative error against the analytic one."""

    numerical: FloatArray
    relative_error: float


# --- the functions whose gradient is checked -------------------------------------------------------------


def quadratic_loss(w: FloatArray, *, a: FloatArray, b: FloatArray) -> float:
    """``C(w) = ½ wᵀ A w + bᵀ w`` for a symmetric ``A``."""
    w = np.asarray(w, dtype=np.float64)
    return float(0.5 * w @ np.asarray(a) @ w + np.asarray(b) @ w)


def quadratic_gradient(w: FloatArray, *, a: FloatArray, b: FloatArray) -> FloatArray:
    """``∇C = A w + b`` (A symmetric)."""
    out: FloatArray = np.asarray(a) @ np.asarray(w, dtype=np.float64) + np.asarray(b)
    return out


def tiny_net_loss(w: FloatArray, *, x: float, y: float) -> float:
    """``C(w) = ½ (w₂ tanh(w₁ x) − y)²``: one input, one tanh hidden unit, one linear output."""
    residual = float(w[1]) * math.tanh(float(w[0]) * x) - y
    return 0.5 * residual * residual


def tiny_net_gradient(w: FloatArray, *, x: float, y: float) -> FloatArray:
    """``[r w₂ (1 − a²) x, r a]`` with ``a = tanh(w₁ x)`` and the residual ``r = w₂ a − y``."""
    a = math.tanh(float(w[0]) * x)
    r = float(w[1]) * a - y
    return np.array([r * float(w[1]) * (1.0 - a * a) * x, r * a])


# --- the check as a step graph ---------------------------------------------------------------------------


def read_check(inputs: Inputs) -> Values:
    """The graph's base values: the loss ``C`` and its exact gradient ``truth`` as functions of ``w``."""
    kind = inputs["kind"]
    C: Loss  # noqa: N806 - the loss is C in the text
    truth: Callable[[FloatArray], FloatArray]
    if kind == "quadratic":
        a, b = as_array(inputs["A"]), as_array(inputs["b"])
        C, truth = partial(quadratic_loss, a=a, b=b), partial(quadratic_gradient, a=a, b=b)
    elif kind == "tiny_net":
        x, y = as_float(inputs["x"]), as_float(inputs["y"])
        C, truth = partial(tiny_net_loss, x=x, y=y), partial(tiny_net_gradient, x=x, y=y)
    else:
        raise ValueError(f"unknown function kind: {kind!r}")
    return {
        "kind": kind,
        "C": C,
        "truth": truth,
        "w": as_array(inputs["w"]),
        "h": as_float(inputs["h"]),
        "analytic": as_array(inputs["analytic"]),
    }


def shifted(C: Loss, w: FloatArray, h: float) -> FloatArray:  # noqa: N803 - the loss is C in the text
    """``C(w + h e_i)`` for each axis ``i`` (``h`` negative for ``w − h e_i``); ``w`` is never written."""
    return np.array([C(w + h * axis) for axis in np.eye(len(w))])


def _points(v: Values, sign: float) -> str:
    w, h = np.asarray(v["w"]), v["h"]
    return ", ".join(f"C({matrix(w + sign * h * axis)})" for axis in np.eye(len(w)))


def _truncation(v: Values) -> str:
    """How far the exact gradient is from the centered difference: the step's own error, not a bug."""
    truth = v["truth"](v["w"])
    baseline = relative_error(truth, v["numerical_grad"])
    if baseline < 1e-9:
        reference = "agrees with $g_n$ exactly (a centered difference is exact for a quadratic)"
    else:
        mantissa, exponent = f"{baseline:.1e}".split("e")
        small = num(baseline) if baseline >= 1e-3 else f"{mantissa} \\times 10^{{{int(exponent)}}}"
        reference = (
            f"would be off by only ${small}$ at this step (the centered difference's truncation error)"
        )
    return f" The exact gradient ${matrix(truth)}$ {reference}, so the reported gradient has a bug."


GRAPH = StepGraph(
    [
        Calc(
            "c_plus",
            lambda C, w, h: shifted(C, w, h),
            lambda v: f"${_points(v, 1.0)} = {matrix(v['c_plus'], decimals=6)}$,",
            hint="Move one weight at a time by +h and by −h, keeping the other fixed.",
        ),
        Calc(
            "c_minus",
            lambda C, w, h: shifted(C, w, -h),
            lambda v: f"${_points(v, -1.0)} = {matrix(v['c_minus'], decimals=6)}$.",
        ),
        Calc(
            "numerical_grad",
            lambda c_plus, c_minus, h: (c_plus - c_minus) / (2.0 * h),
            lambda v: (
                f"$g_n = (C(w + h e_i) - C(w - h e_i)) / 2h = ({matrix(v['c_plus'], decimals=6)} - {matrix(v['c_minus'], decimals=6)})"
                f" / {num(2.0 * v['h'])} = {matrix(v['numerical_grad'])}$."
            ),
            hint="The points w + h eᵢ and w − h eᵢ are 2h apart.",
        ),
        Calc(
            "difference",
            lambda analytic, numerical_grad: float(np.linalg.norm(analytic - numerical_grad)),
            lambda v: f"$\\|g_a - g_n\\| = {num(v['difference'])}$,",
        ),
        Calc(
            "scale",
            lambda analytic, numerical_grad: max(
                float(np.linalg.norm(analytic)), float(np.linalg.norm(numerical_grad))
            ),
            lambda v: f"$\\max(\\|g_a\\|, \\|g_n\\|) = {num(v['scale'])}$,",
            hint="Divide by the gradients' size, so that the error means the same at every scale.",
        ),
        Calc(
            "relative_error",
            lambda difference, scale: difference / scale,
            lambda v: (
                f"so the relative error is ${num(v['difference'])} / {num(v['scale'])} = "
                f"{num(v['relative_error'])}$." + (_truncation(v) if v.get("truth") is not None else "")
            ),
        ),
    ],
    fields=("numerical_grad", "relative_error"),
    misconceptions=[
        WrongStep(
            id="backprop.forward-difference",
            feedback="You used the one-sided difference (C(w + h) − C(w))/h; the check uses the centered "
            "(C(w + h) − C(w − h))/2h.",
            root="numerical_grad",
            # The definition of the derivative, one evaluation fewer; its error is O(h), not O(h²).
            wrong=lambda C, w, c_plus, h: (c_plus - C(w)) / h,
        ),
        WrongStep(
            id="backprop.abs-error-not-relative",
            feedback="You gave the absolute error ‖gₐ − gₙ‖; divide it by max(‖gₐ‖, ‖gₙ‖) to make it "
            "scale-free.",
            root="relative_error",
            # "How far apart are they" comes first; but gradients vary over orders of magnitude.
            wrong=lambda difference: difference,
        ),
        WrongStep(
            id="backprop.centered-difference-over-h",
            feedback="You divided the centered difference by h; the two points w ± h are 2h apart.",
            root="numerical_grad",
            # The one-sided formula divides by h, and the denominator gets copied.
            wrong=lambda c_plus, c_minus, h: (c_plus - c_minus) / h,
        ),
    ],
    read=read_check,
)


def _check(
    f: Loss, w: FloatArray, analytic: FloatArray, h: float, misconception: WrongStep | None = None
) -> GradCheck:
    base: Values = {
        "C": f,
        "w": np.asarray(w, dtype=np.float64),
        "h": float(h),
        "analytic": np.asarray(analytic, dtype=np.float64),
        "truth": None,
    }
    _, v = GRAPH.evaluate(base, override=misconception)
    return GradCheck(np.asarray(v["numerical_grad"]), float(v["relative_error"]))


def gradient_check(f: Loss, w: FloatArray, analytic: FloatArray, *, h: float) -> GradCheck:
    """The centered-difference gradient of ``f`` at ``w`` and its relative error against ``analytic``."""
    return _check(f, w, analytic, h)


def misconception_forward_difference(f: Loss, w: FloatArray, analytic: FloatArray, *, h: float) -> GradCheck:
    """``backprop.forward-difference``: the one-sided difference ``(C(w + h e_i) − C(w)) / h`` (see GRAPH)."""
    return _check(f, w, analytic, h, GRAPH.misconception("backprop.forward-difference"))


def misconception_step_not_doubled(f: Loss, w: FloatArray, analytic: FloatArray, *, h: float) -> GradCheck:
    """``backprop.centered-difference-over-h``: the centered difference divided by ``h`` (see GRAPH)."""
    return _check(f, w, analytic, h, GRAPH.misconception("backprop.centered-difference-over-h"))


def misconception_abs_error_not_relative(
    f: Loss, w: FloatArray, analytic: FloatArray, *, h: float
) -> GradCheck:
    """``backprop.abs-error-not-relative``: the absolute error ``‖g_a − g_n‖`` (see GRAPH)."""
    return _check(f, w, analytic, h, GRAPH.misconception("backprop.abs-error-not-relative"))
