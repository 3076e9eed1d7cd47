"""Torch paths for ``bench/verifier.py`` of the wave-2 generators on training practice (issue 13): each the
same answer as the generator's ``solve``, computed the way a PyTorch user would (float64, CPU).

Kept beside ``verifier.py`` rather than in it so that that file stays one screenful per concern;
``verifier.py`` merges :data:`PRACTICE_TORCH_PATHS` into its table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F

DTYPE = torch.float64
TorchAnswer = dict[str, Any]


def _t(value: object) -> torch.Tensor:
    return torch.as_tensor(value, dtype=DTYPE)


def torch_lstm_step(inputs: Mapping[str, Any]) -> TorchAnswer:
    cell = torch.nn.LSTMCell(1, 2, dtype=DTYPE)
    with torch.no_grad():
        cell.weight_ih.copy_(_t(inputs["w_ih"]).reshape(8, 1))
        cell.weight_hh.copy_(_t(inputs["w_hh"]).reshape(8, 2))
        cell.bias_ih.copy_(_t(inputs["b_ih"]))
        cell.bias_hh.copy_(_t(inputs["b_hh"]))
        x, h, c = _t([[inputs["x"]]]), _t(inputs["h"])[None, :], _t(inputs["c"])[None, :]
        h_new, c_new = cell(x, (h, c))
        z = F.linear(x, cell.weight_ih, cell.bias_ih) + F.linear(h, cell.weight_hh, cell.bias_hh)
        i, f, g, o = z.reshape(4, 2)
    return {
        "i": torch.sigmoid(i),
        "f": torch.sigmoid(f),
        "g": torch.tanh(g),
        "o": torch.sigmoid(o),
        "c_new": c_new[0],
        "h_new": h_new[0],
    }


def _optimizer_step(optimizer_class: type[torch.optim.Optimizer], inputs: Mapping[str, Any]) -> torch.Tensor:
    w = _t(inputs["w"]).clone().requires_grad_()
    optimizer = optimizer_class([w], lr=float(inputs["lr"]), weight_decay=float(inputs["weight_decay"]))  # type: ignore[call-arg]
    w.grad = _t(inputs["grad"]).clone()
    optimizer.step()
    return w.detach()


def torch_adamw(inputs: Mapping[str, Any]) -> TorchAnswer:
    return {
        "grad_l2": _t(inputs["grad"]) + float(inputs["weight_decay"]) * _t(inputs["w"]),
        "adam_w": _optimizer_step(torch.optim.Adam, inputs),
        "adamw_w": _optimizer_step(torch.optim.AdamW, inputs),
    }


def torch_clip_grad(inputs: Mapping[str, Any]) -> TorchAnswer:
    def params() -> list[torch.nn.Parameter]:
        out = []
        for name in ("grad_a", "grad_b"):
            grad = _t(inputs[name]).clone()
            param = torch.nn.Parameter(torch.zeros_like(grad))
            param.grad = grad
            out.append(param)
        return out

    by_norm = params()
    max_norm = float(inputs["max_norm"])
    total = torch.nn.utils.clip_grad_norm_(by_norm, max_norm=max_norm)
    by_value = params()
    torch.nn.utils.clip_grad_value_(by_value, clip_value=float(inputs["clip_value"]))
    return {
        "total_norm": total.item(),
        "clip_coef": min(1.0, max_norm / (total.item() + 1e-6)),
        "norm_a": by_norm[0].grad,
        "norm_b": by_norm[1].grad,
        "value_a": by_value[0].grad,
        "value_b": by_value[1].grad,
    }


def torch_warmup_cosine(inputs: Mapping[str, Any]) -> TorchAnswer:
    effective = int(inputs["per_device"]) * int(inputs["devices"]) * int(inputs["accumulation"])
    peak = float(inputs["base_lr"]) * effective / 256
    warmup, total = int(inputs["warmup"]), int(inputs["total"])

    def factor(t: int) -> float:
        if t < warmup:
            return t / warmup
        return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    lrs = {}
    for t in range(int(inputs["t_decay"]) + 1):
        lrs[t] = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
    return {
        "effective_batch": effective,
        "peak_lr": peak,
        "lr_warmup": lrs[int(inputs["t_warm"])],
        "lr_decay": lrs[int(inputs["t_decay"])],
    }


def torch_eval_fold(inputs: Mapping[str, Any]) -> TorchAnswer:
    linear = torch.nn.Linear(2, 2, dtype=DTYPE)
    bn = torch.nn.BatchNorm1d(2, dtype=DTYPE).eval()
    with torch.no_grad():
        linear.weight.copy_(_t(inputs["w"]).reshape(2, 2))
        linear.bias.copy_(_t(inputs["b"]))
        bn.weight.copy_(_t(inputs["gamma"]))
        bn.bias.copy_(_t(inputs["beta"]))
        bn.running_mean.copy_(_t(inputs["running_mean"]))
        bn.running_var.copy_(_t(inputs["running_var"]))
        y = bn(linear(_t(inputs["x"])[None, :]))[0]
        w_fold, b_fold = torch.nn.utils.fusion.fuse_linear_bn_weights(
            linear.weight, linear.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
        )
    counted = torch.nn.BatchNorm2d(int(inputs["channels"]), device="meta")
    return {
        "y_eval": y,
        "w_fold": w_fold.detach(),
        "b_fold": b_fold.detach(),
        "n_params": sum(p.numel() for p in counted.parameters()),
        "n_buffers": sum(b.numel() for b in counted.buffers()),
    }


def torch_layernorm(inputs: Mapping[str, Any]) -> TorchAnswer:
    x = _t(inputs["x"]).reshape(3, 3)
    var, mean = torch.var_mean(x, dim=1, unbiased=False)
    with torch.no_grad():
        y_ln = torch.nn.LayerNorm(3, dtype=DTYPE)(x)
        y_bn = torch.nn.BatchNorm1d(3, dtype=DTYPE).train()(x)
    return {"ln_mean": mean, "ln_var": var, "y_ln": y_ln, "y_bn": y_bn}


def torch_dropout_variants(inputs: Mapping[str, Any]) -> TorchAnswer:
    weight = _t(inputs["w"]).reshape(2, 3) * _t(inputs["mask"]).reshape(2, 3)
    blocks, p_last = int(inputs["blocks"]), float(inputs["p_last"])
    survival = 1 - torch.arange(1, blocks + 1, dtype=DTYPE) / blocks * (1 - p_last)
    keep, size, feat = float(inputs["keep_prob"]), int(inputs["block_size"]), int(inputs["feat_size"])
    return {
        "dropconnect_u": F.linear(_t(inputs["v"]), weight),
        "expected_depth": survival.sum().item(),
        "gamma": (1 - keep) / size**2 * feat**2 / (feat - size + 1) ** 2,
    }


def torch_ensemble_error(inputs: Mapping[str, Any]) -> TorchAnswer:
    k, v, c = int(inputs["k"]), float(inputs["v"]), float(inputs["c"])
    covariance = c * torch.ones(k, k, dtype=DTYPE) + (v - c) * torch.eye(k, dtype=DTYPE)
    average = torch.full((k,), 1.0 / k, dtype=DTYPE)
    return {"ensemble_mse": (average @ covariance @ average).item(), "limit_mse": c}


def torch_init_defaults(inputs: Mapping[str, Any]) -> TorchAnswer:
    fan_in, fan_out = int(inputs["fan_in"]), int(inputs["fan_out"])
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    mean, std = float(inputs["mean"]), float(inputs["std"])
    return {
        "weight_bound": gain * math.sqrt(3 / fan_in),
        "xavier_std": math.sqrt(2 / (fan_in + fan_out)),
        "trunc_low_z": (-2.0 - mean) / std,
        "trunc_high_z": (2.0 - mean) / std,
    }


def torch_embedding(inputs: Mapping[str, Any]) -> TorchAnswer:
    vocab, dim = int(inputs["vocab"]), int(inputs["dim"])
    model = torch.nn.Sequential(
        torch.nn.Embedding(vocab, dim, device="meta"), torch.nn.Linear(dim, vocab, device="meta")
    )
    untied = sum(p.numel() for p in model.parameters())
    model[1].weight = model[0].weight
    tied = sum(p.numel() for p in model.parameters())
    v_c, u_o, u_neg = _t(inputs["v_c"]), _t(inputs["u_o"]), _t(inputs["u_neg"]).reshape(-1, 2)
    loss = -F.logsigmoid(u_o @ v_c) - F.logsigmoid(-(u_neg @ v_c)).sum()
    return {"params_untied": untied, "params_tied": tied, "loss": loss.item()}


PRACTICE_TORCH_PATHS: dict[str, Callable[[Mapping[str, Any]], TorchAnswer]] = {
    "rnn.lstm_step": torch_lstm_step,
    "optim.adamw": torch_adamw,
    "optim.clip_grad": torch_clip_grad,
    "schedule.warmup_cosine": torch_warmup_cosine,
    "batchnorm.eval_fold": torch_eval_fold,
    "normalization.layernorm": torch_layernorm,
    "dropout.variants": torch_dropout_variants,
    "bagging.ensemble_error": torch_ensemble_error,
    "init.defaults": torch_init_defaults,
    "embedding.params_sgns": torch_embedding,
}
