"""Every generator's prompt and worked steps render to MathML without a problem, on many seeds."""

from __future__ import annotations

import pytest

import verifier
from service.content.render import render_markdown


@pytest.mark.parametrize("generator", verifier.generators(), ids=lambda g: g.id)
def test_prompt_and_steps_render_cleanly(generator: verifier.Generator) -> None:
    for seed in range(25):
        question = generator.generate(seed)
        texts = [question.prompt] + [step.text for step in generator.explain(question.inputs)]
        for text in texts:
            result = render_markdown(text)
            assert result.problems == [], (seed, text, result.problems)
            assert ("$" not in text) or "<math" in result.html
