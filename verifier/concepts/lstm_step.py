"""One LSTM time step by hand on a 2-unit cell, as ``torch.nn.LSTMCell`` computes it.

Convention (PyTorch's ``nn.LSTM``/``nn.LSTMCell`` docs): the weights stack the four gates in the order
input, forget, cell (candidate), output — ``weight_ih`` is (4H, input) and ``weight_hh`` (4H, H) with rows
``i | f | g | o`` — and there are two bias vectors, ``b_ih`` and ``b_hh``, both added:

    z = W_ih x + b_ih + W_hh h + b_hh,   i, f, o = σ(z_i), σ(z_f), σ(z_o),   g = tanh(z_g)
    c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')

Hochreiter & Schmidhuber 1997 (the forget gate from Gers et al. 2000); DLB 10.10.1;
https://pytorch.org/docs/stable/generated/torch.nn.LSTMCell.html. Here the input has one feature (x is a
number) so that the 8 pre-activations can be worked by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from verifier._types import FloatArray, Inputs, InputValue
from verifier.generator import Known, as_array, as_float, pick, signed_tenths
from verifier.grading import FieldSpec
from verifier.latex import matrix, num
from verifier.registry import register
from verifier.step_generator import StepGenerator
from verifier.steps import Calc, StepGraph, Values, WrongStep

HIDDEN = 2
GATES = ("i", "f", "g", "o")  # PyTorch's order of the row blocks of weight_ih and weight_hh
WRONG_ORDER = ("i", "f", "o", "g")  # the order of several tutorials (and of some fused kernels)
WEIGHT_TENTHS = 10  # weights in tenths, |w| ≤ 1
STATE_TENTHS = 9
CELL_LOW_TENTHS = 10  # |c| ≥ 1
BIAS_TENTHS = 5
X_CHOICES = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)


def sigmoid(z: FloatArray) -> FloatArray:
    """The logistic function 1 / (1 + e^(−z))."""
    result: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return result


def pre_activations(
    x: float, h: FloatArray, w_ih: FloatArray, w_hh: FloatArray, b_ih: FloatArray, b_hh: FloatArray
) -> FloatArray:
    """z = W_ih x + b_ih + W_hh h + b_hh, the (4H,) pre-activations of the four gates."""
    result: FloatArray = w_ih[:, 0] * x + b_ih + w_hh @ h + b_hh
    return result


def chunks(z: FloatArray, order: tuple[str, ...] = GATES) -> dict[str, FloatArray]:
    """The pre-activation of each gate, reading the row blocks of z in ``order``."""
    return {gate: z[k * HIDDEN : (k + 1) * HIDDEN] for k, gate in enumerate(order)}


def _read(inputs: Inputs) -> Values:
    return {
        "x": as_float(inputs["x"]),
        "h": as_array(inputs["h"]),
        "c": as_array(inputs["c"]),
        "w_ih": as_array(inputs["w_ih"]).reshape(4 * HIDDEN, 1),
        "w_hh": as_array(inputs["w_hh"]).reshape(4 * HIDDEN, HIDDEN),
        "b_ih": as_array(inputs["b_ih"]),
        "b_hh": as_array(inputs["b_hh"]),
    }


def _gate_text(gate: str, squash: str) -> Callable[[Values], str]:
    def text(v: Values) -> str:
        return f"${gate} = \\{squash}(z_{gate}) = \\{squash}({matrix(v['z'][gate])}) = {matrix(v[gate])}$."

    return text


GRAPH = StepGraph(
    [
        Calc(
            "pre",
            pre_activations,
            lambda v: (
                f"All eight pre-activations at once: $z = W_{{ih}} x + b_{{ih}} + W_{{hh}} h + b_{{hh}} = "
                f"{matrix(v['pre'])}$."
            ),
            hint="Both biases are added: $b_{ih}$ and $b_{hh}$.",
        ),
        Calc(
            "z",
            lambda pre: chunks(pre),
            lambda v: (
                "PyTorch's rows come in the order i, f, g, o: "
                + ", ".join(f"$z_{gate} = {matrix(v['z'][gate])}$" for gate in GATES)
                + "."
            ),
            hint="The row blocks of `weight_ih` and `weight_hh` are the gates in the order i, f, g, o.",
        ),
        Calc("i", lambda z: sigmoid(z["i"]), _gate_text("i", "sigma")),
        Calc("f", lambda z: sigmoid(z["f"]), _gate_text("f", "sigma")),
        Calc(
            "g",
            lambda z: np.tanh(z["g"]),
            _gate_text("g", "tanh"),
            hint="The candidate g is squashed by tanh; the three gates i, f, o by the sigmoid.",
        ),
        Calc("o", lambda z: sigmoid(z["o"]), _gate_text("o", "sigma")),
        Calc(
            "c_new",
            lambda f, c, i, g: f * c + i * g,
            lambda v: (
                f"$c' = f \\odot c + i \\odot g = {matrix(v['f'])} \\odot {matrix(v['c'])} + "
                f"{matrix(v['i'])} \\odot {matrix(v['g'])} = {matrix(v['c_new'])}$."
            ),
            hint="The forget gate scales the old cell; the input gate scales the candidate.",
        ),
        Calc(
            "h_new",
            lambda o, c_new: o * np.tanh(c_new),
            lambda v: (
                f"$h' = o \\odot \\tanh(c') = {matrix(v['o'])} \\odot {matrix(np.tanh(v['c_new']))} = "
                f"{matrix(v['h_new'])}$."
            ),
            hint="The new cell state passes through tanh before the output gate.",
        ),
    ],
    fields=("i", "f", "g", "o", "c_new", "h_new"),
    misconceptions=[
        WrongStep(
            id="rnn.lstm-gate-order-ifog",
            feedback="You read the gates in the order i, f, o, g; PyTorch stacks them as i, f, g, o.",
            root="z",
            # Many write-ups (and some fused kernels) list the output gate before the candidate.
            wrong=lambda pre: chunks(pre, WRONG_ORDER),
        ),
        WrongStep(
            id="rnn.lstm-one-bias",
            feedback="You added only b_ih; PyTorch's LSTM has two bias vectors, b_ih and b_hh, and adds both.",
            root="pre",
            # The textbook LSTM has one bias per gate; PyTorch keeps cuDNN's two.
            wrong=lambda x, h, w_ih, w_hh, b_ih: w_ih[:, 0] * x + b_ih + w_hh @ h,
        ),
        WrongStep(
            id="rnn.lstm-cell-without-forget",
            feedback="You added the old cell state unscaled; the forget gate multiplies it: c' = f⊙c + i⊙g.",
            root="c_new",
            # The original 1997 LSTM had no forget gate (a constant error carousel).
            wrong=lambda c, i, g: c + i * g,
        ),
        WrongStep(
            id="rnn.lstm-hidden-without-tanh",
            feedback="You multiplied the output gate by c' itself; the hidden state is o ⊙ tanh(c').",
            root="h_new",
            # Forgetting the second tanh, which keeps h in (−1, 1).
            wrong=lambda o, c_new: o * c_new,
        ),
    ],
    read=_read,
)


def lstm_step(inputs: Inputs) -> Values:
    """Every value of one LSTM step (gates, c', h') for a question's inputs."""
    return GRAPH.evaluate(GRAPH.read(inputs))[1]


class LstmStepGenerator(StepGenerator):
    """``rnn.lstm_step``: one ``nn.LSTMCell`` step on a 2-unit cell: the gates, c' and h'."""

    id = "rnn.lstm_step"
    topic = "practice"
    title = "One LSTM time step by hand: gates, cell state, hidden state"
    answer_fields = {
        "i": FieldSpec(shape=(HIDDEN,)),
        "f": FieldSpec(shape=(HIDDEN,)),
        "g": FieldSpec(shape=(HIDDEN,)),
        "o": FieldSpec(shape=(HIDDEN,)),
        "c_new": FieldSpec(shape=(HIDDEN,)),
        "h_new": FieldSpec(shape=(HIDDEN,)),
    }
    graph = GRAPH

    def sample(self, rng: np.random.Generator) -> dict[str, InputValue]:
        """Tenths, drawn so that c' is rarely near 0 in both units, where tanh(c') ≈ c' and the output's
        tanh could not be seen (a tenth of all draws used to be redrawn for it): the old cell is at least
        1 in size, and in the first unit it has the sign of the candidate's pre-activation, so f⊙c and
        i⊙g add up there instead of cancelling. Biases are nonzero (a second bias near 0 was redrawn);
        the weights, and the biases, are drawn in one call each: a draw's cost is mostly per call."""
        weights = signed_tenths(rng, (4 * HIDDEN, 1 + HIDDEN), WEIGHT_TENTHS)  # [W_ih | W_hh]
        biases = signed_tenths(rng, (2, 4 * HIDDEN), BIAS_TENTHS, low=1)  # b_ih, b_hh
        x = pick(rng, X_CHOICES)
        h = signed_tenths(rng, (HIDDEN,), STATE_TENTHS)
        c = signed_tenths(rng, (HIDDEN,), 2 * STATE_TENTHS, low=CELL_LOW_TENTHS)
        w_ih, w_hh = weights[:, :1], weights[:, 1:]
        candidate = chunks(pre_activations(x, h, w_ih, w_hh, biases[0], biases[1]))["g"]
        c[0] = math.copysign(c[0], candidate[0])
        return {"x": x, "h": h, "c": c, "w_ih": w_ih, "w_hh": w_hh, "b_ih": biases[0], "b_hh": biases[1]}

    def may_use(self, inputs: Inputs) -> tuple[Known, ...]:
        """σ of the i, f, o pre-activations, tanh of g's, and tanh of c′ (labelled to 4 decimals)."""
        v = _read(inputs)
        z = chunks(pre_activations(v["x"], v["h"], v["w_ih"], v["w_hh"], v["b_ih"], v["b_hh"]))
        gates = sorted({round(value, 6) for gate in ("i", "f", "o") for value in z[gate].tolist()})
        known = [Known(f"\\sigma({num(value)})", float(sigmoid(np.array(value)))) for value in gates]
        known += [Known(f"\\tanh({num(value)})", math.tanh(value)) for value in sorted(set(z["g"].tolist()))]
        c_new = self.solve(inputs)["c_new"]
        cells = sorted(set(np.asarray(c_new, dtype=np.float64).tolist()))
        known += [Known(f"\\tanh({num(value)})", math.tanh(value)) for value in cells]
        return tuple(known)

    def needs_calculator(self, inputs: Inputs, *, calculator: bool) -> bool:  # noqa: ARG002
        return calculator  # whiteboard mode: sums of products of tenths, σ and tanh printed

    def acceptable(self, inputs: Inputs) -> bool:
        """The second bias is not nearly zero, and the old cell is not near 0 (else the forget gate hides)."""
        v = _read(inputs)
        return bool(np.abs(v["b_hh"]).sum() >= 1.0 and np.abs(v["c"]).min() >= 0.5)

    def prompt(self, inputs: Inputs) -> str:
        v = _read(inputs)
        return (
            f"A `nn.LSTMCell(input_size=1, hidden_size=2)` gets the input $x = {num(v['x'])}$ with state "
            f"$h = {matrix(v['h'])}$, $c = {matrix(v['c'])}$. Its parameters (PyTorch's layout: row blocks "
            f"i, f, g, o of two rows each) are $W_{{ih}}^\\top = {matrix(v['w_ih'].T)}$, "
            f"$W_{{hh}} = {matrix(v['w_hh'])}$, $b_{{ih}} = {matrix(v['b_ih'])}$, "
            f"$b_{{hh}} = {matrix(v['b_hh'])}$. Give the input gate `i`, forget gate `f`, candidate `g`, "
            "output gate `o`, the new cell state `c_new` and the new hidden state `h_new` "
            "(each a 2-vector)."
        )


register(LstmStepGenerator())
