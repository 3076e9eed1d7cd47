"""Answer fields and the precision rule every grader and every prompt share.

Prompts ask for non-integers to 3 significant figures and integers exactly (:data:`PRECISION_NOTE`). The
tolerance follows from that: an entry ``e`` of a field whose largest entry is ``m`` accepts
``|got − e| ≤ atol + rtol·(|e| + m/10)``. With ``rtol = 1 %`` the right answer rounded to 3 significant
figures (at most 0.5 % off) passes, as does hand work that kept intermediates at 3 figures; the ``m/10``
term lets an entry near zero, in a vector of larger ones, carry the absolute error its neighbours do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

RTOL = 1e-2
ATOL = 1e-6
SCALE_SHARE = 0.1  # the share of a field's largest entry that every entry of it may be off by, times rtol
FIGURES = 3
PRECISION_NOTE = (
    f"Give non-integer values to {FIGURES} significant figures (or better); give integers exactly."
)
INTEGER_NOTE = "Every answer is an integer: give it exactly."


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One answer field: its shape (``()`` for a scalar), its kind, its tolerance and its weight.

    ``weight`` is the field's share of the score; None weighs it by its number of entries.
    """

    shape: tuple[int, ...] = ()
    dtype: Literal["float", "int"] = "float"
    rtol: float = RTOL
    atol: float = ATOL
    weight: float | None = None
    size: int = field(init=False, repr=False, compare=False)  # the number of entries, read on every check

    def __post_init__(self) -> None:
        size = 1
        for n in self.shape:
            size *= n
        object.__setattr__(self, "size", size)

    @property
    def score_weight(self) -> float:
        return float(self.size) if self.weight is None else self.weight


def tolerances(expected: list[float], spec: FieldSpec) -> list[float]:
    """The accepted deviation of each entry (0 for an integer field), by the rule in the module docstring."""
    if spec.dtype == "int":
        return [0.0] * len(expected)
    scale = SCALE_SHARE * max(map(abs, expected), default=0.0)
    atol, rtol = spec.atol, spec.rtol
    return [atol + rtol * (abs(e) + scale) for e in expected]


def matches(got: list[float], expected: list[float] | None, spec: FieldSpec) -> list[bool]:
    """Per entry, whether ``got`` is within tolerance of ``expected`` (all False when that is unknown)."""
    if expected is None or len(expected) != len(got):
        return [False] * len(got)
    return within(got, expected, tolerances(expected, spec))


def all_match(got: list[float], expected: list[float], spec: FieldSpec) -> bool:
    """Whether every entry of ``got`` matches ``expected`` (``all(matches(...))``, stopping at the first
    miss: the separation check asks it of every answer it grades)."""
    if len(expected) != len(got):
        return False
    # Plain loops: a generator expression in ``all`` costs about three times as much at a few entries.
    if spec.dtype == "int":
        for g, e in zip(got, expected, strict=True):
            if not abs(g - e) <= 0.0:  # a NaN fails too
                return False
        return True
    scale = SCALE_SHARE * max(map(abs, expected), default=0.0)  # then each limit as ``tolerances`` has it
    atol, rtol = spec.atol, spec.rtol
    for g, e in zip(got, expected, strict=True):
        if not abs(g - e) <= atol + rtol * (abs(e) + scale):
            return False
    return True


def within(got: list[float], expected: list[float], limits: list[float]) -> list[bool]:
    """Per entry, whether ``got`` is within ``limits`` (``tolerances(expected, spec)``, which a grader
    comparing many answers with one reference works out once) of ``expected``, of the same length."""
    return [abs(g - e) <= t for g, e, t in zip(got, expected, limits, strict=True)]  # False for a NaN


def round_figures(value: float, figures: int = FIGURES) -> float:
    """``value`` rounded to ``figures`` significant figures, as a candidate following the prompt writes it
    (for one number; the grader rounds whole fields the same way with NumPy)."""
    if value == 0 or not math.isfinite(value):
        return value
    unit = 10.0 ** (math.floor(math.log10(abs(value))) - (figures - 1))
    return round(value / unit) * unit
