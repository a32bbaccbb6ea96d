"""Tests for ``[reporting]`` in scenario files: the plan and the deliverables, made on the
programme's first day, on the timeline, and named when wrong."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pendulum
import pytest

from mentorflow import DeliverableStatus
from mentorflow._simulation.scenario_file import load_scenario, parse_scenario, shipped
from mentorflow.exceptions import ScenarioError


def urbact(reporting: Any) -> dict[str, Any]:
    """The shipped URBACT network's document with ``reporting``."""
    path = shipped()["urbact-transfer-network"]
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["reporting"] = reporting
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
        assert [("D1", "2024-07-31"), ("D2", "2025-06-30")] == [
            (d.name, str(d.due_on)) for d in reporting.deliverables
        ]
