"""The engine: the only module that imports ``transitions``.

Design (docs/explanation/design.md has the figures):

* A `Lifecycle` is compiled once into one ``transitions.Machine`` built with
  ``model=None``, and the engine is shared by every pair of every programme that uses that
  lifecycle. Pairs are never added to the machine: ``add_model`` costs ~260 µs and ~10 KB per
  model and slows down as the machine grows. A pair is a small slotted object holding the
  name of its state, so 100,000 pairs cost no more machine than one.
* States are ``<phase>`` (active), ``suspended:<phase>``, ``withdrawn:<phase>`` and
  ``completed``. Every transition has one condition: the command's business rule (a *guard*)
  then the before hooks. A guard returns a `Refusal` and the engine raises
  `CommandRefused`; nothing changes before every guard and hook
  has passed, so a refusal leaves the pair exactly as it was.
* Commands run on a dispatch table built beside the machine from the same specification
  (trigger, source, destination, guard). A command through ``Event.trigger`` costs ~1.9x a bare
  trigger once events and hooks are added (transitions' own per-event work is most of it); the
  table leaves room for events and hooks within the budget. `Engine.execute_via_machine`
  runs the same command through the machine itself, and a differential property test checks
  that both give the same states, events and refusals for random command sequences.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, NoReturn

from transitions import Machine, MachineError

from ._clock import earlier
from ._events import (
    BenchmarksDefined,
    DeliverableRegistered,
    PairCompleted,
    PairEvent,
    PairResumed,
    PairSuspended,
    PairWithdrawn,
    PartnerReplaced,
    PhaseCompleted,
    PhaseStarted,
    VisitRecorded,
)
from ._lifecycle import Lifecycle, PairStatus, Phase, Step
from ._model import Role
from .exceptions import CommandRefused, Veto, Vetoed

if TYPE_CHECKING:
    import pendulum

    from ._pair import Pair

COMPLETE: Final = "complete"
RECORD_VISIT: Final = "record_visit"
REGISTER_DELIVERABLE: Final = "register_deliverable"
DEFINE_BENCHMARKS: Final = "define_benchmarks"
SUSPEND: Final = "suspend"
RESUME: Final = "resume"
WITHDRAW: Final = "withdraw"
REPLACE_PARTNER: Final = "replace_partner"

_COMPLETED_STATE: Final = "completed"


class Refusal:
    """Why a guard said no: a stable rule name and a sentence."""

    __slots__ = ("reason", "rule")

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason


class Command:
    """One command on its way through the engine."""

    __slots__ = ("arg", "at", "events", "name", "note", "refusal", "role")

    def __init__(
        self, name: str, at: pendulum.DateTime, note: str | None, arg: Any = None, role: Any = None
    ) -> None:
        self.name = name
        self.at = at
        self.note = note
        self.arg = arg
        self.role = role
        self.events: Sequence[PairEvent] = ()
        self.refusal: Refusal | None = None


Guard = Callable[["Pair", Command, Step], "Refusal | None"]


class Engine:
    """A lifecycle compiled once, shared by every pair that follows it.

    `execute` runs a command on the dispatch table built beside the ``transitions``
    machine (the same guards, the same destinations); `execute_via_machine` runs it
    through the machine's own ``Event.trigger``. The two must agree on every command; a
    differential property test holds them to it (``tests/test_properties.py``).
    """

    __slots__ = (
        "_events",
        "_machine",
        "_table",
        "initial_state",
        "lifecycle",
        "phase_of",
        "status_of",
    )

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.phase_of: dict[str, str] = {_COMPLETED_STATE: Phase.COMPLETED}
        self.status_of: dict[str, PairStatus] = {_COMPLETED_STATE: PairStatus.COMPLETED}
        self._table: dict[str, dict[str, list[tuple[Guard, Step, str | None]]]] = {
            name: {} for name in _GUARDS
        }
        states: list[str] = [_COMPLETED_STATE]
        spec: list[dict[str, Any]] = []

        def add(trigger: str, source: str, dest: str | None, step: Step) -> None:
            guard = _GUARDS[trigger]
            self._table[trigger].setdefault(source, []).append((guard, step, dest))
            condition = functools.partial(self._condition, guard, step)
            spec.append(
                {"trigger": trigger, "source": source, "dest": dest, "conditions": [condition]}
            )

        # transitions names Enum states by their member *name*: use plain strings as states.
        state_of = {phase: str(phase) for phase in lifecycle.order}
        for phase in lifecycle.order:
            step = lifecycle.step(phase)
            active = state_of[phase]
            suspended, withdrawn = f"suspended:{active}", f"withdrawn:{active}"
            states += [active, suspended, withdrawn]
            self.phase_of.update({active: phase, suspended: phase, withdrawn: phase})
            self.status_of.update(
                {
                    active: PairStatus.ACTIVE,
                    suspended: PairStatus.SUSPENDED,
                    withdrawn: PairStatus.WITHDRAWN,
                }
            )
            following = lifecycle.next_phase(phase)
            dest = _COMPLETED_STATE if following == Phase.COMPLETED else state_of[following]
            add(COMPLETE, active, dest, step)
            if step.visit is not None:
                add(RECORD_VISIT, active, None, step)
            add(REGISTER_DELIVERABLE, active, None, step)
            add(DEFINE_BENCHMARKS, active, None, step)
            add(SUSPEND, active, suspended, step)
            add(RESUME, suspended, active, step)
            for source in (active, suspended):
                add(WITHDRAW, source, withdrawn, step)
                add(REPLACE_PARTNER, source, None, step)

        self._machine = Machine(
            model=None,
            states=states,
            transitions=spec,
            initial=state_of[lifecycle.first],
            auto_transitions=False,
            send_event=True,
            model_attribute="_state",
        )
        self._events = dict(self._machine.events)
        self.initial_state: str = state_of[lifecycle.first]
        """The state of a newly enrolled pair."""

    @property
    def states(self) -> tuple[str, ...]:
        """Every state of the compiled machine."""
        return tuple(self._machine.states)

    def transitions(self) -> list[tuple[str, str, str | None]]:
        """``(trigger, source, dest)`` for every transition of the compiled machine."""
        return [
            (name, source, t.dest)
            for name, event in self._events.items()
            for source, options in event.transitions.items()
            for t in options
        ]

    def check(self, pair: Pair, cmd: Command) -> Refusal | None:
        """What the rules say of ``cmd`` now, without running hooks or changing anything."""
        options = self._table[cmd.name].get(pair._state)
        if options is None:
            return _not_allowed(self, pair, cmd)
        refusal = _check_time(pair, cmd)
        if refusal is not None:
            return refusal
        for guard, step, _dest in options:
            refusal = guard(pair, cmd, step)
            if refusal is None:
                return None
        return refusal

    def execute(self, pair: Pair, cmd: Command) -> Sequence[PairEvent]:
        """Run ``cmd`` on ``pair``; return the events it emitted. The pair's state is changed;
        its data is not (the caller applies the events).

        Raises:
            CommandRefused: the pair is unchanged.
        """
        options = self._table[cmd.name].get(pair._state)
        if options is None:
            self._refuse(pair, cmd, _not_allowed(self, pair, cmd))
        refusal = _check_time(pair, cmd)
        if refusal is not None:
            self._refuse(pair, cmd, refusal)
        for guard, step, dest in options:  # noqa: B007 - the matching option is used below
            refusal = guard(pair, cmd, step)
            if refusal is None:
                break
        else:
            self._refuse(pair, cmd, refusal)  # type: ignore[arg-type]
        refusal = self._admit(pair, cmd, step, dest)
        if refusal is not None:
            self._refuse(pair, cmd, refusal)
        if dest is not None:
            pair._state = dest
        return cmd.events

    def execute_via_machine(self, pair: Pair, cmd: Command) -> Sequence[PairEvent]:
        """`execute`, through ``transitions``' own ``Event.trigger`` (the reference)."""
        event = self._events.get(cmd.name)
        if event is None or pair._state not in event.transitions:
            self._refuse(pair, cmd, _not_allowed(self, pair, cmd))
        try:
            done = event.trigger(pair, command=cmd)
        except MachineError as err:  # pragma: no cover - the pre-check above rules it out
            self._refuse(pair, cmd, Refusal("not-allowed", str(err)))
        if not done:
            self._refuse(pair, cmd, cmd.refusal or Refusal("not-allowed", "no transition applies"))
        return cmd.events

    def _condition(self, guard: Guard, step: Step, event_data: Any) -> bool:
        """The condition of a machine transition: time, the rule, then the before hooks."""
        pair: Pair = event_data.model
        cmd: Command = event_data.kwargs["command"]
        refusal = _check_time(pair, cmd) or guard(pair, cmd, step)
        if refusal is not None:
            cmd.refusal = refusal
            return False
        cmd.refusal = self._admit(pair, cmd, step, event_data.transition.dest)
        return cmd.refusal is None

    def _admit(self, pair: Pair, cmd: Command, step: Step, dest: str | None) -> Refusal | None:
        """The last step before a change, the same for both executors: build the events, let
        the before hooks see (and veto) them, and journal them while nothing has changed."""
        cmd.events = _BUILDERS[cmd.name](pair, cmd, step.phase, dest and self.phase_of[dest])
        programme = pair._programme
        if programme._hooks.before_count:
            try:
                programme._run_before(cmd.events)
            except Veto as veto:
                return Refusal("vetoed", veto.reason)
        if programme._journal is not None:
            programme._journal(cmd.events)  # before the change: a failed write changes nothing
        return None

    def _refuse(self, pair: Pair, cmd: Command, refusal: Refusal) -> NoReturn:
        kind = Vetoed if refusal.rule == "vetoed" else CommandRefused
        raise kind(
            pair=pair.key,
            command=cmd.name,
            phase=self.phase_of[pair._state],
            status=self.status_of[pair._state].value,
            rule=refusal.rule,
            reason=refusal.reason,
        )


@functools.cache
def engine_for(lifecycle: Lifecycle) -> Engine:
    """The one engine of ``lifecycle``, shared by every programme that uses it."""
    return Engine(lifecycle)


# -- rules ---------------------------------------------------------------------------------


def _not_allowed(engine: Engine, pair: Pair, cmd: Command) -> Refusal:
    status = engine.status_of[pair._state]
    phase = engine.phase_of[pair._state]
    if status in (PairStatus.COMPLETED, PairStatus.WITHDRAWN):
        return Refusal("pair-closed", f"the pair has {status.value} and accepts no more commands")
    if status is PairStatus.SUSPENDED:
        return Refusal("pair-suspended", "the pair is suspended; resume it first")
    if cmd.name == RESUME:
        return Refusal("not-suspended", "the pair is not suspended")
    if cmd.name == RECORD_VISIT:
        return Refusal("not-a-visit-phase", f"'{phase}' is not a study visit phase")
    return Refusal("not-allowed", f"{cmd.name} is not possible in '{phase}'")  # pragma: no cover


def _check_time(pair: Pair, cmd: Command) -> Refusal | None:
    if earlier(cmd.at, pair._last_at):
        return Refusal(
            "timestamp-backwards",
            f"{cmd.at.isoformat()} is before the pair's last change at "
            f"{pair._last_at.isoformat()}; timestamps can't go backwards",
        )
    return None


def _ok(pair: Pair, cmd: Command, step: Step) -> Refusal | None:
    return None


def _guard_complete(pair: Pair, cmd: Command, step: Step) -> Refusal | None:
    if cmd.arg != step.phase:
        return Refusal(
            "wrong-phase", f"the pair is in '{step.phase}', not '{cmd.arg}'; complete that first"
        )
    if step.visit is not None and step.visit not in pair._visits:
        return Refusal(
            "visit-required", f"record study visit {step.visit} before completing '{step.phase}'"
        )
    missing = step.requires.difference(pair._deliverables)
    if missing:
        names = ", ".join(sorted(d.value for d in missing))
        return Refusal(
            "deliverables-required", f"register {names} before completing '{step.phase}'"
        )
    return None


def _guard_visit(pair: Pair, cmd: Command, step: Step) -> Refusal | None:
    visit = cmd.arg
    if visit.number != step.visit:
        return Refusal(
            "wrong-visit", f"'{step.phase}' holds visit {step.visit}, not visit {visit.number}"
        )
    if visit.number in pair._visits:
        return Refusal("visit-already-recorded", f"visit {visit.number} is already recorded")
    if visit.ends_on > cmd.at.date():
        return Refusal(
            "visit-not-held",
            f"the visit ends on {visit.ends_on.isoformat()}, after the command's date "
            f"{cmd.at.date().isoformat()}; record a visit once it has been held",
        )
    limits = pair._programme.lifecycle.visit_hosts
    if limits is not None:
        hosted = sum(1 for v in pair._visits.values() if v.host is visit.host)
        allowed = limits.get(visit.host, 0)
        if hosted + 1 > allowed:
            return Refusal(
                "visit-hosts",
                f"the {visit.host.value} may host {allowed} of the study visits and has "
                f"hosted {hosted}; this visit must be hosted by the {visit.host.other.value}",
            )
    return None


def _guard_replace(pair: Pair, cmd: Command, step: Step) -> Refusal | None:
    role: Role = cmd.role
    new = cmd.arg
    if new.city == pair.partner(role).city:
        return Refusal("same-partner", f"{new.city.name} is already the {role.value}")
    if new.city == pair.partner(role.other).city:
        return Refusal("partner-is-other-side", f"{new.city.name} is the pair's {role.other.value}")
    return None


_GUARDS: dict[str, Guard] = {
    COMPLETE: _guard_complete,
    RECORD_VISIT: _guard_visit,
    REGISTER_DELIVERABLE: _ok,
    DEFINE_BENCHMARKS: _ok,
    SUSPEND: _ok,
    RESUME: _ok,
    WITHDRAW: _ok,
    REPLACE_PARTNER: _guard_replace,
}


# -- events --------------------------------------------------------------------------------

Builder = Callable[["Pair", Command, str, "str | None"], Sequence[PairEvent]]


def _build_complete(pair: Pair, cmd: Command, phase: str, dest: str | None) -> Sequence[PairEvent]:
    seq, key, at, note = pair._programme._seq, pair.key, cmd.at, cmd.note
    done = PhaseCompleted(seq=seq + 1, pair=key, at=at, note=note, phase=phase)
    if dest == Phase.COMPLETED:
        return (done, PairCompleted(seq=seq + 2, pair=key, at=at, note=note))
    return (done, PhaseStarted(seq=seq + 2, pair=key, at=at, note=note, phase=dest or phase))


Fields = Callable[["Pair", Command], dict[str, Any]]


def _no_fields(pair: Pair, cmd: Command) -> dict[str, Any]:
    return {}


def _one(kind: type[PairEvent], fields: Fields = _no_fields) -> Builder:
    """A builder of one ``kind`` event about the current phase, with ``fields`` of its own."""

    def build(pair: Pair, cmd: Command, phase: str, dest: str | None) -> Sequence[PairEvent]:
        seq = pair._programme._seq + 1
        own = fields(pair, cmd)
        return (kind(seq=seq, pair=pair.key, at=cmd.at, note=cmd.note, phase=phase, **own),)  # type: ignore[call-arg]

    return build


_BUILDERS: dict[str, Builder] = {
    COMPLETE: _build_complete,
    RECORD_VISIT: _one(VisitRecorded, lambda pair, cmd: {"visit": cmd.arg}),
    REGISTER_DELIVERABLE: _one(
        DeliverableRegistered,
        lambda pair, cmd: {"deliverable": cmd.arg[0], "reference": cmd.arg[1]},
    ),
    DEFINE_BENCHMARKS: _one(BenchmarksDefined, lambda pair, cmd: {"benchmarks": cmd.arg}),
    SUSPEND: _one(PairSuspended),
    RESUME: _one(PairResumed),
    WITHDRAW: _one(PairWithdrawn),
    REPLACE_PARTNER: _one(
        PartnerReplaced,
        lambda pair, cmd: {
            "role": cmd.role,
            "previous": pair.partner(cmd.role),
            "replacement": cmd.arg,
        },
    ),
}
