"""First-order optimizers stepped exactly as ``torch.optim`` steps them, from given gradients.

Convention: each optimizer is the ``torch.optim`` class with the question's keyword arguments and
PyTorch's defaults for everything else (``weight_decay=0``, ``maximize=False``, no AMSGrad); the
gradient at every step is given, not recomputed from the weights. "momentum" and "nesterov" are
``SGD(momentum=β)`` and ``SGD(momentum=β, nesterov=True)``. The formulas follow torch 2.x's
single-tensor paths line by line (Adamax puts ``eps`` inside the max with ``|g|``, Adagrad adds ``eps``
after the square root, Adadelta inside both square roots, NAdam uses the ``momentum_decay`` schedule
μ_t = β₁(1 − ½·0.96^{tψ}) and the running product of the μ's).

Two forms of the same rules: the reference steps, one coordinate and one step at a time
(:mod:`.sgd`, :mod:`.adaptive`, :mod:`.adam`, run by :mod:`.reference`) that the oracle tests check
against ``torch.optim`` for every option; and the question's step graph (:mod:`.graph`), whole
trajectories per step, from which the answer, the worked solution, the hints, the grading and the 14
misconceptions come (the tests check it against both). Papers: Polyak 1964 (momentum), Sutskever et al.
2013 (Nesterov), Duchi et al. 2011 (Adagrad), Zeiler 2012 (Adadelta), Hinton's lecture 6e (RMSprop),
Kingma & Ba 2015 (Adam, Adamax), Dozat 2016 (NAdam).
"""

from verifier.concepts.optim.adam import (
    AdamaxState,
    AdamState,
    NadamState,
    adam_step,
    adamax_step,
    nadam_mu,
    nadam_step,
)
from verifier.concepts.optim.adaptive import (
    AdadeltaState,
    AdagradState,
    RmspropState,
    adadelta_step,
    adagrad_step,
    rmsprop_step,
)
from verifier.concepts.optim.generator import OptimizerStepsGenerator
from verifier.concepts.optim.graph import GRAPH
from verifier.concepts.optim.hyper import (
    ADAM_FAMILY,
    DEFAULTS,
    KINDS,
    MOMENTUM_SGD,
    TORCH_CLASS,
    Hyper,
    OptimizerKind,
    Problem,
    read_inputs,
    read_kind,
    resolve_hyper,
)
from verifier.concepts.optim.reference import Optimizer, Rule, optimize, rule_for
from verifier.concepts.optim.sgd import SgdState, sgd_step

__all__ = [
    "ADAM_FAMILY",
    "DEFAULTS",
    "GRAPH",
    "KINDS",
    "MOMENTUM_SGD",
    "TORCH_CLASS",
    "AdadeltaState",
    "AdagradState",
    "AdamState",
    "AdamaxState",
    "Hyper",
    "NadamState",
    "Optimizer",
    "OptimizerKind",
    "OptimizerStepsGenerator",
    "Problem",
    "RmspropState",
    "Rule",
    "SgdState",
    "adadelta_step",
    "adagrad_step",
    "adam_step",
    "adamax_step",
    "nadam_mu",
    "nadam_step",
    "optimize",
    "read_inputs",
    "read_kind",
    "resolve_hyper",
    "rmsprop_step",
    "rule_for",
    "sgd_step",
]
