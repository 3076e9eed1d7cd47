"""The generator contract: sample inputs from a seed, solve, explain and grade.

A concept module subclasses :class:`Generator` once per catalog id and supplies ``sample``, ``prompt``,
``solve``, ``explain`` and its misconceptions. The base class owns what every generator must do the same
way: deterministic seeding, resampling until the right answer and every misconception's answer are far
apart, and grading (so no concept module writes a second grader).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue, JsonValue
from verifier.grading import FieldSpec, Grade, Misconception, all_separated, grade_submission
from verifier.jsonsafe import to_jsonable


class GenerationError(RuntimeError):
    """Raised when a generator finds no well-separated inputs within its sampling budget (a bug)."""


@dataclass(frozen=True, slots=True)
class Question:
    """One concrete question: which generator and seed made it, its inputs and its markdown prompt."""

    generator_id: str
    seed: int
    inputs: dict[str, InputValue]
    prompt: str

    def inputs_json(self) -> dict[str, JsonValue]:
        """The inputs as plain JSON values (what the service stores and sends)."""
        return {name: to_jsonable(value) for name, value in self.inputs.items()}


@dataclass(frozen=True, slots=True)
class Step:
    """One named intermediate value of a worked solution, with a short explanation (markdown)."""

    name: str
    text: str
    value: JsonValue = field(default=None)


def as_array(value: object) -> FloatArray:
    """Read an input that may be a NumPy array or a nested list (after a JSON round trip)."""
    return np.asarray(value, dtype=np.float64)


def as_float(value: object) -> float:
    """Read a scalar input (a Python or NumPy number, or a JSON number)."""
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def as_int(value: object) -> int:
    """Read an integer input; a JSON round trip may hand back ``3.0`` for ``3``."""
    number = as_float(value)
    if number != int(number):
        raise TypeError(f"expected a whole number, got {number}")
    return int(number)


class Generator(ABC):
    """Base class of every numeric question generator (one instance per catalog id)."""

    id: ClassVar[str]
    topic: ClassVar[str]
    title: ClassVar[str]
    answer_fields: ClassVar[Mapping[str, FieldSpec]]
    misconceptions: ClassVar[tuple[Misconception, ...]] = ()
    max_tries: ClassVar[int] = 200

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Draw candidate inputs: small, rounded, hand-workable."""

    @abstractmethod
    def prompt(self, inputs: Inputs) -> str:
        """The question text in markdown with LaTeX, stating the conventions used."""

    @abstractmethod
    def solve(self, inputs: Inputs) -> Answer:
        """The reference answer, one entry per answer field."""

    @abstractmethod
    def explain(self, inputs: Inputs) -> list[Step]:
        """The worked solution, from the same functions as ``solve``."""

    def acceptable(self, inputs: Inputs) -> bool:  # noqa: ARG002 - hook for subclasses
        """Extra conditions on a sample (no value on a kink, no tie); all samples pass by default."""
        return True

    def generate(self, seed: int) -> Question:
        """A question determined by ``seed`` alone, in any process.

        Samples are redrawn from the same seeded stream until the right answer and each misconception's
        answer are pairwise far apart, so every misconception can be told from the others.
        """
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        rng = np.random.default_rng(seed)
        for _ in range(self.max_tries):
            inputs = self.sample(rng)
            if not self.acceptable(inputs):
                continue
            answers = [self.solve(inputs)] + [
                m.answer(inputs) for m in self.misconceptions if m.applies_to(inputs)
            ]
            if all_separated(self.answer_fields, answers):
                return Question(generator_id=self.id, seed=seed, inputs=inputs, prompt=self.prompt(inputs))
        raise GenerationError(f"{self.id}: no well-separated inputs in {self.max_tries} draws (seed {seed})")

    def grade(self, inputs: Inputs, submission: object) -> Grade:
        """Grade ``submission``; raises AnswerFormatError for a malformed one and nothing else."""
        return grade_submission(
            self.answer_fields,
            inputs,
            submission,
            solve=self.solve,
            misconceptions=self.misconceptions,
        )
