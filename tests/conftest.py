"""Shared fixtures and hypothesis profiles (``--hypothesis-profile=ci`` in CI, ``dev`` locally)."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import HealthCheck, settings

from mentorflow import ManualClock, Programme

from helpers import START, TZ

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fast", max_examples=15, deadline=None)
settings.load_profile("dev")


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at the IncluCities kick-off."""
    return ManualClock(START)


@pytest.fixture
def programme(clock: ManualClock) -> Programme:
    """An empty programme with the default lifecycle on the manual clock."""
    return Programme(
        "Test",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock,
    )


# tests/typing is only type-checked (by mypy in the typing session), never run.
collect_ignore = ["typing"]
