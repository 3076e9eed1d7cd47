"""Typed answers by the field's shape and dtype, and what a malformed one is told."""

from __future__ import annotations

import pytest

from service.tui.answers import AnswerField, EntryError, parse

SCALAR = AnswerField("loss", (), "float")
COUNT = AnswerField("count", (), "int")
VECTOR = AnswerField("mean", (3,), "float")
MATRIX = AnswerField("dx", (2, 2), "float")


def test_shapes() -> None:
    assert parse(" -0.5 ", SCALAR) == -0.5
    assert parse("\u22121e-3", SCALAR) == -0.001
    assert parse("7", COUNT) == 7
    assert parse("1, 2 3", VECTOR) == [1.0, 2.0, 3.0]
    assert parse("1 2; 3,4", MATRIX) == [[1.0, 2.0], [3.0, 4.0]]
    assert parse("[[1, 2], [3, 4]]", MATRIX) == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("", SCALAR, "enter a number"),
        ("abc", SCALAR, '"abc" is not a number'),
        ("2.5", COUNT, '"2.5" is not a whole number'),
        ("1 2", VECTOR, "expected 3 values, got 2"),
        ("1 2 3", MATRIX, "expected 2 rows separated by ;, got 1"),
        ("1 2; 3", MATRIX, "row 2: expected 2 values, got 1"),
        ("[1, 2]", MATRIX, "expected a list of 2"),
        ("[[1, true], [3, 4]]", MATRIX, "expected a number, got true"),
        ("[1,", VECTOR, "not a valid JSON list"),
    ],
)
def test_malformed_answers_say_what_is_wrong(text: str, field: AnswerField, message: str) -> None:
    with pytest.raises(EntryError, match=message):
        parse(text, field)


def test_describe() -> None:
    assert [f.describe() for f in (SCALAR, COUNT, VECTOR, MATRIX)] == [
        "a number",
        "a whole number",
        "3 values",
        "a 2 × 2 matrix (rows separated by ;)",
    ]
