"""LaTeX to MathML that is safe to embed in HTML: latex2mathml's element tree, checked against a
whitelist of elements and attributes and serialized with proper escaping (latex2mathml's own string
output un-escapes ``\\text{<script>}``).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert_to_element
from latex2mathml.tokenizer import PATTERN as _TOKEN

# Element names latex2mathml emits today, plus the rest of MathML Core's presentation elements so a
# library upgrade does not break content; anything else (an HTML tag smuggled in) is refused.
MATHML_ELEMENTS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
        "munder", "mover", "munderover", "mfrac", "msqrt", "mroot", "mstyle", "mpadded", "mphantom",
        "menclose", "mtable", "mtr", "mtd", "mlabeledtr", "mmultiscripts", "mprescripts", "none",
        "merror", "semantics", "annotation",
    }
)  # fmt: skip
# Attributes that can run script or load something, whatever element carries them.
_FORBIDDEN_ATTRIBUTES = frozenset({"href", "xlink:href", "src", "style", "action", "formaction"})
_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z-]*")
# latex2mathml keeps a command it does not know as literal text (`\lamda` -> <mi>\lamda</mi>).
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]+")
_TEXT_ESCAPE = re.compile(r"\\([_%&#$\{\}])")
# latex2mathml's exceptions carry no message; say what the author most likely did.
_LATEX2MATHML_HINTS = {
    "NumeratorNotFoundError": "\\frac has no numerator",
    "DenominatorNotFoundError": "\\frac has no denominator",
    "ExtraLeftOrMissingRightError": "\\left without a matching \\right, or the reverse",
    "MissingSuperScriptOrSubscriptError": "^ or _ with nothing after it",
    "DoubleSubscriptsError": "two subscripts on one symbol (group them with braces)",
    "DoubleSuperscriptsError": "two superscripts on one symbol (group them with braces)",
    "NoAvailableTokensError": "it ends too early (a command without its argument, or an unclosed brace)",
    "InvalidStyleForGenfracError": "invalid \\genfrac style",
    "MissingEndError": "\\begin{...} without a matching \\end{...}",
    "InvalidAlignmentError": "invalid column alignment",
    "InvalidWidthError": "invalid width",
    "LimitsMustFollowMathOperatorError": "\\limits must follow an operator such as \\sum",
}
_SHOWN_FORMULA_CHARS = 80

# Numbers become placeholders of this form before conversion: one <mn> each, like any number latex2mathml
# tokenizes as one (its own tokenizer's pattern finds them, so subscript digits and \frac12 stay as
# written), and never present in a formula's shape otherwise: every number of the shape is one of them.
_PLACEHOLDER_BASE = 900_000
_PLACEHOLDER_LIMIT = 100_000
_FILLED = re.compile(r"<mn>(9\d{5})</mn>")
_BARE_PLACEHOLDER = re.compile(r"9\d{5}")


_SIGN_CONTEXTS = ("=", "(", ",", "&", "\\\\")
_MATRIX_BEGIN = re.compile(r"\\begin\s*\{[a-zA-Z]*matrix\*?\}$")

MATHML_CACHE_SIZE = 8192


class MathError(ValueError):
    """A formula that cannot be shown: latex2mathml rejected it or produced something unsafe."""


def latex_to_mathml(latex: str, *, display: bool) -> str:
    """Convert one formula to a MathML string that is safe to embed in HTML.

    Memoized, and by shape: the formula's numbers are converted as placeholders (the structure is
    the same whatever the digits), and the drawn numbers are put back into the cached result. A
    numeric question's worked solution is almost all formulas with fresh numbers, and converting
    them was the costliest part of answering one.

    Raises:
        MathError: as :func:`_convert` (a formula that fails is converted as written, so the
            message quotes it).
    """
    numbers: list[str] = []
    signed = False  # the token before this one was a minus sign kept out of the shape

    def placeholder(match: re.Match[str]) -> str:
        nonlocal signed
        token = match.group()
        if token == "-" and _sign_stands_apart(latex, match.start(), match.end()):
            signed = True
            return ""
        if match.lastgroup != "number":
            signed = False
            return token
        numbers.append(f"-{token}" if signed else token)
        signed = False
        return str(_PLACEHOLDER_BASE + len(numbers) - 1)

    shape = _TOKEN.sub(placeholder, latex)
    if numbers and len(numbers) < _PLACEHOLDER_LIMIT:
        try:
            template = _template(shape, display=display, count=len(numbers))
        except MathError:
            template = None
        if template is not None:
            return _FILLED.sub(
                lambda found: _number(numbers[int(found.group(1)) - _PLACEHOLDER_BASE]), template
            )
    return _convert(latex, display=display)


def _sign_stands_apart(latex: str, start: int, end: int) -> bool:
    """The minus sign at ``latex[start:end]`` is written right before a number, in a row of the
    formula where latex2mathml makes it a sibling ``<mo>−</mo>`` of the number's ``<mn>`` whatever
    the sign: after "=", "(" or ",", or opening a matrix cell or row. Such numbers keep their sign out
    of the shape: a drawn 4×2 matrix is then one shape, not one for each of its 256 patterns of signs.
    (Not inside braces or a script, where one token or two make a different tree.)"""
    if not latex[end : end + 1].isdigit():
        return False
    before = latex[:start].rstrip()
    return before.endswith(_SIGN_CONTEXTS) or _MATRIX_BEGIN.search(before) is not None


def _number(number: str) -> str:
    if number.startswith("-"):
        return f"<mo>\u2212</mo><mn>{number[1:]}</mn>"
    return f"<mn>{number}</mn>"


@lru_cache(maxsize=MATHML_CACHE_SIZE)
def _template(shape: str, *, display: bool, count: int) -> str | None:
    """The MathML of a formula whose numbers are placeholders, or None when some placeholder did not
    come out as a number element of its own (inside ``\\text{}``, say): then the formula is converted
    as written."""
    mathml = _convert.__wrapped__(shape, display=display)  # cached here, not twice
    placeholders = _FILLED.findall(mathml)
    if sorted(placeholders) != [str(_PLACEHOLDER_BASE + i) for i in range(count)]:
        return None
    if _BARE_PLACEHOLDER.search(_FILLED.sub("", mathml)):
        return None
    return mathml


@lru_cache(maxsize=MATHML_CACHE_SIZE)
def _convert(latex: str, *, display: bool) -> str:
    """One formula through latex2mathml, checked and re-serialized.

    latex2mathml is asked for its element tree rather than its string, and the tree is serialized
    with proper escaping; element and attribute names are checked against a whitelist.

    Raises:
        MathError: latex2mathml failed (it raises many exception types, all mapped here), the
            formula uses a command latex2mathml does not know, or the output has an unexpected
            element or attribute.
    """
    shown = _shown(latex)
    try:
        root = convert_to_element(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml has no common base class for its errors
        name = type(exc).__name__
        reason = _LATEX2MATHML_HINTS.get(name) or str(exc).strip() or name
        raise MathError(f"formula {shown} does not convert to MathML: {reason}") from exc
    for element in root.iter():
        if element.tag not in MATHML_ELEMENTS:
            raise MathError(f"formula {shown} produced an unsupported element <{element.tag}>")
        for name in list(element.attrib):
            if not _ATTRIBUTE_NAME.fullmatch(name) or name.startswith("on") or name in _FORBIDDEN_ATTRIBUTES:
                raise MathError(f"formula {shown} produced an unsafe attribute {name!r}")
            # latex2mathml writes character references as literal text ("&#x003BB;") and relies
            # on un-escaping its own output; decode them so the serializer can escape everything.
            element.attrib[name] = html.unescape(element.attrib[name])
        if element.text:
            element.text = _check_text(element.tag, element.text, shown)
        if element.tail:
            element.tail = html.unescape(element.tail)
    return ET.tostring(root, encoding="unicode")


def _check_text(tag: str, text: str, shown: str) -> str:
    """Decode one element's text, refusing commands latex2mathml passed through untranslated."""
    if tag == "mtext":
        # latex2mathml keeps text-mode escapes as written: \text{fan\_in} would show "fan\_in".
        text = _TEXT_ESCAPE.sub(r"\1", text)
        unknown = _UNKNOWN_COMMAND.search(text)
    else:
        unknown = _UNKNOWN_COMMAND.fullmatch(text.strip())
    if unknown:
        raise MathError(f"unknown LaTeX command '{unknown.group()}' in formula {shown}")
    return html.unescape(text)


def _shown(latex: str) -> str:
    """The formula as an author would search for it in the file: one line, not too long."""
    compact = " ".join(latex.split())
    if len(compact) > _SHOWN_FORMULA_CHARS:
        compact = compact[: _SHOWN_FORMULA_CHARS - 1] + "…"
    return f"${compact}$"
