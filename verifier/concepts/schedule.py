"""Learning-rate schedules as ``torch.optim.lr_scheduler`` computes them: step, exponential and cosine.

Convention: ``lr`` is the value after ``epoch`` calls of ``scheduler.step()`` (PyTorch's ``last_epoch``),
i.e. the rate used during 0-based epoch ``epoch`` when ``step()`` is called at the end of each epoch; the
scheduler's constructor already set epoch 0 to ``lr0``.

- ``StepLR(step_size, gamma)``: ``lr0 · γ^⌊e/step_size⌋``.
- ``ExponentialLR(gamma)``: ``lr0 · γ^e``.
- ``CosineAnnealingLR(T_max)`` with ``eta_min = 0``: PyTorch updates the rate recursively, and the
  recursion reproduces the closed form ``η_min + ½(lr0 − η_min)(1 + cos(π e / T_max))`` at every epoch,
  including past ``T_max``, where the rate rises again (period ``2·T_max``) instead of staying at η_min.

Papers: SGDR, Loshchilov & Hutter 2017 (https://arxiv.org/abs/1608.03983) for cosine annealing;
DLB 8.3.1 for decaying the learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Final, Literal, NamedTuple

import numpy as np

from verifier._types import Inputs, InputValue
from verifier.generator import Known, as_float, as_int
from verifier.grading import FieldSpec
from verifier.latex import num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

ScheduleKind = Literal["step", "exponential", "cosine"]
KINDS: Final[tuple[ScheduleKind, ...]] = ("step", "exponential", "cosine")
ETA_MIN = 0.0
TORCH_CLASS: Final = {"step": "StepLR", "exponential": "ExponentialLR", "cosine": "CosineAnnealingLR"}


class Schedule(NamedTuple):
    """A schedule and its parameters (``step_size`` only for step, ``gamma`` not for cosine)."""

    kind: ScheduleKind
    lr0: float
    step_size: int = 1
    gamma: float = 1.0
    T_max: int = 1


def step_lr(lr0: float, epoch: int, *, step_size: int, gamma: float) -> float:
    """StepLR: multiplied by γ at every epoch that is a positive multiple of ``step_size``."""
    return lr0 * gamma ** (epoch // step_size)


def exponential_lr(lr0: float, epoch: int, *, gamma: float) -> float:
    """ExponentialLR: multiplied by γ at every step."""
    return lr0 * gamma**epoch


def cosine_lr(lr0: float, epoch: int, *, T_max: int, eta_min: float = ETA_MIN) -> float:
    """CosineAnnealingLR's value after ``epoch`` steps (the closed form its recursion follows)."""
    return eta_min + (lr0 - eta_min) * (1.0 + math.cos(math.pi * epoch / T_max)) / 2.0


def learning_rate(schedule: Schedule, epoch: int) -> float:
    """The rate after ``epoch`` calls of ``scheduler.step()``."""
    if schedule.kind == "step":
        return step_lr(schedule.lr0, epoch, step_size=schedule.step_size, gamma=schedule.gamma)
    if schedule.kind == "exponential":
        return exponential_lr(schedule.lr0, epoch, gamma=schedule.gamma)
    return cosine_lr(schedule.lr0, epoch, T_max=schedule.T_max)


def misconception_one_step_behind(schedule: Schedule, epoch: int) -> float:
    """Believes the first ``step()`` call only sets up epoch 0, so ``epoch`` calls reach epoch − 1.

    Tempting because the constructor's own initial step is invisible; it already set epoch 0, so every
    call of ``step()`` moves the schedule one epoch on.
    """
    return learning_rate(schedule, epoch - 1)


def misconception_one_step_ahead(schedule: Schedule, epoch: int) -> float:
    """Believes the rate of epoch e already includes the step taken at the end of epoch e (1-based counting).

    Tempting when epochs are counted from 1; after ``epoch`` calls the scheduler sits at ``last_epoch =
    epoch``, not one further.
    """
    return learning_rate(schedule, epoch + 1)


def misconception_step_decays_every_epoch(schedule: Schedule, epoch: int) -> float:
    """Believes StepLR multiplies by γ at every step, as ExponentialLR does.

    Tempting because both multiply by γ; StepLR only does so every ``step_size`` epochs.
    """
    return exponential_lr(schedule.lr0, epoch, gamma=schedule.gamma)


def misconception_exponential_as_exp_decay(schedule: Schedule, epoch: int) -> float:
    """Believes ExponentialLR computes lr0 · e^(−γ·epoch), γ being a decay rate.

    Tempting because "exponential decay" is often written with e^(−kt); PyTorch's γ is the factor per
    epoch, lr0 · γ^epoch.
    """
    return schedule.lr0 * math.exp(-schedule.gamma * epoch)


def misconception_cosine_quarter_wave(schedule: Schedule, epoch: int) -> float:
    """Believes cosine annealing is lr0 · cos(π e / (2 T_max)), a quarter wave from lr0 down to 0.

    Tempting because that curve also starts at lr0 and reaches 0 at T_max; the schedule is half a cosine
    wave shifted up, ½ lr0 (1 + cos(π e / T_max)), which starts and ends flat.
    """
    return schedule.lr0 * math.cos(math.pi * epoch / (2 * schedule.T_max))


def misconception_cosine_stays_at_min(schedule: Schedule, epoch: int) -> float:
    """Believes the rate stays at η_min once ``epoch`` passes T_max.

    Tempting because T_max is "the end of the schedule"; PyTorch's CosineAnnealingLR keeps following
    the cosine, which rises again after T_max.
    """
    return ETA_MIN if epoch >= schedule.T_max else learning_rate(schedule, epoch)


def read_schedule(inputs: Inputs) -> tuple[Schedule, int]:
    """The schedule and the number of ``step()`` calls from a question's inputs."""
    kind = inputs["kind"]
    lr0 = as_float(inputs["lr0"])
    if kind == "step":
        schedule = Schedule(
            "step", lr0, step_size=as_int(inputs["step_size"]), gamma=as_float(inputs["gamma"])
        )
    elif kind == "exponential":
        schedule = Schedule("exponential", lr0, gamma=as_float(inputs["gamma"]))
    elif kind == "cosine":
        schedule = Schedule("cosine", lr0, T_max=as_int(inputs["T_max"]))
    else:
        raise ValueError(f"unknown schedule {kind!r}; expected one of {', '.join(KINDS)}")
    return schedule, as_int(inputs["epoch"])


def _boundary_only(shift: int) -> Callable[[Inputs], bool]:
    """For StepLR an off-by-one only shows at a decay boundary: when epoch + shift is a multiple."""

    def applies(inputs: Inputs) -> bool:
        schedule, epoch = read_schedule(inputs)
        if schedule.kind != "step":
            return epoch + shift >= 0
        return epoch + shift >= 0 and (epoch + shift) // schedule.step_size != epoch // schedule.step_size

    return applies


def _lr_text(v: Values) -> str:
    schedule, epoch, lr = v["schedule"], v["epoch_reached"], v["lr"]
    lr0 = num(schedule.lr0)
    if schedule.kind == "step":
        decays = epoch // schedule.step_size
        return (
            f"γ is applied at every positive multiple of {schedule.step_size} up to {epoch}, "
            f"$\\lfloor {epoch}/{schedule.step_size} \\rfloor = {decays}$ times: "
            f"$\\eta = {lr0} \\cdot {num(schedule.gamma)}^{{{decays}}} = {num(lr, decimals=8)}$."
        )
    if schedule.kind == "exponential":
        return f"γ once per call: $\\eta = {lr0} \\cdot {num(schedule.gamma)}^{{{epoch}}} = {num(lr, decimals=8)}$."
    phase = math.pi * epoch / schedule.T_max
    past = " (past $T_{max}$ the cosine keeps going)" if epoch > schedule.T_max else ""
    return (
        f"Phase $\\pi e / T_{{max}} = \\pi \\cdot {epoch}/{schedule.T_max} = {num(phase)}${past}: "
        f"$\\eta = \\tfrac{{1}}{{2}} \\cdot {lr0} \\cdot (1 + \\cos({num(phase)})) = {num(lr, decimals=8)}$."
    )


def _kind(*kinds: str) -> Callable[[Inputs], bool]:
    return lambda inputs: inputs["kind"] in kinds


GRAPH = StepGraph(
    [
        Calc(
            "epoch_reached",
            lambda epoch: epoch,
            lambda v: (
                f"The constructor set epoch 0 and each `step()` call moves one epoch on: after "
                f"{v['epoch']} calls the scheduler is at epoch {v['epoch_reached']}."
            ),
            hint="The scheduler's constructor already takes the first step, to epoch 0.",
        ),
        Calc(
            "lr",
            lambda schedule, epoch_reached: learning_rate(schedule, epoch_reached),
            _lr_text,
            hint=lambda v: {
                "step": "StepLR multiplies by γ only every `step_size` epochs.",
                "exponential": "ExponentialLR multiplies by γ at every step.",
                "cosine": "Cosine annealing follows half a cosine wave from η₀ down to η_min, and beyond.",
            }[v["schedule"].kind],
        ),
    ],
    fields=("lr",),
    misconceptions=[
        WrongStep(
            id="schedule.one-step-behind",
            feedback="You are one epoch behind: the constructor already set epoch 0, so after e calls of "
            "step() the scheduler is at epoch e.",
            root="epoch_reached",
            wrong=lambda epoch: epoch - 1,
            applies=_boundary_only(-1),
        ),
        WrongStep(
            id="schedule.one-step-ahead",
            feedback="You are one epoch ahead: after e calls of step() the scheduler is at epoch e "
            "(0-based), not e + 1.",
            root="epoch_reached",
            wrong=lambda epoch: epoch + 1,
            applies=_boundary_only(1),
        ),
        WrongStep(
            id="schedule.step-decays-every-epoch",
            feedback="You decayed at every epoch; StepLR multiplies by γ only every step_size epochs: "
            "lr0·γ^⌊e/step_size⌋.",
            root="lr",
            wrong=lambda schedule, epoch_reached: misconception_step_decays_every_epoch(
                schedule, epoch_reached
            ),
            applies=_kind("step"),
        ),
        WrongStep(
            id="schedule.exponential-as-exp-decay",
            feedback="You computed lr0·e^(−γe); ExponentialLR's γ is the factor per epoch: lr0·γ^e.",
            root="lr",
            wrong=lambda schedule, epoch_reached: misconception_exponential_as_exp_decay(
                schedule, epoch_reached
            ),
            applies=_kind("exponential"),
        ),
        WrongStep(
            id="schedule.cosine-quarter-wave",
            feedback="You used a quarter cosine lr0·cos(πe/(2T_max)); cosine annealing is "
            "½·lr0·(1 + cos(πe/T_max)).",
            root="lr",
            wrong=lambda schedule, epoch_reached: misconception_cosine_quarter_wave(schedule, epoch_reached),
            applies=_kind("cosine"),
        ),
        WrongStep(
            id="schedule.cosine-stays-at-min",
            feedback="You kept the rate at η_min after T_max; PyTorch's cosine keeps going and rises again.",
            root="lr",
            wrong=lambda schedule, epoch_reached: misconception_cosine_stays_at_min(schedule, epoch_reached),
            applies=lambda inputs: (
                inputs["kind"] == "cosine" and as_int(inputs["epoch"]) > as_int(inputs["T_max"])
            ),
        ),
    ],
    read=lambda inputs: dict(zip(("schedule", "epoch"), read_schedule(inputs), strict=True)),
)


def known_cosine(done: int, period: int) -> Known:
    """cos(π·done/period), the fraction reduced, as a whiteboard question prints it (rounded off its float
    noise, so cos(π/2) = 0). Shared with ``schedule.warmup_cosine``."""
    share = Fraction(done, period)
    angle = r"\pi" if share.numerator == 1 else f"{share.numerator}\\pi"
    if share.denominator != 1:
        angle += f"/{share.denominator}"
    return Known(f"\\cos({angle})", round(math.cos(math.pi * done / period), 12) + 0.0)


class LearningRateGenerator(StepGenerator):
    """``schedule.lr``: a scheduler's learning rate after a number of ``step()`` calls."""

    id = "schedule.lr"
    topic = "practice"
    title = "Learning-rate schedules: StepLR, ExponentialLR, CosineAnnealingLR"
    answer_fields = {"lr": FieldSpec()}
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        draws = rng.random(6).tolist()
        kind = KINDS[int(draws[0] * 3)]
        lr0 = (0.1, 0.5, 1.0, 0.01)[int(draws[1] * 4)]
        if kind == "step":
            step_size = (2, 3, 5, 10)[int(draws[2] * 4)]
            # Questions sit at a decay boundary (just before or at it), where the convention matters.
            epoch = step_size * (1 + int(draws[3] * 3)) - int(draws[4] * 2)
            gamma = (0.1, 0.5)[int(draws[5] * 2)]
            return {"kind": kind, "lr0": lr0, "step_size": step_size, "gamma": gamma, "epoch": epoch}
        if kind == "exponential":
            gamma = (0.5, 0.8, 0.9)[int(draws[2] * 3)]
            return {"kind": kind, "lr0": lr0, "gamma": gamma, "epoch": 1 + int(draws[3] * 6)}
        T_max = (4, 5, 8, 10)[int(draws[2] * 4)]
        return {"kind": kind, "lr0": lr0, "T_max": T_max, "epoch": 1 + int(draws[3] * 2 * T_max)}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        schedule, epoch = read_schedule(inputs)
        if schedule.kind != "cosine":
            return ()  # StepLR and ExponentialLR are powers of γ
        return (known_cosine(epoch, schedule.T_max),)

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: powers of γ, or the cosine printed

    def prompt(self, inputs: Inputs) -> str:
        schedule, epoch = read_schedule(inputs)
        if schedule.kind == "step":
            args = f"step_size={schedule.step_size}, gamma={num(schedule.gamma)}"
        elif schedule.kind == "exponential":
            args = f"gamma={num(schedule.gamma)}"
        else:
            args = f"T_max={schedule.T_max}, eta_min=0"
        return (
            f"An optimizer created with learning rate $\\eta_0 = {num(schedule.lr0)}$ is wrapped in "
            f"`torch.optim.lr_scheduler.{TORCH_CLASS[schedule.kind]}(optimizer, {args})`. "
            f"`scheduler.step()` is called once at the end of every epoch. What learning rate does the "
            f"optimizer use after $e = {epoch}$ calls, i.e. during epoch {epoch} counting from 0 (`lr`)?"
        )


register(LearningRateGenerator())
