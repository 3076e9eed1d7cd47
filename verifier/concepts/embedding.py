"""Embeddings: the parameter count of an embedding with a tied or untied output layer, and the skip-gram
negative-sampling loss for one (centre, context) pair.

Conventions:

- the model is ``nn.Embedding(V, d)`` followed by ``nn.Linear(d, V)`` (bias on, PyTorch's default).
  Untied: V·d + d·V + V parameters. Tied (``linear.weight = embedding.weight``, Press & Wolf 2017,
  https://arxiv.org/abs/1608.05859): the shared matrix counts once, V·d + V, as ``model.parameters()``
  yields a shared tensor once;
- skip-gram with negative sampling (Mikolov et al. 2013, "Distributed Representations of Words and Phrases
  and their Compositionality", NeurIPS, https://arxiv.org/abs/1310.4546, eq. 4), for centre vector v_c,
  context output vector u_o and K sampled negatives u_k, minimizes
  L = −log σ(u_oᵀ v_c) − Σ_k log σ(−u_kᵀ v_c) (natural log).
"""

from __future__ import annotations

import math

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import Known, as_array, as_int, pick
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

DIM = 2  # of the SGNS vectors
NEGATIVES = 2
VOCABS = (1000, 5000, 10_000, 30_000, 50_000)
EMBED_DIMS = (64, 128, 256, 300, 512)


def log_sigmoid(z: FloatArray) -> FloatArray:
    """log σ(z) = −log(1 + e^(−z)), computed stably."""
    result: FloatArray = -np.logaddexp(0.0, -z)
    return result


def _read(inputs: Inputs) -> Values:
    return {
        "vocab": as_int(inputs["vocab"]),
        "dim": as_int(inputs["dim"]),
        "v_c": as_array(inputs["v_c"]),
        "u_o": as_array(inputs["u_o"]),
        "u_neg": as_array(inputs["u_neg"]).reshape(NEGATIVES, DIM),
    }


GRAPH = StepGraph(
    [
        Calc(
            "embedding_params",
            lambda vocab, dim: vocab * dim,
            lambda v: (
                f"The embedding table: $V d = {v['vocab']} \\cdot {v['dim']} = {v['embedding_params']}$."
            ),
        ),
        Calc(
            "output_weight_params",
            lambda vocab, dim: dim * vocab,
            lambda v: f"The output weight (V, d): ${v['output_weight_params']}$.",
        ),
        Calc(
            "output_bias_params",
            lambda vocab: vocab,
            lambda v: f"The output bias: one per word, ${v['output_bias_params']}$.",
            hint="`nn.Linear` has a bias unless told `bias=False`.",
        ),
        Calc(
            "params_untied",
            lambda embedding_params, output_weight_params, output_bias_params: (
                embedding_params + output_weight_params + output_bias_params
            ),
            lambda v: f"Untied: $2 V d + V = {v['params_untied']}$.",
        ),
        Calc(
            "params_tied",
            lambda embedding_params, output_bias_params: embedding_params + output_bias_params,
            lambda v: f"Tied: the (V, d) matrix is shared and counts once, $V d + V = {v['params_tied']}$.",
            hint="A tensor shared by two modules is one set of parameters.",
        ),
        Calc(
            "scores",
            lambda u_o, u_neg, v_c: (float(u_o @ v_c), u_neg @ v_c),
            lambda v: (
                f"$u_o^\\top v_c = {num(v['scores'][0])}$ and the negatives' $u_k^\\top v_c = "
                f"{matrix(v['scores'][1])}$."
            ),
        ),
        Calc(
            "negative_terms",
            lambda scores: -log_sigmoid(-scores[1]),
            lambda v: f"$-\\log \\sigma(-u_k^\\top v_c) = {matrix(v['negative_terms'])}$.",
            hint="A negative word should get a low score: its term uses σ of minus the score.",
        ),
        Calc(
            "loss",
            lambda scores, negative_terms: float(-log_sigmoid(np.array(scores[0])) + negative_terms.sum()),
            lambda v: (
                f"$L = -\\log\\sigma({num(v['scores'][0])}) + {' + '.join(num(t) for t in v['negative_terms'])}"
                f" = {num(v['loss'])}$."
            ),
            hint="Use natural logarithms, and add one term per negative sample.",
        ),
    ],
    fields=("params_untied", "params_tied", "loss"),
    misconceptions=[
        WrongStep(
            id="embedding.output-bias-forgotten",
            feedback="You left out the output layer's bias: nn.Linear(d, V) adds V parameters.",
            root="output_bias_params",
            # Output layers are drawn as a bare matrix.
            wrong=lambda: 0,
        ),
        WrongStep(
            id="embedding.tying-saves-nothing",
            feedback="Tied weights are one tensor: the shared (V, d) matrix counts once, so tying saves V·d "
            "parameters.",
            root="params_tied",
            # Counting per module: the Linear still "has" a weight.
            wrong=lambda embedding_params, output_weight_params, output_bias_params: (
                embedding_params + output_weight_params + output_bias_params
            ),
        ),
        WrongStep(
            id="embedding.negatives-not-negated",
            feedback="You used log σ(u_kᵀ v_c) for the negatives; negative-sampling loss pushes their scores "
            "down with log σ(−u_kᵀ v_c).",
            root="negative_terms",
            # The positive term's form carried over to the negatives.
            wrong=lambda scores: -log_sigmoid(scores[1]),
        ),
    ],
    read=_read,
)


def _tenths(rng: np.random.Generator, shape: tuple[int, ...]) -> FloatArray:
    result: FloatArray = rng.integers(-10, 11, size=shape) / 10.0
    return result


class EmbeddingGenerator(StepGenerator):
    """``embedding.params_sgns``: embedding + output layer parameter counts, tied and untied; SGNS loss."""

    id = "embedding.params_sgns"
    topic = "practice"
    title = "Embedding parameter count (tied or untied output) and the skip-gram negative-sampling loss"
    answer_fields = {
        "params_untied": FieldSpec(dtype="int"),
        "params_tied": FieldSpec(dtype="int"),
        "loss": FieldSpec(),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        return {
            "vocab": int(pick(rng, VOCABS)),
            "dim": int(pick(rng, EMBED_DIMS)),
            "v_c": _tenths(rng, (DIM,)),
            "u_o": _tenths(rng, (DIM,)),
            "u_neg": _tenths(rng, (NEGATIVES, DIM)),
        }

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        v = _read(inputs)
        points = [float(v["u_o"] @ v["v_c"]), *(-(v["u_neg"] @ v["v_c"])).tolist()]
        return tuple(
            Known(f"\\log \\sigma({num(s)})", float(log_sigmoid(np.array(s))))
            for s in sorted({round(s, 6) for s in points})
        )

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: products of whole numbers, and log σ printed

    def acceptable(self, inputs: Inputs) -> bool:
        """The negatives' scores are clearly non-zero (at 0 the sign slip would change nothing)."""
        v = _read(inputs)
        return bool(np.abs(v["u_neg"] @ v["v_c"]).min() >= 0.2 and math.isfinite(float(v["v_c"] @ v["u_o"])))

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A language model is `nn.Embedding({v['vocab']}, {v['dim']})` followed by "
            f"`nn.Linear({v['dim']}, {v['vocab']})`. How many parameters does it have with separate "
            "weights (`params_untied`), and with the output weight tied to the embedding "
            "(`params_tied`, counted as `model.parameters()` counts them)? Separately, skip-gram with "
            f"negative sampling (Mikolov et al. 2013) has centre vector $v_c = {matrix(v['v_c'])}$, context "
            f"vector $u_o = {matrix(v['u_o'])}$ and {NEGATIVES} negatives with vectors (rows) "
            f"${matrix(v['u_neg'])}$. Give the loss "
            "$L = -\\log\\sigma(u_o^\\top v_c) - \\sum_k \\log\\sigma(-u_k^\\top v_c)$ in nats (`loss`)."
        )


register(EmbeddingGenerator())
