"""activations.label_smoothing, activations.prelu and activations.softmax_temperature checked against
PyTorch: ``F.cross_entropy(label_smoothing=)`` and its autograd gradient, ``F.prelu`` with one shared weight
and autograd, ``torch.softmax``/``torch.logsumexp`` at float64 on logits whose naive exponential overflows."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import verifier
from verifier.concepts import softmax_temperature

SEEDS = range(200)
SMOOTH = verifier.get("activations.label_smoothing")
PRELU = verifier.get("activations.prelu")
TEMPERATURE = verifier.get("activations.softmax_temperature")


def _inputs(generator: verifier.Generator, seed: int, *, calculator: bool = True) -> dict[str, object]:
    question = generator.generate(seed, calculator=calculator)
    loaded: dict[str, object] = json.loads(json.dumps(question.inputs_json()))
    return loaded


def _by_id(generator: verifier.Generator, inputs: dict[str, object]) -> dict[str, dict[str, object]]:
    return {m.id: dict(m.answer(inputs)) for m in generator.misconceptions}


@pytest.mark.parametrize("calculator", [True, False])
def test_label_smoothing_matches_torch(calculator: bool) -> None:
    for seed in SEEDS:
        inputs = _inputs(SMOOTH, seed, calculator=calculator)
        answer = SMOOTH.solve(inputs)
        z = torch.tensor([inputs["z"]], dtype=torch.float64, requires_grad=True)
        target = torch.tensor([inputs["target"]])
        loss = F.cross_entropy(z, target, label_smoothing=float(inputs["eps"]))  # type: ignore[arg-type]
        (grad,) = torch.autograd.grad(loss, z)
        assert answer["loss"] == pytest.approx(loss.item(), rel=1e-10)
        np.testing.assert_allclose(answer["grad"], grad[0].numpy(), atol=1e-12)
        assert float(np.sum(answer["y_smooth"])) == pytest.approx(1.0)


def test_label_smoothing_misconceptions_by_hand() -> None:
    inputs = {"z": [1.0, 0.0, -1.0, 0.5], "target": 0, "eps": 0.3}
    right = SMOOTH.solve(inputs)
    np.testing.assert_allclose(right["y_smooth"], [0.775, 0.075, 0.075, 0.075])
    wrong = _by_id(SMOOTH, inputs)
    np.testing.assert_allclose(
        wrong["activations.smoothing-over-other-classes"]["y_smooth"], [0.7, 0.1, 0.1, 0.1]
    )
    np.testing.assert_allclose(
        wrong["activations.smoothing-target-loses-eps"]["y_smooth"], [0.7, 0.075, 0.075, 0.075]
    )
    p = torch.softmax(torch.tensor(inputs["z"], dtype=torch.float64), 0).numpy()
    np.testing.assert_allclose(wrong["activations.smoothing-hard-gradient"]["grad"], p - [1, 0, 0, 0])


def test_prelu_matches_torch() -> None:
    for seed in SEEDS:
        inputs = _inputs(PRELU, seed)
        answer = PRELU.solve(inputs)
        x = torch.tensor(inputs["x"], dtype=torch.float64, requires_grad=True)
        alpha = torch.tensor([inputs["alpha"]], dtype=torch.float64, requires_grad=True)
        y = F.prelu(x, alpha)
        dy = torch.tensor(inputs["dy"], dtype=torch.float64)
        dx, dalpha = torch.autograd.grad(y, (x, alpha), dy)
        np.testing.assert_allclose(answer["y"], y.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(answer["dx"], dx.numpy(), atol=1e-12)
        assert answer["dalpha"] == pytest.approx(dalpha.item(), abs=1e-12)
        assert 0.0 not in inputs["x"]  # type: ignore[operator]


def test_prelu_module_has_one_shared_weight() -> None:
    module = torch.nn.PReLU()
    assert module.weight.shape == (1,) and module.weight.item() == pytest.approx(0.25)


def test_prelu_misconceptions_by_hand() -> None:
    inputs = {"x": [1.0, -2.0, 3.0, -1.0, 0.5, -0.5], "alpha": 0.25, "dy": [1.0, 2.0, -1.0, 1.0, 2.0, 4.0]}
    right = PRELU.solve(inputs)
    assert right["dalpha"] == pytest.approx(-4.0 - 1.0 - 2.0)
    wrong = _by_id(PRELU, inputs)
    np.testing.assert_allclose(wrong["activations.prelu-dx-zero-below"]["dx"], [1, 0, -1, 0, 2, 0])
    assert wrong["activations.prelu-dalpha-without-x"]["dalpha"] == pytest.approx(7.0)
    assert wrong["activations.prelu-dalpha-all-inputs"]["dalpha"] == pytest.approx(-7.0 + 1 - 3 + 1)


def test_softmax_temperature_matches_torch() -> None:
    for seed in SEEDS:
        inputs = _inputs(TEMPERATURE, seed)
        answer = TEMPERATURE.solve(inputs)
        scaled = torch.tensor(inputs["z"], dtype=torch.float64) / float(inputs["temperature"])  # type: ignore[arg-type]
        with np.errstate(over="ignore"):
            assert not np.all(np.isfinite(np.exp(scaled.numpy())))  # the naive way overflows
        np.testing.assert_allclose(answer["p"], torch.softmax(scaled, 0).numpy(), rtol=1e-12)
        assert answer["lse"] == pytest.approx(torch.logsumexp(scaled, 0).item(), rel=1e-14)
        assert max(answer["shifted"]) == 0.0


def test_softmax_temperature_misconceptions_by_hand() -> None:
    inputs = {"z": [1000.0, 1002.0, 999.0, 1001.0], "temperature": 2.0}
    right = TEMPERATURE.solve(inputs)
    np.testing.assert_allclose(right["shifted"], [-1.0, 0.0, -1.5, -0.5])
    wrong = _by_id(TEMPERATURE, inputs)
    np.testing.assert_allclose(
        wrong["activations.temperature-multiplies"]["shifted"], [-4.0, 0.0, -6.0, -2.0]
    )
    np.testing.assert_allclose(wrong["activations.shift-by-min"]["shifted"], [0.5, 1.5, 0.0, 1.0])
    assert wrong["activations.lse-forgets-max"]["lse"] == pytest.approx(right["lse"] - 501.0)
    assert softmax_temperature.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2))


def test_whiteboard_mode() -> None:
    for seed in range(30):
        for generator in (SMOOTH, TEMPERATURE):
            question = generator.generate(seed, calculator=False)
            assert "You may use" in question.prompt and not question.needs_calculator
            assert generator.generate(seed).needs_calculator
        assert not PRELU.generate(seed).needs_calculator
        hand = _inputs(SMOOTH, seed, calculator=False)
        assert all(float(z).is_integer() for z in hand["z"])  # type: ignore[union-attr]
