"""Tests for networks: open themes, optional associations, one partner in several pairs,
programme-wide activities, and planned visits in scenarios."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from mentorflow import (
    Activity,
    ActivityHeld,
    ActivityKind,
    City,
    DeadlineRule,
    HoldActivity,
    ManualClock,
    Partner,
    Programme,
    Role,
    Theme,
    ValidationError,
    VisitMode,
)
from mentorflow._domain.commands import command_of
from mentorflow._render.exports import timeline_rows
from mentorflow._simulation.scenario_file import parse_scenario
from mentorflow.exceptions import ScenarioError
from mentorflow.serialization import dump_command, dump_event, load_command, load_event
from mentorflow.testing import assert_replays

TZ = "Europe/Lisbon"
START = pendulum.datetime(2023, 9, 1, 9, tz=TZ)
ALMADA = Partner(city=City(name="Almada", country="PT"))
TARTU = Partner(city=City(name="Tartu", country="EE"))
UDINE = Partner(city=City(name="Udine", country="IT"))


def at(year: int, month: int, day: int) -> pendulum.DateTime:
    """17:00 that day in Lisbon."""
    return pendulum.datetime(year, month, day, 17, tz=TZ)


def network(**kwargs: Any) -> Programme:
    """An URBACT-like network: Almada leads, Tartu and Udine transfer; no associations."""
    programme = Programme(
        "Transfer network",
        starts_on=pendulum.date(2023, 9, 1),
        ends_on=pendulum.date(2026, 2, 28),
        timezone=TZ,
        country="PT",
        clock=ManualClock(START),
        **kwargs,
    )
    for key, partner in (("almada-tartu", TARTU), ("almada-udine", UDINE)):
        programme.add_pair(key, mentor=ALMADA, mentee=partner, theme="urban_food", at=START)
    return programme


class TestThemes:
    """Themes are an open vocabulary, with the AMIF four as defaults."""

    def test_own_theme(self) -> None:
        """A lower_snake_case theme of the programme's own is kept as it is."""
        assert "urban_food" == network().pair("almada-tartu").theme

    def test_default_theme_is_the_member(self) -> None:
        """A name of the four defaults becomes its Theme member."""
        programme = network()
        pair = programme.add_pair("p", mentor=TARTU, mentee=UDINE, theme="housing", at=START)
        assert pair.theme is Theme.HOUSING

    @pytest.mark.parametrize("theme", ["Urban food", "", 3, "x" * 81])
    def test_bad_theme(self, theme: object) -> None:
        """Anything but a short lower_snake_case name is refused, naming the field."""
        with pytest.raises(ValidationError) as info:
            network().add_pair("p", mentor=TARTU, mentee=UDINE, theme=theme, at=START)  # type: ignore[arg-type]
        assert "theme" == info.value.field


class TestPartners:
    """A partner is one entity, in as many pairs as it takes part in."""

    def test_association_optional(self) -> None:
        """A partner without an association is a partner."""
        assert ALMADA.association is None

    def test_lead_city_in_every_pair(self) -> None:
        """Programme.partners lists the lead city once, with its pairs and roles."""
        partners = network().partners
        assert (("almada-tartu", Role.MENTOR), ("almada-udine", Role.MENTOR)) == partners[ALMADA]
        assert (("almada-tartu", Role.MENTEE),) == partners[TARTU]

    def test_events_round_trip(self) -> None:
        """Events of partners without associations and of own themes round trip and replay."""
        programme = network()
        for event in programme.pair("almada-tartu").history:
            assert event == load_event(dump_event(event))
        assert_replays(programme)


FINAL = DeadlineRule("final_conference", after="programme.end", capped=True)
MEETING = Activity(
    name="Transnational meeting 1",
    starts_on=pendulum.date(2024, 3, 12),
    ends_on=pendulum.date(2024, 3, 14),
    mode="hybrid",
    place="Udine",
)


class TestActivities:
    """Programme-wide activities involve every pair, whatever phase each is in."""

    def test_every_pair_whatever_its_phase(self) -> None:
        """Pairs in different phases all take part; a withdrawn pair doesn't."""
        programme = network()
        programme.pair("almada-tartu").complete("needs_assessment", at=at(2023, 12, 1))
        programme.add_pair("tartu-udine", mentor=TARTU, mentee=UDINE, theme="housing", at=START)
        programme.pair("tartu-udine").withdraw(at=at(2024, 1, 10))
        phases = {k: p.phase for k, p in programme.pairs.items()}
        held = programme.hold_activity(MEETING, at=at(2024, 3, 14))
        assert ("almada-tartu", "almada-udine") == held.pairs
        assert phases == {k: p.phase for k, p in programme.pairs.items()}
        assert (held,) == programme.activities
        assert 3 == held.activity.days
        assert ActivityKind.TRANSNATIONAL_MEETING == held.activity.kind
        assert VisitMode.HYBRID == held.activity.mode

    def test_reaches_a_milestone(self) -> None:
        """The final conference is an activity and reaches its milestone in one change."""
        programme = network(deadlines=[FINAL])
        conference = Activity(
            name="Final conference", kind="final_conference", starts_on=pendulum.date(2026, 2, 19)
        )
        held = programme.hold_activity(conference, milestone="final_conference", at=at(2026, 2, 19))
        assert "final_conference" == held.milestone
        deadline = programme.deadline("final_conference")
        assert deadline.met_at is not None
        assert pendulum.date(2026, 2, 19) == deadline.met_at.date()
        assert_replays(programme)

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"at": at(2024, 3, 13)}, "activity"),
            ({"at": at(2024, 3, 14), "milestone": "conference"}, "milestone"),
        ],
    )
    def test_refused(self, kwargs: dict[str, Any], field: str) -> None:
        """Not held yet, or an unknown milestone: refused, naming the field, nothing recorded."""
        programme = network(deadlines=[FINAL])
        with pytest.raises(ValidationError) as info:
            programme.hold_activity(MEETING, **kwargs)
        assert field == info.value.field
        assert () == programme.activities

    def test_bad_activity(self) -> None:
        """An activity that ends before it starts names ends_on."""
        with pytest.raises(ValidationError) as info:
            Activity(
                name="x", starts_on=pendulum.date(2024, 3, 12), ends_on=pendulum.date(2024, 3, 1)
            )
        assert "ends_on" == info.value.field

    def test_command_round_trip(self) -> None:
        """HoldActivity is a command like any: it round trips, and its event names it."""
        programme = network()
        command = HoldActivity(activity=MEETING, at=at(2024, 3, 14))
        assert command == load_command(dump_command(command))
        (event,) = programme.execute(command)
        assert isinstance(event, ActivityHeld)
        assert command == command_of(event)
        assert event == load_event(dump_event(event))
        assert_replays(programme)


# -- scenario files -------------------------------------------------------------------------


def _network_file(**extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "name": "network",
        "programme": {
            "name": "network",
            "starts_on": dt.date(2023, 9, 1),
            "ends_on": dt.date(2026, 2, 28),
            "timezone": TZ,
            "country": "PT",
            "lifecycle": ["needs_assessment", "matching", "study_visit_1"],
        },
        "partners": {
            "almada": {"city": "Almada", "country": "PT"},
            "tartu": {"city": "Tartu", "country": "EE"},
        },
        "pairs": [
            {"key": "a-t", "theme": "urban_food", "mentor": "almada", "mentee": "tartu"},
            {
                "key": "a-u",
                "theme": "urban_food",
                "mentor": "almada",
                "mentee": {"city": "Udine", "country": "IT"},
            },
        ],
        "durations": {"needs_assessment": "3 months", "study_visit_1": "4 months"},
        "visits": {"1": {"days": 3, "mode": "online", "host": "mentor"}},
    }
    document.update(extra)
    return document


class TestScenarioFiles:
    """[partners], [visits] and the activity action of a scenario file."""

    def test_partners_by_key(self) -> None:
        """A partner declared once is the same partner in each pair that names it."""
        scenario = parse_scenario(_network_file())
        assert scenario.pairs[0].mentor == scenario.pairs[1].mentor == ALMADA
        assert scenario.pairs[0].mentee == TARTU

    def test_unknown_partner_key(self) -> None:
        """A key that [partners] doesn't have is an error naming the key."""
        document = _network_file()
        document["pairs"][0]["mentee"] = "riga"
        with pytest.raises(ScenarioError, match=r"pairs\[0\]\.mentee.*\(almada, tartu\)"):
            parse_scenario(document)

    def test_planned_visit(self) -> None:
        """A projected visit lasts its planned days, in its mode, hosted as planned."""
        timeline = parse_scenario(_network_file()).simulate()
        visit = next(v for v in timeline.visits if v.pair == "a-t")
        assert (VisitMode.ONLINE, "Almada", 2) == (
            visit.mode,
            visit.host,
            (visit.ends_on - visit.starts_on).days,
        )

    @pytest.mark.parametrize(
        ("visits", "where"),
        [({"4": {}}, "visits.4"), ({"one": {}}, "visits.one"), ({"1": {"days": 0}}, "days")],
    )
    def test_bad_visit_plans(self, visits: dict[str, Any], where: str) -> None:
        """A visit the lifecycle lacks, or a bad plan, names the key."""
        with pytest.raises(ScenarioError, match=where):
            parse_scenario(_network_file(visits=visits))

    def test_activity_for_pairs_in_any_phase(self) -> None:
        """A network-wide meeting involves pairs whatever phase each is in."""
        script = [
            {"on": dt.date(2023, 9, 29), "action": "complete", "pair": "a-u"},
            {
                "on": dt.date(2023, 10, 12),
                "action": "activity",
                "activity": {
                    "name": "Transnational meeting 1",
                    "starts_on": dt.date(2023, 10, 11),
                    "ends_on": dt.date(2023, 10, 12),
                    "place": "Almada",
                },
            },
        ]
        timeline = parse_scenario(_network_file(script=script)).simulate()
        assert () == timeline.refusals
        (held,) = timeline.activities
        assert ("a-t", "a-u") == held.pairs
        (row,) = [r for r in timeline_rows(timeline) if r["kind"] == "activity"]
        assert "Transnational meeting 1 (in_person, Almada)" == row["name"]
        assert ("2023-10-11", "2023-10-12") == (row["start"], row["end"])

    def test_activity_without_a_name(self) -> None:
        """An activity with no name is a ScenarioError naming the key (found by the fuzz
        suite: it was a TypeError)."""
        script = [
            {
                "on": dt.date(2023, 10, 12),
                "action": "activity",
                "activity": {"starts_on": dt.date(2023, 10, 11)},
            }
        ]
        with pytest.raises(ScenarioError, match=r"script\[0\]\.activity\.name"):
            parse_scenario(_network_file(script=script))

    def test_sent_to_workers(self) -> None:
        """Partners, visit plans and activities survive the JSON a Monte Carlo worker gets."""
        from mentorflow._simulation.montecarlo import dump_scenario, load_scenario_json

        script = [
            {
                "on": dt.date(2023, 10, 12),
                "action": "activity",
                "activity": {"name": "Meeting", "starts_on": dt.date(2023, 10, 11)},
            }
        ]
        scenario = parse_scenario(_network_file(script=script))
        assert scenario == load_scenario_json(dump_scenario(scenario))
