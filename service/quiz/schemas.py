"""Request and response shapes of the generator and question API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


class HintRead(BaseModel):
    """One revealed hint (hints come in order; ``number`` counts from 1)."""

    number: int = Field(ge=1)
    markdown: str
    html: str


class HintsRead(BaseModel):
    """The hints of a question revealed so far, and how many it has in all."""

    question_id: str
    hints: list[HintRead]
    total: int = Field(description="How many hints the question has; 0 for a generator without hints.")


class QuestionRead(BaseModel):
    id: str
    generator: GeneratorRead
    seed: int
    inputs: dict[str, JsonValue]
    prompt: Prompt
    calculator: bool = Field(description="The mode that made the question (false: whiteboard mode).")
    created_at: datetime
    attempts: int
    precision_note: str = Field(
        default="", description="The precision the grader honours (also the prompt's last paragraph)."
    )
    hints: list[HintRead] = Field(default_factory=list, description="The hints revealed so far, in order.")
    hints_total: int = Field(default=0, description="How many hints the question has in all.")


class AnswerCreate(BaseModel):
    """An answer: every answer field mapped to a number or a nested list of numbers."""

    model_config = ConfigDict(extra="forbid", strict=True)  # JSON false is not the integer 0

    answer: dict[str, JsonValue] = Field(examples=[{"mean": [0.5, -1.0], "var": [1.25, 0.5]}])


FieldStatus = Literal["right", "right_given_your_values", "wrong"]


class FieldResultRead(BaseModel):
    """One field's verdict. ``correct`` is ``status != "wrong"`` (kept for older clients);
    ``right_given_your_values`` means right when computed from the candidate's own earlier fields."""

    correct: bool
    expected: JsonValue
    got: JsonValue
    error: float
    status: FieldStatus = "right"
    credit: float = Field(default=1.0, ge=0, le=1, description="The share of the field's entries accepted.")
    entries: int = Field(default=1, ge=1, description="How many entries the field has.")
    entries_right: int = Field(default=1, ge=0, description="How many of them were accepted.")


class GradeRead(BaseModel):
    correct: bool
    score: float = Field(ge=0, le=1)
    fields: dict[str, FieldResultRead]
    misconception: str | None
    feedback: str
    first_departure: str | None = Field(
        default=None, description="The first wrong answer field, in the order of the worked solution."
    )


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


# --- problem reports -------------------------------------------------------------------------------

REPORT_MAX_LENGTH = 1000

# Not stripped before the length check, so the published schema tells the whole rule: 3 to 1,000
# characters, at least one of them not blank. The service stores the text stripped.
ReportText = Annotated[str, StringConstraints(min_length=3, max_length=REPORT_MAX_LENGTH, pattern=r"\S")]


class ReportCreate(BaseModel):
    """What the candidate says is wrong with a question, in a few words."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: ReportText = Field(examples=["The worked solution uses a different epsilon than the prompt."])


class ReportRead(BaseModel):
    """A stored report with what reproduces the question: generator, seed, inputs, last submission."""

    id: int
    question_id: str
    username: str
    generator_id: str
    seed: int
    inputs: dict[str, JsonValue]
    attempt_number: int | None = Field(description="The attempt whose submission is kept; null if none.")
    submission: dict[str, JsonValue] | None
    text: str
    created_at: datetime


class ReportsPage(BaseModel):
    items: list[ReportRead]
