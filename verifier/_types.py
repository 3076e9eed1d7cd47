"""Array and value aliases shared by every concept module.

Inputs reach a generator either freshly sampled (NumPy arrays) or back from JSON storage (nested lists),
so the functions that read them accept both; answers are always NumPy arrays or Python scalars.
"""

from collections.abc import Mapping
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
InputValue: TypeAlias = FloatArray | float | int | str | list[object] | dict[str, object]
Inputs: TypeAlias = Mapping[str, object]
AnswerValue: TypeAlias = FloatArray | float | int
Answer: TypeAlias = dict[str, AnswerValue]
# An answer as a generator's answer stream may hand it to the grader (``verifier.grading.AnswerStream``):
# a vector or matrix may also be the plain list of floats it was computed as, which for a hand-sized answer
# is several times cheaper to build and to compare than an array. ``solve`` still returns arrays.
StreamValue: TypeAlias = AnswerValue | list[float] | list[list[float]]
StreamAnswer: TypeAlias = Mapping[str, StreamValue]
JsonValue: TypeAlias = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
