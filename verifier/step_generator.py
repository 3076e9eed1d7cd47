"""Generators declared as step graphs (:mod:`verifier.steps`): everything but sampling and the prompt
comes from the graph, so solve, the worked solution, hints, grading and the separation check agree."""

from __future__ import annotations

from typing import Any, ClassVar

from verifier._types import Answer, Inputs
from verifier.generator import Generator, Step
from verifier.grading import Grade
from verifier.grading.carried import grade_graph
from verifier.grading.separation import well_separated
from verifier.jsonsafe import to_jsonable
from verifier.steps import StepGraph, Values, WrongStep


class StepGenerator(Generator):
    """A generator whose computation is ``graph``; subclasses supply ``sample``, ``prompt`` and metadata."""

    graph: ClassVar[StepGraph]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        graph = cls.__dict__.get("graph")
        if graph is not None:
            cls.misconceptions = graph.misconceptions
            if set(graph.fields) != set(cls.answer_fields):
                raise TypeError(f"{cls.__name__}: the graph's fields are not the answer fields")

    def solve(self, inputs: Inputs) -> Answer:
        graph = self.graph
        return graph.fields_of(graph.evaluate(graph.read(inputs))[1])

    def explain(self, inputs: Inputs) -> list[Step]:
        """Every step of the graph with this variant's numbers."""
        graph = self.graph
        _, values = graph.evaluate(graph.read(inputs))
        return [
            Step(step.name, graph.render(step.explain, values), to_jsonable(values[step.name]))
            for step in graph.steps
        ]

    def hints(self, inputs: Inputs) -> tuple[str, ...]:
        """The hints of the steps that declare one, in order; they read the inputs, never a step's value."""
        graph = self.graph
        base = graph.read(inputs)
        return tuple(graph.render(step.hint, base) for step in graph.steps if step.hint is not None)

    def acceptable_values(self, values: Values) -> bool:  # noqa: ARG002 - hook for subclasses
        """Extra conditions on a sample that read the graph's steps (``values``: every step evaluated on
        the inputs). The separation check asks them of the evaluation it makes anyway, before its own
        conditions, so a generator does not evaluate the graph a second time in ``acceptable``."""
        return True

    def well_separated(self, inputs: Inputs) -> bool:
        """``acceptable_values``, then the separation check (:mod:`verifier.grading.separation`)."""
        return well_separated(self.graph, self.answer_fields, inputs, self.acceptable_values)

    def grade(self, inputs: Inputs, submission: object) -> Grade:
        """Error carried forward, partial credit per entry, misconceptions named at their root step
        (:mod:`verifier.grading.carried`); raises AnswerFormatError for a malformed submission only."""
        return grade_graph(self.graph, self.answer_fields, inputs, submission)


__all__ = ["StepGenerator", "WrongStep"]
