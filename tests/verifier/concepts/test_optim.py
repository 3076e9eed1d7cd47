"""optim.steps checked against torch.optim: the generated questions, hyperparameters the questions never
use (weight decay, dampening, centered RMSprop, Adagrad's lr_decay...), torch's defaults, and every
misconception against either a torch configuration that computes the same wrong thing or a first step
worked out by hand."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from latex2mathml.converter import convert

import verifier
from verifier.concepts import optim
from verifier.concepts.optim import OptimizerKind

SEEDS = range(200)
RTOL = 1e-6
GENERATOR = verifier.get("optim.steps")


@pytest.fixture(autouse=True)
def float64_default() -> Iterator[None]:
    """NAdam keeps its μ product in the default dtype; float32 would cost the oracle its 1e-6."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def torch_steps(
    kind: OptimizerKind, hyper: Mapping[str, object], w0: Sequence[float], grads: Sequence[Sequence[float]]
) -> np.ndarray:
    """The weights after ``torch.optim`` takes one step per given gradient (assigned to ``.grad``)."""
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    optimizer = getattr(torch.optim, optim.TORCH_CLASS[kind])([w], **hyper)
    for g in grads:
        w.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
    return w.detach().numpy()


def _problem(seed: int) -> optim.Problem:
    question = GENERATOR.generate(seed)
    return optim.read_inputs(json.loads(json.dumps(question.inputs_json())))


def test_solve_matches_torch_optim() -> None:
    kinds = set()
    for seed in SEEDS:
        question = GENERATOR.generate(seed)
        inputs = json.loads(json.dumps(question.inputs_json()))
        problem = optim.read_inputs(inputs)
        expected = torch_steps(problem.kind, problem.given, problem.w0, problem.grads)
        np.testing.assert_allclose(GENERATOR.solve(inputs)["w"], expected, rtol=RTOL, err_msg=str(seed))
        kinds.add(problem.kind)
    assert kinds == set(optim.KINDS)


# Options the questions never use, so solve's general rules are checked beyond the generated cases.
GENERAL_CASES: list[tuple[OptimizerKind, dict[str, object]]] = [
    ("sgd", {}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.3}),
    ("momentum", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("momentum", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1}),
    ("nesterov", {"lr": 0.05, "momentum": 0.7, "nesterov": True, "weight_decay": 0.2}),
    ("adagrad", {}),
    ("adagrad", {"lr": 0.3, "lr_decay": 0.2, "initial_accumulator_value": 0.4, "eps": 1e-3}),
    ("adagrad", {"lr": 0.3, "weight_decay": 0.5}),
    ("adadelta", {}),
    ("adadelta", {"lr": 0.7, "rho": 0.6, "eps": 1e-2, "weight_decay": 0.1}),
    ("rmsprop", {}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.8, "momentum": 0.5}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.8, "centered": True}),
    (
        "rmsprop",
        {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.3, "eps": 1e-3, "weight_decay": 0.2},
    ),
    ("adam", {}),
    ("adam", {"lr": 0.05, "betas": (0.5, 0.7), "eps": 1e-3, "weight_decay": 0.1}),
    ("adamax", {}),
    ("adamax", {"lr": 0.05, "betas": (0.6, 0.8), "eps": 1e-2, "weight_decay": 0.1}),
    ("nadam", {}),
    ("nadam", {"lr": 0.05, "betas": (0.7, 0.9), "momentum_decay": 0.05, "eps": 1e-3, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(
    ("kind", "hyper"), GENERAL_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(GENERAL_CASES)]
)
def test_general_rules_match_torch(kind: OptimizerKind, hyper: dict[str, object]) -> None:
    rng = np.random.default_rng(len(json.dumps(hyper)))
    for _ in range(20):
        w0 = rng.normal(size=5).tolist()
        grads = rng.normal(size=(6, 5)).tolist()
        got = optim.optimize(kind, optim.resolve_hyper(kind, hyper), w0, grads)
        np.testing.assert_allclose(got, torch_steps(kind, hyper, w0, grads), rtol=RTOL, atol=1e-12)


GRAPH_CASES = [
    (kind, hyper) for kind, hyper in GENERAL_CASES if not {"weight_decay", "centered"} & set(hyper)
]
GRAPH_CASES = [case for case in GRAPH_CASES if not (case[0] == "rmsprop" and "momentum" in case[1])]


@pytest.mark.parametrize(
    ("kind", "hyper"), GRAPH_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(GRAPH_CASES)]
)
def test_step_graph_matches_torch_beyond_the_questions(kind: OptimizerKind, hyper: dict[str, object]) -> None:
    """The question's graph on options the questions never draw (dampening, lr_decay, other betas...)."""
    rng = np.random.default_rng(len(json.dumps(hyper)))
    w0 = rng.normal(size=4).tolist()
    grads = rng.normal(size=(5, 4)).tolist()
    got = GENERATOR.solve({"optimizer": kind, "hyper": hyper, "w0": w0, "grads": grads})["w"]
    np.testing.assert_allclose(got, torch_steps(kind, hyper, w0, grads), rtol=RTOL, atol=1e-12)


def test_step_graph_refuses_what_it_does_not_model() -> None:
    with pytest.raises(ValueError, match="weight_decay"):
        GENERATOR.solve({"optimizer": "adam", "hyper": {"weight_decay": 0.1}, "w0": [0.0], "grads": [[1.0]]})


@pytest.mark.parametrize("kind", optim.KINDS)
def test_defaults_are_torchs(kind: OptimizerKind) -> None:
    optimizer = getattr(torch.optim, optim.TORCH_CLASS[kind])([torch.zeros(1, requires_grad=True)])
    for name, value in optim.DEFAULTS[kind].items():
        if kind == "nesterov" and name == "nesterov":
            continue  # our "nesterov" kind means SGD(nesterov=True); torch's default is False
        torch_value = optimizer.defaults[name]
        assert (tuple(torch_value) if name == "betas" else torch_value) == value, (kind, name)


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(ValueError, match="betas"):
        optim.resolve_hyper("sgd", {"lr": 0.1, "betas": (0.9, 0.99)})
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.read_kind("lion")


def test_inputs_are_not_mutated_and_json_inputs_give_the_same_answer() -> None:
    for seed in range(30):
        question = GENERATOR.generate(seed)
        before = json.dumps(question.inputs_json())
        fresh = GENERATOR.solve(question.inputs)["w"]
        assert json.dumps(question.inputs_json()) == before
        np.testing.assert_array_equal(GENERATOR.solve(json.loads(before))["w"], fresh)


# --- misconceptions: each a wrong step of the graph, checked on its whole answer ------------------------


def wrong(
    misconception_id: str,
    kind: OptimizerKind,
    hyper: Mapping[str, object],
    w0: Sequence[float],
    grads: Sequence[Sequence[float]],
) -> np.ndarray:
    """The weights a misconception's belief gives for this optimizer, hyperparameters and gradients."""
    inputs = {"optimizer": kind, "hyper": dict(hyper), "w0": list(w0), "grads": [list(row) for row in grads]}
    return np.asarray(optim.GRAPH.misconception(misconception_id).answer(inputs)["w"])


def _with(problem: optim.Problem, **changes: object) -> dict[str, object]:
    return {**problem.given, **changes}


def test_lr_not_applied_is_torch_with_lr_one() -> None:
    for seed in range(60):
        p = _problem(seed)
        if p.kind in ("sgd", "adadelta"):
            got = wrong("optim.lr-not-applied", p.kind, p.given, p.w0, p.grads)
            np.testing.assert_allclose(got, torch_steps(p.kind, _with(p, lr=1.0), p.w0, p.grads), rtol=RTOL)


def test_gradient_ascent_is_torch_maximizing() -> None:
    for seed in range(60):
        p = _problem(seed)
        if p.kind in ("sgd", *optim.MOMENTUM_SGD):
            got = wrong("optim.gradient-ascent", p.kind, p.given, p.w0, p.grads)
            np.testing.assert_allclose(
                got, torch_steps(p.kind, _with(p, maximize=True), p.w0, p.grads), rtol=RTOL
            )


def test_momentum_ignored_and_nesterov_as_plain_momentum_are_torch_configurations() -> None:
    w0, grads = [0.5, -0.2], [[1.0, 0.3], [-0.4, 0.3], [0.2, 0.2]]
    np.testing.assert_allclose(
        wrong("optim.momentum-ignored", "momentum", {"lr": 0.1, "momentum": 0.9}, w0, grads),
        torch_steps("sgd", {"lr": 0.1}, w0, grads),
    )
    nesterov = {"lr": 0.1, "momentum": 0.9, "nesterov": True}
    np.testing.assert_allclose(
        wrong("optim.nesterov-as-plain-momentum", "nesterov", nesterov, w0, grads),
        torch_steps("momentum", {"lr": 0.1, "momentum": 0.9}, w0, grads),
    )


def test_dampened_momentum_is_an_average_from_zero() -> None:
    # μ = 0.9, lr = 0.1, g = 1, 1: b = 0.1, then 0.9·0.1 + 0.1 = 0.19; w = −0.01, then −0.029.
    hyper = {"lr": 0.1, "momentum": 0.9}
    got = wrong("optim.sgd-momentum-dampened", "momentum", hyper, [0.0], [[1.0], [1.0]])
    assert got == pytest.approx([-0.029])
    # Nesterov with the same buffer: steps g + μb = 1.09 and 1.171.
    got = wrong("optim.sgd-momentum-dampened", "nesterov", {**hyper, "nesterov": True}, [0.0], [[1.0], [1.0]])
    assert got == pytest.approx([-(0.109 + 0.1171)])


def test_adagrad_without_accumulation_steps_by_the_sign() -> None:
    got = wrong("optim.adagrad-no-accumulation", "adagrad", {"lr": 0.5}, [1.0], [[0.3], [-0.8], [0.1]])
    assert got == pytest.approx([1.0 - 0.5 + 0.5 - 0.5])


def test_no_sqrt_divides_by_the_second_moment() -> None:
    # Adagrad: g / Σg² = 0.5/0.25 = 2 → w = −0.2 (lr 0.1).
    assert wrong("optim.no-sqrt", "adagrad", {"lr": 0.1}, [0.0], [[0.5]]) == pytest.approx([-0.2])
    # RMSprop: E[g²] = 0.01·0.25 → g / E[g²] = 200 → w = −2 (lr 0.01).
    assert wrong("optim.no-sqrt", "rmsprop", {"lr": 0.01}, [0.0], [[0.5]]) == pytest.approx([-2.0], rel=1e-5)
    # Adam: m̂ = 0.5, v̂ = 0.25 → m̂/v̂ = 2 → w = −0.2 (lr 0.1).
    assert wrong("optim.no-sqrt", "adam", {"lr": 0.1}, [0.0], [[0.5]]) == pytest.approx([-0.2])


def test_rmsprop_bias_corrected_first_step_is_lr_times_sign() -> None:
    got = wrong("optim.rmsprop-bias-corrected", "rmsprop", {"lr": 0.01}, [0.0], [[0.5]])
    assert got == pytest.approx([-0.01])
    # whereas PyTorch's uncorrected first step is 10 times larger (√0.01 = 0.1)
    assert torch_steps("rmsprop", {"lr": 0.01}, [0.0], [[0.5]]) == pytest.approx([-0.1])


def test_adadelta_misconceptions_first_step() -> None:
    hyper = {"eps": 0.01, "lr": 0.5}
    g = 1.0  # E[g²] = 0.1
    eps_outside = 0.01 / (math.sqrt(0.1) + 0.01) * g
    assert wrong("optim.adadelta-eps-outside-sqrt", "adadelta", hyper, [0.0], [[g]]) == pytest.approx(
        [-0.5 * eps_outside]
    )
    no_update_rms = g / math.sqrt(0.1 + 0.01)
    assert wrong("optim.adadelta-no-update-rms", "adadelta", hyper, [0.0], [[g]]) == pytest.approx(
        [-0.5 * no_update_rms]
    )
    right = math.sqrt(0.01) / math.sqrt(0.11) * g
    assert torch_steps("adadelta", hyper, [0.0], [[g]]) == pytest.approx([-0.5 * right])


def test_adam_family_without_bias_correction_first_step() -> None:
    g, name = 0.5, "optim.adam-no-bias-correction"
    # m = 0.05, v = 0.00025: m/√v = 0.05/0.0158 = 3.162
    assert wrong(name, "adam", {"lr": 0.1}, [0.0], [[g]]) == pytest.approx(
        [-0.1 * 0.05 / (math.sqrt(0.001 * 0.25) + 1e-8)]
    )
    assert wrong(name, "adamax", {"lr": 0.1}, [0.0], [[g]]) == pytest.approx([-0.1 * 0.05 / (0.5 + 1e-8)])
    mu1, mu2 = (
        optim.nadam_mu(1, beta1=0.9, momentum_decay=4e-3),
        optim.nadam_mu(2, beta1=0.9, momentum_decay=4e-3),
    )
    denom = math.sqrt(0.001 * 0.25) + 1e-8
    assert wrong(name, "nadam", {"lr": 0.1}, [0.0], [[g]]) == pytest.approx(
        [-0.1 * ((1 - mu1) * g + mu2 * 0.05) / denom]
    )


def test_adamax_and_nadam_as_adam_are_torch_adam() -> None:
    for seed in range(100):
        p = _problem(seed)
        if p.kind in ("adamax", "nadam"):
            got = wrong("optim.adamax-as-adam", p.kind, p.given, p.w0, p.grads)
            np.testing.assert_allclose(got, torch_steps("adam", p.given, p.w0, p.grads), rtol=RTOL)


def test_adamax_bias_corrected_u_first_step() -> None:
    # m̂ = g, û = |g|/(1 − β₂) → step lr·(1 − β₂)·sign(g)
    got = wrong("optim.adamax-bias-corrected-u", "adamax", {"lr": 0.2}, [0.0], [[-0.4]])
    assert got == pytest.approx([0.2 * 0.001])


def test_nadam_mu_is_beta1_first_step() -> None:
    # μ = β₁ = 0.9: (1 − μ)/(1 − μ)·g/|g| + μ/(1 − μ²)·(1 − β₁)g/|g| = 1 + 0.9/1.9 (sign of g)
    assert wrong("optim.nadam-mu-is-beta1", "nadam", {"lr": 0.1}, [0.0], [[0.5]]) == pytest.approx(
        [-0.1 * (1 + 0.9 / 1.9)], rel=1e-6
    )
    # PyTorch's μ₁ = 0.9·(1 − ½·0.96^0.004) ≈ 0.4507, well below β₁
    assert optim.nadam_mu(1, beta1=0.9, momentum_decay=4e-3) == pytest.approx(0.9 * (1 - 0.5 * 0.96**0.004))


def test_every_kind_has_two_applicable_misconceptions_each_told_apart_from_torch() -> None:
    for seed in SEEDS:
        question = GENERATOR.generate(seed)
        p = optim.read_inputs(question.inputs)
        applicable = [m for m in GENERATOR.misconceptions if m.applies_to(question.inputs)]
        assert len(applicable) >= 2
        expected = torch_steps(p.kind, p.given, p.w0, p.grads)
        for misconception in applicable:
            wrong = np.asarray(misconception.answer(question.inputs)["w"])
            assert not np.allclose(wrong, expected, rtol=0.02), (seed, misconception.id)
            grade = GENERATOR.grade(question.inputs, {"w": wrong.tolist()})
            assert not grade.correct and grade.misconception == misconception.id, (seed, misconception.id)


# --- properties -----------------------------------------------------------------------------------------

gradient_values = st.floats(0.1, 2.0).flatmap(lambda m: st.sampled_from([-m, m]))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["adagrad", "rmsprop", "adam", "adamax", "nadam"]),
    grads=st.lists(st.lists(gradient_values, min_size=3, max_size=3), min_size=1, max_size=4),
    scale=st.floats(0.5, 10.0),
)
def test_adaptive_steps_ignore_the_gradient_scale(
    kind: OptimizerKind, grads: list[list[float]], scale: float
) -> None:
    """Dividing by a root mean square makes these updates scale-free (up to eps: 1e-8 against |g| ≥ 0.05)."""
    h = optim.resolve_hyper(kind, {"lr": 0.1})
    w0 = [0.3, -0.2, 0.0]
    scaled = [[scale * g for g in row] for row in grads]
    np.testing.assert_allclose(
        optim.optimize(kind, h, w0, scaled), optim.optimize(kind, h, w0, grads), rtol=1e-4, atol=1e-6
    )


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(optim.KINDS),
    grads=st.lists(st.lists(gradient_values, min_size=3, max_size=3), min_size=1, max_size=4),
)
def test_rules_are_elementwise(kind: OptimizerKind, grads: list[list[float]]) -> None:
    """Reversing the coordinates of w0 and of every gradient reverses the result, shapes are kept."""
    h = optim.resolve_hyper(kind, {"lr": 0.1, "momentum": 0.9} if kind in optim.MOMENTUM_SGD else {"lr": 0.1})
    w0 = [0.3, -0.2, 0.7]
    forward = optim.optimize(kind, h, w0, grads)
    backward = optim.optimize(kind, h, w0[::-1], [row[::-1] for row in grads])
    assert len(forward) == 3
    assert forward == pytest.approx(backward[::-1], rel=1e-12)


def test_prompt_and_explanation_latex_converts() -> None:
    for seed in range(40):
        question = GENERATOR.generate(seed)
        texts = [question.prompt] + [step.text for step in GENERATOR.explain(question.inputs)]
        for text in texts:
            for snippet in re.findall(r"\$([^$]+)\$", text):
                convert(snippet)
        assert (
            "`w`" in question.prompt
            and optim.TORCH_CLASS[optim.read_kind(question.inputs["optimizer"])] in question.prompt
        )


def test_explanation_ends_at_the_answer() -> None:
    for seed in range(40):
        question = GENERATOR.generate(seed)
        last = GENERATOR.explain(question.inputs)[-1]
        assert last.name == "w"
        np.testing.assert_allclose(last.value, GENERATOR.solve(question.inputs)["w"], rtol=1e-12)  # type: ignore[arg-type]
