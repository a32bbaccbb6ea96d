"""Tests for event hooks: subscriptions, order, vetoes and after-hook errors."""

from __future__ import annotations

import pytest

from mentorflow import (
    AfterHookError,
    CommandRefused,
    Event,
    Pair,
    PairEnrolled,
    PairSuspended,
    Phase,
    PhaseCompleted,
    PhaseStarted,
    Programme,
    Theme,
    ValidationError,
    Veto,
    Vetoed,
)

from helpers import CAPACI, MECHELEN, START, snapshot


@pytest.fixture
def pair(programme: Programme) -> Pair:
    """A freshly enrolled pair."""
    return programme.add_pair("p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START)


class TestSubscribe:
    """Tests for Programme.subscribe."""

    def test_receives_matching_events(self, programme: Programme, pair: Pair) -> None:
        """A handler gets the events of its type, in order."""
        seen: list[Event] = []
        programme.subscribe(PhaseStarted, seen.append)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert [PhaseStarted] == [type(e) for e in seen]
        assert seen[0].phase == Phase.MATCHING  # type: ignore[attr-defined]

    def test_base_class_receives_everything(self, programme: Programme) -> None:
        """Subscribing to Event gets every event, enrolment included."""
        seen: list[Event] = []
        programme.subscribe(Event, seen.append)
        programme.add_pair("p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START)
        assert [PairEnrolled, PhaseStarted] == [type(e) for e in seen]
        assert list(programme.history) == seen

    def test_registration_order_across_types(self, programme: Programme, pair: Pair) -> None:
        """Handlers run in registration order, whatever type they subscribed to."""
        calls: list[str] = []
        programme.subscribe(PhaseCompleted, lambda e: calls.append("completed"))
        programme.subscribe(Event, lambda e: calls.append(f"any {type(e).__name__}"))
        programme.subscribe(PhaseCompleted, lambda e: calls.append("completed again"))
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert calls == [
            "completed",
            "any PhaseCompleted",
            "completed again",
            "any PhaseStarted",
        ]

    def test_phase_filter(self, programme: Programme, pair: Pair) -> None:
        """``phase=`` keeps only events about that phase."""
        seen: list[Event] = []
        programme.subscribe(Event, seen.append, phase=Phase.MATCHING)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        pair.suspend(at=START)
        assert [PhaseStarted, PairSuspended] == [type(e) for e in seen]

    def test_on_enter_and_on_leave(self, programme: Programme, pair: Pair) -> None:
        """on_enter/on_leave fire on PhaseStarted/PhaseCompleted of that phase only."""
        entered: list[Event] = []
        left: list[Event] = []
        programme.on_enter(Phase.MATCHING, entered.append)
        programme.on_leave(Phase.MATCHING, left.append)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert ([e.phase for e in entered], left) == ([Phase.MATCHING], [])  # type: ignore[attr-defined]
        pair.complete(Phase.MATCHING, at=START)
        assert [e.phase for e in left] == [Phase.MATCHING]  # type: ignore[attr-defined]
        assert len(entered) == 1

    def test_cancel(self, programme: Programme, pair: Pair) -> None:
        """A cancelled subscription is not called again; cancelling twice is harmless."""
        seen: list[Event] = []
        sub = programme.subscribe(Event, seen.append)
        sub.cancel()
        sub.cancel()
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert seen == []

    @pytest.mark.parametrize(
        ("args", "kwargs", "field"),
        [
            ((int, print), {}, "event_type"),
            ((Event, "print"), {}, "handler"),
            ((Event, print), {"phase": "pilot"}, "phase"),
        ],
    )
    def test_bad_subscription(
        self, programme: Programme, args: tuple[object, ...], kwargs: dict[str, object], field: str
    ) -> None:
        """Non-event types, non-callables and unknown phases are refused."""
        with pytest.raises(ValidationError) as info:
            programme.subscribe(*args, **kwargs)  # type: ignore[arg-type]
        assert field == info.value.field


class TestBefore:
    """Before hooks: they see the change first and can veto it."""

    def test_sees_proposed_events_before_the_change(self, programme: Programme, pair: Pair) -> None:
        """A before hook gets the proposed event while the pair is still unchanged."""
        phases: list[str] = []
        programme.subscribe(PhaseCompleted, lambda e: phases.append(pair.phase), before=True)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert phases == [Phase.NEEDS_ASSESSMENT]

    def test_veto_refuses_and_changes_nothing(self, programme: Programme, pair: Pair) -> None:
        """A Veto becomes Vetoed (a CommandRefused) and the pair stays as it was."""
        after: list[Event] = []
        programme.subscribe(Event, after.append)

        def no_matching_before_october(event: PhaseStarted) -> None:
            if event.at.month < 10:
                raise Veto("matching starts in October")

        programme.on_enter(Phase.MATCHING, no_matching_before_october, before=True)
        before = snapshot(programme)
        with pytest.raises(Vetoed) as info:
            pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert (info.value.rule, info.value.reason) == ("vetoed", "matching starts in October")
        assert before == snapshot(programme)
        assert after == []
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START.set(month=10))
        assert pair.phase == Phase.MATCHING

    def test_veto_enrolment(self, programme: Programme) -> None:
        """A before hook can veto an enrolment; nothing is added."""

        def full(event: PairEnrolled) -> None:
            raise Veto("the programme is full")

        programme.subscribe(PairEnrolled, full, before=True)
        with pytest.raises(Vetoed, match="the programme is full"):
            programme.add_pair("p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        assert (dict(programme.pairs), len(programme.history)) == ({}, 0)

    def test_other_exception_propagates_unchanged(self, programme: Programme, pair: Pair) -> None:
        """A before hook's own error propagates as it is; the pair is unchanged."""

        def broken(event: Event) -> None:
            raise RuntimeError("bug in a hook")

        later: list[Event] = []
        programme.subscribe(Event, broken, before=True)
        programme.subscribe(Event, later.append, before=True)
        before = snapshot(programme)
        with pytest.raises(RuntimeError, match="bug in a hook"):
            pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert before == snapshot(programme)
        assert later == []


class TestAfter:
    """After hooks: the change stands; errors are reported together."""

    def test_errors_collected_and_change_stands(self, programme: Programme, pair: Pair) -> None:
        """Every after hook runs; their errors come together in AfterHookError."""
        calls: list[str] = []

        def fails(event: Event) -> None:
            calls.append(f"fails {type(event).__name__}")
            raise ValueError(type(event).__name__)

        programme.subscribe(Event, fails)
        programme.subscribe(Event, lambda e: calls.append(f"ok {type(e).__name__}"))
        with pytest.raises(AfterHookError) as info:
            pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert calls == [
            "fails PhaseCompleted",
            "ok PhaseCompleted",
            "fails PhaseStarted",
            "ok PhaseStarted",
        ]
        assert [str(e) for e in info.value.exceptions] == ["PhaseCompleted", "PhaseStarted"]
        assert pair.phase == Phase.MATCHING
        assert pair.history[-2:] == info.value.events
        assert len(programme.history) == 4

    def test_is_an_exception_group(self, programme: Programme, pair: Pair) -> None:
        """``except*`` can pick the hook errors apart."""
        programme.subscribe(PhaseStarted, lambda e: 1 / 0)
        caught: list[BaseException] = []
        try:
            pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        except* ZeroDivisionError as group:
            caught.extend(group.exceptions)
        assert [ZeroDivisionError] == [type(e) for e in caught]

    def test_next_command_works(self, programme: Programme, pair: Pair) -> None:
        """After a hook error the pair goes on normally."""
        sub = programme.subscribe(PhaseStarted, lambda e: 1 / 0)
        with pytest.raises(AfterHookError):
            pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        sub.cancel()
        pair.complete(Phase.MATCHING, at=START)
        assert pair.phase == Phase.STUDY_VISIT_1


class TestReentry:
    """Commands issued from hooks."""

    def test_before_hook_commands_are_refused(self, programme: Programme, pair: Pair) -> None:
        """A command from a before hook is refused; the original command still happens once."""
        refusals: list[str] = []

        def meddle(event: PhaseCompleted) -> None:
            try:
                pair.suspend(at=START)
            except CommandRefused as refusal:
                refusals.append(refusal.rule)
            try:
                programme.add_pair("q", mentor=CAPACI, mentee=MECHELEN, theme=Theme.HOUSING)
            except CommandRefused as refusal:
                refusals.append(refusal.rule)

        programme.subscribe(PhaseCompleted, meddle, before=True)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert refusals == ["reentrant-command", "reentrant-command"]
        assert [e.seq for e in programme.history] == [1, 2, 3, 4]
        assert (pair.phase, pair.status.value) == (Phase.MATCHING, "active")

    def test_after_hook_commands_work(self, programme: Programme, pair: Pair) -> None:
        """An after hook may issue commands; they follow the change in the history."""

        def suspend_on_matching(event: PhaseStarted) -> None:
            pair.suspend(at=event.at, note="waiting for the benchmarks")

        programme.on_enter(Phase.MATCHING, suspend_on_matching)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert [e.seq for e in programme.history] == [1, 2, 3, 4, 5]
        assert isinstance(programme.history[-1], PairSuspended)
        assert pair.status.value == "suspended"


def test_no_before_hooks_for_programme_events(programme: Programme) -> None:
    """Programme events are facts: subscribing a before hook to one is refused."""
    from mentorflow import DeadlineMissed, ExtensionRequested

    for kind in (ExtensionRequested, DeadlineMissed):
        with pytest.raises(ValidationError, match="before hooks see the events of pair commands"):
            programme.subscribe(kind, print, before=True)
    programme.subscribe(Event, print, before=True)  # the root: pair events only
    programme.subscribe(ExtensionRequested, print)
