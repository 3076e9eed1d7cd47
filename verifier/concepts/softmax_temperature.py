"""Softmax with a temperature, and the log-sum-exp shift that keeps it finite for large logits.

Convention: softmax(z/T)_k = e^{z_k/T} / Σ_j e^{z_j/T}; T > 1 flattens the distribution, T < 1 sharpens it
(Hinton et al. 2015, "Distilling the Knowledge in a Neural Network", https://arxiv.org/abs/1503.02531).
Computed as written, e^{z/T} overflows float64 past z/T ≈ 709; subtracting m = max_k z_k/T first changes
no probability and makes every exponent ≤ 0, and log Σ_j e^{z_j/T} = m + log Σ_j e^{z_j/T − m}
(``torch.logsumexp``, https://pytorch.org/docs/stable/generated/torch.logsumexp.html).
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import Known, as_array, as_float
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

K = 4
TEMPERATURES = (0.5, 2.0, 4.0)
BASES = (500, 800, 1000, 2000)  # logits this large overflow e^z in float64


def _read(inputs: Inputs) -> Values:
    return {"z": as_array(inputs["z"]), "T": as_float(inputs["temperature"])}


def logsumexp(scaled: FloatArray) -> float:
    """log Σ e^{scaled}, with the largest value factored out so nothing overflows."""
    m = float(scaled.max())
    return m + float(np.log(np.exp(scaled - m).sum()))


GRAPH = StepGraph(
    [
        Calc(
            "scaled",
            lambda z, T: z / T,
            lambda v: f"Divide by the temperature: $z/T = {matrix(v['scaled'])}$.",
            hint="The temperature divides the logits before the exponential.",
        ),
        Calc(
            "m",
            lambda scaled: float(scaled.max()),
            lambda v: (
                f"Shift by the largest scaled logit, $m = {num(v['m'])}$: $e^{{{num(v['m'])}}}$ would "
                "overflow float64 (its largest value is about $e^{709}$)."
            ),
            hint="Which shift makes every exponent at most 0?",
        ),
        Calc(
            "shifted",
            lambda scaled, m: scaled - m,
            lambda v: f"$z/T - m = {matrix(v['shifted'])}$: every exponent is now at most 0.",
        ),
        Calc(
            "p",
            lambda shifted: np.exp(shifted) / np.exp(shifted).sum(),
            lambda v: (
                "The shift cancels between numerator and denominator: "
                f"$p_k = e^{{s_k}} / \\sum_j e^{{s_j}} = {matrix(v['p'])}$."
            ),
        ),
        Calc(
            "lse",
            # From the scaled logits rather than from the step m: shifting by another constant (the
            # min-shift belief) leaves the log-sum-exp right, so it does not show that belief.
            lambda scaled: logsumexp(scaled),
            lambda v: (
                f"$\\log \\sum_j e^{{z_j/T}} = m + \\log \\sum_j e^{{s_j}} = {num(v['m'])} + "
                f"{num(v['lse'] - v['m'])} = {num(v['lse'])}$."
            ),
            hint="Factor e^m out of the sum before taking the log.",
        ),
    ],
    fields=("shifted", "p", "lse"),
    misconceptions=[
        WrongStep(
            id="activations.temperature-multiplies",
            feedback="You multiplied the logits by T; the temperature divides them, so T > 1 flattens the "
            "distribution.",
            root="scaled",
            # "Raising the temperature" sounds like scaling the logits up.
            wrong=lambda z, T: z * T,
        ),
        WrongStep(
            id="activations.shift-by-min",
            feedback="You subtracted the smallest logit; the exponents are then ≥ 0 and can still overflow. "
            "Subtract the largest so that every exponent is ≤ 0.",
            root="m",
            # Any constant cancels in the softmax, so the choice of which one looks arbitrary.
            wrong=lambda scaled: float(scaled.min()),
        ),
        WrongStep(
            id="activations.lse-forgets-max",
            feedback="You dropped the shift from the log-sum-exp: log Σ e^{z/T} = m + log Σ e^{z/T − m}; "
            "only the probabilities are unchanged by the shift.",
            root="lse",
            # The shift really does vanish from the softmax, which makes it easy to drop here too.
            wrong=lambda shifted: float(np.log(np.exp(shifted).sum())),
        ),
    ],
    read=_read,
)


class SoftmaxTemperatureGenerator(StepGenerator):
    """``activations.softmax_temperature``: the shifted logits, the probabilities and the log-sum-exp."""

    id = "activations.softmax_temperature"
    topic = "activations"
    title = "Softmax with temperature and the log-sum-exp shift"
    answer_fields = {"shifted": FieldSpec(shape=(K,)), "p": FieldSpec(shape=(K,)), "lse": FieldSpec()}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        temperature = TEMPERATURES[int(rng.integers(0, len(TEMPERATURES)))]
        base = BASES[int(rng.integers(0, len(BASES)))]
        offsets = rng.choice(np.arange(-6, 7), size=K, replace=False).astype(np.float64)
        return {"z": base + offsets * temperature / 2, "temperature": temperature}

    def acceptable(self, inputs: Inputs) -> bool:
        # Plain floats, the same operations: most draws fail here, and NumPy's per-call cost would dominate.
        z: list[float] = as_array(inputs["z"]).tolist()
        temperature = as_float(inputs["temperature"])
        top = max(z)
        return (top - min(z)) / temperature <= 5.0 and top / temperature > 709.0

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        v = _read(inputs)
        scaled = v["z"] / v["T"]
        shifted = scaled - scaled.max()
        exps = tuple(
            Known(f"e^{{{num(s)}}}", float(np.exp(s))) for s in sorted(set(shifted.tolist())) if s != 0
        )
        total = float(np.exp(shifted).sum())
        return (*exps, Known(f"\\ln {num(total, decimals=4)}", float(np.log(round(total, 4)))))

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A model outputs the logits $z = {matrix(v['z'])}$; they are turned into probabilities with "
            f"temperature $T = {num(v['T'])}$, $p = \\mathrm{{softmax}}(z/T)$. Computed naively, "
            "$e^{z_k/T}$ overflows float64. Give the logits after dividing by $T$ and shifting so that the "
            "largest is 0 (`shifted`), the probabilities (`p`) and $\\log \\sum_k e^{z_k/T}$ (`lse`)."
        )


register(SoftmaxTemperatureGenerator())
