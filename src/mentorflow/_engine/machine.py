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
* The engine *decides*, it does not act: from a pair's `PairState` and a command it
  returns the events the command would emit and the state it leads to, or raises
  `CommandRefused`. Hooks, the journal, applying and recording belong to the transaction
  (``mentorflow._core.transaction``).
* Commands run on a dispatch table built beside the machine from the same specification
  (command type, source, destination, guard). A command through ``Event.trigger`` costs ~1.5x a bare
  trigger once events and hooks are added (transitions' own per-event work is most of it); the
  table leaves room for events and hooks within the budget. `Engine.decide_via_machine`
  decides the same command through the machine itself (on a probe model: the pair is not
  touched), and a differential property test checks
  that both give the same states, events and refusals for random command sequences.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final, NoReturn

import attrs
import pendulum
from transitions import Machine, MachineError

from .._domain import commands as c
from .._domain.clock import earlier
from .._domain.events import (
    BenchmarksDefined,
    DeliverableRegistered,
    PairEvent,
    PairResumed,
    PairSuspended,
    PairWithdrawn,
    PartnerReplaced,
    VisitRecorded,
    make_pair_completed,
    make_phase_completed,
    make_phase_started,
)
from .._domain.lifecycle import Lifecycle, PairStatus, Phase, Step
from .._domain.pair_state import PairState
from .._domain.values import maker
from ..exceptions import CommandRefused

NAMES: Final[dict[type[c.PairCommand], str]] = {
    c.Complete: "complete",
    c.RecordVisit: "record_visit",
    c.RegisterDeliverable: "register_deliverable",
    c.DefineBenchmarks: "define_benchmarks",
    c.Suspend: "suspend",
    c.Resume: "resume",
    c.Withdraw: "withdraw",
    c.ReplacePartner: "replace_partner",
}
"""The name of each pair command, as refusals and the machine's triggers spell it."""

_COMPLETED_STATE: Final = "completed"

Events = tuple[PairEvent, ...]
Decision = tuple[Events, "str | None"]
"""What the engine decided: the events, and the state they lead to (None: unchanged)."""


class Refusal:
    """Why a guard said no: a stable rule name and a sentence."""

    __slots__ = ("reason", "rule")

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason


Guard = Callable[[PairState, Any, "pendulum.DateTime", Step, Lifecycle], "Refusal | None"]


class _Probe:
    """The model ``transitions`` moves in `Engine.decide_via_machine`: never the pair itself."""

    __slots__ = ("_state", "decision", "refusal")

    def __init__(self, state: str) -> None:
        self._state = state
        self.refusal: Refusal | None = None
        self.decision: Events = ()


class Engine:
    """A lifecycle compiled once, shared by every pair that follows it.

    `decide` runs a command on the dispatch table built beside the ``transitions``
    machine (the same guards, the same destinations); `decide_via_machine` runs it
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
        self._table: dict[type[c.PairCommand], dict[str, list[tuple[Guard, Step, str | None]]]] = {
            kind: {} for kind in NAMES
        }
        states: list[str] = [_COMPLETED_STATE]
        spec: list[dict[str, Any]] = []

        def add(kind: type[c.PairCommand], source: str, dest: str | None, step: Step) -> None:
            guard = _GUARDS[kind]
            self._table[kind].setdefault(source, []).append((guard, step, dest))
            condition = functools.partial(self._condition, guard, step)
            spec.append(
                {"trigger": NAMES[kind], "source": source, "dest": dest, "conditions": [condition]}
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
            add(c.Complete, active, dest, step)
            if step.visit is not None:
                add(c.RecordVisit, active, None, step)
            add(c.RegisterDeliverable, active, None, step)
            add(c.DefineBenchmarks, active, None, step)
            add(c.Suspend, active, suspended, step)
            add(c.Resume, suspended, active, step)
            for source in (active, suspended):
                add(c.Withdraw, source, withdrawn, step)
                add(c.ReplacePartner, source, None, step)

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

    def check(self, pair: PairState, cmd: c.PairCommand, at: pendulum.DateTime) -> Refusal | None:
        """What the rules say of ``cmd`` at ``at``, without deciding or changing anything."""
        options = self._table[type(cmd)].get(pair.state)
        if options is None:
            return _not_allowed(self, pair, cmd)
        refusal = _check_time(pair, at)
        if refusal is not None:
            return refusal
        for guard, step, _dest in options:
            refusal = guard(pair, cmd, at, step, self.lifecycle)
            if refusal is None:
                return None
        return refusal

    def decide(
        self, pair: PairState, cmd: c.PairCommand, at: pendulum.DateTime, seq: int
    ) -> Decision:
        """The events ``cmd`` emits on ``pair`` at ``at`` (numbered from ``seq + 1``) and the
        state it leads to. Nothing changes: the transaction applies the decision.

        Raises:
            CommandRefused: naming the rule that refused it.
        """
        options = self._table[type(cmd)].get(pair.state)
        if options is None:
            self.refuse(pair, cmd, _not_allowed(self, pair, cmd))
        last = pair.last_at
        # the usual case, tested inline: same zone and fold, not before (else `earlier`)
        if at.tzinfo is not last.tzinfo or at.fold != last.fold or at < last:
            refusal = _check_time(pair, at)
            if refusal is not None:
                self.refuse(pair, cmd, refusal)
        lifecycle = self.lifecycle
        for guard, step, dest in options:  # noqa: B007 - the matching option is used below
            refusal = guard(pair, cmd, at, step, lifecycle)
            if refusal is None:
                break
        else:
            self.refuse(pair, cmd, refusal)  # type: ignore[arg-type]  # the loop ran at least once
        events = _BUILDERS[type(cmd)](pair, cmd, at, seq, step.phase, dest and self.phase_of[dest])
        return events, dest

    def decide_via_machine(
        self, pair: PairState, cmd: c.PairCommand, at: pendulum.DateTime, seq: int
    ) -> Decision:
        """`decide`, through ``transitions``' own ``Event.trigger`` (the reference), on a probe
        model that starts in the pair's state."""
        event = self._events.get(NAMES[type(cmd)])
        if event is None or pair.state not in event.transitions:
            self.refuse(pair, cmd, _not_allowed(self, pair, cmd))
        probe = _Probe(pair.state)
        try:
            done = event.trigger(probe, command=cmd, pair=pair, at=at, seq=seq)
        except MachineError as err:  # pragma: no cover - the pre-check above rules it out
            self.refuse(pair, cmd, Refusal("not-allowed", str(err)))
        if not done:
            self.refuse(pair, cmd, probe.refusal or Refusal("not-allowed", "no transition applies"))
        return probe.decision, (None if probe._state == pair.state else probe._state)

    def _condition(self, guard: Guard, step: Step, event_data: Any) -> bool:
        """The condition of a machine transition: time, then the rule; on success, the events."""
        probe: _Probe = event_data.model
        kwargs = event_data.kwargs
        pair: PairState = kwargs["pair"]
        cmd: c.PairCommand = kwargs["command"]
        at = kwargs["at"]
        refusal = _check_time(pair, at) or guard(pair, cmd, at, step, self.lifecycle)
        if refusal is not None:
            probe.refusal = refusal
            return False
        dest = event_data.transition.dest
        probe.decision = _BUILDERS[type(cmd)](
            pair, cmd, at, kwargs["seq"], step.phase, dest and self.phase_of[dest]
        )
        return True

    def refuse(
        self,
        pair: PairState,
        cmd: c.PairCommand,
        refusal: Refusal,
        kind: type[CommandRefused] = CommandRefused,
    ) -> NoReturn:
        """Raise ``kind`` (`CommandRefused` or a subclass) for ``cmd`` on ``pair``."""
        raise kind(
            pair=pair.key,
            command=NAMES[type(cmd)],
            phase=self.phase_of[pair.state],
            status=self.status_of[pair.state].value,
            rule=refusal.rule,
            reason=refusal.reason,
        )


@functools.lru_cache(maxsize=64)
def engine_for(lifecycle: Lifecycle) -> Engine:
    """The one engine of ``lifecycle``, shared by every programme that uses it (the 64 most
    recently used lifecycles are kept; an engine is a compiled machine, ~100 KB)."""
    return Engine(lifecycle)


# -- rules ---------------------------------------------------------------------------------


def _not_allowed(engine: Engine, pair: PairState, cmd: c.PairCommand) -> Refusal:
    status = engine.status_of[pair.state]
    phase = engine.phase_of[pair.state]
    if status in (PairStatus.COMPLETED, PairStatus.WITHDRAWN):
        return Refusal("pair-closed", f"the pair has {status.value} and accepts no more commands")
    if status is PairStatus.SUSPENDED:
        return Refusal("pair-suspended", "the pair is suspended; resume it first")
    if isinstance(cmd, c.Resume):
        return Refusal("not-suspended", "the pair is not suspended")
    if isinstance(cmd, c.RecordVisit):
        return Refusal("not-a-visit-phase", f"'{phase}' is not a study visit phase")
    name = NAMES[type(cmd)]
    return Refusal("not-allowed", f"{name} is not possible in '{phase}'")  # pragma: no cover


def _check_time(pair: PairState, at: pendulum.DateTime) -> Refusal | None:
    if earlier(at, pair.last_at):
        behind = pair.last_at.timestamp() - at.timestamp()
        return Refusal(
            "timestamp-backwards",
            f"{at.isoformat()} is {_duration(behind)} before the pair's last change at "
            f"{pair.last_at.isoformat()}; timestamps can't go backwards (beyond the "
            "programme's clock tolerance)",
        )
    return None


def _duration(seconds: float) -> str:
    """``0.2 s``, ``3 h 5 min``, ``2 days 4 h``: how far behind, in words."""
    if seconds < 60:
        return f"{seconds:g} s"
    minutes, hours, days = int(seconds // 60) % 60, int(seconds // 3600) % 24, int(seconds // 86400)
    parts = [f"{days} days" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(p for p in parts if p and p != "0 min")


def _ok(
    pair: PairState, cmd: Any, at: pendulum.DateTime, step: Step, lifecycle: Lifecycle
) -> Refusal | None:
    return None


def _guard_complete(
    pair: PairState, cmd: c.Complete, at: pendulum.DateTime, step: Step, lifecycle: Lifecycle
) -> Refusal | None:
    if cmd.phase != step.phase:
        return Refusal(
            "wrong-phase", f"the pair is in '{step.phase}', not '{cmd.phase}'; complete that first"
        )
    if step.visit is not None and step.visit not in pair.visits:
        return Refusal(
            "visit-required", f"record study visit {step.visit} before completing '{step.phase}'"
        )
    missing = step.requires.difference(pair.deliverables)
    if missing:
        names = ", ".join(sorted(d.value for d in missing))
        return Refusal(
            "deliverables-required", f"register {names} before completing '{step.phase}'"
        )
    return None


def _guard_visit(
    pair: PairState, cmd: c.RecordVisit, at: pendulum.DateTime, step: Step, lifecycle: Lifecycle
) -> Refusal | None:
    visit = cmd.visit
    if visit.number != step.visit:
        return Refusal(
            "wrong-visit", f"'{step.phase}' holds visit {step.visit}, not visit {visit.number}"
        )
    if visit.number in pair.visits:
        return Refusal("visit-already-recorded", f"visit {visit.number} is already recorded")
    if visit.ends_on > at.date():
        return Refusal(
            "visit-not-held",
            f"the visit ends on {visit.ends_on.isoformat()}, after the command's date "
            f"{at.date().isoformat()}; record a visit once it has been held",
        )
    limits = lifecycle.visit_hosts
    if limits is not None:
        hosted = sum(1 for v in pair.visits.values() if v.host is visit.host)
        allowed = limits.get(visit.host, 0)
        if hosted + 1 > allowed:
            return Refusal(
                "visit-hosts",
                f"the {visit.host.value} may host {allowed} of the study visits and has "
                f"hosted {hosted}; this visit must be hosted by the {visit.host.other.value}",
            )
    return None


def _guard_replace(
    pair: PairState, cmd: c.ReplacePartner, at: pendulum.DateTime, step: Step, lifecycle: Lifecycle
) -> Refusal | None:
    role, new = cmd.role, cmd.partner
    if new.city == pair.partner(role).city:
        return Refusal("same-partner", f"{new.city.name} is already the {role.value}")
    if new.city == pair.partner(role.other).city:
        return Refusal("partner-is-other-side", f"{new.city.name} is the pair's {role.other.value}")
    return None


_GUARDS: dict[type[c.PairCommand], Guard] = {
    c.Complete: _guard_complete,
    c.RecordVisit: _guard_visit,
    c.RegisterDeliverable: _ok,
    c.DefineBenchmarks: _ok,
    c.Suspend: _ok,
    c.Resume: _ok,
    c.Withdraw: _ok,
    c.ReplacePartner: _guard_replace,
}


# -- events --------------------------------------------------------------------------------

Builder = Callable[[PairState, Any, "pendulum.DateTime", int, str, "str | None"], Events]


def _build_complete(
    pair: PairState, cmd: c.Complete, at: pendulum.DateTime, seq: int, phase: str, dest: str | None
) -> Events:
    key, note = cmd.pair, cmd.note  # the pair's key (the command is addressed to it)
    done = make_phase_completed(seq + 1, at, note, key, phase)
    if dest == Phase.COMPLETED:
        return (done, make_pair_completed(seq + 2, at, note, key))
    return (done, make_phase_started(seq + 2, at, note, key, dest or phase))


Fields = Callable[[PairState, Any], tuple[Any, ...]]


def _no_fields(pair: PairState, cmd: Any) -> tuple[Any, ...]:
    return ()


def _one(kind: type[PairEvent], fields: Fields = _no_fields) -> Builder:
    """A builder of one ``kind`` event about the current phase, with ``fields`` of its own
    (the values of the fields ``kind`` adds after ``phase``, in order)."""
    make = maker(kind)
    own = [f.name for f in attrs.fields(kind)][5:]  # after seq, at, note, pair, phase

    def build(
        pair: PairState, cmd: Any, at: pendulum.DateTime, seq: int, phase: str, dest: str | None
    ) -> Events:
        return (make(seq + 1, at, cmd.note, cmd.pair, phase, *fields(pair, cmd)),)

    build.__doc__ = f"{kind.__name__}(..., phase, {', '.join(own)})"
    return build


_BUILDERS: dict[type[c.PairCommand], Builder] = {
    c.Complete: _build_complete,
    c.RecordVisit: _one(VisitRecorded, lambda pair, cmd: (cmd.visit,)),
    c.RegisterDeliverable: _one(
        DeliverableRegistered, lambda pair, cmd: (cmd.deliverable, cmd.reference)
    ),
    c.DefineBenchmarks: _one(BenchmarksDefined, lambda pair, cmd: (cmd.benchmarks,)),
    c.Suspend: _one(PairSuspended),
    c.Resume: _one(PairResumed),
    c.Withdraw: _one(PairWithdrawn),
    c.ReplacePartner: _one(
        PartnerReplaced,
        lambda pair, cmd: (cmd.role, pair.partner(cmd.role), cmd.partner),
    ),
}
