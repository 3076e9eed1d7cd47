"""Cross-entropy with label smoothing: the smoothed target, the loss and its gradient p − ỹ.

Convention (``F.cross_entropy(z, t, label_smoothing=ε)``, https://pytorch.org/docs/stable/generated/
torch.nn.functional.cross_entropy.html): the one-hot target is mixed with the uniform distribution over all
K classes, ỹ = (1 − ε)·onehot(t) + ε/K, so the target class keeps 1 − ε + ε/K and every other class gets
ε/K (Szegedy et al. 2016, §7, https://arxiv.org/abs/1512.00567). The loss is −Σ_k ỹ_k ln p_k with
p = softmax(z), and since ỹ sums to 1 its gradient with respect to the logits is p − ỹ.
"""

from __future__ import annotations

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.concepts.activations import softmax
from verifier.generator import Known, as_array, as_float, as_int
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

K = 4
EPSILONS = (0.2, 0.3, 0.4)  # far enough from 0 that every misconception's target shows at 3 figures


def _read(inputs: Inputs) -> Values:
    target = as_int(inputs["target"])
    onehot = np.zeros(K)
    onehot[target] = 1.0
    return {"z": as_array(inputs["z"]), "t": target, "onehot": onehot, "eps": as_float(inputs["eps"])}


def smoothed(onehot: FloatArray, eps: float, *, others: int) -> FloatArray:
    """(1 − ε)·onehot + ε/``others`` off the target, and ε/``others`` on it only when others = K."""
    spread = np.full(K, eps / others)
    if others == K - 1:
        spread[onehot == 1.0] = 0.0
    out: FloatArray = (1.0 - eps) * onehot + spread
    return out


def log_softmax(z: FloatArray) -> FloatArray:
    """ln p_k = z_k − ln Σ_j e^{z_j}, from the logits (as ``F.cross_entropy`` computes it)."""
    shifted = z - z.max()
    out: FloatArray = shifted - np.log(np.exp(shifted).sum())
    return out


GRAPH = StepGraph(
    [
        Calc(
            "y_smooth",
            lambda onehot, eps: smoothed(onehot, eps, others=K),
            lambda v: (
                f"$\\tilde y = (1 - {num(v['eps'])})\\,\\text{{onehot}} + {num(v['eps'])}/{K} = "
                f"{matrix(v['y_smooth'])}$: the target keeps $1 - \\varepsilon + \\varepsilon/K$."
            ),
            hint="PyTorch spreads ε over all K classes, the target class included.",
        ),
        Calc(
            "p",
            lambda z: softmax(z),
            lambda v: f"$p = \\mathrm{{softmax}}(z) = {matrix(v['p'])}$.",
        ),
        Calc(
            "loss",
            # ln p from the logits (as PyTorch does), not from p: the log of a rounded p is less precise.
            lambda y_smooth, z: float(-(y_smooth * log_softmax(z)).sum()),
            lambda v: (
                f"With $\\ln p = z - \\ln \\sum_j e^{{z_j}} = {matrix(log_softmax(v['z']))}$, "
                f"$L = -\\sum_k \\tilde y_k \\ln p_k = {num(v['loss'])}$: every class's log-probability counts, "
                "weighted by its smoothed target."
            ),
            hint="The smoothed target is a distribution: the loss is its cross-entropy with p.",
        ),
        Calc(
            "grad",
            lambda p, y_smooth: p - y_smooth,
            lambda v: (
                f"Since $\\tilde y$ sums to 1, $\\partial L/\\partial z = p - \\tilde y = {matrix(v['grad'])}$."
            ),
            hint="The softmax cross-entropy gradient p − y holds for any target distribution y.",
        ),
    ],
    # p is a worked step, not a field: p − ỹ subtracts numbers near 1, so a p rounded to 3 figures would
    # leave a carried-forward gradient less precise than the prompt asks.
    fields=("y_smooth", "loss", "grad"),
    misconceptions=[
        WrongStep(
            id="activations.smoothing-over-other-classes",
            feedback="You spread ε over the K − 1 other classes only; PyTorch's label_smoothing mixes with the "
            "uniform distribution over all K classes, so the target keeps 1 − ε + ε/K.",
            root="y_smooth",
            # "The wrong classes share ε" is a common description, and some papers implement it that way.
            wrong=lambda onehot, eps: smoothed(onehot, eps, others=K - 1),
        ),
        WrongStep(
            id="activations.smoothing-target-loses-eps",
            feedback="You gave the target 1 − ε but the other classes ε/K each: the target also receives its "
            "share ε/K, or ỹ would not sum to 1.",
            root="y_smooth",
            # Mixing the two descriptions: the target "loses ε", every class "gets ε/K".
            wrong=lambda onehot, eps: (1.0 - eps) * onehot + (1.0 - onehot) * eps / K,
        ),
        WrongStep(
            id="activations.smoothing-hard-gradient",
            feedback="You used the hard label in the gradient; with smoothing it is p − ỹ, the smoothed target.",
            root="grad",
            # p − y is memorised with y the one-hot label.
            wrong=lambda p, onehot: p - onehot,
        ),
    ],
    read=_read,
)


class LabelSmoothingGenerator(StepGenerator):
    """``activations.label_smoothing``: smoothed target, probabilities, loss and gradient."""

    id = "activations.label_smoothing"
    topic = "activations"
    title = "Cross-entropy with label smoothing: loss and gradient"
    answer_fields = {
        "y_smooth": FieldSpec(shape=(K,)),
        "loss": FieldSpec(),
        "grad": FieldSpec(shape=(K,)),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        z = np.round(rng.uniform(-2.0, 2.0, K), 1)
        return self._draw(rng, z)

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        z = rng.integers(-1, 3, K).astype(np.float64)  # whole logits: a short table of e^z
        return self._draw(rng, z)

    @staticmethod
    def _draw(rng: np.random.Generator, z: FloatArray) -> dict[str, InputValue]:
        return {
            "z": z,
            "target": int(rng.integers(0, K)),
            "eps": EPSILONS[int(rng.integers(0, len(EPSILONS)))],
        }

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        z = _read(inputs)["z"]
        exps = tuple(Known(f"e^{{{num(value)}}}", float(np.exp(value))) for value in sorted(set(z.tolist())))
        total = float(np.exp(z).sum())
        return (*exps, Known(r"\ln \sum_k e^{z_k}", float(np.log(total))))

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A classifier gives logits $z = {matrix(v['z'])}$ for {K} classes (numbered from 0); the label is "
            f"class {v['t']}. The loss is `F.cross_entropy(z, {v['t']}, label_smoothing={num(v['eps'])})`. "
            "Give the smoothed target distribution $\\tilde y$ (`y_smooth`), the loss (`loss`) and its "
            "gradient with respect to the logits, $\\partial L/\\partial z$ (`grad`)."
        )


register(LabelSmoothingGenerator())
