"""The grader's own machinery, on hand-made answers: the separation check and answers streamed as lists.

The contract tests (``test_generators.py``) exercise both through every generator; these pin the edge cases
with numbers chosen to sit just either side of a threshold.
"""

from __future__ import annotations

import numpy as np
import pytest

from verifier import FieldSpec, Misconception
from verifier._types import StreamAnswer
from verifier.grading import (
    _LAYOUTS,
    _MAX_LAYOUTS,
    SEPARATION,
    AnswerStream,
    SeparationCheck,
    flat_floats,
    grade_answers,
    separated,
)

FIELDS = {"v": FieldSpec(shape=(2,)), "n": FieldSpec(dtype="int"), "m": FieldSpec(shape=(2, 2))}
RIGHT: dict[str, object] = {"v": np.array([1.0, -2.0]), "n": 3, "m": np.array([[0.5, 1.0], [1.5, 2.0]])}


def _with(**changed: object) -> dict[str, object]:
    return {**RIGHT, **changed}


def test_separated_needs_more_than_separation_tolerances() -> None:
    limit = SEPARATION * (1e-6 + 1e-2 * 1.1)  # the threshold for an element near 1
    just_inside = _with(v=np.array([1.0 + 0.9 * limit, -2.0]))
    just_outside = _with(v=np.array([1.0 + 1.1 * limit, -2.0]))
    assert not separated(FIELDS, RIGHT, just_inside)
    assert separated(FIELDS, RIGHT, just_outside)


def test_an_integer_field_is_apart_as_soon_as_it_differs() -> None:
    assert separated(FIELDS, RIGHT, _with(n=4))
    assert not separated(FIELDS, RIGHT, _with(n=3.0))


def test_declared_changes_compare_only_those_fields_and_skip_disjoint_pairs() -> None:
    check = SeparationCheck(FIELDS)
    assert check.add(RIGHT, changes=())
    # Far from the right answer in `v`, which it declares.
    assert check.add(_with(v=np.array([5.0, -2.0])), changes=("v",))
    # Changes only `m`: disjoint from the one before, so apart from it without comparing.
    assert check.add(_with(m=np.array([[9.0, 1.0], [1.5, 2.0]])), changes=("m",))
    # Declares `v` but equals the right answer there: too close to the right answer.
    assert not check.add(_with(), changes=("v",))


def test_a_repeated_misconception_is_too_close_to_its_twin() -> None:
    check = SeparationCheck(FIELDS)
    twin = _with(v=np.array([5.0, -2.0]))
    assert check.add(RIGHT, changes=())
    assert check.add(twin, changes=("v",))
    assert not check.add(dict(twin), changes=("v", "m"))


def test_answers_streamed_as_lists_compare_like_arrays() -> None:
    as_lists: StreamAnswer = {"v": [1.0, -2.0], "n": 3, "m": [[0.5, 1.0], [1.5, 2.0]]}
    for name in FIELDS:
        assert flat_floats(as_lists[name]) == flat_floats(RIGHT[name])
    assert not separated(FIELDS, RIGHT, as_lists)
    assert separated(FIELDS, RIGHT, {**as_lists, "m": [[0.5, 1.0], [1.5, 3.0]]})


def _stream(right: StreamAnswer, wrong: StreamAnswer) -> AnswerStream:
    misconception = Misconception("t.wrong-m", "You changed m.", lambda _inputs: {}, changes=("m",))
    explaining = yield None, right
    if misconception.could_explain(explaining):
        yield misconception, wrong


@pytest.mark.parametrize("as_lists", [False, True], ids=["arrays", "lists"])
def test_grading_a_stream_of_lists_gives_the_grade_of_arrays(as_lists: bool) -> None:
    right: StreamAnswer = RIGHT
    wrong: StreamAnswer = _with(m=np.array([[0.5, 1.0], [1.5, 4.0]]))
    if as_lists:
        right = {name: np.asarray(value).tolist() for name, value in right.items()}
        wrong = {name: np.asarray(value).tolist() for name, value in wrong.items()}
    submission = {"v": [1.0, -2.0], "n": 3, "m": [[0.5, 1.0], [1.5, 4.0]]}
    grade = grade_answers(FIELDS, submission, _stream(right, wrong))
    assert not grade.correct and grade.misconception == "t.wrong-m"
    assert grade.fields["m"].expected == [[0.5, 1.0], [1.5, 2.0]] and grade.fields["m"].error == 2.0
    assert grade.fields["v"].correct and grade.fields["n"].expected == 3


def test_throwaway_field_mappings_do_not_pile_up() -> None:
    for _ in range(3 * _MAX_LAYOUTS):
        fields = {"x": FieldSpec()}  # a new mapping each time, as a test or a notebook might make
        assert separated(fields, {"x": 0.0}, {"x": 1.0})
    assert len(_LAYOUTS) <= _MAX_LAYOUTS
