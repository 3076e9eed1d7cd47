"""Dropout: inverted dropout (PyTorch's convention) and the weight scaling inference rule.

``p`` is always the **drop** probability: a unit survives with the keep probability ``1 - p``, and the
mask holds 1 for a kept unit. Inverted dropout, what ``torch.nn.functional.dropout`` computes, divides the
kept units by ``1 - p`` during training so the expected output equals the input, and is the identity at
test time. The original dropout trains without rescaling and instead multiplies the weights leaving the
dropped units by ``1 - p`` at test time (the weight scaling inference rule), which gives the same expected
pre-activations. Sources: Srivastava et al. 2014, https://jmlr.org/papers/v15/srivastava14a.html;
DLB 7.12.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_float
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

# Drop probabilities away from 0.5, where p and 1 - p coincide and two misconceptions could not be told apart.
P_CHOICES = (0.2, 0.25, 0.4, 0.6, 0.75, 0.8)
UNITS = 5  # dropout.inverted: x and mask have this length
OUT, IN = 2, 3  # dropout.weight_scaling: W is (OUT, IN)
MIN_PRE_ACTIVATION = 0.2  # |W x| at least this, so every output element shows the scale factor


def dropout_forward(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """Inverted dropout: ``x * mask / (1 - p)`` in train mode (mask 1 = kept), ``x`` unchanged in eval mode."""
    if mode == "train":
        out: FloatArray = x * mask * (1.0 / (1.0 - p))
        return out
    return x.copy()


def dropout_backward(dout: FloatArray, mask: FloatArray, *, p: float) -> FloatArray:
    """Gradient of train-mode inverted dropout: the upstream gradient through the same mask and scale."""
    dx: FloatArray = dout * mask * (1.0 / (1.0 - p))
    return dx


def weight_scaling_output(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """Test-time output ``((1 - p) W) x`` of a linear layer (no bias) whose inputs had non-inverted dropout.

    Scaling the weights by the keep probability makes each output equal its expectation over training
    masks, ``E[W (x * mask)] = (1 - p) W x``.
    """
    out: FloatArray = (1.0 - p) * (w @ x)
    return out


# --- misconceptions: whole answers from the step graphs below ------------------------------------------


def _inverted_wrong(
    misconception_id: str, x: FloatArray, mask: FloatArray, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    answer = INVERTED.misconception(misconception_id).answer({"x": x, "mask": mask, "p": p})
    return np.asarray(answer["train_output" if mode == "train" else "test_output"])


def misconception_divided_by_drop_prob(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """The output of ``dropout.divided-by-drop-prob`` (see INVERTED)."""
    return _inverted_wrong("dropout.divided-by-drop-prob", x, mask, p, mode)


def misconception_scaled_at_test(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """The output of ``dropout.scaled-at-test`` (see INVERTED)."""
    return _inverted_wrong("dropout.scaled-at-test", x, mask, p, mode)


def misconception_mask_marks_dropped(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """The output of ``dropout.mask-marks-dropped`` (see INVERTED)."""
    return _inverted_wrong("dropout.mask-marks-dropped", x, mask, p, mode)


def _scaling_wrong(misconception_id: str, w: FloatArray, x: FloatArray, p: float) -> FloatArray:
    return np.asarray(SCALING.misconception(misconception_id).answer({"W": w, "x": x, "p": p})["test_output"])


def misconception_scaled_by_drop_prob(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """The output of ``dropout.scaled-by-drop-prob`` (see SCALING)."""
    return _scaling_wrong("dropout.scaled-by-drop-prob", w, x, p)


def misconception_unscaled_at_test(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """The output of ``dropout.unscaled-at-test`` (see SCALING)."""
    return _scaling_wrong("dropout.unscaled-at-test", w, x, p)


def misconception_divided_by_keep_prob(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """The output of ``dropout.divided-by-keep-prob`` (see SCALING)."""
    return _scaling_wrong("dropout.divided-by-keep-prob", w, x, p)


# --- generators ------------------------------------------------------------------------------------------


def _p_tex(p: float) -> str:
    return f"p = {num(p)}"


def _nonzero_tenths(u: FloatArray, sign_u: FloatArray, high: int) -> FloatArray:
    """Values ±0.1 … ±high/10 on the 0.1 grid, never 0 (a zero input hides the scale factor)."""
    out: FloatArray = (np.floor(u * high) + 1) * np.where(sign_u < 0.5, -1.0, 1.0) / 10
    return out


def _inverted_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, float]:
    return as_array(inputs["x"]), as_array(inputs["mask"]), as_float(inputs["p"])


INVERTED = StepGraph(
    [
        Calc(
            "keep_prob",
            lambda p: 1.0 - p,
            lambda v: f"The keep probability is $1 - p = {num(v['keep_prob'])}$.",
            hint="Inverted dropout rescales by the probability of being **kept**.",
        ),
        Calc(
            "kept",
            lambda mask: mask,
            lambda v: f"The mask keeps the units where it is 1: $m = {matrix(v['kept'])}$.",
        ),
        Calc(
            "train_output",
            lambda x, kept, keep_prob: x * kept * (1.0 / keep_prob),
            lambda v: (
                "Training: zero the dropped units and divide the kept ones by $1 - p$: "
                f"$x \\odot m / {num(v['keep_prob'])} = {matrix(v['train_output'])}$, so the expected output "
                "equals $x$."
            ),
        ),
        Calc(
            "test_scale",
            lambda: 1.0,
            lambda v: "Test time: no mask, and no scaling (the training outputs were already rescaled).",
            hint="With inverted dropout, what is left to do at test time?",
        ),
        Calc(
            "test_output",
            lambda x, test_scale: x * test_scale,
            lambda v: f"The test output is $x = {matrix(v['test_output'])}$.",
        ),
    ],
    fields=("train_output", "test_output"),
    misconceptions=[
        WrongStep(
            id="dropout.divided-by-drop-prob",
            feedback="You divided the kept units by p; inverted dropout divides by the keep probability 1 − p.",
            root="keep_prob",
            # p is the number the layer is configured with (nn.Dropout(p)).
            wrong=lambda p: p,
        ),
        WrongStep(
            id="dropout.scaled-at-test",
            feedback="You scaled the test output by 1 − p; with inverted dropout the rescaling happens in "
            "training, and at test time the layer passes its input through unchanged.",
            root="test_scale",
            # The weight scaling rule is the textbook story; inverted dropout already rescaled in training.
            wrong=lambda keep_prob: keep_prob,
        ),
        WrongStep(
            id="dropout.mask-marks-dropped",
            feedback="You kept the units whose mask is 0; the mask is 1 for the units that are kept.",
            root="kept",
            # The mask is named after dropping; it is the Bernoulli(1 − p) indicator of kept units.
            wrong=lambda mask: 1.0 - mask,
        ),
    ],
    read=lambda inputs: dict(zip(("x", "mask", "p"), _inverted_inputs(inputs), strict=True)),
)


class InvertedDropoutGenerator(StepGenerator):
    """``dropout.inverted``: train and test outputs of inverted dropout for a given mask."""

    id = "dropout.inverted"
    topic = "dropout"
    title = "Inverted dropout: outputs in training and at test time"
    answer_fields = {"train_output": FieldSpec((UNITS,)), "test_output": FieldSpec((UNITS,))}
    graph = INVERTED

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: x/(1 − p) with p in tenths

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(3 * UNITS + 1)
        p = P_CHOICES[int(u[-1] * len(P_CHOICES))]
        return {
            "x": _nonzero_tenths(u[:UNITS], u[UNITS : 2 * UNITS], 30),
            "mask": (u[2 * UNITS : 3 * UNITS] >= p).astype(np.float64),  # kept with probability 1 - p
            "p": p,
        }

    def acceptable(self, inputs: Inputs) -> bool:
        kept = float(as_array(inputs["mask"]).sum())
        return 0 < kept < UNITS  # at least one kept and one dropped unit

    def prompt(self, inputs: Inputs) -> str:
        x, mask, p = _inverted_inputs(inputs)
        return (
            "A layer applies **inverted dropout**, as `torch.nn.functional.dropout` does, with drop "
            f"probability ${_p_tex(p)}$: each unit is dropped with probability $p$ and kept with "
            f"probability $1 - p$. Its input is $x = {matrix(x)}$ and the sampled mask is "
            f"$m = {matrix(mask)}$ (1 = kept, 0 = dropped). Give the layer's output in training mode, "
            f"`train_output`, and its output at test time (`model.eval()`), `test_output` ({UNITS} values each)."
        )


def _scaling_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, float]:
    return as_array(inputs["W"]), as_array(inputs["x"]), as_float(inputs["p"])


SCALING = StepGraph(
    [
        Calc(
            "scale",
            lambda p: 1.0 - p,
            lambda v: (
                "Each input was present a fraction $1 - p$ of the time in training: scale the weights "
                f"by $1 - p = {num(v['scale'])}$."
            ),
            hint="At test time every input is present; in training each one was present only part of the time.",
        ),
        Calc(
            "scaled_weights",
            lambda W, scale: scale * W,  # noqa: N803 - the textbook's W
            lambda v: f"$(1 - p) W = {matrix(v['scaled_weights'])}$.",
        ),
        Calc(
            "test_output",
            lambda scaled_weights, x: scaled_weights @ x,
            lambda v: f"Multiply by the full input: $(1 - p) W x = {matrix(v['test_output'])}$.",
        ),
    ],
    fields=("test_output",),
    misconceptions=[
        WrongStep(
            id="dropout.scaled-by-drop-prob",
            feedback="You scaled the weights by the drop probability p; they are scaled by the keep "
            "probability 1 − p, the expected share of each input that was present in training.",
            root="scale",
            # p is the number given; the expected share of a unit that survives is 1 − p.
            wrong=lambda p: p,
        ),
        WrongStep(
            id="dropout.unscaled-at-test",
            feedback="You left the weights unscaled; that is right for inverted dropout, but this network "
            "was trained without rescaling, so its test-time weights are multiplied by 1 − p.",
            root="scale",
            # Right for inverted dropout, the convention of modern frameworks.
            wrong=lambda: 1.0,
        ),
        WrongStep(
            id="dropout.divided-by-keep-prob",
            feedback="You divided by the keep probability, which is inverted dropout's training-time "
            "factor; the weight scaling rule multiplies the weights by 1 − p at test time.",
            root="scale",
            # 1/(1 − p) is the factor everyone remembers from inverted dropout.
            wrong=lambda p: 1.0 / (1.0 - p),
        ),
    ],
    read=lambda inputs: dict(zip(("W", "x", "p"), _scaling_inputs(inputs), strict=True)),
)


class WeightScalingGenerator(StepGenerator):
    """``dropout.weight_scaling``: test output of a layer trained with non-inverted dropout on its inputs."""

    id = "dropout.weight_scaling"
    topic = "dropout"
    title = "Weight scaling inference rule (non-inverted dropout)"
    answer_fields = {"test_output": FieldSpec((OUT,))}
    graph = SCALING

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: products of one-decimal numbers

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        u = rng.random(2 * (OUT * IN + IN) + 1)
        n = OUT * IN + IN
        values = _nonzero_tenths(u[:n], u[n : 2 * n], 20)
        return {
            "W": values[: OUT * IN].reshape(OUT, IN),
            "x": values[OUT * IN :],
            "p": P_CHOICES[int(u[-1] * len(P_CHOICES))],
        }

    def acceptable(self, inputs: Inputs) -> bool:
        w, x, _ = _scaling_inputs(inputs)
        return bool(np.abs(w @ x).min() >= MIN_PRE_ACTIVATION)

    def prompt(self, inputs: Inputs) -> str:
        w, x, p = _scaling_inputs(inputs)
        return (
            "A linear layer without bias, $z = W x$, was trained with the **original (non-inverted) "
            f"dropout** on its input: with drop probability ${_p_tex(p)}$, each input unit was kept "
            "with probability $1 - p$ and multiplied by its 0/1 mask, **without** any rescaling. At test "
            "time no unit is dropped and the weight scaling inference rule is applied to $W$. "
            f"With $W = {matrix(w)}$ and the test input $x = {matrix(x)}$, give the test-time output "
            f"`test_output` ({OUT} values)."
        )


register(InvertedDropoutGenerator())
register(WeightScalingGenerator())
