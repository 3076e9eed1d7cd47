"""The first grader: whole-answer misconception matching for generators not yet declared as step graphs.

Generators ported to :mod:`verifier.steps` grade with :mod:`verifier.grading.carried` instead (error
carried forward, misconceptions named at their root step); this module goes once every generator is ported.

The order follows PrairieLearn's split between ``parse`` and ``grade``: a submission that is not a
well-formed answer (missing field, wrong shape, NaN, a string) raises :class:`AnswerFormatError` and
costs the candidate nothing; only a well-formed answer is compared. A wrong answer is then compared with
the answer each known misconception produces on the same inputs, so feedback can name the wrong belief.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, cast

import numpy as np

from verifier._types import Answer, AnswerValue, FloatArray, Inputs, JsonValue, StreamAnswer
from verifier.grading.parse import parse_submission
from verifier.grading.spec import FieldSpec
from verifier.jsonsafe import to_jsonable

# A misconception (or the right answer) only counts as distinguishable from another when some element
# differs by this many tolerances, so a sloppy-but-right answer is never read as a misconception.
SEPARATION = 5.0


class FieldResult(NamedTuple):
    """How one field of a submission compared with the expected value.

    ``status`` is "right", "right_given_your_values" (right when computed from the candidate's own earlier
    fields: error carried forward) or "wrong"; ``credit`` is the share of its entries accepted.
    """

    correct: bool
    expected: JsonValue
    got: JsonValue
    error: float  # the largest absolute deviation from the reference over the field's entries
    status: str = "right"
    credit: float = 1.0


class Grade(NamedTuple):
    """The verdict on a well-formed submission.

    ``score`` weighs each field's share of accepted entries by its weight (its size unless declared);
    ``first_departure`` is the first answer field, in the order of the worked solution, that is wrong.
    """

    correct: bool
    score: float
    fields: Mapping[str, FieldResult]
    misconception: str | None
    feedback: str
    first_departure: str | None = None


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
    # The answer fields this wrong step changes; every other field is exactly the right answer's (a
    # contract test checks it). None: it may change any field.
    changes: tuple[str, ...] | None = None

    def applies_to(self, inputs: Inputs) -> bool:
        """Whether this wrong computation is defined for these inputs."""
        return self.applies is None or self.applies(inputs)

    def could_explain(self, wrong: Collection[str] | None) -> bool:
        """Whether a submission wrong in the fields ``wrong`` could be this misconception (None: any).

        A field outside ``changes`` is exactly the right answer's, so a submission wrong there is not it.
        """
        changes = self.changes
        return wrong is None or changes is None or all(map(changes.__contains__, wrong))


def flat_floats(value: object) -> list[float]:
    """An answer value (float, int, array or nested list) as a flat list of Python floats, to read only."""
    kind = type(value)
    if kind is np.ndarray:  # the usual case first: one type check per value
        array: FloatArray = value  # type: ignore[assignment]
        if array.dtype != np.float64:
            array = array.astype(np.float64)
        flat: list[float] = (array if array.ndim == 1 else array.ravel()).tolist()
        return flat
    if kind is float:
        return [value]  # type: ignore[list-item]
    if isinstance(value, float | int):
        return [float(value)]
    if kind is list:  # a vector or matrix of floats, as an answer stream may carry it (see StreamAnswer)
        items: list[float] | list[list[float]] = value  # type: ignore[assignment]
        if items and type(items[0]) is list:
            return [item for row in items for item in row]
        return items  # type: ignore[return-value]  # not copied: callers only read it
    flat = np.asarray(value, dtype=np.float64).ravel().tolist()
    return flat


def _compare_flat(expected: list[float], got: list[float], spec: FieldSpec) -> tuple[bool, float]:
    """:func:`compare_field` on flat lists of floats of the same length."""
    if got == expected and spec.dtype == "float":  # a field copied from the answer: nothing to measure
        return True, 0.0
    error = 0.0
    ok = True
    if spec.dtype == "int":
        for g, e in zip(got, expected, strict=True):
            deviation = abs(g - e)
            if deviation > error:
                error = deviation
            if g != e or not g.is_integer():
                ok = False
        return ok, error
    atol, rtol = spec.atol, spec.rtol
    for g, e in zip(got, expected, strict=True):
        deviation = abs(g - e)
        if deviation > error:
            error = deviation
        if not deviation <= atol + rtol * abs(e):
            ok = False
    return ok, error


def compare_field(expected: AnswerValue, got: FloatArray, spec: FieldSpec) -> tuple[bool, float]:
    """Whether ``got`` matches ``expected`` within the field's tolerance, and the largest deviation.

    Float fields pass when ``|got - expected| <= atol + rtol*|expected|`` elementwise. Integer fields
    accept any float that is a whole number (``36.0`` is 36); a fractional value there is simply wrong.
    """
    exp = np.asarray(expected, dtype=np.float64)
    deviation = np.abs(got - exp)
    error = float(deviation.max()) if deviation.size else 0.0
    # ``.all()`` rather than ``np.all``: the function form costs a few microseconds more per call.
    if spec.dtype == "int":
        return bool((got == np.round(got)).all() and (got == exp).all()), error
    return bool((deviation <= spec.atol + spec.rtol * np.abs(exp)).all()), error


class _Layout:
    """What a separation check needs to know of a generator's answer fields, worked out once per mapping."""

    __slots__ = ("all_indices", "fields", "index", "names", "tolerances", "_changes")

    def __init__(self, fields: Mapping[str, FieldSpec]) -> None:
        self.fields = fields  # held so that its id() is not reused while this layout is cached
        self.names = tuple(fields)
        # (name, atol, rtol, exact, scalar) per field
        self.tolerances = tuple(
            (name, spec.atol, spec.rtol, spec.dtype == "int", spec.shape == ())
            for name, spec in fields.items()
        )
        self.index = {name: index for index, name in enumerate(fields)}
        self.all_indices = tuple(range(len(fields)))
        self._changes: dict[tuple[str, ...], tuple[tuple[int, ...], frozenset[int]]] = {}

    def changed(self, changes: Collection[str]) -> tuple[tuple[int, ...], frozenset[int]]:
        """The indices of the fields named in ``changes``, in order and as a set."""
        key = tuple(changes)
        found = self._changes.get(key)
        if found is None:
            indices = tuple(self.index[name] for name in key)
            found = self._changes[key] = (indices, frozenset(indices))
        return found


_LAYOUTS: dict[int, _Layout] = {}
_MAX_LAYOUTS = 256  # generators hold one mapping each; throwaway mappings (tests) must not pile up


def _layout(fields: Mapping[str, FieldSpec]) -> _Layout:
    """The layout of ``fields``; generators pass the same class-level mapping on every call."""
    layout = _LAYOUTS.get(id(fields))
    if layout is None or layout.fields is not fields:
        if len(_LAYOUTS) >= _MAX_LAYOUTS:
            _LAYOUTS.clear()
        layout = _LAYOUTS[id(fields)] = _Layout(fields)
    return layout


# An answer recorded by SeparationCheck: its field values, their flattened floats (filled in when first
# compared), the indices of the fields in which it may differ from the right answer, and those indices as
# a set when they are declared (a misconception's ``changes``), None when they are simply every field.
_Recorded = tuple[list[object], list[list[float] | None], tuple[int, ...], frozenset[int] | None]


class SeparationCheck:
    """Adds answers one at a time and says whether each is distinguishable from all earlier ones.

    ``generate`` feeds it the right answer and then each misconception's, so a draw where two answers
    coincide is rejected before the remaining misconceptions are computed. Two answers are told apart
    field by field, only in the fields either may change (a misconception's ``changes``), skipping a field
    that holds the very same object in both; an array field is flattened to floats at most once.
    """

    __slots__ = ("_layout", "_seen")

    def __init__(self, fields: Mapping[str, FieldSpec]) -> None:
        self._layout = _layout(fields)
        self._seen: list[_Recorded] = []

    def add(self, answer: StreamAnswer, *, changes: Collection[str] | None = None) -> bool:
        """Record ``answer``; False when it is too close to an answer added before.

        ``changes``: the fields in which ``answer`` may differ from the right answer (``()`` for the right
        answer itself, a misconception's ``changes``); None when unknown. Where neither of two answers
        differs from the right one they are equal, and that field is not compared. Declared changes are
        only sound when the right answer is the first one added, as ``generate`` does.
        """
        layout = self._layout
        values: list[object] = [answer[name] for name in layout.names]
        indices, declared = (layout.all_indices, None) if changes is None else layout.changed(changes)
        flats: list[list[float] | None] = [None] * len(values)
        recorded = (values, flats, indices, declared)
        for earlier in self._seen:
            earlier_declared = earlier[3]
            if declared and earlier_declared and declared.isdisjoint(earlier_declared):
                # Each differs from the right answer only where the other equals it, and each was already
                # found far from the right answer (it is recorded first): so they are far apart too.
                continue
            if not self._apart(recorded, earlier):
                return False
        self._seen.append(recorded)
        return True

    def _apart(self, first: _Recorded, second: _Recorded) -> bool:
        """:func:`separated` for two recorded answers."""
        first_values, first_flats, first_changes, _ = first
        second_values, second_flats, second_changes, _ = second
        tolerances = self._layout.tolerances
        for index in first_changes + second_changes:  # a field in both is compared twice: harmless
            a, b = first_values[index], second_values[index]
            if a is b:
                continue
            name, atol, rtol, exact, scalar = tolerances[index]
            xs: list[float] | None
            ys: list[float] | None
            if scalar:
                xs, ys = [float(a)], [float(b)]  # type: ignore[arg-type]
            else:
                xs, ys = first_flats[index], second_flats[index]
                if xs is None:
                    xs = first_flats[index] = flat_floats(a)
                if ys is None:
                    ys = second_flats[index] = flat_floats(b)
                if len(xs) != len(ys):
                    raise ValueError(f"field {name!r}: answers of different sizes")
            if exact:
                if xs != ys:
                    return True
                continue
            for x, y in zip(xs, ys, strict=True):
                if x != y and abs(x - y) > SEPARATION * (atol + rtol * max(abs(x), abs(y))):
                    return True
        return False


def separated(fields: Mapping[str, FieldSpec], first: Answer, second: Answer) -> bool:
    """True when some element of some field differs by far more than that field's tolerance."""
    check = SeparationCheck(fields)
    check.add(first)
    return check.add(second)


def all_separated(fields: Mapping[str, FieldSpec], answers: Sequence[Answer]) -> bool:
    """True when every pair of answers (the right one and each misconception's) is distinguishable."""
    check = SeparationCheck(fields)
    return all(check.add(answer) for answer in answers)


def _feedback_for_wrong(wrong: Sequence[str]) -> str:
    names = ", ".join(f"'{name}'" for name in wrong)
    return f"Not quite: {names} {'is' if len(wrong) == 1 else 'are'} off. Compare with the worked solution."


# What a grader compares a submission with: the right answer first, paired with None, then each applicable
# misconception with its answer, in the generator's order, each computed only when reached. A grader may
# ``send`` the names of the fields a submission got wrong instead of asking for the second item: the stream
# then leaves out the misconceptions that cannot explain them (``Misconception.could_explain``). Each answer
# equals ``solve``'s or the misconception's ``answer``, though a vector may come as a list (StreamAnswer).
AnswerStream = Generator[tuple[Misconception | None, StreamAnswer], Collection[str] | None, None]


def misconception_stream(
    inputs: Inputs, solve: Callable[[Inputs], Answer], misconceptions: Sequence[Misconception]
) -> AnswerStream:
    """The right answer, then each applicable misconception's answer (see :data:`AnswerStream`)."""
    explaining = yield None, solve(inputs)
    for misconception in misconceptions:
        if misconception.applies_to(inputs) and misconception.could_explain(explaining):
            yield misconception, misconception.answer(inputs)


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
    return grade_answers(fields, submission, misconception_stream(inputs, solve, misconceptions))


def grade_answers(fields: Mapping[str, FieldSpec], submission: object, answers: AnswerStream) -> Grade:
    """:func:`grade_submission` against a stream of answers (see :data:`AnswerStream`).

    The submission is validated before the stream is touched, and misconceptions are computed only until
    one explains the whole submission, skipping those that leave a wrongly answered field unchanged.
    """
    got = parse_submission(fields, submission)
    _, expected = next(answers)
    results: dict[str, FieldResult] = {}
    wrong: list[str] = []
    for name, spec in fields.items():
        flat, got_json = got[name]
        value = expected[name]
        ok, error = _compare_flat(flat_floats(value), flat, spec)
        # A list in a stream answer is floats already (see StreamAnswer); positional: the hot path.
        expected_json = cast(JsonValue, value) if type(value) is list else to_jsonable(value)
        results[name] = FieldResult(ok, expected_json, got_json, error, "right" if ok else "wrong", float(ok))
        if not ok:
            wrong.append(name)
    if not wrong:
        return Grade(correct=True, score=1.0, fields=results, misconception=None, feedback="Correct.")
    score = (len(fields) - len(wrong)) / len(fields)
    first = wrong[0]
    right = [name for name in fields if name not in wrong]

    def agrees(answer: StreamAnswer, names: list[str]) -> bool:
        return all(_compare_flat(flat_floats(answer[n]), got[n][0], fields[n])[0] for n in names)

    named: Misconception | None = None
    # The rest of the stream, told which fields are wrong (see AnswerStream).
    item: tuple[Misconception | None, StreamAnswer] | None
    try:
        item = answers.send(wrong)
    except StopIteration:
        item = None
    while item is not None:
        misconception, answer = item
        if misconception is not None and agrees(answer, wrong):
            if agrees(answer, right):
                named = misconception  # explains the whole submission: no better match exists
                break
            if named is None:
                named = misconception  # explains the wrong fields; a later one may explain everything
        item = next(answers, None)
    if named is not None:
        return Grade(
            correct=False,
            score=score,
            fields=results,
            misconception=named.id,
            feedback=named.feedback,
            first_departure=first,
        )
    return Grade(
        correct=False,
        score=score,
        fields=results,
        misconception=None,
        feedback=_feedback_for_wrong(wrong),
        first_departure=first,
    )
