"""The generator contract, checked for every registered generator on many seeds.

Each concept's own test module checks its math against PyTorch; this module checks what every generator
promises clients: determinism, JSON safety, exact answer fields, and a grader that accepts the reference
answer, rejects a nudged one, names each misconception and refuses malformed submissions.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import verifier
from verifier import AnswerFormatError, FieldSpec, Generator

# Seeds 100..199: tests/verifier/test_steps.py checks 0..99 at stated precision, so between them the
# right answer and every misconception are graded on 200 different questions of each generator.
SEEDS = range(100, 200)
GENERATORS = verifier.generators()
IDS = [generator.id for generator in GENERATORS]


def _json_inputs(question: verifier.Question) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(json.dumps(question.inputs_json()))
    return loaded


def _nudged(value: float, spec: FieldSpec) -> float:
    """The smallest change the issue promises is graded wrong: 5 % of the magnitude plus 0.05, or 1."""
    return value + 1 if spec.dtype == "int" else value + 0.05 * abs(value) + 0.05


def test_catalog_is_not_empty_and_ids_are_unique() -> None:
    assert len(IDS) == len(set(IDS)) > 0


def test_unknown_id_names_the_id() -> None:
    with pytest.raises(KeyError, match="no-such.generator"):
        verifier.get("no-such.generator")


@pytest.mark.parametrize("generator", GENERATORS, ids=IDS)
class TestContract:
    def test_metadata(self, generator: Generator) -> None:
        topic, _, name = generator.id.partition(".")
        assert topic and name and generator.title and generator.topic
        assert generator.answer_fields
        assert len(generator.misconceptions) >= 2
        for misconception in generator.misconceptions:
            assert misconception.id.count(".") == 1 and misconception.feedback

    def test_every_question_has_two_applicable_misconceptions(self, generator: Generator) -> None:
        for seed in range(50):
            inputs = generator.generate(seed).inputs
            assert sum(m.applies_to(inputs) for m in generator.misconceptions) >= 2, seed

    def test_generate_is_deterministic_and_json_safe(self, generator: Generator) -> None:
        for seed in range(20):
            first, second = generator.generate(seed), generator.generate(seed)
            assert json.dumps(first.inputs_json()) == json.dumps(second.inputs_json())
            assert first.prompt == second.prompt and first.seed == seed
            assert first.generator_id == generator.id

    def test_solve_has_exactly_the_answer_fields(self, generator: Generator) -> None:
        for seed in range(20):
            answer = generator.solve(generator.generate(seed).inputs)
            assert set(answer) == set(generator.answer_fields)
            for name, spec in generator.answer_fields.items():
                assert np.shape(answer[name]) == spec.shape, name
                assert np.all(np.isfinite(answer[name])), name

    def test_reference_answer_grades_correct_after_json_round_trip(self, generator: Generator) -> None:
        for seed in SEEDS:
            question = generator.generate(seed)
            inputs = _json_inputs(question)
            answer = verifier.to_jsonable(generator.solve(question.inputs))
            grade = generator.grade(inputs, answer)
            assert grade.correct and grade.score == 1.0 and grade.misconception is None, seed

    def test_nudging_any_element_is_wrong(self, generator: Generator) -> None:
        for seed in range(0, 200, 4):
            inputs = generator.generate(seed).inputs
            answer = {k: np.array(v, dtype=np.float64) for k, v in generator.solve(inputs).items()}
            for name, spec in generator.answer_fields.items():
                for index in np.ndindex(spec.shape):
                    nudged = {k: v.copy() for k, v in answer.items()}
                    nudged[name][index] = _nudged(float(nudged[name][index]), spec)
                    grade = generator.grade(inputs, nudged)
                    assert not grade.correct and not grade.fields[name].correct, (seed, name, index)
                    assert grade.score < 1.0

    def test_each_misconception_is_wrong_and_named(self, generator: Generator) -> None:
        for seed in SEEDS:
            inputs = generator.generate(seed).inputs
            for misconception in generator.misconceptions:
                if not misconception.applies_to(inputs):
                    continue
                grade = generator.grade(inputs, misconception.answer(inputs))
                assert not grade.correct, (seed, misconception.id)
                assert grade.misconception == misconception.id, (seed, misconception.id)
                assert grade.feedback == misconception.feedback

    def test_malformed_submissions_raise_answer_format_error(self, generator: Generator) -> None:
        inputs = generator.generate(0).inputs
        good = verifier.to_jsonable(generator.solve(inputs))
        assert isinstance(good, dict)
        first = next(iter(generator.answer_fields))
        bad_values: list[object] = ["1.5", None, True, float("nan"), float("inf"), [[1, 2], [3]], {"a": 1}]
        for bad in bad_values:
            with pytest.raises(AnswerFormatError, match=first):
                generator.grade(inputs, {**good, first: bad})
        with pytest.raises(AnswerFormatError, match=first):
            generator.grade(inputs, {k: v for k, v in good.items() if k != first})
        with pytest.raises(AnswerFormatError, match="bogus"):
            generator.grade(inputs, {**good, "bogus": 1})
        wrong_shape = np.zeros(generator.answer_fields[first].shape + (2,)).tolist()
        with pytest.raises(AnswerFormatError, match="shape"):
            generator.grade(inputs, {**good, first: wrong_shape})
        with pytest.raises(AnswerFormatError):
            generator.grade(inputs, [1, 2, 3])

    def test_explain_gives_json_safe_steps(self, generator: Generator) -> None:
        steps = generator.explain(generator.generate(1).inputs)
        assert steps
        for step in steps:
            assert step.name and step.text
            json.dumps(verifier.to_jsonable(step.value))


def test_same_seed_same_question_in_another_process() -> None:
    script = (
        "import json, verifier\n"
        "print(json.dumps({g.id: g.generate(12345).inputs_json() for g in verifier.generators()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    here = {g.id: g.generate(12345).inputs_json() for g in GENERATORS}
    assert json.loads(out) == json.loads(json.dumps(here))
