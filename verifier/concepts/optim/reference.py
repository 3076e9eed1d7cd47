"""The reference optimizers: each kind's per-coordinate step (:mod:`.sgd`, :mod:`.adaptive`, :mod:`.adam`)
with its hyperparameters bound and mapped over the coordinates and the steps. Every rule is elementwise,
so it is written once for one coordinate in plain floats; the oracle tests check these against
``torch.optim`` for options the questions never use (weight decay, dampening, centered RMSprop...)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from verifier.concepts.optim.adam import (
    AdamaxState,
    AdamState,
    NadamState,
    adam_step,
    adamax_step,
    nadam_step,
)
from verifier.concepts.optim.adaptive import (
    AdadeltaState,
    AdagradState,
    RmspropState,
    adadelta_step,
    adagrad_step,
    rmsprop_step,
)
from verifier.concepts.optim.hyper import Hyper, OptimizerKind
from verifier.concepts.optim.sgd import SgdState, sgd_step


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
