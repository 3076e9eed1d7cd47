"""Verifier speed: the latency of a question cycle, and each ``solve`` against the idiomatic PyTorch path.

For every registered generator (``verifier.generators()``; nothing here lists them) one run prints:

- the CPU time in µs of ``generate(seed)`` and of ``grade`` of a wrong answer, median and 99th percentile,
  in-process, on one core. The wrong answer is, on alternate seeds, the right one with one element nudged
  by 5 % of its magnitude + 0.05 (or an integer by 1) or an applicable misconception's whole answer, sent as
  JSON lists as the service receives them, so error-carried-forward grading and the diagnosis both run;
- the time of ``solve`` (µs, median over repeats on pre-generated inputs) and of the same computation done
  the idiomatic PyTorch way on the same inputs (float64, CPU, one thread), and their ratio;
- the geometric mean of torch/solve and the generators whose ``solve`` is slower than their torch path, as
  information: several torch paths are two lines of plain Python arithmetic (``init.defaults``), which a
  step graph's bookkeeping cannot beat and no user would notice;
- one PASS/FAIL line for the target (issue 11): a cycle's p99 at most 1 ms for every generator, far below a
  person's or a network round trip's time, which is all a grader has to beat.

Everything is timed in this thread's CPU time, with the process pinned to one core, so that other processes
on a shared machine do not count.

Each torch path is checked against ``solve`` (1e-6 relative) before it is timed, so a path that computes
something else fails the run instead of flattering a ratio; a generator without a torch path fails it too.
The target is for an idle core: on a shared machine, compare runs rather than reading one number.

    .venv/bin/python bench/verifier.py [--quick] [--cpu N] [--only TEXT] [--strict]
    .venv/bin/python bench/verifier.py --profile backprop.mlp   # where a cycle's time goes (pyinstrument)

Exit status: 2 when a torch path is missing or disagrees with ``solve``; with ``--strict``, 1 when the target
is missed (by default a missed target is reported and the run still exits 0, so ``make bench`` goes on to
the other benches).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from torch_paths_practice import PRACTICE_TORCH_PATHS  # noqa: E402  (bench/ is the script's directory)

import verifier  # noqa: E402
from verifier import FieldSpec, Generator  # noqa: E402

P99_TARGET_US = 1_000.0
CHECK_RTOL = 1e-6
DTYPE = torch.float64

TorchAnswer = dict[str, Any]
TorchPath = Callable[[Mapping[str, Any]], TorchAnswer]


def _t(value: object) -> torch.Tensor:
    """An input as a float64 tensor (zero-copy for a float64 NumPy array, as torch code would read it)."""
    return torch.as_tensor(value, dtype=DTYPE)


# --- torch paths: the same answer as ``solve``, computed the way a PyTorch user would -------------------


_TORCH_ACTIVATIONS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "relu": lambda z, _a: F.relu(z),
    "leaky_relu": lambda z, a: F.leaky_relu(z, negative_slope=a),
    "elu": lambda z, a: F.elu(z, alpha=a),
    "gelu": lambda z, _a: F.gelu(z),
    "softplus": lambda z, _a: F.softplus(z),
    "sigmoid": lambda z, _a: torch.sigmoid(z),
    "tanh": lambda z, _a: torch.tanh(z),
    "hardtanh": lambda z, _a: F.hardtanh(z),
}


def torch_activation_derivative(inputs: Mapping[str, Any]) -> TorchAnswer:
    z = _t(inputs["z"]).requires_grad_()
    value = _TORCH_ACTIVATIONS[inputs["name"]](z, float(inputs["alpha"]))
    (derivative,) = torch.autograd.grad(value.sum(), z)  # elementwise: the gradient of the sum is f'(z)
    return {"value": value.detach(), "derivative": derivative}


def torch_maxout(inputs: Mapping[str, Any]) -> TorchAnswer:
    w, b = _t(inputs["W"]), _t(inputs["b"])
    output = torch.amax(_t(inputs["x"]) @ w + b, dim=0)
    return {"output": output, "params": w.numel() + b.numel()}


def torch_softmax_ce(inputs: Mapping[str, Any]) -> TorchAnswer:
    z, y = _t(inputs["z"]).requires_grad_(), _t(inputs["y"])
    loss = F.cross_entropy(z[None, :], y[None, :])  # probabilities as target: one-hot y
    loss.backward()
    return {"p": F.softmax(z.detach(), dim=0), "loss": loss.item(), "grad": z.grad}


def torch_gradcheck(inputs: Mapping[str, Any]) -> TorchAnswer:
    w, analytic, h = _t(inputs["w"]), _t(inputs["analytic"]), float(inputs["h"])
    loss: Callable[[torch.Tensor], torch.Tensor]
    if inputs["kind"] == "quadratic":
        a, b = _t(inputs["A"]), _t(inputs["b"])
        loss = lambda v: 0.5 * (v @ a @ v) + b @ v  # noqa: E731
    else:
        x, y = float(inputs["x"]), float(inputs["y"])
        loss = lambda v: 0.5 * (v[1] * torch.tanh(v[0] * x) - y) ** 2  # noqa: E731
    steps = h * torch.eye(w.numel(), dtype=DTYPE)
    numerical = torch.stack([(loss(w + e) - loss(w - e)) / (2 * h) for e in steps])
    scale = torch.maximum(torch.linalg.norm(analytic), torch.linalg.norm(numerical))
    return {
        "numerical_grad": numerical,
        "relative_error": (torch.linalg.norm(analytic - numerical) / scale).item(),
    }


_HIDDEN = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}


def torch_mlp(inputs: Mapping[str, Any]) -> TorchAnswer:
    x, y = _t(inputs["x"]), _t(inputs["y"])
    w1, b1, w2, b2 = (_t(inputs[name]).requires_grad_() for name in ("W1", "b1", "W2", "b2"))
    z2 = F.linear(_HIDDEN[inputs["activation"]](F.linear(x, w1, b1)), w2, b2)
    if inputs["loss"] == "mse":
        loss = 0.5 * F.mse_loss(z2, y, reduction="sum")
    else:
        loss = F.cross_entropy(z2[None, :], y[None, :])
    loss.backward()
    return {"loss": loss.item(), "dW1": w1.grad, "db1": b1.grad, "dW2": w2.grad, "db2": b2.grad}


def torch_bootstrap(inputs: Mapping[str, Any]) -> TorchAnswer:
    n = int(inputs["n"])
    missing = torch.pow(1.0 - 1.0 / torch.tensor(float(n), dtype=DTYPE), n)
    return {"missing_fraction": missing.item(), "unique_fraction": (1.0 - missing).item()}


def torch_batchnorm_backward(inputs: Mapping[str, Any]) -> TorchAnswer:
    x, gamma, beta = (_t(inputs[name]).requires_grad_() for name in ("x", "gamma", "beta"))
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=float(inputs["eps"]))
    y.backward(_t(inputs["dy"]))
    return {"dx": x.grad, "dgamma": gamma.grad, "dbeta": beta.grad}


def _batchnorm_buffers(batches: torch.Tensor, momentum: float | None) -> TorchAnswer:
    layer = torch.nn.BatchNorm1d(batches.shape[2], momentum=momentum, dtype=DTYPE).train()
    with torch.no_grad():
        for batch in batches:
            layer(batch)
    return {"mean": layer.running_mean, "var": layer.running_var}


def torch_population_stats(inputs: Mapping[str, Any]) -> TorchAnswer:
    return _batchnorm_buffers(_t(inputs["batches"]), None)  # momentum=None: the cumulative average


def torch_running_stats(inputs: Mapping[str, Any]) -> TorchAnswer:
    stats = _batchnorm_buffers(_t(inputs["batches"]), float(inputs["momentum"]))
    return {"running_mean": stats["mean"], "running_var": stats["var"]}


def torch_batchnorm_forward(inputs: Mapping[str, Any]) -> TorchAnswer:
    x = _t(inputs["x"])
    var, mean = torch.var_mean(x, dim=0, unbiased=False)
    y = F.batch_norm(
        x, None, None, _t(inputs["gamma"]), _t(inputs["beta"]), training=True, eps=float(inputs["eps"])
    )
    return {"mean": mean, "var": var, "y": y}


def torch_dropout_inverted(inputs: Mapping[str, Any]) -> TorchAnswer:
    # F.dropout draws its own mask; with the question's mask, its training output is x * mask / (1 - p).
    x, p = _t(inputs["x"]), float(inputs["p"])
    return {
        "train_output": x * _t(inputs["mask"]) / (1.0 - p),
        "test_output": F.dropout(x, p=p, training=False),
    }


def torch_weight_scaling(inputs: Mapping[str, Any]) -> TorchAnswer:
    return {"test_output": F.linear(_t(inputs["x"]), _t(inputs["W"]) * (1.0 - float(inputs["p"])))}


def torch_init_fans(inputs: Mapping[str, Any]) -> TorchAnswer:
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(list(inputs["shape"])))
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "glorot_limit": math.sqrt(6.0 / (fan_in + fan_out)),  # xavier_uniform_, gain 1
        "he_std": torch.nn.init.calculate_gain("relu") / math.sqrt(fan_in),  # kaiming_normal_, fan_in
    }


def torch_standardize(inputs: Mapping[str, Any]) -> TorchAnswer:
    std, mean = torch.std_mean(_t(inputs["train"]), dim=0, unbiased=False)
    return {"mean": mean, "std": std, "test_standardized": (_t(inputs["test"]) - mean) / std}


def torch_optim(inputs: Mapping[str, Any]) -> TorchAnswer:
    from verifier.concepts.optim import TORCH_CLASS

    w = _t(inputs["w0"]).clone().requires_grad_()
    optimizer = getattr(torch.optim, TORCH_CLASS[inputs["optimizer"]])([w], **inputs["hyper"])
    for g in _t(inputs["grads"]):
        w.grad = g
        optimizer.step()
    return {"w": w.detach()}


def torch_attention(inputs: Mapping[str, Any]) -> TorchAnswer:
    h, q = _t(inputs["H"]), _t(inputs["q"])
    weights = F.softmax(h @ q / math.sqrt(h.shape[1]), dim=0)
    return {
        "max_pool": torch.amax(h, dim=0),
        "avg_pool": torch.mean(h, dim=0),
        "weights": weights,
        "attended": weights @ h,
    }


def torch_l1_l2_minimizer(inputs: Mapping[str, Any]) -> TorchAnswer:
    a, lam = _t(inputs["a"]), float(inputs["lam"])
    w_l1 = F.softshrink(a, lam)
    return {"w_l1": w_l1, "w_l2": a / (1.0 + lam), "zeros_l1": int((w_l1 == 0).sum())}


def torch_penalty_step(inputs: Mapping[str, Any]) -> TorchAnswer:
    lr, lam = float(inputs["lr"]), float(inputs["lam"])
    w, grad = _t(inputs["w"]), _t(inputs["grad"])
    param = w.clone().requires_grad_()
    sgd = torch.optim.SGD([param], lr=lr, weight_decay=lam)
    param.grad = grad
    sgd.step()
    return {"w_l2": param.detach(), "w_l1": F.softshrink(w - lr * grad, lr * lam)}


def torch_rnn_params(inputs: Mapping[str, Any]) -> TorchAnswer:
    from verifier.concepts.rnn import TORCH_CLASS

    module = getattr(torch.nn, TORCH_CLASS[inputs["cell"]])(
        int(inputs["input_size"]), int(inputs["hidden_size"]), int(inputs["num_layers"])
    )
    return {"params": sum(p.numel() for p in module.parameters())}


def torch_schedule(inputs: Mapping[str, Any]) -> TorchAnswer:
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=float(inputs["lr0"]))
    scheduler: torch.optim.lr_scheduler.LRScheduler
    if inputs["kind"] == "step":
        scheduler = torch.optim.lr_scheduler.StepLR(
            optimizer, int(inputs["step_size"]), float(inputs["gamma"])
        )
    elif inputs["kind"] == "exponential":
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, float(inputs["gamma"]))
    else:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, int(inputs["T_max"]))
    for _ in range(int(inputs["epoch"])):
        optimizer.step()
        scheduler.step()
    return {"lr": scheduler.get_last_lr()[0]}


def torch_early_stopping(inputs: Mapping[str, Any]) -> TorchAnswer:
    # torch has no early stopping; the loop a training script writes, on a tensor of losses.
    losses, patience, min_delta = _t(inputs["val_loss"]), int(inputs["patience"]), float(inputs["min_delta"])
    best, best_epoch, waited = torch.tensor(math.inf, dtype=DTYPE), 0, 0
    for epoch, loss in enumerate(losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return {"stop_epoch": epoch, "best_epoch": best_epoch}
    return {"stop_epoch": len(losses) - 1, "best_epoch": best_epoch}


def torch_steps_per_epoch(inputs: Mapping[str, Any]) -> TorchAnswer:
    loader = DataLoader(
        range(int(inputs["n"])), batch_size=int(inputs["batch_size"]), drop_last=inputs["drop_last"]
    )
    return {"steps": len(loader)}


# --- wave 2 (issue 13) -----------------------------------------------------------------------------------


def torch_conv_shape(inputs: Mapping[str, Any]) -> TorchAnswer:
    kh, kw = (int(k) for k in inputs["kernel"])
    layer = torch.nn.Conv2d(
        int(inputs["in_channels"]), int(inputs["out_channels"]), (kh, kw), stride=int(inputs["stride"]),
        padding=int(inputs["padding"]), dilation=int(inputs["dilation"]), groups=int(inputs["groups"]),
        bias=bool(inputs["bias"]), device="meta",
    )  # fmt: skip
    out = layer(
        torch.empty(1, int(inputs["in_channels"]), int(inputs["height"]), int(inputs["width"]), device="meta")
    )
    out_h, out_w = out.shape[2], out.shape[3]
    return {
        "out_h": out_h,
        "out_w": out_w,
        "params": sum(p.numel() for p in layer.parameters()),
        "macs": out_h * out_w * layer.weight.numel(),
    }


def torch_receptive_field(inputs: Mapping[str, Any]) -> TorchAnswer:
    """The extent of the input gradient of output pixel 0, and the shift of pixel 1's (1-D, no padding)."""
    modules: list[torch.nn.Module] = []
    for layer in inputs["layers"]:
        k, s, d = int(layer["kernel"]), int(layer["stride"]), int(layer["dilation"])
        if layer["kind"] == "conv":
            conv = torch.nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False, dtype=DTYPE)
            torch.nn.init.ones_(conv.weight)
            modules.append(conv)
        else:
            modules.append(torch.nn.AvgPool1d(k, stride=s))
    x = torch.zeros(1, 1, 400, dtype=DTYPE, requires_grad=True)
    out = torch.nn.Sequential(*modules)(x)
    first = [
        torch.autograd.grad(out[0, 0, i], x, retain_graph=True)[0][0, 0].nonzero().flatten() for i in (0, 1)
    ]
    return {"receptive_field": int(first[0][-1] - first[0][0]) + 1, "jump": int(first[1][0] - first[0][0])}


def torch_pooling_backward(inputs: Mapping[str, Any]) -> TorchAnswer:
    k, s = int(inputs["kernel"]), int(inputs["stride"])
    dout = _t(inputs["dout"])
    answer: TorchAnswer = {}
    for name, pool in (("dx_max", F.max_pool2d), ("dx_avg", F.avg_pool2d)):
        x = _t(inputs["x"]).reshape(1, 1, 4, 4).requires_grad_()
        (grad,) = torch.autograd.grad((pool(x, k, s)[0, 0] * dout).sum(), x)
        answer[name] = grad[0, 0]
    return answer


def torch_saturation(inputs: Mapping[str, Any]) -> TorchAnswer:
    f = torch.sigmoid if inputs["activation"] == "sigmoid" else torch.tanh
    z, w = _t(inputs["z"]).requires_grad_(), _t(inputs["w"])
    (derivs,) = torch.autograd.grad(f(z).sum(), z)
    peak = 0.25 if inputs["activation"] == "sigmoid" else 1.0
    return {"derivs": derivs, "grad": torch.prod(w * derivs), "bound": torch.prod(w.abs()) * peak ** len(w)}


def torch_output_error(inputs: Mapping[str, Any]) -> TorchAnswer:
    y = _t(inputs["y"])
    z = _t(inputs["z"]).requires_grad_()
    a = torch.sigmoid(z)
    (delta_mse,) = torch.autograd.grad(0.5 * F.mse_loss(a, y, reduction="sum"), z)
    (delta_bce,) = torch.autograd.grad(F.binary_cross_entropy_with_logits(z, y, reduction="sum"), z)
    return {"a": a.detach(), "delta_mse": delta_mse, "delta_bce": delta_bce}


def torch_label_smoothing(inputs: Mapping[str, Any]) -> TorchAnswer:
    z = _t(inputs["z"]).requires_grad_()
    eps, k = float(inputs["eps"]), len(inputs["z"])
    loss = F.cross_entropy(z, torch.tensor(int(inputs["target"])), label_smoothing=eps)
    (grad,) = torch.autograd.grad(loss, z)
    target = F.one_hot(torch.tensor(int(inputs["target"])), k).to(DTYPE) * (1 - eps) + eps / k
    return {"y_smooth": target, "loss": loss.detach(), "grad": grad}


def torch_prelu(inputs: Mapping[str, Any]) -> TorchAnswer:
    x = _t(inputs["x"]).requires_grad_()
    alpha = torch.tensor([float(inputs["alpha"])], dtype=DTYPE, requires_grad=True)
    y = F.prelu(x, alpha)
    dx, dalpha = torch.autograd.grad(y, (x, alpha), _t(inputs["dy"]))
    return {"y": y.detach(), "dx": dx, "dalpha": dalpha[0]}


def torch_softmax_temperature(inputs: Mapping[str, Any]) -> TorchAnswer:
    scaled = _t(inputs["z"]) / float(inputs["temperature"])
    return {
        "shifted": scaled - scaled.max(),
        "p": torch.softmax(scaled, 0),
        "lse": torch.logsumexp(scaled, 0),
    }


TORCH_PATHS: dict[str, TorchPath] = {
    "activations.derivative": torch_activation_derivative,
    "activations.maxout": torch_maxout,
    "activations.softmax_ce": torch_softmax_ce,
    "backprop.gradcheck": torch_gradcheck,
    "backprop.mlp": torch_mlp,
    "bagging.bootstrap": torch_bootstrap,
    "batchnorm.backward": torch_batchnorm_backward,
    "batchnorm.population_stats": torch_population_stats,
    "batchnorm.running_stats": torch_running_stats,
    "batchnorm.train_forward": torch_batchnorm_forward,
    "dropout.inverted": torch_dropout_inverted,
    "dropout.weight_scaling": torch_weight_scaling,
    "init.fans": torch_init_fans,
    "normalization.standardize": torch_standardize,
    "optim.steps": torch_optim,
    "pooling.attention": torch_attention,
    "regularization.l1_l2_minimizer": torch_l1_l2_minimizer,
    "regularization.penalty_step": torch_penalty_step,
    "rnn.param_count": torch_rnn_params,
    "schedule.lr": torch_schedule,
    "training.early_stopping": torch_early_stopping,
    "training.steps_per_epoch": torch_steps_per_epoch,
    "conv.output_shape": torch_conv_shape,
    "conv.receptive_field": torch_receptive_field,
    "pooling.backward": torch_pooling_backward,
    "backprop.saturation": torch_saturation,
    "backprop.output_error": torch_output_error,
    "activations.label_smoothing": torch_label_smoothing,
    "activations.prelu": torch_prelu,
    "activations.softmax_temperature": torch_softmax_temperature,
}
TORCH_PATHS.update(PRACTICE_TORCH_PATHS)


# --- measurement -----------------------------------------------------------------------------------------


def die(message: str) -> NoReturn:
    """Stop the run: a torch path is missing or computes something else (exit status 2)."""
    print(f"ERROR: {message}", file=sys.stderr)
    raise SystemExit(2)


def _as_numpy(value: object) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def check_torch_path(generator: Generator, path: TorchPath, inputs: Sequence[Mapping[str, Any]]) -> None:
    """Stop the run unless the torch path gives ``solve``'s answer on every input."""
    for number, item in enumerate(inputs):
        expected, got = generator.solve(item), path(item)
        if set(got) != set(generator.answer_fields):
            die(f"{generator.id}: torch path gives fields {sorted(got)}, not {sorted(expected)}")
        for name in generator.answer_fields:
            if not np.allclose(_as_numpy(got[name]), _as_numpy(expected[name]), rtol=CHECK_RTOL, atol=1e-12):
                die(
                    f"{generator.id}: torch path disagrees with solve on field {name!r} (input #{number}): "
                    f"{_as_numpy(got[name])} vs {_as_numpy(expected[name])}"
                )


def wrong_answer(
    answer: Mapping[str, object], fields: Mapping[str, FieldSpec], seed: int
) -> dict[str, object]:
    """The right answer as JSON values with one element nudged out of tolerance, as the tests nudge it.

    Which element depends on the seed, so over many seeds every element of every field is nudged equally
    often (a grader may find some fields cheaper to explain than others).
    """
    submission: dict[str, object] = {name: verifier.to_jsonable(value) for name, value in answer.items()}
    names = list(fields)
    sizes = [math.prod(fields[name].shape) for name in names]
    index, field = seed % sum(sizes), 0
    while index >= sizes[field]:
        index -= sizes[field]
        field += 1
    name, spec = names[field], fields[names[field]]
    array = np.array(submission[name], dtype=np.float64)
    flat = array.reshape(-1)
    flat[index] = flat[index] + 1 if spec.dtype == "int" else flat[index] + 0.05 * abs(flat[index]) + 0.05
    submission[name] = array.tolist() if array.ndim else float(array)
    return submission


def submission_for(generator: Generator, inputs: Mapping[str, Any], seed: int) -> dict[str, object]:
    """What a candidate sends: on even seeds the right answer with one element nudged out of tolerance, on
    odd seeds an applicable misconception's whole answer, so both the carried-forward comparison and the
    diagnosis run."""
    answer = generator.solve(inputs)
    applicable = [m for m in generator.misconceptions if m.applies_to(inputs)]
    if seed % 2 and applicable:
        wrong = applicable[(seed // 2) % len(applicable)].answer(inputs)
        return {name: verifier.to_jsonable(value) for name, value in wrong.items()}
    return wrong_answer(answer, generator.answer_fields, seed)


def time_cycles(generator: Generator, seeds: Sequence[int]) -> tuple[list[float], list[float]]:
    """Per seed, the CPU µs of ``generate`` and of ``grade`` (of :func:`submission_for`'s answer).

    CPU time is this thread's (``time.thread_time_ns``): on a shared machine the wall clock also counts the
    time other processes hold the core, which says nothing about the verifier.
    """
    generate_us: list[float] = []
    grade_us: list[float] = []
    for seed in seeds:
        start = time.thread_time_ns()
        question = generator.generate(seed)
        mid = time.thread_time_ns()
        submission = submission_for(generator, question.inputs, seed)
        before_grade = time.thread_time_ns()
        grade = generator.grade(question.inputs, submission)
        end = time.thread_time_ns()
        if grade.correct:
            die(f"{generator.id}: a wrong answer graded correct (seed {seed})")
        generate_us.append((mid - start) / 1e3)
        grade_us.append((end - before_grade) / 1e3)
    return generate_us, grade_us


def percentile(samples: Sequence[float], share: float) -> float:
    """The ``share`` quantile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def time_per_call(
    function: Callable[[Mapping[str, Any]], object], inputs: Sequence[Mapping[str, Any]], repeats: int
) -> float:
    """Median over ``repeats`` of the mean CPU time of one call (µs), each repeat a sweep over all inputs."""
    samples = []
    for _ in range(repeats):
        start = time.thread_time_ns()
        for item in inputs:
            function(item)
        samples.append((time.thread_time_ns() - start) / 1e3 / len(inputs))
    return statistics.median(samples)


def profile_cycles(generator: Generator, seeds: Sequence[int]) -> str:
    """The whole-cycle loop of :func:`time_cycles` under pyinstrument, as a call tree (what to optimize)."""
    from pyinstrument import Profiler  # a dev extra, needed only here

    profiler = Profiler(interval=0.0001)
    profiler.start()
    for seed in seeds:
        question = generator.generate(seed)
        generator.grade(question.inputs, submission_for(generator, question.inputs, seed))
    profiler.stop()
    text: str = profiler.output_text(unicode=True, color=False)
    return text


def pin_to_one_core(cpu: int | None) -> int:
    """Pin this process to one core (the last allowed one unless ``cpu`` is given) and torch to one thread."""
    allowed = sorted(os.sched_getaffinity(0))
    core = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {core})
    torch.set_num_threads(1)
    return core


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and repeats (a smoke run)")
    parser.add_argument("--cpu", type=int, default=None, help="core to pin to (default: the last allowed)")
    parser.add_argument("--only", default="", help="time only generators whose id contains this text")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--profile", metavar="ID", help="print where one generator's cycles spend their time")
    args = parser.parse_args()
    if args.profile:
        print(profile_cycles(verifier.get(args.profile), range(100_000, 100_000 + 5_000)))
        return 0
    cycle_seeds = range(100_000, 100_000 + (300 if args.quick else 2000))
    solve_inputs_count, repeats = (20, 15) if args.quick else (50, 41)

    core = pin_to_one_core(args.cpu)
    generators = verifier.generators()
    missing = [g.id for g in generators if g.id not in TORCH_PATHS]
    if missing:
        die(f"no torch path for generator(s): {', '.join(missing)}; add one to TORCH_PATHS")
    stale = sorted(set(TORCH_PATHS) - {g.id for g in generators})
    if stale:
        die(f"torch paths for unregistered generator(s): {', '.join(stale)}")

    blas = {name: os.environ.get(name) for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(
        f"verifier bench: {len(generators)} generators, core {core}, torch {torch.__version__} "
        f"({torch.get_num_threads()} thread), numpy {np.__version__}, python {sys.version.split()[0]}"
    )
    print("environment: " + ", ".join(f"{k}={'unset' if v is None else repr(v)}" for k, v in blas.items()))
    print(
        f"cycle = generate + grade of a wrong answer (a nudged one or a misconception's, alternately: error "
        f"carried forward and diagnosis run), CPU µs of this thread over {len(cycle_seeds)} seeds: median "
        f"(med) and 99th percentile (p99).\n"
        f"solve and torch: CPU µs per call, median of {repeats} sweeps over {solve_inputs_count} questions.\n"
    )

    header = (
        f"{'generator':<32} {'gen med':>8} {'gen p99':>8} {'grade med':>9} {'grade p99':>9} {'cycle med':>9} "
        f"{'cycle p99':>9} {'solve µs':>9} {'torch µs':>9} {'torch/solve':>11}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    gc.collect()
    for generator in generators:
        if args.only not in generator.id:
            continue
        path = TORCH_PATHS[generator.id]
        inputs = [generator.generate(seed).inputs for seed in range(solve_inputs_count)]
        check_torch_path(generator, path, inputs)
        gc.disable()
        try:
            generate_us, grade_us = time_cycles(generator, cycle_seeds)
            solve_us = time_per_call(generator.solve, inputs, repeats)
            torch_us = time_per_call(path, inputs, repeats)
        finally:
            gc.enable()
        ratio = torch_us / solve_us
        cycle_us = [a + b for a, b in zip(generate_us, grade_us, strict=True)]
        p99 = percentile(cycle_us, 0.99)
        rows.append((generator.id, p99, solve_us, torch_us, ratio))
        print(
            f"{generator.id:<32} {statistics.median(generate_us):>8.0f} {percentile(generate_us, 0.99):>8.0f} "
            f"{statistics.median(grade_us):>9.0f} {percentile(grade_us, 0.99):>9.0f} "
            f"{statistics.median(cycle_us):>9.0f} {p99:>9.0f} "
            f"{solve_us:>9.2f} {torch_us:>9.2f} {ratio:>10.1f}x",
            flush=True,
        )

    geomean = math.exp(statistics.fmean(math.log(row[4]) for row in rows))
    print("-" * len(header))
    print(f"geometric mean of torch/solve: {geomean:.1f}x over {len(rows)} generators\n")

    slower = [f"{row[0]} ({row[4]:.1f}x)" for row in rows if row[4] < 1.0]
    print(f"info  solve slower than its torch path: {', '.join(slower) or 'none'}")
    slow_cycles = [f"{row[0]} ({row[1]:,.0f} µs)" for row in rows if row[1] > P99_TARGET_US]
    ok = not slow_cycles
    passing = sum(row[1] <= P99_TARGET_US for row in rows)
    detail = ", ".join(slow_cycles) or f"slowest p99 {max(r[1] for r in rows):,.0f} µs"
    print(
        f"{'PASS' if ok else 'FAIL'}  cycle p99 <= {P99_TARGET_US:,.0f} µs for every generator "
        f"({passing} of {len(rows)} pass): {detail}"
    )
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
