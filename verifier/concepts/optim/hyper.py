"""Which optimizers ``optim.steps`` covers, torch.optim's defaults for each, and reading a question's
``optimizer`` and ``hyper`` inputs into a :class:`Hyper` with every hyperparameter resolved."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, NamedTuple, get_args

from verifier._types import Inputs
from verifier.generator import as_array, as_float

OptimizerKind = Literal[
    "sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamax", "nadam"
]
KINDS: Final[tuple[OptimizerKind, ...]] = get_args(OptimizerKind)
ADAM_FAMILY: Final = frozenset({"adam", "adamax", "nadam"})
MOMENTUM_SGD: Final = frozenset({"momentum", "nesterov"})

# torch.optim's defaults (torch 2.13), per kind; a question's ``hyper`` overrides some of them.
DEFAULTS: Final[Mapping[OptimizerKind, Mapping[str, object]]] = {
    "sgd": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "momentum": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "nesterov": {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": True, "weight_decay": 0.0},
    "adagrad": {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
    "rmsprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
    },
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adamax": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "nadam": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 4e-3},
}
TORCH_CLASS: Final[Mapping[OptimizerKind, str]] = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adamax": "Adamax",
    "nadam": "NAdam",
}


class Hyper(NamedTuple):
    """A question's ``hyper`` merged with torch's defaults; fields the optimizer lacks stay unused."""

    lr: float
    momentum: float = 0.0
    dampening: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    lr_decay: float = 0.0
    initial_accumulator_value: float = 0.0
    eps: float = 1e-8
    rho: float = 0.9
    alpha: float = 0.99
    centered: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    momentum_decay: float = 4e-3


FLAGS: Final = frozenset({"nesterov", "centered"})


def _number(value: object) -> float:
    return value if type(value) is float else as_float(value)


def _override(h: Hyper, kind: OptimizerKind, hyper: Mapping[str, object]) -> Hyper:
    fields: dict[str, Any] = {}
    for name, value in hyper.items():
        if name not in DEFAULTS[kind]:
            raise ValueError(f"torch.optim.{TORCH_CLASS[kind]} takes no argument {name!r}")
        if name == "betas":
            if not isinstance(value, Sequence) or len(value) != 2:
                raise ValueError(f"betas must be a pair of numbers, got {value!r}")
            fields["beta1"], fields["beta2"] = _number(value[0]), _number(value[1])
        else:
            fields[name] = bool(value) if name in FLAGS else _number(value)
    return h._replace(**fields)


# Each kind's defaults as a Hyper, so a question only overrides what its ``hyper`` gives.
_DEFAULT_HYPER: Final[Mapping[OptimizerKind, Hyper]] = {
    kind: _override(Hyper(lr=0.0), kind, DEFAULTS[kind]) for kind in KINDS
}


def resolve_hyper(kind: OptimizerKind, hyper: Mapping[str, object]) -> Hyper:
    """Torch's defaults for ``kind`` overridden by ``hyper``; an argument the class lacks is a ValueError."""
    # Questions repeat a handful of hyperparameter sets and every misconception rereads them: memoize.
    try:
        return _resolve(kind, tuple(hyper.items()))
    except TypeError:  # an unhashable value, e.g. betas as a JSON list
        key = tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in hyper.items())
        return _resolve(kind, key)


@functools.lru_cache(maxsize=1024)
def _resolve(kind: OptimizerKind, hyper: tuple[tuple[str, object], ...]) -> Hyper:
    return _override(_DEFAULT_HYPER[kind], kind, dict(hyper))


class Problem(NamedTuple):
    """A question's inputs, read once: the optimizer, its hyperparameters (given and resolved), w0, G."""

    kind: OptimizerKind
    given: Mapping[str, object]
    h: Hyper
    w0: list[float]
    grads: list[list[float]]


_KIND_BY_NAME: Final[Mapping[object, OptimizerKind]] = {kind: kind for kind in KINDS}


def read_kind(value: object) -> OptimizerKind:
    """The optimizer name, checked against the catalog."""
    try:
        return _KIND_BY_NAME[value]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {value!r}; expected one of {', '.join(KINDS)}") from None


def read_inputs(inputs: Inputs) -> Problem:
    """Parse ``optimizer``, ``hyper``, ``w0`` and ``grads`` (fresh or back from JSON)."""
    kind = read_kind(inputs["optimizer"])
    hyper = inputs["hyper"]
    if not isinstance(hyper, Mapping):
        raise ValueError(f"hyper must map torch.optim keyword arguments to values, got {hyper!r}")
    w0: list[float] = as_array(inputs["w0"]).tolist()
    grads: list[list[float]] = as_array(inputs["grads"]).tolist()
    return Problem(kind, hyper, resolve_hyper(kind, hyper), w0, grads)
