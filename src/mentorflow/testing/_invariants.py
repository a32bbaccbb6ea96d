"""Ready-made invariants: what must hold of any programme, whatever was done to it.

Each ``assert_*`` function raises `AssertionError` with a message naming the pair, the
deadline or the event at fault (explicit raises, so they work under ``python -O`` too).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import pendulum

from .._core.programme import Pair, Programme
from .._domain.deadlines import CalendarBasis
from .._domain.events import (
    DeliverableRegistered,
    PairCompleted,
    PairResumed,
    PairSuspended,
    PairWithdrawn,
    PhaseCompleted,
    PhaseStarted,
    VisitRecorded,
)
from .._domain.lifecycle import PairStatus, Phase
from .._domain.model import Role

Snapshot = Mapping[str, Any]
"""Everything observable about a programme, comparable with ``==``."""


def _fail(message: str) -> None:
    raise AssertionError(message)


def snapshot(programme: Programme) -> Snapshot:
    """Everything observable about ``programme``: its pairs, histories, deadlines, extensions."""
    return {
        "pairs": {key: pair_snapshot(pair) for key, pair in programme.pairs.items()},
        "history": tuple(programme.history),
        "ends_on": programme.ends_on,
        "extensions": programme.extensions,
        "deadlines": deadline_dates(programme),
    }


def pair_snapshot(pair: Pair) -> dict[str, Any]:
    return {
        "phase": pair.phase,
        "status": pair.status,
        "history": pair.history,
        "visits": pair.visits,
        "deliverables": dict(pair.deliverables),
        "mentor": pair.mentor,
        "mentee": pair.mentee,
        "benchmarks": pair.benchmarks,
        "last_changed_at": pair.last_changed_at,
    }


def assert_unchanged(before: Snapshot, programme: Programme) -> None:
    """A refused command changes nothing: ``programme`` still looks like ``before``."""
    after = snapshot(programme)
    if before != after:
        changed = sorted(k for k in before if before[k] != after.get(k))
        _fail(f"a refused command changed the programme: {', '.join(changed)} differ")


def assert_follows_lifecycle(pair: Pair) -> None:
    """The pair is in a phase its lifecycle allows; its history starts and completes phases in
    lifecycle order, one at a time, with non-decreasing times; its status follows its events."""
    order = pair.programme.lifecycle.order
    if pair.phase not in (*order, Phase.COMPLETED):
        _fail(f"{pair.key}: phase '{pair.phase}' is not in its lifecycle")
    history = pair.history
    for a, b in itertools.pairwise(history):
        if a.at.timestamp() > b.at.timestamp():
            _fail(f"{pair.key}: event {b.seq} ({b.at}) is earlier than event {a.seq} ({a.at})")
        if a.seq >= b.seq:
            _fail(f"{pair.key}: sequence numbers {a.seq}, {b.seq} don't increase")
    started = [e.phase for e in history if isinstance(e, PhaseStarted)]
    completed = [e.phase for e in history if isinstance(e, PhaseCompleted)]
    if started != list(order[: len(started)]) or completed != list(order[: len(completed)]):
        _fail(
            f"{pair.key}: phases out of lifecycle order: started {started}, completed {completed}"
        )
    done = pair.status is PairStatus.COMPLETED
    if done != (pair.phase == Phase.COMPLETED) or done != isinstance(history[-1], PairCompleted):
        _fail(f"{pair.key}: status {pair.status.value} doesn't match phase '{pair.phase}'")
    if not done and (started[-1] != pair.phase or len(started) != len(completed) + 1):
        _fail(f"{pair.key}: in '{pair.phase}' but its history last started '{started[-1]}'")
    marks = [e for e in history if isinstance(e, PairSuspended | PairResumed | PairWithdrawn)]
    if marks and not done:
        expected = {
            PairSuspended: PairStatus.SUSPENDED,
            PairResumed: PairStatus.ACTIVE,
            PairWithdrawn: PairStatus.WITHDRAWN,
        }[type(marks[-1])]
        if expected is not pair.status:
            _fail(f"{pair.key}: status {pair.status.value}, but its last mark is {marks[-1]}")


def assert_rules_respected(pair: Pair) -> None:
    """Every completed phase had what its lifecycle step requires before it was completed (its
    study visit, its deliverables), and no side hosted more visits than allowed."""
    lifecycle = pair.programme.lifecycle
    visits: set[int] = set()
    deliverables: set[object] = set()
    for event in pair.history:
        if isinstance(event, VisitRecorded):
            visits.add(event.visit.number)
        elif isinstance(event, DeliverableRegistered):
            deliverables.add(event.deliverable)
        elif isinstance(event, PhaseCompleted):
            step = lifecycle.step(event.phase)
            if step.visit is not None and step.visit not in visits:
                _fail(f"{pair.key}: '{event.phase}' completed without study visit {step.visit}")
            missing = step.requires - deliverables
            if missing:
                _fail(f"{pair.key}: '{event.phase}' completed without {sorted(missing)}")
    limits = lifecycle.visit_hosts
    if limits is not None:
        for role in Role:
            hosted = sum(1 for v in pair.visits if v.host is role)
            allowed = limits.get(role, 0)
            if hosted > allowed:
                _fail(f"{pair.key}: the {role.value} hosted {hosted} visits (at most {allowed})")


def deadline_dates(programme: Programme) -> dict[tuple[str, str | None], pendulum.Date | None]:
    """Every deadline's due date, by ``(name, pair)`` (pair None for milestones)."""
    found: dict[tuple[str, str | None], pendulum.Date | None] = {
        (d.name, None): d.due_on for d in programme.deadlines()
    }
    for key in programme.pairs:
        found.update({(d.name, key): d.due_on for d in programme.deadlines(pair=key)})
    return found


def assert_deadlines_on_working_days(programme: Programme) -> None:
    """Every computed due date is a working day of the calendar its rule counts on, and a
    capped one is not after the programme's end."""
    schedule = programme.definition.schedule
    if schedule.empty:
        return
    rules = schedule.by_name
    definition = programme.definition
    own = definition.calendar(definition.regions)
    for deadline in programme.deadlines():
        if deadline.due_on is not None and not own.is_working_day(deadline.due_on):
            _fail(f"milestone '{deadline.name}' is due on {deadline.due_on}, not a working day")
    for key, pair in programme.pairs.items():
        both = tuple(sorted({pair.mentor.city.region, pair.mentee.city.region}))
        for deadline in programme.deadlines(pair=key):
            if deadline.due_on is None:
                continue
            rule = rules[deadline.name]
            basis = rule.calendar or CalendarBasis.PAIR
            if basis is CalendarBasis.PROGRAMME:
                calendar = own
            elif basis is CalendarBasis.HOST:
                host = _host(pair, deadline.name)
                calendar = definition.calendar((host,))
            else:
                calendar = definition.calendar(both)
            if not calendar.is_working_day(deadline.due_on):
                _fail(f"{key}: '{deadline.name}' is due on {deadline.due_on}, not a working day")
            if rule.capped and deadline.due_on > programme.ends_on:
                _fail(f"{key}: capped '{deadline.name}' is due after the end {programme.ends_on}")


def _host(pair: Pair, phase: str) -> str:
    number = pair.programme.lifecycle.step(phase).visit
    for visit in pair.visits:
        if visit.number == number:
            return pair.partner(visit.host).city.region
    return pair.mentee.city.region


def assert_never_earlier(
    before: Mapping[tuple[str, str | None], pendulum.Date | None], programme: Programme
) -> None:
    """No deadline is earlier than in ``before`` (from `deadline_dates`): what an extension
    must guarantee."""
    for key, old in before.items():
        new = deadline_dates(programme).get(key)
        if old is not None and (new is None or new < old):
            _fail(
                f"deadline '{key[0]}' of {key[1] or 'the programme'} moved earlier: {old} -> {new}"
            )


def assert_programme_invariants(programme: Programme) -> None:
    """All the invariants above that need no "before": each pair follows its lifecycle and its
    rules, and every deadline falls on a working day."""
    for pair in programme.pairs.values():
        assert_follows_lifecycle(pair)
        assert_rules_respected(pair)
    assert_deadlines_on_working_days(programme)


def assert_replays(
    programme: Programme,
    *,
    hooks: Callable[[Programme], object] | None = None,
    kept: object = None,
) -> None:
    """Replaying ``programme``'s event log rebuilds the same programme: pairs, histories,
    deadlines and their revisions, extensions. (Written to a private `MemoryStore`; the
    programme itself is not touched.)

    Args:
        programme: The live programme.
        hooks: The function that subscribes your hooks to a programme; it is passed to
            `Programme.restore`, so your hooks see the replayed events. If it returns
            something (the state your hooks keep), that must equal ``kept``.
        kept: What ``hooks`` returned for the live programme, as it is now.

    """
    from .._codec.serialize import dump_definition, dump_event
    from .._storage.stores import MemoryStore

    store = MemoryStore()
    store.create("replay", dump_definition(programme))
    if programme.history:
        store.append("replay", [dump_event(e) for e in programme.history], expected_version=0)
    rebuilt: list[object] = []

    def install(restored: Programme) -> None:
        if hooks is not None:
            rebuilt.append(hooks(restored))

    restored = type(programme).restore(store, "replay", clock=programme.clock, hooks=install)
    if snapshot(restored) != snapshot(programme):
        _fail("the programme replayed from its log differs from the live one")
    for key in [None, *programme.pairs]:
        if restored.deadlines(pair=key) != programme.deadlines(pair=key):
            _fail(f"replayed deadlines of {key or 'the programme'} differ from the live ones")
    if rebuilt and rebuilt[0] != kept:
        _fail(f"the state your hooks keep differs on replay: {rebuilt[0]!r}, live {kept!r}")
