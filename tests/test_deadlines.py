"""Tests for deadline rules, their computation, their status and the checks that watch them."""

from __future__ import annotations

import pendulum
import pytest

from mentorflow import (
    CalendarBasis,
    DeadlineApproaching,
    DeadlineMissed,
    DeadlineRule,
    DeadlineStatus,
    DefinitionError,
    Event,
    Lifecycle,
    ManualClock,
    MilestoneReached,
    Offset,
    Phase,
    Programme,
    Role,
    Theme,
    Unit,
    ValidationError,
)
from mentorflow._domain.calendar import calendar_for

from helpers import CAPACI, MECHELEN, partner, visit

TZ = "Europe/Brussels"
KICKOFF = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
FUENLABRADA = partner("Fuenlabrada", "ES", "FEMP", "MD")
LIVADIA = partner("Livadia", "GR", "KEDE")


def day(y: int, m: int, d: int, hour: int = 12) -> pendulum.DateTime:
    """An instant on that day in Brussels."""
    return pendulum.datetime(y, m, d, hour, tz=TZ)


def inclucities(*rules: DeadlineRule, **kwargs: object) -> Programme:
    """IncluCities as first planned: 17 June 2020 to 31 December 2022, in Belgium."""
    defaults: dict[str, object] = {
        "starts_on": pendulum.date(2020, 6, 17),
        "ends_on": pendulum.date(2022, 12, 31),
        "timezone": TZ,
        "country": "BE",
        "clock": ManualClock(KICKOFF),
        "deadlines": rules,
    }
    defaults.update(kwargs)
    return Programme("IncluCities", **defaults)  # type: ignore[arg-type]


FINAL = (
    DeadlineRule("final_conference", after="programme.end", capped=True, lead_days=30),
    DeadlineRule("final_report", after="final_conference", days=60),
)


class TestRule:
    """Tests for DeadlineRule."""

    def test_offset(self) -> None:
        """The offset is the one unit given; none means the anchor's own day."""
        assert (
            Offset(amount=-2, unit=Unit.WORKING_DAYS)
            == DeadlineRule("x", after="programme.end", working_days=-2).offset
        )
        assert Offset(amount=0) == DeadlineRule("x", after="programme.end").offset
        assert Offset(amount=0) == DeadlineRule("x", on=pendulum.date(2021, 1, 1)).offset

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({}, "on"),
            ({"on": pendulum.date(2021, 1, 1), "after": "programme.end"}, "on"),
            ({"on": pendulum.date(2021, 1, 1), "days": 3}, "days"),
            ({"after": "programme.end", "days": 3, "weeks": 1}, "weeks"),
            ({"after": "programme.end", "days": 1.5}, "days"),
            ({"after": "programme.end", "lead_days": -1}, "lead_days"),
            ({"after": "programme.end", "calendar": "moon"}, "calendar"),
            ({"on": "2021-01-01"}, "on"),
            ({"after": ""}, "after"),
        ],
    )
    def test_bad_rules(self, kwargs: dict[str, object], field: str) -> None:
        """A malformed rule names the field."""
        with pytest.raises(ValidationError) as info:
            DeadlineRule("x", **kwargs)  # type: ignore[arg-type]
        assert field == info.value.field


class TestSchedule:
    """The rules of a programme are validated as a dependency graph."""

    @pytest.mark.parametrize(
        ("rules", "field", "message"),
        [
            (
                [DeadlineRule("a", after="b", days=1), DeadlineRule("b", after="a", days=1)],
                "deadlines[0].after",
                "a -> b -> a",
            ),
            (
                [DeadlineRule("report", after="conference", days=60)],
                "deadlines[0].after",
                "'conference' (report) is not",
            ),
            (
                [DeadlineRule("report", after="matching.completed", days=60)],
                "deadlines[0].after",
                "milestone 'report' can't depend on 'matching.completed'",
            ),
            (
                [
                    DeadlineRule("a", after="programme.end"),
                    DeadlineRule("a", on=pendulum.date(2021, 1, 1)),
                ],
                "deadlines[1].name",
                "duplicate",
            ),
            (
                [DeadlineRule("Final Report", after="programme.end")],
                "deadlines[0].name",
                "lower_snake",
            ),
            (
                [DeadlineRule("matching", after="pilot.completed")],
                "deadlines[0].after",
                "'pilot.completed' (matching) is not",
            ),
            (
                [
                    DeadlineRule("matching", after="study_visit_1.started", days=1),
                    DeadlineRule("needs_assessment", after="matching.completed", days=1),
                ],
                "deadlines",
                "depend on themselves",
            ),
        ],
    )
    def test_errors(self, rules: list[DeadlineRule], field: str, message: str) -> None:
        """Cycles, unknown anchors, misplaced anchors and duplicates name the rule."""
        with pytest.raises(DefinitionError) as info:
            inclucities(*rules)
        assert info.value.field.startswith(field)
        assert message in info.value.problem

    def test_not_a_rule(self) -> None:
        """Something that is not a DeadlineRule names its index."""
        with pytest.raises(DefinitionError, match=r"deadlines\[0\]: must be a DeadlineRule"):
            inclucities("final_report")  # type: ignore[arg-type]

    def test_no_rules_no_deadlines(self) -> None:
        """Without rules there are no deadlines, and a check emits nothing."""
        programme = inclucities()
        assert programme.deadlines() == ()
        assert programme.check_deadlines(at=day(2030, 1, 1)) == ()
        with pytest.raises(ValidationError, match="no deadline rules"):
            programme.deadline("final_report")


class TestIncluCities:
    """The reference case: final conference capped at the end, final report 60 days later."""

    def test_planned_dates(self) -> None:
        """31 Dec 2022 is a Saturday: the conference is due Friday 30th; the report 60 days on."""
        programme = inclucities(*FINAL)
        conference, report = programme.deadlines()
        assert ("final_conference", pendulum.date(2022, 12, 30)) == (
            conference.name,
            conference.due_on,
        )
        assert ("final_report", pendulum.date(2023, 2, 28)) == (report.name, report.due_on)
        assert pendulum.datetime(2022, 12, 30, 23, 59, 59, 999999, tz=TZ) == conference.due_at

    def test_reached_milestone_anchors_its_dependents(self) -> None:
        """Once the conference is held, the report counts from the day it was held."""
        programme = inclucities(*FINAL)
        programme.reach_milestone("final_conference", at=day(2022, 12, 15))
        report = programme.deadline("final_report")
        assert pendulum.date(2023, 2, 13) == report.due_on
        assert [(pendulum.date(2023, 2, 28), None)] == [
            (r.previous, r.extension) for r in report.revisions
        ]
        assert DeadlineStatus.MET_ON_TIME is programme.deadline("final_conference").status(
            day(2023, 1, 1)
        )

    def test_reach_twice_or_unknown(self) -> None:
        """A milestone is reached once; unknown names are refused."""
        programme = inclucities(*FINAL)
        (event,) = [programme.reach_milestone("final_conference", at=day(2022, 12, 15))]
        assert isinstance(event, MilestoneReached)
        with pytest.raises(ValidationError, match="already reached"):
            programme.reach_milestone("final_conference", at=day(2022, 12, 16))
        with pytest.raises(ValidationError, match="not a milestone"):
            programme.reach_milestone("kick_off")


class TestPhaseDeadlines:
    """Deadlines of phases, per pair."""

    RULES = (
        DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", months=3, lead_days=14),
        DeadlineRule(Phase.MATCHING, after="needs_assessment.completed", weeks=6),
        DeadlineRule(Phase.STUDY_VISIT_1, after="study_visit_1.started", months=6, capped=True),
    )

    def programme(self) -> Programme:
        programme = inclucities(*self.RULES)
        programme.add_pair(
            "fuenlabrada-livadia",
            mentor=FUENLABRADA,
            mentee=LIVADIA,
            theme=Theme.EDUCATION_AND_TRAINING,
            at=KICKOFF,
        )
        return programme

    def test_projected_from_unfinished_phases(self) -> None:
        """A phase not yet completed projects its dependents from its own deadline."""
        programme = self.programme()
        needs, matching, visit_1 = programme.deadlines(pair="fuenlabrada-livadia")
        assert pendulum.date(2020, 9, 17) == needs.due_on
        assert pendulum.date(2020, 10, 29) == matching.due_on
        assert pendulum.date(2021, 4, 29) == visit_1.due_on

    def test_actual_completion_replaces_the_projection(self) -> None:
        """Completing a phase early moves its dependents, as progress (no extension)."""
        programme = self.programme()
        pair = programme.pair("fuenlabrada-livadia")
        pair.complete(Phase.NEEDS_ASSESSMENT, at=day(2020, 9, 1))
        needs, matching, _ = programme.deadlines(pair=pair.key)
        assert DeadlineStatus.MET_ON_TIME is needs.status(day(2020, 9, 2))
        assert pendulum.date(2020, 10, 13) == matching.due_on
        assert tuple(r.extension for r in matching.revisions) == (None,)

    def test_pair_calendar_uses_both_cities(self) -> None:
        """A phase deadline on a holiday of either city moves to the next working day."""
        programme = inclucities(
            DeadlineRule(Phase.NEEDS_ASSESSMENT, on=pendulum.date(2021, 5, 2)),  # Sunday
            DeadlineRule(Phase.MATCHING, on=pendulum.date(2021, 5, 3)),  # Monday
        )
        pair = programme.add_pair(
            "p", mentor=FUENLABRADA, mentee=LIVADIA, theme=Theme.HOUSING, at=KICKOFF
        )
        # ES-MD: Madrid Day fell on Sunday 2 May 2021 and moved to Monday 3 May;
        # GR: Orthodox Easter Monday on 3 May and Labour Day observed on Tuesday 4 May.
        needs, matching = programme.deadlines(pair=pair.key)
        assert pendulum.date(2021, 5, 5) == needs.due_on
        assert pendulum.date(2021, 5, 5) == matching.due_on
        madrid_only = calendar_for(("ES-MD",))
        assert pendulum.date(2021, 5, 4) == madrid_only.roll_forward(pendulum.date(2021, 5, 2))

    def test_programme_calendar(self) -> None:
        """A phase rule can count the programme's working days instead."""
        programme = inclucities(
            DeadlineRule(
                Phase.NEEDS_ASSESSMENT,
                on=pendulum.date(2021, 5, 3),
                calendar=CalendarBasis.PROGRAMME,
            ),
        )
        programme.add_pair("p", mentor=FUENLABRADA, mentee=LIVADIA, theme=Theme.HOUSING, at=KICKOFF)
        assert (
            pendulum.date(2021, 5, 3) == programme.deadline(Phase.NEEDS_ASSESSMENT, pair="p").due_on
        )

    def test_host_calendar(self) -> None:
        """HOST counts the working days of the city hosting the visit once it is recorded."""
        lifecycle = Lifecycle.linear(Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2)
        rule = DeadlineRule(
            Phase.STUDY_VISIT_2, on=pendulum.date(2022, 7, 15), calendar=CalendarBasis.HOST
        )
        programme = inclucities(rule, lifecycle=lifecycle)
        pair = programme.add_pair(
            "p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=KICKOFF
        )
        # before the visit: the mentee (Capaci, IT-PA: Saint Rosalia on 15 July)
        assert (
            pendulum.date(2022, 7, 18) == programme.deadline(Phase.STUDY_VISIT_2, pair="p").due_on
        )
        pair.record_visit(visit(1, day(2021, 5, 12), Role.MENTEE), at=day(2021, 5, 12))
        pair.complete(Phase.STUDY_VISIT_1, at=day(2021, 5, 12))
        pair.record_visit(visit(2, day(2021, 10, 20), Role.MENTOR), at=day(2021, 10, 20))
        # hosted by the mentor (Mechelen, BE): 15 July is a working day there
        assert (
            pendulum.date(2022, 7, 15) == programme.deadline(Phase.STUDY_VISIT_2, pair="p").due_on
        )

    def test_pending_without_a_date(self) -> None:
        """A deadline counted from a phase with no deadline of its own waits for it."""
        programme = inclucities(
            DeadlineRule(Phase.MATCHING, after="needs_assessment.completed", weeks=6)
        )
        pair = programme.add_pair(
            "p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=KICKOFF
        )
        matching = programme.deadline(Phase.MATCHING, pair="p")
        assert (matching.due_on, matching.status(day(2030, 1, 1))) == (None, DeadlineStatus.PENDING)
        pair.complete(Phase.NEEDS_ASSESSMENT, at=day(2020, 9, 1))
        assert pendulum.date(2020, 10, 13) == programme.deadline(Phase.MATCHING, pair="p").due_on

    def test_unknown_names(self) -> None:
        """Asking for a deadline that doesn't exist is a ValidationError or UnknownPairError."""
        from mentorflow import UnknownPairError

        programme = self.programme()
        with pytest.raises(ValidationError, match="not a phase with a deadline"):
            programme.deadline(Phase.FINAL_REVIEW, pair="fuenlabrada-livadia")
        with pytest.raises(UnknownPairError):
            programme.deadline(Phase.MATCHING, pair="nobody")


class TestStatus:
    """Tests for Deadline.status and days_late."""

    def test_lifecycle_of_a_status(self) -> None:
        """Upcoming, due soon inside the lead time, overdue after its day, then met late."""
        programme = TestPhaseDeadlines().programme()
        pair = programme.pair("fuenlabrada-livadia")
        needs = programme.deadline(Phase.NEEDS_ASSESSMENT, pair=pair.key)  # 17 Sep 2020, 14 days
        assert DeadlineStatus.UPCOMING is needs.status(day(2020, 9, 2, 23))
        assert DeadlineStatus.DUE_SOON is needs.status(day(2020, 9, 3, 0))
        assert DeadlineStatus.DUE_SOON is needs.status(
            pendulum.datetime(2020, 9, 17, 23, 59, tz=TZ)
        )
        assert DeadlineStatus.OVERDUE is needs.status(day(2020, 9, 18, 0))
        pair.complete(Phase.NEEDS_ASSESSMENT, at=day(2020, 9, 21))
        needs = programme.deadline(Phase.NEEDS_ASSESSMENT, pair=pair.key)
        assert (needs.status(day(2020, 9, 22)), needs.days_late) == (DeadlineStatus.MET_LATE, 4)
        # before it was met, it was overdue
        assert DeadlineStatus.OVERDUE is needs.status(day(2020, 9, 20))

    def test_end_of_day_in_programme_timezone(self) -> None:
        """A deadline ends at the end of its day in the programme's timezone, not UTC."""
        programme = inclucities(*FINAL)
        conference = programme.deadline("final_conference")
        late_evening_utc = pendulum.datetime(2022, 12, 30, 22, 30, tz="UTC")  # 23:30 Brussels
        assert DeadlineStatus.DUE_SOON is conference.status(late_evening_utc.in_tz(TZ))
        assert DeadlineStatus.OVERDUE is conference.status(
            pendulum.datetime(2022, 12, 30, 23, 0, 1, tz="UTC").in_tz(TZ)
        )


class TestCheck:
    """Tests for Programme.check_deadlines."""

    def test_alerts_once_per_revision(self) -> None:
        """Approaching and missed are each emitted once, however often the check runs."""
        programme = TestPhaseDeadlines().programme()
        seen: list[Event] = []
        programme.subscribe(Event, seen.append)
        assert programme.check_deadlines(at=day(2020, 9, 1)) == ()
        (approaching,) = programme.check_deadlines(at=day(2020, 9, 3))
        assert isinstance(approaching, DeadlineApproaching)
        assert ("needs_assessment", "fuenlabrada-livadia", pendulum.date(2020, 9, 17), 0) == (
            approaching.deadline,
            approaching.pair,
            approaching.due_on,
            approaching.revision,
        )
        assert programme.check_deadlines(at=day(2020, 9, 10)) == ()
        (missed,) = programme.check_deadlines(at=day(2020, 9, 18))
        assert isinstance(missed, DeadlineMissed)
        assert programme.check_deadlines(at=day(2020, 9, 19)) == ()
        assert [approaching, missed] == seen
        assert [approaching, missed] == list(programme.history)[-2:]
        assert approaching not in programme.pair("fuenlabrada-livadia").history

    def test_missed_without_warning_first(self) -> None:
        """A check after the due day reports the miss only (no stale warning)."""
        programme = TestPhaseDeadlines().programme()
        events = programme.check_deadlines(at=day(2020, 9, 30))
        assert [DeadlineMissed] == [type(e) for e in events]

    def test_no_alert_for_met_deadlines(self) -> None:
        """A deadline met in time raises no alert."""
        programme = TestPhaseDeadlines().programme()
        programme.pair("fuenlabrada-livadia").complete(Phase.NEEDS_ASSESSMENT, at=day(2020, 9, 1))
        events = programme.check_deadlines(at=day(2020, 10, 1))
        assert [e for e in events if getattr(e, "deadline", None) == "needs_assessment"] == []

    def test_withdrawn_pairs_are_not_watched(self) -> None:
        """A withdrawn pair's deadlines raise no alerts."""
        programme = TestPhaseDeadlines().programme()
        programme.pair("fuenlabrada-livadia").withdraw(at=day(2020, 7, 1))
        assert programme.check_deadlines(at=day(2021, 12, 1)) == ()
        assert programme.deadline(Phase.NEEDS_ASSESSMENT, pair="fuenlabrada-livadia").withdrawn

    def test_milestones_alert(self) -> None:
        """Programme milestones alert too, with no pair."""
        programme = inclucities(*FINAL)
        events = programme.check_deadlines(at=day(2022, 12, 1))
        assert [(e.deadline, e.pair) for e in events] == [("final_conference", None)]  # type: ignore[attr-defined]

    def test_check_uses_the_clock(self) -> None:
        """Without ``at`` the programme's clock says when."""
        clock = ManualClock(KICKOFF)
        programme = inclucities(*FINAL, clock=clock)
        clock.set(day(2023, 1, 2))
        assert [DeadlineMissed] == [type(e) for e in programme.check_deadlines()]


def test_milestones_count_programme_days() -> None:
    """A milestone has no pair: a pair or host calendar on it is a definition error."""
    with pytest.raises(DefinitionError) as info:
        inclucities(DeadlineRule("final_report", after="programme.end", calendar="pair"))
    assert "deadlines[0].calendar" == info.value.field


def test_status_counts_days_in_the_programme_timezone() -> None:
    """'Due soon' starts at the start of a day in the programme's zone, whatever ``at``'s zone;
    status and check agree."""
    programme = inclucities(DeadlineRule("report", on=pendulum.date(2020, 9, 30), lead_days=14))
    report = programme.deadline("report")
    at = pendulum.datetime(2020, 9, 15, 22, 30, tz="UTC")  # 16 Sep, 00:30 in Brussels
    assert DeadlineStatus.DUE_SOON is report.status(at)
    assert [DeadlineApproaching] == [type(e) for e in programme.check_deadlines(at=at)]
    earlier_at = pendulum.datetime(2020, 9, 15, 21, 30, tz="UTC")  # 15 Sep, 23:30 in Brussels
    assert DeadlineStatus.UPCOMING is report.status(earlier_at)
