"""Migrating a running programme to a new version of its definition: the plan, and the change.

`decide` changes nothing. It checks the `Migrate` command (bad input is a `DefinitionError`
naming the pair and the phase), then works out, pair by pair, where each pair is and where it
will be, which phases it will have skipped, which of its deadlines move and by how much, and
what the new rules refuse. The result is a `MigrationPlan` (what `Programme.plan_migration`
returns) and, beside it, what committing it takes: the events, each pair's new state, the
engine and the deadline book of the new definition. `Runtime.migrate` commits it, unless the
plan refuses it (`MigrationRefused`).

A phase is *changed* for the pairs in it when the new lifecycle drops it, or changes which
phases come before it (a phase added or moved before it, or one before it dropped): whether
such a pair did the phases now before it is for a person to say, so it needs a mapping (to
the same phase: it stays, and the phases before it that it never completed are *skipped*).
A withdrawn pair needs one only if its phase is dropped; a completed pair never does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import pendulum

from .._codec.serialize import fingerprint
from .._domain import commands as c
from .._domain.changes import changes
from .._domain.clock import earlier
from .._domain.deadlines import Offset, extend
from .._domain.definition import Definition
from .._domain.events import (
    DefinitionMigrated,
    Event,
    PairCompleted,
    PairEvent,
    PairMigrated,
    PhaseCompleted,
    PhaseStarted,
)
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.lifecycle import Lifecycle, PairStatus, Phase
from .._domain.pair_state import PairState
from .._engine.machine import Engine, engine_for
from ..exceptions import DefinitionError
from .book import Deadline, DeadlineBook

_FIXED = ("name", "starts_on", "timezone")
"""What a migration can't change: the programme's identity, and the zone its events are in."""


@attrs.frozen(kw_only=True)
class DeadlineMove:
    """How a migration changes one deadline."""

    name: str
    """The phase or milestone."""
    pair: str | None
    """The pair, for a phase deadline; None for a programme milestone."""
    before: pendulum.Date | None
    """Its date before (None: pending, or no such deadline)."""
    after: pendulum.Date | None
    """Its date after (None: pending, or no such deadline any more)."""
    change: str
    """``"moved"``, ``"added"``, ``"removed"`` or ``"skipped"`` (no longer watched: the pair
    moved past the phase without completing it)."""

    @property
    def days(self) -> int | None:
        """By how many days a moved deadline moves (negative: earlier); None if it was or
        becomes pending, or for any other change."""
        if self.change != "moved" or self.before is None or self.after is None:
            return None
        return self.after.toordinal() - self.before.toordinal()

    def __str__(self) -> str:
        before = _day(self.before)
        after = _day(self.after)
        if self.change == "added":
            return f"{self.name}: added, due {after}"
        if self.change == "removed":
            return f"{self.name}: removed (was due {before})"
        if self.change == "skipped":
            return f"{self.name}: skipped, no longer watched (due {after})"
        days = self.days
        by = "" if days is None else f" ({days:+d} day{'' if abs(days) == 1 else 's'})"
        return f"{self.name}: {before} -> {after}{by}"


@attrs.frozen(kw_only=True)
class PairPlan:
    """What a migration does to one pair."""

    pair: str
    status: PairStatus
    """Its status (a migration keeps it)."""
    phase: str
    """Where it is now."""
    to: str
    """Where it will be (``phase`` if it stays; ``completed`` for a completed pair)."""
    mapped: bool
    """Whether the mapping applies to it (its phase is changed, or mapped all the same)."""
    skipped: tuple[str, ...]
    """For a mapped pair, the phases before ``to`` in the new order it never completed."""
    deadlines: tuple[DeadlineMove, ...]
    """Its deadlines that move, appear, go or stop being watched."""
    refusals: tuple[str, ...]
    """Why the new rules refuse to put it there (empty: they don't)."""

    @property
    def moves(self) -> bool:
        """Whether it changes phase."""
        return self.phase != self.to

    def __str__(self) -> str:
        now = f"{self.phase} ({self.status.value})"
        then = f"{self.to}" if self.moves else f"{self.to} (stays)"
        lines = [f"{self.pair}: {now} -> {then}"]
        if self.skipped:
            lines.append(f"  skips {', '.join(self.skipped)}")
        lines += [f"  deadline {move}" for move in self.deadlines]
        lines += [f"  refused: {why}" for why in self.refusals]
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class MigrationPlan:
    """What migrating a programme to a new definition does, pair by pair, before it is done.

    `Programme.plan_migration` makes one and changes nothing; `Programme.migrate` makes the
    same one and carries it out, unless it refuses (`MigrationRefused` carries it then).
    ``print(plan)`` shows it all.
    """

    programme: str
    at: pendulum.DateTime
    previous_version: int
    version: int
    fingerprints: tuple[str, str]
    """The fingerprints of the definition before and after."""
    changes: tuple[str, ...]
    """What differs between the two definitions, one line each."""
    phases: Mapping[str, str]
    """The mapping given: old phase -> new phase."""
    pairs: tuple[PairPlan, ...]
    milestones: tuple[DeadlineMove, ...]
    """The programme's milestones whose deadlines move, appear or go."""
    programme_refusals: tuple[str, ...] = ()
    """Refusals that concern no pair (an extension request still waiting for an answer on
    a phase deadline the new definition drops)."""

    @property
    def refusals(self) -> tuple[str, ...]:
        """Every reason the migration is refused, the pairs' first."""
        return (
            *(f"{p.pair}: {why}" for p in self.pairs for why in p.refusals),
            *self.programme_refusals,
        )

    @property
    def ok(self) -> bool:
        """Whether the migration can be carried out (nothing refuses it)."""
        return not self.refusals

    def pair(self, key: str) -> PairPlan:
        """The plan of pair ``key``.

        Raises:
            KeyError: no such pair.
        """
        for plan in self.pairs:
            if plan.pair == key:
                return plan
        raise KeyError(key)

    def __str__(self) -> str:
        lines = [
            f"Migration of {self.programme!r} to definition version {self.version} on "
            f"{self.at.date().isoformat()}",
            f"  fingerprint {self.fingerprints[0]} -> {self.fingerprints[1]}",
            "Changes:",
            *(f"  {line}" for line in self.changes or ("none",)),
            "Pairs:",
            *(f"  {line}" for plan in self.pairs for line in str(plan).splitlines()),
        ]
        if not self.pairs:
            lines.append("  none")
        lines.append("Milestones:")
        lines += [f"  deadline {move}" for move in self.milestones] or ["  no deadline moves"]
        refusals = self.refusals
        lines.append("Refused:" if refusals else "Refused: nothing")
        lines += [f"  {why}" for why in refusals]
        return "\n".join(lines)


@attrs.frozen(kw_only=True)
class Decision:
    """A migration decided: its plan, and what committing it takes."""

    plan: MigrationPlan
    definition: Definition
    events: tuple[Event, ...]
    pairs: Mapping[str, tuple[tuple[PairEvent, ...], str]]
    """For each pair it moves: its events and its new engine state."""
    engine: Engine
    book: DeadlineBook | None
    ends_on: pendulum.Date
    """The programme's end under the new definition, with the extensions granted."""


def decide(
    command: c.Migrate,
    at: pendulum.DateTime,
    *,
    definition: Definition,
    engine: Engine,
    states: Mapping[str, PairState],
    book: DeadlineBook | None,
    extensions: Sequence[Extension],
    granted: dict[tuple[str | None, str | None], list[Offset]],
    ends_on: pendulum.Date,
    seq: int,
) -> Decision:
    """Decide ``command`` at ``at`` on the programme made of these parts; nothing changes.

    Raises:
        DefinitionError: bad input, naming the field and, where a pair is concerned, the pair
            and its phase: a definition that changes the name, start or timezone or doesn't
            raise the version; a programme already over at ``at``; a mapping from or to a
            phase that doesn't exist; a pair in a changed phase with no mapping; a move dated
            before the pair's last change.
    """
    new = command.definition
    _check_definition(definition, new)
    if at.date() > ends_on:
        raise DefinitionError(
            "at",
            f"{at.date().isoformat()} is after the programme's end ({ends_on.isoformat()}): "
            "a finished programme can't be migrated",
        )
    old_lc, new_lc = definition.lifecycle, new.lifecycle
    mapping = command.phases
    _check_mapping(mapping, old_lc, new_lc, states, engine)
    new_engine = engine_for(new_lc)
    version = new.version

    events: list[Event] = [
        DefinitionMigrated(
            seq=seq + 1,
            at=at,
            note=command.note,
            definition=new,
            phases=mapping,
            previous_version=definition.version,
        )
    ]
    placed = [_place(state, engine, old_lc, new_lc, mapping) for state in states.values()]
    moved: dict[str, tuple[tuple[PairEvent, ...], str]] = {}
    for place in placed:
        if not place.mapped:
            continue
        state = place.state
        if earlier(at, state.last_at):
            raise DefinitionError(
                "at",
                f"{at.isoformat()} is before pair {state.key!r}'s last change at "
                f"{state.last_at.isoformat()}, in {str(place.phase)!r}: a migration can't be "
                "dated before the changes it follows",
            )
        pair_events = _pair_events(place, at, seq + len(events), command.note, version)
        events.extend(pair_events)
        moved[state.key] = (pair_events, place.dest)

    new_end = extend(new.ends_on, granted.get((None, None), ()), new.calendar(new.regions))
    new_book = None
    if not new.schedule.empty:
        new_book = DeadlineBook.migrated(
            book,
            new.schedule,
            regions=new.regions,
            timezone=pendulum.timezone(new.timezone),
            starts_on=new.starts_on,
            ends_on=new_end,
            granted=granted,
            histories={
                key: [*state.history, *moved.get(key, ((), ""))[0]] for key, state in states.items()
            },
            at=at,
            version=version,
            closures=new.closures,
        )
    pairs = tuple(
        PairPlan(
            pair=place.state.key,
            status=place.status,
            phase=place.phase,
            to=place.to,
            mapped=place.mapped,
            skipped=place.skipped,
            deadlines=_moves(book, new_book, place.state.key),
            refusals=place.refusals,
        )
        for place in placed
    )
    plan = MigrationPlan(
        programme=definition.name,
        at=at,
        previous_version=definition.version,
        version=version,
        fingerprints=(fingerprint(definition), fingerprint(new)),
        changes=changes(definition, new),
        phases=mapping,
        pairs=pairs,
        milestones=_moves(book, new_book, None),
        programme_refusals=_open_extensions(extensions, new_book),
    )
    return Decision(
        plan=plan,
        definition=new,
        events=tuple(events),
        pairs=moved,
        engine=new_engine,
        book=new_book,
        ends_on=new_end,
    )


@attrs.frozen
class _Place:
    """Where a pair is, and where a migration puts it."""

    state: PairState
    status: PairStatus
    phase: str
    to: str
    mapped: bool = False
    skipped: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        """The engine's state the pair will be in."""
        if self.to == Phase.COMPLETED:
            return "completed"
        prefix = {PairStatus.SUSPENDED: "suspended:", PairStatus.WITHDRAWN: "withdrawn:"}
        return f"{prefix.get(self.status, '')}{self.to}"


def _place(
    state: PairState, engine: Engine, old: Lifecycle, new: Lifecycle, mapping: Mapping[str, str]
) -> _Place:
    """Where ``state``'s pair goes under ``new``, and what the new rules say against it.

    Raises:
        DefinitionError: the pair is in a changed phase that ``mapping`` doesn't map.
    """
    status, phase = engine.status_of[state.state], engine.phase_of[state.state]
    if status is PairStatus.COMPLETED:
        return _Place(state=state, status=status, phase=phase, to=phase)
    # a withdrawn pair is moved only if its phase is gone: it goes through no phase again
    applies = status is not PairStatus.WITHDRAWN or phase not in new.order
    why = _changed(old, new, phase)
    if applies and why is not None and phase not in mapping:
        raise DefinitionError(
            "phases",
            f"pair {state.key!r} is in {str(phase)!r}, which the new definition {why}: say "
            f"where its pairs go, phases={{{str(phase)!r}: <a phase of the new lifecycle>}} "
            f"({str(phase)!r} to stay there)",
        )
    if not applies or phase not in mapping:
        return _Place(state=state, status=status, phase=phase, to=phase)
    to = mapping[phase]
    done = _completed(state)
    before = new.order if to == Phase.COMPLETED else new.order[: new.order.index(to)]
    skipped = tuple(p for p in before if p not in done)
    if status is not PairStatus.WITHDRAWN:
        refusals = _refusals(state, to, done, skipped, new)
    elif to == Phase.COMPLETED:
        refusals = [
            f"it withdrew in {str(phase)!r}: a withdrawn pair can't be completed; map "
            f"{str(phase)!r} to a phase of the new lifecycle (not-completable)"
        ]
    else:
        refusals = []
    return _Place(
        state=state,
        status=status,
        phase=phase,
        to=to,
        mapped=True,
        skipped=skipped,
        refusals=tuple(refusals),
    )


def _pair_events(
    place: _Place, at: pendulum.DateTime, seq: int, note: str | None, version: int
) -> tuple[PairEvent, ...]:
    """A moved pair's events, numbered from ``seq + 1``: `PairMigrated`, then the start of
    its new phase (or its completion; nothing more for a withdrawn pair)."""
    key, phase, to = place.state.key, place.phase, place.to
    migrated = PairMigrated(
        seq=seq + 1,
        pair=key,
        at=at,
        note=note,
        phase=phase,
        to=to,
        skipped=place.skipped,
        version=version,
    )
    if to == Phase.COMPLETED:
        return (migrated, PairCompleted(seq=seq + 2, pair=key, at=at, note=note))
    if to != phase and place.status is not PairStatus.WITHDRAWN:
        return (migrated, PhaseStarted(seq=seq + 2, pair=key, at=at, note=note, phase=to))
    return (migrated,)


def _check_definition(old: Definition, new: Definition) -> None:
    for field in _FIXED:
        if getattr(old, field) != getattr(new, field):
            raise DefinitionError(
                f"definition.{field}",
                f"a migration can't change the programme's {field} "
                f"({getattr(old, field)} -> {getattr(new, field)}): the log is the same "
                "programme's, its events in its timezone",
            )
    if new.version <= old.version:
        raise DefinitionError(
            "definition.version",
            f"the programme runs version {old.version}: give the new definition a higher one "
            f"(version={old.version + 1}), so the log says which rules were in force when",
        )


def _check_mapping(
    mapping: Mapping[str, str],
    old: Lifecycle,
    new: Lifecycle,
    states: Mapping[str, PairState],
    engine: Engine,
) -> None:
    for source, target in mapping.items():
        if source not in old.order:
            raise DefinitionError(
                f"phases[{source!r}]",
                f"{source!r} is not a phase of the programme's lifecycle "
                f"({', '.join(map(str, old.order))})",
            )
        if target not in new.order and target != Phase.COMPLETED:
            there = [
                key
                for key, state in states.items()
                if engine.phase_of[state.state] == source
                and engine.status_of[state.state] is not PairStatus.COMPLETED
            ]
            who = f"pairs {', '.join(map(repr, there))} are" if there else "no pair is"
            raise DefinitionError(
                f"phases[{source!r}]",
                f"{target!r} is not a phase of the new lifecycle ({who} in {source!r}); "
                f"map it to one of {', '.join(map(str, new.order))}, or completed",
            )


def _changed(old: Lifecycle, new: Lifecycle, phase: str) -> str | None:
    """Why ``phase`` is changed for the pairs in it (None: it isn't)."""
    if phase not in new.order:
        return "drops"
    before = set(old.order[: old.order.index(phase)])
    after = set(new.order[: new.order.index(phase)])
    if before == after:
        return None
    parts = []
    if after - before:
        parts.append(f"puts {', '.join(sorted(after - before))} before")
    if before - after:
        parts.append(f"no longer puts {', '.join(sorted(before - after))} before")
    return " and ".join(parts) + " it"


def _completed(state: PairState) -> dict[str, pendulum.DateTime]:
    done: dict[str, pendulum.DateTime] = {}
    for event in state.history:
        if isinstance(event, PhaseCompleted):
            done.setdefault(event.phase, event.at)
    return done


def _refusals(
    state: PairState,
    to: str,
    done: Mapping[str, pendulum.DateTime],
    skipped: Sequence[str],
    lifecycle: Lifecycle,
) -> list[str]:
    """What the new rules say against putting an active or suspended pair in ``to``."""
    found = []
    if to in done:
        found.append(
            f"it completed {str(to)!r} on {done[to].date().isoformat()}: moving it back there "
            "would lose that completion (history-lost)"
        )
    for phase in skipped:
        step = lifecycle.step(phase)
        if step.visit is not None and step.visit not in state.visits:
            found.append(
                f"it would skip {str(phase)!r} without its study visit {step.visit} "
                "(visit-required)"
            )
        missing = step.requires.difference(state.deliverables)
        if missing:
            names = ", ".join(sorted(d.value for d in missing))
            found.append(f"it would skip {str(phase)!r} without {names} (deliverables-required)")
    return found


def _moves(
    old: DeadlineBook | None, new: DeadlineBook | None, pair: str | None
) -> tuple[DeadlineMove, ...]:
    """How the deadlines of ``pair`` (None: the milestones) change from ``old`` to ``new``."""
    before = _by_name(old, pair)
    after = _by_name(new, pair)
    moves = []
    for name, deadline in before.items():
        if name not in after:
            moves.append(
                DeadlineMove(
                    name=name, pair=pair, before=deadline.due_on, after=None, change="removed"
                )
            )
    for name, deadline in after.items():
        if name not in before:
            change = "added"
        elif deadline.skipped and not before[name].skipped:
            change = "skipped"
        elif deadline.due_on != before[name].due_on:
            change = "moved"
        else:
            continue
        previous = before[name].due_on if name in before else None
        moves.append(
            DeadlineMove(
                name=name, pair=pair, before=previous, after=deadline.due_on, change=change
            )
        )
    return tuple(moves)


def _by_name(book: DeadlineBook | None, pair: str | None) -> dict[str, Deadline]:
    if book is None:
        return {}
    return {deadline.name: deadline for deadline in book.deadlines(pair)}


def _open_extensions(extensions: Sequence[Extension], book: DeadlineBook | None) -> tuple[str, ...]:
    """Requests still waiting for an answer on a phase deadline the new definition drops."""
    return tuple(
        f"extension {ext.key} of the {ext.phase} deadline is waiting for an answer, and the new "
        f"definition has no {ext.phase} deadline: grant or refuse it first"
        for ext in extensions
        if ext.status is ExtensionStatus.REQUESTED
        and ext.phase is not None
        and (book is None or not book.is_phase(ext.phase))
    )


def _day(day: pendulum.Date | None) -> str:
    return "pending" if day is None else day.isoformat()
