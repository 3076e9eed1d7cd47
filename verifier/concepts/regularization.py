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
from typing import NamedTuple, Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float
from verifier.grading import FieldSpec, Misconception
from verifier.jsonsafe import to_jsonable
from verifier.latex import matrix, num
from verifier.registry import register

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


def _minimizers(w_l1: list[float], w_l2: list[float]) -> Minimizers:
    return Minimizers(np.array(w_l1), np.array(w_l2), w_l1.count(0.0))


def minimizers(a: Sequence[float], lam: float) -> Minimizers:
    """Both minimizers; the L1 one is exactly 0 wherever |a| ≤ λ."""
    return _minimizers(l1_minimizer(a, lam), l2_minimizer(a, lam))


def misconception_l2_for_l1(a: Sequence[float], lam: float) -> Minimizers:
    """Believes the L1 penalty shrinks like the L2 one, a / (1 + λ), so no weight becomes 0.

    Tempting because both penalties "shrink the weights"; L1's constant-size pull (λ·sign(w)) is what
    sets small weights exactly to 0.
    """
    w_l2 = l2_minimizer(a, lam)
    return _minimizers(w_l2, w_l2)


def misconception_l1_without_clip(a: Sequence[float], lam: float) -> Minimizers:
    """Believes the L1 minimizer is a − λ·sign(a), subtracting λ even past 0.

    Tempting from the stationarity condition w = a − λ·sign(w) with sign(w) taken as sign(a); when
    |a| ≤ λ no nonzero w satisfies it and the minimizer is 0.
    """
    return _minimizers([x - math.copysign(lam, x) for x in a], l2_minimizer(a, lam))


def misconception_l2_penalty_without_half(a: Sequence[float], lam: float) -> Minimizers:
    """Believes the L2 penalty here is λw² (no ½), which gives a / (1 + 2λ).

    Tempting because both conventions are common; with (λ/2)w² the derivative is λw and the factor 2
    cancels.
    """
    return _minimizers(l1_minimizer(a, lam), l2_minimizer(a, 2.0 * lam))


def sgd_l2_step(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> list[float]:
    """One SGD step on loss + (λ/2)‖w‖², i.e. ``SGD(lr, weight_decay=λ)``: w − lr·(g + λw)."""
    return [wi - lr * (gi + lam * wi) for wi, gi in zip(w, grad, strict=True)]


def proximal_l1_step(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> list[float]:
    """ISTA's step for loss + λ‖w‖₁: soft-threshold the gradient step w − lr·g at lr·λ."""
    return [soft_threshold(wi - lr * gi, lr * lam) for wi, gi in zip(w, grad, strict=True)]


def penalty_steps(w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float) -> PenaltySteps:
    """The L2 (SGD with weight decay) and L1 (proximal) steps from the same w and data gradient."""
    return PenaltySteps(
        np.array(sgd_l2_step(w, grad, lr=lr, lam=lam)), np.array(proximal_l1_step(w, grad, lr=lr, lam=lam))
    )


def misconception_l1_subgradient_step(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """Believes the L1 step is a subgradient step, w − lr·(g + λ·sign(w)).

    Tempting because that is how the L2 step is built; it overshoots past 0 instead of landing on it,
    which is why the proximal step soft-thresholds the gradient step.
    """
    w_l1 = [wi - lr * (gi + math.copysign(lam, wi)) for wi, gi in zip(w, grad, strict=True)]
    return PenaltySteps(np.array(sgd_l2_step(w, grad, lr=lr, lam=lam)), np.array(w_l1))


def misconception_penalty_step_without_lr(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """Believes the penalty's pull is not scaled by the learning rate: w − lr·g − λw, threshold λ.

    Tempting because weight decay is often described as "shrink the weights by λ"; in SGD on the
    penalized loss (and in the proximal step) the penalty's share of the step is lr·λ.
    """
    w_l2 = [wi - lr * gi - lam * wi for wi, gi in zip(w, grad, strict=True)]
    w_l1 = [soft_threshold(wi - lr * gi, lam) for wi, gi in zip(w, grad, strict=True)]
    return PenaltySteps(np.array(w_l2), np.array(w_l1))


def misconception_l2_penalty_without_half_step(
    w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
) -> PenaltySteps:
    """Believes the gradient of (λ/2)‖w‖² is 2λw.

    Tempting when the penalty is remembered as λ‖w‖²; the ½ is there so that its gradient is λw.
    """
    return PenaltySteps(
        np.array(sgd_l2_step(w, grad, lr=lr, lam=2.0 * lam)),
        np.array(proximal_l1_step(w, grad, lr=lr, lam=lam)),
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


def _minimizer_answer(result: Minimizers) -> Answer:
    return {"w_l1": result.w_l1, "w_l2": result.w_l2, "zeros_l1": result.zeros_l1}


def _step_answer(result: PenaltySteps) -> Answer:
    return {"w_l2": result.w_l2, "w_l1": result.w_l1}


def _tenths(u: float, v: float, largest: int) -> float:
    """A nonzero multiple of 0.1 in [−largest/10, largest/10] from two uniform draws."""
    return math.copysign((1 + int(u * largest)) / 10.0, v - 0.5)


class MinimizerGenerator(Generator):
    """``regularization.l1_l2_minimizer``: the L1 and L2 minimizers around a quadratic."""

    id = "regularization.l1_l2_minimizer"
    topic = "regularization"
    title = "L1 vs L2: the minimizers of ½(w − a)² plus a penalty"
    answer_fields = {
        "w_l1": FieldSpec((N_WEIGHTS,)),
        "w_l2": FieldSpec((N_WEIGHTS,)),
        "zeros_l1": FieldSpec(dtype="int"),
    }
    misconceptions = (
        Misconception(
            id="regularization.l2-for-l1",
            feedback="You shrank the L1 answer like L2, a/(1 + λ); the L1 minimizer soft-thresholds: "
            "sign(a)·max(|a| − λ, 0), exactly 0 when |a| ≤ λ.",
            answer=lambda inputs: _minimizer_answer(misconception_l2_for_l1(*read_minimizer_inputs(inputs))),
        ),
        Misconception(
            id="regularization.l1-without-clip",
            feedback="You subtracted λ·sign(a) past zero; when |a| ≤ λ the L1 minimizer is exactly 0.",
            answer=lambda inputs: _minimizer_answer(
                misconception_l1_without_clip(*read_minimizer_inputs(inputs))
            ),
        ),
        Misconception(
            id="regularization.l2-penalty-without-half",
            feedback="You used the penalty λw² (a/(1 + 2λ)); with (λ/2)w² the minimizer is a/(1 + λ).",
            answer=lambda inputs: _minimizer_answer(
                misconception_l2_penalty_without_half(*read_minimizer_inputs(inputs))
            ),
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        return _minimizer_answer(minimizers(*read_minimizer_inputs(inputs)))

    def explain(self, inputs: Inputs) -> list[Step]:
        a, lam = read_minimizer_inputs(inputs)
        result = minimizers(a, lam)
        return [
            Step(
                "w_l2",
                f"L2: $(w - a) + \\lambda w = 0 \\Rightarrow w = a/(1 + \\lambda) = {matrix(result.w_l2)}$.",
                result.w_l2.tolist(),
            ),
            Step(
                "w_l1",
                f"L1: soft-threshold at $\\lambda = {num(lam)}$: $w = \\operatorname{{sign}}(a)\\max(|a| - "
                f"\\lambda, 0) = {matrix(result.w_l1)}$.",
                result.w_l1.tolist(),
            ),
            Step(
                "zeros_l1",
                f"Coordinates with $|a| \\le \\lambda$ become exactly 0: {result.zeros_l1} of them.",
                result.zeros_l1,
            ),
        ]


class PenaltyStepGenerator(Generator):
    """``regularization.penalty_step``: one SGD step with L2 weight decay and one proximal L1 step."""

    id = "regularization.penalty_step"
    topic = "regularization"
    title = "One step with an L2 penalty (SGD) and with an L1 penalty (proximal)"
    answer_fields = {"w_l2": FieldSpec((N_WEIGHTS,)), "w_l1": FieldSpec((N_WEIGHTS,))}
    misconceptions = (
        Misconception(
            id="regularization.l1-subgradient-step",
            feedback="You took a subgradient step w − lr(g + λ·sign(w)); the proximal step soft-thresholds "
            "w − lr·g at lr·λ, landing exactly on 0 instead of overshooting.",
            answer=lambda inputs: _step_answer(_step(misconception_l1_subgradient_step, inputs)),
        ),
        Misconception(
            id="regularization.penalty-step-without-lr",
            feedback="You applied the penalty without the learning rate; its share of the step is lr·λ "
            "(decay lr·λ·w, threshold lr·λ).",
            answer=lambda inputs: _step_answer(_step(misconception_penalty_step_without_lr, inputs)),
        ),
        Misconception(
            id="regularization.l2-penalty-without-half",
            feedback="You used 2λw as the penalty's gradient; the gradient of (λ/2)‖w‖² is λw.",
            answer=lambda inputs: _step_answer(_step(misconception_l2_penalty_without_half_step, inputs)),
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        return _step_answer(_step(penalty_steps, inputs))

    def explain(self, inputs: Inputs) -> list[Step]:
        w, grad, lr, lam = read_step_inputs(inputs)
        result = penalty_steps(w, grad, lr=lr, lam=lam)
        z = [wi - lr * gi for wi, gi in zip(w, grad, strict=True)]
        return [
            Step(
                "w_l2",
                f"L2: $w - \\eta (g + \\lambda w) = {matrix(result.w_l2)}$.",
                result.w_l2.tolist(),
            ),
            Step("gradient_step", f"Data-loss step: $z = w - \\eta g = {matrix(z)}$.", to_jsonable(z)),
            Step(
                "w_l1",
                f"Soft-threshold $z$ at $\\eta\\lambda = {num(lr * lam)}$: $\\operatorname{{sign}}(z)"
                f"\\max(|z| - \\eta\\lambda, 0) = {matrix(result.w_l1)}$.",
                result.w_l1.tolist(),
            ),
        ]


class _StepRule(Protocol):
    def __call__(
        self, w: Sequence[float], grad: Sequence[float], *, lr: float, lam: float
    ) -> PenaltySteps: ...


def _step(rule: _StepRule, inputs: Inputs) -> PenaltySteps:
    w, grad, lr, lam = read_step_inputs(inputs)
    return rule(w, grad, lr=lr, lam=lam)


register(MinimizerGenerator())
register(PenaltyStepGenerator())
