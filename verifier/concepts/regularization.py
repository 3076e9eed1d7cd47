"""L1 and L2 penalties: their closed-form minimizers and one gradient (or proximal) step.

Conventions: the L2 penalty is (λ/2)‖w‖², so its gradient is λw (PyTorch's ``weight_decay=λ`` in SGD);
the L1 penalty is λ‖w‖₁. Per coordinate,

- argmin_w ½(w − a)² + (λ/2)w² = a / (1 + λ): L2 shrinks every weight by the same factor, none to 0;
- argmin_w ½(w − a)² + λ|w| = sign(a)·max(|a| − λ, 0): L1 soft-thresholds, setting |a| ≤ λ to exactly 0;
- an SGD step on loss + (λ/2)‖w‖² is w − lr·(g + λw);
- the proximal step for λ‖w‖₁ is soft-threshold(w − lr·g, lr·λ) (ISTA), which also lands exactly on 0.

Sources: DLB 7.1.1–7.1.2 (the L2 and L1 minimizers around a quadratic), Parikh & Boyd,
"Proximal Algorithms" 2014 §6.5.2 (https://web.stanford.edu/~boyd/papers/prox_algs.html).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

N_WEIGHTS = 4
LAMBDAS = (0.5, 1.0, 1.5)
STEP_LAMBDAS = (0.5, 1.0, 2.0)
LEARNING_RATES = (0.2, 0.4)
KINK_MARGIN = 0.005  # inputs sit on a 0.01 grid: this only excludes |a| (or |w − lr·g|) on a threshold

# The vectors have 4 coordinates and every rule here is elementwise, so the functions work on plain
# floats per coordinate (NumPy's per-call overhead would cost more than the arithmetic); answers are
# turned into arrays once, in the NamedTuples.


class Minimizers(NamedTuple):
    """The L1 and L2 minimizers of ½(w − a)² plus a penalty, and how many L1 weights are exactly 0."""

    w_l1: FloatArray
    w_l2: FloatArray
    zeros_l1: int


class PenaltySteps(NamedTuple):
    """One step from w: SGD on the L2-penalized loss, and the proximal step for the L1 penalty."""

    w_l2: FloatArray
    w_l1: FloatArray


def soft_threshold(x: float, threshold: float) -> float:
    """sign(x)·max(|x| − t, 0), the proximal operator of t·|·|."""
    return math.copysign(abs(x) - threshold, x) if abs(x) > threshold else 0.0


def l1_minimizer(a: Sequence[float], lam: float) -> list[float]:
    """argmin ½(w − a)² + λ|w| per coordinate: soft-threshold a at λ."""
    return [soft_threshold(x, lam) for x in a]


def l2_minimizer(a: Sequence[float], lam: float) -> list[float]:
    """argmin ½(w − a)² + (λ/2)w²: setting the derivative (w − a) + λw to 0 gives a / (1 + λ)."""
    return [x / (1.0 + lam) for x in a]


def minimizers(a: Sequence[float], lam: float) -> Minimizers:
    """Both minimizers; the L1 one is exactly 0 wherever |a| ≤ λ."""
    return _minimizers(MINIMIZER_GRAPH.fields_of(MINIMIZER_GRAPH.evaluate({"a": list(a), "lam": lam})[1]))


def _minimizers(answer: Answer) -> Minimizers:
    return Minimizers(np.asarray(answer["w_l1"]), np.asarray(answer["w_l2"]), int(answer["zeros_l1"]))


def misconception_l2_for_l1(a: Sequence[float], lam: float) -> Minimizers:
    """The whole answer of ``regularization.l2-for-l1`` (see MINIMIZER_GRAPH)."""
    return _minimizers(MINIMIZER_GRAPH.misconception("regularization.l2-for-l1").answer({"a": a, "lam": lam}))


def misconception_l1_without_clip(a: Sequence[float], lam: float) -> Minimizers:
    """The whole answer of ``regularization.l1-without-clip`` (see MINIMIZER_GRAPH)."""
    wrong = MINIMIZER_GRAPH.misconception("regularization.l1-without-clip")
    return _minimizers(wrong.answer({"a": a, "lam": lam}))


def misconception_l2_penalty_without_half(a: Sequence[float], lam: float) -> Minimizers:
    """The whole answer of ``regularization.l2-penalty-without-half`` (see MINIMIZER_GRAPH)."""
    wrong = MINIMIZER_GRAPH.misconception("regularization.l2-penalty-without-half")
    return _minimizers(wrong.answer({"a": a, "lam": lam}))


def sgd_l2_step(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> list[float]:
    """One SGD step on loss + (λ/2)‖w‖², i.e. ``SGD(lr, weight_decay=λ)``: w − lr·(g + λw)."""
    return [wi - lr * (gi + lam * wi) for wi, gi in zip(w, grad, strict=True)]


def proximal_l1_step(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> list[float]:
    """ISTA's step for loss + λ‖w‖₁: soft-threshold the gradient step w − lr·g at lr·λ."""
    return [soft_threshold(wi - lr * gi, lr * lam) for wi, gi in zip(w, grad, strict=True)]


def _step_inputs(w: Sequence[float], grad: Sequence[float], lr: float, lam: float) -> Values:
    return {"w": list(w), "grad": list(grad), "lr": lr, "lam": lam}


def _steps(answer: Answer) -> PenaltySteps:
    return PenaltySteps(np.asarray(answer["w_l2"]), np.asarray(answer["w_l1"]))


def penalty_steps(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> PenaltySteps:
    """The L2 (SGD with weight decay) and L1 (proximal) steps from the same w and data gradient."""
    return _steps(STEP_GRAPH.fields_of(STEP_GRAPH.evaluate(_step_inputs(w, grad, lr, lam))[1]))


def misconception_l1_subgradient_step(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """The whole answer of ``regularization.l1-subgradient-step`` (see STEP_GRAPH)."""
    wrong = STEP_GRAPH.misconception("regularization.l1-subgradient-step")
    return _steps(wrong.answer(_step_inputs(w, grad, lr, lam)))


def misconception_penalty_step_without_lr(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """The whole answer of ``regularization.penalty-step-without-lr`` (see STEP_GRAPH)."""
    wrong = STEP_GRAPH.misconception("regularization.penalty-step-without-lr")
    return _steps(wrong.answer(_step_inputs(w, grad, lr, lam)))


def misconception_l2_penalty_without_half_step(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """The whole answer of ``regularization.l2-penalty-without-half`` (see STEP_GRAPH)."""
    wrong = STEP_GRAPH.misconception("regularization.l2-penalty-without-half")
    return _steps(wrong.answer(_step_inputs(w, grad, lr, lam)))


def _vector(values: Sequence[float]) -> FloatArray:
    return np.array(values, dtype=np.float64)


def _sign(x: float) -> float:
    return math.copysign(1.0, x)


MINIMIZER_GRAPH = StepGraph(
    [
        Calc(
            "w_l2",
            lambda a, lam: _vector(l2_minimizer(a, lam)),
            lambda v: (
                "L2: $(w - a) + \\lambda w = 0 \\Rightarrow w = a/(1 + \\lambda) = "
                f"{matrix(v['a'])}/{num(1 + v['lam'])} = {matrix(v['w_l2'])}$."
            ),
            hint="Set the derivative of each coordinate's objective to zero: $(w - a) + \\lambda w = 0$.",
        ),
        Calc(
            "w_l1",
            lambda a, lam: _vector(l1_minimizer(a, lam)),
            lambda v: (
                f"L1: soft-threshold at $\\lambda = {num(v['lam'])}$: "
                f"$w = \\operatorname{{sign}}(a)\\max(|a| - \\lambda, 0) = {matrix(v['w_l1'])}$."
            ),
            hint="Where $w \\ne 0$, $w = a - \\lambda\\operatorname{sign}(w)$; when $|a| \\le \\lambda$ "
            "no nonzero $w$ satisfies that.",
        ),
        Calc(
            "zeros_l1",
            lambda w_l1: sum(1 for x in w_l1 if x == 0),
            lambda v: f"Coordinates with $|a| \\le \\lambda$ become exactly 0: {v['zeros_l1']} of them.",
        ),
    ],
    fields=("w_l1", "w_l2", "zeros_l1"),
    misconceptions=[
        WrongStep(
            id="regularization.l2-for-l1",
            feedback="You shrank the L1 answer like L2, a/(1 + λ); the L1 minimizer soft-thresholds: "
            "sign(a)·max(|a| − λ, 0), exactly 0 when |a| ≤ λ.",
            root="w_l1",
            # Both penalties "shrink the weights"; L1's constant pull λ·sign(w) is what reaches 0.
            wrong=lambda a, lam: _vector(l2_minimizer(a, lam)),
        ),
        WrongStep(
            id="regularization.l1-without-clip",
            feedback="You subtracted λ·sign(a) past zero; when |a| ≤ λ the L1 minimizer is exactly 0.",
            root="w_l1",
            # From the stationarity condition w = a − λ·sign(w) with sign(w) taken as sign(a).
            wrong=lambda a, lam: _vector([x - math.copysign(lam, x) for x in a]),
        ),
        WrongStep(
            id="regularization.l2-penalty-without-half",
            feedback="You used the penalty λw² (a/(1 + 2λ)); with (λ/2)w² the minimizer is a/(1 + λ).",
            root="w_l2",
            # Both conventions are common; with (λ/2)w² the derivative is λw and the 2 cancels.
            wrong=lambda a, lam: _vector(l2_minimizer(a, 2.0 * lam)),
        ),
    ],
    read=lambda inputs: dict(zip(("a", "lam"), read_minimizer_inputs(inputs), strict=True)),
)

STEP_GRAPH = StepGraph(
    [
        Calc(
            "penalty_share",
            lambda lr, lam: lr * lam,
            lambda v: (
                f"The penalty's share of the step is $\\eta\\lambda = {num(v['lr'])} \\cdot "
                f"{num(v['lam'])} = {num(v['penalty_share'])}$."
            ),
            hint="The penalty's gradient is scaled by the learning rate like the data gradient.",
        ),
        Calc(
            "w_l2",
            lambda w, grad, lr, penalty_share: _vector(
                [wi - lr * gi - penalty_share * wi for wi, gi in zip(w, grad, strict=True)]
            ),
            lambda v: (
                "L2: $w - \\eta g - \\eta\\lambda w = "
                f"{matrix(v['w'])} - {num(v['lr'])} \\cdot {matrix(v['grad'])} - "
                f"{num(v['penalty_share'])} \\cdot {matrix(v['w'])} = {matrix(v['w_l2'])}$."
            ),
            hint="The gradient of $\\tfrac{\\lambda}{2}\\|w\\|^2$ is $\\lambda w$.",
        ),
        Calc(
            "gradient_step",
            lambda w, grad, lr: _vector([wi - lr * gi for wi, gi in zip(w, grad, strict=True)]),
            lambda v: f"Data-loss step: $z = w - \\eta g = {matrix(v['gradient_step'])}$.",
            hint="The proximal step first takes a plain gradient step on the data loss.",
        ),
        Calc(
            "w_l1",
            lambda gradient_step, penalty_share: _vector(
                [soft_threshold(z, penalty_share) for z in gradient_step]
            ),
            lambda v: (
                f"Soft-threshold $z$ at $\\eta\\lambda = {num(v['penalty_share'])}$: "
                f"$\\operatorname{{sign}}(z)\\max(|z| - \\eta\\lambda, 0) = {matrix(v['w_l1'])}$."
            ),
            hint="The proximal operator of $t|w|$ soft-thresholds at $t$.",
        ),
    ],
    fields=("w_l2", "w_l1"),
    misconceptions=[
        WrongStep(
            id="regularization.l1-subgradient-step",
            feedback="You took a subgradient step w − lr(g + λ·sign(w)); the proximal step soft-thresholds "
            "w − lr·g at lr·λ, landing exactly on 0 instead of overshooting.",
            root="w_l1",
            # That is how the L2 step is built; it overshoots past 0 instead of landing on it.
            wrong=lambda w, grad, lr, lam: _vector(
                [wi - lr * (gi + lam * _sign(wi)) for wi, gi in zip(w, grad, strict=True)]
            ),
        ),
        WrongStep(
            id="regularization.penalty-step-without-lr",
            feedback="You applied the penalty without the learning rate; its share of the step is lr·λ "
            "(decay lr·λ·w, threshold lr·λ).",
            root="penalty_share",
            # Weight decay is often described as "shrink the weights by λ".
            wrong=lambda lam: lam,
        ),
        WrongStep(
            id="regularization.l2-penalty-without-half",
            feedback="You used 2λw as the penalty's gradient; the gradient of (λ/2)‖w‖² is λw.",
            root="w_l2",
            # Remembering the penalty as λ‖w‖²; the ½ is there so that its gradient is λw.
            wrong=lambda w, grad, lr, penalty_share: _vector(
                [wi - lr * gi - 2.0 * penalty_share * wi for wi, gi in zip(w, grad, strict=True)]
            ),
        ),
    ],
    read=lambda inputs: dict(zip(("w", "grad", "lr", "lam"), read_step_inputs(inputs), strict=True)),
)


def read_minimizer_inputs(inputs: Inputs) -> tuple[list[float], float]:
    """``a`` and ``lam``."""
    a: list[float] = as_array(inputs["a"]).tolist()
    return a, as_float(inputs["lam"])


def read_step_inputs(inputs: Inputs) -> tuple[list[float], list[float], float, float]:
    """``w``, ``grad``, ``lr`` and ``lam``."""
    w: list[float] = as_array(inputs["w"]).tolist()
    grad: list[float] = as_array(inputs["grad"]).tolist()
    return w, grad, as_float(inputs["lr"]), as_float(inputs["lam"])


def _tenths(u: float, v: float, largest: int) -> float:
    """A nonzero multiple of 0.1 in [−largest/10, largest/10] from two uniform draws."""
    return math.copysign((1 + int(u * largest)) / 10.0, v - 0.5)


class MinimizerGenerator(StepGenerator):
    """``regularization.l1_l2_minimizer``: the L1 and L2 minimizers around a quadratic."""

    id = "regularization.l1_l2_minimizer"
    topic = "regularization"
    title = "L1 vs L2: the minimizers of ½(w − a)² plus a penalty"
    answer_fields = {
        "w_l1": FieldSpec((N_WEIGHTS,)),
        "w_l2": FieldSpec((N_WEIGHTS,)),
        "zeros_l1": FieldSpec(dtype="int"),
    }
    graph = MINIMIZER_GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: shrink by λ, divide by 1 + λ

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """1 to 3 coordinates below λ in magnitude (they become 0), the others above, in random places."""
        draws = rng.random(4 * N_WEIGHTS + 2).tolist()
        lam = LAMBDAS[int(draws[0] * len(LAMBDAS))]
        threshold = round(10 * lam)  # in tenths
        below = 1 + int(draws[1] * (N_WEIGHTS - 1))
        places = sorted(range(N_WEIGHTS), key=lambda i: draws[2 + i])
        a = [0.0] * N_WEIGHTS
        for rank, place in enumerate(places):
            low, high = (1, threshold - 1) if rank < below else (threshold + 1, 2 * threshold + 5)
            u, sign = draws[2 + N_WEIGHTS + 2 * rank], draws[3 + N_WEIGHTS + 2 * rank]
            a[place] = math.copysign((low + int(u * (high - low + 1))) / 10.0, sign - 0.5)
        return {"a": np.array(a), "lam": lam}

    def acceptable(self, inputs: Inputs) -> bool:
        """No |a| on the threshold λ, and some weights on each side of it (zeros and survivors)."""
        a, lam = read_minimizer_inputs(inputs)
        gaps = [abs(x) - lam for x in a]
        return all(abs(gap) >= KINK_MARGIN for gap in gaps) and min(gaps) < 0 < max(gaps)

    def prompt(self, inputs: Inputs) -> str:
        a, lam = read_minimizer_inputs(inputs)
        return (
            f"For $a = {matrix(a)}$ and $\\lambda = {num(lam)}$, minimize coordinate by coordinate "
            "$\\tfrac{1}{2}(w - a)^2 + \\lambda |w|$ (the L1 minimizer, `w_l1`) and "
            "$\\tfrac{1}{2}(w - a)^2 + \\tfrac{\\lambda}{2} w^2$ (the L2 minimizer, `w_l2`). How many "
            "coordinates of the L1 minimizer are exactly zero (`zeros_l1`)?"
        )


class PenaltyStepGenerator(StepGenerator):
    """``regularization.penalty_step``: one SGD step with L2 weight decay and one proximal L1 step."""

    id = "regularization.penalty_step"
    topic = "regularization"
    title = "One step with an L2 penalty (SGD) and with an L1 penalty (proximal)"
    answer_fields = {"w_l2": FieldSpec((N_WEIGHTS,)), "w_l1": FieldSpec((N_WEIGHTS,))}
    graph = STEP_GRAPH

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: products and sums of one-decimal numbers

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Random w and g, except one coordinate whose gradient step lands within lr·λ of 0."""
        draws = rng.random(4 * N_WEIGHTS + 4).tolist()
        lr = LEARNING_RATES[int(draws[0] * len(LEARNING_RATES))]
        lam = STEP_LAMBDAS[int(draws[1] * len(STEP_LAMBDAS))]
        w = [_tenths(draws[i], draws[i + 1], 10) for i in range(4, 4 + 2 * N_WEIGHTS, 2)]
        grad = [_tenths(draws[i], draws[i + 1], 10) for i in range(4 + 2 * N_WEIGHTS, 4 + 4 * N_WEIGHTS, 2)]
        place = int(draws[2] * N_WEIGHTS)
        zeroed = [
            k / 10 for k in range(-10, 11) if k and abs(k / 10 - lr * grad[place]) < lr * lam - KINK_MARGIN
        ]
        if zeroed:
            w[place] = zeroed[int(draws[3] * len(zeroed))]
        return {"w": np.array(w), "grad": np.array(grad), "lr": lr, "lam": lam}

    def acceptable(self, inputs: Inputs) -> bool:
        """No |w − lr·g| on a threshold (lr·λ, or λ for a misconception), and some weight set to 0."""
        w, grad, lr, lam = read_step_inputs(inputs)
        z = [abs(wi - lr * gi) for wi, gi in zip(w, grad, strict=True)]
        clear = all(abs(zi - lr * lam) >= KINK_MARGIN and abs(zi - lam) >= KINK_MARGIN for zi in z)
        return clear and min(z) < lr * lam

    def prompt(self, inputs: Inputs) -> str:
        w, grad, lr, lam = read_step_inputs(inputs)
        return (
            f"Weights $w = {matrix(w)}$ have data-loss gradient $g = {matrix(grad)}$; the learning rate is "
            f"$\\eta = {num(lr)}$ and $\\lambda = {num(lam)}$. Give the weights after one SGD step on the "
            "loss plus $\\tfrac{\\lambda}{2}\\|w\\|^2$ (`w_l2`, i.e. `SGD(lr, weight_decay=λ)`), and after "
            "one proximal gradient step for the loss plus $\\lambda\\|w\\|_1$ (`w_l1`: a gradient step on "
            "the data loss, then the proximal operator of the scaled penalty)."
        )


register(MinimizerGenerator())
register(PenaltyStepGenerator())
