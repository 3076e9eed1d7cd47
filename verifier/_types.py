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
JsonValue: TypeAlias = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
