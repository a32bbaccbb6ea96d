"""Tests for scenarios: simulation on the real engine, TOML files, comparison, text exports."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import given, settings

from mentorflow import (
    Activity,
    DeadlineStatus,
    Deliverable,
    Offset,
    Phase,
    Role,
    StudyVisit,
    Unit,
)
from mentorflow._domain.calendar import add_months
from mentorflow._render import exports as x
from mentorflow._simulation import inclucities as _inclucities
from mentorflow._simulation.compare import compare
from mentorflow._simulation.scenario import Action, PairSpec, ProgrammeSpec, Scenario, VisitPlan
from mentorflow._simulation.scenario_file import load_scenario, parse_scenario, shipped
from mentorflow.exceptions import ScenarioError
from mentorflow.testing import scenarios


def _activity(
    name: str, kind: str, days: tuple[str, str], mode: str, place: str | None = None
) -> Activity:
    d = pendulum.Date
    first, last = (d.fromisoformat(x) for x in days)  # type: ignore[attr-defined]
    return Activity(name=name, kind=kind, starts_on=first, ends_on=last, mode=mode, place=place)


_ROUNDS: dict[int, tuple[str, str, list[tuple[str, str, str, str]]]] = {
    # number: (host, mode, [(pair, first day, last day, source)])
    1: (
        "mentee",
        "online",
        [
            ("brussels-saint-jean", "2021-05-03", "2021-05-04", "record"),
            (
                "schaerbeek-jelgava",
                "2021-05-12",
                "2021-05-14",
                "record: 12 and 14 May; 13 May, Ascension, is a holiday in BE",
            ),
            ("fuenlabrada-livadia", "2021-05-18", "2021-05-21", "record: 18, 19 and 21 May"),
            (
                "mechelen-capaci",
                "2021-05-26",
                "2021-05-27",
                "illustrative: round 1 was completed by the end of May 2021",
            ),
        ],
    ),
    2: (
        "mentor",
        "in_person",
        [
            (
                "mechelen-capaci",
                "2021-10-04",
                "2021-10-06",
                "record: the days; illustrative: the host",
            ),
            (
                "schaerbeek-jelgava",
                "2021-10-19",
                "2021-10-19",
                "record: Jelgava's delegation in Schaerbeek",
            ),
            (
                "brussels-saint-jean",
                "2021-11-08",
                "2021-11-10",
                "illustrative: round 2 was held in Oct-Nov 2021",
            ),
            (
                "fuenlabrada-livadia",
                "2021-11-15",
                "2021-11-17",
                "illustrative: round 2 was held in Oct-Nov 2021",
            ),
        ],
    ),
    3: (
        "mentee",
        "in_person",
        [
            (
                "brussels-saint-jean",
                "2022-04-24",
                "2022-04-26",
                "record: in Saint-Jean-de-la-Ruelle",
            ),
            (
                "mechelen-capaci",
                "2022-05-10",
                "2022-05-12",
                "illustrative: round 3 was held in Apr-May 2022",
            ),
            (
                "fuenlabrada-livadia",
                "2022-05-17",
                "2022-05-19",
                "illustrative: round 3 was held in Apr-May 2022",
            ),
            ("schaerbeek-jelgava", "2022-05-23", "2022-05-25", "record: in Jelgava"),
        ],
    ),
}


def inclucities_in_python(*, extended: bool = True) -> Scenario:
    """The shipped IncluCities scenario (per pair, from the public record), written in Python
    instead of TOML."""
    d = pendulum.Date.fromisoformat  # type: ignore[attr-defined]
    every = "*"
    script: list[Action] = []

    def add(on: str, action: str, note: str, **kwargs: Any) -> None:
        script.append(Action(on=d(on), action=action, note=note, **kwargs))

    def visits(number: int) -> None:
        host, mode, rows = _ROUNDS[number]
        for pair, first, last, source in rows:
            name = {
                1: "round 1, online",
                2: "round 2, in person",
                3: "round 3, hosted by the mentee",
            }
            visit = StudyVisit(
                number=number, host=host, mode=mode, starts_on=d(first), ends_on=d(last)
            )
            if (number, pair) == (2, "brussels-saint-jean"):  # between the days of round 2
                add(
                    "2021-10-20",
                    "activity",
                    "third steering committee, Brussels and online (record)",
                    activity=_activity(
                        "Third steering committee",
                        "steering_committee",
                        ("2021-10-20", "2021-10-20"),
                        "hybrid",
                        "Brussels",
                    ),
                )
            add(last, "visit", f"{name[number]} ({source})", pair=pair, visit=visit)
            if number == 1:
                add(
                    last,
                    "complete",
                    "round 1 done (record-month: completed by the end of May 2021)",
                    pair=pair,
                    phase="study_visit_1",
                )
            if number == 3:
                add(
                    last,
                    "deliverable",
                    "action plan (illustrative)",
                    pair=pair,
                    deliverable=Deliverable.ACTION_PLAN,
                )
                add(
                    last,
                    "complete",
                    "round 3 done (illustrative: on the visit's last day)",
                    pair=pair,
                    phase="study_visit_3",
                )

    add(
        "2020-06-17",
        "activity",
        "virtual kick-off and pairing (record)",
        activity=_activity(
            "Virtual kick-off and pairing",
            "transnational_meeting",
            ("2020-06-17", "2020-06-17"),
            "online",
        ),
    )
    add(
        "2020-09-15",
        "replace_partner",
        "Partinico replaced by Capaci (record: the replacement; illustrative: the day)",
        pair="mechelen-capaci",
        role=Role.MENTEE,
        partner=_inclucities.CAPACI,
    )
    add(
        "2020-09-30",
        "complete",
        "needs assessed (illustrative)",
        pair=every,
        phase="needs_assessment",
    )
    add(
        "2020-10-30",
        "complete",
        "benchmarks and key factors defined (record-month)",
        pair=every,
        phase="matching",
    )
    add(
        "2020-12-10",
        "activity",
        "online mentoring training (record-month)",
        activity=_activity(
            "Online mentoring training", "training", ("2020-12-10", "2020-12-10"), "online"
        ),
    )
    visits(1)
    visits(2)
    add(
        "2021-11-30",
        "complete",
        "round 2 done (record-month: completed by the end of November 2021)",
        pair=every,
        phase="study_visit_2",
    )
    workshops = "illustrative: the workshops ran Dec 2021 - Feb 2022"
    for pair, day, source in (
        ("schaerbeek-jelgava", "2021-12-10", "record"),
        ("brussels-saint-jean", "2022-01-20", workshops),
        ("mechelen-capaci", "2022-02-10", workshops),
        ("fuenlabrada-livadia", "2022-02-17", workshops),
    ):
        add(
            day,
            "complete",
            f"transfer knowledge workshop ({source})",
            pair=pair,
            phase="transfer_workshop",
        )
    add(
        "2022-02-24",
        "activity",
        "transversal workshops (record-month; the mode is illustrative)",
        activity=_activity(
            "Transversal workshops", "workshop", ("2022-02-24", "2022-02-24"), "online"
        ),
    )
    visits(3)
    if extended:
        add(
            "2022-09-15",
            "request_extension",
            "request (record: an extension of three months; illustrative: the day)",
            offset=Offset(amount=3, unit=Unit.MONTHS),
            reason="Covid-19 moved the first study visits online and delayed the programme",
        )
        add(
            "2022-10-20",
            "grant_extension",
            "granted (record: granted; illustrative: the day)",
            by="European Commission",
        )
    for pair, day, what, association in (
        ("fuenlabrada-livadia", "2022-11-11", "training academy, Madrid, 10-11 November", "FEMP"),
        (
            "brussels-saint-jean",
            "2022-12-08",
            "training academy, Brussels, 7-8 December",
            "Brulocalis",
        ),
        (
            "schaerbeek-jelgava",
            "2022-12-08",
            "training academy, Brussels, 7-8 December",
            "Brulocalis",
        ),
        ("mechelen-capaci", "2022-12-15", "training academy, Mechelen, 15 December", "VVSG"),
    ):
        add(
            day,
            "deliverable",
            "one-stop-shop shown (illustrative: on the academy's day)",
            pair=pair,
            deliverable=Deliverable.ONE_STOP_SHOP,
        )
        add(
            day,
            "complete",
            f"{what} (record; the pair is inferred ({association}))",
            pair=pair,
            phase="training_academy",
        )
    add(
        "2023-03-29",
        "activity",
        "final conference, Brussels, 28-29 March 2023 (record)",
        activity=_activity(
            "Final conference",
            "final_conference",
            ("2023-03-28", "2023-03-29"),
            "in_person",
            "Brussels",
        ),
        milestone="final_conference",
    )
    add(
        "2023-03-29",
        "complete",
        "final review (illustrative: at the final conference)",
        pair=every,
        phase="final_review",
    )
    add("2023-05-26", "milestone", "final report (illustrative)", milestone="final_report")
    durations = {
        "needs_assessment": 3,
        "matching": 1,
        "study_visit_1": 7,
        "study_visit_2": 5,
        "transfer_workshop": 2,
        "study_visit_3": 4,
        "training_academy": 5,
        "final_review": 1,
    }
    return Scenario(
        name="IncluCities 2020-2023, as it happened",
        programme=ProgrammeSpec(
            name="IncluCities",
            starts_on=pendulum.date(2020, 6, 17),
            ends_on=pendulum.date(2022, 12, 31),
            timezone="Europe/Brussels",
            country="BE",
            coordinator="CEMR",
            funding_reference="AMIF-2018-AG-INTE no. 863770",
            lifecycle=_inclucities.LIFECYCLE,
            deadlines=_inclucities.DEADLINES,
        ),
        pairs=tuple(
            PairSpec(key=key, mentor=mentor, mentee=mentee, theme=theme, topic=topic)
            for key, (mentor, mentee, theme, topic) in _inclucities.PAIRS.items()
        ),
        durations={k: Offset(amount=n, unit=Unit.MONTHS) for k, n in durations.items()},
        script=tuple(script),
        visits=(
            VisitPlan(number=1, days=2, mode="online", host="mentee"),
            VisitPlan(number=2, days=3, mode="in_person", host="mentor"),
            VisitPlan(number=3, days=3, mode="in_person", host="mentee"),
        ),
    )


class TestInclucities:
    """The shipped IncluCities scenarios."""

    def test_python_and_toml_agree(self) -> None:
        """The scenario written in Python and in TOML is the same, and so is its timeline."""
        from_file = load_scenario("inclucities")
        assert inclucities_in_python() == from_file
        assert inclucities_in_python().simulate() == from_file.simulate()

    def test_as_it_happened(self) -> None:
        """Extended to 31 March 2023, every deadline met, no breach, nothing projected."""
        timeline = load_scenario("inclucities").simulate()
        assert (pendulum.date(2023, 3, 31), pendulum.date(2022, 12, 31)) == (
            timeline.ends_on,
            timeline.original_ends_on,
        )
        assert () == timeline.missed
        assert (0, None) == (timeline.breach_days, timeline.smallest_extension)
        assert not any(span.projected for span in timeline.phases)
        assert 32 == len(timeline.phases)  # 4 pairs x 8 phases
        assert 12 == len(timeline.visits)
        assert () == timeline.refusals

    def test_without_the_extension(self) -> None:
        """Without it, the final conference and reviews are 89 days late: three months needed."""
        timeline = load_scenario("inclucities-without-extension").simulate()
        assert 88 == timeline.breach_days
        assert Offset(amount=3, unit=Unit.MONTHS) == timeline.smallest_extension
        missed = {(d.name, d.pair): d.days_late for d in timeline.missed}
        assert 89 == missed[("final_conference", None)]
        assert {89} == {missed[(Phase.FINAL_REVIEW, k)] for k in _inclucities.PAIRS}

    def test_comparison(self) -> None:
        """Comparing the two: the end moves 90 days earlier and five deadlines become missed."""
        result = compare(
            load_scenario("inclucities").simulate(),
            load_scenario("inclucities-without-extension").simulate(),
        )
        assert -90 == result.end_change_days
        assert 88 == result.breach_change_days
        assert 5 == len(result.newly_missed)
        (end,) = [s for s in result.slips if s.milestone == "programme end"]
        assert (-90, pendulum.date(2023, 3, 31)) == (end.days, end.baseline)


class TestSimulation:
    """Projection from the planned durations, delays, suspensions and what-ifs."""

    def scenario(self, *actions: Action) -> Scenario:
        base = inclucities_in_python()
        return Scenario(
            name="what if",
            programme=base.programme,
            pairs=base.pairs[:1],
            durations=base.durations,
            script=tuple(actions),
        )

    def test_projects_every_phase(self) -> None:
        """With no script, each phase takes its planned duration, visits and deliverables
        recorded on the way; the projection follows the real rules."""
        timeline = self.scenario().simulate()
        spans = [(s.phase, s.started_on, s.ended_on) for s in timeline.phases]
        assert (
            Phase.NEEDS_ASSESSMENT,
            pendulum.date(2020, 6, 17),
            pendulum.date(2020, 9, 17),
        ) == spans[0]
        assert all(s.projected for s in timeline.phases)
        assert [1, 2, 3] == [v.number for v in timeline.visits]
        assert [Role.MENTEE, Role.MENTOR, Role.MENTEE] != [
            v.host for v in timeline.visits
        ]  # hosts are city names
        assert ["Saint-Jean-de-la-Ruelle", "Saint-Jean-de-la-Ruelle", "City of Brussels"] == [
            v.host for v in timeline.visits
        ]
        assert 8 == len(timeline.phases)

    def test_visits_slip_four_months(self) -> None:
        """What if study visit 1 slips by four months? Everything after moves with it."""
        plain = self.scenario().simulate()
        slipped = self.scenario(
            Action(
                on=pendulum.date(2020, 11, 1),
                action="delay",
                pair="brussels-saint-jean",
                phase="study_visit_1",
                offset=Offset(amount=4, unit=Unit.MONTHS),
            )
        ).simulate()
        before = {s.phase: s.ended_on for s in plain.phases}
        after = {s.phase: s.ended_on for s in slipped.phases}
        assert after[Phase.MATCHING] == before[Phase.MATCHING]
        assert all(
            after[p] > before[p]  # type: ignore[operator]
            for p in (Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2, Phase.FINAL_REVIEW)
        )
        assert slipped.completed_on > plain.completed_on  # type: ignore[operator]

    def test_suspension_pushes_the_phase(self) -> None:
        """A phase suspended for a month ends a month later."""
        plain = self.scenario().simulate()
        paused = self.scenario(
            Action(on=pendulum.date(2020, 7, 1), action="suspend", pair="brussels-saint-jean"),
            Action(on=pendulum.date(2020, 8, 1), action="resume", pair="brussels-saint-jean"),
        ).simulate()
        assert 31 == (paused.phases[0].ended_on - plain.phases[0].ended_on).days  # type: ignore[operator]

    def test_no_projection_while_suspended(self) -> None:
        """A pair suspended past its planned end is not completed until it resumes."""
        timeline = self.scenario(
            Action(on=pendulum.date(2020, 9, 1), action="suspend", pair="brussels-saint-jean"),
            Action(on=pendulum.date(2020, 12, 1), action="resume", pair="brussels-saint-jean"),
        ).simulate()
        assert () == timeline.refusals
        assert pendulum.date(2020, 12, 17) == timeline.phases[0].ended_on  # 17 Sep + 91 days

    def test_a_refused_completion_falls_back_to_the_plan(self) -> None:
        """A scripted completion the rules refuse is reported, and the plan completes the phase
        instead: the pair is not stranded."""
        plain = self.scenario().simulate()
        timeline = self.scenario(
            Action(
                on=pendulum.date(2020, 7, 1),
                action="complete",
                pair="brussels-saint-jean",
                phase="matching",
            ),
        ).simulate()
        assert 1 == len(timeline.refusals)
        assert plain.phases == timeline.phases
        assert () == timeline.unfinished

    def test_delays_that_change_nothing_are_said(self) -> None:
        """A delay of a phase the script completes, or one already over, is reported."""
        timeline = self.scenario(
            Action(
                on=pendulum.date(2020, 9, 30),
                action="complete",
                pair="brussels-saint-jean",
                phase="needs_assessment",
            ),
            Action(
                on=pendulum.date(2020, 8, 1),
                action="delay",
                pair="brussels-saint-jean",
                phase="needs_assessment",
                offset=Offset(amount=1, unit=Unit.MONTHS),
            ),
            Action(
                on=pendulum.date(2021, 12, 1),
                action="delay",
                pair="brussels-saint-jean",
                phase="matching",
                offset=Offset(amount=1, unit=Unit.MONTHS),
            ),
        ).simulate()
        assert 2 == len(timeline.refusals)
        assert "the script completes needs_assessment itself" in timeline.refusals[0]
        assert "matching is over already" in timeline.refusals[1]

    def test_suspended_for_good_is_unfinished(self) -> None:
        """A pair suspended and never resumed is unfinished, not withdrawn."""
        timeline = self.scenario(
            Action(on=pendulum.date(2020, 7, 1), action="suspend", pair="brussels-saint-jean"),
        ).simulate()
        assert ("brussels-saint-jean",) == timeline.unfinished
        assert "suspended" == timeline.phases[-1].status

    def test_refused_actions_are_reported(self) -> None:
        """A scripted action the rules refuse is reported, not fatal."""
        timeline = self.scenario(
            Action(
                on=pendulum.date(2020, 7, 1),
                action="complete",
                pair="brussels-saint-jean",
                phase="final_review",
            ),
        ).simulate()
        assert 1 == len(timeline.refusals)
        assert "wrong-phase" in timeline.refusals[0]

    def test_withdrawal(self) -> None:
        """A pair that withdraws stops; its open phase has no end."""
        timeline = self.scenario(
            Action(on=pendulum.date(2020, 12, 1), action="withdraw", pair="brussels-saint-jean"),
        ).simulate()
        assert (None, Phase.STUDY_VISIT_1) == (
            timeline.phases[-1].ended_on,
            timeline.phases[-1].phase,
        )
        assert timeline.completed_on is None

    def test_refused_extension(self) -> None:
        """A refused extension moves nothing."""
        timeline = self.scenario(
            Action(
                on=pendulum.date(2022, 6, 1),
                action="request_extension",
                offset=Offset(amount=3, unit=Unit.MONTHS),
            ),
            Action(on=pendulum.date(2022, 6, 20), action="refuse_extension", by="REA", reason="no"),
        ).simulate()
        assert pendulum.date(2022, 12, 31) == timeline.ends_on
        assert "refused" == timeline.extensions[0].status.value

    def test_deadline_statuses_come_from_the_engine(self) -> None:
        """Projected completions meet or miss deadlines by the engine's own rules."""
        timeline = self.scenario().simulate()
        conference = next(d for d in timeline.deadlines if d.name == "final_conference")
        assert DeadlineStatus.OVERDUE is conference.status  # nobody reached the milestone


class TestFiles:
    """Scenario files: errors name the file and the key."""

    @pytest.mark.parametrize(
        ("change", "where", "problem"),
        [
            (lambda d: d.pop("name"), "name", "is missing"),
            (
                lambda d: d["programme"].update(starts_on="2020-06-17"),
                "programme.starts_on",
                "must be a date",
            ),
            (
                lambda d: d["programme"].update(lifecycle=["matching", "matching"]),
                "programme.lifecycle.steps[1].phase",
                "duplicate",
            ),
            (
                lambda d: d["partners"]["livadia"].update(country="XX"),
                "partners.livadia.country",
                "no calendar for 'XX'",
            ),
            (
                lambda d: d["pairs"][0].update(theme="Culture"),
                "pairs[0].theme",
                "'Culture' is not a theme",
            ),
            (
                lambda d: d["durations"].update(matching="a while"),
                "durations.matching",
                "is not an amount",
            ),
            (
                lambda d: d["script"][3].update(action="celebrate"),
                "script[3].action",
                "'celebrate' is not one of",
            ),
            (
                lambda d: d["script"][5]["visit"].update(number=0),
                "script[5].visit.number",
                "positive whole number",
            ),
            (
                lambda d: d["script"][1].update(pair="nobody"),
                "script[1].pair",
                "'nobody' is not a pair",
            ),
            (
                lambda d: d["programme"]["deadlines"][1].update(after="conference"),
                "programme.deadlines[1].after",
                "is not programme.start",
            ),
            (lambda d: d.update(colour="red"), "colour", "unknown key"),
            (
                lambda d: d["script"][2].update(phase="matchin"),
                "script[2].phase",
                "'matchin' is not a phase",
            ),
            (
                lambda d: d["pairs"][1].update(key="brussels-saint-jean"),
                "pairs[1].key",
                "duplicate",
            ),
            (lambda d: d["script"][1].pop("partner"), "script[1].partner", "needs partner"),
            (
                lambda d: d["script"][36].update(offset="-2 months"),
                "script[36].offset",
                "an extension is some",
            ),
        ],
    )
    def test_errors_name_the_key(self, change: object, where: str, problem: str) -> None:
        import tomllib

        document = tomllib.loads(shipped()["inclucities"].read_text())
        change(document)  # type: ignore[operator]
        with pytest.raises(ScenarioError) as info:
            parse_scenario(document, "inclucities.toml")
        assert f"inclucities.toml: {where}" == info.value.field, info.value
        assert problem in info.value.problem

    def test_syntax_error_names_the_line(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.toml"
        bad.write_text('name = "x"\n[programme\n')
        with pytest.raises(ScenarioError, match=r"bad\.toml: not valid TOML: .*line 2"):
            load_scenario(bad)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(ScenarioError, match="can't read it"):
            load_scenario(tmp_path / "nope.toml")


class TestExports:
    """Text exports are deterministic and carry the timeline."""

    def test_csv_and_json(self) -> None:
        timeline = load_scenario("inclucities-without-extension").simulate()
        csv_text = x.to_csv(timeline)
        assert csv_text.splitlines()[0] == ",".join(x.COLUMNS)
        assert "deadline,,final_conference,,2022-12-30,met_late,False,89," in csv_text
        document = json.loads(x.to_json(timeline))
        assert (88, "3 months") == (
            document["summary"]["breach_days"],
            document["summary"]["smallest_extension"],
        )
        assert x.to_json(timeline) == x.to_json(
            load_scenario("inclucities-without-extension").simulate()
        )

    def test_table(self) -> None:
        table = x.timeline_table(load_scenario("inclucities-without-extension").simulate())
        assert (
            "the end is breached by 88 days; the smallest extension that avoids it: 3 months"
            in table
        )
        assert "\x1b[" not in table  # no terminal colour codes

    def test_mermaid(self) -> None:
        diagram = x.mermaid(_inclucities.LIFECYCLE)
        assert diagram.startswith("stateDiagram-v2\n    [*] --> needs_assessment\n")
        assert "    final_review --> completed: complete [action_plan, one_stop_shop]" in diagram


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_any_scenario_simulates_consistently(scenario: Scenario) -> None:
    """Any drawn scenario simulates: every phase span follows the lifecycle with no gaps, no
    span ends before it starts, deadlines have statuses, and the run is deterministic."""
    timeline = scenario.simulate()
    order = scenario.programme.lifecycle.order
    for pair in scenario.pairs:
        spans = [s for s in timeline.phases if s.pair == pair.key]
        assert [s.phase for s in spans] == list(order[: len(spans)])
        for a, b in itertools.pairwise(spans):
            assert a.ended_on == b.started_on
        assert all(s.ended_on is None or s.started_on <= s.ended_on for s in spans)
    if timeline.completed_on is not None and timeline.breach_days:
        extension = timeline.smallest_extension
        assert extension is not None
        assert add_months(timeline.ends_on, extension.amount) >= timeline.completed_on
        assert add_months(timeline.ends_on, extension.amount - 1) < timeline.completed_on
    assert timeline == scenario.simulate()
