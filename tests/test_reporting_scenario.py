"""Tests for ``[reporting]`` in scenario files: the plan and the deliverables, made on the
programme's first day, on the timeline, and named when wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pendulum
import pytest

from mentorflow import DeliverableStatus
from mentorflow._simulation.scenario import REPORTING_ACTIONS
from mentorflow._simulation.scenario_file import load_scenario, parse_scenario, shipped
from mentorflow.exceptions import ScenarioError


def urbact(reporting: Any) -> dict[str, Any]:
    """The shipped URBACT network's document with ``reporting`` instead of its own, and
    without its script's reporting actions."""
    path = shipped()["urbact-transfer-network"]
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["reporting"] = reporting
    doc["script"] = [a for a in doc["script"] if a["action"] not in REPORTING_ACTIONS]
    return doc


PLAN = {
    "period_months": 12,
    "report_days": 60,
    "deliverables": [{"name": "D1 Transfer plans", "due_on": pendulum.date(2024, 6, 28)}],
}


class TestReporting:
    """Tests for the ``[reporting]`` table."""

    def test_on_the_timeline(self) -> None:
        """30 months in periods of 12: three, the last of 6 months; each report 60 days
        after its period; the deliverable declared, pending (no script submits it)."""
        timeline = parse_scenario(urbact(PLAN)).simulate()
        assert [
            (1, "2024-08-31", "2024-10-30"),
            (2, "2025-08-31", "2025-10-30"),
            (3, "2026-02-28", "2026-04-29"),
        ] == [(p.number, str(p.ends_on), str(p.report_due_on)) for p in timeline.reporting]
        assert [("D1 Transfer plans", DeliverableStatus.PENDING)] == [
            (d.name, d.status) for d in timeline.deliverables
        ]

    def test_none(self) -> None:
        """Without the table: no periods, no deliverables."""
        doc = urbact({})
        timeline = parse_scenario(doc).simulate()
        assert ((), ()) == (timeline.reporting, timeline.deliverables)

    @pytest.mark.parametrize(
        ("reporting", "field", "problem"),
        [
            ({"period_months": 0}, "reporting.period_months", "from 1 to 120"),
            ({"period_months": 6, "report_days": "60"}, "reporting.report_days", "whole number"),
            ({"period_months": 6, "report_days": 400}, "reporting.report_days", "366"),
            ({"report_days": 30}, "reporting.report_days", "give period_months too"),
            ({"every": 6}, "reporting.every", "unknown key"),
            ({"deliverables": [{"name": "D1"}]}, "reporting.deliverables[0].due_on", "missing"),
            (
                {"deliverables": [{"name": "", "due_on": pendulum.date(2024, 1, 5)}]},
                "reporting.deliverables[0].name",
                "",
            ),
            (
                {"deliverables": [{"name": "D1", "due_on": pendulum.date(2023, 1, 5)}]},
                "reporting.deliverables[0].due_on",
                "before the programme starts",
            ),
            (
                {
                    "deliverables": [
                        {"name": "D1", "due_on": pendulum.date(2024, 1, 5)},
                        {"name": "D1", "due_on": pendulum.date(2024, 2, 5)},
                    ]
                },
                "reporting.deliverables[1].name",
                "duplicate",
            ),
            ({"deliverables": "D1"}, "reporting.deliverables", "must be a list"),
            ("monthly", "reporting", "must be a table"),
        ],
    )
    def test_named(self, reporting: Any, field: str, problem: str) -> None:
        """A bad key or value is an error naming the key."""
        with pytest.raises(ScenarioError) as info:
            parse_scenario(urbact(reporting))
        assert f"scenario: {field}" == info.value.field
        assert problem in info.value.problem


class TestShipped:
    """The shipped URBACT network reports, as an illustration."""

    def test_urbact(self) -> None:
        """Its script submits the first report and the transfer plans, accepted, and moves
        the final output's due date: nothing refused."""
        timeline = load_scenario("urbact-transfer-network").simulate()
        assert () == timeline.refusals
        assert [1] == [p.number for p in timeline.reporting if p.submitted_at is not None]
        assert [
            ("Transfer plans", DeliverableStatus.ACCEPTED, 0),
            ("Final network output", DeliverableStatus.PENDING, 1),
        ] == [(d.name, d.status, d.revision) for d in timeline.deliverables]


class TestBase:
    """Tests for ``[reporting]`` in a file built on another."""

    def test_merges(self, tmp_path: Path) -> None:
        """``report_days`` replaces the base's and keeps its period; deliverables merge by
        name."""
        base = tmp_path / "base.toml"
        base.write_text(
            'base = "urbact-transfer-network"\n'
            "[reporting]\nperiod_months = 12\n"
            'deliverables = [{ name = "D1", due_on = 2024-06-28 }]\n',
            encoding="utf-8",
        )
        mine = tmp_path / "mine.toml"
        mine.write_text(
            'base = "base.toml"\n[reporting]\nreport_days = 30\n'
            'deliverables = [{ name = "D1", due_on = 2024-07-31 },'
            ' { name = "D2", due_on = 2025-06-30 }]\n',
            encoding="utf-8",
        )
        reporting = load_scenario(mine).reporting
        assert reporting.plan is not None
        assert (12, 30) == (reporting.plan.period_months, reporting.plan.report_days)
        assert [
            ("Transfer plans", "2024-05-31"),  # the shipped file's
            ("Final network output", "2026-02-27"),
            ("D1", "2024-07-31"),
            ("D2", "2025-06-30"),
        ] == [(d.name, str(d.due_on)) for d in reporting.deliverables]


def scripted(*actions: dict[str, Any], reporting: Any = PLAN) -> dict[str, Any]:
    """The URBACT document with ``reporting`` and ``actions`` added to its script."""
    doc = urbact(reporting)
    doc["script"] = [*doc.get("script", []), *actions]
    return doc


D1 = "D1 Transfer plans"


class TestScript:
    """Tests for the script's reporting actions: ``report`` and the deliverable actions."""

    def test_reports_and_deliverables(self) -> None:
        """A report on time and one late with its justification; a deliverable drafted,
        submitted late, returned, moved, submitted again and accepted: on the timeline."""
        timeline = parse_scenario(
            scripted(
                {"on": pendulum.date(2024, 9, 20), "action": "report", "report": {"period": 1}},
                {
                    "on": pendulum.date(2025, 11, 5),
                    "action": "report",
                    "report": {"period": 2, "justification": "the lead city's elections"},
                    "note": "illustrative",
                },
                {
                    "on": pendulum.date(2024, 6, 3),
                    "action": "draft_deliverable",
                    "deliverable": {"name": D1},
                },
                {
                    "on": pendulum.date(2024, 7, 2),
                    "action": "submit_deliverable",
                    "deliverable": {"name": D1, "justification": "two partners late"},
                },
                {
                    "on": pendulum.date(2024, 7, 16),
                    "action": "review_deliverable",
                    "deliverable": {
                        "name": D1,
                        "accepted": False,
                        "by": "URBACT secretariat",
                        "reason": "no budget",
                    },
                },
                {
                    "on": pendulum.date(2024, 7, 17),
                    "action": "move_deliverable_due",
                    "deliverable": {"name": D1, "due_on": pendulum.date(2024, 9, 30)},
                },
                {
                    "on": pendulum.date(2024, 9, 2),
                    "action": "draft_deliverable",
                    "deliverable": {"name": D1},
                },
                {
                    "on": pendulum.date(2024, 9, 27),
                    "action": "submit_deliverable",
                    "deliverable": {"name": D1},
                },
                {
                    "on": pendulum.date(2024, 10, 8),
                    "action": "review_deliverable",
                    "deliverable": {"name": D1, "accepted": True, "by": "URBACT secretariat"},
                },
            )
        ).simulate()
        assert () == timeline.refusals
        reports = {p.number: p for p in timeline.reporting}
        assert pendulum.date(2024, 9, 20) == reports[1].submitted_at.date()  # type: ignore[union-attr]
        assert (False, True, None) == (reports[1].late, reports[2].late, reports[3].submitted_at)
        (d1,) = timeline.deliverables
        assert (DeliverableStatus.ACCEPTED, pendulum.date(2024, 9, 30), 1, False) == (
            d1.status,
            d1.due_on,
            d1.revision,
            d1.late,
        )
        assert "URBACT secretariat" == d1.reviewed_by

    def test_refused_on_the_timeline(self) -> None:
        """A late report without a justification, and a deliverable reviewed before it is
        submitted, are refused through the commands, and the timeline says why."""
        timeline = parse_scenario(
            scripted(
                {"on": pendulum.date(2024, 12, 2), "action": "report", "report": {"period": 1}},
                {
                    "on": pendulum.date(2024, 6, 3),
                    "action": "review_deliverable",
                    "deliverable": {"name": D1, "accepted": True, "by": "JS"},
                },
            )
        ).simulate()
        assert 2 == len(timeline.refusals)
        assert (
            "2024-06-03 review_deliverable (programme): name: 'D1 Transfer plans' is pending"
            in timeline.refusals[0]
        )
        assert (
            "report (programme): justification: period 1's report was due on 2024-10-30"
            in timeline.refusals[1]
        )
        assert None is timeline.reporting[0].submitted_at

    @pytest.mark.parametrize(
        ("action", "reporting", "field", "problem"),
        [
            ({"action": "report"}, PLAN, "script[0].report", "is missing"),
            (
                {"action": "report", "report": {}},
                PLAN,
                "script[0].report.period",
                "a report action needs period",
            ),
            ({"action": "report", "report": {"period": 0}}, PLAN, "script[0].report.period", "1"),
            (
                {"action": "report", "report": {"period": "1"}},
                PLAN,
                "script[0].report.period",
                "whole number",
            ),
            (
                {"action": "report", "report": {"period": 1, "late": True}},
                PLAN,
                "script[0].report.late",
                "unknown key",
            ),
            (
                {"action": "report", "report": {"period": 1}},
                {"deliverables": PLAN["deliverables"]},
                "script[0].report.period",
                "plans no reporting periods",
            ),
            (
                {"action": "report", "report": {"period": 1}, "pair": "almada-tartu"},
                PLAN,
                "script[0].pair",
                "unknown key",
            ),
            (
                {"action": "draft_deliverable", "deliverable": "D1"},
                PLAN,
                "script[0].deliverable",
                "must be a table",
            ),
            (
                {"action": "submit_deliverable", "deliverable": {"name": "D9"}},
                PLAN,
                "script[0].deliverable.name",
                "not a declared deliverable",
            ),
            (
                {"action": "review_deliverable", "deliverable": {"name": D1, "by": "JS"}},
                PLAN,
                "script[0].deliverable.accepted",
                "needs accepted",
            ),
            (
                {
                    "action": "review_deliverable",
                    "deliverable": {"name": D1, "by": "JS", "accepted": "yes"},
                },
                PLAN,
                "script[0].deliverable.accepted",
                "must be",
            ),
            (
                {"action": "move_deliverable_due", "deliverable": {"name": D1}},
                PLAN,
                "script[0].deliverable.due_on",
                "needs due_on",
            ),
            (
                {
                    "action": "move_deliverable_due",
                    "deliverable": {"name": D1, "due_on": "2024-09-30"},
                },
                PLAN,
                "script[0].deliverable.due_on",
                "must be a date",
            ),
            (
                {
                    "action": "draft_deliverable",
                    "deliverable": {"name": D1, "due_on": pendulum.date(2024, 1, 1)},
                },
                PLAN,
                "script[0].deliverable.due_on",
                "unknown key",
            ),
        ],
    )
    def test_named(self, action: dict[str, Any], reporting: Any, field: str, problem: str) -> None:
        """A bad reporting action is an error naming its key."""
        doc = urbact(reporting)
        doc["script"] = [{"on": pendulum.date(2024, 9, 20), **action}]
        with pytest.raises(ScenarioError) as info:
            parse_scenario(doc)
        assert f"scenario: {field}" == info.value.field
        assert problem in info.value.problem


class TestAction:
    """Tests for `Action` with a reporting action, from Python."""

    def test_checked(self) -> None:
        """Its fields are checked as its command's, and it is of the programme."""
        from mentorflow._simulation.scenario import Action
        from mentorflow.exceptions import ValidationError

        day = pendulum.date(2024, 9, 20)
        with pytest.raises(ValidationError, match="period: a report action needs period"):
            Action(on=day, action="report", name="D1")
        with pytest.raises(ValidationError, match=r"^period: "):
            Action(on=day, action="report", period=0)
        with pytest.raises(ValidationError, match="pair: a report is of the whole programme"):
            Action(on=day, action="report", pair="a", period=1)
        with pytest.raises(ValidationError, match=r"^accepted: "):
            Action(on=day, action="review_deliverable", name="D1", by="JS", accepted="yes")  # type: ignore[arg-type]

    def test_the_command(self) -> None:
        """The action runs the command of its fields, dated as asked, with its note."""
        from mentorflow import ReviewDeliverable
        from mentorflow._simulation.scenario import Action

        at = pendulum.datetime(2024, 9, 20, 17, tz="Europe/Lisbon")
        action = Action(
            on=at.date(),
            action="review_deliverable",
            name="D1",
            accepted=False,
            by="JS",
            reason="no budget",
            note="n",
        )
        expected = ReviewDeliverable(
            name="D1", accepted=False, by="JS", reason="no budget", at=at, note="n"
        )
        assert expected == action.reporting_command(at)

    def test_serialized(self) -> None:
        """A scenario with reporting actions makes the round trip of `mentorflow.serialization`
        (what Monte Carlo sends its workers)."""
        from mentorflow.scenario import Scenario
        from mentorflow.serialization import structure, unstructure

        scenario = load_scenario("urbact-transfer-network")
        assert scenario == structure(unstructure(scenario), Scenario)


def test_montecarlo_runs_the_actions() -> None:
    """Every Monte Carlo run issues the scripted reporting commands, as `simulate` does."""
    from mentorflow._simulation.montecarlo import montecarlo

    doc = scripted(
        {"on": pendulum.date(2024, 9, 20), "action": "report", "report": {"period": 1}},
        {
            "on": pendulum.date(2024, 6, 3),
            "action": "submit_deliverable",
            "deliverable": {"name": D1},
        },
    )
    result = montecarlo(parse_scenario(doc), runs=3, workers=1)
    assert 3 == result.runs
