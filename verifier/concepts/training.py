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
from typing import NamedTuple, Protocol

import numpy as np

from verifier._types import Answer, Inputs, InputValue
from verifier.generator import Generator, Step, as_array, as_float, as_int
from verifier.grading import FieldSpec, Misconception
from verifier.latex import matrix, num
from verifier.registry import register

N_EPOCHS = 10
PATIENCE_CHOICES = (2, 3)
MIN_DELTA_CHOICES = (0.0, 0.02, 0.03, 0.05)
BATCH_SIZES = (8, 16, 32, 50, 64, 100, 128)
TIE_TOLERANCE = 1e-9  # losses and min_delta are multiples of 0.01: anything closer is an exact tie


class EarlyStop(NamedTuple):
    """Where early stopping ends (0-based epochs) and which epoch's weights it restores."""

    stop_epoch: int
    best_epoch: int


def early_stopping(val_loss: Sequence[float], *, patience: int, min_delta: float) -> EarlyStop:
    """Run early stopping over a validation-loss curve (see the module docstring for the rule)."""
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return EarlyStop(epoch, best_epoch)
    return EarlyStop(len(val_loss) - 1, best_epoch)


def misconception_stops_at_first_non_improvement(
    val_loss: Sequence[float],
    *,
    patience: int,  # noqa: ARG001 - same arguments as early_stopping
    min_delta: float,
) -> EarlyStop:
    """Believes training stops at the first epoch that does not improve, whatever the patience.

    Tempting because "stop when the validation loss goes up" is the one-line summary; patience exists
    precisely because the curve is noisy.
    """
    return early_stopping(val_loss, patience=1, min_delta=min_delta)


def misconception_keeps_last_weights(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """Believes the model keeps the weights of the epoch where training stopped.

    Tempting because that is what a plain training loop leaves behind; early stopping restores the best
    epoch's weights, patience epochs earlier.
    """
    stop = early_stopping(val_loss, patience=patience, min_delta=min_delta).stop_epoch
    return EarlyStop(stop, stop)


def misconception_ignores_min_delta(
    val_loss: Sequence[float],
    *,
    patience: int,
    min_delta: float,  # noqa: ARG001 - same arguments as early_stopping
) -> EarlyStop:
    """Believes any decrease counts as an improvement, ignoring min_delta.

    Tempting because "improves" sounds like "is lower"; min_delta demands a decrease of more than
    min_delta, so tiny gains count as epochs without improvement.
    """
    return early_stopping(val_loss, patience=patience, min_delta=0.0)


def misconception_counter_not_reset(
    val_loss: Sequence[float], *, patience: int, min_delta: float
) -> EarlyStop:
    """Believes the non-improving epochs add up over the whole run, never reset by an improvement.

    Tempting when writing the counter by hand; patience counts epochs *in a row* without improvement.
    """
    best, best_epoch, waited = math.inf, 0, 0
    for epoch, loss in enumerate(val_loss):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        else:
            waited += 1
            if waited == patience:
                return EarlyStop(epoch, best_epoch)
    return EarlyStop(len(val_loss) - 1, best_epoch)


def steps_per_epoch(n: int, *, batch_size: int, drop_last: bool) -> int:
    """``len(DataLoader(range(n), batch_size=batch_size, drop_last=drop_last))``."""
    return n // batch_size if drop_last else -(-n // batch_size)


def misconception_floor_without_drop_last(n: int, *, batch_size: int, drop_last: bool) -> int:  # noqa: ARG001 - same arguments as steps_per_epoch
    """Believes the incomplete last batch is skipped even with ``drop_last=False``.

    Tempting because n / batch_size is rounded down by integer division; the DataLoader still yields the
    smaller last batch, one more step.
    """
    return n // batch_size


def misconception_ceil_with_drop_last(n: int, *, batch_size: int, drop_last: bool) -> int:  # noqa: ARG001 - same arguments as steps_per_epoch
    """Believes the incomplete last batch is still a step with ``drop_last=True``.

    Tempting because every example "has to be seen"; ``drop_last=True`` skips it, ⌊n / batch_size⌋ steps.
    """
    return -(-n // batch_size)


def misconception_extra_step_for_remainder(n: int, *, batch_size: int, drop_last: bool) -> int:  # noqa: ARG001 - same arguments as steps_per_epoch
    """Believes there is always one extra (partial) step, even when batch_size divides n.

    Tempting from the rule "⌊n/b⌋ + 1 with the leftovers"; when b divides n there are no leftovers.
    """
    return n // batch_size + 1


def misconception_drops_full_last_batch(n: int, *, batch_size: int, drop_last: bool) -> int:  # noqa: ARG001 - same arguments as steps_per_epoch
    """Believes ``drop_last=True`` always drops the last batch, even a full one.

    Tempting from the name; only an *incomplete* last batch is dropped.
    """
    return n // batch_size - 1


def misconception_one_step_per_example(n: int, *, batch_size: int, drop_last: bool) -> int:  # noqa: ARG001 - same arguments as steps_per_epoch
    """Believes an epoch takes one optimizer step per example, as per-example SGD does.

    Tempting because "stochastic gradient descent" is often introduced with single examples; a
    DataLoader step consumes a whole mini-batch.
    """
    return n


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


def _stop_answer(result: EarlyStop) -> Answer:
    return {"stop_epoch": result.stop_epoch, "best_epoch": result.best_epoch}


class StoppingRule(Protocol):
    """The signature shared by :func:`early_stopping` and its misconceptions."""

    def __call__(self, val_loss: Sequence[float], *, patience: int, min_delta: float) -> EarlyStop: ...


def _stopping_misconception(
    id: str, feedback: str, wrong: StoppingRule, *, applies: Callable[[Inputs], bool] | None = None
) -> Misconception:
    def answer(inputs: Inputs) -> Answer:
        val_loss, patience, min_delta = read_early_stopping(inputs)
        return _stop_answer(wrong(val_loss, patience=patience, min_delta=min_delta))

    return Misconception(id=id, feedback=feedback, answer=answer, applies=applies)


class EarlyStoppingGenerator(Generator):
    """``training.early_stopping``: the epoch where early stopping ends and the epoch it restores."""

    id = "training.early_stopping"
    topic = "overfitting"
    title = "Early stopping: stop epoch and restored epoch"
    answer_fields = {"stop_epoch": FieldSpec(dtype="int"), "best_epoch": FieldSpec(dtype="int")}
    misconceptions = (
        _stopping_misconception(
            "training.stops-at-first-non-improvement",
            "You stopped at the first epoch without improvement; training stops only after `patience` such "
            "epochs in a row.",
            misconception_stops_at_first_non_improvement,
            applies=lambda inputs: as_int(inputs["patience"]) > 1,
        ),
        _stopping_misconception(
            "training.keeps-last-weights",
            "You kept the weights of the stopping epoch; early stopping restores the weights of the last "
            "improving epoch.",
            misconception_keeps_last_weights,
        ),
        _stopping_misconception(
            "training.ignores-min-delta",
            "You counted every decrease as an improvement; an epoch improves only when its loss is below "
            "best − min_delta.",
            misconception_ignores_min_delta,
            applies=lambda inputs: as_float(inputs["min_delta"]) > 0.0,
        ),
        _stopping_misconception(
            "training.counter-not-reset",
            "You kept counting non-improving epochs across improvements; patience counts epochs without "
            "improvement in a row, and an improvement resets the count.",
            misconception_counter_not_reset,
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        val_loss, patience, min_delta = read_early_stopping(inputs)
        return _stop_answer(early_stopping(val_loss, patience=patience, min_delta=min_delta))

    def explain(self, inputs: Inputs) -> list[Step]:
        val_loss, patience, min_delta = read_early_stopping(inputs)
        result = early_stopping(val_loss, patience=patience, min_delta=min_delta)
        steps = []
        best, waited = math.inf, 0
        for epoch, loss in enumerate(val_loss[: result.stop_epoch + 1]):
            if loss < best - min_delta:
                threshold = num(best - min_delta) if best < math.inf else r"\infty"
                text = f"${num(loss)} < {threshold}$: improves"
                best, waited = loss, 0
            else:
                waited += 1
                text = f"${num(loss)} \\geq {num(best - min_delta)}$: no improvement ({waited} in a row)"
            steps.append(Step(f"epoch_{epoch}", f"Epoch {epoch}: {text}.", loss))
        steps.append(
            Step(
                "result",
                f"Training stops at epoch {result.stop_epoch} and restores epoch {result.best_epoch}.",
                [result.stop_epoch, result.best_epoch],
            )
        )
        return steps


def read_steps(inputs: Inputs) -> tuple[int, int, bool]:
    """``n``, ``batch_size`` and ``drop_last`` (a JSON boolean)."""
    drop_last = inputs["drop_last"]
    if not isinstance(drop_last, bool):
        raise ValueError(f"drop_last must be true or false, got {drop_last!r}")
    return as_int(inputs["n"]), as_int(inputs["batch_size"]), drop_last


class StepsRule(Protocol):
    """The signature shared by :func:`steps_per_epoch` and its misconceptions."""

    def __call__(self, n: int, *, batch_size: int, drop_last: bool) -> int: ...


def _steps_misconception(
    id: str, feedback: str, wrong: StepsRule, *, drop_last: bool | None = None, divisible: bool | None = None
) -> Misconception:
    """A misconception shown only for the given ``drop_last`` and whether batch_size divides n."""

    def answer(inputs: Inputs) -> Answer:
        n, batch_size, drop = read_steps(inputs)
        return {"steps": wrong(n, batch_size=batch_size, drop_last=drop)}

    def applies(inputs: Inputs) -> bool:
        n, batch_size, drop = read_steps(inputs)
        return (drop_last is None or drop == drop_last) and (
            divisible is None or (n % batch_size == 0) == divisible
        )

    return Misconception(id=id, feedback=feedback, answer=answer, applies=applies)


class StepsPerEpochGenerator(Generator):
    """``training.steps_per_epoch``: optimizer steps in one epoch of a DataLoader."""

    id = "training.steps_per_epoch"
    topic = "practice"
    title = "Steps per epoch with and without drop_last"
    answer_fields = {"steps": FieldSpec(dtype="int")}
    misconceptions = (
        _steps_misconception(
            "training.floor-without-drop-last",
            "You dropped the incomplete last batch, but drop_last=False keeps it as one more (smaller) step.",
            misconception_floor_without_drop_last,
            drop_last=False,
            divisible=False,
        ),
        _steps_misconception(
            "training.ceil-with-drop-last",
            "You counted the incomplete last batch, but drop_last=True skips it: ⌊n / batch_size⌋ steps.",
            misconception_ceil_with_drop_last,
            drop_last=True,
            divisible=False,
        ),
        _steps_misconception(
            "training.extra-step-for-remainder",
            "You added a step for leftovers, but batch_size divides n: every batch is full.",
            misconception_extra_step_for_remainder,
            drop_last=False,
            divisible=True,
        ),
        _steps_misconception(
            "training.drops-full-last-batch",
            "You dropped a full batch; drop_last only drops an incomplete last batch, and here every batch "
            "is full.",
            misconception_drops_full_last_batch,
            drop_last=True,
            divisible=True,
        ),
        _steps_misconception(
            "training.one-step-per-example",
            "You counted one step per example; each optimizer step consumes a whole batch of batch_size examples.",
            misconception_one_step_per_example,
        ),
    )

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

    def solve(self, inputs: Inputs) -> Answer:
        n, batch_size, drop_last = read_steps(inputs)
        return {"steps": steps_per_epoch(n, batch_size=batch_size, drop_last=drop_last)}

    def explain(self, inputs: Inputs) -> list[Step]:
        n, batch_size, drop_last = read_steps(inputs)
        full, remainder = divmod(n, batch_size)
        steps = steps_per_epoch(n, batch_size=batch_size, drop_last=drop_last)
        last = (
            "there is no incomplete batch"
            if remainder == 0
            else f"the last batch has {remainder} examples and is {'dropped' if drop_last else 'kept'}"
        )
        return [
            Step(
                "batches",
                f"${n} = {full} \\cdot {batch_size} + {remainder}$: {full} full batches.",
                [full, remainder],
            ),
            Step("steps", f"With drop_last={drop_last}, {last}: {steps} steps.", steps),
        ]


register(EarlyStoppingGenerator())
register(StepsPerEpochGenerator())
