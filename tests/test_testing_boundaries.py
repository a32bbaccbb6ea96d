"""Tests for the boundary days of mentorflow.testing's stateful base: where house rules switch
(issue 19)."""

from __future__ import annotations

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

import mentorflow as m
from mentorflow.testing import ProgrammeStateMachine
from mentorflow.testing._boundaries import anchors, boundaries, boundary_days, retry_days


def walked(phase: str, every: int = 14) -> m.Pair:
    """Pair 1 of a default machine, walked to ``phase`` one move every ``every`` days."""
    machine = ProgrammeStateMachine()
    machine.enrol("Mechelen", "Capaci", phase, every)
    return machine.programme.pair("pair-1")


class TestAnchors:
    """Tests for anchors: the days of a pair's history a rule may count from."""

    def test_likeliest_first(self) -> None:
        """The start of its phase, its latest visit's last and first days, its enrolment."""
        pair = walked(m.Phase.STUDY_VISIT_2)
        (visit,) = pair.visits
        started = pair.last_changed_at.date()
        enrolled = pendulum.date(2020, 6, 17)
        assert [started, visit.ends_on, visit.starts_on, enrolled] == anchors(pair)[:4]

    def test_without_visits(self) -> None:
        """Before any visit: the start of its phase, then the earlier phase starts."""
        pair = walked(m.Phase.STUDY_VISIT_1)
        days = anchors(pair)
        assert [pair.last_changed_at.date()] == days[:1]
        assert pendulum.date(2020, 6, 17) == days[-1]


class TestRetryDays:
    """Tests for retry_days: when a walk tries a vetoed move again."""

    def test_a_window_that_closes(self) -> None:
        """Vetoed 60 days after a visit ended, the 46th, 45th and 44th days after it are tried,
        latest first, and before the days after the veto."""
        pair = walked(m.Phase.STUDY_VISIT_2)
        (visit,) = pair.visits
        vetoed = visit.ends_on.add(days=60)
        days = retry_days(pair, vetoed)
        near = [days.index(visit.ends_on.add(days=n)) for n in (46, 45, 44)]
        assert sorted(near) == near
        assert near[-1] < days.index(vetoed.add(days=1))
        since = pair.last_changed_at.date()
        assert all(since < day != vetoed for day in days)

    def test_a_window_that_opens(self) -> None:
        """The next seven days come first after the veto, then later boundaries, earliest
        first: the 89th, 90th and 91st days after the phase started among them."""
        pair = walked(m.Phase.STUDY_VISIT_1)
        since = pair.last_changed_at.date()
        vetoed = since.add(days=1)
        days = retry_days(pair, vetoed, tries=60)
        assert [vetoed.add(days=n) for n in range(1, 8)] == days[:7]
        assert days[7:] == sorted(days[7:])
        for n in (89, 90, 91):
            assert since.add(days=n) in days

    def test_at_most_tries(self) -> None:
        """No more than ``tries`` days."""
        pair = walked(m.Phase.TRANSFER_WORKSHOP)
        assert 5 == len(retry_days(pair, pair.last_changed_at.date().add(days=100), tries=5))


class TestBoundaryDays:
    """Tests for boundary_days: a drawn day where a rule may switch."""

    @settings(max_examples=50, deadline=None)
    @given(st.data())
    def test_later_and_on_a_boundary(self, data: st.DataObject) -> None:
        """A drawn day is after the day given and around a period after a day of the pair's
        history."""
        pair = walked(m.Phase.TRANSFER_WORKSHOP)
        after = pair.last_changed_at.date()
        day = data.draw(boundary_days(pair, after))
        assert day is not None
        assert day > after
        assert any(day in boundaries(pair, anchor) for anchor in anchors(pair))

    @settings(max_examples=20, deadline=None)
    @given(st.data())
    def test_around_deadlines(self, data: st.DataObject) -> None:
        """With deadline rules, a drawn day may be around one of the pair's due dates."""

        class WithDeadlines(ProgrammeStateMachine):
            deadlines = (m.DeadlineRule(m.Phase.MATCHING, after="programme.start", days=40),)

        machine = WithDeadlines()
        machine.enrol("Mechelen", "Capaci", m.Phase.MATCHING, 7)
        pair = machine.programme.pair("pair-1")
        (deadline,) = machine.programme.deadlines(pair="pair-1")
        assert deadline.due_on is not None
        around = {deadline.due_on.add(days=n) for n in (-1, 0, 1)}
        assert around == set(boundaries(pair, None))
        day = data.draw(boundary_days(pair, pair.last_changed_at.date()))
        assert day is not None
