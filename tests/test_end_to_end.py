"""End-to-end tests, one per user story of the core: embed, script, property-check a rule."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mentorflow
from mentorflow import (
    Association,
    City,
    CommandRefused,
    Deliverable,
    Event,
    ManualClock,
    PairStatus,
    Partner,
    Phase,
    PhaseStarted,
    Programme,
    Role,
    StudyVisit,
    Theme,
    Veto,
    Vetoed,
    VisitMode,
    VisitRecorded,
)
from mentorflow.scenario import load_scenario, montecarlo

TZ = "Europe/Brussels"


def build(clock: ManualClock) -> Programme:
    """A two-pair programme built only with the public API."""
    programme = Programme(
        "Embedded",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock,
    )
    for key, (mentor, mentee) in {
        "fuenlabrada-livadia": (
            ("Fuenlabrada", "ES", "MD", "FEMP"),
            ("Livadia", "GR", None, "KEDE"),
        ),
        "schaerbeek-jelgava": (
            ("Schaerbeek", "BE", None, "Brulocalis"),
            ("Jelgava", "LV", None, "LALRG"),
        ),
    }.items():
        programme.add_pair(
            key,
            mentor=Partner(
                city=City(name=mentor[0], country=mentor[1], subdivision=mentor[2]),
                association=Association(name=mentor[3], country=mentor[1]),
            ),
            mentee=Partner(
                city=City(name=mentee[0], country=mentee[1], subdivision=mentee[2]),
                association=Association(name=mentee[3], country=mentee[1]),
            ),
            theme=Theme.EDUCATION_AND_TRAINING,
        )
    return programme


def test_embed_an_application_read_model() -> None:
    """Embed: an app keeps its own dashboard from hooks, vetoes what its policy forbids,
    reports refusals to its users, and its view always matches the programme's."""
    clock = ManualClock(pendulum.datetime(2020, 6, 17, 9, tz=TZ))
    programme = build(clock)
    dashboard: dict[str, str] = {key: p.phase for key, p in programme.pairs.items()}
    feed: list[str] = []

    def on_started(event: PhaseStarted) -> None:
        dashboard[event.pair] = event.phase

    def no_visits_in_august(event: VisitRecorded) -> None:
        if event.visit.starts_on.month == 8:
            raise Veto("no study visits in August")

    programme.subscribe(PhaseStarted, on_started)
    programme.subscribe(Event, lambda e: feed.append(f"{e.seq} {type(e).__name__} {e.pair}"))
    programme.subscribe(VisitRecorded, no_visits_in_august, before=True)

    messages: list[str] = []

    def act(command: object, *args: object, **kwargs: object) -> None:
        try:
            command(*args, **kwargs)  # type: ignore[operator]
        except CommandRefused as refusal:
            messages.append(f"{refusal.rule}: {refusal.reason}")

    pair = programme.pair("fuenlabrada-livadia")
    clock.advance(weeks=10)
    act(pair.complete, Phase.NEEDS_ASSESSMENT)
    act(pair.complete, Phase.MATCHING)
    clock.set(pendulum.datetime(2021, 8, 20, 18, tz=TZ))
    august = StudyVisit(
        number=1,
        host=Role.MENTEE,
        mode=VisitMode.ONLINE,
        starts_on=pendulum.date(2021, 8, 18),
        ends_on=pendulum.date(2021, 8, 19),
    )
    act(pair.record_visit, august)
    act(pair.complete, Phase.STUDY_VISIT_1)
    clock.set(pendulum.datetime(2021, 9, 20, 18, tz=TZ))
    act(
        pair.record_visit,
        StudyVisit(
            number=1,
            host=Role.MENTEE,
            mode=VisitMode.ONLINE,
            starts_on=pendulum.date(2021, 9, 14),
            ends_on=pendulum.date(2021, 9, 15),
        ),
    )
    act(pair.complete, Phase.STUDY_VISIT_1)

    assert messages == [
        "vetoed: no study visits in August",
        "visit-required: record study visit 1 before completing 'study_visit_1'",
    ]
    assert {key: p.phase for key, p in programme.pairs.items()} == dashboard
    assert dashboard["fuenlabrada-livadia"] == Phase.STUDY_VISIT_2
    # the feed was subscribed after the two enrolments (4 events)
    assert [f"{e.seq} {type(e).__name__} {e.pair}" for e in programme.history[4:]] == feed
    assert [e.at for e in programme.history[-2:]] == [clock.now(), clock.now()]


def test_script_the_inclucities_demo(tmp_path: Path) -> None:
    """Script a scenario: the demo simulates IncluCities, prints its timeline and what the
    extension saved, and says where it saved its chart."""
    result = subprocess.run(
        [sys.executable, "-m", "mentorflow", "demo", "--chart", str(tmp_path / "demo.png")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    out = result.stdout
    assert "IncluCities 2020-2023, as it happened" in out
    for key in (
        "brussels-saint-jean",
        "mechelen-capaci",
        "fuenlabrada-livadia",
        "schaerbeek-jelgava",
    ):
        assert key in out
    assert "programme: 2020-06-17 to 2023-03-31 (planned to 2022-12-31)" in out
    assert "final_review (mechelen-capaci): due 2022-12-30, 89 days late" in out
    assert "the smallest extension that avoids it: 3 months" in out
    assert "an extension was needed in 79% of runs, 2 months in half of them" in out
    assert f"Gantt chart saved to {tmp_path / 'demo.png'}" in out
    assert (tmp_path / "demo.png").read_bytes().startswith(b"\x89PNG")
    assert "" == result.stderr


def test_how_likely_is_an_extension(tmp_path: Path) -> None:
    """Script an uncertain what-if: write a scenario with three-point estimates and a shared
    uncertain delay, run it many times on two processes, and read the odds."""
    plan = tmp_path / "plan.toml"
    plan.write_text(
        """
name = "a two-pair plan"

[programme]
name = "Twinning"
starts_on = 2024-01-15
ends_on = 2025-06-30
timezone = "Europe/Riga"
country = "LV"
lifecycle = ["needs_assessment", "matching", "study_visit_1", "final_review"]
visit_hosts = { mentee = 1, mentor = 0 }

[[programme.deadlines]]
name = "final_review"
after = "programme.end"
capped = true

[[pairs]]
key = "riga-jelgava"
theme = "housing"
mentor = { city = "Riga", country = "LV", association = "LALRG" }
mentee = { city = "Jelgava", country = "LV", association = "LALRG" }

[[pairs]]
key = "tartu-valga"
theme = "housing"
mentor = { city = "Tartu", country = "EE", association = "AECM" }
mentee = { city = "Valga", country = "EE", association = "AECM" }

[durations]
needs_assessment = { triangular = ["2 months", "3 months", "5 months"] }
matching = "1 month"
study_visit_1 = { uniform = ["6 months", "12 months"] }
final_review = { empirical = ["1 month", "2 months"] }

[[script]]
on = 2024-03-01
action = "delay"
pair = "*"
phase = "needs_assessment"
offset = { uniform = ["0 weeks", "6 weeks"] }
""",
        encoding="utf-8",
    )
    scenario = load_scenario(plan)
    forecast = montecarlo(scenario, 400, seed=7, workers=2)
    assert forecast == montecarlo(scenario, 400, seed=7, workers=1)
    assert 400 == forecast.done
    assert 0 < forecast.extension_probability < 1
    programme = forecast.programme
    assert programme.p10 < programme.p50 < programme.p90  # type: ignore[operator]
    for pair in forecast.pairs:  # the programme ends with its last pair
        assert pair.p50 <= programme.p50  # type: ignore[operator]
    late = {d.pair: d.miss_probability for d in forecast.deadlines}
    assert {"riga-jelgava", "tartu-valga"} == set(late)
    # the review is due by the end: missing it is completing after the end, or on its last day
    for key, share in forecast.pair_breach_probability:
        assert share <= late[key]
    median = scenario.simulate()
    assert programme.p10 <= median.completed_on <= programme.p90  # type: ignore[operator]


def test_cli_version_and_help() -> None:
    """``--version`` prints the version; a missing command is a usage error, not a traceback."""
    version = subprocess.run(
        [sys.executable, "-m", "mentorflow", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"mentorflow {mentorflow.__version__}" == version.stdout.strip()
    bare = subprocess.run([sys.executable, "-m", "mentorflow"], capture_output=True, text=True)
    assert bare.returncode == 2
    assert "Traceback" not in bare.stderr


def test_demo_in_process(tmp_path: Path) -> None:
    """The demo's entry point returns 0 and writes the same text in-process."""
    import io

    from mentorflow._cli import main

    out = io.StringIO()
    assert 0 == main(["demo", "--chart", str(tmp_path / "demo.svg")], out=out)
    assert "Without its three-month extension, IncluCities would have missed:" in out.getvalue()
    assert (tmp_path / "demo.svg").read_text().lstrip().startswith("<?xml")


# -- property-check a rule of one's own -------------------------------------------------


def pre_summer(programme: Programme) -> None:
    """A programme rule: the action plan must be registered before study visit 3 starts."""

    def check(event: PhaseStarted) -> None:
        pair = programme.pair(event.pair)
        if Deliverable.ACTION_PLAN not in pair.deliverables:
            raise Veto("register the Action Plan draft before the review visit")

    programme.on_enter(Phase.STUDY_VISIT_3, check, before=True)


@given(
    register_at=st.sampled_from([None, *list(Phase)[:5]]),
    gaps=st.lists(st.integers(0, 60), min_size=8, max_size=8),
)
def test_property_check_an_own_rule(register_at: str | None, gaps: list[int]) -> None:
    """Property-check a rule: whatever the dates, no pair ever enters study visit 3 without
    an Action Plan registered; every other pair completes."""
    clock = ManualClock(pendulum.datetime(2020, 6, 17, 9, tz=TZ))
    programme = build(clock)
    pre_summer(programme)
    pair = programme.pair("schaerbeek-jelgava")
    hosts = {1: Role.MENTEE, 2: Role.MENTOR, 3: Role.MENTEE}
    with pytest.raises(Vetoed) if register_at in (None, Phase.STUDY_VISIT_3) else _nothing():
        for gap in gaps:
            at = clock.advance(days=gap)
            if pair.phase == register_at:
                pair.register_deliverable(Deliverable.ACTION_PLAN, at=at)
            step = programme.lifecycle.step(pair.phase)
            if step.visit:
                pair.record_visit(
                    StudyVisit(
                        number=step.visit,
                        host=hosts[step.visit],
                        mode=VisitMode.IN_PERSON,
                        starts_on=at.date(),
                        ends_on=at.date(),
                    ),
                    at=at,
                )
            for deliverable in sorted(step.requires - set(pair.deliverables)):
                pair.register_deliverable(deliverable, at=at)
            pair.complete(pair.phase, at=at)
    entered_3 = [
        e for e in pair.history if isinstance(e, PhaseStarted) and e.phase == Phase.STUDY_VISIT_3
    ]
    if entered_3:
        plan = pair.deliverables[Deliverable.ACTION_PLAN]
        assert plan.at <= entered_3[0].at
        assert PairStatus.COMPLETED is pair.status
    else:
        assert pair.phase == Phase.STUDY_VISIT_2 or pair.phase == Phase.TRANSFER_WORKSHOP


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_history_counts_per_pair() -> None:
    """Each pair's history is its share of the merged history."""
    programme = build(ManualClock(pendulum.datetime(2020, 6, 17, 9, tz=TZ)))
    per_pair: dict[str, int] = defaultdict(int)
    for event in programme.history:
        per_pair[event.pair] += 1
    assert {k: len(p.history) for k, p in programme.pairs.items()} == dict(per_pair)
