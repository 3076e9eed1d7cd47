"""Formulas as unicode text for the terminal; the rest of the markdown is left as written."""

from __future__ import annotations

import pytest

from service.tui.text import formula, readable


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\alpha+\beta", "α+β"),
        (r"\frac{1}{N}", "1/N"),
        (r"\frac{x-\mu}{\sigma}", "(x-μ)/σ"),
        (r"\sigma^2", "σ²"),
        (r"x^{10}", "x¹⁰"),
        (r"W^\top", "W^⊤"),
        (r"\sqrt{2}", "√(2)"),
        (r"a \times b", "a ×b"),
    ],
)
def test_formula(latex: str, text: str) -> None:
    assert formula(latex) == text


def test_only_formulas_change() -> None:
    markdown = r"**Batch norm** uses $\mu$ and `eps`; it costs $5 and \(\gamma\)."
    assert readable(markdown) == r"**Batch norm** uses μ and `eps`; it costs $5 and γ."


def test_display_math_gets_its_own_line() -> None:
    assert readable(r"so $$y = \max(0, x)$$ holds") == "so \n    y = max(0, x)\n holds"
