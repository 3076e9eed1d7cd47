"""Activation functions and their derivatives, softmax with cross-entropy, and maxout units.

Conventions are PyTorch's: Leaky ReLU's ``alpha`` is ``negative_slope`` (default 0.01), ELU's ``alpha``
defaults to 1, hard tanh clips to [-1, 1], softplus has beta = 1, and GELU is the exact form
``z * Phi(z)`` with the normal CDF written through ``erf`` (``approximate="none"``). Derivatives are never
asked at a kink (ReLU, Leaky ReLU and ELU at 0, hard tanh at ±1). Softmax cross-entropy takes a one-hot
target, ``L = -sum(y * log softmax(z))``, whose gradient with respect to the logits is ``p - y``. A maxout
unit outputs the largest of ``k`` affine pieces, ``h_j = max_k (x @ W[k] + b[k])_j``, so a layer has
``k * (i * o + o)`` parameters. Sources: DLB 6.3; Hendrycks & Gimpel 2016 (GELU,
https://arxiv.org/abs/1606.08415); Clevert et al. 2015 (ELU, https://arxiv.org/abs/1511.07289);
Goodfellow et al. 2013 (maxout, https://arxiv.org/abs/1302.4389).
"""

from verifier.concepts.activations import derivative as _derivative  # noqa: F401  (registers)
from verifier.concepts.activations import maxout as _maxout  # noqa: F401  (registers)
from verifier.concepts.activations import softmax_ce as _softmax_ce  # noqa: F401  (registers)
from verifier.concepts.activations.beliefs import *  # noqa: F403
from verifier.concepts.activations.functions import *  # noqa: F403
from verifier.concepts.activations.maxout import *  # noqa: F403
from verifier.concepts.activations.softmax_ce import *  # noqa: F403
