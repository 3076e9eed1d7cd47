"""The bad-input contract, for every generator: arbitrary JSON either grades or raises AnswerFormatError
with a short message naming the field; nothing else escapes ``grade``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier
from verifier import AnswerFormatError, Generator

GENERATORS = verifier.generators()
IDS = [g.id for g in GENERATORS]
MAX_MESSAGE = 300

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**5000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


def _grades_or_refuses(generator: Generator, inputs: dict[str, Any], submission: object) -> None:
    try:
        grade = generator.grade(inputs, submission)
    except AnswerFormatError as exc:
        assert len(str(exc)) <= MAX_MESSAGE
        return
    assert 0.0 <= grade.score <= 1.0 and isinstance(grade.feedback, str)


@pytest.mark.parametrize("generator", GENERATORS, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_arbitrary_json_grades_or_raises_answer_format_error(
    generator: Generator, data: st.DataObject
) -> None:
    inputs = json.loads(json.dumps(generator.generate(data.draw(st.integers(0, 50))).inputs_json()))
    right = verifier.to_jsonable(generator.solve(inputs))
    assert isinstance(right, dict)
    name = data.draw(st.sampled_from(sorted(generator.answer_fields)))
    value = data.draw(_json)
    try:
        generator.grade(inputs, {**right, name: value})
    except AnswerFormatError as exc:
        assert name in str(exc) and len(str(exc)) <= MAX_MESSAGE
    _grades_or_refuses(generator, inputs, data.draw(_json))


@pytest.mark.parametrize("generator", GENERATORS, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_any_finite_numbers_of_the_right_shape_grade(generator: Generator, data: st.DataObject) -> None:
    """Wild but well-formed values (huge, tiny, negative, zero) reach a grade: carried-forward steps that
    fail on them are simply unavailable."""
    inputs = json.loads(json.dumps(generator.generate(data.draw(st.integers(0, 50))).inputs_json()))
    submission: dict[str, object] = {}
    for name, spec in generator.answer_fields.items():
        size = int(np.prod(spec.shape)) if spec.shape else 1
        if spec.dtype == "int":
            entries: list[float] = data.draw(
                st.lists(st.integers(-(2**40), 2**40), min_size=size, max_size=size)
            )
        else:
            entries = data.draw(
                st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=size, max_size=size)
            )
        submission[name] = np.asarray(entries).reshape(spec.shape).tolist() if spec.shape else entries[0]
    grade = generator.grade(inputs, submission)
    assert 0.0 <= grade.score <= 1.0


@pytest.mark.parametrize(
    "bad",
    [10**5000, 10**400, 18.5, True, "3", None, float("nan"), float("-inf"), {"a": 1}, [1]],
    ids=["5000-digits", "past-float", "fraction", "bool", "string", "null", "nan", "-inf", "object", "list"],
)
def test_integer_field_refuses_bad_values_with_short_messages(bad: object) -> None:
    generator = verifier.get("init.fans")
    inputs = generator.generate(0).inputs
    right = verifier.to_jsonable(generator.solve(inputs))
    assert isinstance(right, dict)
    with pytest.raises(AnswerFormatError, match="fan_in") as caught:
        generator.grade(inputs, {**right, "fan_in": bad})
    assert len(str(caught.value)) <= MAX_MESSAGE


def test_unknown_field_names_are_quoted_short() -> None:
    generator = verifier.get("init.fans")
    inputs = generator.generate(0).inputs
    right = verifier.to_jsonable(generator.solve(inputs))
    assert isinstance(right, dict)
    with pytest.raises(AnswerFormatError) as caught:
        generator.grade(inputs, {**right, "x" * 10_000: 1, **{str(i): 1 for i in range(100)}})
    assert len(str(caught.value)) <= MAX_MESSAGE
