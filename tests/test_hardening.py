"""Hardening (issue 12): each reported bad input gets a library error; nothing hangs, nothing is
coerced, nothing stored changes. Each test reproduces one reported case."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pendulum
import pytest

from mentorflow import (
    City,
    DeadlineMissed,
    DeadlineRule,
    ManualClock,
    MemoryStore,
    Programme,
    ReplayError,
    SerializationError,
    ValidationError,
)
from mentorflow.serialization import dump_definition, dump_event, load_event, read_definition

from helpers import CAPACI, MECHELEN, START, TZ

T = TypeVar("T")


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``'s result, or a test failure if it has not returned after ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed back to the test's thread
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def _alerting(clock: ManualClock) -> Programme:
    """A programme with one pair whose needs assessment is late: a check emits a miss."""
    programme = Programme(
        "Alerts",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock,
        deadlines=[DeadlineRule("needs_assessment", after="programme.start", months=2)],
    )
    programme.add_pair("mechelen-capaci", mentor=MECHELEN, mentee=CAPACI, theme="housing")
    return programme


class TestReplayOfAlerts:
    """Item 1: replaying a deadline alert whose check now produces nothing."""

    def test_changed_definition_ends_with_replay_error(self) -> None:
        """A log whose rule moved so that the logged miss is not due on replay is refused,
        naming the event, within a second."""
        clock = ManualClock(START)
        live = _alerting(clock)
        store = MemoryStore()
        live.persist(store, "p")
        missed = live.check_deadlines(at=START.add(months=3))
        assert [DeadlineMissed] == [type(e) for e in missed]
        log = store.read("p")
        definition = dump_definition(live)
        definition["deadlines"] = [{**definition["deadlines"][0], "months": 24}]
        tampered = MemoryStore()
        tampered.create("p", definition, log.events)
        with pytest.raises(ReplayError) as info:
            within(1.0, lambda: Programme.restore(tampered, "p"))
        assert missed[0].seq == info.value.seq
        assert "DeadlineMissed" in str(info.value)
        assert "definition" in str(info.value)


def _enrolment() -> dict[str, Any]:
    """The stored document of a `PairEnrolled` (as a store hands it back)."""
    live = _alerting(ManualClock(START))
    return json.loads(json.dumps(dump_event(live.history[0])))


class TestNoCoercionOnLoad:
    """Item 3: a stored value of the wrong type is an error naming the record and field."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("support_network", "NaN"),
            ("benchmarks", "ab"),
            ("note", {"a": 1}),
            ("note", {}),
            ("note", True),
            ("note", -1e400),
            ("note", "\ud800"),
            ("topic", ["x"]),
            ("pair", "\udcff"),
            ("seq", True),
            ("seq", 1.0),
        ],
    )
    def test_wrong_value_is_refused(self, field: str, value: object) -> None:
        """The value is refused, naming the record and the field, never coerced."""
        document = {**_enrolment(), field: value}
        with pytest.raises(SerializationError) as info:
            load_event(document, "p.events[seq 1]")
        assert f"p.events[seq 1].{field}" == info.value.field

    def test_restore_names_the_record(self) -> None:
        """Restoring a log with a string where a list belongs names the record and field."""
        live = _alerting(ManualClock(START))
        store = MemoryStore()
        live.persist(store, "p")
        log = store.read("p")
        events = [dict(e) for e in log.events]
        events[0]["support_network"] = "NaN"
        tampered = MemoryStore()
        tampered.create("p", log.definition, events)
        with pytest.raises(SerializationError) as info:
            Programme.restore(tampered, "p")
        assert "p.events[seq 1].support_network" == info.value.field

    def test_steps_as_a_string_are_refused(self) -> None:
        """A lifecycle whose steps are a string is refused, not read character by character."""
        definition = dump_definition(_alerting(ManualClock(START)))
        definition["lifecycle"] = {"steps": "abc", "visit_hosts": None}
        with pytest.raises(SerializationError) as info:
            read_definition(definition, "p.definition")
        assert info.value.field.startswith("p.definition.lifecycle")

    def test_surrogate_in_a_name_is_refused_by_the_api(self) -> None:
        """A lone surrogate in a name is refused when it is given, whatever the store."""
        with pytest.raises(ValidationError) as info:
            City(name="Mech\ud800elen", country="BE")
        assert "name" == info.value.field
