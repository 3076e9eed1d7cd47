"""Golden digests: the same seeds give the same questions and the same grades, to nine digits.

Speed work on the step-graph framework (issue 11, "Speed") must not change a single generated question or
verdict. For every step-graph generator this pins a digest of seeds 0..4 (both modes: inputs and prompt)
and of the grades of the rounded right answer, a nudged one and each applicable misconception's answer
(verdict, score, named misconception, feedback, each field's status, credit and error).

After an intended change to a generator, regenerate its entry with
``python -c "from tests.verifier.test_golden import digests; import json; print(json.dumps(digests(), indent=1))"``
and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import verifier
from verifier.grading.carried import rounded
from verifier.step_generator import StepGenerator

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden_step_graphs.json")
SEEDS = range(5)
PINNED: dict[str, str] = json.loads(GOLDEN.read_text())


# Below this a float is rounding noise: the error of a right answer, 0.0 on one machine and 4.4e-16 on
# another (a difference of two equal values computed in another order).
NOISE = 1e-12


def _portable(value: Any) -> Any:
    """``value`` with every float cut to 9 significant digits, and rounding noise to 0.

    NumPy picks its exp/tanh/log kernels by CPU (AVX2, AVX-512, ...) and OpenBLAS its dot and norm
    kernels (another summation order), so a computed float can differ in its last bit from one machine
    to the next; nine digits keep every difference a person could see and drop the ones the hardware
    makes, except in a difference of nearly equal values, which is all noise.
    """
    if isinstance(value, float):
        return 0.0 if abs(value) < NOISE else float(f"{value:.9g}")
    if isinstance(value, dict):
        return {key: _portable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(item) for item in value]
    return value


def _grade_record(generator: StepGenerator, inputs: dict[str, Any], submission: object) -> list[Any]:
    grade = generator.grade(inputs, submission)
    fields = [
        [name, result.correct, result.status, result.credit, result.error, result.expected]
        for name, result in grade.fields.items()
    ]
    return [
        grade.correct,
        grade.score,
        grade.misconception,
        grade.feedback,
        grade.first_departure,
        fields,
    ]


def _nudged(answer: dict[str, Any], generator: StepGenerator, seed: int) -> dict[str, Any]:
    submission = verifier.to_jsonable(answer)
    assert isinstance(submission, dict)
    name = list(generator.answer_fields)[seed % len(generator.answer_fields)]
    array = np.array(submission[name], dtype=np.float64)
    flat = array.reshape(-1)
    flat[0] += 1 if generator.answer_fields[name].dtype == "int" else 0.05 * abs(flat[0]) + 0.05
    submission[name] = array.tolist() if array.ndim else float(array)
    return submission


def digest(generator: StepGenerator) -> str:
    """A digest of the generator's questions and grades for seeds 0..4."""
    record: list[Any] = []
    for seed in SEEDS:
        for calculator in (True, False):
            question = generator.generate(seed, calculator=calculator)
            inputs: dict[str, Any] = json.loads(json.dumps(question.inputs_json()))
            record.append([seed, calculator, inputs, question.prompt])
            answer = generator.solve(inputs)
            record.append(_grade_record(generator, inputs, rounded(answer, generator.answer_fields)))
            record.append(_grade_record(generator, inputs, _nudged(answer, generator, seed)))
            for misconception in generator.misconceptions:
                if misconception.applies_to(inputs):
                    wrong = misconception.answer(inputs)
                    record.append(
                        [misconception.id, _grade_record(generator, inputs, verifier.to_jsonable(wrong))]
                    )
                    record.append(_grade_record(generator, inputs, rounded(wrong, generator.answer_fields)))
    text = json.dumps(_portable(record), sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


def digests() -> dict[str, str]:
    """The current digest of every step-graph generator (to regenerate the golden file)."""
    return {g.id: digest(g) for g in verifier.generators() if isinstance(g, StepGenerator)}


@pytest.mark.parametrize("generator_id", sorted(PINNED))
def test_same_seeds_same_questions_and_grades(generator_id: str) -> None:
    generator = verifier.get(generator_id)
    assert isinstance(generator, StepGenerator)
    assert digest(generator) == PINNED[generator_id]


def test_digests_do_not_depend_on_the_cpu_kernels() -> None:
    """The same digests in a fresh process with NumPy's baseline kernels only (no AVX2, no AVX-512) and
    OpenBLAS's oldest x86-64 kernel set: a golden file pinned on one machine holds on the next."""
    script = "import json; from tests.verifier.test_golden import digests; print(json.dumps(digests()))"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(_dispatched_features())}
    if platform.machine() in {"x86_64", "AMD64"}:
        env["OPENBLAS_CORETYPE"] = "Nehalem"
    elsewhere = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(elsewhere.stdout) == digests()


def _dispatched_features() -> list[str]:
    """The CPU features NumPy dispatches to on this machine beyond its baseline build."""
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [feature for feature in __cpu_dispatch__ if __cpu_features__.get(feature)]
