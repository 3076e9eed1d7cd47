"""LaTeX snippets for prompts and worked steps, so every generator prints numbers the same way."""

from collections.abc import Sequence

import numpy as np

from verifier._types import FloatArray


def num(value: float, *, decimals: int = 4) -> str:
    """A number with trailing zeros dropped: ``0.5``, ``-1.25``, ``3``."""
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def matrix(values: FloatArray | Sequence[float] | Sequence[Sequence[float]], *, decimals: int = 4) -> str:
    """A vector (written as a row) or a matrix as a LaTeX ``bmatrix``."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return num(float(array), decimals=decimals)
    # Python floats from ``tolist`` format several times faster than NumPy scalars taken one by one.
    rows = (array.reshape(1, -1) if array.ndim == 1 else array.reshape(array.shape[0], -1)).tolist()
    body = r" \\ ".join(" & ".join(num(v, decimals=decimals) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"
