"""dlquiz's verification engine: reference implementations, question generators and graders.

Pure NumPy, usable from a notebook: ``verifier.get("batchnorm.train_forward").generate(seed=1)``.
"""

from verifier import concepts as _concepts  # noqa: F401  (registers every generator)
from verifier.generator import GenerationError, Generator, Question, Step, as_array, as_float, as_int
from verifier.grading import (
    ATOL,
    RTOL,
    AnswerFormatError,
    FieldResult,
    FieldSpec,
    Grade,
    Misconception,
)
from verifier.jsonsafe import to_jsonable
from verifier.registry import UnknownGeneratorError, generators, get
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

__all__ = [
    "ATOL",
    "RTOL",
    "AnswerFormatError",
    "Calc",
    "FieldResult",
    "FieldSpec",
    "GenerationError",
    "Generator",
    "Grade",
    "Misconception",
    "Question",
    "Step",
    "StepGenerator",
    "StepGraph",
    "UnknownGeneratorError",
    "WrongStep",
    "as_array",
    "as_float",
    "as_int",
    "generators",
    "get",
    "to_jsonable",
]
