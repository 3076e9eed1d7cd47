"""The grading rules of issue 11, checked for every step-graph generator over many seeds.

Driven by each generator's step graph: the right answer written to the stated precision is correct; each
misconception's whole answer is named; a value that coincides with a misconception only downstream of its
root, with the root right, is not named; fields computed from the candidate's own earlier fields are
accepted (error carried forward); every step's explanation and every hint renders.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from latex2mathml.converter import convert

import verifier
from verifier.grading import flat_floats
from verifier.grading.carried import CARRIED, RIGHT, WRONG, rounded
from verifier.grading.spec import FieldSpec, round_figures
from verifier.step_generator import StepGenerator
from verifier.steps import UNAVAILABLE

SEEDS = range(100)
GENERATORS = [g for g in verifier.generators() if isinstance(g, StepGenerator)]
IDS = [g.id for g in GENERATORS]


def _inputs(generator: StepGenerator, seed: int) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(generator.generate(seed).inputs_json()))
    return loaded


def _perturbed(value: Any, spec: FieldSpec, factor: float) -> Any:
    """A field's value moved by ``factor`` (relative), or by one for an integer field."""
    if spec.dtype == "int":
        return np.asarray(value) + 1 if spec.shape else int(value) + 1
    return np.asarray(value, dtype=np.float64) * factor + (0.0 if factor < 1.1 else 0.5)


def _read_by_later_field(generator: StepGenerator, name: str) -> bool:
    graph = generator.graph
    return any(graph._reaches(other, name) for other in graph.ordered_fields if other != name)


def test_some_generators_are_step_graphs() -> None:
    assert {"init.fans"} <= set(IDS)


@pytest.mark.parametrize("generator", GENERATORS, ids=IDS)
class TestStepGraph:
    def test_right_answer_at_stated_precision_is_correct(self, generator: StepGenerator) -> None:
        for seed in SEEDS:
            inputs = _inputs(generator, seed)
            answer = rounded(generator.solve(inputs), generator.answer_fields)
            grade = generator.grade(inputs, answer)
            assert grade.correct and grade.score == 1.0 and grade.misconception is None, seed
            assert all(result.status == RIGHT for result in grade.fields.values()), seed

    def test_each_misconception_at_stated_precision_is_named(self, generator: StepGenerator) -> None:
        for seed in SEEDS:
            inputs = _inputs(generator, seed)
            for misconception in generator.graph.misconceptions:
                if not misconception.applies_to(inputs):
                    continue
                answer = rounded(misconception.answer(inputs), generator.answer_fields)
                grade = generator.grade(inputs, answer)
                assert not grade.correct and grade.misconception == misconception.id, (seed, misconception.id)
                assert grade.feedback == misconception.feedback

    def test_coinciding_only_downstream_of_the_root_names_nothing(self, generator: StepGenerator) -> None:
        graph = generator.graph
        for seed in SEEDS:
            inputs = _inputs(generator, seed)
            right = generator.solve(inputs)
            for misconception in graph.misconceptions:
                if not misconception.applies_to(inputs):
                    continue
                wrong = misconception.answer(inputs)
                downstream = [
                    name
                    for name in graph.fields
                    if name not in graph.witnesses[misconception.id]
                    and not np.array_equal(np.asarray(wrong[name]), np.asarray(right[name]))
                ]
                if not downstream:
                    continue
                submission = {**right, **{name: wrong[name] for name in downstream}}
                grade = generator.grade(inputs, rounded(submission, generator.answer_fields))
                assert grade.misconception != misconception.id, (seed, misconception.id, downstream)

    def test_fields_from_accepted_earlier_fields_are_accepted(self, generator: StepGenerator) -> None:
        """One rounding costs nothing: later fields worked from 3-figure earlier ones are right."""
        graph = generator.graph
        for seed in SEEDS:
            inputs = _inputs(generator, seed)
            base = graph.read(inputs)
            _, values = graph.evaluate(base)
            given: dict[str, Any] = {}
            for name in graph.ordered_fields:  # every field rounded, later ones from the rounded earlier ones
                computed, _ = graph.evaluate(base, given=given)
                spec = generator.answer_fields[name]
                given[name] = rounded({name: computed[name]}, {name: spec})[name]
                given[name] = np.asarray(given[name]) if spec.shape else given[name]
            grade = generator.grade(inputs, {k: np.asarray(v).tolist() for k, v in given.items()})
            assert grade.correct, (seed, {k: r.status for k, r in grade.fields.items()})
            del values

    def test_fields_from_wrong_earlier_fields_are_carried_forward(self, generator: StepGenerator) -> None:
        """A wrong field, and every later one worked from it (and from the earlier ones as written)."""
        graph = generator.graph
        for seed in range(0, 100, 5):
            inputs = _inputs(generator, seed)
            base = graph.read(inputs)
            right = generator.solve(inputs)
            for name in graph.ordered_fields:
                if not _read_by_later_field(generator, name):
                    continue
                given: dict[str, Any] = {}
                for field in graph.ordered_fields:  # each field as written, from those written before it
                    spec = generator.answer_fields[field]
                    computed, _ = graph.evaluate(base, given=given, safe=True)
                    value = _perturbed(right[field], spec, 1.3) if field == name else computed[field]
                    if value is UNAVAILABLE:
                        break
                    written = rounded({field: value}, {field: spec})[field]
                    given[field] = np.asarray(written) if spec.shape else written
                else:
                    grade = generator.grade(inputs, {k: np.asarray(v).tolist() for k, v in given.items()})
                    assert grade.fields[name].status == WRONG and grade.first_departure == name, (seed, name)
                    for other in graph.fields:
                        if other != name:
                            assert grade.fields[other].status in (RIGHT, CARRIED), (seed, name, other)

    def test_every_step_explanation_and_hint_renders(self, generator: StepGenerator) -> None:
        for seed in range(30):
            inputs = _inputs(generator, seed)
            steps = generator.explain(inputs)
            graph = generator.graph
            _, values = graph.evaluate(graph.read(inputs))
            # A step that these inputs do not have (None: optim.steps' Adam moments for an SGD question) is left out.
            shown = [step.name for step in graph.steps if values[step.name] is not None]
            assert [step.name for step in steps] == shown
            texts = [step.text for step in steps] + list(generator.hints(inputs))
            for text in texts:
                assert text.strip()
                for snippet in re.findall(r"\$([^$]+)\$", text):
                    convert(snippet)
            assert "significant figures" in generator.generate(seed).prompt or all(
                spec.dtype == "int" for spec in generator.answer_fields.values()
            )


def test_round_figures() -> None:
    assert round_figures(0.0012345) == pytest.approx(0.00123) and round_figures(-123.45) == -123.0


def test_flat_floats_reads_lists_like_arrays() -> None:
    """A step may compute a vector or matrix as plain lists of floats; grading reads its entries alike."""
    values: list[object] = [np.array([1.0, -2.0]), [1.0, -2.0], np.array([[0.5, 1.0], [1.5, 2.0]])]
    values += [[[0.5, 1.0], [1.5, 2.0]], np.array([3, 4]), 3, 2.5, ()]
    expected = [
        [1.0, -2.0],
        [1.0, -2.0],
        [0.5, 1.0, 1.5, 2.0],
        [0.5, 1.0, 1.5, 2.0],
        [3.0, 4.0],
        [3.0],
        [2.5],
        [],
    ]
    for value, flat in zip(values, expected, strict=True):
        assert flat_floats(value) == flat and all(type(entry) is float for entry in flat_floats(value))
