"""First-order optimizers stepped exactly as ``torch.optim`` steps them, from given gradients.

Convention: each optimizer is the ``torch.optim`` class with the question's keyword arguments and
PyTorch's defaults for everything else (``weight_decay=0``, ``maximize=False``, no AMSGrad); the
gradient at every step is given, not recomputed from the weights. "momentum" and "nesterov" are
``SGD(momentum=β)`` and ``SGD(momentum=β, nesterov=True)``. The formulas follow torch 2.x's
single-tensor paths line by line (Adamax puts ``eps`` inside the max with ``|g|``, Adagrad adds ``eps``
after the square root, Adadelta inside both square roots, NAdam uses the ``momentum_decay`` schedule
μ_t = β₁(1 − ½·0.96^{tψ}) and the running product of the μ's).

Every rule is elementwise: coordinate i of the update depends only on coordinate i of the weights,
gradient and state. So each rule is written once for one coordinate in plain floats (for the short
vectors of a question, NumPy's per-call overhead costs more than the arithmetic) and :class:`Rule`
maps it over the coordinates. As in tinygrad's ``optim.py``, a special case reuses the general rule
where the reduction is exact: plain SGD, momentum and Nesterov are one ``sgd_step`` (as in PyTorch).

Papers: Polyak 1964 (momentum), Sutskever et al. 2013 (Nesterov, http://proceedings.mlr.press/v28/sutskever13.html),
Duchi et al. 2011 (Adagrad), Zeiler 2012 (Adadelta, https://arxiv.org/abs/1212.5701), Hinton's
lecture 6e (RMSprop), Kingma & Ba 2015 (Adam and Adamax, https://arxiv.org/abs/1412.6980),
Dozat 2016 (NAdam, https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, Literal, NamedTuple, Protocol, TypeVar, get_args

import numpy as np

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float
from verifier.grading import AnswerStream, FieldSpec, Misconception
from verifier.jsonsafe import to_jsonable
from verifier.latex import matrix
from verifier.registry import register

OptimizerKind = Literal[
    "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam"
]
KINDS: Final[tuple[OptimizerKind, ...]] = get_args(OptimizerKind)
ADAM_FAMILY: Final = frozenset({"adam", "adamax", "nadam"})
MOMENTUM_SGD: Final = frozenset({"momentum", "nesterov"})

# torch.optim's defaults (torch 2.13), per kind; a question's ``hyper`` overrides some of them.
DEFAULTS: Final[Mapping[OptimizerKind, Mapping[str, object]]] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "momentum": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "nesterov": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": True, "weight_decay": 0.0},
    "adagrad": {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    "rmsprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    },
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamax": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "nadam": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3},
}
TORCH_CLASS: Final[Mapping[OptimizerKind, str]] = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamax": "Adamax",
    "nadam": "NAdam",
}
N_WEIGHTS = 2
STEP_CHOICES = (2,)  # two steps already show every misconception, and stay workable by hand
GRADIENTS = tuple(sign * k / 10 for sign in (-1, 1) for k in range(1, 11))  # ±0.1 … ±1.0, never 0

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------------
# Per-coordinate optimizer state (all floats; the step counter t starts at 0 before the first step)


class SgdState(NamedTuple):
    buf: float | None = None  # momentum buffer; PyTorch creates it from the first gradient


class AdagradState(NamedTuple):
    t: int
    sum: float  # running sum of squared gradients


class AdadeltaState(NamedTuple):
    square_avg: float = 0.0  # E[g²]
    acc_delta: float = 0.0  # E[Δw²]


class RmspropState(NamedTuple):
    square_avg: float = 0.0
    grad_avg: float = 0.0  # only used when centered
    buf: float = 0.0  # only used with momentum


class AdamState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0  # m
    exp_avg_sq: float = 0.0  # v


class AdamaxState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0  # m
    exp_inf: float = 0.0  # u, the exponentially weighted infinity norm


class NadamState(NamedTuple):
    t: int = 0
    exp_avg: float = 0.0
    exp_avg_sq: float = 0.0
    mu_product: float = 1.0  # μ_1·μ_2·…·μ_t


# ---------------------------------------------------------------------------------------------------
# Steps: (w, g, state) -> (w', state') for one coordinate


def sgd_step(
    w: float,
    g: float,
    state: SgdState,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[float, SgdState]:
    """SGD with optional (Nesterov) momentum: buf = μ·buf + (1−dampening)·g, the first buf = g."""
    g = g + weight_decay * w
    if momentum == 0.0:
        return w - lr * g, state
    buf = g if state.buf is None else momentum * state.buf + (1.0 - dampening) * g
    direction = g + momentum * buf if nesterov else buf
    return w - lr * direction, SgdState(buf)


def adagrad_step(
    w: float,
    g: float,
    state: AdagradState,
    *,
    lr: float,
    lr_decay: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdagradState]:
    """Adagrad: divide by the root of the running sum of squared gradients (``eps`` after the root)."""
    t = state.t + 1
    g = g + weight_decay * w
    clr = lr / (1.0 + (t - 1) * lr_decay)
    total = state.sum + g * g
    return w - clr * g / (math.sqrt(total) + eps), AdagradState(t, total)


def adadelta_step(
    w: float, g: float, state: AdadeltaState, *, lr: float, rho: float, eps: float, weight_decay: float = 0.0
) -> tuple[float, AdadeltaState]:
    """Adadelta: Δ = RMS[Δw]_{t−1}/RMS[g]_t · g with RMS[x] = √(E[x²] + eps), scaled by ``lr``."""
    g = g + weight_decay * w
    square_avg = rho * state.square_avg + (1.0 - rho) * g * g
    delta = math.sqrt(state.acc_delta + eps) / math.sqrt(square_avg + eps) * g
    acc_delta = rho * state.acc_delta + (1.0 - rho) * delta * delta
    return w - lr * delta, AdadeltaState(square_avg, acc_delta)


def rmsprop_step(
    w: float,
    g: float,
    state: RmspropState,
    *,
    lr: float,
    alpha: float,
    eps: float,
    momentum: float = 0.0,
    centered: bool = False,
    weight_decay: float = 0.0,
) -> tuple[float, RmspropState]:
    """RMSprop: divide by √E[g²] + eps (no bias correction); optionally centered and with momentum."""
    g = g + weight_decay * w
    square_avg = alpha * state.square_avg + (1.0 - alpha) * g * g
    grad_avg = state.grad_avg + (1.0 - alpha) * (g - state.grad_avg) if centered else state.grad_avg
    avg = math.sqrt(square_avg - grad_avg * grad_avg if centered else square_avg) + eps
    if momentum > 0.0:
        buf = momentum * state.buf + g / avg
        return w - lr * buf, RmspropState(square_avg, grad_avg, buf)
    return w - lr * g / avg, RmspropState(square_avg, grad_avg, state.buf)


def adam_step(
    w: float,
    g: float,
    state: AdamState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdamState]:
    """Adam: w −= lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + eps), PyTorch's placement of eps."""
    t = state.t + 1
    g = g + weight_decay * w
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    v = beta2 * state.exp_avg_sq + (1.0 - beta2) * g * g
    denom = math.sqrt(v) / math.sqrt(1.0 - beta2**t) + eps
    return w - lr / (1.0 - beta1**t) * m / denom, AdamState(t, m, v)


def adamax_step(
    w: float,
    g: float,
    state: AdamaxState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float = 0.0,
) -> tuple[float, AdamaxState]:
    """Adamax: u = max(β₂·u, |g| + eps) (eps inside the max), w −= lr/(1−β₁ᵗ) · m/u."""
    t = state.t + 1
    g = g + weight_decay * w
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    u = max(beta2 * state.exp_inf, abs(g) + eps)
    return w - lr / (1.0 - beta1**t) * m / u, AdamaxState(t, m, u)


def nadam_mu(t: int, *, beta1: float, momentum_decay: float) -> float:
    """NAdam's momentum coefficient at step t: μ_t = β₁(1 − ½·0.96^{t·ψ})."""
    return beta1 * (1.0 - 0.5 * math.pow(0.96, t * momentum_decay))


def nadam_step(
    w: float,
    g: float,
    state: NadamState,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    momentum_decay: float,
    weight_decay: float = 0.0,
) -> tuple[float, NadamState]:
    """NAdam: Adam's step with the Nesterov look-ahead, bias-corrected by the running product of μ's."""
    t = state.t + 1
    g = g + weight_decay * w
    mu = nadam_mu(t, beta1=beta1, momentum_decay=momentum_decay)
    mu_next = nadam_mu(t + 1, beta1=beta1, momentum_decay=momentum_decay)
    mu_product = state.mu_product * mu
    m = state.exp_avg + (1.0 - beta1) * (g - state.exp_avg)
    v = beta2 * state.exp_avg_sq + (1.0 - beta2) * g * g
    denom = math.sqrt(v / (1.0 - beta2**t)) + eps
    w = w - lr * (1.0 - mu) / (1.0 - mu_product) * g / denom
    w = w - lr * mu_next / (1.0 - mu_product * mu_next) * m / denom
    return w, NadamState(t, m, v, mu_product)


# ---------------------------------------------------------------------------------------------------
# Hyperparameters and running a rule over coordinates and steps


class Hyper(NamedTuple):
    """A question's ``hyper`` merged with torch's defaults; fields the optimizer lacks stay unused."""

    lr: float
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-8
    rho: float = 0.9
    alpha: float = 0.99
    centered: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    momentum_decay: float = 4e-3


FLAGS: Final = frozenset({"nesterov", "centered"})


def _number(value: object) -> float:
    return value if type(value) is float else as_float(value)


def _override(h: Hyper, kind: OptimizerKind, hyper: Mapping[str, object]) -> Hyper:
    fields: dict[str, Any] = {}
    for name, value in hyper.items():
        if name not in DEFAULTS[kind]:
            raise ValueError(f"torch.optim.{TORCH_CLASS[kind]} takes no argument {name!r}")
        if name == "betas":
            if not isinstance(value, Sequence) or len(value) != 2:
                raise ValueError(f"betas must be a pair of numbers, got {value!r}")
            fields["beta1"], fields["beta2"] = _number(value[0]), _number(value[1])
        else:
            fields[name] = bool(value) if name in FLAGS else _number(value)
    return h._replace(**fields)


# Each kind's defaults as a Hyper, so a question only overrides what its ``hyper`` gives.
_DEFAULT_HYPER: Final[Mapping[OptimizerKind, Hyper]] = {
    kind: _override(Hyper(lr=0.0), kind, DEFAULTS[kind]) for kind in KINDS
}


def resolve_hyper(kind: OptimizerKind, hyper: Mapping[str, object]) -> Hyper:
    """Torch's defaults for ``kind`` overridden by ``hyper``; an argument the class lacks is a ValueError."""
    # Questions repeat a handful of hyperparameter sets and every misconception rereads them: memoize.
    try:
        return _resolve(kind, tuple(hyper.items()))
    except TypeError:  # an unhashable value, e.g. betas as a JSON list
        key = tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in hyper.items())
        return _resolve(kind, key)


@functools.lru_cache(maxsize=1024)
def _resolve(kind: OptimizerKind, hyper: tuple[tuple[str, object], ...]) -> Hyper:
    return _override(_DEFAULT_HYPER[kind], kind, dict(hyper))


class _State(Protocol):
    def _asdict(self) -> dict[str, object]: ...


S = TypeVar("S", bound=_State)


class Rule(Generic[S]):
    """An optimizer with its hyperparameters bound: the per-coordinate step and the initial state."""

    __slots__ = ("step", "state0")

    def __init__(self, step: Callable[[float, float, S], tuple[float, S]], state0: S) -> None:
        self.step = step
        self.state0 = state0

    def run(self, w0: Sequence[float], grads: Sequence[Sequence[float]]) -> list[float]:
        """The weights after one step per row of ``grads``."""
        step = self.step
        out = []
        for i, w in enumerate(w0):
            state = self.state0
            for row in grads:
                w, state = step(w, row[i], state)
            out.append(w)
        return out

    def trace(self, w0: Sequence[float], grads: Sequence[Sequence[float]]) -> list[dict[str, list[float]]]:
        """After each step: the weights and every float state variable, as vectors over the coordinates."""
        states = [self.state0] * len(w0)
        weights = list(w0)
        snapshots = []
        for row in grads:
            for i, g in enumerate(row):
                weights[i], states[i] = self.step(weights[i], g, states[i])
            snapshot = {"w": list(weights)}
            for name in states[0]._asdict():
                values = [state._asdict()[name] for state in states]
                floats = [value for value in values if isinstance(value, float)]
                if name != "t" and len(floats) == len(values):
                    snapshot[name] = floats
            snapshots.append(snapshot)
        return snapshots


class Optimizer(Protocol):
    """Any :class:`Rule`, whatever its state type."""

    def run(self, w0: Sequence[float], grads: Sequence[Sequence[float]]) -> list[float]: ...

    def trace(
        self, w0: Sequence[float], grads: Sequence[Sequence[float]]
    ) -> list[dict[str, list[float]]]: ...


@functools.lru_cache(maxsize=1024)
def rule_for(kind: OptimizerKind, h: Hyper) -> Optimizer:
    """``torch.optim``'s per-coordinate rule for ``kind`` with hyperparameters ``h`` (memoized, immutable)."""
    lr, wd, eps = h.lr, h.weight_decay, h.eps
    if kind in ("sgd", "momentum", "nesterov"):

        def sgd(w: float, g: float, s: SgdState) -> tuple[float, SgdState]:
            return sgd_step(
                w,
                g,
                s,
                lr=lr,
                momentum=h.momentum,
                dampening=h.dampening,
                nesterov=h.nesterov,
                weight_decay=wd,
            )

        return Rule(sgd, SgdState())
    if kind == "adagrad":

        def adagrad(w: float, g: float, s: AdagradState) -> tuple[float, AdagradState]:
            return adagrad_step(w, g, s, lr=lr, lr_decay=h.lr_decay, eps=eps, weight_decay=wd)

        return Rule(adagrad, AdagradState(0, h.initial_accumulator_value))
    if kind == "adadelta":

        def adadelta(w: float, g: float, s: AdadeltaState) -> tuple[float, AdadeltaState]:
            return adadelta_step(w, g, s, lr=lr, rho=h.rho, eps=eps, weight_decay=wd)

        return Rule(adadelta, AdadeltaState())
    if kind == "rmsprop":

        def rmsprop(w: float, g: float, s: RmspropState) -> tuple[float, RmspropState]:
            return rmsprop_step(
                w,
                g,
                s,
                lr=lr,
                alpha=h.alpha,
                eps=eps,
                momentum=h.momentum,
                centered=h.centered,
                weight_decay=wd,
            )

        return Rule(rmsprop, RmspropState())
    if kind == "adam":

        def adam(w: float, g: float, s: AdamState) -> tuple[float, AdamState]:
            return adam_step(w, g, s, lr=lr, beta1=h.beta1, beta2=h.beta2, eps=eps, weight_decay=wd)

        return Rule(adam, AdamState())
    if kind == "adamax":

        def adamax(w: float, g: float, s: AdamaxState) -> tuple[float, AdamaxState]:
            return adamax_step(w, g, s, lr=lr, beta1=h.beta1, beta2=h.beta2, eps=eps, weight_decay=wd)

        return Rule(adamax, AdamaxState())

    def nadam(w: float, g: float, s: NadamState) -> tuple[float, NadamState]:
        return nadam_step(
            w,
            g,
            s,
            lr=lr,
            beta1=h.beta1,
            beta2=h.beta2,
            eps=eps,
            momentum_decay=h.momentum_decay,
            weight_decay=wd,
        )

    return Rule(nadam, NadamState())


def optimize(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """The weights after ``torch.optim``'s ``kind`` takes one step per row of ``grads`` from ``w0``."""
    return rule_for(kind, h).run(w0, grads)


# ---------------------------------------------------------------------------------------------------
# Misconceptions: each reruns the whole trajectory with one wrong step


def misconception_lr_not_applied(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """Believes the update is applied as is, without the learning rate.

    Tempting for the adaptive methods, whose normalized update already "has a size" (Adadelta's paper
    has no learning rate at all), but every torch.optim rule multiplies its update by ``lr``.
    """
    return rule_for(kind, h._replace(lr=1.0)).run(w0, grads)


def misconception_gradient_ascent(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """Believes the weights move along the gradient (w + update) rather than against it.

    Tempting because the update formulas are written as "add the step"; the sign of the descent step is
    the easiest thing to drop when working by hand.
    """
    return rule_for(kind, h).run(w0, [[-g for g in row] for row in grads])


def misconception_sgd_momentum_dampened(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes the momentum buffer is an exponential average from zero: b = μ·b + (1 − μ)·g.

    Tempting because that is the form taught in many courses (and Adam's first moment), but PyTorch's SGD
    sums undamped gradients, b = μ·b + g, starting from the first gradient.
    """
    mu, nesterov = h.momentum, h.nesterov

    def step(w: float, g: float, s: SgdState) -> tuple[float, SgdState]:
        g = g + h.weight_decay * w
        buf = mu * (s.buf or 0.0) + (1.0 - mu) * g
        return w - h.lr * (g + mu * buf if nesterov else buf), SgdState(buf)

    return Rule(step, SgdState()).run(w0, grads)


def misconception_momentum_ignored(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes each step uses only the current gradient, as plain SGD does.

    Tempting because the first step is exactly plain SGD's; from the second step on, the buffer carries
    the earlier gradients.
    """
    return rule_for("sgd", h._replace(momentum=0.0, nesterov=False)).run(w0, grads)


def misconception_nesterov_as_plain_momentum(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """Believes ``nesterov=True`` changes nothing in the step: w −= lr·b.

    Tempting because the buffer update is the same; PyTorch's Nesterov step is w −= lr·(g + μ·b), the
    look-ahead folded into the gradient.
    """
    return rule_for(kind, h._replace(nesterov=False)).run(w0, grads)


def misconception_adagrad_no_accumulation(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes Adagrad divides by the current gradient's magnitude, √(g²), not the root of the running sum.

    Tempting because the first step is the same; Adagrad's whole point is the ever-growing sum that
    shrinks the steps.
    """

    def step(w: float, g: float, s: AdagradState) -> tuple[float, AdagradState]:
        t = s.t + 1
        g = g + h.weight_decay * w
        clr = h.lr / (1.0 + (t - 1) * h.lr_decay)
        return w - clr * g / (math.sqrt(g * g) + h.eps), AdagradState(t, g * g)

    return Rule(step, AdagradState(0, h.initial_accumulator_value)).run(w0, grads)


def misconception_no_sqrt(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """Believes the adaptive denominator is the accumulated squared gradient itself, without the root.

    Tempting because the state is "the second moment"; dividing by it (not its root) would make the step
    scale like 1/g instead of being scale-free.
    """
    lr, eps, wd = h.lr, h.eps, h.weight_decay
    if kind == "adagrad":

        def adagrad(w: float, g: float, s: AdagradState) -> tuple[float, AdagradState]:
            t, g = s.t + 1, g + wd * w
            total = s.sum + g * g
            return w - lr / (1.0 + (t - 1) * h.lr_decay) * g / (total + eps), AdagradState(t, total)

        return Rule(adagrad, AdagradState(0, h.initial_accumulator_value)).run(w0, grads)
    if kind == "rmsprop":

        def rmsprop(w: float, g: float, s: RmspropState) -> tuple[float, RmspropState]:
            g = g + wd * w
            square_avg = h.alpha * s.square_avg + (1.0 - h.alpha) * g * g
            return w - lr * g / (square_avg + eps), RmspropState(square_avg)

        return Rule(rmsprop, RmspropState()).run(w0, grads)

    def adam(w: float, g: float, s: AdamState) -> tuple[float, AdamState]:
        t, g = s.t + 1, g + wd * w
        m = s.exp_avg + (1.0 - h.beta1) * (g - s.exp_avg)
        v = h.beta2 * s.exp_avg_sq + (1.0 - h.beta2) * g * g
        return w - lr / (1.0 - h.beta1**t) * m / (v / (1.0 - h.beta2**t) + eps), AdamState(t, m, v)

    return Rule(adam, AdamState()).run(w0, grads)


def misconception_rmsprop_bias_corrected(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes RMSprop bias-corrects its average as Adam does, dividing E[g²] by 1 − αᵗ.

    Tempting because RMSprop's average also starts at zero; PyTorch's RMSprop has no correction, which is
    why its first steps are large.
    """

    def step(w: float, g: float, s: AdagradState) -> tuple[float, AdagradState]:
        t, g = s.t + 1, g + h.weight_decay * w
        square_avg = h.alpha * s.sum + (1.0 - h.alpha) * g * g  # a running average here, not a sum
        avg = math.sqrt(square_avg / (1.0 - h.alpha**t)) + h.eps
        return w - h.lr * g / avg, AdagradState(t, square_avg)

    return Rule(step, AdagradState(0, 0.0)).run(w0, grads)


def misconception_adadelta_eps_outside_sqrt(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes Adadelta's RMS is √E[x²] + eps, with eps added after the root (as in RMSprop and Adam).

    Tempting by analogy with the other optimizers; Adadelta's RMS[x] = √(E[x²] + eps), and with the
    update average starting at 0 the placement decides the size of every early step.
    """

    def step(w: float, g: float, s: AdadeltaState) -> tuple[float, AdadeltaState]:
        g = g + h.weight_decay * w
        square_avg = h.rho * s.square_avg + (1.0 - h.rho) * g * g
        delta = (math.sqrt(s.acc_delta) + h.eps) / (math.sqrt(square_avg) + h.eps) * g
        acc_delta = h.rho * s.acc_delta + (1.0 - h.rho) * delta * delta
        return w - h.lr * delta, AdadeltaState(square_avg, acc_delta)

    return Rule(step, AdadeltaState()).run(w0, grads)


def misconception_adadelta_no_update_rms(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes Adadelta's step is lr·g/RMS[g], leaving out the RMS of past updates in the numerator.

    Tempting because that is RMSprop's step and Adadelta is often described as "RMSprop without a learning
    rate"; the numerator RMS[Δw] is what gives Adadelta's step the units of w.
    """

    def step(w: float, g: float, s: AdadeltaState) -> tuple[float, AdadeltaState]:
        g = g + h.weight_decay * w
        square_avg = h.rho * s.square_avg + (1.0 - h.rho) * g * g
        return w - h.lr * g / math.sqrt(square_avg + h.eps), AdadeltaState(square_avg)

    return Rule(step, AdadeltaState()).run(w0, grads)


def misconception_adam_no_bias_correction(
    kind: OptimizerKind, h: Hyper, w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> list[float]:
    """Believes the Adam family steps with the raw moments m and v (or u), without dividing by 1 − βᵗ.

    Tempting because the moments are "the averages"; starting from zero they are biased towards zero, so
    the early steps come out far too small (m) or too large (v).
    """
    b1, b2, eps, wd = h.beta1, h.beta2, h.eps, h.weight_decay
    if kind == "nadam":

        def nadam(w: float, g: float, s: NadamState) -> tuple[float, NadamState]:
            t, g = s.t + 1, g + wd * w
            mu = nadam_mu(t, beta1=b1, momentum_decay=h.momentum_decay)
            mu_next = nadam_mu(t + 1, beta1=b1, momentum_decay=h.momentum_decay)
            m = s.exp_avg + (1.0 - b1) * (g - s.exp_avg)
            v = b2 * s.exp_avg_sq + (1.0 - b2) * g * g
            denom = math.sqrt(v) + eps
            return w - h.lr * ((1.0 - mu) * g + mu_next * m) / denom, NadamState(t, m, v)

        return Rule(nadam, NadamState()).run(w0, grads)

    if kind == "adamax":

        def adamax(w: float, g: float, s: AdamaxState) -> tuple[float, AdamaxState]:
            t, g = s.t + 1, g + wd * w
            m = s.exp_avg + (1.0 - b1) * (g - s.exp_avg)
            u = max(b2 * s.exp_inf, abs(g) + eps)
            return w - h.lr * m / u, AdamaxState(t, m, u)

        return Rule(adamax, AdamaxState()).run(w0, grads)

    def adam(w: float, g: float, s: AdamState) -> tuple[float, AdamState]:
        t, g = s.t + 1, g + wd * w
        m = s.exp_avg + (1.0 - b1) * (g - s.exp_avg)
        v = b2 * s.exp_avg_sq + (1.0 - b2) * g * g
        return w - h.lr * m / (math.sqrt(v) + eps), AdamState(t, m, v)

    return Rule(adam, AdamState()).run(w0, grads)


def misconception_adamax_as_adam(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes Adamax (or NAdam) steps like Adam: √v̂ of the squared-gradient average, no look-ahead.

    Tempting because all three share Adam's first moment and bias correction; Adamax replaces √v by the
    infinity norm u = max(β₂u, |g|), and NAdam adds the Nesterov look-ahead.
    """
    return rule_for("adam", h).run(w0, grads)


def misconception_adamax_bias_corrected_u(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes Adamax bias-corrects the infinity norm u by 1 − β₂ᵗ, as Adam corrects v.

    Tempting by analogy with Adam; a running max is not biased towards zero, so only m is corrected.
    """

    def step(w: float, g: float, s: AdamaxState) -> tuple[float, AdamaxState]:
        t, g = s.t + 1, g + h.weight_decay * w
        m = s.exp_avg + (1.0 - h.beta1) * (g - s.exp_avg)
        u = max(h.beta2 * s.exp_inf, abs(g) + h.eps)
        return w - h.lr / (1.0 - h.beta1**t) * m / (u / (1.0 - h.beta2**t)), AdamaxState(t, m, u)

    return Rule(step, AdamaxState()).run(w0, grads)


def misconception_nadam_mu_is_beta1(
    kind: OptimizerKind,  # noqa: ARG001 - same arguments as optimize
    h: Hyper,
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> list[float]:
    """Believes NAdam's momentum coefficient is β₁ at every step (μ_t = β₁, their product β₁ᵗ).

    Tempting because Dozat's NAdam is usually written with β₁; PyTorch's uses the ``momentum_decay``
    schedule μ_t = β₁(1 − ½·0.96^{tψ}), which is close to β₁/2 for the default ψ = 0.004.
    """
    b1, b2 = h.beta1, h.beta2

    def step(w: float, g: float, s: NadamState) -> tuple[float, NadamState]:
        t, g = s.t + 1, g + h.weight_decay * w
        m = s.exp_avg + (1.0 - b1) * (g - s.exp_avg)
        v = b2 * s.exp_avg_sq + (1.0 - b2) * g * g
        denom = math.sqrt(v / (1.0 - b2**t)) + h.eps
        w = w - h.lr * (1.0 - b1) / (1.0 - b1**t) * g / denom
        w = w - h.lr * b1 / (1.0 - b1 ** (t + 1)) * m / denom
        return w, NadamState(t, m, v)

    return Rule(step, NadamState()).run(w0, grads)


# ---------------------------------------------------------------------------------------------------
# Generator

WrongRule = Callable[[OptimizerKind, Hyper, Sequence[float], Sequence[Sequence[float]]], list[float]]


class Problem(NamedTuple):
    """A question's inputs, read once: the optimizer, its hyperparameters (given and resolved), w0, G."""

    kind: OptimizerKind
    given: Mapping[str, object]
    h: Hyper
    w0: list[float]
    grads: list[list[float]]


_KIND_BY_NAME: Final[Mapping[object, OptimizerKind]] = {kind: kind for kind in KINDS}


def read_kind(value: object) -> OptimizerKind:
    """The optimizer name, checked against the catalog."""
    try:
        return _KIND_BY_NAME[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {value!r}; expected one of {', '.join(KINDS)}") from None


def read_inputs(inputs: Inputs) -> Problem:
    """Parse ``optimizer``, ``hyper``, ``w0`` and ``grads`` (fresh or back from JSON)."""
    kind = read_kind(inputs["optimizer"])
    hyper = inputs["hyper"]
    if not isinstance(hyper, Mapping):
        raise ValueError(f"hyper must map torch.optim keyword arguments to values, got {hyper!r}")
    w0: list[float] = as_array(inputs["w0"]).tolist()
    grads: list[list[float]] = as_array(inputs["grads"]).tolist()
    return Problem(kind, hyper, resolve_hyper(kind, hyper), w0, grads)


def _solve(problem: Problem, wrong: WrongRule | None = None) -> Answer:
    return {"w": np.array((wrong or optimize)(problem.kind, problem.h, problem.w0, problem.grads))}


def _misconception(
    id: str, feedback: str, wrong: WrongRule, kinds: frozenset[str], *, needs_lr: bool = False
) -> tuple[Misconception, WrongRule]:
    """A misconception about the optimizers in ``kinds`` (with ``needs_lr``: only when lr is not 1),
    paired with its wrong rule."""

    def answer(inputs: Inputs) -> Answer:
        return _solve(read_inputs(inputs), wrong)

    def applies(inputs: Inputs) -> bool:
        kind = inputs["optimizer"]
        if kind not in kinds:
            return False
        return not needs_lr or read_inputs(inputs).h.lr != 1.0

    return Misconception(id=id, feedback=feedback, answer=answer, applies=applies), wrong


def _show(value: object) -> str:
    """A keyword argument's value as Python would print it: ``0.1``, ``1e-08``, ``(0.9, 0.999)``."""
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return f"{value:g}" if type(value) is float else str(value)


# The defaults as printed in prompts; momentum SGD's ``momentum`` is always given, so never a default.
_DEFAULT_TEXT: Final[Mapping[OptimizerKind, Mapping[str, str]]] = {
    kind: {
        name: f"{name}={_show(value)}"
        for name, value in DEFAULTS[kind].items()
        if not (kind in MOMENTUM_SGD and name == "momentum")
    }
    for kind in KINDS
}


def _hyper_text(kind: OptimizerKind, hyper: Mapping[str, object]) -> tuple[str, str]:
    """The call with the given keyword arguments, and the defaults that apply to the rest."""
    given = ", ".join(f"{name}={_show(value)}" for name, value in hyper.items())
    defaults = ", ".join(text for name, text in _DEFAULT_TEXT[kind].items() if name not in hyper)
    return f"torch.optim.{TORCH_CLASS[kind]}(params, {given})", defaults


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
        r" w \leftarrow w - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}"
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


# Each misconception with its wrong rule, which the generator runs on inputs it reads once.
_OPTIM_MISCONCEPTIONS = (
    _misconception(
        "optim.adam-no-bias-correction",
        "You stepped with the raw moments; Adam-family optimizers divide m (and Adam's v) by 1 − βᵗ, "
        "because both start at zero.",
        misconception_adam_no_bias_correction,
        ADAM_FAMILY,
    ),
    _misconception(
        "optim.sgd-momentum-dampened",
        "You averaged the momentum buffer as b = μb + (1 − μ)g from zero; PyTorch's SGD sums b = μb + g, "
        "starting from the first gradient.",
        misconception_sgd_momentum_dampened,
        MOMENTUM_SGD,
    ),
    _misconception(
        "optim.momentum-ignored",
        "You took plain SGD steps; with momentum the buffer b = μb + g carries the earlier gradients.",
        misconception_momentum_ignored,
        frozenset({"momentum"}),
    ),
    _misconception(
        "optim.nesterov-as-plain-momentum",
        "You stepped by the momentum buffer alone; PyTorch's Nesterov step is w −= lr·(g + μ·b).",
        misconception_nesterov_as_plain_momentum,
        frozenset({"nesterov"}),
    ),
    _misconception(
        "optim.adagrad-no-accumulation",
        "You divided by the current |g| only; Adagrad divides by the root of the sum of all squared "
        "gradients so far.",
        misconception_adagrad_no_accumulation,
        frozenset({"adagrad"}),
    ),
    _misconception(
        "optim.no-sqrt",
        "You divided by the squared-gradient average itself; the denominator is its square root (plus eps).",
        misconception_no_sqrt,
        frozenset({"adagrad", "rmsprop", "adam"}),
    ),
    _misconception(
        "optim.rmsprop-bias-corrected",
        "You bias-corrected RMSprop's average as Adam does; PyTorch's RMSprop divides by √E[g²] + eps "
        "with no 1 − αᵗ correction.",
        misconception_rmsprop_bias_corrected,
        frozenset({"rmsprop"}),
    ),
    _misconception(
        "optim.adadelta-eps-outside-sqrt",
        "You added eps after the square roots; Adadelta's RMS is √(E[x²] + eps), eps inside.",
        misconception_adadelta_eps_outside_sqrt,
        frozenset({"adadelta"}),
    ),
    _misconception(
        "optim.adadelta-no-update-rms",
        "You left out the numerator RMS of past updates; Adadelta's step is √(E[Δw²]+eps)/√(E[g²]+eps)·g.",
        misconception_adadelta_no_update_rms,
        frozenset({"adadelta"}),
    ),
    _misconception(
        "optim.adamax-as-adam",
        "You took Adam's steps; Adamax divides by the infinity norm u = max(β₂u, |g| + eps) and NAdam adds "
        "the Nesterov look-ahead.",
        misconception_adamax_as_adam,
        frozenset({"adamax", "nadam"}),
    ),
    _misconception(
        "optim.adamax-bias-corrected-u",
        "You bias-corrected Adamax's u; a running max is not biased towards zero, only m is corrected.",
        misconception_adamax_bias_corrected_u,
        frozenset({"adamax"}),
    ),
    _misconception(
        "optim.nadam-mu-is-beta1",
        "You used μ_t = β₁; PyTorch's NAdam uses μ_t = β₁(1 − ½·0.96^{tψ}) with momentum_decay ψ = 0.004.",
        misconception_nadam_mu_is_beta1,
        frozenset({"nadam"}),
    ),
    _misconception(
        "optim.lr-not-applied",
        "You left out the learning rate; every torch.optim update is multiplied by lr "
        "(Adadelta's too: its default is 1.0, but here it is not).",
        misconception_lr_not_applied,
        frozenset({"sgd", "adadelta"}),
        needs_lr=True,
    ),
    _misconception(
        "optim.gradient-ascent",
        "You moved along the gradient; descent subtracts the update from the weights.",
        misconception_gradient_ascent,
        frozenset({"sgd", "momentum", "nesterov"}),
    ),
)


class OptimizerStepsGenerator(Generator):
    """``optim.steps``: the weights after T steps of a torch.optim optimizer with given gradients."""

    id = "optim.steps"
    topic = "practice"
    title = "Optimizer steps, as torch.optim takes them"
    answer_fields = {"w": FieldSpec((N_WEIGHTS,))}
    misconceptions = tuple(misconception for misconception, _ in _OPTIM_MISCONCEPTIONS)

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        # One vectorized draw, then plain Python: each NumPy Generator call costs a few microseconds.
        draws = iter(rng.random(32).tolist())

        def pick(values: Sequence[T]) -> T:
            return values[int(next(draws) * len(values))]

        kind = pick(KINDS)
        steps = pick(STEP_CHOICES)
        w0 = [round(2.0 * next(draws) - 1.0, 1) for _ in range(N_WEIGHTS)]
        grads = [[pick(GRADIENTS) for _ in range(N_WEIGHTS)] for _ in range(steps)]
        hyper = _sample_hyper(kind, pick, next(draws))
        return {"optimizer": kind, "hyper": hyper, "w0": np.array(w0), "grads": np.array(grads)}

    def prompt(self, inputs: Inputs) -> str:
        problem = read_inputs(inputs)
        call, defaults = _hyper_text(problem.kind, problem.given)
        steps = len(problem.grads)
        return (
            f"Weights $w_0 = {matrix(problem.w0)}$ are updated by `{call}`, every other argument at "
            f"PyTorch's default ({defaults}). It takes $T = {steps}$ steps; the gradient at step $t$ is row "
            f"$t$ of $G = {matrix(problem.grads)}$ (given, not recomputed from $w$). "
            f"What are the weights after the {steps} steps (`w`), with torch.optim's exact update formulas?"
        )

    def solve(self, inputs: Inputs) -> Answer:
        return _solve(read_inputs(inputs))

    def answers(self, inputs: Inputs) -> AnswerStream:
        # The inputs read once; each misconception runs its own wrong rule on them.
        problem = read_inputs(inputs)
        explaining = yield None, _solve(problem)
        for misconception, wrong in _OPTIM_MISCONCEPTIONS:
            if misconception.applies_to(inputs) and misconception.could_explain(explaining):
                yield misconception, _solve(problem, wrong)

    def explain(self, inputs: Inputs) -> list[Step]:
        problem = read_inputs(inputs)
        steps = [Step("rule", f"PyTorch's update, per coordinate: ${FORMULAS[problem.kind]}$.")]
        trace = rule_for(problem.kind, problem.h).trace(problem.w0, problem.grads)
        for t, snapshot in enumerate(trace, start=1):
            parts = ", ".join(
                f"`{name}` $= {matrix(values, decimals=6)}$" for name, values in snapshot.items()
            )
            steps.append(Step(f"step_{t}", f"After step {t}: {parts}.", to_jsonable(snapshot)))
        return steps


def _sample_hyper(
    kind: OptimizerKind, pick: Callable[[Sequence[float]], float], u: float
) -> dict[str, object]:
    """Keyword arguments that make every step visible at 1 % (torch's tiny default lr would hide them)."""
    if kind in ("sgd", "adagrad"):
        return {"lr": pick((0.1, 0.2, 0.5))}
    if kind in MOMENTUM_SGD:
        hyper: dict[str, object] = {"lr": pick((0.1, 0.2, 0.5)), "momentum": pick((0.5, 0.9))}
        return {**hyper, "nesterov": True} if kind == "nesterov" else hyper
    if kind == "adadelta":
        # Adadelta's first steps are about sqrt(eps): the default 1e-6 would hide them below 1 %.
        hyper = {"eps": pick((0.01, 0.1))}
        if u < 0.5:
            hyper["lr"] = pick((0.5, 2.0))
        if u < 0.25 or u > 0.75:
            hyper["rho"] = 0.5
        return hyper
    if kind == "rmsprop":
        hyper = {"lr": pick((0.01, 0.02, 0.05))}
        return {**hyper, "alpha": 0.9} if u < 0.5 else hyper
    hyper = {"lr": pick((0.1, 0.2, 0.5))}
    return {**hyper, "betas": (0.8, 0.9)} if u < 0.3 else hyper


register(OptimizerStepsGenerator())
