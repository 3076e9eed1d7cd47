"""LaTeX snippets for prompts and worked steps, so every generator prints numbers the same way."""

from collections.abc import Sequence

import numpy as np

from verifier._types import FloatArray


class _FixedText(dict[float, str]):
    """The text of numbers at one precision, remembered: prompts print the same few hand-workable numbers
    (0.5, -1.2, ...) over and over, and a dict lookup costs a fraction of formatting or ``lru_cache``."""

    __slots__ = ("decimals",)
    limit = 4096  # past this many numbers, format without remembering

    def __init__(self, decimals: int) -> None:
        super().__init__()
        self.decimals = decimals

    def __missing__(self, value: float) -> str:
        text = f"{value:.{self.decimals}f}".rstrip("0").rstrip(".")
        text = "0" if text in ("-0", "") else text
        if len(self) < self.limit:
            self[value] = text
        return text


_TEXT_BY_DECIMALS: dict[int, _FixedText] = {}


def _fixed_text(decimals: int) -> _FixedText:
    texts = _TEXT_BY_DECIMALS.get(decimals)
    if texts is None:
        texts = _TEXT_BY_DECIMALS[decimals] = _FixedText(decimals)
    return texts


def num(value: float, *, decimals: int = 4) -> str:
    """A number with trailing zeros dropped: ``0.5``, ``-1.25``, ``3``."""
    return _fixed_text(decimals)[value]


def _rows(values: FloatArray | Sequence[float] | Sequence[Sequence[float]]) -> list[list[float]] | None:
    """The values as rows of numbers (a vector is one row); None for a single number."""
    if isinstance(values, list) and values:  # lists of numbers or of rows, as generators build them
        return values if isinstance(values[0], list) else [values]
    if isinstance(values, np.ndarray) and values.ndim in (1, 2):
        # Python numbers from ``tolist`` format several times faster than NumPy scalars one by one.
        listed: list[float] | list[list[float]] = values.tolist()
        return [listed] if values.ndim == 1 else listed  # type: ignore[list-item, return-value]
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return None
    rows: list[list[float]] = (
        array.reshape(1, -1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    ).tolist()
    return rows


def matrix(values: FloatArray | Sequence[float] | Sequence[Sequence[float]], *, decimals: int = 4) -> str:
    """A vector (written as a row) or a matrix as a LaTeX ``bmatrix``."""
    rows = _rows(values)
    if rows is None:
        return num(float(np.asarray(values, dtype=np.float64)), decimals=decimals)
    text = _fixed_text(decimals)
    body = r" \\ ".join([" & ".join(map(text.__getitem__, row)) for row in rows])
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"
