"""The words of ``optim.steps``: each step's explanation (with the variant's numbers) and hint, per kind.

A step a kind does not have explains and hints as "" (the generator leaves those out). Trajectories are
printed as matrices whose row t is step t, to 4 significant figures (moments such as 0.001·g² would
vanish at a fixed number of decimals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import numpy as np

from verifier.concepts.optim.hyper import OptimizerKind
from verifier.latex import num
from verifier.steps import Text, Values

FORMULAS: Final[Mapping[OptimizerKind, str]] = {
    "sgd": r"w \leftarrow w - \eta\, g_t",
    "momentum": r"b_1 = g_1,\; b_t = \mu b_{t-1} + g_t,\; w \leftarrow w - \eta\, b_t",
    "nesterov": r"b_1 = g_1,\; b_t = \mu b_{t-1} + g_t,\; w \leftarrow w - \eta\,(g_t + \mu b_t)",
    "adagrad": r"s_t = s_{t-1} + g_t^2,\; w \leftarrow w - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}",
    "adadelta": (
        r"v_t = \rho v_{t-1} + (1-\rho) g_t^2,\; \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}}\, g_t,\;"
        r" u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\; w \leftarrow w - \eta\, \Delta_t"
    ),
    "rmsprop": r"v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\; w \leftarrow w - \eta\, \frac{g_t}{\sqrt{v_t} + \epsilon}",
    "adam": (
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\; v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\;"
        r" w \leftarrow w - \eta\, \frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}"
    ),
    "adamax": (
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\; u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\;"
        r" w \leftarrow w - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}"
    ),
    "nadam": (
        r"\mu_t = \beta_1 (1 - \tfrac{1}{2} \cdot 0.96^{t \psi}),\; m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\;"
        r" v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\; d_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon,\;"
        r" w \leftarrow w - \eta \frac{1-\mu_t}{1-\prod_{i \le t} \mu_i} \frac{g_t}{d_t}"
        r" - \eta \frac{\mu_{t+1}}{1-\prod_{i \le t+1} \mu_i} \frac{m_t}{d_t}"
    ),
}


def figures(value: float) -> str:
    """One number to 4 significant figures in LaTeX (``1.2 \\times 10^{-5}`` rather than ``1.2e-05``)."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def mat(values: Any) -> str:
    """A trajectory (row t = step t), a column or a vector as a LaTeX ``bmatrix`` to 4 significant figures."""
    array = np.asarray(values, dtype=np.float64)
    rows: Iterable[Any] = array.reshape(1, -1) if array.ndim < 2 else array
    body = r" \\ ".join(" & ".join(figures(float(x)) for x in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def _shown(name: str, render: Callable[[Values], str]) -> Text:
    """``render`` when the kind has step ``name`` (its value is not None), else ""."""
    return lambda v: "" if v[name] is None else render(v)


def _for(texts: Mapping[str, str | Callable[[Values], str]]) -> Text:
    """The text for the question's kind, "" for the kinds not listed."""

    def render(v: Values) -> str:
        text = texts.get(v["kind"], "")
        return text if isinstance(text, str) else text(v)

    return render


def _denom(v: Values) -> str:
    parts = {
        "adagrad": r"d_t = \sqrt{s_t} + \epsilon",
        "rmsprop": r"d_t = \sqrt{v_t} + \epsilon",
        "adadelta": r"d_t = \sqrt{v_t + \epsilon}",
        "adam": r"d_t = \sqrt{\hat v_t} + \epsilon",
        "nadam": r"d_t = \sqrt{\hat v_t} + \epsilon",
        "adamax": r"d_t = u_t",
    }
    return (
        f"Denominator ${parts[v['kind']]}$ with $\\epsilon = {figures(v['h'].eps)}$: $d = {mat(v['denom'])}$."
    )


def _direction(v: Values) -> str:
    parts = {
        "sgd": "the gradient itself",
        "momentum": "the momentum buffer $b_t$",
        "nesterov": f"the Nesterov step $g_t + \\mu b_t$ with $\\mu = {num(v['h'].momentum)}$",
        "adagrad": "$g_t / d_t$",
        "rmsprop": "$g_t / d_t$",
        "adadelta": r"$\Delta_t$",
        "adam": r"$\hat m_t / d_t$",
        "adamax": r"$\hat m_t / u_t$",
        "nadam": r"$\frac{1-\mu_t}{1-\prod_{i \le t}\mu_i}\frac{g_t}{d_t} + "
        r"\frac{\mu_{t+1}}{1-\prod_{i \le t+1}\mu_i}\frac{m_t}{d_t}$",
    }
    return f"Each step moves along {parts[v['kind']]}: ${mat(v['direction'])}$."


def _update(v: Values) -> str:
    h = v["h"]
    if v["kind"] == "adagrad" and h.lr_decay:
        rate = f"\\eta_t = \\eta/(1 + (t-1) \\cdot {num(h.lr_decay)})"
    else:
        rate = f"\\eta = {num(h.lr)}"
    return f"Times the learning rate (${rate}$), the update of each step: ${mat(v['update'])}$."


def _corrections(v: Values) -> str:
    c, h = v["correction"], v["h"]
    if v["kind"] == "nadam":
        return (
            f"Bias corrections $1 - \\prod_{{i \\le t}} \\mu_i = {mat(c.first.T)}$, "
            f"$1 - \\prod_{{i \\le t+1}} \\mu_i = {mat(c.next.T)}$ and $1 - \\beta_2^t = {mat(c.second.T)}$ "
            f"($\\beta_2 = {num(h.beta2)}$)."
        )
    second = "" if v["kind"] == "adamax" else f" and $1 - \\beta_2^t = {mat(c.second.T)}$"
    return f"Bias corrections $1 - \\beta_1^t = {mat(c.first.T)}$ ($\\beta_1 = {num(h.beta1)}$){second}, t = 1, 2, …"


EXPLAIN: Final[Mapping[str, Text]] = {
    "g": _shown(
        "g",
        lambda v: (
            f"PyTorch's update, per coordinate: ${FORMULAS[v['kind']]}$. The gradients, row t for step t: "
            f"$g = {mat(v['g'])}$."
        ),
    ),
    "buf": _shown(
        "buf",
        lambda v: (
            f"Momentum buffer $b_1 = g_1$, $b_t = {num(v['h'].momentum)}\\, b_{{t-1}} + g_t$: $b = {mat(v['buf'])}$."
        ),
    ),
    "sum": _shown(
        "sum", lambda v: f"Running sum of squared gradients $s_t = s_{{t-1}} + g_t^2$: $s = {mat(v['sum'])}$."
    ),
    "square_avg": _shown(
        "square_avg",
        lambda v: (
            "Average of squared gradients $v_t = "
            f"{num(v['h'].alpha if v['kind'] == 'rmsprop' else v['h'].rho)}\\, v_{{t-1}} + "
            f"{num(1 - (v['h'].alpha if v['kind'] == 'rmsprop' else v['h'].rho))}\\, g_t^2$ from 0: "
            f"$v = {mat(v['square_avg'])}$."
        ),
    ),
    "m": _shown(
        "m",
        lambda v: (
            f"First moment $m_t = {num(v['h'].beta1)}\\, m_{{t-1}} + {num(1 - v['h'].beta1)}\\, g_t$ from 0: "
            f"$m = {mat(v['m'])}$."
        ),
    ),
    "v": _shown(
        "v",
        lambda v: (
            f"Second moment $v_t = {num(v['h'].beta2)}\\, v_{{t-1}} + {num(1 - v['h'].beta2)}\\, g_t^2$ "
            f"from 0: $v = {mat(v['v'])}$."
        ),
    ),
    "u": _shown(
        "u",
        lambda v: (
            f"Infinity norm $u_t = \\max({num(v['h'].beta2)}\\, u_{{t-1}}, |g_t| + \\epsilon)$ from 0: "
            f"$u = {mat(v['u'])}$."
        ),
    ),
    "mu": _shown(
        "mu",
        lambda v: (
            f"Momentum schedule $\\mu_t = \\beta_1(1 - \\tfrac12 \\cdot 0.96^{{t\\psi}})$ for t = 1, …, T + 1 "
            f"($\\psi = {num(v['h'].momentum_decay)}$): $\\mu = {mat(v['mu'].T)}$."
        ),
    ),
    "correction": _shown("correction", _corrections),
    "m_hat": _shown(
        "m_hat",
        lambda v: f"Bias-corrected first moment $\\hat m_t = m_t/(1 - \\beta_1^t) = {mat(v['m_hat'])}$.",
    ),
    "v_hat": _shown(
        "v_hat",
        lambda v: f"Bias-corrected second moment $\\hat v_t = v_t/(1 - \\beta_2^t) = {mat(v['v_hat'])}$.",
    ),
    "denom": _shown("denom", _denom),
    "delta": _shown(
        "delta",
        lambda v: (
            "Step $\\Delta_t = \\sqrt{u_{t-1} + \\epsilon}\\, g_t / d_t$ with the average of past squared "
            f"steps $u$ (0 before the first): $\\Delta = {mat(v['delta'])}$."
        ),
    ),
    "acc_delta": _shown(
        "acc_delta",
        lambda v: (
            f"Average of squared steps $u_t = {num(v['h'].rho)}\\, u_{{t-1}} + {num(1 - v['h'].rho)}\\, "
            f"\\Delta_t^2$: $u = {mat(v['acc_delta'])}$."
        ),
    ),
    "direction": _shown("direction", _direction),
    "update": _shown("update", _update),
    "w": _shown("w", lambda v: f"$w_T = w_0 - \\sum_t (\\text{{update}}_t) = {mat(v['w'])}$."),
}

HINTS: Final[Mapping[str, Text]] = {
    "g": _for({"sgd": "Plain SGD: each step subtracts lr times that step's gradient."}),
    "buf": _for(
        {
            "momentum": "PyTorch's buffer starts at the first gradient and adds each new gradient undamped.",
            "nesterov": "PyTorch's buffer starts at the first gradient and adds each new gradient undamped.",
        }
    ),
    "sum": _for({"adagrad": "Adagrad's denominator keeps every squared gradient so far, not an average."}),
    "square_avg": _for(
        {
            "rmsprop": "RMSprop's average starts at 0 and is not bias-corrected.",
            "adadelta": "Adadelta keeps two averages from 0: of squared gradients and of squared steps.",
        }
    ),
    "mu": _for({"nadam": "PyTorch's NAdam does not use β₁ itself as μ_t: see momentum_decay."}),
    "correction": _for(
        {
            "adam": "Both moments start at 0: divide them by 1 − βᵗ before using them.",
            "adamax": "Only m is bias-corrected: a running max is not biased towards 0.",
            "nadam": "NAdam's corrections use the running product of the μ's for m and 1 − β₂ᵗ for v.",
        }
    ),
    "denom": _for(
        {
            "adadelta": "Adadelta's RMS puts eps inside the square root: √(E[x²] + eps).",
            "adagrad": "The denominator is a square root: the update does not depend on the gradient's scale.",
            "rmsprop": "The denominator is a square root: the update does not depend on the gradient's scale.",
            "adam": "The denominator is a square root: the update does not depend on the gradient's scale.",
        }
    ),
    "direction": _for({"nesterov": "With nesterov=True PyTorch steps along g + μ·b, not b."}),
    "update": _for(
        {
            "adadelta": "torch.optim.Adadelta still multiplies its step by lr.",
            "sgd": "Multiply every step by lr.",
        }
    ),
}
