"""Tests for the EU rule of Regulation 1182/71 complete: retroactive periods, month ends, and the
places where dates used to escape it (actions before the start, projected dates, forecasts)."""

from __future__ import annotations

from typing import Any

import pendulum
import pytest

from mentorflow import DeadlineRule, DefinitionError, ManualClock, Programme, ValidationError
from mentorflow._domain.calendar import calendar_for
from mentorflow._render.forecast_exports import forecast_rows, forecast_table
from mentorflow._simulation.montecarlo import montecarlo
from mentorflow._simulation.scenario_file import parse_scenario
from mentorflow.exceptions import ScenarioError

TZ = "Europe/Brussels"


def programme(ends_on: pendulum.Date, *rules: DeadlineRule, **kwargs: Any) -> Programme:
    """A Belgian programme from 6 January 2025 to ``ends_on`` with ``rules``."""
    return Programme(
        "EU rule",
        starts_on=pendulum.date(2025, 1, 6),
        ends_on=ends_on,
        timezone=TZ,
        country="BE",
        clock=ManualClock(pendulum.datetime(2025, 1, 6, 9, tz=TZ)),
        deadlines=rules,
        **kwargs,
    )


def due(ends_on: pendulum.Date, rule: DeadlineRule) -> pendulum.Date | None:
    """The due date of ``rule`` in a programme ending on ``ends_on``."""
    return programme(ends_on, rule).deadline(rule.name).due_on


class TestRetroactive:
    """Art. 3(4), second sentence: a period counted backwards is not rolled forward."""

    def test_six_days_before_new_year(self) -> None:
        """31 Dec 2025 - 6 days is Christmas: the notice ends on the 24th, not the 26th."""
        rule = DeadlineRule("notice", after="programme.end", days=-6)
        assert pendulum.date(2025, 12, 24) == due(pendulum.date(2025, 12, 31), rule)

    def test_two_weeks_before_a_sunday(self) -> None:
        """31 May 2026 - 2 weeks is Sunday 17 May: Friday 15 May, not Monday 18 May."""
        rule = DeadlineRule("notice", after="programme.end", weeks=-2)
        assert pendulum.date(2026, 5, 15) == due(pendulum.date(2026, 5, 31), rule)

    def test_months_back(self) -> None:
        """A month before 1 March 2026 is Sunday 1 February: Friday 30 January."""
        rule = DeadlineRule("notice", after="programme.end", months=-1)
        assert pendulum.date(2026, 1, 30) == due(pendulum.date(2026, 3, 1), rule)

    def test_forward_periods_still_roll_forward(self) -> None:
        """Art. 3(4), first sentence, is unchanged: 31 Dec 2025 + 3 days is Saturday 3 January,
        so Monday 5 January."""
        rule = DeadlineRule("report", after="programme.end", days=3)
        assert pendulum.date(2026, 1, 5) == due(pendulum.date(2025, 12, 31), rule)

    def test_a_working_day_stays(self) -> None:
        """A retroactive date that is a working day is the due date itself."""
        rule = DeadlineRule("notice", after="programme.end", days=-7)
        assert pendulum.date(2025, 12, 24) == due(pendulum.date(2025, 12, 31), rule)

    def test_retroactive_flag(self) -> None:
        """Only a negative offset is retroactive."""
        assert DeadlineRule("a", after="programme.end", working_days=-2).retroactive
        assert not DeadlineRule("a", after="programme.end", days=2).retroactive
        assert not DeadlineRule("a", after="programme.end").retroactive

    def test_extending_the_end_never_moves_it_earlier(self) -> None:
        """An extension of the programme moves a retroactive deadline later, never earlier."""
        rule = DeadlineRule("notice", after="programme.end", days=-6)
        p = programme(pendulum.date(2025, 12, 31), rule)
        at = pendulum.datetime(2025, 10, 1, 9, tz=TZ)
        extension = p.request_extension(months=1, reason="late visits", at=at)
        p.grant_extension(extension.key, by="funder", at=at.add(days=1))
        # 31 January 2026 - 6 days is Sunday 25 January: Friday 23 January
        assert pendulum.date(2026, 1, 23) == p.deadline("notice").due_on


class TestMonthEnd:
    """Art. 3(2)(c), and month-end anchoring where a rule asks for it."""

    def test_same_day_number_by_default(self) -> None:
        """28 February + 3 months is 28 May (the day of the same number)."""
        rule = DeadlineRule("report", after="programme.end", months=3)
        assert pendulum.date(2025, 5, 28) == due(pendulum.date(2025, 2, 28), rule)

    def test_month_end_anchoring(self) -> None:
        """With month_end, 28 February + 3 months is the end of May (Saturday 31: Monday 2 June)."""
        rule = DeadlineRule("report", after="programme.end", months=3, month_end=True)
        assert pendulum.date(2025, 6, 2) == due(pendulum.date(2025, 2, 28), rule)

    @pytest.mark.parametrize(
        ("kwargs", "problem"),
        [({"days": 3, "month_end": True}, "give months="), ({"months": 3, "month_end": 1}, "True")],
    )
    def test_month_end_needs_months(self, kwargs: dict[str, Any], problem: str) -> None:
        """month_end is for periods in months, and a bool."""
        with pytest.raises(ValidationError) as info:
            DeadlineRule("report", after="programme.end", **kwargs)
        assert "month_end" == info.value.field
        assert problem in str(info.value)

    def test_scenario_file_key(self) -> None:
        """A scenario file's rule may say month_end = true."""
        scenario = parse_scenario(_document(deadlines=[_MONTH_END]))
        (rule,) = scenario.programme.deadlines
        assert rule.month_end


class TestPhaseNames:
    """A deadline named like a phase the lifecycle lacks is refused, not made a milestone."""

    @pytest.mark.parametrize("name", ["study_visit_4", "training_academy"])
    def test_refused(self, name: str) -> None:
        """study_visit_4 (no such phase) would be a milestone no pair meets."""
        from mentorflow import Lifecycle

        lifecycle = Lifecycle.linear("needs_assessment", "matching")
        with pytest.raises(DefinitionError) as info:
            programme(
                pendulum.date(2026, 1, 6),
                DeadlineRule(name, after="programme.start", months=3),
                lifecycle=lifecycle,
            )
        assert "deadlines[0].name" == info.value.field
        assert "named like a phase" in str(info.value)


# -- scenarios ------------------------------------------------------------------------------

_MONTH_END = {"name": "report", "after": "programme.end", "months": 3, "month_end": True}


def _document(
    *, starts_on: str = "2024-08-01", durations: dict[str, str] | None = None, **programme: Any
) -> dict[str, Any]:
    """A scenario document: four Belgian-Latvian pairs, as TOML would give it."""
    import datetime as dt

    return {
        "name": "EU rule",
        "programme": {
            "name": "EU rule",
            "starts_on": dt.date.fromisoformat(starts_on),
            "ends_on": dt.date(2026, 12, 31),
            "timezone": TZ,
            "country": "BE",
            **programme,
        },
        "pairs": [
            {
                "key": f"pair-{i}",
                "theme": "housing",
                "mentor": {"city": f"Mentor {i}", "country": "BE", "association": "VVSG"},
                "mentee": {"city": f"Mentee {i}", "country": "LV", "association": "LALRG"},
            }
            for i in range(4)
        ],
        "durations": durations or {},
        "script": [],
    }


class TestScript:
    """Actions dated before the programme's start."""

    def test_refused_naming_the_action(self) -> None:
        """A year typo is an error naming the action, not an action run on the first day."""
        import datetime as dt

        document = _document()
        document["script"] = [
            {"on": dt.date(2024, 9, 30), "action": "complete", "pair": "*"},
            {"on": dt.date(2023, 10, 30), "action": "complete", "pair": "pair-1"},
        ]
        with pytest.raises(ScenarioError) as info:
            parse_scenario(document, "typo.toml")
        message = str(info.value)
        assert "script[1].on" in message
        assert "'complete pair-1' is dated 2023-10-30, before the programme starts" in message


class TestProjectedDates:
    """Projected completions and visits land on working days of the pair's cities."""

    def test_no_visit_on_a_saturday(self) -> None:
        """1 August 2024 + 6 months is Saturday 1 February 2025: the visit is on Monday."""
        durations = {"needs_assessment": "6 months"}  # matching and visit 1 take no time
        timeline = parse_scenario(_document(durations=durations)).simulate()
        firsts = {v.starts_on for v in timeline.visits if v.number == 1}
        assert {pendulum.date(2025, 2, 3)} == firsts

    def test_no_phase_ends_on_new_year(self) -> None:
        """1 July 2024 + 6 months is 1 January 2025, a holiday: the phase ends on the 2nd."""
        durations = {"needs_assessment": "6 months"}
        timeline = parse_scenario(_document(starts_on="2024-07-01", durations=durations)).simulate()
        ends = {s.ended_on for s in timeline.phases if s.phase == "needs_assessment"}
        assert {pendulum.date(2025, 1, 2)} == ends

    def test_every_projected_end_is_a_working_day(self) -> None:
        """Whatever the durations, every projected phase ends on a working day in BE and LV."""
        durations = {
            "needs_assessment": "3 months",
            "matching": "1 month",
            "study_visit_1": "2 months",
            "study_visit_2": "5 weeks",
            "study_visit_3": "40 days",
            "transfer_workshop": "2 months",
            "training_academy": "3 months",
            "final_review": "1 month",
        }
        timeline = parse_scenario(_document(durations=durations)).simulate()
        calendar = calendar_for(("BE", "LV"))
        ends = [s.ended_on for s in timeline.phases if s.projected and s.ended_on is not None]
        assert 32 == len(ends)
        assert all(calendar.is_working_day(day) for day in ends)


class TestForecast:
    """A milestone never reached is reported as such."""

    def test_never_reached(self) -> None:
        """The final conference no action reaches: never reached, no days late of 0."""
        rules = [{"name": "final_conference", "after": "programme.end", "capped": True}]
        scenario = parse_scenario(
            _document(deadlines=rules, durations={"needs_assessment": "1 month"})
        )
        forecast = montecarlo(scenario, 4, seed=1, workers=1)
        (odds,) = [o for o in forecast.deadlines if o.name == "final_conference"]
        assert (1.0, 1.0, None, None) == (
            odds.miss_probability,
            odds.never_probability,
            odds.days_late_p50,
            odds.days_late_p90,
        )
        (row,) = [r for r in forecast_rows(forecast) if r["name"] == "final_conference"]
        assert ("", 1.0) == (row["days_late_p50"], row["never_probability"])
        (line,) = [x for x in forecast_table(forecast).splitlines() if "final conference" in x]
        assert "100.0% never reached" in line
        assert "0 / 0" not in line
