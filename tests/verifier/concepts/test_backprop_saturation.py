"""backprop.saturation and backprop.output_error checked against autograd: a real forward pass through
three scalar layers whose biases reproduce the question's pre-activations, and the gradients of
``F.mse_loss`` and ``F.binary_cross_entropy_with_logits`` at the output units."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import verifier

SEEDS = range(200)
CHAIN = verifier.get("backprop.saturation")
OUTPUT = verifier.get("backprop.output_error")


def _inputs(generator: verifier.Generator, seed: int, *, calculator: bool = True) -> dict[str, object]:
    question = generator.generate(seed, calculator=calculator)
    loaded: dict[str, object] = json.loads(json.dumps(question.inputs_json()))
    return loaded


def _torch_chain(inputs: dict[str, object]) -> tuple[list[float], float]:
    f = torch.sigmoid if inputs["activation"] == "sigmoid" else torch.tanh
    zs, ws = list(inputs["z"]), list(inputs["w"])  # type: ignore[call-overload]
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    a, derivs = x, []
    for z, w in zip(zs, ws, strict=True):
        bias = z - w * a.item()  # the bias that makes this layer's pre-activation the question's z
        pre = w * a + bias
        pre.retain_grad()
        out = f(pre)
        (local,) = torch.autograd.grad(out, pre, retain_graph=True)
        derivs.append(local.item())
        assert pre.item() == pytest.approx(z, abs=1e-12)
        a = out
    (grad,) = torch.autograd.grad(a, x)
    return derivs, grad.item()


def test_chain_matches_autograd() -> None:
    kinds = set()
    for seed in SEEDS:
        inputs = _inputs(CHAIN, seed)
        answer = CHAIN.solve(inputs)
        derivs, grad = _torch_chain(inputs)
        np.testing.assert_allclose(answer["derivs"], derivs, rtol=1e-10)
        assert answer["grad"] == pytest.approx(grad, rel=1e-10)
        assert abs(answer["grad"]) <= answer["bound"]
        kinds.add(inputs["activation"])
    assert kinds == {"sigmoid", "tanh"}


def test_bound_is_the_derivative_at_zero() -> None:
    for f, peak in ((torch.sigmoid, 0.25), (torch.tanh, 1.0)):
        z = torch.linspace(-6, 6, 1201, dtype=torch.float64, requires_grad=True)
        (d,) = torch.autograd.grad(f(z).sum(), z)
        assert d.max().item() == pytest.approx(peak) and d.argmax().item() == 600
    inputs = {"activation": "sigmoid", "z": [0.0, 0.0, 0.0], "w": [2.0, -1.0, 1.5]}
    answer = CHAIN.solve(inputs)
    assert abs(answer["grad"]) == pytest.approx(answer["bound"]) == pytest.approx(3 / 64)


def test_chain_misconceptions_by_hand() -> None:
    inputs = {"activation": "sigmoid", "z": [1.0, -0.5, 2.0], "w": [1.0, 2.0, -1.0]}
    by_id = {m.id: m.answer(inputs) for m in CHAIN.misconceptions}
    np.testing.assert_allclose(by_id["backprop.derivative-of-z"]["derivs"], [0.0, -0.75, -2.0])
    s = 1 / (1 + np.exp(-np.array([1.0, -0.5, 2.0])))
    assert by_id["backprop.weights-dropped"]["grad"] == pytest.approx(float(np.prod(s * (1 - s))))
    assert by_id["backprop.derivative-peak-swapped"]["bound"] == pytest.approx(2.0)


def test_output_error_matches_autograd() -> None:
    for seed in SEEDS:
        inputs = _inputs(OUTPUT, seed)
        answer = OUTPUT.solve(inputs)
        y = torch.tensor(inputs["y"], dtype=torch.float64)
        for loss, field in (("mse", "delta_mse"), ("bce", "delta_bce")):
            z = torch.tensor(inputs["z"], dtype=torch.float64, requires_grad=True)
            if loss == "mse":
                value = 0.5 * F.mse_loss(torch.sigmoid(z), y, reduction="sum")
            else:
                value = F.binary_cross_entropy_with_logits(z, y, reduction="sum")
            (grad,) = torch.autograd.grad(value, z)
            np.testing.assert_allclose(answer[field], grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(answer["a"], torch.sigmoid(torch.tensor(inputs["z"])).numpy(), rtol=1e-6)


def test_output_error_misconceptions_by_hand() -> None:
    inputs = {"z": [3.0, -1.0, 0.5], "y": [0.0, 1.0, 1.0]}
    right = OUTPUT.solve(inputs)
    by_id = {m.id: m.answer(inputs) for m in OUTPUT.misconceptions}
    np.testing.assert_allclose(by_id["backprop.bce-keeps-sigma-prime"]["delta_bce"], right["delta_mse"])
    np.testing.assert_allclose(by_id["backprop.mse-drops-sigma-prime"]["delta_mse"], right["delta_bce"])
    np.testing.assert_allclose(by_id["backprop.residual-sign"]["delta_bce"], -right["delta_bce"])


def test_whiteboard_mode_prints_the_activation_values() -> None:
    for generator in (CHAIN, OUTPUT):
        for seed in range(30):
            question = generator.generate(seed, calculator=False)
            assert not question.needs_calculator and "You may use" in question.prompt
            inputs = question.inputs_json()
            for z in set(np.ravel(inputs["z"]).tolist()):  # type: ignore[arg-type]
                assert f"({z:g})" in question.prompt or f"({z})" in question.prompt
            assert generator.generate(seed).needs_calculator
            assert generator.generate(seed, calculator=False).prompt == question.prompt
    assert math.isfinite(CHAIN.solve(_inputs(CHAIN, 0, calculator=False))["grad"])
