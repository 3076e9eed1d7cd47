"""Whiteboard mode, for every registered generator: ``generate(seed, calculator=False)`` is deterministic,
JSON-safe and gradeable; every prompt says whether it needs a calculator; the default mode is the one
generators always had; "you may use" values print as the prompt shows them."""

from __future__ import annotations

import json

import numpy as np
import pytest

import verifier
from verifier import Generator, Known
from verifier.generator import CALCULATOR_NOTE, NO_CALCULATOR_NOTE, may_use_table
from verifier.latex import num

GENERATORS = verifier.generators()
IDS = [generator.id for generator in GENERATORS]


@pytest.mark.parametrize("generator", GENERATORS, ids=IDS)
class TestWhiteboardMode:
    def test_same_seed_and_mode_same_question(self, generator: Generator) -> None:
        for seed in range(15):
            first, second = (
                generator.generate(seed, calculator=False),
                generator.generate(seed, calculator=False),
            )
            assert json.dumps(first.inputs_json()) == json.dumps(second.inputs_json())
            assert first.prompt == second.prompt and not first.calculator

    def test_every_prompt_states_whether_it_needs_a_calculator(self, generator: Generator) -> None:
        for seed in range(15):
            for calculator in (True, False):
                question = generator.generate(seed, calculator=calculator)
                note = CALCULATOR_NOTE if question.needs_calculator else NO_CALCULATOR_NOTE
                assert question.prompt.endswith(note) and question.calculator is calculator
                if all(spec.dtype == "int" for spec in generator.answer_fields.values()):
                    assert not question.needs_calculator

    def test_default_mode_is_calculator_on_and_draws_from_sample(self, generator: Generator) -> None:
        for seed in range(10):
            default = generator.generate(seed)
            assert (
                default.calculator
                and default.inputs_json() == generator.generate(seed, calculator=True).inputs_json()
            )
            assert "You may use" not in default.prompt
        if type(generator).sample_by_hand is Generator.sample_by_hand:  # no whiteboard draws of its own
            for seed in range(10):
                assert (
                    generator.generate(seed, calculator=False).inputs_json()
                    == generator.generate(seed).inputs_json()
                )

    def test_whiteboard_questions_grade_like_any_other(self, generator: Generator) -> None:
        for seed in range(0, 60, 3):
            question = generator.generate(seed, calculator=False)
            inputs = json.loads(json.dumps(question.inputs_json()))
            grade = generator.grade(inputs, verifier.to_jsonable(generator.solve(inputs)))
            assert grade.correct, seed
            for misconception in generator.misconceptions:
                if misconception.applies_to(inputs):
                    assert (
                        generator.grade(inputs, misconception.answer(inputs)).misconception
                        == misconception.id
                    )

    def test_may_use_values_are_what_the_prompt_prints(self, generator: Generator) -> None:
        for seed in range(10):
            question = generator.generate(seed, calculator=False)
            known = generator.may_use(question.inputs)
            for value in known:
                assert value.text() in question.prompt and np.isfinite(value.value)
            if known:
                assert not question.needs_calculator


def test_known_values_print_exact_or_approximate() -> None:
    assert Known(r"\sqrt{2.89}", 1.7).text() == r"$\sqrt{2.89} = 1.7$"
    assert Known("e^{1.2}", float(np.exp(1.2))).text() == r"$e^{1.2} \approx 3.32$"
    assert Known("e^{-1}", float(np.exp(-1))).text() == r"$e^{-1} \approx 0.3679$"
    assert may_use_table(()) == ""
    assert may_use_table((Known("e^{0}", 1.0),)) == "You may use: $e^{0} = 1$."


def test_some_generators_have_whiteboard_draws_or_tables() -> None:
    hand = {g.id for g in GENERATORS if type(g).sample_by_hand is not Generator.sample_by_hand}
    tables = {g.id for g in GENERATORS if g.may_use(g.generate(0, calculator=False).inputs)}
    assert "activations.label_smoothing" in hand
    assert {"backprop.saturation", "activations.softmax_temperature"} <= tables


@pytest.mark.parametrize("generator_id", ["backprop.saturation", "backprop.output_error"])
def test_work_from_the_may_use_values_is_graded_right(generator_id: str) -> None:
    """A candidate who reads σ(z) or tanh(z) off the printed list, as printed, gets every field right."""
    generator = verifier.get(generator_id)
    graph = generator.graph  # type: ignore[attr-defined]
    for seed in range(40):
        question = generator.generate(seed, calculator=False)
        inputs = json.loads(json.dumps(question.inputs_json()))
        printed = {
            value.expression: float(value.text().split()[-1].rstrip("$"))
            for value in generator.may_use(inputs)
        }
        symbol = r"\tanh" if inputs.get("activation") == "tanh" else r"\sigma"
        a = [printed[f"{symbol}({num(z)})"] for z in inputs["z"]]
        _, values = graph.evaluate(graph.read(inputs), given={"a": np.array(a)})
        answer = {name: verifier.to_jsonable(values[name]) for name in generator.answer_fields}
        assert generator.grade(inputs, answer).correct, seed
