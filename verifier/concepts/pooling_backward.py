"""Backward pass of max pooling and average pooling on one small map: where the gradient goes.

Convention (``torch.nn.MaxPool2d`` / ``nn.AvgPool2d``, no padding): max pooling sends each output's upstream
gradient to the one input that was the window's maximum; average pooling spreads it evenly, dout/k² to every
input of the window. Where windows overlap (stride < kernel), an input receives the sum of the gradients of
every window that used it. The inputs are distinct, so no window has a tie (DLB 9.3, Goodfellow et al. 2016,
https://www.deeplearningbook.org/contents/convnets.html).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import as_array, as_int, picks
from verifier.grading import FieldSpec
from verifier.latex import matrix
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

SIZE = 4  # the input map is SIZE × SIZE
DOUT_CHOICES = np.array([-4, -3, -2, -1, 1, 2, 3, 4])  # upstream gradients: small non-zero integers
CASES = ((2, 2), (3, 1), (2, 1))  # (kernel, stride): without overlap, then with overlap

Window = tuple[int, int]  # the top-left corner of a window in the input


def _read(inputs: Inputs) -> Values:
    return {"x": as_array(inputs["x"]), "dout": as_array(inputs["dout"]), "k": as_int(inputs["kernel"]),
            "s": as_int(inputs["stride"])}  # fmt: skip


def windows(k: int, s: int) -> list[Window]:
    """Top-left corners of the windows, in row-major output order."""
    out = (SIZE - k) // s + 1
    return [(i * s, j * s) for i in range(out) for j in range(out)]


@cache
def _window_cells(corners: tuple[Window, ...], k: int) -> npt.NDArray[np.intp]:
    """(windows, k²): the flat input index of every cell of every window."""
    return np.array([[(r + i) * SIZE + c + j for i in range(k) for j in range(k)] for r, c in corners])


def argmax_positions(x: FloatArray, corners: list[Window], k: int) -> list[Window]:
    """The input position (row, column) of each window's maximum."""
    cells = _window_cells(tuple(corners), k)
    flat = cells[np.arange(len(cells)), x.ravel()[cells].argmax(axis=1)].tolist()
    return [divmod(index, SIZE) for index in flat]


def route_max(dout: FloatArray, argmax: list[Window], *, accumulate: bool = True) -> FloatArray:
    """Max pooling's dx: each upstream gradient added (or, the wrong belief, written) at its argmax."""
    dx = np.zeros((SIZE, SIZE))
    for g, (r, c) in zip(dout.ravel().tolist(), argmax, strict=True):
        dx[r, c] = dx[r, c] + g if accumulate else g
    return dx


@cache
def _membership(corners: tuple[Window, ...], k: int) -> FloatArray:
    """(windows, SIZE²): 1 where an input belongs to a window (a few shapes, built once each)."""
    member = np.zeros((len(corners), SIZE, SIZE))
    for number, (r, c) in enumerate(corners):
        member[number, r : r + k, c : c + k] = 1.0
    return member.reshape(len(corners), SIZE * SIZE)


def route_avg(dout: FloatArray, corners: list[Window], k: int, *, share: float) -> FloatArray:
    """Average pooling's dx: each upstream gradient times ``share`` added to every input of its window."""
    out: FloatArray = (dout.ravel() @ _membership(tuple(corners), k)).reshape(SIZE, SIZE) * share
    return out


def _positions(v: Values) -> str:
    return ", ".join(f"({r + 1},{c + 1})" for r, c in v["argmax"])


GRAPH = StepGraph(
    [
        Calc(
            "corners",
            lambda k, s: windows(k, s),
            lambda v: (
                f"Windows of {v['k']}×{v['k']} with stride {v['s']} start at rows/columns "
                + ", ".join(f"({r + 1},{c + 1})" for r, c in v["corners"])
                + (" and overlap." if v["s"] < v["k"] else " and do not overlap.")
            ),
        ),
        Calc(
            "argmax",
            lambda x, corners, k: argmax_positions(x, corners, k),
            lambda v: f"The maximum of each window (row, column, counting from 1): {_positions(v)}.",
            hint="In the forward pass only the largest input of a window reached the output.",
        ),
        Calc(
            "dx_max",
            lambda dout, argmax: route_max(dout, argmax),
            lambda v: (
                "Each upstream gradient goes to its window's maximum, added up where two windows share "
                f"it; every other input gets 0: $dx = {matrix(v['dx_max'])}$."
            ),
            hint="An input that is the maximum of two overlapping windows collects both gradients.",
        ),
        Calc(
            "dx_avg",
            lambda dout, corners, k: route_avg(dout, corners, k, share=1.0 / (k * k)),
            lambda v: (
                f"Each upstream gradient is shared equally, 1/{v['k'] * v['k']} to every input of its "
                f"window, and the shares add up where windows overlap: $dx = {matrix(v['dx_avg'])}$."
            ),
            hint="The output is the mean of k² inputs: each input's local derivative is 1/k².",
        ),
    ],
    fields=("dx_max", "dx_avg"),
    misconceptions=[
        WrongStep(
            id="pooling.max-spread-evenly",
            feedback="You spread the max-pool gradient over the window like average pooling; only the "
            "maximum affected the output, so it alone gets the gradient.",
            root="dx_max",
            # Both are "pooling", and spreading is what the average's backward does.
            wrong=lambda dout, corners, k: route_avg(dout, corners, k, share=1.0 / (k * k)),
        ),
        WrongStep(
            id="pooling.avg-not-divided",
            feedback="You copied the upstream gradient to every input of the window; the average divides by "
            "k², so each input gets dout/k².",
            root="dx_avg",
            # Upsampling by repetition looks like the natural inverse of pooling.
            wrong=lambda dout, corners, k: route_avg(dout, corners, k, share=1.0),
        ),
        WrongStep(
            id="pooling.overlap-overwrites",
            feedback="Where windows overlap, an input that is the maximum of several windows receives the sum "
            "of their gradients, not only the last one (`dx[i] += g`, not `dx[i] = g`).",
            root="dx_max",
            # Without overlap assignment and accumulation agree, so code written for 2×2/2 hides the bug.
            wrong=lambda dout, argmax: route_max(dout, argmax, accumulate=False),
            applies=lambda inputs: as_int(inputs["stride"]) < as_int(inputs["kernel"]),
        ),
    ],
    read=_read,
)


class PoolingBackwardGenerator(StepGenerator):
    """``pooling.backward``: dx of max pooling and of average pooling for one upstream gradient."""

    id = "pooling.backward"
    topic = "practice"
    title = "Max-pool and average-pool backward (gradient routing)"
    answer_fields = {"dx_max": FieldSpec(shape=(SIZE, SIZE)), "dx_avg": FieldSpec(shape=(SIZE, SIZE))}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        k, s = CASES[int(rng.integers(0, len(CASES)))]
        out = (SIZE - k) // s + 1
        # Distinct inputs: no window can have a tie.
        x = rng.choice(np.arange(-30, 31), size=SIZE * SIZE, replace=False).reshape(SIZE, SIZE) / 10.0
        dout = picks(rng, DOUT_CHOICES, (out, out)).astype(np.float64)
        return {"x": x, "dout": dout, "kernel": k, "stride": s}

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return False  # sums and divisions by 4 or 9

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        k, s = v["k"], v["s"]
        return (
            f"A ${SIZE} \\times {SIZE}$ input $x = {matrix(v['x'])}$ goes through `nn.MaxPool2d({k}, "
            f"stride={s})` and, separately, through `nn.AvgPool2d({k}, stride={s})` (no padding). The "
            f"gradient of the loss with respect to either output is $\\partial L/\\partial y = "
            f"{matrix(v['dout'])}$. Give $\\partial L/\\partial x$ through max pooling (`dx_max`) and "
            "through average pooling (`dx_avg`), each as a 4×4 matrix."
        )


register(PoolingBackwardGenerator())
