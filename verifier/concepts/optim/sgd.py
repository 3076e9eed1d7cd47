"""Plain SGD, SGD with momentum and Nesterov momentum, one coordinate at a time: ``torch.optim.SGD``'s
single-tensor path line by line (Polyak 1964; Sutskever et al. 2013,
http://proceedings.mlr.press/v28/sutskever13.html). As in tinygrad's ``optim.py``, the three are one rule:
plain SGD is momentum 0, Nesterov a flag, exactly as in PyTorch."""

from __future__ import annotations

from typing import NamedTuple


class SgdState(NamedTuple):
    buf: float | None = None  # momentum buffer; PyTorch creates it from the first gradient


def sgd_step(
    w: float,
    g: float,
    state: SgdState,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[float, SgdState]:
    """SGD with optional (Nesterov) momentum: buf = μ·buf + (1−dampening)·g, the first buf = g."""
    g = g + weight_decay * w
    if momentum == 0.0:
        return w - lr * g, state
    buf = g if state.buf is None else momentum * state.buf + (1.0 - dampening) * g
    direction = g + momentum * buf if nesterov else buf
    return w - lr * direction, SgdState(buf)
