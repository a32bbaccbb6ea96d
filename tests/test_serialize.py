"""Tests for JSON documents: round trips of every public type, errors, schema upgrades."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow import (
    DeadlineRule,
    Event,
    ExtensionPolicy,
    Lifecycle,
    ManualClock,
    Pair,
    PhaseStarted,
    Programme,
    SerializationError,
)
from mentorflow._codec import serialize as s
from mentorflow._codec.fastload import FAST, fast_loader
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.scenario import Scenario, load_scenario
from mentorflow.testing import scenarios
from test_testing import PUBLIC_TYPES

VALUE_TYPES = [t for t in PUBLIC_TYPES if t not in (Programme, Pair, ManualClock)]


@pytest.mark.parametrize("kind", VALUE_TYPES, ids=lambda k: k.__name__)
def test_round_trip(kind: type) -> None:
    """structure(unstructure(x)) == x for every public value and event type, through JSON."""

    @settings(max_examples=25, deadline=None)
    @given(st.from_type(kind))
    def check(value: object) -> None:
        document = json.loads(json.dumps(s.unstructure(value)))
        assert value == s.structure(document, kind)

    check()


def test_times_keep_their_zone() -> None:
    """A time comes back in its own zone, with the right offset in the repeated DST hour."""
    at = pendulum.datetime(2021, 10, 31, 2, 30, tz="Europe/Brussels", fold=1)
    event = PhaseStarted(seq=1, at=at, pair="p", phase="matching")
    document = s.dump_event(event)
    assert "2021-10-31T02:30:00+01:00[Europe/Brussels]" == document["at"]
    back = s.load_event(document)
    assert "Europe/Brussels" == back.at.timezone_name
    assert at.isoformat() == back.at.isoformat()


def test_enums_are_plain_values() -> None:
    """Documents hold plain JSON values: enum members become their values."""
    programme = _inclucities.programme()
    document = s.dump_event(programme.history[0])
    assert "access_to_basic_services" == document["theme"]
    assert type(document["theme"]) is str
    phase = s.dump_event(programme.history[1])["phase"]
    assert type(phase) is str


class TestErrors:
    """A bad document names where the problem is."""

    @pytest.mark.parametrize(
        ("change", "where", "problem"),
        [
            ({"type": "PhaseRestarted"}, "$.type", "'PhaseRestarted' is not an event type"),
            ({"at": 5}, "$.at", "a time must be an ISO 8601 string"),
            ({"at": "yesterday"}, "$.at", "not an ISO 8601 time"),
            ({"at": "2020-06-17T10:00:00"}, "$.at", "no UTC offset"),
            ({"seq": None}, "$.seq", ""),
            ({"colour": "red"}, "$", "extra fields found (colour)"),
        ],
    )
    def test_events(self, change: dict[str, object], where: str, problem: str) -> None:
        """Unknown types, wrong values and extra fields are refused, naming the place."""
        document = s.dump_event(
            PhaseStarted(seq=1, at=pendulum.datetime(2020, 6, 17), pair="p", phase="matching")
        )
        document.update(change)
        with pytest.raises(SerializationError) as info:
            s.load_event(document)
        assert where == info.value.field
        assert problem in info.value.problem
        assert isinstance(info.value, ValueError)

    def test_missing_field(self) -> None:
        """A missing field is named."""
        document = s.dump_event(
            PhaseStarted(seq=1, at=pendulum.datetime(2020, 6, 17), pair="p", phase="matching")
        )
        del document["pair"]
        with pytest.raises(SerializationError) as info:
            s.load_event(document, "$.events[7]")
        assert ("$.events[7].pair", "required field missing") == (
            info.value.field,
            info.value.problem,
        )

    def test_nested_value(self) -> None:
        """A bad value deep inside names its path, and mentorflow's own validation speaks."""
        programme = _inclucities.programme()
        document = s.dump_event(programme.history[0])
        document["mentee"]["city"]["country"] = "XX"
        with pytest.raises(SerializationError) as info:
            s.load_event(document)
        assert info.value.field.startswith("$.mentee")

    def test_definition_errors(self) -> None:
        """Definitions: newer schemas, missing keys and bad rules are refused by place."""
        document = s.dump_definition(_inclucities.programme())
        for change, where in [
            ({"schema": 99}, "$.schema"),
            ({"schema": "2"}, "$.schema"),
            ({"colour": "red"}, "$.colour"),
            ({"deadlines": [{"name": "x"}]}, "$.deadlines[0]"),
            ({"starts_on": "17/06/2020"}, "$.starts_on"),
        ]:
            with pytest.raises(SerializationError) as info:
                s.load_definition({**document, **change})
            assert info.value.field.startswith(where), (change, info.value)
        without = dict(document)
        del without["timezone"]
        with pytest.raises(SerializationError, match=r"\$\.timezone: required field missing"):
            s.load_definition(without)

    def test_newer_schema_says_what_to_do(self) -> None:
        """A document from a newer mentorflow asks for an upgrade of mentorflow."""
        with pytest.raises(SerializationError, match="upgrade mentorflow"):
            s.upgrade({"schema": s.SCHEMA + 1})


class TestDefinitions:
    """A programme's definition round-trips."""

    def test_inclucities(self) -> None:
        """The IncluCities definition comes back equal, deadlines and policies included."""
        programme = _inclucities.programme()
        kwargs = s.load_definition(json.loads(json.dumps(s.dump_definition(programme))))
        assert programme.lifecycle == kwargs["lifecycle"]
        assert list(_inclucities.DEADLINES) == kwargs["deadlines"]
        assert ExtensionPolicy() == kwargs["extension_policy"]
        copy = Programme(**kwargs)
        assert (programme.name, programme.ends_on, programme.country) == (
            copy.name,
            copy.ends_on,
            copy.country,
        )

    @settings(max_examples=40, deadline=None)
    @given(st.from_type(Lifecycle), st.lists(st.from_type(DeadlineRule), max_size=3))
    def test_lifecycles_and_rules(self, lifecycle: Lifecycle, rules: list[DeadlineRule]) -> None:
        """Any lifecycle and any rules come back equal."""
        assert lifecycle == s.structure(s.unstructure(lifecycle), Lifecycle)
        for rule in rules:
            assert rule == s.structure(json.loads(json.dumps(s.unstructure(rule))), DeadlineRule)


class TestUpgrade:
    """Schema 1 wrote times with an offset only; the upgrade adds the programme's zone."""

    SCHEMA_1: ClassVar[dict[str, Any]] = {
        "schema": 1,
        "timezone": "Europe/Brussels",
        "events": [
            {
                "type": "PhaseStarted",
                "seq": 1,
                "at": "2021-10-31T02:30:00+01:00",
                "note": None,
                "pair": "p",
                "phase": "matching",
            }
        ],
    }

    def test_upgrade_adds_the_zone(self) -> None:
        """Every time gets the zone; the version becomes 2."""
        upgraded = s.upgrade(self.SCHEMA_1)
        assert 2 == upgraded["schema"]
        assert "2021-10-31T02:30:00+01:00[Europe/Brussels]" == upgraded["events"][0]["at"]
        event = s.load_event(upgraded["events"][0])
        assert ("Europe/Brussels", 1) == (event.at.timezone_name, event.at.fold)

    def test_current_documents_pass_unchanged(self) -> None:
        """Upgrading a current document changes nothing."""
        document = s.dump_definition(_inclucities.programme())
        assert document == s.upgrade(document)

    def test_every_event_type_is_known(self) -> None:
        """Each event class has a document type."""
        assert {k.__name__ for k in s.EVENTS.values()} == set(s.EVENTS)
        assert all(issubclass(k, Event) for k in s.EVENTS.values())


@pytest.mark.parametrize("kind", sorted(FAST, key=lambda k: k.__name__), ids=lambda k: k.__name__)
def test_fast_path_agrees_with_cattrs(kind: type) -> None:
    """The hand-checked fast loader gives the cattrs loader's event or declines (None): for a
    document it can't vouch for, and for what it leaves to cattrs."""

    @settings(max_examples=20, deadline=None)
    @given(st.from_type(kind))
    def check(event: Event) -> None:
        document = s.dump_event(event)
        fields = {k: v for k, v in document.items() if k != "type"}
        slow = s._load_fns[kind](fields, kind)
        fast = FAST[kind](document)
        assert fast is None or fast == slow  # it may decline (nested benchmarks), never differ
        assert slow == s.load_event(document)
        assert FAST[kind]({**document, "seq": "1"}) is None
        assert FAST[kind]({**document, "extra": 1}) is None

    check()


class TestFastPath:
    """Which events load through the fast path (derived from the attrs field types)."""

    def test_every_plain_event_takes_it(self) -> None:
        """Every event type of plain fields has a fast loader; the nested ones go to cattrs.

        The plan is derived from the resolved field types: renaming or moving a type can't
        silently send a plain event down the slow path (this set would change)."""
        fast = {kind.__name__ for kind in FAST}
        assert {
            "BenchmarksDefined",
            "DeadlineApproaching",
            "DeadlineMissed",
            "DeliverableDeclared",
            "DeliverableDrafted",
            "DeliverableDueMoved",
            "DeliverableRegistered",
            "ExtensionGranted",
            "ExtensionRefused",
            "MilestoneReached",
            "PairCompleted",
            "PairEnrolled",
            "PairMigrated",
            "PairResumed",
            "PairSuspended",
            "PairWithdrawn",
            "PartnerReplaced",
            "PhaseCompleted",
            "PhaseStarted",
            "ReportingPlanned",
        } == fast
        # ActivityHeld holds a nested Activity and three reporting events a bool: the cattrs
        # path, as VisitRecorded
        assert {
            "ActivityHeld",
            "DefinitionMigrated",
            "DeliverableReviewed",
            "DeliverableSubmitted",
            "ExtensionRequested",
            "ReportSubmitted",
            "VisitRecorded",
        } == {k.__name__ for k in s.EVENTS.values()} - fast

    def test_nested_fields_decline(self) -> None:
        """An event with a nested value (a StudyVisit) has no fast loader."""
        from mentorflow import VisitRecorded

        assert fast_loader(VisitRecorded) is None


class TestUncertainScenarios:
    """Tests for serializing scenarios whose durations and delays are distributions."""

    @settings(max_examples=25, deadline=None)
    @given(scenarios(uncertain=True))
    def test_round_trip(self, scenario: Scenario) -> None:
        """An uncertain scenario comes back equal, through JSON."""
        document = json.loads(json.dumps(s.unstructure(scenario)))
        assert scenario == s.structure(document, Scenario)

    def test_the_kind_is_written(self) -> None:
        """A distribution is written with its kind, and read back by it."""
        plan = load_scenario("inclucities-plan")
        document = s.unstructure(plan)
        assert {"kind": "uniform", "unit": "months", "low": 1, "high": 3} == document["durations"][
            "transfer_workshop"
        ]
        assert plan == s.structure(json.loads(json.dumps(document)), Scenario)

    @pytest.mark.parametrize(
        ("amount", "problem"),
        [
            ({"kind": "gaussian", "value": 1}, "a distribution has a kind"),
            ({"kind": "fixed", "value": -1, "unit": "days"}, "value"),
            ({"kind": "fixed", "value": 1, "sigma": 2}, "extra fields found (sigma)"),
        ],
    )
    def test_bad_distributions_are_named(self, amount: dict[str, object], problem: str) -> None:
        """A bad distribution in a document is a SerializationError naming where."""
        document = s.unstructure(load_scenario("inclucities-plan"))
        document["durations"]["matching"] = amount
        with pytest.raises(SerializationError) as caught:
            s.structure(document, Scenario)
        assert "durations" in str(caught.value)
        assert problem in str(caught.value)
