"""``optim.steps``: the weights after T steps of a torch.optim optimizer, with the gradients given.

Sampling and the prompt; the computation, worked solution, hints, grading and misconceptions are the
step graph's (:mod:`.graph`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeVar

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.concepts.optim.graph import GRAPH
from verifier.concepts.optim.hyper import (
    DEFAULTS,
    KINDS,
    MOMENTUM_SGD,
    TORCH_CLASS,
    OptimizerKind,
    read_inputs,
)
from verifier.generator import Step
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator

N_WEIGHTS = 2
STEP_CHOICES = (2,)  # two steps already show every misconception, and stay workable by hand
GRADIENTS = tuple(sign * k / 10 for sign in (-1, 1) for k in range(1, 11))  # ±0.1 … ±1.0, never 0

T = TypeVar("T")


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


class OptimizerStepsGenerator(StepGenerator):
    """``optim.steps``: the weights after T steps of a torch.optim optimizer with given gradients."""

    id = "optim.steps"
    topic = "practice"
    title = "Optimizer steps, as torch.optim takes them"
    answer_fields = {"w": FieldSpec((N_WEIGHTS,))}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
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

    def explain(self, inputs: Inputs) -> list[Step]:
        """The steps of this question's optimizer (a step another optimizer has is None here, left out)."""
        return [step for step in super().explain(inputs) if step.value is not None]

    def hints(self, inputs: Inputs) -> tuple[str, ...]:
        """The hints about this question's optimizer."""
        return tuple(hint for hint in super().hints(inputs) if hint)


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
