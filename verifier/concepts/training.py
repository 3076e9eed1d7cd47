"""Training-loop bookkeeping: early stopping on a validation curve, and optimizer steps per epoch.

Early stopping (DLB 7.8, Algorithm 7.1; the rule of Keras's ``EarlyStopping`` with
``restore_best_weights=True``): epochs are 0-based; epoch e *improves* when its validation loss is
below best − min_delta, where best is the loss of the last improving epoch (the first epoch always
improves). Training stops at the epoch that makes ``patience`` epochs in a row without improvement, or
runs to the last epoch if that never happens; the weights of the last improving epoch (``best_epoch``)
are restored.

Steps per epoch (``len(DataLoader(dataset, batch_size, drop_last))``): ⌈n / batch_size⌉ batches, the last
one smaller when batch_size does not divide n; ``drop_last=True`` drops that incomplete batch, leaving
⌊n / batch_size⌋.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import as_array, as_float, as_int
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

N_EPOCHS = 10
PATIENCE_CHOICES = (2, 3)
MIN_DELTA_CHOICES = (0.0, 0.02, 0.03, 0.05)
BATCH_SIZES = (8, 16, 32, 50, 64, 100, 128)
TIE_TOLERANCE = 1e-9  # losses and min_delta are multiples of 0.01: anything closer is an exact tie


class EarlyStop(NamedTuple):
    """Where early stopping ends (0-based epochs) and which epoch's weights it restores."""

    stop_epoch: int
    best_epoch: int


def improvements(val_loss: Sequence[float], min_delta: float) -> list[bool]:
    """Per epoch, whether its loss is below best − min_delta (best: the last improving epoch's loss)."""
    best = math.inf
    improves = []
    for loss in val_loss:
        better = loss < best - min_delta
        if better:
            best = loss
        improves.append(better)
    return improves


def stop_epoch(improves: Sequence[bool], patience: int, *, reset: bool = True) -> int:
    """The epoch that makes ``patience`` non-improving epochs in a row, or the last epoch.

    ``reset=False`` is the misconception that an improvement does not reset the count.
    """
    waited = 0
    for epoch, better in enumerate(improves):
        if not better:
            waited += 1
        elif reset:
            waited = 0
        if waited == patience:
            return epoch
    return len(improves) - 1


def restored_epoch(improves: Sequence[bool], stop: int) -> int:
    """The last improving epoch up to ``stop`` (epoch 0 always improves)."""
    if not 0 <= stop < len(improves):
        raise ValueError(f"no epoch {stop}")
    return max(epoch for epoch in range(stop + 1) if improves[epoch])


def _stopping_text(v: Values) -> str:
    parts = []
    best = math.inf
    for epoch, (loss, better) in enumerate(zip(v["val_loss"], v["improves"], strict=True)):
        threshold = num(best - v["min_delta"]) if best < math.inf else r"\infty"
        relation = "<" if better else r"\geq"
        parts.append(f"{epoch}: ${num(loss)} {relation} {threshold}$")
        if better:
            best = loss
    marks = "".join("✓" if better else "·" for better in v["improves"])
    return f"Compare each loss with best − min_delta ({'; '.join(parts)}): improving epochs {marks}."


EARLY_GRAPH = StepGraph(
    [
        Calc(
            "improves",
            lambda val_loss, min_delta: improvements(val_loss, min_delta),
            _stopping_text,
            hint="Keep track of the best loss so far; an epoch improves only when it beats best − min_delta.",
        ),
        Calc(
            "stop_epoch",
            lambda improves, patience: stop_epoch(improves, patience),
            lambda v: (
                f"Counting non-improving epochs in a row (an improvement resets the count), the "
                f"count reaches patience {v['patience']} at epoch {v['stop_epoch']}"
                + (
                    " (or training runs to the last epoch)."
                    if v["stop_epoch"] == len(v["improves"]) - 1
                    else "."
                )
            ),
            hint="Patience counts non-improving epochs *in a row*.",
        ),
        Calc(
            "best_epoch",
            lambda improves, stop_epoch: restored_epoch(improves, stop_epoch),
            lambda v: (
                f"The last improving epoch up to epoch {v['stop_epoch']} is {v['best_epoch']}: "
                "its weights are restored."
            ),
            hint="The restored weights are those of the last improving epoch, not of the stopping one.",
        ),
    ],
    fields=("stop_epoch", "best_epoch"),
    misconceptions=[
        WrongStep(
            id="training.stops-at-first-non-improvement",
            feedback="You stopped at the first epoch without improvement; training stops only after "
            "`patience` such epochs in a row.",
            root="stop_epoch",
            # "Stop when the validation loss goes up" is the one-line summary; patience exists because
            # the curve is noisy.
            wrong=lambda improves: stop_epoch(improves, 1),
            applies=lambda inputs: as_int(inputs["patience"]) > 1,
        ),
        WrongStep(
            id="training.keeps-last-weights",
            feedback="You kept the weights of the stopping epoch; early stopping restores the weights of "
            "the last improving epoch.",
            root="best_epoch",
            # That is what a plain training loop leaves behind.
            wrong=lambda stop_epoch: stop_epoch,
        ),
        WrongStep(
            id="training.ignores-min-delta",
            feedback="You counted every decrease as an improvement; an epoch improves only when its loss "
            "is below best − min_delta.",
            root="improves",
            # "Improves" sounds like "is lower"; tiny gains below min_delta do not count.
            wrong=lambda val_loss: improvements(val_loss, 0.0),
            applies=lambda inputs: as_float(inputs["min_delta"]) > 0.0,
        ),
        WrongStep(
            id="training.counter-not-reset",
            feedback="You kept counting non-improving epochs across improvements; patience counts epochs "
            "without improvement in a row, and an improvement resets the count.",
            root="stop_epoch",
            # Easy to get wrong when writing the counter by hand.
            wrong=lambda improves, patience: stop_epoch(improves, patience, reset=False),
        ),
    ],
    read=lambda inputs: dict(
        zip(("val_loss", "patience", "min_delta"), read_early_stopping(inputs), strict=True)
    ),
)


def _early(answer: Answer) -> EarlyStop:
    return EarlyStop(int(answer["stop_epoch"]), int(answer["best_epoch"]))


def _curve(val_loss: Sequence[float], patience: int, min_delta: float) -> Inputs:
    return {"val_loss": list(val_loss), "patience": patience, "min_delta": min_delta}


def early_stopping(val_loss: Sequence[float], *, patience: int, min_delta: float) -> EarlyStop:
    """Run early stopping over a validation-loss curve (see the module docstring for the rule)."""
    return _early(EARLY_GRAPH.fields_of(EARLY_GRAPH.evaluate(_curve(val_loss, patience, min_delta))[1]))


def _wrong_stop(
    misconception_id: str, val_loss: Sequence[float], patience: int, min_delta: float
) -> EarlyStop:
    wrong = EARLY_GRAPH.misconception(misconception_id)
    return _early(wrong.answer(_curve(val_loss, patience, min_delta)))


def misconception_stops_at_first_non_improvement(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """The whole answer of ``training.stops-at-first-non-improvement``."""
    return _wrong_stop("training.stops-at-first-non-improvement", val_loss, patience, min_delta)


def misconception_keeps_last_weights(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """The whole answer of ``training.keeps-last-weights``."""
    return _wrong_stop("training.keeps-last-weights", val_loss, patience, min_delta)


def misconception_ignores_min_delta(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """The whole answer of ``training.ignores-min-delta``."""
    return _wrong_stop("training.ignores-min-delta", val_loss, patience, min_delta)


def misconception_counter_not_reset(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """The whole answer of ``training.counter-not-reset``."""
    return _wrong_stop("training.counter-not-reset", val_loss, patience, min_delta)


def steps_per_epoch(n: int, *, batch_size: int, drop_last: bool) -> int:
    """``len(DataLoader(range(n), batch_size=batch_size, drop_last=drop_last))``."""
    return n // batch_size if drop_last else -(-n // batch_size)


def read_early_stopping(inputs: Inputs) -> tuple[list[float], int, float]:
    """``val_loss`` as floats, ``patience`` and ``min_delta``."""
    val_loss: list[float] = as_array(inputs["val_loss"]).tolist()
    return val_loss, as_int(inputs["patience"]), as_float(inputs["min_delta"])


def _no_tie(val_loss: Sequence[float], min_delta: float) -> bool:
    """Whether every epoch's loss is clearly above or below best − min_delta when it is compared.

    The best loss so far depends only on the curve and min_delta (not on patience), so this one pass
    covers early stopping and every misconception that keeps min_delta.
    """
    best = math.inf
    for loss in val_loss:
        if abs(loss - (best - min_delta)) < TIE_TOLERANCE:
            return False
        if loss < best - min_delta:
            best = loss
    return True


class EarlyStoppingGenerator(StepGenerator):
    """``training.early_stopping``: the epoch where early stopping ends and the epoch it restores."""

    id = "training.early_stopping"
    topic = "overfitting"
    title = "Early stopping: stop epoch and restored epoch"
    answer_fields = {"stop_epoch": FieldSpec(dtype="int"), "best_epoch": FieldSpec(dtype="int")}
    graph = EARLY_GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """A validation curve built from moves, so that every misconception shows.

        In hundredths: falls for a few epochs, has a blip of fewer than ``patience`` non-improving epochs,
        improves again, then stalls for ``patience`` epochs (the first stalling epoch a decrease smaller
        than min_delta, when min_delta > 0) and drifts up. Now and then the last stall is one epoch short
        and training runs to the end.
        """
        draws = iter(rng.random(3 * N_EPOCHS).tolist())

        def between(low: int, high: int) -> int:
            return low + int(next(draws) * (high - low + 1))

        patience = PATIENCE_CHOICES[between(0, len(PATIENCE_CHOICES) - 1)]
        min_delta = MIN_DELTA_CHOICES[between(0, len(MIN_DELTA_CHOICES) - 1)]
        delta = round(100 * min_delta)
        blip, second_fall = between(1, patience - 1), between(1, 2)
        runs_out = next(draws) < 0.15
        stall = patience - 1 if runs_out else patience
        spare = N_EPOCHS - 1 - blip - second_fall - stall  # epochs left for the first fall and the tail
        tail = 0 if runs_out else between(0, spare - 1)
        moves = ["fall"] * (spare - tail) + ["up"] * blip + ["fall"] * second_fall
        moves += (["small"] if delta >= 2 else ["up"]) + ["up"] * (stall - 1) + ["up"] * tail
        best = between(100, 150)
        losses = [best]
        for move in moves:
            if move == "fall":  # clearly below best − min_delta
                best = best - delta - between(2, 10)
                losses.append(best)
            elif move == "small":  # lower than best, but not by more than min_delta
                losses.append(best - between(1, delta - 1))
            else:  # not lower than best
                losses.append(best + between(1, 8))
        return {"val_loss": np.array(losses) / 100.0, "patience": patience, "min_delta": min_delta}

    def acceptable(self, inputs: Inputs) -> bool:
        """No loss ties with the threshold it is compared with, under min_delta or (a misconception) 0."""
        val_loss, _, min_delta = read_early_stopping(inputs)
        return all(_no_tie(val_loss, delta) for delta in {min_delta, 0.0})

    def prompt(self, inputs: Inputs) -> str:
        val_loss, patience, min_delta = read_early_stopping(inputs)
        return (
            f"Validation losses for epochs $0, \\dots, {len(val_loss) - 1}$ are ${matrix(val_loss)}$. "
            f"Early stopping runs with patience ${patience}$ and min_delta ${num(min_delta)}$: epoch $e$ "
            "improves when its loss is below $\\text{best} - \\text{min\\_delta}$ (best = the loss of the "
            "last improving epoch; epoch 0 always improves), training stops at the epoch that makes "
            f"{patience} epochs in a row without improvement (or at the last epoch), and the weights of the "
            "last improving epoch are restored. Give the 0-based epoch where training stops (`stop_epoch`) "
            "and the epoch whose weights are restored (`best_epoch`)."
        )


def read_steps(inputs: Inputs) -> tuple[int, int, bool]:
    """``n``, ``batch_size`` and ``drop_last`` (a JSON boolean)."""
    drop_last = inputs["drop_last"]
    if not isinstance(drop_last, bool):
        raise ValueError(f"drop_last must be true or false, got {drop_last!r}")
    return as_int(inputs["n"]), as_int(inputs["batch_size"]), drop_last


def _applies(drop_last: bool, divisible: bool) -> Callable[[Inputs], bool]:
    """Shown only for this ``drop_last`` and when batch_size divides n (or not)."""

    def applies(inputs: Inputs) -> bool:
        n, batch_size, drop = read_steps(inputs)
        return drop == drop_last and (n % batch_size == 0) == divisible

    return applies


def _batches_text(v: Values) -> str:
    full, remainder = v["batches"]
    return f"${v['n']} = {full} \\cdot {v['batch_size']} + {remainder}$: {full} full batches."


def _steps_text(v: Values) -> str:
    remainder = v["batches"][1]
    last = (
        "there is no incomplete batch"
        if remainder == 0
        else f"the last batch has {remainder} examples and is {'dropped' if v['drop_last'] else 'kept'}"
    )
    return f"With drop_last={v['drop_last']}, {last}: {v['steps']} steps."


STEPS_GRAPH = StepGraph(
    [
        Calc(
            "batches",
            lambda n, batch_size: divmod(n, batch_size),
            _batches_text,
            hint="Divide n by batch_size: how many full batches, and how many examples are left over?",
        ),
        Calc(
            "steps",
            lambda n, batch_size, drop_last: steps_per_epoch(n, batch_size=batch_size, drop_last=drop_last),
            _steps_text,
            hint="`drop_last` only concerns an incomplete last batch.",
        ),
    ],
    fields=("steps",),
    misconceptions=[
        WrongStep(
            id="training.floor-without-drop-last",
            feedback="You dropped the incomplete last batch, but drop_last=False keeps it as one more "
            "(smaller) step.",
            root="steps",
            # n / batch_size rounded down by integer division; the DataLoader still yields the last batch.
            wrong=lambda n, batch_size: n // batch_size,
            applies=_applies(drop_last=False, divisible=False),
        ),
        WrongStep(
            id="training.ceil-with-drop-last",
            feedback="You counted the incomplete last batch, but drop_last=True skips it: ⌊n / batch_size⌋ "
            "steps.",
            root="steps",
            # Every example "has to be seen".
            wrong=lambda n, batch_size: -(-n // batch_size),
            applies=_applies(drop_last=True, divisible=False),
        ),
        WrongStep(
            id="training.extra-step-for-remainder",
            feedback="You added a step for leftovers, but batch_size divides n: every batch is full.",
            root="steps",
            # From the rule "⌊n/b⌋ + 1 with the leftovers"; when b divides n there are none.
            wrong=lambda n, batch_size: n // batch_size + 1,
            applies=_applies(drop_last=False, divisible=True),
        ),
        WrongStep(
            id="training.drops-full-last-batch",
            feedback="You dropped a full batch; drop_last only drops an incomplete last batch, and here every "
            "batch is full.",
            root="steps",
            # From the name; only an *incomplete* last batch is dropped.
            wrong=lambda n, batch_size: n // batch_size - 1,
            applies=_applies(drop_last=True, divisible=True),
        ),
        WrongStep(
            id="training.one-step-per-example",
            feedback="You counted one step per example; each optimizer step consumes a whole batch of "
            "batch_size examples.",
            root="steps",
            # SGD is often introduced with single examples; a DataLoader step consumes a mini-batch.
            wrong=lambda n: n,
        ),
    ],
    read=lambda inputs: dict(zip(("n", "batch_size", "drop_last"), read_steps(inputs), strict=True)),
)


def _wrong_steps(misconception_id: str, n: int, batch_size: int, drop_last: bool) -> int:
    answer = STEPS_GRAPH.misconception(misconception_id).answer(
        {"n": n, "batch_size": batch_size, "drop_last": drop_last}
    )
    return int(answer["steps"])


def misconception_floor_without_drop_last(n: int, *, batch_size: int, drop_last: bool) -> int:
    """The answer of ``training.floor-without-drop-last``."""
    return _wrong_steps("training.floor-without-drop-last", n, batch_size, drop_last)


def misconception_ceil_with_drop_last(n: int, *, batch_size: int, drop_last: bool) -> int:
    """The answer of ``training.ceil-with-drop-last``."""
    return _wrong_steps("training.ceil-with-drop-last", n, batch_size, drop_last)


def misconception_extra_step_for_remainder(n: int, *, batch_size: int, drop_last: bool) -> int:
    """The answer of ``training.extra-step-for-remainder``."""
    return _wrong_steps("training.extra-step-for-remainder", n, batch_size, drop_last)


def misconception_drops_full_last_batch(n: int, *, batch_size: int, drop_last: bool) -> int:
    """The answer of ``training.drops-full-last-batch``."""
    return _wrong_steps("training.drops-full-last-batch", n, batch_size, drop_last)


def misconception_one_step_per_example(n: int, *, batch_size: int, drop_last: bool) -> int:
    """The answer of ``training.one-step-per-example``."""
    return _wrong_steps("training.one-step-per-example", n, batch_size, drop_last)


class StepsPerEpochGenerator(StepGenerator):
    """``training.steps_per_epoch``: optimizer steps in one epoch of a DataLoader."""

    id = "training.steps_per_epoch"
    topic = "practice"
    title = "Steps per epoch with and without drop_last"
    answer_fields = {"steps": FieldSpec(dtype="int")}
    graph = STEPS_GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        draws = rng.random(5).tolist()
        batch_size = BATCH_SIZES[int(draws[0] * len(BATCH_SIZES))]
        batches = 2 + int(draws[1] * 30)
        # A quarter of the questions have no incomplete batch, where drop_last changes nothing.
        remainder = 0 if draws[2] < 0.25 else 1 + int(draws[3] * (batch_size - 1))
        return {"n": batches * batch_size + remainder, "batch_size": batch_size, "drop_last": draws[4] < 0.5}

    def prompt(self, inputs: Inputs) -> str:
        n, batch_size, drop_last = read_steps(inputs)
        return (
            f"A training set of $n = {n}$ examples is loaded with "
            f"`DataLoader(dataset, batch_size={batch_size}, shuffle=True, drop_last={drop_last})`, and the "
            "optimizer takes one step per batch. How many optimizer steps are there in one epoch (`steps`)?"
        )


register(EarlyStoppingGenerator())
register(StepsPerEpochGenerator())
