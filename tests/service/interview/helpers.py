"""Answers built from the verifier's public API: the right one and a misconception's."""

from __future__ import annotations

from typing import Any

import verifier


def right_answer(generator_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = verifier.to_jsonable(verifier.get(generator_id).solve(inputs))
    return answer


def misconception_answer(generator_id: str, misconception: str, inputs: dict[str, Any]) -> dict[str, Any]:
    generator = verifier.get(generator_id)
    wrong = next(m for m in generator.misconceptions if m.id == misconception)
    answer: dict[str, Any] = verifier.to_jsonable(wrong.answer(inputs))
    return answer
