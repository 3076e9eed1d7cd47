"""Card and question markdown as readable terminal text: the markdown source as written, with each
formula (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) turned into unicode by pylatexenc
(``\\alpha`` -> α, ``\\sqrt{x}`` -> √(x), ``\\frac{a+b}{c}`` -> (a+b)/c, ``x^2`` -> x²).

Only the formulas are converted: the rest of the markdown is shown as its source, which reads well
in a terminal and keeps code, lists and emphasis markers as the author wrote them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
SUPERSCRIPTS = str.maketrans("0123456789+-=()nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿᵀⁱ")
SUPERSCRIPT = re.compile(r"\^(?:\{([0-9+\-=()nTi]+)\}|([0-9nTi]))")


def _grouped(text: str) -> str:
    """A fraction's part, parenthesized unless it is one symbol or a plain number or word."""
    text = text.strip()
    return text if re.fullmatch(r"[\w.]+|.", text) else f"({text})"


def _frac(node: Any, l2tobj: Any) -> str:  # pylatexenc passes l2tobj by name
    numerator, denominator = (l2tobj.nodelist_to_text([arg]) for arg in node.nodeargd.argnlist[-2:])
    return f"{_grouped(numerator)}/{_grouped(denominator)}"


@cache
def _converter() -> LatexNodes2Text:
    context = get_default_latex_context_db().filter_context()  # a copy: the default is shared
    context.add_context_category(
        "dlquiz",
        macros=[MacroTextSpec("frac", simplify_repl=_frac), MacroTextSpec("dfrac", simplify_repl=_frac)],
        prepend=True,
    )
    return LatexNodes2Text(latex_context=context, math_mode="text")


def formula(latex: str) -> str:
    """One formula's LaTeX as unicode text (digits and simple exponents as superscripts)."""
    # Superscripts first, on the source: the converter drops braces, after which x^{10} reads x^10.
    latex = SUPERSCRIPT.sub(lambda m: (m.group(1) or m.group(2)).translate(SUPERSCRIPTS), latex)
    return str(_converter().latex_to_text(latex)).strip()


def readable(markdown: str) -> str:
    """``markdown`` with every formula converted by :func:`formula`; display math on its own line."""

    def convert(match: re.Match[str]) -> str:
        display, inline, paren, bracket = match.groups()
        if display is not None or bracket is not None:
            return "\n    " + formula(display or bracket) + "\n"
        return formula(inline if inline is not None else paren)

    return MATH.sub(convert, markdown)
