"""Backpropagation through a one-hidden-layer MLP, and checking a gradient with centered differences.

The network is ``z1 = W1 x + b1``, ``a1 = f(z1)``, ``z2 = W2 a1 + b2`` for one example, with weights stored
as (out, in) like ``nn.Linear``. Two losses: squared error ``½‖z2 − y‖²`` with a linear output, or softmax
cross-entropy ``−Σ y log softmax(z2)`` with a one-hot ``y``; both give the output error ``δ2 = z2 − y``
resp. ``p − y``. Backward (Nielsen's BP1-BP4): ``dW2 = δ2 a1ᵀ``, ``db2 = δ2``,
``δ1 = (W2ᵀ δ2) ⊙ f'(z1)``, ``dW1 = δ1 xᵀ``, ``db1 = δ1``; every gradient has its parameter's shape.

A gradient check compares an analytic gradient with the centered difference by their relative error
(:mod:`.checking`). Sources: Nielsen, *Neural Networks and Deep Learning* ch. 2,
http://neuralnetworksanddeeplearning.com/chap2.html; DLB 6.5; CS231n "Gradient checks".

Modules: :mod:`.network` (the MLP's step functions), :mod:`.mlp` (its step graph and misconceptions),
:mod:`.checking` (the gradient check's graph), and a generator module beside each graph. Gradients are
graded to 1 % with an absolute floor of 0.001: small gradient entries are products of several factors
below 1, which a hand computation rounds.
"""

from verifier.concepts.backprop import gradcheck_generator as _gradcheck_generator  # noqa: F401 (registers)
from verifier.concepts.backprop import mlp_generator as _mlp_generator  # noqa: F401 (registers)
from verifier.concepts.backprop.checking import (
    GRADCHECK_KINDS,
    GradCheck,
    GradcheckKind,
    gradient_check,
    misconception_abs_error_not_relative,
    misconception_forward_difference,
    misconception_step_not_doubled,
    quadratic_gradient,
    quadratic_loss,
    tiny_net_gradient,
    tiny_net_loss,
)
from verifier.concepts.backprop.gradcheck_generator import (
    MIN_BUG_ERROR,
    MIN_GRADIENT,
    N_WEIGHTS,
    STEP_CHOICES,
    GradcheckGenerator,
)
from verifier.concepts.backprop.mlp import (
    misconception_derivative_at_output,
    misconception_missing_activation_derivative,
    misconception_outer_product_reversed,
    misconception_output_error_without_y,
    misconception_untransposed_weights,
    mlp_forward,
    mlp_loss_and_grads,
)
from verifier.concepts.backprop.mlp_generator import MLPGenerator
from verifier.concepts.backprop.network import (
    ATOL,
    HIDDEN_ACTIVATIONS,
    KINK_MARGIN,
    LOSSES,
    RTOL,
    HiddenActivation,
    LossName,
    MLPCache,
    MLPGrads,
    MLPParams,
)

__all__ = [
    "ATOL",
    "GRADCHECK_KINDS",
    "HIDDEN_ACTIVATIONS",
    "KINK_MARGIN",
    "LOSSES",
    "MIN_BUG_ERROR",
    "MIN_GRADIENT",
    "N_WEIGHTS",
    "RTOL",
    "STEP_CHOICES",
    "GradCheck",
    "GradcheckGenerator",
    "GradcheckKind",
    "HiddenActivation",
    "LossName",
    "MLPCache",
    "MLPGenerator",
    "MLPGrads",
    "MLPParams",
    "gradient_check",
    "misconception_abs_error_not_relative",
    "misconception_derivative_at_output",
    "misconception_forward_difference",
    "misconception_missing_activation_derivative",
    "misconception_outer_product_reversed",
    "misconception_output_error_without_y",
    "misconception_step_not_doubled",
    "misconception_untransposed_weights",
    "mlp_forward",
    "mlp_loss_and_grads",
    "quadratic_gradient",
    "quadratic_loss",
    "tiny_net_gradient",
    "tiny_net_loss",
]
