"""Tests for reporting periods, periodic reports and deliverables (the Jems and Funding &
Tenders models)."""

from __future__ import annotations

import pendulum
import pytest

from mentorflow import (
    DeliverableStatus,
    ExtensionPolicy,
    ManualClock,
    Offset,
    PlanReporting,
    Programme,
    ReportSubmitted,
    SubmitReport,
    Unit,
    ValidationError,
)
from mentorflow._domain.commands import command_of
from mentorflow.serialization import dump_event, load_event
from mentorflow.testing import assert_replays

TZ = "Europe/Brussels"


def at(year: int, month: int, day: int) -> pendulum.DateTime:
    """17:00 that day in Brussels."""
    return pendulum.datetime(year, month, day, 17, tz=TZ)


def inclucities(period_months: int = 6, report_days: int = 60) -> Programme:
    """IncluCities' dates, in Belgium, reporting every ``period_months``, each report due
    ``report_days`` after; an extension may be requested up to the end (to test one granted
    after a report)."""
    programme = Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        country="BE",
        clock=ManualClock(at(2020, 6, 17)),
        extension_policy=ExtensionPolicy(request_lead=Offset(amount=0, unit=Unit.DAYS)),
    )
    programme.plan_reporting(
        period_months=period_months, report_days=report_days, at=at(2020, 6, 17)
    )
    return programme


def ends(programme: Programme) -> list[tuple[int, str, str]]:
    """(number, last day, report due) of each period."""
    return [(p.number, str(p.ends_on), str(p.report_due_on)) for p in programme.reporting_periods]


class TestPeriods:
    """Periods counted in months from the start, ceil(duration / length), the last shortened."""

    def test_six_months(self) -> None:
        """30.5 months in periods of 6: six periods, the last of 15 days; reports 60 days
        after each, off weekends and holidays."""
        assert [
            (1, "2020-12-16", "2021-02-15"),
            (2, "2021-06-16", "2021-08-16"),  # 15 August 2021: a Sunday and a holiday
            (3, "2021-12-16", "2022-02-14"),
            (4, "2022-06-16", "2022-08-16"),  # the 15th: Assumption
            (5, "2022-12-16", "2023-02-14"),
            (6, "2022-12-31", "2023-03-01"),
        ] == ends(inclucities())

    def test_no_plan_no_periods(self) -> None:
        """Without a plan there are no periods, and no report to submit."""
        programme = Programme(
            "x",
            starts_on=pendulum.date(2020, 6, 17),
            ends_on=pendulum.date(2022, 12, 31),
            clock=ManualClock(at(2020, 6, 17)),
        )
        assert () == programme.reporting_periods
        with pytest.raises(ValidationError, match="no reporting plan"):
            programme.submit_report(1, at=at(2021, 1, 5))

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"period_months": 0}, "period_months"),
            ({"period_months": 6, "report_days": -1}, "report_days"),
        ],
    )
    def test_bad_plan(self, kwargs: dict[str, int], field: str) -> None:
        """Amounts out of range name the field."""
        with pytest.raises(ValidationError) as info:
            PlanReporting(**kwargs)
        assert field == info.value.field

    def test_rederived_when_extended(self) -> None:
        """A three-month extension lengthens the last period; its report moves with it."""
        programme = inclucities()
        extension = programme.request_extension(months=3, reason="covid", at=at(2022, 9, 15))
        programme.grant_extension(extension.key, by="REA", at=at(2022, 10, 20))
        assert (6, "2023-03-31", "2023-05-30") == ends(programme)[-1]
        assert 6 == len(programme.reporting_periods)

    def test_submitted_report_never_moves(self) -> None:
        """A report submitted before the extension keeps its period and due date."""
        programme = inclucities()
        extension = programme.request_extension(months=3, reason="covid", at=at(2022, 12, 20))
        programme.submit_report(6, at=at(2023, 1, 5))
        programme.grant_extension(extension.key, by="REA", at=at(2023, 1, 10))
        period = programme.reporting_periods[-1]
        assert (6, pendulum.date(2022, 12, 31), pendulum.date(2023, 3, 1)) == (
            period.number,
            period.ends_on,
            period.report_due_on,
        )
        assert period.submitted_at == at(2023, 1, 5)
        assert_replays(programme)


class TestReports:
    """Periodic reports: after the period, late only with a justification, once."""

    def test_on_time_then_late(self) -> None:
        """On time needs nothing; late needs a justification, and says it was late."""
        programme = inclucities()
        first = programme.submit_report(1, at=at(2021, 2, 1))
        assert isinstance(first, ReportSubmitted)
        assert (False, pendulum.date(2021, 2, 15)) == (first.late, first.due_on)
        with pytest.raises(ValidationError) as info:
            programme.submit_report(2, at=at(2021, 9, 1))
        assert "justification" == info.value.field
        second = programme.submit_report(2, justification="auditor ill", at=at(2021, 9, 1))
        assert second.late
        assert SubmitReport(period=2, justification="auditor ill", at=second.at) == command_of(
            second
        )
        assert second == load_event(dump_event(second))
        assert_replays(programme)

    @pytest.mark.parametrize(
        ("period", "day", "problem"),
        [(1, (2020, 12, 16), "ends on 2020-12-16"), (9, (2021, 1, 5), "not a reporting period")],
    )
    def test_refused(self, period: int, day: tuple[int, int, int], problem: str) -> None:
        """Before its period ends, or an unknown period: refused, naming the period."""
        programme = inclucities()
        with pytest.raises(ValidationError, match=problem) as info:
            programme.submit_report(period, at=at(*day))
        assert "period" == info.value.field

    def test_once(self) -> None:
        """A report is submitted once; the plan can't change after."""
        programme = inclucities()
        programme.submit_report(1, at=at(2021, 1, 5))
        with pytest.raises(ValidationError, match="submitted already"):
            programme.submit_report(1, at=at(2021, 1, 6))
        with pytest.raises(ValidationError, match="plan can't change"):
            programme.plan_reporting(period_months=12, at=at(2021, 1, 6))


class TestDeliverables:
    """pending -> draft -> submitted -> accepted or returned; locked once submitted."""

    def test_lifecycle(self) -> None:
        """Declared, drafted, submitted late with a justification, returned, drafted again,
        submitted, accepted."""
        programme = inclucities()
        name = "D2.1 Action plans"
        record = programme.declare_deliverable(
            name, due_on=pendulum.date(2022, 6, 30), at=at(2020, 7, 1)
        )
        assert DeliverableStatus.PENDING is record.status
        programme.draft_deliverable(name, at=at(2022, 5, 2))
        with pytest.raises(ValidationError) as info:
            programme.submit_deliverable(name, at=at(2022, 7, 4))
        assert "justification" == info.value.field
        record = programme.submit_deliverable(
            name, justification="round 3 moved", at=at(2022, 7, 4)
        )
        assert (DeliverableStatus.SUBMITTED, True) == (record.status, record.late)
        with pytest.raises(ValidationError, match="locked"):
            programme.draft_deliverable(name, at=at(2022, 7, 5))
        with pytest.raises(ValidationError, match="locked"):
            programme.move_deliverable_due(
                name, due_on=pendulum.date(2022, 9, 30), at=at(2022, 7, 5)
            )
        with pytest.raises(ValidationError) as info:
            programme.review_deliverable(name, accepted=False, by="REA", at=at(2022, 7, 6))
        assert "reason" == info.value.field
        record = programme.review_deliverable(
            name, accepted=False, by="REA", reason="no budget lines", at=at(2022, 7, 6)
        )
        assert DeliverableStatus.RETURNED is record.status
        programme.draft_deliverable(name, at=at(2022, 7, 7))
        programme.submit_deliverable(name, justification="revised", at=at(2022, 7, 15))
        record = programme.review_deliverable(name, accepted=True, by="REA", at=at(2022, 7, 20))
        assert (DeliverableStatus.ACCEPTED, "REA") == (record.status, record.reviewed_by)
        with pytest.raises(ValidationError, match="accepted"):
            programme.submit_deliverable(name, at=at(2022, 7, 21))
        assert_replays(programme)

    def test_due_date_moves_only_forward_in_time(self) -> None:
        """An unsubmitted due date moves to a future day, not to the past."""
        programme = inclucities()
        programme.declare_deliverable("D1.1", due_on=pendulum.date(2021, 3, 31), at=at(2020, 7, 1))
        with pytest.raises(ValidationError) as info:
            programme.move_deliverable_due(
                "D1.1", due_on=pendulum.date(2021, 2, 1), at=at(2021, 2, 2)
            )
        assert "due_on" == info.value.field
        record = programme.move_deliverable_due(
            "D1.1", due_on=pendulum.date(2021, 5, 31), at=at(2021, 2, 2)
        )
        assert pendulum.date(2021, 5, 31) == record.due_on
        assert not programme.submit_deliverable("D1.1", at=at(2021, 5, 20)).late

    def test_unknown_and_duplicate(self) -> None:
        """An unknown name, or one declared twice, names the field."""
        programme = inclucities()
        programme.declare_deliverable("D1.1", due_on=pendulum.date(2021, 3, 31), at=at(2020, 7, 1))
        with pytest.raises(ValidationError, match="declared already"):
            programme.declare_deliverable(
                "D1.1", due_on=pendulum.date(2021, 3, 31), at=at(2020, 7, 1)
            )
        with pytest.raises(ValidationError, match="not a declared deliverable"):
            programme.draft_deliverable("D9", at=at(2020, 7, 1))
