"""Backprop through the MLP and the gradient-check generator, against PyTorch autograd (float64)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import cast

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from latex2mathml.converter import convert

import verifier
from verifier import as_array, as_float
from verifier._types import Answer, FloatArray, Inputs
from verifier.concepts import backprop as bp
from verifier.gradcheck import REL_ERROR_TOL, numerical_gradient, relative_error

SEEDS = range(200)
MLP = verifier.get("backprop.mlp")
GRADCHECK = verifier.get("backprop.gradcheck")
TORCH_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}
PARAMS = ("W1", "b1", "W2", "b2")


def _t(x: object) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64)


class TorchMLP:
    """The same network run by autograd, keeping z1, a1, z2 and the output error dL/dz2."""

    def __init__(self, inputs: Inputs) -> None:
        self.activation = str(inputs["activation"])
        self.loss_name = str(inputs["loss"])
        self.x, self.y = _t(inputs["x"]), _t(inputs["y"])
        self.params = {name: _t(inputs[name]).requires_grad_(True) for name in PARAMS}
        p = self.params
        self.z1 = p["W1"] @ self.x + p["b1"]
        self.a1 = TORCH_ACTIVATIONS[self.activation](self.z1)
        self.z2 = p["W2"] @ self.a1 + p["b2"]
        self.z2.retain_grad()
        if self.loss_name == "mse":
            self.loss = 0.5 * ((self.z2 - self.y) ** 2).sum()
        else:
            self.loss = F.cross_entropy(self.z2[None, :], self.y.argmax()[None])
        self.loss.backward(retain_graph=True)
        assert self.z2.grad is not None
        self.delta2 = self.z2.grad.detach().clone()

    def grads(self) -> dict[str, FloatArray]:
        out = {}
        for name, param in self.params.items():
            assert param.grad is not None
            out["d" + name] = param.grad.numpy().copy()
        return out

    def slope(self, at: torch.Tensor) -> torch.Tensor:
        """The activation's derivative evaluated at ``at``, by autograd."""
        point = at.detach().clone().requires_grad_(True)
        (derivative,) = torch.autograd.grad(TORCH_ACTIVATIONS[self.activation](point).sum(), point)
        return derivative

    def hidden_grads(self, delta1: torch.Tensor) -> dict[str, FloatArray]:
        """dW1, db1 from a hidden error, with dW2, db2 from the true output error."""
        a1 = self.a1.detach()
        return {
            "dW1": torch.outer(delta1, self.x).numpy(),
            "db1": delta1.numpy(),
            "dW2": torch.outer(self.delta2, a1).numpy(),
            "db2": self.delta2.numpy(),
        }


def _assert_answer(answer: Answer, expected: dict[str, FloatArray], loss: float, label: object) -> None:
    assert answer["loss"] == pytest.approx(loss, rel=1e-6), label
    for name, value in expected.items():
        np.testing.assert_allclose(answer[name], value, rtol=1e-6, atol=1e-12, err_msg=f"{label} {name}")


# --- backprop.mlp ------------------------------------------------------------------------------------------


def test_mlp_generator_matches_autograd() -> None:
    kinds = set()
    for seed in SEEDS:
        inputs = MLP.generate(seed).inputs
        kinds.add((inputs["activation"], inputs["loss"]))
        net = TorchMLP(inputs)
        _assert_answer(MLP.solve(inputs), net.grads(), float(net.loss.detach()), seed)
        if inputs["activation"] == "relu":
            assert float(net.z1.detach().abs().min()) >= bp.KINK_MARGIN, seed  # no pre-activation on the kink
        if inputs["loss"] == "softmax_ce":
            assert sorted(as_array(inputs["y"]).tolist()) == [0.0, 1.0]
    assert len(kinds) == 6


def _mlp_loss_of(inputs: Inputs, name: str) -> tuple[Callable[[FloatArray], float], FloatArray]:
    """The MLP's loss as a function of one parameter (the others fixed), and that parameter's value."""
    x, y = as_array(inputs["x"]), as_array(inputs["y"])
    params = bp.MLPParams(*(as_array(inputs[p]) for p in PARAMS))
    activation_name = cast(bp.HiddenActivation, inputs["activation"])
    loss_name = cast(bp.LossName, inputs["loss"])

    def loss_at(v: FloatArray) -> float:
        perturbed = params._replace(**{name: v})
        return bp.mlp_forward(x, y, perturbed, activation_name=activation_name, loss=loss_name)[0]

    return loss_at, getattr(params, name)


def test_mlp_backward_passes_the_gradient_check() -> None:
    for seed in range(60):
        inputs = MLP.generate(seed).inputs
        answer = MLP.solve(inputs)
        for name in PARAMS:
            loss_at, value = _mlp_loss_of(inputs, name)
            numerical = numerical_gradient(loss_at, value)
            analytic = as_array(answer["d" + name])
            assert analytic.shape == value.shape
            assert relative_error(analytic, numerical) < REL_ERROR_TOL, (seed, name)


def test_mlp_functions_never_mutate_inputs() -> None:
    inputs = MLP.generate(5).inputs
    snapshot = {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in inputs.items()}
    MLP.solve(inputs)
    for misconception in MLP.misconceptions:
        misconception.answer(inputs)
    for key, value in snapshot.items():
        assert (
            np.array_equal(np.asarray(inputs[key]), np.asarray(value))
            if isinstance(value, np.ndarray)
            else inputs[key] == value
        )


def _first_question(activation_name: str, loss_name: str) -> Inputs:
    questions = (MLP.generate(seed).inputs for seed in range(500))
    return next(i for i in questions if i["activation"] == activation_name and i["loss"] == loss_name)


def test_mlp_misconception_functions_against_torch() -> None:
    for activation_name in ("sigmoid", "tanh", "relu"):
        for loss_name in ("mse", "softmax_ce"):
            inputs = _first_question(activation_name, loss_name)
            net = TorchMLP(inputs)
            loss, right = float(net.loss.detach()), net.grads()
            x, y = as_array(inputs["x"]), as_array(inputs["y"])
            params = bp.MLPParams(*(as_array(inputs[name]) for name in PARAMS))
            w2 = net.params["W2"].detach()
            back = w2.T @ net.delta2
            expectations: dict[Callable[..., tuple[float, bp.MLPGrads]], dict[str, FloatArray]] = {
                bp.misconception_missing_activation_derivative: net.hidden_grads(back),
                bp.misconception_untransposed_weights: net.hidden_grads(
                    (w2 @ net.delta2) * net.slope(net.z1)
                ),
                bp.misconception_outer_product_reversed: {
                    **right,
                    "dW1": right["dW1"].T,
                    "dW2": right["dW2"].T,
                },
                bp.misconception_derivative_at_output: net.hidden_grads(back * net.slope(net.a1)),
            }
            if loss_name == "softmax_ce":
                # Backpropagate p instead of p - y through the same graph.
                for param in net.params.values():
                    param.grad = None
                net.z2.backward(torch.softmax(net.z2.detach(), dim=0))
                expectations[bp.misconception_output_error_without_y] = net.grads()
            for function, expected in expectations.items():
                value, grads = function(x, y, params, activation_name=activation_name, loss=loss_name)
                answer = {"loss": value, **grads._asdict()}
                _assert_answer(answer, expected, loss, (function.__name__, activation_name, loss_name))


def test_mlp_misconceptions_apply_where_they_mean_something() -> None:
    by_id = {m.id: m for m in MLP.misconceptions}
    for seed in range(100):
        inputs = MLP.generate(seed).inputs
        assert by_id["backprop.derivative-at-output"].applies_to(inputs) == (inputs["activation"] != "relu")
        assert by_id["backprop.output-error-without-y"].applies_to(inputs) == (inputs["loss"] == "softmax_ce")


# --- backprop.gradcheck ------------------------------------------------------------------------------------


def _torch_loss(inputs: Inputs) -> Callable[[torch.Tensor], torch.Tensor]:
    if inputs["kind"] == "quadratic":
        a, b = _t(inputs["A"]), _t(inputs["b"])
        return lambda w: 0.5 * w @ a @ w + b @ w
    x, y = as_float(inputs["x"]), as_float(inputs["y"])
    return lambda w: 0.5 * (w[1] * torch.tanh(w[0] * x) - y) ** 2


def _torch_central_difference(inputs: Inputs) -> torch.Tensor:
    loss, w, h = _torch_loss(inputs), _t(inputs["w"]), as_float(inputs["h"])
    eye = torch.eye(w.numel(), dtype=torch.float64)
    return torch.stack([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in eye])


def _torch_relative_error(a: torch.Tensor, n: torch.Tensor) -> float:
    return float(torch.linalg.norm(a - n) / torch.maximum(torch.linalg.norm(a), torch.linalg.norm(n)))


def test_gradcheck_generator_matches_torch() -> None:
    kinds = set()
    for seed in SEEDS:
        inputs = GRADCHECK.generate(seed).inputs
        kinds.add(inputs["kind"])
        analytic = _t(inputs["analytic"])
        numerical = _torch_central_difference(inputs)
        answer = GRADCHECK.solve(inputs)
        np.testing.assert_allclose(answer["numerical_grad"], numerical.numpy(), rtol=1e-6, atol=1e-12)
        assert answer["relative_error"] == pytest.approx(_torch_relative_error(analytic, numerical), rel=1e-6)
        # The reported gradient has a bug that the check exposes: far above the large step's own error.
        w = _t(inputs["w"]).requires_grad_(True)
        _torch_loss(inputs)(w).backward()
        assert w.grad is not None
        baseline = _torch_relative_error(w.grad, numerical)
        assert answer["relative_error"] >= max(bp.MIN_BUG_ERROR, 10 * baseline), seed
        assert float(torch.linalg.norm(w.grad)) >= bp.MIN_GRADIENT
        assert as_float(inputs["h"]) in bp.STEP_CHOICES
    assert kinds == set(bp.GRADCHECK_KINDS)


def _numpy_loss(inputs: Inputs) -> tuple[Callable[[FloatArray], float], Callable[[FloatArray], FloatArray]]:
    """The verifier's loss and analytic gradient for a gradcheck question's function."""
    if inputs["kind"] == "quadratic":
        a, b = as_array(inputs["A"]), as_array(inputs["b"])
        return (lambda v: bp.quadratic_loss(v, a=a, b=b)), (lambda v: bp.quadratic_gradient(v, a=a, b=b))
    x, y = as_float(inputs["x"]), as_float(inputs["y"])
    return (lambda v: bp.tiny_net_loss(v, x=x, y=y)), (lambda v: bp.tiny_net_gradient(v, x=x, y=y))


def test_analytic_gradients_match_autograd_and_the_gradient_check() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.uniform(-2, 2, size=2)
        a = rng.uniform(-1, 1, size=(2, 2))
        questions: list[Inputs] = [
            {"kind": "quadratic", "A": a + a.T, "b": rng.uniform(-1, 1, size=2)},
            {"kind": "tiny_net", "x": float(rng.uniform(-2, 2)), "y": float(rng.uniform(-1, 1))},
        ]
        for inputs in questions:
            loss, gradient = _numpy_loss(inputs)
            tw = _t(w).requires_grad_(True)
            value = _torch_loss(inputs)(tw)
            value.backward()
            assert tw.grad is not None
            assert loss(w) == pytest.approx(float(value.detach()), rel=1e-12, abs=1e-14)
            np.testing.assert_allclose(gradient(w), tw.grad.numpy(), rtol=1e-10, atol=1e-14)
            numerical = numerical_gradient(loss, w)
            assert (
                relative_error(gradient(w), numerical) < REL_ERROR_TOL
                or float(np.abs(numerical).max()) < 1e-6
            )


def test_gradcheck_misconception_functions_against_torch() -> None:
    for seed in range(30):
        inputs = GRADCHECK.generate(seed).inputs
        loss_t, w, h = _torch_loss(inputs), _t(inputs["w"]), as_float(inputs["h"])
        analytic = _t(inputs["analytic"])
        central = _torch_central_difference(inputs)
        eye = torch.eye(2, dtype=torch.float64)
        forward = torch.stack([(loss_t(w + h * e) - loss_t(w)) / h for e in eye])
        a = as_array(inputs["analytic"])
        w_np = as_array(inputs["w"])
        f, _gradient = _numpy_loss(inputs)
        cases = (
            (
                bp.misconception_forward_difference(f, w_np, a, h=h),
                forward,
                _torch_relative_error(analytic, forward),
            ),
            (
                bp.misconception_step_not_doubled(f, w_np, a, h=h),
                2 * central,
                _torch_relative_error(analytic, 2 * central),
            ),
            (
                bp.misconception_abs_error_not_relative(f, w_np, a, h=h),
                central,
                float(torch.linalg.norm(analytic - central)),
            ),
        )
        for result, numerical, error in cases:
            np.testing.assert_allclose(result.numerical, numerical.numpy(), rtol=1e-9, atol=1e-12)
            assert result.relative_error == pytest.approx(error, rel=1e-9)
        assert np.array_equal(as_array(inputs["w"]), w_np)  # never mutated


# --- prompts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("generator", [MLP, GRADCHECK], ids=lambda g: g.id)
def test_prompts_and_explanations_convert_and_name_the_fields(generator: verifier.Generator) -> None:
    for seed in range(40):
        question = generator.generate(seed)
        texts = [question.prompt] + [step.text for step in generator.explain(question.inputs)]
        for text in texts:
            assert text.count("$") % 2 == 0, text
            for a, b in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$", text, flags=re.DOTALL):
                assert "\\" not in convert(a or b), (seed, a or b)
        for field in generator.answer_fields:
            assert f"`{field}`" in question.prompt
