"""A stateful test base: a real programme driven by random commands, checked after every step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from .._core.programme import Programme
from .._domain.clock import ManualClock
from .._domain.deadlines import DeadlineRule
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.lifecycle import Lifecycle
from .._domain.model import Theme
from ..exceptions import CommandRefused, PolicyViolation
from ._commands import Command, commands, extension_requests
from ._invariants import (
    assert_never_earlier,
    assert_programme_invariants,
    assert_replays,
    assert_unchanged,
    deadline_dates,
    snapshot,
)
from ._strategies import partners

START = pendulum.datetime(2020, 6, 17, 9, tz="Europe/Brussels")


class ProgrammeStateMachine(RuleBasedStateMachine):
    """Drive a real programme with random commands; check mentorflow's invariants after every
    step. Subclass it to test your own lifecycle and rules.

    Class attributes to set in a subclass:
        lifecycle: The lifecycle to drive (default: the default lifecycle).
        deadlines: Deadline rules for the programme (default: none).
        pair_count: How many pairs to enrol (default 2).
        country: The programme's country, whose holidays count for milestones (default BE).

    After every step it checks that a refused command changed nothing, that every pair follows
    its lifecycle and its rules (`assert_programme_invariants`), that due dates fall on working
    days, and that no extension moves a deadline earlier; now and then it checks that replaying
    the event log rebuilds the same programme (`assert_replays`). Add ``@rule``\\ s and
    ``@invariant``\\ s of your own; ``self.programme`` is the programme and ``self.steps`` the
    commands run so far, for your messages.

    Examples:
        >>> from mentorflow import Lifecycle, Phase
        >>> from mentorflow.testing import ProgrammeStateMachine
        >>> class IncluCitiesMachine(ProgrammeStateMachine):
        ...     lifecycle = Lifecycle.linear(Phase.STUDY_VISIT_1, Phase.TRANSFER_WORKSHOP)
        >>> TestIncluCities = IncluCitiesMachine.TestCase  # collected by pytest
    """

    lifecycle: ClassVar[Lifecycle] = Lifecycle.default()
    deadlines: ClassVar[Sequence[DeadlineRule]] = ()
    pair_count: ClassVar[int] = 2
    country: ClassVar[str | None] = "BE"

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.programme = Programme(
            "Stateful",
            starts_on=START.date(),
            ends_on=START.date().add(years=3),
            timezone="Europe/Brussels",
            lifecycle=self.lifecycle,
            clock=self.clock,
            country=self.country,
            deadlines=self.deadlines,
        )
        self.steps: list[str] = []

    # -- setting up --------------------------------------------------------------------

    @precondition(lambda self: len(self.programme.pairs) < self.pair_count)
    @rule(data=st.data())
    def enrol(self, data: st.DataObject) -> None:
        """Enrol one more pair (until there are ``pair_count``)."""
        mentor, mentee = data.draw(
            st.lists(partners(), min_size=2, max_size=2, unique_by=lambda p: p.city),
            label="partners",
        )
        key = f"pair-{len(self.programme.pairs) + 1}"
        self.programme.add_pair(key, mentor=mentor, mentee=mentee, theme=Theme.HOUSING, at=START)
        self.steps.append(f"enrol {key}")

    # -- commands ----------------------------------------------------------------------

    @precondition(lambda self: bool(self.programme.pairs))
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        """Send a random command to a random pair; a refusal must change nothing."""
        key = data.draw(st.sampled_from(sorted(self.programme.pairs)), label="pair")
        command: Command = data.draw(commands(self.lifecycle), label="command")
        before = snapshot(self.programme)
        outcome = command.run(self.programme.pair(key))
        self.steps.append(f"{key}: {command}")
        if isinstance(outcome, CommandRefused):
            assert_unchanged(before, self.programme)

    @rule(days=st.integers(0, 120))
    def check_deadlines(self, days: int) -> None:
        """Let time pass and check the deadlines."""
        self.clock.advance(days=days)
        self.programme.check_deadlines()
        self.steps.append(f"check after {days} days")

    @precondition(lambda self: bool(self.deadlines))
    @rule(data=st.data(), grant=st.booleans())
    def extend(self, data: st.DataObject, grant: bool) -> None:
        """Request an extension and grant or refuse it; granted, no deadline may move earlier."""
        phases = [r.name for r in self.deadlines if r.name in self.lifecycle.order]
        request = data.draw(
            extension_requests(phases=phases, pairs=sorted(self.programme.pairs)), label="request"
        )
        now = self.clock.now()
        before = snapshot(self.programme)
        outcome = request.submit(self.programme, now)
        self.steps.append(f"request {request}")
        if isinstance(outcome, PolicyViolation):
            assert_unchanged(before, self.programme)
            return
        dates = deadline_dates(self.programme)
        decided = _decide(self.programme, outcome, grant, now)
        if decided is not None and decided.status is ExtensionStatus.GRANTED:
            assert_never_earlier(dates, self.programme)

    @rule()
    def replay(self) -> None:
        """Replaying the event log so far rebuilds the same programme."""
        assert_replays(self.programme)
        self.steps.append("replay")

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def mentorflow_invariants(self) -> None:
        """Every pair follows its lifecycle and rules; every due date is a working day."""
        assert_programme_invariants(self.programme)


def _decide(programme: Programme, ext: Extension, grant: bool, at: Any) -> Extension | None:
    try:
        if grant:
            return programme.grant_extension(ext.key, by="funder", at=at)
        return programme.refuse_extension(ext.key, by="funder", at=at)
    except PolicyViolation:
        return None
