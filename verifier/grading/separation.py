"""The separation check: ``generate`` redraws inputs until it holds.

Every applicable misconception's answer must be far from the right one where it shows (some witness entry
SEPARATION tolerances away) and, written to the stated precision, be graded as that misconception by the
grader of :mod:`verifier.grading.carried`. The check runs on every draw, so it is built for speed: first
each answer's distance (most rejected draws fail there), then the dearer grading of each, which rounds all
the answers in one NumPy pass, reuses the right answer's carried-forward work and shares wrong steps
through a memo; what a misconception changes is worked out once per graph. The verdict is the one checking
each misconception in turn, in full, would give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from verifier._types import Inputs
from verifier.grading.carried import (
    _carry,
    _flat,
    _Reference,
    _shows,
    _status,
    _Work,
    _written,
)
from verifier.grading.parse import as_value
from verifier.grading.result import flat_floats
from verifier.grading.spec import FieldSpec
from verifier.steps import Memo, StepGraph, Values, WrongStep

# A misconception's answer counts as told apart from the right one only when some entry where it shows
# (a witness field) is this many tolerances away, so a sloppy-but-right answer is never read as it.
SEPARATION = 3.0
# Per graph, the misconception whose answer last failed to be graded as itself (asked first next time).
_last_failed: dict[StepGraph, str] = {}


@dataclass(frozen=True, slots=True)
class _Moves:
    """What one misconception changes in an answer, worked out once per graph.

    ``moved``: the fields its wrong step changes; ``rivals``: the misconceptions that could be named
    instead of it (rooted earlier, or at its root and declared no later); ``reassessed``: the fields whose
    status the diagnosis reads (the rivals' witnesses) and that can differ from the right answer's (the
    moved ones and the fields computed from them).
    """

    misconception: WrongStep
    moved: tuple[str, ...]
    rivals: tuple[WrongStep, ...]
    reassessed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Layout:
    """Every misconception's moves, and the fields whose status in the right answer a diagnosis reads."""

    moves: tuple[_Moves, ...]
    right_shown: tuple[str, ...]


@cache
def _layout(graph: StepGraph) -> _Layout:
    moves, right_shown = [], set()
    for position, misconception in enumerate(graph.misconceptions):
        steps = set(graph.recomputed(override=misconception))
        moved = tuple(name for name in graph.ordered_fields if name in steps)
        steps.update(graph.recomputed(changed=moved, given=graph.fields))
        at = graph.index[misconception.root]
        rivals = tuple(
            other
            for number, other in enumerate(graph.misconceptions)
            if graph.index[other.root] < at or (graph.index[other.root] == at and number <= position)
        )
        shown = {name for rival in rivals for name in graph.witnesses[rival.id]}
        right_shown.update(shown - steps)
        reassessed = tuple(name for name in graph.ordered_fields if name in shown and name in steps)
        moves.append(_Moves(misconception, moved, rivals, reassessed))
    return _Layout(tuple(moves), tuple(name for name in graph.ordered_fields if name in right_shown))


def well_separated(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    inputs: Inputs,
    acceptable: Callable[[Values], bool] | None = None,
) -> bool:
    """Whether every applicable misconception, written as the prompt asks, is far from the right answer
    where it shows and is graded as itself: the separation check uses the grading rule.

    The grading here is :func:`grade_graph`'s without parsing and reporting: the answers are ours.
    ``acceptable``, a generator's conditions on the steps' values, is asked first, of the evaluation
    this check makes anyway."""
    with np.errstate(all="ignore"):
        return _separated(graph, specs, inputs, acceptable)


def _separated(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    inputs: Inputs,
    acceptable: Callable[[Values], bool] | None,
) -> bool:
    base = graph.read(inputs)
    evaluation = graph.evaluate(base)
    if acceptable is not None and not acceptable(evaluation[1]):
        return False  # before the entries and tolerances are read: many draws end here
    reference = _Reference(graph, specs, evaluation)
    # First whether each answer is far from the right one (most rejected draws fail here), then the dearer
    # grading of each: the verdict is the same as checking each misconception in turn.
    answers: list[tuple[_Moves, Values]] = []
    # Diagnosing a misconception's answer reruns wrong steps on values the answers share, like the right
    # answer's upstream steps: a memo hands back the values worked out here instead.
    memo: Memo = {}
    layout = _layout(graph)
    applicable = frozenset(m.id for m in graph.misconceptions if m.applies_to(inputs))
    for moves in layout.moves:
        misconception = moves.misconception
        if misconception.id not in applicable:
            continue
        try:
            _, wrong_values = graph.evaluate(base, override=misconception, start=reference.values, memo=memo)
        except Exception:
            # Checked in turn, this raised only when every earlier misconception passed: so it does here.
            if _graded_as_themselves(graph, specs, base, reference, layout, applicable, answers, memo):
                raise
            return False
        if not _apart(graph, specs, reference, misconception, wrong_values):
            return False
        answers.append((moves, wrong_values))
    return _graded_as_themselves(graph, specs, base, reference, layout, applicable, answers, memo)


def _apart(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    reference: _Reference,
    misconception: WrongStep,
    wrong_values: Values,
) -> bool:
    """Whether some witness entry of the misconception's answer is SEPARATION tolerances from the right."""
    for name in graph.witnesses[misconception.id]:
        wrong = _flat(wrong_values[name], specs[name].size)
        if wrong is None:
            return False
        right, limits = reference.flats[name], reference.limits[name]
        for w, r, t in zip(wrong, right, limits, strict=True):
            if abs(w - r) > SEPARATION * t or (t == 0 and w != r):
                return True
    return False


def _graded_as_themselves(
    graph: StepGraph,
    specs: Mapping[str, FieldSpec],
    base: Values,
    reference: _Reference,
    layout: _Layout,
    applicable: frozenset[str],
    answers: Sequence[tuple[_Moves, Values]],
    memo: Memo,
) -> bool:
    """Whether each misconception's answer, written to the stated precision, is graded as it.

    A misconception's answer differs from the right one only in its moved fields: the right answer is
    written, carried forward and assessed once, then each misconception's moved fields are written in and
    only they and the fields computed from them are carried forward, and assessed again where the
    diagnosis reads their status.
    """
    if not answers:
        return True
    written = iter(
        _written(
            [(reference.flats[name], specs[name]) for name in graph.fields]
            + [(flat_floats(values[name]), specs[name]) for moves, values in answers for name in moves.moved]
        )
    )
    right_work = _carry(graph, specs, base, reference, {name: next(written) for name in graph.fields})
    right_statuses = {name: _status(name, specs[name], reference, right_work) for name in layout.right_shown}

    def applies(misconception: WrongStep) -> bool:
        return misconception.id in applicable

    moved_written = [{name: next(written) for name in moves.moved} for moves, _ in answers]
    # The answer that failed its own test last time first: a rejected draw usually fails at the same
    # misconception as the one before, and the verdict (every answer passes) does not depend on the order.
    last = _last_failed.get(graph)
    order = sorted(range(len(answers)), key=lambda k: answers[k][0].misconception.id != last)
    works: list[tuple[_Moves, _Work, dict[str, str]]] = []
    for k in order:
        moves = answers[k][0]
        flats = dict(right_work.flats)
        given = dict(right_work.given)
        for name, entries in moved_written[k].items():
            flats[name] = entries
            given[name] = as_value(entries, specs[name])
        recomputed, carried_values = graph.evaluate(
            base, given=given, start=right_work.carried_values, changed=moves.moved, safe=True
        )
        own_flats = {name: flat for name, flat in right_work.own_flats.items() if name not in recomputed}
        work = _Work(flats, given, {**right_work.carried, **recomputed}, carried_values, own_flats)
        statuses = dict(right_statuses)
        for name in moves.reassessed:
            statuses[name] = _status(name, specs[name], reference, work)
        # Graded as itself: it shows in its answer (the usual failure, so asked of every answer first) and
        # no rival that the diagnosis would name first does.
        if not _shows(graph, specs, work, statuses, moves.misconception, applies, memo):
            _last_failed[graph] = moves.misconception.id
            return False
        works.append((moves, work, statuses))
    for moves, work, statuses in works:
        for rival in moves.rivals:
            if rival is moves.misconception:
                continue
            if _shows(graph, specs, work, statuses, rival, applies, memo):
                return False  # a rival the diagnosis asks first shows in this answer
    return True
