"""The generator contract: sample inputs from a seed, solve, explain and grade.

Every concept generator is a :class:`verifier.StepGenerator`: it supplies ``sample``, ``prompt`` and a
step graph, from which ``solve``, ``explain``, ``grade`` and the separation check come. This base class owns
what every generator must do the same way: deterministic seeding, resampling until each misconception can be
told from the right answer, the prompt's notes (precision, calculator, the whiteboard "you may use" table)."""

from __future__ import annotations

import math
import operator
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, TypeVar

import numpy as np

from verifier._types import Answer, FloatArray, Inputs, InputValue, JsonValue
from verifier.grading import INTEGER_NOTE, PRECISION_NOTE, FieldSpec, Grade
from verifier.jsonsafe import to_jsonable
from verifier.steps import WrongStep

KNOWN_FIGURES = 4  # a "you may use" value keeps one figure more than the answers are asked to
CALCULATOR_NOTE = "You may need a calculator for this question."
NO_CALCULATOR_NOTE = "No calculator needed: this can be worked by hand."
T = TypeVar("T")


class GenerationError(RuntimeError):
    """Raised when a generator finds no well-separated inputs within its sampling budget (a bug)."""


@dataclass(frozen=True, slots=True)
class Known:
    """A value a whiteboard question lets the candidate use: ``e^{1.2}`` ≈ 3.320 (LaTeX, value)."""

    expression: str
    value: float

    def text(self) -> str:
        """The entry as LaTeX: exact values with "=", rounded ones with "≈"."""
        text = f"{self.value:.{KNOWN_FIGURES}g}"
        sign = "=" if float(text) == self.value else r"\approx"
        return f"${self.expression} {sign} {text}$"


@dataclass(frozen=True, slots=True)
class Question:
    """One concrete question: which generator and seed made it, its inputs and its markdown prompt.

    ``calculator`` is the mode that made it (False: whiteboard mode, hand-workable numbers or a "you may
    use" table); ``needs_calculator`` what the prompt states about working it.
    """

    generator_id: str
    seed: int
    inputs: dict[str, InputValue]
    prompt: str
    calculator: bool = True
    needs_calculator: bool = True

    def inputs_json(self) -> dict[str, JsonValue]:
        """The inputs as plain JSON values (what the service stores and sends)."""
        return {name: to_jsonable(value) for name, value in self.inputs.items()}


@dataclass(frozen=True, slots=True)
class Step:
    """One named intermediate value of a worked solution, with a short explanation (markdown)."""

    name: str
    text: str
    value: JsonValue = field(default=None)


def may_use_table(known: Sequence[Known]) -> str:
    """The "you may use" table of a whiteboard question (empty text when it needs no values)."""
    if not known:
        return ""
    return "You may use: " + ", ".join(value.text() for value in known) + "."


def as_array(value: object) -> FloatArray:
    """Read an input that may be a NumPy array or a nested list (after a JSON round trip)."""
    return np.asarray(value, dtype=np.float64)


def as_float(value: object) -> float:
    """Read a scalar input (a Python or NumPy number, or a JSON number)."""
    kind = type(value)
    if kind is float:  # the usual cases first: inputs are read many times per question
        return value  # type: ignore[return-value]
    if kind is int:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


def as_int(value: object) -> int:
    """Read an integer input; a JSON round trip may hand back ``3.0`` for ``3``."""
    if type(value) is int:
        return value
    number = as_float(value)
    if number != int(number):
        raise TypeError(f"expected a whole number, got {number}")
    return int(number)


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One of ``options``, uniformly: the very draw ``rng.choice(options)`` makes (one bounded integer from
    the same stream, so the same questions), without turning the options into an array first, which costs
    more than the draw."""
    return options[int(rng.integers(len(options)))]


def picks(rng: np.random.Generator, options: FloatArray, size: int | tuple[int, ...]) -> FloatArray:
    """``size`` of ``options`` (an array), uniformly and with replacement: the very draws
    ``rng.choice(options, size=size)`` makes (bounded integers from the same stream, then an index), without
    its argument checks, which cost more than the draws."""
    result: FloatArray = options[rng.integers(0, len(options), size=size)]
    return result


def signed_tenths(
    rng: np.random.Generator, shape: tuple[int, ...], limit: int, *, low: int = 0
) -> FloatArray:
    """Multiples of 0.1 with magnitude between low/10 and limit/10 and random signs: the magnitudes in
    tenths (one bounded-integer draw), then one uniform draw per entry, negative below 0.5.

    Drawn flat and signed in plain Python: NumPy takes longer to read a shape, or to select and divide a
    few numbers, than to draw them."""
    size = math.prod(shape)
    magnitudes: list[int] = rng.integers(low, limit + 1, size=size).tolist()
    signs: list[float] = rng.random(size).tolist()
    tenths = [(-m if u < 0.5 else m) / 10.0 for m, u in zip(magnitudes, signs, strict=True)]
    result: FloatArray = np.array(tenths).reshape(shape)
    return result


# --- seeding ---------------------------------------------------------------------------------------------
# ``np.random.default_rng(seed)`` costs ~12 µs (a SeedSequence hashes the seed, then a new PCG64 is built),
# more than some generators need for a whole question. Each thread instead keeps one PCG64 and sets its
# 128-bit state from the seed through SplitMix64 (Steele et al. 2014, the mixer of Java's SplittableRandom
# and of xoshiro's seeding), ~3 µs in all; like default_rng it depends on nothing but the seed: the same
# question in any process, on any platform. The stream differs from default_rng(seed)'s.

_MASK64 = (1 << 64) - 1
_PCG64_INCREMENT = 0xDA3E39CB94B95BDB5851F42D4C957F2D  # any odd constant: the stream's fixed increment


def _splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class _ThreadRng(threading.local):
    def __init__(self) -> None:
        self.bit_generator = np.random.PCG64(0)
        self.generator = np.random.Generator(self.bit_generator)


_thread_rng = _ThreadRng()


def seeded_rng(seed: int) -> np.random.Generator:
    """A NumPy Generator whose stream is a function of the non-negative integer ``seed`` alone.

    The generator is this thread's, reset on every call: draw from it before the next ``seeded_rng`` call
    in the same thread (``generate`` does), and never keep it.
    """
    seed = operator.index(seed)
    word = _splitmix64(seed & _MASK64)
    for shift in range(64, seed.bit_length(), 64):  # seeds past 64 bits fold in their higher words
        word = _splitmix64(word ^ ((seed >> shift) & _MASK64))
    state = (word << 64) | _splitmix64(word ^ 0x5851F42D4C957F2D)
    local = _thread_rng
    local.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": state, "inc": _PCG64_INCREMENT},
        "has_uint32": 0,
        "uinteger": 0,
    }
    return local.generator


class Generator(ABC):
    """Base class of every numeric question generator (one instance per catalog id)."""

    id: ClassVar[str]
    topic: ClassVar[str]
    title: ClassVar[str]
    answer_fields: ClassVar[Mapping[str, FieldSpec]]
    misconceptions: ClassVar[Sequence[WrongStep]] = ()
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

    def generate(self, seed: int, *, calculator: bool = True) -> Question:
        """A question determined by ``seed`` and ``calculator`` alone, in any process.

        Samples are redrawn from the same seeded stream until the right answer and each misconception's
        answer are pairwise far apart, so every misconception can be told from the others. With
        ``calculator=False`` (whiteboard mode) the draws come from ``sample_by_hand`` and the prompt
        prints ``may_use``'s values; every prompt says whether the question needs a calculator.
        """
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        rng = seeded_rng(seed)
        draw = self.sample if calculator else self.sample_by_hand
        for _ in range(self.max_tries):
            inputs = draw(rng)
            if self.acceptable(inputs) and self.well_separated(inputs):
                notes = [self.prompt(inputs), self.precision_note(inputs)]
                if not calculator:
                    notes.append(may_use_table(self.may_use(inputs)))
                needs = self.needs_calculator(inputs, calculator=calculator)
                notes.append(CALCULATOR_NOTE if needs else NO_CALCULATOR_NOTE)
                return Question(
                    generator_id=self.id,
                    seed=seed,
                    inputs=inputs,
                    prompt="\n\n".join(note for note in notes if note),
                    calculator=calculator,
                    needs_calculator=needs,
                )
        raise GenerationError(f"{self.id}: no well-separated inputs in {self.max_tries} draws (seed {seed})")

    def sample_by_hand(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Whiteboard-mode draws: hand-workable numbers. By default the same draws as ``sample``."""
        return self.sample(rng)

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:  # noqa: ARG002 - generators declare theirs
        """The transcendental values a whiteboard question needs, printed in its "you may use" table."""
        return ()

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        """Whether working the question needs a calculator, in the mode that made it.

        By default: not when every answer is an integer, otherwise yes (a generator that draws
        hand-workable numbers or prints a "you may use" table in whiteboard mode says so by overriding).
        """
        return not self._integer_answers

    def precision_note(self, inputs: Inputs) -> str:  # noqa: ARG002 - the same for every question today
        """The precision the prompt asks for, which the tolerance honours (see ``verifier.grading.spec``)."""
        return INTEGER_NOTE if self._integer_answers else PRECISION_NOTE

    @cached_property
    def _integer_answers(self) -> bool:
        """Whether every answer field is an integer (read by every prompt: worked out once)."""
        return all(spec.dtype == "int" for spec in self.answer_fields.values())

    def hints(self, inputs: Inputs) -> tuple[str, ...]:  # noqa: ARG002 - step-graph generators override
        """The ordered hints (markdown) for a question; a generator without step declarations has none."""
        return ()

    @abstractmethod
    def well_separated(self, inputs: Inputs) -> bool:
        """Whether every applicable misconception's answer can be told from the right one (and graded as
        itself); ``generate`` redraws until it holds."""

    @abstractmethod
    def grade(self, inputs: Inputs, submission: object) -> Grade:
        """Grade ``submission``; raises AnswerFormatError for a malformed one and nothing else."""
