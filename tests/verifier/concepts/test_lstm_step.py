"""rnn.lstm_step checked against ``torch.nn.LSTMCell`` (float64) on many seeds, and each misconception
against the one thing it changes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import verifier
from verifier.concepts import lstm_step

SEEDS = range(200)
GENERATOR = verifier.get("rnn.lstm_step")


def torch_step(inputs: dict[str, object]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gates i, f, g, o stacked as torch computes them, c', h') from an nn.LSTMCell with these weights."""
    v = lstm_step._read(inputs)
    cell = torch.nn.LSTMCell(1, 2, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(v["w_ih"]))
        cell.weight_hh.copy_(torch.from_numpy(v["w_hh"]))
        cell.bias_ih.copy_(torch.from_numpy(v["b_ih"]))
        cell.bias_hh.copy_(torch.from_numpy(v["b_hh"]))
        x = torch.tensor([[v["x"]]], dtype=torch.float64)
        h = torch.from_numpy(v["h"]).reshape(1, 2)
        c = torch.from_numpy(v["c"]).reshape(1, 2)
        h_new, c_new = cell(x, (h, c))
        z = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
        i, f, g, o = z.reshape(4, 2)
        gates = torch.stack([torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)])
    return gates.numpy(), c_new[0].numpy(), h_new[0].numpy()


def test_solve_matches_torch_lstm_cell() -> None:
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        gates, c_new, h_new = torch_step(inputs)
        answer = GENERATOR.solve(inputs)
        np.testing.assert_allclose(np.stack([answer[k] for k in "ifgo"]), gates, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(answer["c_new"], c_new, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(answer["h_new"], h_new, rtol=1e-12, atol=1e-12)


def _wrong(misconception_id: str, inputs: dict[str, object]) -> dict[str, np.ndarray]:
    answer = lstm_step.GRAPH.misconception(misconception_id).answer(inputs)
    return {k: np.asarray(v) for k, v in answer.items()}


def test_misconceptions_change_what_they_claim() -> None:
    inputs = json.loads(json.dumps(GENERATOR.generate(3).inputs_json()))
    right = GENERATOR.solve(inputs)
    swapped = _wrong("rnn.lstm-gate-order-ifog", inputs)
    np.testing.assert_allclose(swapped["g"], np.tanh(_logit(right["o"])))
    np.testing.assert_allclose(swapped["o"], lstm_step.sigmoid(np.arctanh(right["g"])))
    without_forget = _wrong("rnn.lstm-cell-without-forget", inputs)
    c = np.asarray(inputs["c"])
    np.testing.assert_allclose(without_forget["c_new"], c + right["i"] * right["g"])
    assert _wrong("rnn.lstm-hidden-without-tanh", inputs)["h_new"] == pytest.approx(
        right["o"] * right["c_new"]
    )
    one_bias = _wrong("rnn.lstm-one-bias", inputs)
    b_hh = np.asarray(inputs["b_hh"])
    np.testing.assert_allclose(_logit(one_bias["i"]), _logit(right["i"]) - b_hh[:2])


def _logit(p: object) -> np.ndarray:
    q = np.asarray(p, dtype=np.float64)
    result: np.ndarray = np.log(q / (1 - q))
    return result


def test_hand_checked_zero_weights() -> None:
    """All weights 0: every gate is σ(0) = 0.5, g = tanh(0) = 0, so c' = c/2 and h' = tanh(c/2)/2."""
    zeros = {"x": 1.0, "h": [0.3, -0.2], "c": [1.0, -2.0], "w_ih": [[0.0]] * 8, "w_hh": [[0.0, 0.0]] * 8}
    values = lstm_step.lstm_step({**zeros, "b_ih": [0.0] * 8, "b_hh": [0.0] * 8})
    np.testing.assert_allclose(values["c_new"], [0.5, -1.0])
    np.testing.assert_allclose(values["h_new"], 0.5 * np.tanh([0.5, -1.0]))
