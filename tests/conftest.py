"""Shared fixtures and hypothesis profiles (``--hypothesis-profile=ci`` in CI, ``dev`` locally)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest
from hypothesis import HealthCheck, settings

from mentorflow import JsonLinesStore, ManualClock, MemoryStore, Programme, SQLiteStore, Store

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


@pytest.fixture(params=["memory", "jsonl", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory of stores of one kind, each a new store object on the same data (the same
    object for `MemoryStore`, whose data is its own)."""
    kind = request.param
    if kind == "memory":
        shared = MemoryStore()
        return lambda: shared
    if kind == "jsonl":
        return lambda: JsonLinesStore(tmp_path / "logs")
    return lambda: SQLiteStore(tmp_path / "store.db")


# tests/typing is only type-checked (by mypy in the typing session), never run.
collect_ignore = ["typing"]
