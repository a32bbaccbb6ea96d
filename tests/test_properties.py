"""Property tests of the lifecycle invariants, for random lifecycles and command sequences."""

from __future__ import annotations

import itertools

import pendulum
from hypothesis import given
from hypothesis import strategies as st

from mentorflow import (
    CommandRefused,
    Lifecycle,
    ManualClock,
    Pair,
    PairCompleted,
    PairResumed,
    PairStatus,
    PairSuspended,
    PairWithdrawn,
    Phase,
    PhaseCompleted,
    PhaseStarted,
    Programme,
    Theme,
)

from drive import run
from helpers import CAPACI, MECHELEN, START, snapshot
from strategies import Command, command_sequences, commands, lifecycles


@st.composite
def scripts(draw: st.DrawFn) -> tuple[Lifecycle, list[Command]]:
    """A lifecycle and a sequence of commands for one pair."""
    lifecycle = draw(lifecycles())
    return lifecycle, draw(command_sequences(lifecycle))


def enrol(lifecycle: Lifecycle) -> Pair:
    """A pair in a new programme with ``lifecycle``."""
    programme = Programme(
        "p",
        starts_on=START.date(),
        ends_on=START.date().add(years=3),
        timezone="Europe/Brussels",
        lifecycle=lifecycle,
        clock=ManualClock(START),
    )
    return programme.add_pair("p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START)


def check_invariants(pair: Pair) -> None:
    """What must hold of a pair after any command, accepted or refused."""
    lifecycle = pair.programme.lifecycle
    order = lifecycle.order
    # the pair is in a phase its lifecycle allows, with a consistent status
    assert pair.phase in (*order, Phase.COMPLETED)
    assert (pair.phase == Phase.COMPLETED) == (pair.status is PairStatus.COMPLETED)
    history = pair.history
    # timestamps never decrease; sequence numbers increase
    assert all(a.at.timestamp() <= b.at.timestamp() for a, b in itertools.pairwise(history))
    assert all(a.seq < b.seq for a, b in itertools.pairwise(history))
    # phases are started and completed in lifecycle order, each once, alternately
    started = [e.phase for e in history if isinstance(e, PhaseStarted)]
    completed = [e.phase for e in history if isinstance(e, PhaseCompleted)]
    assert list(order[: len(started)]) == started
    assert list(order[: len(completed)]) == completed
    assert len(started) - len(completed) in (0, 1)
    if pair.status is not PairStatus.COMPLETED:
        assert started[-1] == pair.phase
        assert len(started) == len(completed) + 1
    else:
        assert (order, PairCompleted) == (tuple(completed), type(history[-1]))
    # the status follows the last status event
    status_events = [
        e for e in history if isinstance(e, PairSuspended | PairResumed | PairWithdrawn)
    ]
    if status_events and pair.status is not PairStatus.COMPLETED:
        expected = {
            PairSuspended: PairStatus.SUSPENDED,
            PairResumed: PairStatus.ACTIVE,
            PairWithdrawn: PairStatus.WITHDRAWN,
        }[type(status_events[-1])]
        assert expected is pair.status
    # recorded visits respect the hosting limits
    limits = lifecycle.visit_hosts
    if limits is not None:
        for role, limit in limits.items():
            assert sum(1 for v in pair.visits if v.host is role) <= limit


@st.composite
def programme_scripts(draw: st.DrawFn) -> tuple[Lifecycle, list[tuple[int, Command]]]:
    """A lifecycle and commands for three pairs, interleaved."""
    lifecycle = draw(lifecycles())
    steps = st.tuples(st.integers(0, 2), commands(lifecycle))
    return lifecycle, draw(st.lists(steps, min_size=1, max_size=90))


@given(programme_scripts())
def test_any_command_sequence_keeps_the_invariants(
    script: tuple[Lifecycle, list[tuple[int, Command]]],
) -> None:
    """Random commands on several pairs leave every pair in an allowed phase, its history in
    lifecycle order with non-decreasing times, the merged history gapless; a refused command
    changes nothing."""
    lifecycle, steps = script
    first = enrol(lifecycle)
    programme = first.programme
    pairs = [first] + [
        programme.add_pair(key, mentor=CAPACI, mentee=MECHELEN, theme=Theme.HOUSING, at=START)
        for key in ("q", "r")
    ]
    for index, cmd in steps:
        pair = pairs[index]
        before = snapshot(programme)
        outcome = run(pair, cmd)
        if isinstance(outcome, CommandRefused):
            assert before == snapshot(programme), outcome
        else:
            assert len(before["history"]) + len(outcome) == len(programme.history)
            assert tuple(pair.history[-len(outcome) :]) == tuple(outcome)
        for each in pairs:
            check_invariants(each)
    merged = list(programme.history)
    assert list(range(1, len(merged) + 1)) == [e.seq for e in merged]
    for pair in pairs:
        assert [e for e in merged if e.pair == pair.key] == list(pair.history)


@given(scripts())
def test_table_dispatch_matches_transitions_trigger(
    script: tuple[Lifecycle, list[Command]],
) -> None:
    """The engine's dispatch table and transitions' own Event.trigger agree on every command:
    same events, same refusals, same states."""
    lifecycle, cmds = script
    fast, reference = enrol(lifecycle), enrol(lifecycle)
    for cmd in cmds:
        a = run(fast, cmd)
        b = run(reference, cmd, via_machine=True)
        if isinstance(a, CommandRefused) or isinstance(b, CommandRefused):
            assert isinstance(a, CommandRefused)
            assert isinstance(b, CommandRefused)
            assert str(a) == str(b)
        else:
            assert a == b
        assert (fast.phase, fast.status) == (reference.phase, reference.status)
    assert fast.history == reference.history


@given(lifecycles())
def test_a_pair_can_always_be_completed(lifecycle: Lifecycle) -> None:
    """Every valid lifecycle can be walked to completion by following its rules."""
    from helpers import finish_phase

    pair = enrol(lifecycle)
    # the hosting limits allow every visit: host each with whichever role has room left
    room = dict(lifecycle.visit_hosts or {})
    at = START
    while pair.status is PairStatus.ACTIVE:
        at = at.add(days=7)
        step = lifecycle.step(pair.phase)
        if step.visit is not None:
            from mentorflow import Role, StudyVisit, VisitMode

            host = Role.MENTEE if room.get(Role.MENTEE, 1) > 0 else Role.MENTOR
            if room:
                room[host] -= 1
            pair.record_visit(
                StudyVisit(
                    number=step.visit,
                    host=host,
                    mode=VisitMode.ONLINE,
                    starts_on=at.date(),
                    ends_on=at.date(),
                ),
                at=at,
            )
        for deliverable in sorted(step.requires):
            pair.register_deliverable(deliverable, at=at)
        pair.complete(pair.phase, at=at)
    assert PairStatus.COMPLETED is pair.status
    check_invariants(pair)
    del finish_phase


def test_invariants_hold_for_the_inclucities_demo() -> None:
    """The shipped IncluCities script keeps every invariant."""
    from mentorflow._simulation import inclucities as _inclucities

    inclucities = _inclucities.programme()
    _inclucities.play(inclucities)
    for pair in inclucities.pairs.values():
        check_invariants(pair)
        assert PairStatus.COMPLETED is pair.status
        assert pendulum.date(2023, 3, 29) == pair.history[-1].at.date()
    assert pendulum.date(2023, 3, 31) == inclucities.ends_on
