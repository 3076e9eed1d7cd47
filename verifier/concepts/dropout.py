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

from typing import Literal, Protocol

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float
from verifier.grading import FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

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


# --- misconceptions --------------------------------------------------------------------------------------


def misconception_divided_by_drop_prob(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """Divides the kept units by the drop probability ``p`` instead of the keep probability ``1 - p``.

    Tempting because ``p`` is the number the layer is configured with (``nn.Dropout(p)``), so it is the
    one that comes to mind for the rescaling.
    """
    if mode == "train":
        out: FloatArray = x * mask * (1.0 / p)
        return out
    return x.copy()


def misconception_scaled_at_test(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """Also multiplies by the keep probability ``1 - p`` at test time, as the original dropout does.

    Tempting because the weight scaling rule is the textbook story; with inverted dropout the rescaling
    already happened in training, so scaling again shrinks every test output.
    """
    if mode == "train":
        return dropout_forward(x, mask, p=p, mode="train")
    out: FloatArray = (1.0 - p) * x
    return out


def misconception_mask_marks_dropped(
    x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
) -> FloatArray:
    """Reads the mask the other way round (1 = dropped), keeping exactly the units that were dropped.

    Tempting because the mask is named after dropping; in PyTorch's and the paper's convention it is
    the Bernoulli(1 - p) indicator of the units that are kept.
    """
    return dropout_forward(x, 1.0 - mask, p=p, mode=mode)


def misconception_scaled_by_drop_prob(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """Scales the weights by the drop probability ``p`` instead of the keep probability ``1 - p``.

    Tempting because ``p`` is the number given; the expected share of a unit that survives is ``1 - p``.
    """
    out: FloatArray = p * (w @ x)
    return out


def misconception_unscaled_at_test(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:  # noqa: ARG001
    """Leaves the weights unscaled at test time.

    Tempting because that is right for inverted dropout, the convention of modern frameworks; a net
    trained without rescaling then sees inputs 1/(1 - p) times larger than in training.
    """
    out: FloatArray = w @ x
    return out


def misconception_divided_by_keep_prob(w: FloatArray, x: FloatArray, *, p: float) -> FloatArray:
    """Divides by the keep probability at test time, applying inverted dropout's training factor.

    Tempting because ``1/(1 - p)`` is the factor everyone remembers from inverted dropout; the weight
    scaling rule multiplies by ``1 - p``.
    """
    out: FloatArray = (w @ x) * (1.0 / (1.0 - p))
    return out


# --- generators ------------------------------------------------------------------------------------------


def _p_tex(p: float) -> str:
    return f"p = {num(p)}"


def _nonzero_tenths(u: FloatArray, sign_u: FloatArray, high: int) -> FloatArray:
    """Values ±0.1 … ±high/10 on the 0.1 grid, never 0 (a zero input hides the scale factor)."""
    out: FloatArray = (np.floor(u * high) + 1) * np.where(sign_u < 0.5, -1.0, 1.0) / 10
    return out


def _inverted_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, float]:
    return as_array(inputs["x"]), as_array(inputs["mask"]), as_float(inputs["p"])


class DropoutRule(Protocol):
    """The signature shared by ``dropout_forward`` and its misconceptions."""

    def __call__(
        self, x: FloatArray, mask: FloatArray, *, p: float, mode: Literal["train", "eval"]
    ) -> FloatArray: ...


def _inverted_answer(
    x: FloatArray, mask: FloatArray, p: float, rule: DropoutRule = dropout_forward
) -> Answer:
    return {
        "train_output": rule(x, mask, p=p, mode="train"),
        "test_output": rule(x, mask, p=p, mode="eval"),
    }


class InvertedDropoutGenerator(Generator):
    """``dropout.inverted``: train and test outputs of inverted dropout for a given mask."""

    id = "dropout.inverted"
    topic = "dropout"
    title = "Inverted dropout: outputs in training and at test time"
    answer_fields = {"train_output": FieldSpec((UNITS,)), "test_output": FieldSpec((UNITS,))}
    misconceptions = (
        Misconception(
            id="dropout.divided-by-drop-prob",
            feedback="You divided the kept units by p; inverted dropout divides by the keep probability 1 − p.",
            answer=lambda inputs: _inverted_answer(
                *_inverted_inputs(inputs), rule=misconception_divided_by_drop_prob
            ),
        ),
        Misconception(
            id="dropout.scaled-at-test",
            feedback="You scaled the test output by 1 − p; with inverted dropout the rescaling happens in "
            "training, and at test time the layer passes its input through unchanged.",
            answer=lambda inputs: _inverted_answer(
                *_inverted_inputs(inputs), rule=misconception_scaled_at_test
            ),
        ),
        Misconception(
            id="dropout.mask-marks-dropped",
            feedback="You kept the units whose mask is 0; the mask is 1 for the units that are kept.",
            answer=lambda inputs: _inverted_answer(
                *_inverted_inputs(inputs), rule=misconception_mask_marks_dropped
            ),
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        return _inverted_answer(*_inverted_inputs(inputs))

    def explain(self, inputs: Inputs) -> list[Step]:
        x, mask, p = _inverted_inputs(inputs)
        train = dropout_forward(x, mask, p=p, mode="train")
        return [
            Step("keep_prob", f"The keep probability is $1 - p = {num(1 - p)}$.", 1 - p),
            Step(
                "train_output",
                f"Training: zero the dropped units and divide the kept ones by $1 - p$: "
                f"$x \\odot m / {num(1 - p)} = {matrix(train)}$, so the expected output equals $x$.",
                train.tolist(),
            ),
            Step(
                "test_output",
                f"Test time: no mask and no scaling, the output is $x = {matrix(x)}$.",
                x.tolist(),
            ),
        ]


def _scaling_inputs(inputs: Inputs) -> tuple[FloatArray, FloatArray, float]:
    return as_array(inputs["W"]), as_array(inputs["x"]), as_float(inputs["p"])


class ScalingRule(Protocol):
    """The signature shared by ``weight_scaling_output`` and its misconceptions."""

    def __call__(self, w: FloatArray, x: FloatArray, *, p: float) -> FloatArray: ...


def _scaling_answer(inputs: Inputs, rule: ScalingRule = weight_scaling_output) -> Answer:
    w, x, p = _scaling_inputs(inputs)
    return {"test_output": rule(w, x, p=p)}


class WeightScalingGenerator(Generator):
    """``dropout.weight_scaling``: test output of a layer trained with non-inverted dropout on its inputs."""

    id = "dropout.weight_scaling"
    topic = "dropout"
    title = "Weight scaling inference rule (non-inverted dropout)"
    answer_fields = {"test_output": FieldSpec((OUT,))}
    misconceptions = (
        Misconception(
            id="dropout.scaled-by-drop-prob",
            feedback="You scaled the weights by the drop probability p; they are scaled by the keep "
            "probability 1 − p, the expected share of each input that was present in training.",
            answer=lambda inputs: _scaling_answer(inputs, misconception_scaled_by_drop_prob),
        ),
        Misconception(
            id="dropout.unscaled-at-test",
            feedback="You left the weights unscaled; that is right for inverted dropout, but this network "
            "was trained without rescaling, so its test-time weights are multiplied by 1 − p.",
            answer=lambda inputs: _scaling_answer(inputs, misconception_unscaled_at_test),
        ),
        Misconception(
            id="dropout.divided-by-keep-prob",
            feedback="You divided by the keep probability, which is inverted dropout's training-time "
            "factor; the weight scaling rule multiplies the weights by 1 − p at test time.",
            answer=lambda inputs: _scaling_answer(inputs, misconception_divided_by_keep_prob),
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        return _scaling_answer(inputs)

    def explain(self, inputs: Inputs) -> list[Step]:
        w, x, p = _scaling_inputs(inputs)
        scaled = (1.0 - p) * w
        out = weight_scaling_output(w, x, p=p)
        return [
            Step(
                "scaled_weights",
                "Each input was present a fraction $1 - p$ of the time in training, so scale the "
                f"weights by $1 - p = {num(1 - p)}$: $(1 - p) W = {matrix(scaled)}$.",
                scaled.tolist(),
            ),
            Step("test_output", f"Multiply by the full input: $(1 - p) W x = {matrix(out)}$.", out.tolist()),
        ]


register(InvertedDropoutGenerator())
register(WeightScalingGenerator())
