"""Markdown to safe HTML for cards, with LaTeX turned into MathML at load time.

Cards are rendered once, when content is loaded, so the API serves stored HTML and the browser needs no
math library. Authors are trusted to write content but not to write HTML: raw HTML is escaped, links
go through markdown-it's ``validateLink`` (no ``javascript:`` URLs), and the MathML that latex2mathml
builds is re-serialized here, because latex2mathml's own string output un-escapes ``\\text{<script>}``.

Anything that would silently show up wrong on a page (a formula latex2mathml rejects, an unknown
LaTeX command, a ``$`` that never closes) is returned as a problem with its line instead, so
``dlquiz content check`` can refuse it before a learner ever sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Literal, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererProtocol
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from service.content.mathml import MathError, latex_to_mathml

UNTERMINATED_MATH = "unterminated math ($ without a closing $)"


_ENV_PROBLEMS = "dlquiz_problems"
_ENV_MATH = "dlquiz_math"
_ENV_LINE_OFFSET = "dlquiz_line_offset"
_META_LINE = "dlquiz_line"
_META_PROBLEMS = "dlquiz_problems"


MathMode = Literal["mathml", "mathjax"]
"""How formulas come out: MathML for dlquiz's own pages, MathJax delimiters for Anki (which renders
``\\(…\\)`` and ``\\[…\\]`` with MathJax and shows MathML unreliably)."""


class RenderProblem(NamedTuple):
    """Something in the markdown that would not show as written; ``line`` is 1-based in the file."""

    line: int
    message: str


class RenderResult(NamedTuple):
    html: str
    problems: list[RenderProblem]


def _line(token: Token, env: EnvType) -> int:
    """1-based line of a token in the file, from the block map or the line the core rule stored."""
    offset: int = env.get(_ENV_LINE_OFFSET, 0)
    if _META_LINE in token.meta:
        return int(token.meta[_META_LINE]) + offset
    if token.map is not None:
        return token.map[0] + 1 + offset
    return 1 + offset


def _report(env: EnvType, line: int, message: str) -> None:
    env.setdefault(_ENV_PROBLEMS, []).append(RenderProblem(line, message))


def _math_html(token: Token, env: EnvType, *, display: bool) -> str:
    if env.get(_ENV_MATH) == "mathjax":
        # The LaTeX source, HTML-escaped like any field text: the browser decodes it before MathJax
        # reads it. Stored content already passed the MathML check, so nothing is converted here.
        opening, closing = ("\\[", "\\]") if display else ("\\(", "\\)")
        return f"{opening}{escapeHtml(token.content.strip())}{closing}"
    try:
        return latex_to_mathml(token.content.strip(), display=display)
    except MathError as exc:
        _report(env, _line(token, env), str(exc))
        # Still show the source, so the page stays readable if someone renders it anyway.
        return f'<code class="math-error">{escapeHtml(token.content.strip())}</code>'


def _render_math_inline(
    _self: RendererProtocol, tokens: Sequence[Token], idx: int, _options: OptionsDict, env: EnvType
) -> str:
    return _math_html(tokens[idx], env, display=False)


def _render_math_inline_double(
    _self: RendererProtocol, tokens: Sequence[Token], idx: int, _options: OptionsDict, env: EnvType
) -> str:
    return _math_html(tokens[idx], env, display=True)


def _render_math_block(
    _self: RendererProtocol, tokens: Sequence[Token], idx: int, _options: OptionsDict, env: EnvType
) -> str:
    return f"{_math_html(tokens[idx], env, display=True)}\n"


def _render_math_block_label(
    _self: RendererProtocol, tokens: Sequence[Token], idx: int, _options: OptionsDict, env: EnvType
) -> str:
    label = escapeHtml(tokens[idx].info)
    return f'<div class="math-labeled">{_math_html(tokens[idx], env, display=True)}<span class="math-label">({label})</span></div>\n'


def _render_nothing(
    _self: RendererProtocol, _tokens: Sequence[Token], _idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    # Attribute lines and front matter are data for the parser, not part of any page.
    return ""


def _mark_inline_lines(state: StateCore) -> None:
    """Core rule: give math tokens their file line and record `$` signs dollarmath could not pair.

    It runs before ``text_join``, while an escaped ``\\$`` is still a separate ``text_special``
    token; afterwards it is indistinguishable from a stray ``$`` in the joined text.
    """
    for block in state.tokens:
        if block.type != "inline" or block.map is None or not block.children:
            continue
        line = block.map[0] + 1
        problems: list[tuple[int, str]] = []
        in_autolink = False
        for child in block.children:
            child.meta[_META_LINE] = line
            if child.type == "link_open" and child.markup == "autolink":
                in_autolink = True
            elif child.type == "link_close" and child.markup == "autolink":
                in_autolink = False
            elif child.type == "text" and "$" in child.content and not in_autolink:
                problems.append((line, UNTERMINATED_MATH))
            elif child.type == "image" and child.children:
                if any(t.type == "text" and "$" in t.content for t in child.children):
                    problems.append((line, UNTERMINATED_MATH))
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type.startswith("math_inline"):
                line += child.content.count("\n")
        if problems:
            block.meta[_META_PROBLEMS] = problems


@cache
def markdown() -> MarkdownIt:
    """The one configured parser, shared by the deck parser and the renderer.

    Token streams must come from this instance: rendering relies on the line marks its core rule
    adds. Attribute blocks are kept as ``attrs_block`` tokens (the plugin's core rule that would
    move them onto the next block is disabled) so the parser knows the attribute line's own line
    number and can tell when it does not sit above a heading.
    """
    md = (
        MarkdownIt("commonmark", {"html": False})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(attrs_block_plugin)
        .use(dollarmath_plugin, double_inline=True)
    )
    md.core.ruler.disable("attr")
    md.core.ruler.before("text_join", "dlquiz_inline_lines", _mark_inline_lines)
    md.add_render_rule("math_inline", _render_math_inline)
    md.add_render_rule("math_inline_double", _render_math_inline_double)
    md.add_render_rule("math_block", _render_math_block)
    md.add_render_rule("math_block_label", _render_math_block_label)
    md.add_render_rule("attrs_block", _render_nothing)
    md.add_render_rule("front_matter", _render_nothing)
    return md


def render_tokens(
    tokens: Sequence[Token], *, line_offset: int = 0, math: MathMode = "mathml"
) -> RenderResult:
    """Render a slice of a token stream from :func:`markdown` (whole blocks, or one ``inline`` token).

    A heading's ``inline`` token on its own renders to the heading text without the ``<hN>``
    wrapper, which is what a card front needs. ``line_offset`` shifts reported lines when the
    tokens came from a snippet rather than a whole file. Problems come back in line order.
    """
    env: EnvType = {_ENV_LINE_OFFSET: line_offset, _ENV_MATH: math}
    md = markdown()
    rendered = md.renderer.render(tokens, md.options, env)
    problems: list[RenderProblem] = list(env.get(_ENV_PROBLEMS, []))
    for token in tokens:
        for line, message in token.meta.get(_META_PROBLEMS, []):
            problems.append(RenderProblem(line + line_offset, message))
    problems.sort(key=lambda problem: problem.line)
    return RenderResult(str(rendered), problems)


def render_markdown(text: str, *, first_line: int = 1, math: MathMode = "mathml") -> RenderResult:
    """Render a markdown snippet; ``first_line`` is the file line the snippet starts on."""
    return render_tokens(markdown().parse(text), line_offset=first_line - 1, math=math)


def render_inline_markdown(text: str, *, math: MathMode = "mathml") -> RenderResult:
    """Render one line of markdown without a ``<p>`` around it, as a card's question heading is."""
    tokens = markdown().parse(text)
    inline = [token for token in tokens if token.type == "inline"][:1]
    return render_tokens(inline, math=math)
