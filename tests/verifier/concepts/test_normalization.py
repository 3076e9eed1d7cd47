"""Input standardization checked against torch.mean / torch.std(unbiased=False), plus properties and each
misconception."""

from __future__ import annotations

import re

import latex2mathml.converter
import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import verifier
from verifier.concepts import normalization as nz

SEEDS = range(200)
RTOL = 1e-6
DTYPE = torch.float64
GENERATOR = verifier.get("normalization.standardize")


def _t(value: object) -> torch.Tensor:
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=DTYPE)


def _close(actual: object, expected: torch.Tensor | np.ndarray) -> None:
    wanted = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    np.testing.assert_allclose(np.asarray(actual), wanted, rtol=RTOL, atol=1e-12)


def _questions() -> list[dict[str, object]]:
    return [dict(GENERATOR.generate(seed).inputs) for seed in SEEDS]


def test_standardize_matches_torch() -> None:
    for inputs in _questions():
        answer = GENERATOR.solve(inputs)
        train, test = _t(inputs["train"]), _t(inputs["test"])
        mean, std = torch.mean(train, dim=0), torch.std(train, dim=0, unbiased=False)
        _close(answer["mean"], mean)
        _close(answer["std"], std)
        _close(answer["test_standardized"], (test - mean) / std)


def test_standardized_training_set_has_zero_mean_and_unit_std() -> None:
    for inputs in _questions()[:50]:
        train = np.asarray(inputs["train"])
        z = _t(nz.standardize(train, nz.fit_standardizer(train)))
        _close(torch.std(z, dim=0, unbiased=False), np.ones(train.shape[1]))
        np.testing.assert_allclose(torch.mean(z, dim=0).numpy(), 0.0, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.tuples(st.integers(2, 6), st.integers(1, 4)), st.integers(1, 4), st.data())
def test_shapes_and_no_mutation(shape: tuple[int, int], rows: int, data: st.DataObject) -> None:
    values = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
    train = data.draw(arrays(np.float64, shape, elements=values))
    test = data.draw(arrays(np.float64, (rows, shape[1]), elements=values))
    if train.std(axis=0).min() < 1e-3:
        return
    before = (train.copy(), test.copy())
    scaler, z = nz.standardize_split(train, test)
    assert scaler.mean.shape == scaler.std.shape == (shape[1],) and z.shape == test.shape
    # standardizing is affine: undoing it gives the test set back
    np.testing.assert_allclose(z * scaler.std + scaler.mean, test, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(train, before[0])
    np.testing.assert_array_equal(test, before[1])


def test_misconceptions_against_torch() -> None:
    for inputs in _questions()[:60]:
        train_np, test_np = np.asarray(inputs["train"]), np.asarray(inputs["test"])
        train, test = _t(train_np), _t(test_np)
        mean = train.mean(0)

        own_scaler, own = nz.misconception_test_own_statistics(train_np, test_np)
        _close(own, (test - test.mean(0)) / torch.std(test, dim=0, unbiased=False))
        _close(own_scaler.mean, mean)

        sample_scaler, sample = nz.misconception_sample_std(train_np, test_np)
        _close(sample_scaler.std, torch.std(train, dim=0, unbiased=True))
        _close(sample, (test - mean) / torch.std(train, dim=0, unbiased=True))

        var_scaler, by_var = nz.misconception_divided_by_variance(train_np, test_np)
        _close(var_scaler.std, torch.std(train, dim=0, unbiased=False))
        _close(by_var, (test - mean) / torch.var(train, dim=0, unbiased=False))


def test_prompts_and_steps_convert_to_mathml() -> None:
    for seed in range(10):
        question = GENERATOR.generate(seed)
        texts = [question.prompt] + [step.text for step in GENERATOR.explain(question.inputs)]
        snippets = [snippet for text in texts for snippet in re.findall(r"\$(.+?)\$", text)]
        assert snippets
        for snippet in snippets:
            assert "<math" in latex2mathml.converter.convert(snippet), snippet
        for name in GENERATOR.answer_fields:
            assert f"`{name}`" in question.prompt


def test_inputs_are_on_the_tenth_grid_with_spread() -> None:
    for inputs in _questions():
        for name in ("train", "test"):
            tenths = np.asarray(inputs[name]) * 10
            np.testing.assert_allclose(tenths, np.round(tenths), atol=1e-9)
            assert np.asarray(inputs[name]).std(axis=0).min() >= nz.MIN_STD
