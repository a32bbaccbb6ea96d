"""Tests for the alerts of report and deliverable deadlines: the deadline book's flow
(`check_deadlines`, `DeadlineApproaching`, `DeadlineMissed`), once per revision."""

from __future__ import annotations

import attrs
import pendulum
import pytest

from mentorflow import (
    DeadlineApproaching,
    DeadlineMissed,
    DeadlineRule,
    ManualClock,
    MemoryStore,
    Programme,
)
from mentorflow._domain.reporting import REPORTING_LEAD_DAYS, deliverable_deadline, report_deadline
from mentorflow.testing import assert_replays
from test_reporting import inclucities

TZ = "Europe/Brussels"


def at(year: int, month: int, day: int, hour: int = 17) -> pendulum.DateTime:
    """That hour of that day in Brussels."""
    return pendulum.datetime(year, month, day, hour, tz=TZ)


def programme(report_days: int = 60) -> Programme:
    """IncluCities' dates in Belgium, a report every 12 months, ``report_days`` after each; an
    extension may be requested up to the end."""
    return inclucities(12, report_days)


def alerts(events: tuple[object, ...]) -> list[tuple[str, str, str, int]]:
    """(kind, deadline, due, revision) of each alert."""
    return [
        (type(e).__name__, e.deadline, str(e.due_on), e.revision)
        for e in events
        if isinstance(e, DeadlineApproaching | DeadlineMissed)
    ]


class TestReports:
    """Tests for the alerts of periodic reports."""

    def test_approaching_then_missed_once(self) -> None:
        """Period 1 (to 16 Jun 2021) is due 60 days after, 16 Aug 2021 (the 15th a Sunday
        and a holiday): warned 14 days before, missed the day after, each once."""
        p = programme()
        assert REPORTING_LEAD_DAYS == 14
        assert () == p.check_deadlines(at=at(2021, 8, 1, 23))
        assert [("DeadlineApproaching", "report:1", "2021-08-16", 0)] == alerts(
            p.check_deadlines(at=at(2021, 8, 2, 0))
        )
        assert () == p.check_deadlines(at=at(2021, 8, 16, 23))
        assert [("DeadlineMissed", "report:1", "2021-08-16", 0)] == alerts(
            p.check_deadlines(at=at(2021, 8, 17, 0))
        )
        assert () == p.check_deadlines(at=at(2021, 9, 1))
        assert_replays(p)

    def test_late_check_says_missed_only(self) -> None:
        """A first check after the due date sends the miss, not the warning too."""
        p = programme()
        assert [("DeadlineMissed", "report:1", "2021-08-16", 0)] == alerts(
            p.check_deadlines(at=at(2021, 9, 1))
        )

    def test_submitted_report_is_not_watched(self) -> None:
        """A report submitted on time raises nothing."""
        p = programme()
        p.submit_report(1, at=at(2021, 7, 1))
        assert () == p.check_deadlines(at=at(2021, 9, 1))

    def test_extension_moves_unsubmitted_only(self) -> None:
        """A three-month extension moves the last report (a new revision, alerted again) and
        not a report submitted before it."""
        p = programme(report_days=45)
        p.submit_report(1, at=at(2021, 7, 1))
        p.submit_report(2, at=at(2022, 7, 1))
        ext = p.request_extension(months=3, reason="covid", at=at(2022, 12, 20))
        # the last period (to 31 Dec 2022) is due 14 Feb 2023: warned from 31 Jan
        assert [("DeadlineApproaching", "report:3", "2023-02-14", 0)] == alerts(
            p.check_deadlines(at=at(2023, 1, 31))
        )
        p.grant_extension(ext.key, by="REA", at=at(2023, 2, 1))
        assert [] == alerts(p.check_deadlines(at=at(2023, 2, 20)))  # moved: not missed
        # to 31 Mar 2023, due 15 May
        assert [("DeadlineApproaching", "report:3", "2023-05-15", 1)] == alerts(
            p.check_deadlines(at=at(2023, 5, 1))
        )
        assert [("DeadlineMissed", "report:3", "2023-05-15", 1)] == alerts(
            p.check_deadlines(at=at(2023, 5, 16))
        )
        assert ["2021-08-02", "2022-08-01"] == [
            str(period.report_due_on) for period in p.reporting_periods[:2]
        ]
        assert_replays(p)


class TestDeliverables:
    """Tests for the alerts of deliverables."""

    def test_pending_missed_and_moved(self) -> None:
        """An open deliverable is warned of and missed; moving its due date is a new
        revision, alerted again; once submitted, nothing more."""
        p = programme()
        p.declare_deliverable("D2.1 Action plans", due_on=pendulum.date(2021, 3, 31))
        name = deliverable_deadline("D2.1 Action plans")
        assert [("DeadlineApproaching", name, "2021-03-31", 0)] == alerts(
            p.check_deadlines(at=at(2021, 3, 20))
        )
        assert [("DeadlineMissed", name, "2021-03-31", 0)] == alerts(
            p.check_deadlines(at=at(2021, 4, 1))
        )
        p.move_deliverable_due(
            "D2.1 Action plans", due_on=pendulum.date(2021, 4, 30), at=at(2021, 4, 2)
        )
        assert [("DeadlineApproaching", name, "2021-04-30", 1)] == alerts(
            p.check_deadlines(at=at(2021, 4, 20))
        )
        p.submit_deliverable("D2.1 Action plans", at=at(2021, 4, 28))
        assert () == p.check_deadlines(at=at(2021, 5, 5))
        assert_replays(p)

    def test_names(self) -> None:
        """Alert names no deadline rule can have."""
        assert ("report:2", "deliverable:D1") == (report_deadline(2), deliverable_deadline("D1"))


class TestRestore:
    """Alerts sent are remembered by a restored programme."""

    def test_restored_sends_nothing_again(self) -> None:
        """Restored from its log, a programme does not warn again of what it warned of."""
        p = programme()
        store = MemoryStore()
        p.persist(store, "p")
        p.check_deadlines(at=at(2021, 8, 2))
        restored = Programme.restore(store, "p", clock=ManualClock(at(2021, 8, 3)))
        assert () == restored.check_deadlines(at=at(2021, 8, 3))
        assert ["DeadlineMissed"] == [
            kind for kind, *_ in alerts(restored.check_deadlines(at=at(2021, 8, 17)))
        ]

    @pytest.mark.parametrize("rules", [False, True])
    def test_snapshot_keeps_reporting(self, rules: bool) -> None:
        """Restored from a snapshot (lazily, and with a deadline book), a programme keeps its
        plan, reports, deliverables and the alerts it sent."""
        p = programme()
        if rules:
            p = Programme.from_definition(
                attrs.evolve(
                    p.definition,
                    deadlines=(DeadlineRule("final_report", after="programme.end", days=60),),
                ),
                clock=ManualClock(at(2020, 6, 17)),
            )
            p.plan_reporting(period_months=12, report_days=60, at=at(2020, 6, 17))
        store = MemoryStore()
        p.persist(store, "p")
        p.declare_deliverable("D1", due_on=pendulum.date(2021, 3, 31))
        p.check_deadlines(at=at(2021, 3, 20))  # approaching D1
        p.submit_report(1, at=at(2021, 7, 1))
        p.snapshot()
        restored = Programme.restore(store, "p", clock=ManualClock(at(2021, 8, 3)))
        assert p.reporting_periods == restored.reporting_periods
        assert dict(p.tracked_deliverables) == dict(restored.tracked_deliverables)
        assert () == restored.check_deadlines(at=at(2021, 3, 25))  # sent already
        assert [("DeadlineMissed", "deliverable:D1", "2021-03-31", 0)] == alerts(
            restored.check_deadlines(at=at(2021, 8, 3))
        )
        Programme.restore(store, "p", verify=True)
