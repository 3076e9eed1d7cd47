"""A question as a small graph of named steps: the one declaration everything else reads.

Each step is a pure function of the question's (read) inputs and of earlier steps, named by its parameters:
``Calc("var", lambda x, mean: ((x - mean) ** 2).mean(axis=0), ...)`` reads the input ``x`` and the step
``mean``. Some steps are answer fields. From the declaration come ``solve`` (evaluate, keep the fields),
the worked solution (every step's explanation with the variant's numbers), hints, error-carried-forward
grading (evaluate again with the candidate's own fields in place of the right ones, see
:mod:`verifier.grading.carried`) and misconceptions: a :class:`WrongStep` replaces one step's function and
every later step is recomputed, so the wrong belief's math exists once and its whole answer follows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from verifier._types import Answer, Inputs

Values = dict[str, Any]  # the read inputs and the value of each step evaluated so far
StepFunction = Callable[..., Any]  # parameters named after inputs or earlier steps
Text = Callable[[Values], str]  # markdown from every value of the worked solution
# (step function, id of each argument) -> (the arguments, kept alive so that no id is reused; the value)
Memo = dict[tuple[Any, ...], tuple[list[Any], Any]]


class Unavailable:
    """The value of a step that could not be computed from a candidate's values (a division by their zero)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE = Unavailable()


def _params(function: StepFunction) -> tuple[str, ...]:
    return tuple(inspect.signature(function).parameters)


@dataclass(frozen=True, slots=True)
class Calc:
    """One step: its name, its function, a one-line explanation template and an optional hint.

    ``explain`` renders the step with the variant's numbers from all values of the solution; ``hint``
    (text, or a template of the inputs) nudges towards the step without giving its value.
    """

    name: str
    compute: StepFunction
    explain: Text
    hint: str | Text | None = None
    params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _params(self.compute))


@dataclass(frozen=True, slots=True)
class WrongStep:
    """A misconception: a wrong version of one step (its ``root``), everything after it recomputed.

    ``wrong`` has the parameters of any step (inputs and earlier steps by name) and returns the wrong
    belief's value of ``root``; ``feedback`` names the belief. ``applies`` limits it to the questions where
    it means something (a derivative misconception to its activation). The graph sets ``graph``.
    """

    id: str
    feedback: str
    root: str
    wrong: StepFunction
    applies: Callable[[Inputs], bool] | None = None
    params: tuple[str, ...] = field(init=False)
    graph: StepGraph | None = field(init=False, default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", _params(self.wrong))

    def applies_to(self, inputs: Inputs) -> bool:
        """Whether this wrong computation is defined for these inputs."""
        return self.applies is None or self.applies(inputs)

    def answer(self, inputs: Inputs) -> Answer:
        """The whole wrong answer: the wrong step with every later step recomputed from it."""
        if self.graph is None:
            raise RuntimeError(f"misconception {self.id} is not part of a step graph")
        return self.graph.fields_of(self.graph.evaluate(self.graph.read(inputs), override=self)[1])


def _call(function: StepFunction, args: list[Any]) -> Any:
    """A step on a candidate's values: UNAVAILABLE when it reads an unavailable value or fails."""
    for arg in args:
        if arg is UNAVAILABLE:
            return UNAVAILABLE
    try:
        return function(*args)
    except Exception:  # noqa: BLE001 - a candidate's values may break any step
        return UNAVAILABLE


class StepGraph:
    """The steps of one generator, in order, with its answer fields and misconceptions.

    ``read`` turns stored inputs (JSON lists) into the values the step functions take.
    """

    def __init__(
        self,
        steps: Sequence[Calc],
        *,
        fields: Sequence[str],
        misconceptions: Sequence[WrongStep] = (),
        read: Callable[[Inputs], Values] | None = None,
    ) -> None:
        self.steps = tuple(steps)
        self.fields = tuple(fields)
        self.misconceptions = tuple(misconceptions)
        self.read: Callable[[Inputs], Values] = read or dict
        self.index = {step.name: position for position, step in enumerate(self.steps)}
        self._plans: dict[tuple[str | None, tuple[str, ...], tuple[str, ...]], tuple[Calc, ...]] = {}
        if len(self.index) != len(self.steps):
            raise ValueError("duplicate step names")
        field_set = set(self.fields)
        if not field_set <= set(self.index):
            raise ValueError(f"answer fields without a step: {sorted(field_set - set(self.index))}")
        for position, step in enumerate(self.steps):
            for param in step.params:
                if param in self.index and self.index[param] >= position:
                    raise ValueError(f"step {step.name!r} reads {param!r}, which comes later")
        # The fields in the order of the worked solution: carried-forward grading reads them in it.
        self.ordered_fields = tuple(step.name for step in self.steps if step.name in field_set)
        self.witnesses: dict[str, tuple[str, ...]] = {}
        for misconception in self.misconceptions:
            if misconception.root not in self.index:
                raise ValueError(f"{misconception.id}: no step {misconception.root!r}")
            object.__setattr__(misconception, "graph", self)
            self.witnesses[misconception.id] = self._witnesses(misconception.root)

    def _reaches(self, name: str, root: str) -> bool:
        """Whether step ``name`` reads ``root`` directly or through steps that are not answer fields."""
        for param in self.steps[self.index[name]].params:
            if param == root:
                return True
            if param in self.index and param not in self.fields and self._reaches(param, root):
                return True
        return False

    def _witnesses(self, root: str) -> tuple[str, ...]:
        """The answer fields that show a candidate's value at ``root``.

        The root itself when it is a field; otherwise the fields computed from it through intermediate
        steps only (a field read from another field shows the candidate's value of that one instead).
        """
        if root in self.fields:
            return (root,)
        return tuple(name for name in self.ordered_fields if self._reaches(name, root))

    def evaluate(
        self,
        base: Mapping[str, Any],
        *,
        given: Mapping[str, Any] | None = None,
        override: WrongStep | None = None,
        start: Values | None = None,
        changed: Iterable[str] = (),
        safe: bool = False,
        memo: Memo | None = None,
    ) -> tuple[Values, Values]:
        """(each step's computed value, the values later steps read).

        ``given`` replaces the value later steps read for the steps it names (a candidate's fields);
        ``override`` computes its root with the wrong function. ``start``, the values later steps read in an
        evaluation of the same inputs without an override and with the same ``given`` except at the names in
        ``changed``, recomputes only the steps whose value can differ from it: the override's root and every
        step that reads a value that differs (a given value reads the same whatever is computed before it).
        ``computed`` then holds those steps alone. ``safe`` (candidate values): a step that fails or reads an
        unavailable value is :data:`UNAVAILABLE` instead of raising; callers hold
        ``np.errstate(all="ignore")`` around it so that NumPy does not warn about a candidate's zero.
        ``memo``, shared by several evaluations of one question, hands back a step's earlier value when its
        function is called again with the very same argument objects (step functions are pure).
        """
        values: Values
        steps: tuple[Calc, ...]
        if start is None:
            values, steps = dict(base), self.steps
        else:
            changed = tuple(changed)
            values = dict(start)
            if changed and given is not None:
                values.update(given)
            steps = self._plan(None if override is None else override.root, changed, tuple(given or ()))
        computed: Values = {}
        self._walk(steps, values, computed, given, override, safe=safe, memo=memo)
        return computed, values

    def recomputed(
        self, *, override: WrongStep | None = None, changed: Iterable[str] = (), given: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """The names of the steps an evaluation from ``start`` recomputes (see :meth:`evaluate`)."""
        root = None if override is None else override.root
        return tuple(step.name for step in self._plan(root, tuple(changed), tuple(given)))

    def _plan(self, root: str | None, changed: tuple[str, ...], given: tuple[str, ...]) -> tuple[Calc, ...]:
        """The steps an evaluation from ``start`` recomputes (see :meth:`evaluate`), worked out once per
        key: tuples, cheaper to build on every evaluation than sets (an order of the same names is one
        more key with the same plan)."""
        key = (root, changed, given)
        plan = self._plans.get(key)
        if plan is None:
            differs = set(changed)
            steps = []
            for step in self.steps:
                if step.name == root or not differs.isdisjoint(step.params):
                    steps.append(step)
                    if step.name not in given:
                        differs.add(step.name)
            plan = self._plans[key] = tuple(steps)
        return plan

    def _walk(
        self,
        steps: Sequence[Calc],
        values: Values,
        computed: Values,
        given: Mapping[str, Any] | None,
        override: WrongStep | None,
        *,
        safe: bool,
        memo: Memo | None,
    ) -> None:
        root = override.root if override is not None else None
        read = values.__getitem__
        given = given or None
        for step in steps:
            name = step.name
            if name == root:
                function, params = override.wrong, override.params  # type: ignore[union-attr]
            else:
                function, params = step.compute, step.params
            args = [*map(read, params)]
            value: Any
            if memo is None:
                value = _call(function, args) if safe else function(*args)
            else:
                key = (function, *map(id, args))
                known = memo.get(key)
                if known is not None:
                    value = known[1]
                else:
                    value = _call(function, args) if safe else function(*args)
                    if value is not UNAVAILABLE:
                        memo[key] = (args, value)  # the arguments are kept alive: their ids stay theirs
            computed[name] = value
            values[name] = given[name] if given is not None and name in given else value

    def misconception(self, misconception_id: str) -> WrongStep:
        """The misconception with this id (a KeyError names an unknown one)."""
        for misconception in self.misconceptions:
            if misconception.id == misconception_id:
                return misconception
        raise KeyError(misconception_id)

    def fields_of(self, values: Mapping[str, Any]) -> Answer:
        """The answer fields of an evaluation."""
        return {name: values[name] for name in self.fields}

    def render(self, text: str | Text, values: Values) -> str:
        """A hint or explanation template filled in."""
        return text if isinstance(text, str) else text(values)
