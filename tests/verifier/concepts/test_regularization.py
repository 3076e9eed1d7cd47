"""regularization.* checked against torch: ``F.softshrink`` for the L1 minimizer and proximal step,
``torch.optim.SGD(weight_decay=λ)`` for the L2 step, autograd for the optimality conditions of both
minimizers, and each misconception against the torch computation it amounts to."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import verifier
from verifier.concepts import regularization

SEEDS = range(200)
RTOL = 1e-6
MINIMIZER = verifier.get("regularization.l1_l2_minimizer")
STEP = verifier.get("regularization.penalty_step")


def t(values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def torch_sgd_step(w: list[float], grad: list[float], *, lr: float, weight_decay: float) -> np.ndarray:
    param = t(w).requires_grad_()
    optimizer = torch.optim.SGD([param], lr=lr, weight_decay=weight_decay)
    param.grad = t(grad)
    optimizer.step()
    return param.detach().numpy()


def autograd_gradient(objective: Callable[[torch.Tensor], torch.Tensor], w: np.ndarray) -> np.ndarray:
    point = t(w).requires_grad_()
    objective(point).backward()
    assert point.grad is not None
    return point.grad.numpy()


def test_minimizers_match_torch() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(MINIMIZER.generate(seed).inputs_json()))
        a, lam = regularization.read_minimizer_inputs(inputs)
        answer = MINIMIZER.solve(inputs)
        shrunk = F.softshrink(t(a), lam).numpy()
        np.testing.assert_allclose(answer["w_l1"], shrunk, rtol=RTOL, atol=1e-12)
        assert answer["zeros_l1"] == int((shrunk == 0).sum()) >= 1
        # L2: the gradient of the smooth objective vanishes at the answer
        grad = autograd_gradient(
            lambda w, a=a, lam=lam: (0.5 * (w - t(a)) ** 2 + 0.5 * lam * w**2).sum(), answer["w_l2"]
        )
        np.testing.assert_allclose(grad, 0.0, atol=1e-12)


def test_l1_minimizer_satisfies_the_optimality_conditions() -> None:
    """0 ∈ (w − a) + λ∂|w|: equality with λ·sign(w) off zero, |w − a| ≤ λ at zero."""
    for seed in SEEDS:
        a, lam = regularization.read_minimizer_inputs(MINIMIZER.generate(seed).inputs)
        w = MINIMIZER.solve({"a": a, "lam": lam})["w_l1"]
        assert isinstance(w, np.ndarray)
        smooth = autograd_gradient(lambda v, a=a: (0.5 * (v - t(a)) ** 2).sum(), w)
        for wi, gi in zip(w, smooth, strict=True):
            if wi != 0:
                assert gi + lam * np.sign(wi) == pytest.approx(0.0, abs=1e-12)
            else:
                assert abs(gi) <= lam


def test_penalty_steps_match_torch() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(STEP.generate(seed).inputs_json()))
        w, grad, lr, lam = regularization.read_step_inputs(inputs)
        answer = STEP.solve(inputs)
        np.testing.assert_allclose(
            answer["w_l2"], torch_sgd_step(w, grad, lr=lr, weight_decay=lam), rtol=RTOL, atol=1e-12
        )
        prox = F.softshrink(t(w) - lr * t(grad), lr * lam).numpy()
        np.testing.assert_allclose(answer["w_l1"], prox, rtol=RTOL, atol=1e-12)
        assert (prox == 0).any()


@settings(max_examples=100, deadline=None)
@given(
    a=st.lists(st.floats(-3, 3), min_size=1, max_size=6),
    lam=st.floats(0.0, 2.0),
)
def test_shrinkage_properties(a: list[float], lam: float) -> None:
    """Both minimizers keep the shape, never flip a sign and never grow a weight; L1 is softshrink."""
    result = regularization.minimizers(a, lam)
    assert result.w_l1.shape == result.w_l2.shape == (len(a),)
    assert np.all(np.abs(result.w_l1) <= np.abs(a)) and np.all(np.abs(result.w_l2) <= np.abs(a))
    assert np.all(result.w_l1 * np.array(a) >= 0) and np.all(result.w_l2 * np.array(a) >= 0)
    np.testing.assert_allclose(result.w_l1, F.softshrink(t(a), lam).numpy(), atol=1e-12)


def test_hand_checked_values() -> None:
    result = regularization.minimizers([1.5, -0.4, 0.8, -2.0], 1.0)
    assert result.w_l1.tolist() == pytest.approx([0.5, 0.0, 0.0, -1.0])
    assert result.w_l2.tolist() == pytest.approx([0.75, -0.2, 0.4, -1.0])
    assert result.zeros_l1 == 2
    steps = regularization.penalty_steps([0.5, -0.1], [1.0, 0.5], lr=0.2, lam=1.0)
    assert steps.w_l2.tolist() == pytest.approx([0.5 - 0.2 * 1.5, -0.1 - 0.2 * 0.4])  # [0.2, −0.18]
    assert steps.w_l1.tolist() == pytest.approx([0.1, 0.0])  # z = [0.3, −0.2] thresholded at 0.2


def test_minimizer_misconceptions() -> None:
    a, lam = [1.5, -0.4, 0.8, -2.0], 1.0
    l2_for_l1 = regularization.misconception_l2_for_l1(a, lam)
    assert l2_for_l1.w_l1.tolist() == pytest.approx([0.75, -0.2, 0.4, -1.0]) and l2_for_l1.zeros_l1 == 0
    no_clip = regularization.misconception_l1_without_clip(a, lam)
    assert no_clip.w_l1.tolist() == pytest.approx([0.5, 0.6, -0.2, -1.0]) and no_clip.zeros_l1 == 0
    without_half = regularization.misconception_l2_penalty_without_half(a, lam)
    # λw² (no ½): its gradient vanishes at a/(1 + 2λ)
    grad = autograd_gradient(lambda w: (0.5 * (w - t(a)) ** 2 + lam * w**2).sum(), without_half.w_l2)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)
    assert without_half.w_l1.tolist() == pytest.approx([0.5, 0.0, 0.0, -1.0])


def test_step_misconceptions_are_torch_computations() -> None:
    for seed in range(60):
        w, grad, lr, lam = regularization.read_step_inputs(STEP.generate(seed).inputs)
        # the subgradient step: SGD on g·w + λ‖w‖₁ through autograd (torch's d|w|/dw is sign(w))
        param = t(w).requires_grad_()
        optimizer = torch.optim.SGD([param], lr=lr)
        ((t(grad) * param).sum() + lam * param.abs().sum()).backward()
        optimizer.step()
        subgradient = regularization.misconception_l1_subgradient_step(w, grad, lr=lr, lam=lam)
        np.testing.assert_allclose(subgradient.w_l1, param.detach().numpy(), rtol=RTOL, atol=1e-12)
        # the L2 penalty without its ½: weight decay 2λ
        doubled = regularization.misconception_l2_penalty_without_half_step(w, grad, lr=lr, lam=lam)
        np.testing.assert_allclose(
            doubled.w_l2, torch_sgd_step(w, grad, lr=lr, weight_decay=2 * lam), rtol=RTOL, atol=1e-12
        )
        # the penalty without lr: decay λw and threshold λ
        without_lr = regularization.misconception_penalty_step_without_lr(w, grad, lr=lr, lam=lam)
        np.testing.assert_allclose(
            without_lr.w_l2, (t(w) - lr * t(grad) - lam * t(w)).numpy(), rtol=RTOL, atol=1e-12
        )
        np.testing.assert_allclose(
            without_lr.w_l1, F.softshrink(t(w) - lr * t(grad), lam).numpy(), rtol=RTOL, atol=1e-12
        )


def test_inputs_keep_clear_of_the_thresholds() -> None:
    for seed in SEEDS:
        a, lam = regularization.read_minimizer_inputs(MINIMIZER.generate(seed).inputs)
        assert min(abs(abs(x) - lam) for x in a) >= regularization.KINK_MARGIN
        w, grad, lr, lam = regularization.read_step_inputs(STEP.generate(seed).inputs)
        z = [abs(wi - lr * gi) for wi, gi in zip(w, grad, strict=True)]
        assert min(abs(zi - lr * lam) for zi in z) >= regularization.KINK_MARGIN
        assert min(z) < lr * lam  # some weight lands exactly on 0


@pytest.mark.parametrize("generator", [MINIMIZER, STEP], ids=lambda g: g.id)
def test_prompt_and_explanation_latex_converts(generator: verifier.Generator) -> None:
    for seed in range(60):
        question = generator.generate(seed)
        for text in [question.prompt] + [step.text for step in generator.explain(question.inputs)]:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        for field in generator.answer_fields:
            assert f"`{field}`" in question.prompt
