from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.content.mathml import MATHML_ELEMENTS, MathError, latex_to_mathml
from service.content.render import (
    UNTERMINATED_MATH,
    RenderProblem,
    render_inline_markdown,
    render_markdown,
)

HTML_ELEMENTS = frozenset(
    {"p", "em", "strong", "code", "pre", "a", "img", "ul", "ol", "li", "blockquote", "hr", "br", "s"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "div", "span"}
)


class _TagCollector(HTMLParser):
    """Collects what a browser would see as elements and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def assert_safe(html: str) -> None:
    assert "<script" not in html.lower()
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    for tag, attrs in collector.tags:
        assert tag in HTML_ELEMENTS | MATHML_ELEMENTS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (name, html)
            if name in ("href", "src"):
                assert not (value or "").strip().lower().startswith(("javascript:", "vbscript:")), html


class TestLatexToMathml:
    def test_inline_and_display(self) -> None:
        inline = latex_to_mathml("x^2", display=False)
        assert inline.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">')
        assert "<msup><mi>x</mi><mn>2</mn></msup>" in inline
        assert 'display="block"' in latex_to_mathml("x^2", display=True)

    def test_symbols_are_decoded_not_double_escaped(self) -> None:
        assert "<mi>λ</mi>" in latex_to_mathml(r"\lambda", display=False)
        assert "<mo>&lt;</mo>" in latex_to_mathml("a < b", display=False)

    def test_text_is_escaped(self) -> None:
        # latex2mathml's own string output would contain a live <script> element here.
        mathml = latex_to_mathml(r"\text{<script>alert(1)</script>}", display=False)
        assert "<script" not in mathml
        assert "<mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext>" in mathml

    def test_attribute_values_are_escaped(self) -> None:
        mathml = latex_to_mathml(r'\color{red" onclick="alert(1)}x', display=False)
        assert_safe(mathml)

    def test_text_mode_escapes_show_their_character(self) -> None:
        assert "<mtext>fan_in</mtext>" in latex_to_mathml(r"\text{fan\_in}", display=False)

    @pytest.mark.parametrize(
        ("latex", "reason"),
        [
            (r"\begin{foo}", "it ends too early"),
            (r"\frac", "it ends too early"),
            ("x^", "^ or _ with nothing after it"),
            (r"\left( x", r"\left without a matching \right"),
            (r"\begin{matrix}a", r"\begin{...} without a matching \end{...}"),
        ],
    )
    def test_rejected_formula(self, latex: str, reason: str) -> None:
        with pytest.raises(MathError, match="does not convert to MathML") as caught:
            latex_to_mathml(latex, display=False)
        assert f"formula ${latex}$" in str(caught.value)
        assert reason in str(caught.value)

    def test_unknown_command(self) -> None:
        with pytest.raises(MathError) as caught:
            latex_to_mathml(r"\lamda + 1", display=False)
        assert str(caught.value) == r"unknown LaTeX command '\lamda' in formula $\lamda + 1$"

    def test_unknown_command_inside_text(self) -> None:
        with pytest.raises(MathError, match=r"unknown LaTeX command '\\alpha'"):
            latex_to_mathml(r"\text{\alpha}", display=False)


class TestRenderMarkdown:
    def test_raw_html_is_escaped(self) -> None:
        result = render_markdown("Hi <script>alert(1)</script> <b>bold</b>\n\n<div>block</div>\n")
        assert result.html == (
            "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</p>\n"
            "<p>&lt;div&gt;block&lt;/div&gt;</p>\n"
        )
        assert result.problems == []

    def test_inline_math_becomes_mathml(self) -> None:
        result = render_markdown("Square: $x^2$.")
        assert result.html.startswith(
            '<p>Square: <math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">'
        )
        assert result.problems == []

    def test_display_math_block(self) -> None:
        result = render_markdown("$$\n\\frac{1}{m}\n$$\n")
        assert result.html.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">')
        assert "<mfrac>" in result.html

    def test_double_dollar_inside_a_paragraph_is_display_math(self) -> None:
        result = render_markdown("so $$a+b$$ holds")
        assert 'display="block"' in result.html
        assert result.problems == []

    def test_bad_formula_is_reported_with_its_line(self) -> None:
        result = render_markdown("first line\nsecond $\\begin{foo}$ line\n", first_line=40)
        assert result.problems == [
            RenderProblem(
                41,
                r"formula $\begin{foo}$ does not convert to MathML: "
                "it ends too early (a command without its argument, or an unclosed brace)",
            )
        ]
        assert '<code class="math-error">\\begin{foo}</code>' in result.html

    def test_bad_display_formula_line_is_its_opening(self) -> None:
        result = render_markdown("text\n\n$$\nx^\n$$\n", first_line=1)
        assert [problem.line for problem in result.problems] == [3]

    def test_unterminated_math(self) -> None:
        result = render_markdown("one\ntwo $x^2 and more\n", first_line=5)
        assert result.problems == [RenderProblem(6, UNTERMINATED_MATH)]

    def test_unterminated_display_math(self) -> None:
        result = render_markdown("$$\nx^2\n\nmore text\n")
        assert result.problems == [RenderProblem(1, UNTERMINATED_MATH)]

    def test_escaped_dollar_is_literal(self) -> None:
        result = render_markdown("It costs \\$5, or \\$7 on Sundays.")
        assert result.html == "<p>It costs $5, or $7 on Sundays.</p>\n"
        assert result.problems == []

    def test_dollar_in_code_and_autolink_is_fine(self) -> None:
        result = render_markdown("Use `$HOME` and <https://example.com/$id>.\n\n```\necho $PATH\n```\n")
        assert result.problems == []
        assert "<code>$HOME</code>" in result.html

    def test_line_counting_across_earlier_multiline_math(self) -> None:
        result = render_markdown("a $x\ny$ b\nc $x^$\n")
        assert [problem.line for problem in result.problems] == [3]

    def test_javascript_links_are_not_links(self) -> None:
        result = render_markdown(
            "[click](javascript:alert(1)) ![img](javascript:alert(1)) [ok](https://example.com)"
        )
        assert 'href="javascript' not in result.html
        assert 'src="javascript' not in result.html
        assert '<a href="https://example.com">ok</a>' in result.html
        assert_safe(result.html)

    def test_tables_and_strikethrough(self) -> None:
        result = render_markdown("| a | b |\n|---|---|\n| $1$ | ~~2~~ |\n")
        assert "<table>" in result.html
        assert "<s>2</s>" in result.html
        assert "<math" in result.html

    def test_attribute_lines_render_to_nothing(self) -> None:
        assert render_markdown('{#x onclick="alert(1)"}\nText\n').html == "<p>Text</p>\n"


_FRAGMENTS = [
    "<script>",
    "</script>",
    "<SCRIPT SRC=x>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "[a](",
    "![a](",
    "](",
    ")",
    "<http://",
    "$",
    "$$",
    "\\text{",
    "\\color{",
    "}",
    "{",
    '"',
    "\n",
    "\n\n",
    "`",
    "```\n",
    "<",
    ">",
    "&",
    "&lt;",
    "\\",
    "|",
    "---",
    "# ",
    "{#id onclick=x}\n",
    "    ",
]
_arbitrary_markdown = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(_FRAGMENTS)), max_size=30).map(
    "".join
)


@settings(max_examples=300, deadline=None)
@given(_arbitrary_markdown)
def test_arbitrary_text_never_yields_unsafe_html(text: str) -> None:
    assert_safe(render_markdown(text).html)


class TestMathJaxMode:
    """Anki's mode: the same markdown pipeline, formulas as MathJax delimiters around escaped LaTeX."""

    def test_inline_and_display_delimiters(self) -> None:
        result = render_markdown("A $a<b$ and $$x \\& y$$\n\n$$\n\\frac{1}{2}\n$$\n", math="mathjax")
        assert result.problems == []
        assert result.html == "<p>A \\(a&lt;b\\) and \\[x \\&amp; y\\]</p>\n\\[\\frac{1}{2}\\]\n"

    def test_markdown_and_html_escaping_are_unchanged(self) -> None:
        text = "**bold** <script>x</script> `code`"
        assert render_markdown(text, math="mathjax").html == render_markdown(text).html

    def test_inline_rendering_has_no_paragraph(self) -> None:
        result = render_inline_markdown("What is $x^2$ *here*?", math="mathjax")
        assert result.html == "What is \\(x^2\\) <em>here</em>?"
