"""Activations, softmax cross-entropy and maxout against PyTorch (float64), plus centered-difference checks."""

from __future__ import annotations

import re
from collections.abc import Callable

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis.extra.numpy import arrays
from latex2mathml.converter import convert

import verifier
from verifier import as_array, as_float
from verifier._types import FloatArray
from verifier.concepts import activations as act
from verifier.gradcheck import REL_ERROR_TOL, numerical_gradient, numerical_gradient_array, relative_error

SEEDS = range(200)
DERIVATIVE = verifier.get("activations.derivative")
SOFTMAX_CE = verifier.get("activations.softmax_ce")
MAXOUT = verifier.get("activations.maxout")
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "elu": (0.0,), "hardtanh": (-1.0, 1.0)}

TorchActivation = Callable[[torch.Tensor, float], torch.Tensor]
TORCH: dict[str, TorchActivation] = {
    "relu": lambda t, _a: F.relu(t),
    "leaky_relu": lambda t, a: F.leaky_relu(t, negative_slope=a),
    "elu": lambda t, a: F.elu(t, alpha=a),
    "gelu": lambda t, _a: F.gelu(t, approximate="none"),
    "softplus": lambda t, _a: F.softplus(t),  # beta = 1
    "sigmoid": lambda t, _a: torch.sigmoid(t),
    "tanh": lambda t, _a: torch.tanh(t),
    "hardtanh": lambda t, _a: F.hardtanh(t),  # [-1, 1]
}
TORCH_DEFAULT_ALPHA = {"leaky_relu": 0.01, "elu": 1.0}
# Inputs and upstream gradients of order 1: with entries near 0 the gradients are near 0 too, and any
# relative error only measures round-off.
AWAY_FROM_ZERO = st.builds(lambda sign, size: sign * size, st.sampled_from([-1.0, 1.0]), st.floats(0.1, 2.0))


def _off_kinks(z: FloatArray, name: str) -> FloatArray:
    """Move entries that sit within 0.01 of a kink half a unit away (instead of discarding the example)."""
    out = z.copy()
    for kink in KINKS.get(name, ()):
        out = np.where(np.abs(out - kink) < 1e-2, kink + 0.5, out)
    return out


def _t(x: object) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64)


def _torch_value_and_grad(name: str, z: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    t = _t(z).requires_grad_(True)
    out = TORCH[name](t, alpha)
    out.sum().backward()
    assert t.grad is not None
    return out.detach().numpy(), t.grad.numpy()


def _latex_snippets(text: str) -> list[str]:
    return [a or b for a, b in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$", text, flags=re.DOTALL)]


def _assert_latex_converts(generator: verifier.Generator, seeds: range = range(40)) -> None:
    for seed in seeds:
        inputs = generator.generate(seed).inputs
        texts = [generator.prompt(inputs)] + [step.text for step in generator.explain(inputs)]
        for text in texts:
            assert text.count("$") % 2 == 0, text
            for snippet in _latex_snippets(text):
                mathml = convert(snippet)
                assert "\\" not in mathml, (seed, snippet)  # an unknown command survives as text


# --- activations.derivative -----------------------------------------------------------------------------


def test_derivative_generator_matches_torch_autograd() -> None:
    seen = set()
    for seed in SEEDS:
        inputs = DERIVATIVE.generate(seed).inputs
        name, z, alpha = str(inputs["name"]), as_array(inputs["z"]), as_float(inputs["alpha"])
        seen.add(name)
        answer = DERIVATIVE.solve(inputs)
        value, grad = _torch_value_and_grad(name, z, alpha if name in TORCH_DEFAULT_ALPHA else 0.0)
        np.testing.assert_allclose(answer["value"], value, rtol=1e-6, atol=1e-12, err_msg=f"{seed} {name}")
        np.testing.assert_allclose(
            answer["derivative"], grad, rtol=1e-6, atol=1e-12, err_msg=f"{seed} {name}"
        )
    assert seen == set(act.NAMES)


def test_no_question_sits_on_a_kink() -> None:
    for seed in SEEDS:
        inputs = DERIVATIVE.generate(seed).inputs
        z = as_array(inputs["z"])
        for kink in KINKS.get(str(inputs["name"]), ()):
            assert np.abs(z - kink).min() >= act.KINK_MARGIN, seed


def test_parameters_follow_pytorch_conventions() -> None:
    for seed in SEEDS:
        inputs = DERIVATIVE.generate(seed).inputs
        name, alpha = inputs["name"], as_float(inputs["alpha"])
        if name == "leaky_relu":
            assert alpha in act.LEAKY_SLOPE_CHOICES
        elif name == "elu":
            assert alpha in act.ELU_ALPHA_CHOICES
        else:
            assert alpha == 0.0


@pytest.mark.parametrize("name", act.NAMES)
@settings(max_examples=25, deadline=None)
@given(z=arrays(np.float64, st.sampled_from([(3,), (2, 3)]), elements=st.floats(-4.0, 4.0)))
def test_activation_defaults_match_torch_and_keep_the_shape(name: act.ActivationName, z: FloatArray) -> None:
    z = _off_kinks(z, name)
    value, grad = _torch_value_and_grad(name, z, TORCH_DEFAULT_ALPHA.get(name, 0.0))
    got_value, got_grad = act.activation(z, name), act.activation_derivative(z, name)
    assert got_value.shape == got_grad.shape == z.shape
    np.testing.assert_allclose(got_value, value, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(got_grad, grad, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", act.NAMES)
@settings(max_examples=20, deadline=None)
@given(
    z=arrays(np.float64, (5,), elements=st.floats(-3.0, 3.0)),
    dout=arrays(np.float64, (5,), elements=st.floats(0.5, 2.0)),
    alpha=st.sampled_from([0.01, 0.2, 1.0, 1.7]),
)
def test_activation_backward_passes_the_gradient_check(
    name: act.ActivationName, z: FloatArray, dout: FloatArray, alpha: float
) -> None:
    z = _off_kinks(z, name)
    analytic = act.activation_backward(dout, z, name, alpha=alpha)
    numerical = numerical_gradient_array(lambda v: act.activation(v, name, alpha=alpha), z, dout)
    # Saturated units have slopes near 0 on every entry; the check is relative to the gradient's size.
    assume(float(np.abs(numerical).max()) > 1e-6)
    assert relative_error(analytic, numerical) < REL_ERROR_TOL


def test_functions_never_mutate_their_input() -> None:
    z = np.array([-1.5, -0.2, 0.3, 2.0])
    before = z.copy()
    for name in act.NAMES:
        act.activation(z, name)
        act.activation_derivative(z, name)
        act.activation_backward(np.ones(4), z, name)
    assert np.array_equal(z, before)


Z = np.array([-2.5, -1.5, -0.3, 0.4, 1.7])
ALPHA = 0.2


def _autograd(name: str, alpha: float = 0.0) -> FloatArray:
    return _torch_value_and_grad(name, Z, alpha)[1]


MISCONCEPTIONS: list[tuple[str, Callable[[], FloatArray], FloatArray, FloatArray]] = [
    # (name, wrong function at Z, the wrong belief written independently in torch, the right derivative)
    ("relu-one", lambda: act.misconception_relu_derivative_one(Z), np.ones(5), _autograd("relu")),
    (
        "relu-is-relu",
        lambda: act.misconception_relu_derivative_is_relu(Z),
        F.relu(_t(Z)).numpy(),
        _autograd("relu"),
    ),
    (
        "leaky-zero-below",
        lambda: act.misconception_leaky_derivative_zero_below(Z, alpha=ALPHA),
        _autograd("relu"),
        _autograd("leaky_relu", ALPHA),
    ),
    (
        "leaky-alpha-z",
        lambda: act.misconception_leaky_derivative_is_alpha_z(Z, alpha=ALPHA),
        torch.where(_t(Z) > 0, 1.0, ALPHA * _t(Z)).numpy(),
        _autograd("leaky_relu", ALPHA),
    ),
    (
        "elu-alpha",
        lambda: act.misconception_elu_derivative_is_alpha(Z, alpha=ALPHA),
        torch.where(_t(Z) > 0, 1.0, torch.full((5,), ALPHA, dtype=torch.float64)).numpy(),
        _autograd("elu", ALPHA),
    ),
    (
        "elu-minus-one",
        lambda: act.misconception_elu_derivative_keeps_minus_one(Z, alpha=ALPHA),
        torch.where(_t(Z) > 0, 1.0, F.elu(_t(Z), alpha=ALPHA)).numpy(),
        _autograd("elu", ALPHA),
    ),
    (
        "gelu-phi",
        lambda: act.misconception_gelu_derivative_is_phi(Z),
        torch.special.ndtr(_t(Z)).numpy(),
        _autograd("gelu"),
    ),
    (
        "gelu-z-pdf",
        lambda: act.misconception_gelu_derivative_is_z_pdf(Z),
        (_t(Z) * torch.exp(torch.distributions.Normal(0.0, 1.0).log_prob(_t(Z)))).numpy(),
        _autograd("gelu"),
    ),
    (
        "softplus-is-softplus",
        lambda: act.misconception_softplus_derivative_is_softplus(Z),
        F.softplus(_t(Z)).numpy(),
        _autograd("softplus"),
    ),
    (
        "softplus-inner",
        lambda: act.misconception_softplus_missing_inner_derivative(Z),
        (1 / (1 + torch.exp(_t(Z)))).numpy(),
        _autograd("softplus"),
    ),
    (
        "sigmoid-is-sigmoid",
        lambda: act.misconception_sigmoid_derivative_is_sigmoid(Z),
        torch.sigmoid(_t(Z)).numpy(),
        _autograd("sigmoid"),
    ),
    (
        "sigmoid-z",
        lambda: act.misconception_sigmoid_derivative_z_one_minus_z(Z),
        (_t(Z) * (1 - _t(Z))).numpy(),
        _autograd("sigmoid"),
    ),
    (
        "tanh-no-square",
        lambda: act.misconception_tanh_derivative_one_minus_tanh(Z),
        (1 - torch.tanh(_t(Z))).numpy(),
        _autograd("tanh"),
    ),
    (
        "tanh-z",
        lambda: act.misconception_tanh_derivative_one_minus_z_squared(Z),
        (1 - _t(Z) ** 2).numpy(),
        _autograd("tanh"),
    ),
    ("hardtanh-one", lambda: act.misconception_hardtanh_derivative_one(Z), np.ones(5), _autograd("hardtanh")),
    (
        "hardtanh-like-tanh",
        lambda: act.misconception_hardtanh_derivative_like_tanh(Z),
        (1 - F.hardtanh(_t(Z)) ** 2).numpy(),
        _autograd("hardtanh"),
    ),
]


@pytest.mark.parametrize(
    ("label", "wrong", "belief", "right"), MISCONCEPTIONS, ids=[m[0] for m in MISCONCEPTIONS]
)
def test_derivative_misconception_functions(
    label: str, wrong: Callable[[], FloatArray], belief: FloatArray, right: FloatArray
) -> None:
    got = wrong()
    np.testing.assert_allclose(got, belief, rtol=1e-9, atol=1e-12, err_msg=label)
    assert np.abs(got - right).max() > 0.05, label


def test_every_activation_has_two_misconceptions_of_its_own() -> None:
    for name in act.NAMES:
        inputs = {"name": name, "z": Z, "alpha": ALPHA if name in TORCH_DEFAULT_ALPHA else 0.0}
        own = [m for m in DERIVATIVE.misconceptions if m.applies_to(inputs)]
        assert len(own) >= 2, name
        for misconception in own:
            answer = misconception.answer(inputs)
            np.testing.assert_array_equal(answer["value"], DERIVATIVE.solve(inputs)["value"])
    sigmoid_only = {"name": "sigmoid", "z": Z, "alpha": 0.0}
    ids = {m.id for m in DERIVATIVE.misconceptions if m.applies_to(sigmoid_only)}
    assert "activations.sigmoid-derivative-is-sigmoid" in ids
    assert not any(
        m.applies_to({"name": "tanh", "z": Z, "alpha": 0.0}) for m in DERIVATIVE.misconceptions if m.id in ids
    )


# --- activations.softmax_ce -----------------------------------------------------------------------------


def _torch_softmax_ce(z: FloatArray, y: FloatArray) -> tuple[FloatArray, float, FloatArray]:
    t = _t(z).requires_grad_(True)
    loss = F.cross_entropy(t[None, :], torch.tensor([int(np.argmax(y))]))
    loss.backward()
    assert t.grad is not None
    return torch.softmax(t.detach(), dim=0).numpy(), float(loss.detach()), t.grad.numpy()


def test_softmax_ce_generator_matches_torch() -> None:
    for seed in SEEDS:
        inputs = SOFTMAX_CE.generate(seed).inputs
        z, y = as_array(inputs["z"]), as_array(inputs["y"])
        assert y.sum() == 1.0 and set(y.tolist()) <= {0.0, 1.0}
        p, loss, grad = _torch_softmax_ce(z, y)
        answer = SOFTMAX_CE.solve(inputs)
        np.testing.assert_allclose(answer["p"], p, rtol=1e-6, atol=1e-12)
        assert answer["loss"] == pytest.approx(loss, rel=1e-6)
        np.testing.assert_allclose(answer["grad"], grad, rtol=1e-6, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    z=arrays(np.float64, (4,), elements=st.floats(-5.0, 5.0)),
    target=st.integers(0, 3),
    shift=st.floats(-500.0, 500.0),
)
def test_softmax_ce_properties_and_gradient_check(z: FloatArray, target: int, shift: float) -> None:
    y = np.eye(4)[target]
    result = act.softmax_cross_entropy(z, y)
    shifted = act.softmax_cross_entropy(z + shift, y)
    assert result.p.sum() == pytest.approx(1.0) and np.all(result.p > 0)
    np.testing.assert_allclose(shifted.p, result.p, rtol=1e-9, atol=1e-15)
    assert shifted.loss == pytest.approx(result.loss, rel=1e-9, abs=1e-9)
    assert result.grad.sum() == pytest.approx(0.0, abs=1e-12)
    numerical = numerical_gradient(lambda v: act.softmax_ce_forward(v, y)[0], z)
    assert relative_error(act.softmax_ce_backward(act.softmax_ce_forward(z, y)[1]), numerical) < REL_ERROR_TOL
    np.testing.assert_allclose(act.softmax(z[None, :])[0], result.p, rtol=1e-12)


def test_softmax_handles_huge_logits() -> None:
    result = act.softmax_cross_entropy(np.array([1000.0, 0.0, -1000.0]), np.array([0.0, 0.0, 1.0]))
    assert np.all(np.isfinite(result.p)) and result.loss == pytest.approx(2000.0)


def test_softmax_ce_misconception_functions() -> None:
    z, y = np.array([0.5, -1.2, 2.0]), np.array([0.0, 1.0, 0.0])
    p, loss, grad = _torch_softmax_ce(z, y)
    without_y = act.misconception_softmax_grad_without_y(z, y)
    np.testing.assert_allclose(without_y.grad, p, rtol=1e-9)
    np.testing.assert_allclose(act.misconception_softmax_grad_sign_flipped(z, y).grad, -grad, rtol=1e-9)
    # The diagonal-Jacobian belief, computed from torch's dL/dp and the diagonal of softmax's Jacobian.
    tp = _t(p).requires_grad_(True)
    (-(_t(y) * torch.log(tp)).sum()).backward()
    assert tp.grad is not None
    diagonal = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=0), _t(z)).diagonal()
    belief = (tp.grad * diagonal).numpy()
    np.testing.assert_allclose(
        act.misconception_softmax_jacobian_diagonal(z, y).grad, belief, rtol=1e-9, atol=1e-12
    )
    for wrong in (
        without_y,
        act.misconception_softmax_grad_sign_flipped(z, y),
        act.misconception_softmax_jacobian_diagonal(z, y),
    ):
        np.testing.assert_allclose(wrong.p, p, rtol=1e-9)
        assert wrong.loss == pytest.approx(loss)
        assert np.abs(wrong.grad - grad).max() > 0.05


# --- activations.maxout ---------------------------------------------------------------------------------


def _linear_params(n_in: int, n_out: int, *, bias: bool = True) -> int:
    return sum(p.numel() for p in torch.nn.Linear(n_in, n_out, bias=bias).parameters())


def test_maxout_generator_matches_torch() -> None:
    shapes = set()
    for seed in SEEDS:
        inputs = MAXOUT.generate(seed).inputs
        x, w, b = as_array(inputs["x"]), as_array(inputs["W"]), as_array(inputs["b"])
        pieces, n_in, n_out = w.shape
        shapes.add((pieces, n_in))
        answer = MAXOUT.solve(inputs)
        expected = (_t(x) @ _t(w) + _t(b)).amax(dim=0).numpy()
        np.testing.assert_allclose(answer["output"], expected, rtol=1e-6, atol=1e-12)
        # k affine maps from i to o inputs are one dense layer with k*o outputs.
        assert answer["params"] == _linear_params(n_in, pieces * n_out)
        top_two = np.sort(as_array(x) @ w + b, axis=0)[-2:]
        assert np.all(top_two[1] - top_two[0] >= act.TIE_MARGIN), seed
    assert len(shapes) > 1  # the parameter count varies between questions


def test_maxout_param_misconceptions() -> None:
    for n_in, n_out, pieces in [(2, 2, 2), (3, 2, 3), (10, 5, 3)]:
        assert act.misconception_maxout_params_without_bias(
            inputs=n_in, outputs=n_out, pieces=pieces
        ) == _linear_params(n_in, pieces * n_out, bias=False)
        assert act.misconception_maxout_params_one_piece(
            inputs=n_in, outputs=n_out, pieces=pieces
        ) == _linear_params(n_in, n_out)
    assert act.maxout_param_count(inputs=10, outputs=5, pieces=3) == 165  # the content card's example


@settings(max_examples=40, deadline=None)
@given(
    x=arrays(np.float64, (3,), elements=AWAY_FROM_ZERO),
    w=arrays(np.float64, (3, 3, 2), elements=st.floats(-1.0, 1.0)),
    b=arrays(np.float64, (3, 2), elements=st.floats(-0.5, 0.5)),
    dout=arrays(np.float64, (2,), elements=AWAY_FROM_ZERO),
)
def test_maxout_backward_matches_autograd_and_the_gradient_check(
    x: FloatArray, w: FloatArray, b: FloatArray, dout: FloatArray
) -> None:
    b = b + 0.1 * np.arange(6.0).reshape(3, 2)  # breaks the ties that constant arrays would make
    top_two = np.sort(act.maxout_pieces(x, w, b), axis=0)[-2:]
    assume(bool(np.all(top_two[1] - top_two[0] > 1e-3)))  # no tie: the max is differentiable
    _out, cache = act.maxout_forward(x, w, b)
    grads = act.maxout_backward(dout, cache)
    assert grads.dx.shape == x.shape and grads.dw.shape == w.shape and grads.db.shape == b.shape
    tx, tw, tb = (_t(v).requires_grad_(True) for v in (x, w, b))
    ((tx @ tw + tb).amax(dim=0) * _t(dout)).sum().backward()
    for mine, theirs in ((grads.dx, tx.grad), (grads.dw, tw.grad), (grads.db, tb.grad)):
        assert theirs is not None
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-9, atol=1e-12)
    numerical = [
        numerical_gradient_array(lambda v: act.maxout_forward(v, w, b)[0], x, dout),
        numerical_gradient_array(lambda v: act.maxout_forward(x, v, b)[0], w, dout),
        numerical_gradient_array(lambda v: act.maxout_forward(x, w, v)[0], b, dout),
    ]
    # One check over all the backward pass's outputs: dx alone can cancel to nearly 0 (W entries of both
    # signs), where a relative error measures only round-off.
    analytic = np.concatenate([grads.dx.ravel(), grads.dw.ravel(), grads.db.ravel()])
    assert relative_error(analytic, np.concatenate([g.ravel() for g in numerical])) < REL_ERROR_TOL


# --- prompts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("generator", [DERIVATIVE, SOFTMAX_CE, MAXOUT], ids=lambda g: g.id)
def test_prompts_and_explanations_convert_to_mathml(generator: verifier.Generator) -> None:
    _assert_latex_converts(generator)


def test_prompts_name_every_answer_field() -> None:
    for generator in (DERIVATIVE, SOFTMAX_CE, MAXOUT):
        prompt = generator.generate(3).prompt
        for field in generator.answer_fields:
            assert f"`{field}`" in prompt, (generator.id, field)
