"""Hardening (issue 12): each reported bad input gets a library error; nothing hangs, nothing is
coerced, nothing stored changes. Each test reproduces one reported case."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import pendulum
import pytest

from mentorflow import (
    DeadlineMissed,
    DeadlineRule,
    ManualClock,
    MemoryStore,
    Programme,
    ReplayError,
)
from mentorflow.serialization import dump_definition

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
