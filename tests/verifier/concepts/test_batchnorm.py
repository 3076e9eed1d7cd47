"""Batch normalization checked against PyTorch: nn.BatchNorm1d's forward, running buffers and eval mode,
autograd for the backward pass, and centered differences; plus properties and each misconception."""

from __future__ import annotations

import re
from collections.abc import Callable

import latex2mathml.converter
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import verifier
from verifier import as_float
from verifier.concepts import batchnorm as bn

SEEDS = range(200)
RTOL = 1e-6
GRADCHECK_REL_ERROR = 1e-7
DTYPE = torch.float64


def _t(value: object) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=DTYPE)


def _close(actual: object, expected: torch.Tensor | np.ndarray) -> None:
    wanted = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual), wanted, rtol=RTOL, atol=1e-12)


def _module(d: int, *, eps: float = 1e-5, momentum: float | None = 0.1) -> torch.nn.BatchNorm1d:
    return torch.nn.BatchNorm1d(d, eps=eps, momentum=momentum, dtype=DTYPE)


def _layer(inputs: dict[str, object]) -> tuple[torch.nn.BatchNorm1d, torch.Tensor]:
    x = _t(inputs["x"])
    layer = _module(x.shape[1], eps=as_float(inputs["eps"]))
    with torch.no_grad():
        layer.weight.copy_(_t(inputs["gamma"]))
        layer.bias.copy_(_t(inputs["beta"]))
    return layer.train(), x


def _questions(generator_id: str) -> list[dict[str, object]]:
    generator = verifier.get(generator_id)
    return [dict(generator.generate(seed).inputs) for seed in SEEDS]


# --- oracle tests on every generator, 200 seeds each ---------------------------------------------------


def test_train_forward_matches_batchnorm1d() -> None:
    generator = verifier.get("batchnorm.train_forward")
    for inputs in _questions(generator.id):
        answer = generator.solve(inputs)
        layer, x = _layer(inputs)
        var, mean = torch.var_mean(x, dim=0, unbiased=False)
        _close(answer["mean"], mean)
        _close(answer["var"], var)
        _close(answer["y"], layer(x))


def test_backward_matches_autograd() -> None:
    generator = verifier.get("batchnorm.backward")
    for inputs in _questions(generator.id):
        answer = generator.solve(inputs)
        layer, x = _layer(inputs)
        x.requires_grad_(True)
        layer(x).backward(_t(inputs["dy"]))
        assert x.grad is not None and layer.weight.grad is not None and layer.bias.grad is not None
        _close(answer["dx"], x.grad)
        _close(answer["dgamma"], layer.weight.grad)
        _close(answer["dbeta"], layer.bias.grad)


def test_running_stats_match_batchnorm1d_buffers() -> None:
    generator = verifier.get("batchnorm.running_stats")
    for inputs in _questions(generator.id):
        answer = generator.solve(inputs)
        batches = _t(inputs["batches"])
        layer = _module(batches.shape[2], momentum=as_float(inputs["momentum"])).train()
        for batch in batches:
            layer(batch)
        _close(answer["running_mean"], layer.running_mean)
        _close(answer["running_var"], layer.running_var)


def test_population_stats_match_cumulative_batchnorm1d() -> None:
    """momentum=None makes BatchNorm1d keep the plain average of the batch means and unbiased variances."""
    generator = verifier.get("batchnorm.population_stats")
    for inputs in _questions(generator.id):
        answer = generator.solve(inputs)
        batches = _t(inputs["batches"])
        layer = _module(batches.shape[2], momentum=None).train()
        for batch in batches:
            layer(batch)
        _close(answer["mean"], layer.running_mean)
        _close(answer["var"], layer.running_var)


@pytest.mark.parametrize("generator_id", ["batchnorm.running_stats", "batchnorm.population_stats"])
def test_eval_forward_with_the_statistics_matches_batchnorm1d_eval(generator_id: str) -> None:
    rng = np.random.default_rng(0)
    for inputs in _questions(generator_id)[:50]:
        batches = np.asarray(inputs["batches"])
        if generator_id == "batchnorm.running_stats":
            momentum = as_float(inputs["momentum"])
            stats = bn.running_stats(batches, momentum=momentum)
        else:
            momentum = None
            stats = bn.population_stats(batches)
        layer = _module(batches.shape[2], eps=1e-3, momentum=momentum).train()
        for batch in _t(batches):
            layer(batch)
        gamma, beta = rng.normal(size=2), rng.normal(size=2)
        with torch.no_grad():
            layer.weight.copy_(_t(gamma))
            layer.bias.copy_(_t(beta))
        x = rng.normal(size=(3, 2))
        y, cache = bn.batchnorm_forward(x, gamma, beta, eps=1e-3, mode="eval", stats=stats)
        _close(y, layer.eval()(_t(x)))
        _close(cache.mean, stats.mean)


# --- properties ----------------------------------------------------------------------------------------

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
batch_shapes = st.tuples(st.integers(2, 6), st.integers(1, 4))


@st.composite
def layers(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, d = draw(batch_shapes)
    x = draw(arrays(np.float64, (m, d), elements=finite))
    gamma = draw(arrays(np.float64, (d,), elements=st.floats(-3, 3).filter(lambda v: abs(v) > 0.1)))
    beta = draw(arrays(np.float64, (d,), elements=finite))
    return x, gamma, beta


@settings(max_examples=150, deadline=None)
@given(layers())
def test_forward_output_has_mean_beta_and_std_abs_gamma(layer: tuple[np.ndarray, ...]) -> None:
    x, gamma, beta = layer
    if x.var(axis=0).min() < 0.1:  # eps (1e-5) is then below 0.01 % of the variance
        return
    before = x.copy()
    y, cache = bn.batchnorm_forward(x, gamma, beta, eps=1e-5)
    assert y.shape == x.shape and cache.mean.shape == cache.var.shape == gamma.shape
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-9)
    np.testing.assert_allclose(y.std(axis=0), np.abs(gamma), rtol=1e-3)
    np.testing.assert_array_equal(x, before)


def _rel_error(a: np.ndarray, b: np.ndarray, *, scale: float) -> float:
    """cs231n's relative error, with ``scale`` (the size of the terms that cancel) as its floor."""
    return float(np.max(np.abs(a - b)) / max(scale, float(np.max(np.abs(a) + np.abs(b)))))


def _numeric_gradient(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centered differences of sum(f(x) * dout), copying f's output before the next evaluation."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = float(np.sum((np.array(f(plus)) - np.array(f(minus))) * dout)) / (2 * h)
    return grad


@settings(max_examples=60, deadline=None)
@given(layers(), st.data())
def test_backward_matches_centered_differences(layer: tuple[np.ndarray, ...], data: st.DataObject) -> None:
    x, gamma, beta = layer
    if x.var(axis=0).min() < 0.1:
        return
    dy = data.draw(arrays(np.float64, x.shape, elements=finite))
    _, cache = bn.batchnorm_forward(x, gamma, beta, eps=1e-5)
    grads = bn.batchnorm_backward(dy, cache)
    assert grads.dx.shape == x.shape and grads.dgamma.shape == grads.dbeta.shape == gamma.shape
    numeric_dx = _numeric_gradient(lambda v: bn.batchnorm_forward(v, gamma, beta)[0], x, dy)
    numeric_dgamma = _numeric_gradient(lambda g: bn.batchnorm_forward(x, g, beta)[0], gamma, dy)
    numeric_dbeta = _numeric_gradient(lambda b: bn.batchnorm_forward(x, gamma, b)[0], beta, dy)
    # dx can cancel to almost nothing; relative to that, rounding in the differences would dominate:
    # sum(f(x ± h) * dy) carries about m·|dy|·|y|·ε of round-off, divided by 2h (dy = 1 everywhere gives
    # dx = 0 exactly, and differences of ~1e-10).
    y = bn.batchnorm_forward(x, gamma, beta)[0]
    roundoff = x.shape[0] * float(np.abs(dy).max() * np.abs(y).max()) * float(np.finfo(np.float64).eps) / 1e-5
    scale = max(1e-3 * float(np.abs(dy).max() * np.abs(gamma).max()), roundoff / GRADCHECK_REL_ERROR) + 1e-12
    assert _rel_error(grads.dx, numeric_dx, scale=scale) < GRADCHECK_REL_ERROR
    assert np.allclose(grads.dgamma, numeric_dgamma, rtol=1e-6, atol=1e-8)
    assert np.allclose(grads.dbeta, numeric_dbeta, rtol=1e-6, atol=1e-8)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4), batch_shapes, st.floats(0.05, 0.95), st.data())
def test_running_stats_properties(
    k: int, shape: tuple[int, int], momentum: float, data: st.DataObject
) -> None:
    m, d = shape
    batches = data.draw(arrays(np.float64, (k, m, d), elements=finite))
    stats = bn.running_stats(batches, momentum=momentum)
    assert stats.mean.shape == stats.var.shape == (d,)
    # momentum 1 keeps only the last batch's statistics (unbiased variance), momentum 0 the initial ones.
    last = bn.running_stats(batches, momentum=1.0)
    np.testing.assert_allclose(last.mean, batches[-1].mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(last.var, batches[-1].var(axis=0, ddof=1), rtol=1e-9, atol=1e-12)
    untouched = bn.running_stats(batches, momentum=0.0)
    np.testing.assert_array_equal(untouched.mean, np.zeros(d))
    np.testing.assert_array_equal(untouched.var, np.ones(d))


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4), batch_shapes, st.data())
def test_population_of_repeated_batch_is_its_unbiased_statistics(
    k: int, shape: tuple[int, int], data: st.DataObject
) -> None:
    batch = data.draw(arrays(np.float64, shape, elements=finite))
    stats = bn.population_stats(np.stack([batch] * k))
    np.testing.assert_allclose(stats.mean, batch.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(stats.var, batch.var(axis=0, ddof=1), rtol=1e-9, atol=1e-12)


def test_eval_mode_without_statistics_is_an_error() -> None:
    with pytest.raises(ValueError, match="eval mode"):
        bn.batchnorm_forward(np.ones((2, 2)), np.ones(2), np.zeros(2), mode="eval")


# --- misconceptions, each against an independent computation ---------------------------------------------


def _some_layers(count: int = 30) -> list[dict[str, object]]:
    return _questions("batchnorm.backward")[:count]


def test_misconception_unbiased_batch_variance_is_eval_mode_with_unbiased_stats() -> None:
    for inputs in _some_layers():
        x, gamma, beta, eps = bn._forward_inputs(inputs)
        y, cache = bn.misconception_unbiased_batch_variance(x, gamma, beta, eps=eps)
        tx = _t(x)
        torch_y = F.batch_norm(
            tx, tx.mean(0), tx.var(0, unbiased=True), _t(gamma), _t(beta), training=False, eps=eps
        )
        _close(y, torch_y)
        _close(cache.var, x.var(axis=0, ddof=1))


def test_misconception_no_square_root_divides_by_the_variance() -> None:
    for inputs in _some_layers():
        x, gamma, beta, eps = bn._forward_inputs(inputs)
        y, _ = bn.misconception_no_square_root(x, gamma, beta, eps=eps)
        _close(y, gamma * (x - x.mean(axis=0)) / (x.var(axis=0) + eps) + beta)


def test_misconception_forgot_scale_and_shift_is_the_affine_free_layer() -> None:
    for inputs in _some_layers():
        x, gamma, beta, eps = bn._forward_inputs(inputs)
        y, _ = bn.misconception_forgot_scale_and_shift(x, gamma, beta, eps=eps)
        layer = torch.nn.BatchNorm1d(x.shape[1], eps=eps, affine=False, dtype=DTYPE).train()
        _close(y, layer(_t(x)))


def _autograd_dx(inputs: dict[str, object], *, detach_mean: bool, detach_var: bool) -> torch.Tensor:
    x = _t(inputs["x"]).requires_grad_(True)
    gamma, beta, eps = _t(inputs["gamma"]), _t(inputs["beta"]), as_float(inputs["eps"])
    mean = x.mean(0).detach() if detach_mean else x.mean(0)
    var = ((x - mean) ** 2).mean(0)
    var = var.detach() if detach_var else var
    y = gamma * (x - mean) / torch.sqrt(var + eps) + beta
    y.backward(_t(inputs["dy"]))
    assert x.grad is not None
    return x.grad


@pytest.mark.parametrize(
    ("misconception", "detach_mean", "detach_var"),
    [
        (bn.misconception_dx_ignores_mean_path, True, False),
        (bn.misconception_dx_ignores_variance_path, False, True),
        (bn.misconception_stats_treated_as_constants, True, True),
    ],
)
def test_backward_misconceptions_are_autograd_with_detached_statistics(
    misconception: Callable[[np.ndarray, bn.BatchNormCache], bn.BatchNormGrads],
    detach_mean: bool,
    detach_var: bool,
) -> None:
    for inputs in _some_layers():
        dy, cache = bn._backward_inputs(inputs)
        grads = misconception(dy, cache)
        right = bn.batchnorm_backward(dy, cache)
        _close(grads.dx, _autograd_dx(inputs, detach_mean=detach_mean, detach_var=detach_var))
        _close(grads.dgamma, right.dgamma)
        _close(grads.dbeta, right.dbeta)


def _torch_running(batches: np.ndarray, momentum: float, *, start_var: float = 1.0) -> tuple[np.ndarray, ...]:
    layer = _module(batches.shape[2], momentum=momentum).train()
    layer.running_var.fill_(start_var)
    for batch in _t(batches):
        layer(batch)
    return layer.running_mean.numpy(), layer.running_var.numpy()


def test_running_stats_misconceptions() -> None:
    for inputs in _questions("batchnorm.running_stats")[:40]:
        batches, momentum = np.asarray(inputs["batches"]), as_float(inputs["momentum"])
        swapped = bn.misconception_momentum_swapped(batches, momentum=momentum)
        torch_swapped = _torch_running(batches, 1 - momentum)
        _close(swapped.mean, torch_swapped[0])
        _close(swapped.var, torch_swapped[1])
        from_zero = bn.misconception_running_var_starts_at_zero(batches, momentum=momentum)
        _close(from_zero.var, _torch_running(batches, momentum, start_var=0.0)[1])
        # Biased variance: the same recursion written out with np.var(ddof=0).
        biased = bn.misconception_biased_running_variance(batches, momentum=momentum)
        mean, var = np.zeros(2), np.ones(2)
        for batch in batches:
            mean = (1 - momentum) * mean + momentum * batch.mean(axis=0)
            var = (1 - momentum) * var + momentum * batch.var(axis=0)
        _close(biased.mean, mean)
        _close(biased.var, var)
        # Every batch has spread, so the biased estimate ends strictly below PyTorch's.
        assert np.all(biased.var < _torch_running(batches, momentum)[1])


def test_population_stats_misconceptions() -> None:
    for inputs in _questions("batchnorm.population_stats")[:40]:
        batches = np.asarray(inputs["batches"])
        tb = _t(batches)
        k, m, d = batches.shape
        biased = bn.misconception_biased_population_variance(batches)
        _close(biased.var, tb.var(dim=1, unbiased=False).mean(0))
        pooled = bn.misconception_pooled_variance(batches)
        _close(pooled.mean, tb.reshape(k * m, d).mean(0))
        _close(pooled.var, tb.reshape(k * m, d).var(0, unbiased=True))
        by_count = bn.misconception_correction_by_batch_count(batches)
        _close(by_count.var, tb.var(dim=1, unbiased=False).mean(0) * k / (k - 1))


# --- questions are hand-workable and their LaTeX renders -------------------------------------------------

GENERATOR_IDS = [
    "batchnorm.train_forward",
    "batchnorm.backward",
    "batchnorm.running_stats",
    "batchnorm.population_stats",
]


def _latex_snippets(text: str) -> list[str]:
    return re.findall(r"\$(.+?)\$", text)


@pytest.mark.parametrize("generator_id", GENERATOR_IDS)
def test_prompts_and_steps_convert_to_mathml(generator_id: str) -> None:
    generator = verifier.get(generator_id)
    for seed in range(10):
        question = generator.generate(seed)
        texts = [question.prompt] + [step.text for step in generator.explain(question.inputs)]
        snippets = [snippet for text in texts for snippet in _latex_snippets(text)]
        assert snippets
        for snippet in snippets:
            assert "<math" in latex2mathml.converter.convert(snippet), snippet
        for name in generator.answer_fields:
            assert f"`{name}`" in question.prompt


@pytest.mark.parametrize("generator_id", GENERATOR_IDS)
def test_inputs_are_on_the_tenth_grid(generator_id: str) -> None:
    generator = verifier.get(generator_id)
    for seed in range(50):
        inputs = generator.generate(seed).inputs
        for name, value in inputs.items():
            if name in ("eps", "momentum"):
                continue
            tenths = np.asarray(value) * 10
            np.testing.assert_allclose(tenths, np.round(tenths), atol=1e-9, err_msg=name)
