"""Large-batch learning rates: effective batch with gradient accumulation, the linear scaling rule, and a
linear-warmup-then-cosine schedule.

Conventions:

- effective batch = per-device batch × devices × accumulation steps (one optimizer step sees all of them);
- linear scaling rule (Goyal et al. 2017, "Accurate, Large Minibatch SGD", https://arxiv.org/abs/1706.02677):
  peak lr = base lr × effective batch / base batch;
- the schedule is ``torch.optim.lr_scheduler.LambdaLR(opt, f)`` with, for W warmup steps and T steps in all,
  f(t) = t / W for t < W and f(t) = ½(1 + cos(π (t − W) / (T − W))) for W ≤ t ≤ T (cosine decay to 0,
  Loshchilov & Hutter 2017, SGDR, https://arxiv.org/abs/1608.03983). "The lr at step t" is the lr the
  optimizer uses after t calls of ``scheduler.step()``: peak lr × f(t). ``SequentialLR`` chaining
  ``LinearLR`` and ``CosineAnnealingLR`` with milestone W gives the same decay after W.
"""

from __future__ import annotations

import math

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.concepts.schedule import known_cosine
from verifier.generator import Known, as_float, as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

BASE_BATCH = 256
BASE_LRS = (0.1, 0.05, 0.2)
PER_DEVICE = (16, 32, 64)
DEVICES = (1, 2, 4, 8)
ACCUMULATION = (2, 4, 8)
WARMUPS = (10, 20, 50, 100, 500)
TOTAL_OVER_WARMUP = (5, 8, 10)  # warmup 10–20 % of training: shorter warmups hide the t/T slip
MAX_T_WARM = 8  # (t + 1)/t must stay far from 1 for the off-by-one to show at 3 figures


def warmup_cosine_factor(t: int, *, warmup: int, total: int) -> float:
    """f(t) of the module docstring: linear from 0 over ``warmup`` steps, then a half cosine to 0 at ``total``."""
    if t < warmup:
        return t / warmup
    return 0.5 * (1.0 + math.cos(math.pi * (t - warmup) / (total - warmup)))


_NAMES = ("per_device", "devices", "accumulation", "base_lr", "warmup", "total", "t_warm", "t_decay")


def _read(inputs: Inputs) -> Values:
    values: Values = {name: as_int(inputs[name]) for name in _NAMES if name != "base_lr"}
    values["base_lr"] = as_float(inputs["base_lr"])
    return values


GRAPH = StepGraph(
    [
        Calc(
            "effective_batch",
            lambda per_device, devices, accumulation: per_device * devices * accumulation,
            lambda v: (
                f"Each optimizer step sees ${v['per_device']} \\cdot {v['devices']} \\cdot {v['accumulation']} = "
                f"{v['effective_batch']}$ examples."
            ),
            hint="Gradient accumulation sums several micro-batches into one optimizer step.",
        ),
        Calc(
            "peak_lr",
            lambda base_lr, effective_batch: base_lr * effective_batch / BASE_BATCH,
            lambda v: (
                f"Linear scaling: ${num(v['base_lr'])} \\cdot {v['effective_batch']} / {BASE_BATCH} = "
                f"{num(v['peak_lr'], decimals=6)}$."
            ),
            hint="The linear scaling rule multiplies the lr by the same factor as the batch.",
        ),
        Calc(
            "lr_warmup",
            lambda peak_lr, t_warm, warmup, total: (
                peak_lr * warmup_cosine_factor(t_warm, warmup=warmup, total=total)
            ),
            lambda v: (
                f"During warmup $f({v['t_warm']}) = {v['t_warm']}/{v['warmup']}$: lr $= "
                f"{num(v['lr_warmup'], decimals=6)}$."
            ),
            hint="After t scheduler steps, LambdaLR sets lr = peak · f(t), and f(0) = 0.",
        ),
        Calc(
            "lr_decay",
            lambda peak_lr, t_decay, warmup, total: (
                peak_lr * warmup_cosine_factor(t_decay, warmup=warmup, total=total)
            ),
            lambda v: (
                f"After warmup $f({v['t_decay']}) = \\tfrac{{1}}{{2}}(1 + \\cos(\\pi \\cdot "
                f"{v['t_decay'] - v['warmup']}/{v['total'] - v['warmup']})) = "
                f"{num(warmup_cosine_factor(v['t_decay'], warmup=v['warmup'], total=v['total']))}$: lr $= "
                f"{num(v['lr_decay'], decimals=6)}$."
            ),
            hint="The cosine's progress counts from the end of warmup, over the T − W decay steps.",
        ),
    ],
    fields=("effective_batch", "peak_lr", "lr_warmup", "lr_decay"),
    misconceptions=[
        WrongStep(
            id="schedule.accumulation-ignored",
            feedback="You left out gradient accumulation; an optimizer step averages all accumulated "
            "micro-batches, so they count in the effective batch.",
            root="effective_batch",
            # Accumulation happens in the training loop, not in the DataLoader's batch_size.
            wrong=lambda per_device, devices: per_device * devices,
        ),
        WrongStep(
            id="schedule.sqrt-batch-scaling",
            feedback="You scaled the lr by the square root of the batch ratio; the linear scaling rule "
            "multiplies it by the ratio itself.",
            root="peak_lr",
            # Square-root scaling is proposed for Adam-type optimizers (Krizhevsky 2014; Hoffer et al. 2017).
            wrong=lambda base_lr, effective_batch: base_lr * math.sqrt(effective_batch / BASE_BATCH),
        ),
        WrongStep(
            id="schedule.warmup-off-by-one",
            feedback="You used (t + 1)/W; after t scheduler steps LambdaLR applies f(t) = t/W, which is 0 "
            "before the first step.",
            root="lr_warmup",
            # Counting steps from 1 rather than from 0.
            wrong=lambda peak_lr, t_warm, warmup: peak_lr * (t_warm + 1) / warmup,
        ),
        WrongStep(
            id="schedule.cosine-over-total-steps",
            feedback="You measured the cosine's progress as t/T; the decay starts after warmup and runs over "
            "T − W steps: (t − W)/(T − W).",
            root="lr_decay",
            # The plain CosineAnnealingLR formula, with the warmup steps not subtracted.
            wrong=lambda peak_lr, t_decay, total: peak_lr * 0.5 * (1.0 + math.cos(math.pi * t_decay / total)),
        ),
    ],
    read=_read,
)


class WarmupCosineGenerator(StepGenerator):
    """``schedule.warmup_cosine``: effective batch, linear lr scaling, warmup then cosine decay."""

    id = "schedule.warmup_cosine"
    topic = "practice"
    title = "Effective batch, linear lr scaling, linear warmup then cosine decay"
    answer_fields = {
        "effective_batch": FieldSpec(dtype="int"),
        "peak_lr": FieldSpec(),
        "lr_warmup": FieldSpec(),
        "lr_decay": FieldSpec(),
    }
    graph = GRAPH

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        v = _read(inputs)
        done, steps = v["t_decay"] - v["warmup"], v["total"] - v["warmup"]
        return (known_cosine(done, steps),)

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: products of small numbers, and the cosine printed

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        warmup = int(pick(rng, WARMUPS))
        total = warmup * int(pick(rng, TOTAL_OVER_WARMUP))
        decay_steps = total - warmup
        return {
            "per_device": int(pick(rng, PER_DEVICE)),
            "devices": int(pick(rng, DEVICES)),
            "accumulation": int(pick(rng, ACCUMULATION)),
            "base_lr": float(pick(rng, BASE_LRS)),
            "warmup": warmup,
            "total": total,
            "t_warm": int(rng.integers(1, min(warmup // 2, MAX_T_WARM) + 1)),
            "t_decay": warmup + int(rng.integers(1, 9)) * decay_steps // 10,
        }

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A recipe tuned with batch {BASE_BATCH} and lr ${num(v['base_lr'])}$ is run with a per-device "
            f"batch of {v['per_device']} on {v['devices']} device(s) and {v['accumulation']} gradient-"
            "accumulation steps per optimizer step. Give the effective batch (`effective_batch`) and the peak "
            "lr by the linear scaling rule (`peak_lr`). The lr follows `LambdaLR` with "
            f"$f(t) = t/W$ for $t < W$ and $f(t) = \\tfrac{{1}}{{2}}(1 + \\cos(\\pi (t - W)/(T - W)))$ after, "
            f"$W = {v['warmup']}$, $T = {v['total']}$; the lr after $t$ calls of `scheduler.step()` is "
            f"peak_lr · f(t). Give it at $t = {v['t_warm']}$ (`lr_warmup`) and at $t = {v['t_decay']}$ "
            "(`lr_decay`)."
        )


register(WarmupCosineGenerator())
