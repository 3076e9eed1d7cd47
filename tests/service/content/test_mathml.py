"""Formulas converted by shape (numbers as placeholders, put back afterwards) come out exactly as
latex2mathml converts them as written: every formula of the real content, of every generator's prompts
and worked solutions, and generated ones with numbers in every position latex2mathml treats apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import verifier
from service.content import mathml, render
from service.content.parser import parse_content_dir
from service.quiz import service as quiz_service

SEEDS = range(8)


def _as_written(latex: str, display: bool) -> str:
    return mathml._convert.__wrapped__(latex, display=display)


@pytest.fixture
def formulas(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """Every formula rendered while the test runs, with its display flag."""
    seen: list[tuple[str, bool]] = []
    convert = render.latex_to_mathml

    def recording(latex: str, *, display: bool) -> str:
        seen.append((latex, display))
        return convert(latex, display=display)

    monkeypatch.setattr(render, "latex_to_mathml", recording)
    yield seen


def test_every_generator_prompt_and_solution(formulas: list[tuple[str, bool]]) -> None:
    for generator in verifier.generators():
        for seed in SEEDS:
            question = generator.generate(seed)
            quiz_service.render(question.prompt)
            quiz_service.solution_steps(generator, question.inputs)
    with_numbers = [(latex, display) for latex, display in formulas if any(c.isdigit() for c in latex)]
    assert len(with_numbers) > 1000
    for latex, display in formulas:
        assert mathml.latex_to_mathml(latex, display=display) == _as_written(latex, display), latex


def test_every_formula_of_the_content(formulas: list[tuple[str, bool]], content_dir: Path) -> None:
    parse_content_dir(content_dir)
    assert len(formulas) > 500
    for latex, display in set(formulas):
        assert mathml.latex_to_mathml(latex, display=display) == _as_written(latex, display), latex


NUMBER = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1000, allow_nan=False).map(lambda x: f"{x:.4g}"),
    st.sampled_from(["0.5", ".5", "5.", "1e-3", "3em", "2 pt", "007"]),
)
PLACES = [
    "x = {}",
    r"\begin{{bmatrix}}{} & -{} \\ {} & {}\end{{bmatrix}}",
    "a_{} + b^{}",
    "a_{{{}}} + b^{{-{}}}",
    r"\frac{}{}",
    r"\frac{{{}}}{{{}}}",
    r"\sqrt[{}]{{{}}}",
    r"\text{{epoch {}}} = {}",
    r"\operatorname{{sign}}({}) \cdot 10^{{{}}}",
    r"\hspace{{{}}} {}",
    r"{}\,{}{}",
    # minus signs right before numbers, in rows (kept out of the shape) and in groups and scripts (kept in)
    r"\begin{{pmatrix}}-{} & -{} \\ -{} & {}\end{{pmatrix}}",
    r"x = -{}, y = (-{}, -{}) \cdot -{}",
    r"\left(-{}\right) + \frac{{-{}}}{{-{}}} - {}",
    r"e^{{-{}}} + a_{{-{}}} + {{-{}}} -{}",
    r"-{} = -{} & -{}\\-{}",
]


@settings(max_examples=300, deadline=None)
@given(place=st.sampled_from(PLACES), numbers=st.lists(NUMBER, min_size=4, max_size=4), display=st.booleans())
def test_numbers_anywhere(place: str, numbers: list[str], display: bool) -> None:
    latex = place.format(*numbers)
    try:
        expected = _as_written(latex, display)
    except mathml.MathError as error:
        with pytest.raises(mathml.MathError) as caught:
            mathml.latex_to_mathml(latex, display=display)
        assert str(caught.value) == str(error)  # the message quotes the formula as written
        return
    assert mathml.latex_to_mathml(latex, display=display) == expected


def test_a_shape_is_converted_once() -> None:
    mathml._template.cache_clear()
    first = mathml.latex_to_mathml(r"\mu = \begin{bmatrix}0.25 & -1.5\end{bmatrix}", display=False)
    second = mathml.latex_to_mathml(r"\mu = \begin{bmatrix}3.75 & -0.125\end{bmatrix}", display=False)
    assert "<mn>0.25</mn>" in first and "<mn>1.5</mn>" in first
    assert "<mn>3.75</mn>" in second and "<mn>0.125</mn>" in second
    assert mathml._template.cache_info().misses == 1 and mathml._template.cache_info().hits == 1


def test_a_matrix_is_one_shape_whatever_its_signs() -> None:
    mathml._template.cache_clear()
    signs = ["-1 & 2 \\\\ 3 & -4", "1 & -2 \\\\ -3 & 4", "-1 & -2 \\\\ -3 & -4", "1 & 2 \\\\ 3 & 4"]
    for cells in signs:
        latex = rf"\hat{{x}} = \begin{{bmatrix}}{cells}\end{{bmatrix}}"
        assert mathml.latex_to_mathml(latex, display=False) == _as_written(latex, False), latex
    assert mathml._template.cache_info().misses == 1 and mathml._template.cache_info().hits == 3
