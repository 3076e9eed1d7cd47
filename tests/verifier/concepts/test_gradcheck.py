"""Centered differences and the relative error, checked against PyTorch autograd and known derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable

import hypothesis.strategies as st
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis.extra.numpy import arrays

from verifier._types import FloatArray
from verifier.gradcheck import (
    DEFAULT_H,
    REL_ERROR_TOL,
    numerical_gradient,
    numerical_gradient_array,
    relative_error,
)

# No subnormals: autograd's prod backward divides the product by the element, and for x = 5e-324 that
# product has already rounded to the same subnormal, so torch's own gradient is off by tens of percent.
ELEMENTS = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
MILLIS = st.integers(-2000, 2000).map(lambda k: k / 1000)  # no subnormals to underflow when scaled
SHAPES = st.sampled_from([(1,), (3,), (2, 3), (2, 2, 2)])


def _torch_grad(f: Callable[[torch.Tensor], torch.Tensor], x: FloatArray) -> FloatArray:
    """d f(x) / dx by autograd, for a torch function returning a scalar."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    f(t).backward()
    assert t.grad is not None
    grad: FloatArray = t.grad.numpy()
    return grad


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, SHAPES, elements=ELEMENTS))
def test_numerical_gradient_matches_autograd(x: FloatArray) -> None:
    # The exp term keeps the gradient's norm away from 0, where any relative error is only round-off.
    expected = _torch_grad(lambda t: (torch.exp(t) + torch.sin(t) * t**2).sum() + torch.tanh(t).prod(), x)
    got = numerical_gradient(lambda v: float((np.exp(v) + np.sin(v) * v**2).sum() + np.tanh(v).prod()), x)
    assert got.shape == x.shape
    assert relative_error(expected, got) < REL_ERROR_TOL


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (3,), elements=ELEMENTS), arrays(np.float64, (2,), elements=ELEMENTS))
def test_numerical_gradient_array_is_a_vector_jacobian_product(x: FloatArray, dout: FloatArray) -> None:
    w = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    tw = torch.tensor(w, dtype=torch.float64)
    tdout = torch.tensor(dout, dtype=torch.float64)
    expected = _torch_grad(lambda t: (torch.tanh(tw @ t) * tdout).sum(), x)
    got = numerical_gradient_array(lambda v: np.tanh(w @ v), x, dout)
    assert got.shape == x.shape
    assert np.allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_inputs_are_not_mutated() -> None:
    x = np.array([0.3, -1.2, 2.0])
    dout = np.array([1.0, -2.0, 0.5])
    before_x, before_dout = x.copy(), dout.copy()
    numerical_gradient(lambda v: float(v @ v), x)
    numerical_gradient_array(lambda v: v * v, x, dout)
    assert np.array_equal(x, before_x) and np.array_equal(dout, before_dout)


def test_output_is_copied_before_differencing() -> None:
    """A function that returns a view of a buffer it overwrites (as in-place NumPy code does)."""
    buffer = np.zeros(2)

    def f(v: FloatArray) -> FloatArray:
        np.multiply(v, v, out=buffer)  # f(v) = v², written into the same buffer every call
        return buffer

    x, dout = np.array([1.5, -0.5]), np.ones(2)
    got = numerical_gradient_array(f, x, dout)
    assert np.allclose(got, 2 * x, rtol=1e-8)

    # Without the copy, the "plus" and "minus" results are the same array and the difference is 0:
    # this is the failure the copy prevents.
    point = x.copy()
    point[0] += DEFAULT_H
    plus = f(point)
    point[0] -= 2 * DEFAULT_H
    minus = f(point)
    assert float((plus - minus)[0]) == 0.0


def test_centered_difference_error_is_second_order() -> None:
    """For x³ at 1 the centered error is exactly h² (the content card's example); one-sided is O(h)."""
    x = np.array([1.0])
    for h in (0.1, 0.01):
        got = float(numerical_gradient(lambda v: float(v[0] ** 3), x, h=h)[0])
        assert got - 3.0 == pytest.approx(h * h, rel=1e-6)
    one_sided = ((1.0 + 0.01) ** 3 - 1.0) / 0.01
    assert one_sided - 3.0 > 100 * (0.01**2)


def test_relative_error_for_scalars_is_the_textbook_formula() -> None:
    assert relative_error(3.0, 3.01) == pytest.approx(0.01 / 3.01)
    assert relative_error(-2.0, 1.0) == pytest.approx(3.0 / 2.0)
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    arrays(np.float64, (4,), elements=MILLIS),
    arrays(np.float64, (4,), elements=MILLIS),
    st.floats(1e-3, 1e3),
)
def test_relative_error_is_symmetric_scale_free_and_matches_torch(
    a: FloatArray, n: FloatArray, scale: float
) -> None:
    error = relative_error(a, n)
    ta, tn = torch.tensor(a), torch.tensor(n)
    denominator = max(float(torch.linalg.norm(ta)), float(torch.linalg.norm(tn)))
    expected = 0.0 if denominator == 0.0 else float(torch.linalg.norm(ta - tn)) / denominator
    assert error == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert error == pytest.approx(relative_error(n, a), rel=1e-12, abs=1e-15)
    assert relative_error(scale * a, scale * n) == pytest.approx(error, rel=1e-9, abs=1e-12)
    assert 0.0 <= error <= 2.0


def test_a_wrong_gradient_fails_the_check() -> None:
    x = np.array([0.4, -0.8, 1.1])
    numerical = numerical_gradient(lambda v: float(np.sum(np.exp(v))), x)
    assert relative_error(np.exp(x), numerical) < REL_ERROR_TOL
    assert relative_error(np.exp(x) * 1.001, numerical) > REL_ERROR_TOL
    assert math.isclose(REL_ERROR_TOL, 1e-7)
