"""dlquiz's verification engine: reference implementations, question generators and graders.

Pure NumPy, usable from a notebook: ``verifier.get("batchnorm.train_forward").generate(seed=1)``.
"""

from verifier import concepts as _concepts  # noqa: F401  (registers every generator)
from verifier.generator import GenerationError, Generator, Known, Question, Step, as_array, as_float, as_int
from verifier.grading import ATOL, RTOL, AnswerFormatError, FieldResult, FieldSpec, Grade
from verifier.jsonsafe import to_jsonable
from verifier.registry import UnknownGeneratorError, generators, get
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, WrongStep

# The public name of a generator's misconceptions (``.id``, ``.feedback``, ``.answer(inputs)``): each is a
# wrong version of one step of its generator's graph.
Misconception = WrongStep

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
    "Known",
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
