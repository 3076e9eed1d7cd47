"""``optim.steps`` as one step graph over every optimizer kind, so each rule and each misconception exists once.

A step holds a whole trajectory: an array of shape (T, N) whose row t−1 is step t's value for the N
weights (the gradients, a moment, its bias correction, the update). Steps that a kind does not have are
None for it (see :func:`_only`) and the worked solution leaves them out; a misconception about some kinds
says so with ``applies``. Writing a step over all T steps at once lets a misconception be one wrong step
(the buffer, the denominator, the bias correction) that every time step shares, as the belief is.

The graph takes every hyperparameter but three that no question draws: weight decay (it couples each
step's gradient to the weights, so a step could no longer hold a whole trajectory), RMSprop's momentum and
its ``centered`` variant. Those are left to the reference rules (:mod:`.reference`), which the oracle tests
check against torch.optim; ``read`` refuses them rather than answer wrongly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from typing import Any, NamedTuple

import numpy as np

from verifier._types import FloatArray, Inputs
from verifier.concepts.optim.adam import nadam_mu
from verifier.concepts.optim.hyper import ADAM_FAMILY, KINDS, MOMENTUM_SGD, Hyper, read_inputs
from verifier.concepts.optim.sequences import (
    adadelta_deltas,
    adam_direction,
    descend,
    ewma,
    infinity_norm,
    momentum_buffer,
    powers,
)
from verifier.concepts.optim.texts import EXPLAIN, HINTS
from verifier.steps import Calc, StepGraph, Values, WrongStep

SGD_FAMILY = frozenset({"sgd", *MOMENTUM_SGD})


class Corrections(NamedTuple):
    """The bias-correction divisors of the Adam family, each a (T, 1) column over the steps.

    Adam and Adamax divide m by ``first`` = 1 − β₁ᵗ; Adam and NAdam divide v by ``second`` = 1 − β₂ᵗ;
    NAdam divides its gradient term by ``first`` = 1 − ∏_{i≤t} μ_i and its momentum term by
    ``next`` = 1 − ∏_{i≤t+1} μ_i.
    """

    first: FloatArray
    second: FloatArray
    next: FloatArray


# --- the graph ------------------------------------------------------------------------------------------


def _read(inputs: Inputs) -> Values:
    problem = read_inputs(inputs)
    h = problem.h
    if h.weight_decay or h.centered or (problem.kind not in MOMENTUM_SGD and h.momentum):
        raise ValueError(
            "optim.steps questions take no weight_decay, centered or RMSprop momentum "
            "(the reference rules do: verifier.concepts.optim.optimize)"
        )
    grads = np.array(problem.grads, dtype=np.float64)
    return {
        "kind": problem.kind,
        "h": h,
        "w0": np.array(problem.w0, dtype=np.float64),
        "grads": grads,
        "t": np.arange(1.0, len(grads) + 1.0).reshape(-1, 1),
    }


def _only(kinds: Collection[str], compute: Callable[..., Any]) -> Callable[..., Any]:
    """``compute`` for the kinds it belongs to, None for the others; it reads ``kind`` besides its own."""
    own = list(inspect.signature(compute).parameters.values())
    if own and own[0].name == "kind":  # it reads the kind itself

        def dispatch(*args: Any) -> Any:
            return compute(*args) if args[0] in kinds else None

        dispatch.__signature__ = inspect.Signature(own)  # type: ignore[attr-defined]
        return dispatch

    def step(kind: str, *args: Any) -> Any:
        return compute(*args) if kind in kinds else None

    first = inspect.Parameter("kind", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    step.__signature__ = inspect.Signature([first, *own])  # type: ignore[attr-defined]
    return step


def _calc(name: str, kinds: Collection[str], compute: Callable[..., Any]) -> Calc:
    """A step of ``kinds`` with its explanation and hint from :mod:`.texts` (empty for other kinds)."""
    hint = HINTS.get(name)
    return Calc(name, _only(kinds, compute), EXPLAIN[name], hint)


def _denominator(kind: str, h: Hyper, sum: Any, square_avg: Any, v_hat: Any, u: Any) -> FloatArray:  # noqa: A002
    if kind == "adagrad":
        return np.sqrt(sum) + h.eps  # type: ignore[no-any-return]
    if kind == "rmsprop":
        return np.sqrt(square_avg) + h.eps  # type: ignore[no-any-return]
    if kind == "adadelta":
        return np.sqrt(square_avg + h.eps)  # type: ignore[no-any-return]
    if kind in ("adam", "nadam"):
        return np.sqrt(v_hat) + h.eps  # type: ignore[no-any-return]
    return u  # type: ignore[no-any-return]  # adamax: m̂/u, eps already inside the max


def _direction(
    kind: str,
    h: Hyper,
    t: FloatArray,
    g: Any,
    buf: Any,
    delta: Any,
    m: Any,
    mu: Any,
    correction: Any,
    m_hat: Any,
    denom: Any,
) -> FloatArray:
    if kind == "sgd":
        return g  # type: ignore[no-any-return]
    if kind == "momentum":
        return buf  # type: ignore[no-any-return]
    if kind == "nesterov":
        return g + h.momentum * buf  # type: ignore[no-any-return]
    if kind in ("adagrad", "rmsprop"):
        return g / denom  # type: ignore[no-any-return]
    if kind == "adadelta":
        return delta  # type: ignore[no-any-return]
    if kind in ("adam", "adamax"):
        return m_hat / denom  # type: ignore[no-any-return]
    steps = len(t)  # nadam: the gradient term and the look-ahead momentum term
    return (1.0 - mu[:steps]) / correction.first * g / denom + mu[1:] / correction.next * m / denom  # type: ignore[no-any-return]


def _update(kind: str, h: Hyper, t: FloatArray, direction: FloatArray) -> FloatArray:
    lr = h.lr / (1.0 + (t - 1.0) * h.lr_decay) if kind == "adagrad" else h.lr
    result: FloatArray = lr * direction
    return result


def _corrections(kind: str, h: Hyper, t: FloatArray, mu: Any) -> Corrections:
    second = powers(h.beta2, t)
    if kind == "nadam":
        product = np.cumprod(mu).reshape(-1, 1)
        return Corrections(first=1.0 - product[:-1], second=second, next=1.0 - product[1:])
    first = powers(h.beta1, t)
    return Corrections(first=first, second=second, next=first)


def _nadam_mu(h: Hyper, t: FloatArray) -> FloatArray:
    steps = np.append(t[:, 0], len(t) + 1.0)  # μ_{T+1} is the last look-ahead
    return np.array([[nadam_mu(int(s), beta1=h.beta1, momentum_decay=h.momentum_decay)] for s in steps])


def _ones(t: FloatArray) -> Corrections:
    ones = np.ones_like(t)
    return Corrections(ones, ones, ones)


def _kinds(*kinds: str) -> Callable[[Inputs], bool]:
    allowed = frozenset(kinds)
    return lambda inputs: inputs["optimizer"] in allowed


def _lr_shows(inputs: Inputs) -> bool:
    """Leaving out lr changes the answer only when lr is not 1 (Adadelta's default is 1)."""
    return inputs["optimizer"] in ("sgd", "adadelta") and read_inputs(inputs).h.lr != 1.0


ALL = frozenset(KINDS)

GRAPH = StepGraph(
    [
        _calc("g", ALL, lambda grads: grads),
        _calc("buf", MOMENTUM_SGD, lambda h, g: momentum_buffer(g, h.momentum, h.dampening)),
        _calc("sum", {"adagrad"}, lambda h, g: h.initial_accumulator_value + np.cumsum(g * g, axis=0)),
        _calc(
            "square_avg",
            {"rmsprop", "adadelta"},
            lambda kind, h, g: ewma(g * g, h.alpha if kind == "rmsprop" else h.rho),
        ),
        _calc("m", ADAM_FAMILY, lambda h, g: ewma(g, h.beta1)),
        _calc("v", {"adam", "nadam"}, lambda h, g: ewma(g * g, h.beta2)),
        _calc("u", {"adamax"}, lambda h, g: infinity_norm(g, h.beta2, h.eps)),
        _calc("mu", {"nadam"}, _nadam_mu),
        _calc("correction", ADAM_FAMILY, _corrections),
        _calc("m_hat", {"adam", "adamax"}, lambda m, correction: m / correction.first),
        _calc("v_hat", {"adam", "nadam"}, lambda v, correction: v / correction.second),
        _calc("denom", ALL - SGD_FAMILY, _denominator),
        _calc(
            "delta",
            {"adadelta"},
            lambda h, g, denom: adadelta_deltas(g, denom, rho=h.rho, rms=lambda acc: np.sqrt(acc + h.eps)),
        ),
        _calc("acc_delta", {"adadelta"}, lambda h, delta: ewma(delta * delta, h.rho)),
        _calc("direction", ALL, _direction),
        _calc("update", ALL, _update),
        _calc("w", ALL, lambda w0, update: descend(w0, update)),
    ],
    fields=("w",),
    misconceptions=[
        WrongStep(
            id="optim.adam-no-bias-correction",
            feedback="You stepped with the raw moments; Adam-family optimizers divide m (and Adam's v) by 1 − βᵗ, "
            "because both start at zero.",
            root="correction",
            # The moments are "the averages"; from zero they are biased towards zero early on.
            wrong=lambda t: _ones(t),
            applies=_kinds(*ADAM_FAMILY),
        ),
        WrongStep(
            id="optim.sgd-momentum-dampened",
            feedback="You averaged the momentum buffer as b = μb + (1 − μ)g from zero; PyTorch's SGD sums "
            "b = μb + g, starting from the first gradient.",
            root="buf",
            # The exponential-average form taught in many courses (and Adam's first moment).
            wrong=lambda h, g: ewma(g, h.momentum),
            applies=_kinds(*MOMENTUM_SGD),
        ),
        WrongStep(
            id="optim.momentum-ignored",
            feedback="You took plain SGD steps; with momentum the buffer b = μb + g carries the earlier gradients.",
            root="buf",
            # The first step is exactly plain SGD's; from the second on the buffer carries the past.
            wrong=lambda g: g,
            applies=_kinds("momentum"),
        ),
        WrongStep(
            id="optim.nesterov-as-plain-momentum",
            feedback="You stepped by the momentum buffer alone; PyTorch's Nesterov step is w −= lr·(g + μ·b).",
            root="direction",
            # The buffer update is the same; the look-ahead is folded into the step.
            wrong=lambda buf: buf,
            applies=_kinds("nesterov"),
        ),
        WrongStep(
            id="optim.adagrad-no-accumulation",
            feedback="You divided by the current |g| only; Adagrad divides by the root of the sum of all squared "
            "gradients so far.",
            root="sum",
            # The first step is the same; the ever-growing sum is Adagrad's whole point.
            wrong=lambda g: g * g,
            applies=_kinds("adagrad"),
        ),
        WrongStep(
            id="optim.no-sqrt",
            feedback="You divided by the squared-gradient average itself; the denominator is its square root "
            "(plus eps).",
            root="denom",
            # The state is "the second moment"; dividing by it makes the step scale like 1/g.
            wrong=lambda kind, h, sum, square_avg, v_hat: (
                {  # noqa: A002
                    "adagrad": sum,
                    "rmsprop": square_avg,
                    "adam": v_hat,
                }[kind]
                + h.eps
            ),
            applies=_kinds("adagrad", "rmsprop", "adam"),
        ),
        WrongStep(
            id="optim.rmsprop-bias-corrected",
            feedback="You bias-corrected RMSprop's average as Adam does; PyTorch's RMSprop divides by √E[g²] + eps "
            "with no 1 − αᵗ correction.",
            root="denom",
            # RMSprop's average also starts at zero; PyTorch leaves it uncorrected.
            wrong=lambda h, t, square_avg: np.sqrt(square_avg / powers(h.alpha, t)) + h.eps,
            applies=_kinds("rmsprop"),
        ),
        WrongStep(
            id="optim.adadelta-eps-outside-sqrt",
            feedback="You added eps after the square roots; Adadelta's RMS is √(E[x²] + eps), eps inside.",
            root="delta",
            # By analogy with RMSprop and Adam; with E[Δw²] starting at 0 the placement sizes every step.
            wrong=lambda h, g, square_avg: adadelta_deltas(
                g, np.sqrt(square_avg) + h.eps, rho=h.rho, rms=lambda acc: np.sqrt(acc) + h.eps
            ),
            applies=_kinds("adadelta"),
        ),
        WrongStep(
            id="optim.adadelta-no-update-rms",
            feedback="You left out the numerator RMS of past updates; Adadelta's step is "
            "√(E[Δw²]+eps)/√(E[g²]+eps)·g.",
            root="delta",
            # "Adadelta is RMSprop without a learning rate": RMSprop's step.
            wrong=lambda g, denom: g / denom,
            applies=_kinds("adadelta"),
        ),
        WrongStep(
            id="optim.adamax-as-adam",
            feedback="You took Adam's steps; Adamax divides by the infinity norm u = max(β₂u, |g| + eps) and "
            "NAdam adds the Nesterov look-ahead.",
            root="direction",
            # All three share Adam's first moment and its bias correction.
            wrong=adam_direction,
            applies=_kinds("adamax", "nadam"),
        ),
        WrongStep(
            id="optim.adamax-bias-corrected-u",
            feedback="You bias-corrected Adamax's u; a running max is not biased towards zero, only m is corrected.",
            root="denom",
            # By analogy with Adam's v̂.
            wrong=lambda h, t, u: u / powers(h.beta2, t),
            applies=_kinds("adamax"),
        ),
        WrongStep(
            id="optim.nadam-mu-is-beta1",
            feedback="You used μ_t = β₁; PyTorch's NAdam uses μ_t = β₁(1 − ½·0.96^{tψ}) with momentum_decay "
            "ψ = 0.004.",
            root="mu",
            # Dozat's NAdam is usually written with β₁; PyTorch's schedule is close to β₁/2.
            wrong=lambda h, t: np.full((len(t) + 1, 1), h.beta1),
            applies=_kinds("nadam"),
        ),
        WrongStep(
            id="optim.lr-not-applied",
            feedback="You left out the learning rate; every torch.optim update is multiplied by lr "
            "(Adadelta's too: its default is 1.0, but here it is not).",
            root="update",
            # Adadelta's paper has no learning rate; a normalized update seems to "have a size".
            wrong=lambda direction: direction,
            applies=_lr_shows,
        ),
        WrongStep(
            id="optim.gradient-ascent",
            feedback="You moved along the gradient; descent subtracts the update from the weights.",
            root="w",
            # The update formulas are written as "add the step"; the sign is the easiest thing to drop.
            wrong=lambda w0, update: descend(w0, update, sign=1.0),
            applies=_kinds(*SGD_FAMILY),
        ),
    ],
    read=_read,
)
