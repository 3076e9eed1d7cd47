"""Batch normalization: training-mode forward and backward, running and population statistics.

Training mode normalizes each feature with the mini-batch mean and the **biased** batch variance (divide by
m), then scales and shifts: ``y = gamma * x_hat + beta``. Inference uses fixed statistics instead, either
PyTorch's running estimate (``running = (1 - momentum) * running + momentum * batch``, started from mean 0
and variance 1, with the **unbiased** batch variance) or the population estimate of the paper (mean of the
batch means; ``m/(m-1)`` times the mean of the biased batch variances). This is what ``nn.BatchNorm1d``
computes. Source: Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167 (Alg. 1 and 2); DLB 8.7.1.

Answers are graded to 1 % relative with an absolute floor of 0.001: normalized outputs and gradients mix
terms that nearly cancel, so a person rounding intermediate values by hand is off by about that much near
zero.
"""

from verifier.concepts.batchnorm import backward as _backward  # noqa: F401  (registers)
from verifier.concepts.batchnorm import forward as _forward  # noqa: F401  (registers)
from verifier.concepts.batchnorm import stats as _stats  # noqa: F401  (registers)
from verifier.concepts.batchnorm.backward import (  # noqa: F401
    _backward_inputs,
    misconception_dx_ignores_mean_path,
    misconception_dx_ignores_variance_path,
    misconception_stats_treated_as_constants,
)
from verifier.concepts.batchnorm.forward import *  # noqa: F403
from verifier.concepts.batchnorm.functions import *  # noqa: F403
from verifier.concepts.batchnorm.inputs import _forward_inputs  # noqa: F401
from verifier.concepts.batchnorm.stats import (  # noqa: F401
    misconception_biased_population_variance,
    misconception_biased_running_variance,
    misconception_correction_by_batch_count,
    misconception_momentum_swapped,
    misconception_pooled_variance,
    misconception_running_var_starts_at_zero,
)
