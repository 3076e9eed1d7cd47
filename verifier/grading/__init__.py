"""Grading: format validation (``parse``), the precision rule (``spec``), step-graph grading with error
carried forward (``carried``) and the first whole-answer grader (``legacy``) for unported generators."""

from verifier.grading.legacy import (
    _LAYOUTS,
    _MAX_LAYOUTS,
    SEPARATION,
    AnswerStream,
    FieldResult,
    Grade,
    Misconception,
    SeparationCheck,
    all_separated,
    compare_field,
    flat_floats,
    grade_answers,
    grade_submission,
    misconception_stream,
    separated,
)
from verifier.grading.parse import AnswerFormatError, parse_field, parse_submission
from verifier.grading.spec import ATOL, INTEGER_NOTE, PRECISION_NOTE, RTOL, FieldSpec, matches, tolerances

__all__ = [
    "ATOL",
    "INTEGER_NOTE",
    "PRECISION_NOTE",
    "RTOL",
    "SEPARATION",
    "_LAYOUTS",
    "_MAX_LAYOUTS",
    "AnswerFormatError",
    "AnswerStream",
    "FieldResult",
    "FieldSpec",
    "Grade",
    "Misconception",
    "SeparationCheck",
    "all_separated",
    "compare_field",
    "flat_floats",
    "grade_answers",
    "grade_submission",
    "matches",
    "misconception_stream",
    "parse_field",
    "parse_submission",
    "separated",
    "tolerances",
]
