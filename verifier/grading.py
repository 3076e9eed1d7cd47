"""Checking a submitted answer: format validation, tolerance comparison and misconception matching.

The order follows PrairieLearn's split between ``parse`` and ``grade``: a submission that is not a
well-formed answer (missing field, wrong shape, NaN, a string) raises :class:`AnswerFormatError` and
costs the candidate nothing; only a well-formed answer is compared. A wrong answer is then compared with
the answer each known misconception produces on the same inputs, so feedback can name the wrong belief.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from verifier._types import Answer, AnswerValue, FloatArray, Inputs, JsonValue
from verifier.jsonsafe import to_jsonable

RTOL = 1e-2
ATOL = 1e-6
# A misconception (or the right answer) only counts as distinguishable from another when some element
# differs by this many tolerances, so a sloppy-but-right answer is never read as a misconception.
SEPARATION = 5.0


class AnswerFormatError(ValueError):
    """Raised when a submission is not a well-formed answer; the message names the field and the problem."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One answer field: its shape (``()`` for a scalar), its kind and the tolerance it is graded with."""

    shape: tuple[int, ...] = ()
    dtype: Literal["float", "int"] = "float"
    rtol: float = RTOL
    atol: float = ATOL


@dataclass(frozen=True, slots=True)
class FieldResult:
    """How one field of a submission compared with the expected value."""

    correct: bool
    expected: JsonValue
    got: JsonValue
    error: float  # the largest absolute deviation over the field's elements


@dataclass(frozen=True, slots=True)
class Grade:
    """The verdict on a well-formed submission; ``score`` is the share of fields that are right."""

    correct: bool
    score: float
    fields: Mapping[str, FieldResult]
    misconception: str | None
    feedback: str


@dataclass(frozen=True, slots=True)
class Misconception:
    """A known wrong computation: its id, the belief behind it and the answer it leads to.

    ``applies`` limits a misconception to the questions where it means something (Adam's bias
    correction only for Adam-family optimizers, sigmoid's derivative only for sigmoid).
    """

    id: str
    feedback: str
    answer: Callable[[Inputs], Answer]
    applies: Callable[[Inputs], bool] | None = None

    def applies_to(self, inputs: Inputs) -> bool:
        """Whether this wrong computation is defined for these inputs."""
        return self.applies is None or self.applies(inputs)


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a single number" if shape == () else f"shape {shape}"


def parse_field(name: str, value: object, spec: FieldSpec) -> FloatArray:
    """Turn one submitted value into a float array of the field's shape, or raise AnswerFormatError."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes | Mapping):
        raise AnswerFormatError(f"field '{name}': expected {_shape_text(spec.shape)}, got {value!r}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise AnswerFormatError(f"field '{name}': not a regular array of numbers ({exc})") from None
    if array.dtype.kind not in "iuf":
        raise AnswerFormatError(f"field '{name}': expected numbers only, got {value!r}")
    if array.shape != spec.shape:
        raise AnswerFormatError(
            f"field '{name}': expected {_shape_text(spec.shape)}, got shape {array.shape}"
        )
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise AnswerFormatError(f"field '{name}': contains NaN or infinity")
    return array


def parse_submission(fields: Mapping[str, FieldSpec], submission: object) -> dict[str, FloatArray]:
    """Validate a whole submission: exactly the generator's fields, each well-formed."""
    if not isinstance(submission, Mapping):
        raise AnswerFormatError("the submission must map each answer field to a number or a nested list")
    missing = [name for name in fields if name not in submission]
    if missing:
        raise AnswerFormatError(f"missing answer field(s): {', '.join(missing)}")
    unknown = [str(name) for name in submission if name not in fields]
    if unknown:
        raise AnswerFormatError(
            f"unknown answer field(s): {', '.join(unknown)} (expected: {', '.join(fields)})"
        )
    return {name: parse_field(name, submission[name], spec) for name, spec in fields.items()}


def compare_field(expected: AnswerValue, got: FloatArray, spec: FieldSpec) -> tuple[bool, float]:
    """Whether ``got`` matches ``expected`` within the field's tolerance, and the largest deviation.

    Float fields pass when ``|got - expected| <= atol + rtol*|expected|`` elementwise. Integer fields
    accept any float that is a whole number (``36.0`` is 36); a fractional value there is simply wrong.
    """
    exp = np.asarray(expected, dtype=np.float64)
    deviation = np.abs(got - exp)
    error = float(deviation.max()) if deviation.size else 0.0
    # ``.all()`` rather than ``np.all``: this runs for every field of every grade, and the function form
    # costs a few microseconds more per call.
    if spec.dtype == "int":
        return bool((got == np.round(got)).all() and (got == exp).all()), error
    return bool((deviation <= spec.atol + spec.rtol * np.abs(exp)).all()), error


def separated(fields: Mapping[str, FieldSpec], first: Answer, second: Answer) -> bool:
    """True when some element of some field differs by far more than that field's tolerance."""
    for name, spec in fields.items():
        a = np.asarray(first[name], dtype=np.float64)
        b = np.asarray(second[name], dtype=np.float64)
        if spec.dtype == "int":
            if np.any(a != b):
                return True
            continue
        slack = SEPARATION * (spec.atol + spec.rtol * np.maximum(np.abs(a), np.abs(b)))
        if np.any(np.abs(a - b) > slack):
            return True
    return False


def all_separated(fields: Mapping[str, FieldSpec], answers: Sequence[Answer]) -> bool:
    """True when every pair of answers (the right one and each misconception's) is distinguishable.

    The test of :func:`separated` for every pair at once: one broadcast per field instead of a loop over
    the n(n-1)/2 pairs, because ``generate`` runs it on every draw.
    """
    n = len(answers)
    if n < 2:
        return True
    apart = np.zeros((n, n), dtype=bool)
    for name, spec in fields.items():
        values = np.array([answer[name] for answer in answers], dtype=np.float64).reshape(n, -1)
        if spec.dtype == "int":
            differs = values[:, None, :] != values[None, :, :]
        else:
            magnitude = np.abs(values)
            slack = SEPARATION * (
                spec.atol + spec.rtol * np.maximum(magnitude[:, None, :], magnitude[None, :, :])
            )
            differs = np.abs(values[:, None, :] - values[None, :, :]) > slack
        apart |= differs.any(axis=2)
    return int(apart.sum()) == n * (n - 1)


def _feedback_for_wrong(wrong: Sequence[str]) -> str:
    names = ", ".join(f"'{name}'" for name in wrong)
    return f"Not quite: {names} {'is' if len(wrong) == 1 else 'are'} off. Compare with the worked solution."


def grade_submission(
    fields: Mapping[str, FieldSpec],
    inputs: Inputs,
    submission: object,
    *,
    solve: Callable[[Inputs], Answer],
    misconceptions: Sequence[Misconception] = (),
) -> Grade:
    """Grade a submission against ``solve(inputs)``, naming the first misconception that explains it.

    A misconception matches when every field the candidate got wrong agrees with that misconception's
    answer: the wrong step carried through, with the fields it does not touch right. One that agrees on
    every field is preferred over an earlier one that agrees only on the wrong fields: two misconceptions
    may coincide on the one field where a submission is wrong, and ``generate`` only keeps their whole
    answers apart.
    """
    got = parse_submission(fields, submission)
    expected = solve(inputs)
    results: dict[str, FieldResult] = {}
    wrong: list[str] = []
    for name, spec in fields.items():
        ok, error = compare_field(expected[name], got[name], spec)
        results[name] = FieldResult(
            correct=ok, expected=to_jsonable(expected[name]), got=to_jsonable(got[name]), error=error
        )
        if not ok:
            wrong.append(name)
    score = (len(fields) - len(wrong)) / len(fields) if fields else 1.0
    if not wrong:
        return Grade(correct=True, score=1.0, fields=results, misconception=None, feedback="Correct.")
    right = [name for name in fields if name not in wrong]
    named: Misconception | None = None
    for misconception in misconceptions:
        if not misconception.applies_to(inputs):
            continue
        answer = misconception.answer(inputs)
        if not all(compare_field(answer[name], got[name], fields[name])[0] for name in wrong):
            continue
        if all(compare_field(answer[name], got[name], fields[name])[0] for name in right):
            named = misconception  # explains the whole submission: no better match exists
            break
        if named is None:
            named = misconception  # explains the wrong fields; a later one may explain everything
    if named is not None:
        return Grade(
            correct=False, score=score, fields=results, misconception=named.id, feedback=named.feedback
        )
    return Grade(
        correct=False, score=score, fields=results, misconception=None, feedback=_feedback_for_wrong(wrong)
    )
