"""Request and response shapes of the generator and question API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.json_types import INTEGRAL
from service.study.schemas import ReviewRead

JsonValue = Any  # JSON as produced by the verifier: numbers, strings, nested lists


class AnswerFieldRead(BaseModel):
    """One answer field: its shape (`[]` for a single number) and whether it takes floats or integers."""

    name: str
    shape: list[int]
    dtype: Literal["float", "int"]


class GeneratorRead(BaseModel):
    id: str = Field(examples=["batchnorm.train_forward"])
    topic: str = Field(description="The deck id this generator belongs to.")
    title: str
    answer_fields: list[AnswerFieldRead]
    misconceptions: list[str]


class GeneratorsPage(BaseModel):
    items: list[GeneratorRead]


class QuestionCreate(BaseModel):
    """Ask for a question; without a seed the server draws one."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON false is not the integer 0

    seed: Annotated[int, Field(ge=0, le=2**31 - 1), INTEGRAL] | None = None
    calculator: bool | None = Field(
        default=None,
        description="The mode to make the question in; omitted, the caller's `calculator` setting.",
    )


class Prompt(BaseModel):
    markdown: str
    html: str


class QuestionRead(BaseModel):
    id: str
    generator: GeneratorRead
    seed: int
    inputs: dict[str, JsonValue]
    prompt: Prompt
    calculator: bool = Field(description="The mode that made the question (false: whiteboard mode).")
    created_at: datetime
    attempts: int


class AnswerCreate(BaseModel):
    """An answer: every answer field mapped to a number or a nested list of numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON false is not the integer 0

    answer: dict[str, JsonValue] = Field(examples=[{"mean": [0.5, -1.0], "var": [1.25, 0.5]}])


class FieldResultRead(BaseModel):
    correct: bool
    expected: JsonValue
    got: JsonValue
    error: float


class GradeRead(BaseModel):
    correct: bool
    score: float = Field(ge=0, le=1)
    fields: dict[str, FieldResultRead]
    misconception: str | None
    feedback: str


class StepRead(BaseModel):
    name: str
    markdown: str
    html: str
    value: JsonValue


class AttemptRead(BaseModel):
    """A graded attempt and the worked solution, shown once an attempt has been graded.

    ``review`` is the review this attempt recorded: the first graded answer to a question that the
    study queue generated for a numeric card reviews that card; any other attempt records none.
    """

    question_id: str
    number: int
    grade: GradeRead
    solution: list[StepRead]
    created_at: datetime
    review: ReviewRead | None = None
