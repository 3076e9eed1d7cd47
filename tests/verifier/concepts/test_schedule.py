"""schedule.lr checked against torch.optim.lr_scheduler: the rate after ``epoch`` calls of
``scheduler.step()`` on a dummy optimizer, including cosine annealing far past T_max (PyTorch's recursive
form), and each misconception against the scheduler configuration or epoch count it amounts to."""

from __future__ import annotations

import json
import math
import re
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import verifier
from verifier.concepts import schedule
from verifier.concepts.schedule import Schedule

SEEDS = range(200)
RTOL = 1e-6
ATOL = 1e-12  # cosine reaches 0 at T_max, where torch's recursion leaves ~1e-17
GENERATOR = verifier.get("schedule.lr")


def torch_lrs(sched: Schedule, epochs: int, *, eta_min: float = 0.0) -> list[float]:
    """The optimizer's learning rate after 0, 1, ..., ``epochs`` calls of ``scheduler.step()``."""
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=sched.lr0)
    if sched.kind == "step":
        scheduler: torch.optim.lr_scheduler.LRScheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=sched.step_size, gamma=sched.gamma
        )
    elif sched.kind == "exponential":
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=sched.gamma)
    else:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=sched.T_max, eta_min=eta_min)
    rates = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pytest turns warnings into errors; torch may warn about call order
        for _ in range(epochs):
            optimizer.step()  # no gradient: changes nothing, but keeps the documented call order
            scheduler.step()
            rates.append(optimizer.param_groups[0]["lr"])
    return rates


def test_solve_matches_torch_schedulers() -> None:
    kinds = set()
    for seed in SEEDS:
        question = GENERATOR.generate(seed)
        inputs = json.loads(json.dumps(question.inputs_json()))
        sched, epoch = schedule.read_schedule(inputs)
        expected = torch_lrs(sched, epoch)[epoch]
        assert GENERATOR.solve(inputs)["lr"] == pytest.approx(expected, rel=RTOL, abs=ATOL), seed
        kinds.add(sched.kind)
    assert kinds == set(schedule.KINDS)


@pytest.mark.parametrize("T_max", [1, 2, 3, 4, 5, 7, 10])
@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_continues_past_T_max_like_torch(T_max: int, eta_min: float) -> None:
    sched = Schedule("cosine", 0.5, T_max=T_max)
    rates = torch_lrs(sched, 6 * T_max + 3, eta_min=eta_min)
    for epoch, expected in enumerate(rates):
        got = schedule.cosine_lr(0.5, epoch, T_max=T_max, eta_min=eta_min)
        assert got == pytest.approx(expected, rel=RTOL, abs=ATOL), epoch
    # it rises again after T_max and is back at lr0 at 2·T_max
    assert rates[2 * T_max] == pytest.approx(0.5)


@settings(max_examples=40, deadline=None)
@given(
    step_size=st.integers(1, 6),
    gamma=st.sampled_from([0.1, 0.5, 0.9, 0.99]),
    lr0=st.sampled_from([1.0, 0.1, 0.003]),
    epochs=st.integers(0, 30),
)
def test_step_and_exponential_match_torch(step_size: int, gamma: float, lr0: float, epochs: int) -> None:
    step = Schedule("step", lr0, step_size=step_size, gamma=gamma)
    exponential = Schedule("exponential", lr0, gamma=gamma)
    for sched in (step, exponential):
        for epoch, expected in enumerate(torch_lrs(sched, epochs)):
            assert schedule.learning_rate(sched, epoch) == pytest.approx(expected, rel=RTOL), (sched, epoch)


def test_off_by_one_misconceptions_are_torch_one_call_off() -> None:
    for seed in range(100):
        sched, epoch = schedule.read_schedule(GENERATOR.generate(seed).inputs)
        rates = torch_lrs(sched, epoch + 1)
        assert schedule.misconception_one_step_behind(sched, epoch) == pytest.approx(
            rates[epoch - 1], rel=RTOL
        )
        assert schedule.misconception_one_step_ahead(sched, epoch) == pytest.approx(
            rates[epoch + 1], rel=RTOL, abs=ATOL
        )


def test_step_decaying_every_epoch_is_torch_exponential() -> None:
    sched = Schedule("step", 0.5, step_size=3, gamma=0.5)
    rates = torch_lrs(Schedule("exponential", 0.5, gamma=0.5), 7)
    assert schedule.misconception_step_decays_every_epoch(sched, 7) == pytest.approx(rates[7])
    assert schedule.learning_rate(sched, 7) == pytest.approx(0.5 * 0.5**2)  # decays at 3 and 6 only


def test_hand_checked_values() -> None:
    # StepLR(step_size=5, gamma=0.1) from 0.1: epochs 0-4 at 0.1, 5-9 at 0.01, epoch 10 at 0.001.
    sched = Schedule("step", 0.1, step_size=5, gamma=0.1)
    assert [schedule.learning_rate(sched, e) for e in (4, 5, 9, 10)] == pytest.approx(
        [0.1, 0.01, 0.01, 0.001]
    )
    # ExponentialLR(gamma=0.8) from 1: 0.8³ = 0.512 after 3 calls; the e^(−γt) belief gives e^(−2.4).
    exp_sched = Schedule("exponential", 1.0, gamma=0.8)
    assert schedule.learning_rate(exp_sched, 3) == pytest.approx(0.512)
    assert schedule.misconception_exponential_as_exp_decay(exp_sched, 3) == pytest.approx(math.exp(-2.4))
    # Cosine from 1 with T_max = 4: ½(1 + cos(π/2)) = 0.5 at epoch 2, 0 at 4, 0.5 again at 6.
    cos_sched = Schedule("cosine", 1.0, T_max=4)
    assert [schedule.learning_rate(cos_sched, e) for e in (2, 4, 6, 8)] == pytest.approx([0.5, 0.0, 0.5, 1.0])
    assert schedule.misconception_cosine_quarter_wave(cos_sched, 2) == pytest.approx(math.cos(math.pi / 4))
    assert schedule.misconception_cosine_stays_at_min(cos_sched, 6) == 0.0
    assert schedule.misconception_cosine_stays_at_min(cos_sched, 2) == pytest.approx(0.5)


def test_step_questions_sit_at_a_decay_boundary_and_have_two_misconceptions() -> None:
    for seed in SEEDS:
        inputs = GENERATOR.generate(seed).inputs
        sched, epoch = schedule.read_schedule(inputs)
        if sched.kind == "step":
            assert epoch % sched.step_size in (0, sched.step_size - 1)
        assert sum(m.applies_to(inputs) for m in GENERATOR.misconceptions) >= 2


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule.read_schedule({"kind": "linear", "lr0": 0.1, "epoch": 3})


def test_prompt_and_explanation_latex_converts() -> None:
    for seed in range(60):
        question = GENERATOR.generate(seed)
        for text in [question.prompt] + [step.text for step in GENERATOR.explain(question.inputs)]:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        assert "`lr`" in question.prompt
        steps = GENERATOR.explain(question.inputs)
        assert steps[-1].value == pytest.approx(GENERATOR.solve(question.inputs)["lr"])
