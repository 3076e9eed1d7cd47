"""Grading: format validation (``parse``), the precision rule (``spec``), what a grade holds (``result``),
step-graph grading with error carried forward (``carried``) and the separation check that ``generate``
redraws until it holds (``separation``)."""

from verifier.grading.parse import AnswerFormatError, parse_field, parse_submission
from verifier.grading.result import FieldResult, Grade, flat_floats
from verifier.grading.spec import ATOL, INTEGER_NOTE, PRECISION_NOTE, RTOL, FieldSpec, matches, tolerances

__all__ = [
    "ATOL",
    "INTEGER_NOTE",
    "PRECISION_NOTE",
    "RTOL",
    "AnswerFormatError",
    "FieldResult",
    "FieldSpec",
    "Grade",
    "flat_floats",
    "matches",
    "parse_field",
    "parse_submission",
    "tolerances",
]
