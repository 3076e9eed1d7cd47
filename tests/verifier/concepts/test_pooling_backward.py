"""pooling.backward checked against autograd through ``F.max_pool2d`` and ``F.avg_pool2d``; each
misconception against the routing it gets wrong."""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F

import verifier
from verifier.concepts import pooling_backward

SEEDS = range(200)
GENERATOR = verifier.get("pooling.backward")


def _torch_dx(inputs: dict[str, object], pool: str) -> np.ndarray:
    x = torch.tensor(inputs["x"], dtype=torch.float64).reshape(1, 1, 4, 4).requires_grad_()
    dout = torch.tensor(inputs["dout"], dtype=torch.float64)
    k, s = int(inputs["kernel"]), int(inputs["stride"])  # type: ignore[call-overload]
    y = F.max_pool2d(x, k, s) if pool == "max" else F.avg_pool2d(x, k, s)
    (y[0, 0] * dout).sum().backward()
    assert x.grad is not None
    return x.grad[0, 0].numpy()


def test_solve_matches_autograd() -> None:
    cases = set()
    for seed in SEEDS:
        inputs = json.loads(json.dumps(GENERATOR.generate(seed).inputs_json()))
        answer = GENERATOR.solve(inputs)
        np.testing.assert_allclose(answer["dx_max"], _torch_dx(inputs, "max"), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(answer["dx_avg"], _torch_dx(inputs, "avg"), rtol=1e-12, atol=1e-12)
        assert len(set(np.ravel(inputs["x"]).tolist())) == 16  # no ties
        cases.add((inputs["kernel"], inputs["stride"]))
    assert cases == set(pooling_backward.CASES)


def test_misconceptions_by_hand() -> None:
    x = np.arange(16, dtype=np.float64).reshape(4, 4) / 10  # the maximum of every window is its bottom right
    inputs = {"x": x.tolist(), "dout": [[1.0, 2.0, 3.0]] * 3, "kernel": 2, "stride": 1}
    answers = {m.id: m.answer(inputs) for m in GENERATOR.misconceptions}
    right = GENERATOR.solve(inputs)
    assert right["dx_max"][3, 3] == 3.0 and right["dx_max"][1, 1] == 1.0
    assert right["dx_avg"][1, 1] == (1 + 2 + 1 + 2) / 4
    np.testing.assert_allclose(answers["pooling.max-spread-evenly"]["dx_max"], right["dx_avg"])
    np.testing.assert_allclose(answers["pooling.avg-not-divided"]["dx_avg"], 4 * right["dx_avg"])
    # no two windows of this x share a maximum: overwriting agrees with adding up here
    np.testing.assert_allclose(answers["pooling.overlap-overwrites"]["dx_max"], right["dx_max"])
    shared = np.zeros((4, 4))
    shared[1, 1] = 9.0  # the maximum of all four windows that contain it
    inputs["x"] = shared.tolist()
    inputs["x"][0][0] = 1.0  # the window at (0,0) stays a tie-free 2×2: 9 is still its maximum
    got = next(m for m in GENERATOR.misconceptions if m.id == "pooling.overlap-overwrites").answer(inputs)
    assert GENERATOR.solve(inputs)["dx_max"][1, 1] == 1 + 2 + 1 + 2
    assert got["dx_max"][1, 1] == 2.0  # the last window written, (1,1) of the output
