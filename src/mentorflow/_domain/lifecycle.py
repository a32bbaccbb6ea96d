"""Lifecycle definitions: which phases a pair goes through, in which order, under which rules.

A `Lifecycle` is plain, frozen, validated data. It says nothing about how it is run:
the engine (``mentorflow._engine``) compiles it once and every pair of every programme that uses it
shares the compiled machine.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from ..exceptions import DefinitionError, ValidationError
from .model import Deliverable, Role
from .validate import show


class Phase(enum.StrEnum):
    """The standard phases of a mentoring pair, in the default order.

    A lifecycle may also use phases of its own: any ``lower_snake_case`` name is a phase.
    """

    NEEDS_ASSESSMENT = "needs_assessment"
    MATCHING = "matching"
    STUDY_VISIT_1 = "study_visit_1"
    """Action planning (hosted by the mentee city)."""
    STUDY_VISIT_2 = "study_visit_2"
    """Consolidation of the action plan."""
    STUDY_VISIT_3 = "study_visit_3"
    """Review of the action plan."""
    TRANSFER_WORKSHOP = "transfer_workshop"
    TRAINING_ACADEMY = "training_academy"
    FINAL_REVIEW = "final_review"
    COMPLETED = "completed"
    """Not a step: where a pair is once its last phase is completed."""


class PairStatus(enum.StrEnum):
    """Where a pair stands, beside its phase."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    """Paused in its phase; ``resume`` continues where it was."""
    WITHDRAWN = "withdrawn"
    """Left the programme; terminal."""
    COMPLETED = "completed"
    """Went through every phase; terminal."""


_PHASE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED = frozenset({"completed", "withdrawn", "suspended"})


def _phase(value: object) -> str:
    """Known names become `Phase` members; other strings stay as they are."""
    if isinstance(value, str) and not isinstance(value, Phase):
        try:
            return Phase(value)
        except ValueError:
            return value
    return value  # type: ignore[return-value]  # non-strings are refused by validation


def _deliverables(value: Iterable[Deliverable | str]) -> frozenset[Deliverable]:
    try:
        return frozenset(Deliverable(item) for item in value)
    except (ValueError, TypeError) as err:
        raise DefinitionError("requires", f"must hold Deliverable values: {err}") from None


@attrs.frozen(kw_only=True)
class Step:
    """One phase of a lifecycle and its rules.

    Args:
        phase: The phase's name (a `Phase` or any ``lower_snake_case`` name).
        then: The phase that completing this one leads to. ``None`` means the next step of
            the lifecycle, or `Phase.COMPLETED` after the last step.
        visit: For a study visit phase, the visit's number; the phase can't be completed until
            that visit is recorded. Not inferred from the phase's name: ``Lifecycle.linear``
            sets it for the standard study visit phases, a hand-made ``Step`` must say it.
        requires: Deliverables that must be registered before the phase can be completed
            (``Lifecycle.linear`` sets the Action Plan and the one-stop-shop for the final review).
    """

    phase: str = attrs.field(converter=_phase)
    then: str | None = attrs.field(default=None, converter=attrs.converters.optional(_phase))
    visit: int | None = None
    requires: frozenset[Deliverable] = attrs.field(default=frozenset(), converter=_deliverables)


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value)


DEFAULT_VISIT_HOSTS: Mapping[Role, int] = MappingProxyType({Role.MENTEE: 2, Role.MENTOR: 1})


def _hosts(value: Mapping[Role, int] | Mapping[str, int] | None) -> Mapping[Role, int] | None:
    if value is None:
        return None
    out: dict[Role, int] = {}
    for role, count in dict(value).items():
        try:
            key = Role(role)
        except ValueError:
            raise DefinitionError("visit_hosts", f"{show(role)} is not a role") from None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise DefinitionError(f"visit_hosts[{key.value}]", f"{show(count)} is not a count")
        out[key] = count
    return MappingProxyType(out)


@attrs.frozen(kw_only=True)
class Lifecycle:
    """The phases of a pair, their order and their rules; validated when made.

    Args:
        steps: The phases, starting with the first. Each step's ``then`` defaults to the next
            step; every step must be reachable from the first and lead to completion.
        visit_hosts: At most how many study visits each role may host (default: the mentee
            two, the mentor one). ``None`` switches the rule off.

    Raises:
        DefinitionError: naming the step and the problem: an empty lifecycle, a bad or
            reserved phase name, a duplicate phase, a ``then`` to an unknown phase, an
            unreachable phase, no way to complete, or visits the hosts can't cover.

    Examples:
        >>> from mentorflow import Lifecycle, Phase, Step
        >>> custom = Lifecycle(steps=[Step(phase=Phase.MATCHING), Step(phase="pilot")])
        >>> custom.order
        (<Phase.MATCHING: 'matching'>, 'pilot')
    """

    steps: tuple[Step, ...] = attrs.field(converter=_steps)
    visit_hosts: Mapping[Role, int] | None = attrs.field(
        default=DEFAULT_VISIT_HOSTS, converter=_hosts, hash=False
    )
    _successor: Mapping[str, str] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _by_phase: Mapping[str, Step] = attrs.field(init=False, eq=False, repr=False, hash=False)
    _order: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        successor, by_phase = _validate(self.steps, self.visit_hosts)
        object.__setattr__(self, "_successor", successor)
        object.__setattr__(self, "_by_phase", by_phase)
        order, phase = [], self.steps[0].phase
        while phase != Phase.COMPLETED:
            order.append(phase)
            phase = successor[phase]
        object.__setattr__(self, "_order", tuple(order))

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as its definition (for callers who pickle; mentorflow sends JSON); the mapping
        # proxies that keep it read-only don't pickle, and unpickling validates it again
        hosts = None if self.visit_hosts is None else dict(self.visit_hosts)
        return (_unpickle, (self.steps, hosts))

    @classmethod
    def default(cls) -> Lifecycle:
        """The default order: needs assessment, matching, three study visits, transfer
        workshop, training academy, final review (which requires the Action Plan and the
        one-stop-shop)."""
        return _default()

    @classmethod
    def linear(
        cls, *phases: str | Step, visit_hosts: Mapping[Role, int] | None = DEFAULT_VISIT_HOSTS
    ) -> Lifecycle:
        """A lifecycle of these phases in this order, with the standard rules for the
        standard phases (study visits need a visit; the final review needs the deliverables).

        A `Step` among them keeps its own rules (``Step(phase="second_visit", visit=2)``).
        A name of your own that reads like a study visit (``"second_visit"``) is refused:
        ``linear`` knows no visit number for it, and dropping the rule silently would let a
        pair complete the visit phase without a visit.

        Raises:
            DefinitionError: naming ``phases[i]`` for a visit-like name of your own, and as
                `Lifecycle` does.

        Examples:
            >>> from mentorflow import Lifecycle, Phase
            >>> inclucities = Lifecycle.linear(
            ...     Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.STUDY_VISIT_1,
            ...     Phase.STUDY_VISIT_2, Phase.TRANSFER_WORKSHOP, Phase.STUDY_VISIT_3,
            ...     Phase.TRAINING_ACADEMY, Phase.FINAL_REVIEW)
            >>> inclucities.order.index(Phase.TRANSFER_WORKSHOP)
            4
        """
        for i, phase in enumerate(phases):
            if not isinstance(phase, str | Step):
                raise DefinitionError(
                    f"steps[{i}].phase", f"must be a phase name, not {type(phase).__name__}"
                )
        steps = [p if isinstance(p, Step) else _standard_step(p, i) for i, p in enumerate(phases)]
        return cls(steps=steps, visit_hosts=visit_hosts)

    @property
    def first(self) -> str:
        """The phase every pair starts in."""
        return self.steps[0].phase

    @property
    def order(self) -> tuple[str, ...]:
        """The phases in the order a pair goes through them."""
        return self._order

    def step(self, phase: str) -> Step:
        """The step of ``phase``.

        Raises:
            ValidationError: if the lifecycle has no such phase.
        """
        try:
            return self._by_phase[phase]
        except (KeyError, TypeError):  # TypeError: an unhashable value
            raise ValidationError(
                "phase",
                f"{show(str(phase) if isinstance(phase, str) else phase)} is not a phase of "
                "this lifecycle",
            ) from None

    def next_phase(self, phase: str) -> str:
        """The phase completing ``phase`` leads to (`Phase.COMPLETED` after the last)."""
        self.step(phase)
        return self._successor[phase]


_VISIT_NUMBERS = {Phase.STUDY_VISIT_1: 1, Phase.STUDY_VISIT_2: 2, Phase.STUDY_VISIT_3: 3}
_VISIT_WORDS = frozenset({"visit", "visits"})
_FINAL_DELIVERABLES = frozenset({Deliverable.ACTION_PLAN, Deliverable.ONE_STOP_SHOP})


def _standard_step(phase: str, index: int) -> Step:
    phase = _phase(phase)
    if (
        isinstance(phase, str)
        and phase not in _VISIT_NUMBERS
        and _VISIT_WORDS.intersection(phase.split("_"))
    ):
        raise DefinitionError(
            f"phases[{index}]",
            f"{phase!r} reads like a study visit, but linear() gives a phase of your own no "
            f"rule: pass Step(phase={phase!r}, visit=N) to require visit N before it can be "
            f"completed, or Step(phase={phase!r}) for no visit rule",
        )
    requires = _FINAL_DELIVERABLES if phase == Phase.FINAL_REVIEW else frozenset()
    return Step(phase=phase, visit=_VISIT_NUMBERS.get(phase), requires=requires)  # type: ignore[call-overload]


@functools.cache
def _default() -> Lifecycle:
    return Lifecycle.linear(*(p for p in Phase if p is not Phase.COMPLETED))


def _validate(
    steps: tuple[Step, ...], visit_hosts: Mapping[Role, int] | None
) -> tuple[dict[str, str], dict[str, Step]]:
    if not steps:
        raise DefinitionError("steps", "a lifecycle needs at least one phase")
    by_phase: dict[str, Step] = {}
    where: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, Step):
            raise DefinitionError(f"steps[{i}]", f"must be a Step, not {type(step).__name__}")
        name = step.phase
        if not isinstance(name, str) or not _PHASE_NAME.fullmatch(name):
            raise DefinitionError(
                f"steps[{i}].phase", f"{show(str(name))} is not a lower_snake_case phase name"
            )
        if name in _RESERVED:
            raise DefinitionError(
                f"steps[{i}].phase", f"{show(str(name))} is reserved for a pair status"
            )
        if name in by_phase:
            raise DefinitionError(
                f"steps[{i}].phase", f"{show(str(name))} is a duplicate of steps[{where[name]}]"
            )
        by_phase[name], where[name] = step, i

    successor: dict[str, str] = {}
    for i, step in enumerate(steps):
        then = step.then
        if then is None:
            then = steps[i + 1].phase if i + 1 < len(steps) else Phase.COMPLETED
        elif then != Phase.COMPLETED and then not in by_phase:
            raise DefinitionError(
                f"steps[{i}].then", f"{show(str(then))} is not a phase of this lifecycle"
            )
        successor[step.phase] = then

    seen: list[str] = []
    phase = steps[0].phase
    while phase != Phase.COMPLETED:
        if phase in seen:
            loop = " -> ".join([*seen[seen.index(phase) :], phase])
            raise DefinitionError("steps", f"no way to complete: the phases loop ({loop})")
        seen.append(phase)
        phase = successor[phase]
    for i, step in enumerate(steps):
        if step.phase not in seen:
            raise DefinitionError(
                f"steps[{i}].phase",
                f"{show(str(step.phase))} is unreachable from the first phase "
                f"{show(str(steps[0].phase))}",
            )

    visits: dict[int, int] = {}
    for i, step in enumerate(steps):
        if step.visit is None:
            continue
        if not isinstance(step.visit, int) or isinstance(step.visit, bool) or step.visit < 1:
            raise DefinitionError(f"steps[{i}].visit", f"{show(step.visit)} is not a visit number")
        if step.visit in visits:
            raise DefinitionError(
                f"steps[{i}].visit", f"visit {step.visit} is also steps[{visits[step.visit]}]"
            )
        visits[step.visit] = i
    if visit_hosts is not None and sum(visit_hosts.values()) < len(visits):
        raise DefinitionError(
            "visit_hosts",
            f"allows {sum(visit_hosts.values())} hosted visits but the lifecycle has "
            f"{len(visits)} study visit phases",
        )
    return successor, by_phase


def _unpickle(steps: tuple[Step, ...], hosts: Mapping[Role, int] | None) -> Lifecycle:
    return Lifecycle(steps=steps, visit_hosts=hosts)
