"""mentorflow's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:
    manual_clock: a `ManualClock` at the IncluCities kick-off, 17 June 2020, 10:00 Brussels.
    inclucities: the IncluCities programme at its kick-off: four pairs, its lifecycle and
        deadline rules, on ``manual_clock``. ``mentorflow._simulation.inclucities.play`` replays it.
"""

from __future__ import annotations

import pendulum
import pytest

from .._core.programme import Programme
from .._domain.clock import ManualClock


@pytest.fixture
def manual_clock() -> ManualClock:
    """A manual clock at the IncluCities kick-off (17 June 2020, 10:00, Europe/Brussels)."""
    return ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))


@pytest.fixture
def inclucities(manual_clock: ManualClock) -> Programme:
    """The IncluCities programme at its kick-off, with its four pairs, on ``manual_clock``."""
    from .._simulation import inclucities as _inclucities

    return _inclucities.programme(manual_clock)
