"""Grading a step-graph question: error carried forward, partial credit per entry, diagnosis at the root.

1. The submission is validated (:mod:`verifier.grading.parse`); a malformed one raises AnswerFormatError.
2. The graph is evaluated twice: as written (the reference) and with each answer field replaced by the
   candidate's own value, so every later step is computed from what the candidate had (Numbas' adaptive
   marking). Each entry is accepted when it is within the stated precision of the reference or of that
   carried-forward value; a field is "right", "right_given_your_values" or "wrong", and one slip costs once.
3. The score weighs each field's share of accepted entries by its weight (its size unless declared).
4. A misconception is named only when the candidate's value at its root step matches the wrong step,
   evaluated on the candidate's own earlier values: the root's field when the root is a field, else the
   fields computed from the root through intermediate steps. A later field that happens to coincide names
   nothing. Several matches: the one with the earliest root, then the first declared.
5. Otherwise the feedback names the wrong fields and the first step where the work departs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from verifier._types import FloatArray, Inputs, JsonValue
from verifier.grading.parse import as_value, parse_submission
from verifier.grading.result import FieldResult, Grade, flat_floats
from verifier.grading.spec import FIGURES, FieldSpec, all_match, matches, tolerances, within
from verifier.jsonsafe import to_jsonable
from verifier.steps import UNAVAILABLE, Memo, StepGraph, Values, WrongStep

RIGHT = "right"
CARRIED = "right_given_your_values"
WRONG = "wrong"


def _flat(value: Any, size: int) -> list[float] | None:
    """A computed value as flat floats, or None when unavailable or of the wrong size."""
    if value is UNAVAILABLE:
        return None
    try:
        flat = flat_floats(value)
    except (TypeError, ValueError):
        return None
    return flat if len(flat) == size else None


def _feedback(wrong: Sequence[str], first: str) -> str:
    names = ", ".join(f"'{name}'" for name in wrong)
    verb = "is" if len(wrong) == 1 else "are"
    return (
        f"Not quite: {names} {verb} off, even computed from your own earlier values. Your work first "
        f"departs from the reference at the step '{first}': compare it with the worked solution."
    )


class _Reference:
    """The graph evaluated on the inputs as written (``evaluation``, what ``graph.evaluate`` returns for
    them), and each field's entries and tolerances."""

    __slots__ = ("computed", "flats", "limits", "values")

    def __init__(
        self, graph: StepGraph, specs: Mapping[str, FieldSpec], evaluation: tuple[Values, Values]
    ) -> None:
        self.computed, self.values = evaluation
        self.flats = {name: flat_floats(self.computed[name]) for name in graph.fields}
        self.limits = {name: tolerances(self.flats[name], specs[name]) for name in graph.fields}


class _Work:
    """A candidate's field values and the graph evaluated on them (error carried forward).

    ``own_flats`` keeps each field's carried-forward value as flat floats once read (:meth:`own`); it may
    start with the entries of another work whose value at those fields is the same object.
    """

    __slots__ = ("carried", "carried_values", "flats", "given", "own_flats")

    def __init__(
        self,
        flats: dict[str, list[float]],
        given: Values,
        carried: Values,
        carried_values: Values,
        own_flats: dict[str, list[float] | None] | None = None,
    ) -> None:
        self.flats = flats
        self.given = given
        self.carried = carried
        self.carried_values = carried_values
        self.own_flats = {} if own_flats is None else own_flats

    def own(self, name: str, size: int) -> list[float] | None:
        """The field's value computed from the candidate's earlier values, as ``_flat`` reads it."""
        own_flats = self.own_flats
        if name in own_flats:
            return own_flats[name]
        flat = own_flats[name] = _flat(self.carried[name], size)
        return flat


def _carry(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    base: Values,
    reference: _Reference,
    flats: dict[str, list[float]],
) -> _Work:
    """The graph evaluated on the candidate's fields; steps that read no field keep the reference value."""
    given = {name: as_value(flats[name], specs[name]) for name in graph.fields}
    recomputed, carried_values = graph.evaluate(
        base, given=given, start=reference.values, changed=given, safe=True
    )
    return _Work(flats, given, {**reference.computed, **recomputed}, carried_values)


def _assess(
    names: Iterable[str], specs: Mapping[str, FieldSpec], reference: _Reference, work: _Work
) -> dict[str, tuple[str, list[bool]]]:
    """Per field of ``names``, its status and which entries are accepted (by the reference or carried
    forward)."""
    out: dict[str, tuple[str, list[bool]]] = {}
    flats, limits = reference.flats, reference.limits
    for name in names:
        spec = specs[name]
        got = work.flats[name]
        expected = flats[name]
        if len(expected) != len(got):
            out[name] = (WRONG, [False] * len(got))
            continue
        by_reference = within(got, expected, limits[name])
        if all(by_reference):
            out[name] = (RIGHT, by_reference)
            continue
        by_own = matches(got, work.own(name, spec.size), spec)
        accepted = [a or b for a, b in zip(by_reference, by_own, strict=True)]
        out[name] = (CARRIED if all(accepted) else WRONG, accepted)
    return out


def _status(name: str, spec: FieldSpec, reference: _Reference, work: _Work) -> str:
    """The status :func:`_assess` gives the field, read entry by entry only as far as it takes to decide:
    the separation check reads statuses alone, of many answers."""
    got, expected = work.flats[name], reference.flats[name]
    if len(expected) != len(got):
        return WRONG
    limits = reference.limits[name]  # of the same length as ``expected``
    # Plain loops (no generator expressions in ``all``): the separation check runs this on every answer.
    for g, e, t in zip(got, expected, limits, strict=True):
        if not abs(g - e) <= t:  # a NaN fails too
            break
    else:
        return RIGHT
    own = work.own(name, spec.size)
    if own is None or len(own) != len(got):
        return WRONG  # no entry is accepted carried forward
    for g, e, t, o, u in zip(got, expected, limits, own, tolerances(own, spec), strict=True):
        if not (abs(g - e) <= t or abs(g - o) <= u):
            return WRONG
    return CARRIED


def _diagnose(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    work: _Work,
    statuses: Mapping[str, str],
    applies: Callable[[WrongStep], bool],
) -> WrongStep | None:
    """The misconception whose wrong root step matches the candidate's value there, if any (the earliest
    root, then the first declared); ``applies`` tells whether a misconception applies to the question."""
    found: WrongStep | None = None
    found_at = len(graph.steps)
    for misconception in graph.misconceptions:
        at = graph.index[misconception.root]
        if at < found_at and _shows(graph, specs, work, statuses, misconception, applies):
            found, found_at = misconception, at
    return found


def _shows(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    work: _Work,
    statuses: Mapping[str, str],
    misconception: WrongStep,
    applies: Callable[[WrongStep], bool],
    memo: Memo | None = None,
) -> bool:
    """Whether the candidate's value at the misconception's root matches its wrong step: every witness
    that shows the root is wrong and matches the wrong step evaluated on the candidate's earlier values.

    ``applies`` is asked last (it may read the inputs); ``memo`` (see :meth:`StepGraph.evaluate`) may be
    shared with the evaluations of other answers to the same question.
    """
    witnesses = graph.witnesses[misconception.id]
    for name in witnesses:
        if statuses[name] == WRONG:
            break
    else:
        return False  # right at every field that shows the root: not this belief
    if not applies(misconception):
        return False
    wrong, _ = graph.evaluate(
        work.carried_values,
        given=work.given,
        override=misconception,
        start=work.carried_values,
        safe=True,
        memo=memo,
    )
    shown = False
    for name in witnesses:
        spec = specs[name]
        expected = _flat(wrong[name], spec.size)
        if expected is None:
            return False
        if expected == work.own(name, spec.size):
            continue  # this witness does not show the wrong step here
        if statuses[name] != WRONG or not all_match(work.flats[name], expected, spec):
            return False
        shown = True
    return shown


def grade_graph(
    graph: StepGraph, specs: Mapping[str, FieldSpec], inputs: Inputs, submission: object
) -> Grade:
    """Grade ``submission`` by the rules in the module docstring; AnswerFormatError and nothing else."""
    parsed = parse_submission(specs, submission)
    with np.errstate(all="ignore"):  # a candidate's values may divide by zero: such steps are unavailable
        return _grade_parsed(graph, specs, inputs, parsed)


def _grade_parsed(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    inputs: Inputs,
    parsed: Mapping[str, tuple[list[float], JsonValue]],
) -> Grade:
    base = graph.read(inputs)
    reference = _Reference(graph, specs, graph.evaluate(base))
    work = _carry(graph, specs, base, reference, {name: flat for name, (flat, _) in parsed.items()})
    reference_values = reference.computed
    assessed = _assess(graph.ordered_fields, specs, reference, work)
    results: dict[str, FieldResult] = {}
    total = earned = 0.0
    for name in graph.fields:
        spec = specs[name]
        status, accepted = assessed[name]
        credit = sum(accepted) / len(accepted)
        got, expected = work.flats[name], reference.flats[name]
        error = max((abs(g - e) for g, e in zip(got, expected, strict=True)), default=0.0)
        results[name] = FieldResult(
            status != WRONG, to_jsonable(reference_values[name]), parsed[name][1], error, status, credit
        )
        total += spec.score_weight
        earned += spec.score_weight * credit
    wrong = [name for name in graph.ordered_fields if assessed[name][0] == WRONG]
    if not wrong:
        return Grade(True, 1.0 if total == earned else earned / total, results, None, "Correct.")
    score = earned / total if total else 0.0
    statuses = {name: status for name, (status, _) in assessed.items()}
    named = _diagnose(graph, specs, work, statuses, lambda misconception: misconception.applies_to(inputs))
    if named is not None:
        return Grade(False, score, results, named.id, named.feedback, wrong[0])
    return Grade(False, score, results, None, _feedback(wrong, wrong[0]), wrong[0])


def rounded(answer: Mapping[str, Any], specs: Mapping[str, FieldSpec]) -> dict[str, JsonValue]:
    """An answer as a candidate following the prompt writes it: floats to the stated figures."""
    names = list(specs)
    entries = _written(
        [(np.asarray(answer[name], dtype=np.float64).ravel().tolist(), specs[name]) for name in names]
    )
    out: dict[str, JsonValue] = {}
    for name, values in zip(names, entries, strict=True):
        spec = specs[name]
        written: list[float] | list[int] = [int(v) for v in values] if spec.dtype == "int" else values
        out[name] = written[0] if not spec.shape else to_jsonable(_reshape(written, spec.shape))
    return out


def _reshape(flat: Sequence[float], shape: tuple[int, ...]) -> list[Any]:
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0]
    return [_reshape(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _written(fields: Sequence[tuple[list[float], FieldSpec]]) -> list[list[float]]:
    """Fields' entries as written to the stated precision (3 significant figures; integers exact).

    All the fields go through NumPy at once: at a few entries a field, the per-call cost of a NumPy
    operation is the whole cost, and the rounding is entry by entry, so batching changes no value.
    """
    floats: list[float] = []
    ints: list[float] = []
    for flat, spec in fields:
        (ints if spec.dtype == "int" else floats).extend(flat)
    rounded_floats = _figures(np.array(floats, dtype=np.float64)) if floats else []
    rounded_ints: list[float] = np.rint(np.array(ints, dtype=np.float64)).tolist() if ints else []
    out: list[list[float]] = []
    at_float = at_int = 0
    for flat, spec in fields:
        n = len(flat)
        if spec.dtype == "int":
            out.append(rounded_ints[at_int : at_int + n])
            at_int += n
        else:
            out.append(rounded_floats[at_float : at_float + n])
            at_float += n
    return out


def _figures(array: FloatArray) -> list[float]:
    """Each entry rounded to FIGURES significant figures (0 stays 0)."""
    magnitude = np.abs(array)  # then the power of ten of each entry's leading figure, in place
    magnitude[magnitude == 0] = 1.0
    np.floor(np.log10(magnitude, out=magnitude), out=magnitude)
    magnitude -= FIGURES - 1
    unit = np.power(10.0, magnitude, out=magnitude)
    figures: list[float] = (np.rint(array / unit) * unit).tolist()
    return figures
