"""mentorflow's pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:
    manual_clock: a `ManualClock` at the IncluCities kick-off, 17 June 2020, 10:00 Brussels.
    inclucities: the IncluCities programme at its kick-off: four pairs, its lifecycle and
        deadline rules, on ``manual_clock``. ``mentorflow._simulation.inclucities.play`` replays it.
    programme_factory: makes a new programme, on a clock of its own, each time it is called
        (session-scoped and stateless: safe in ``@given`` tests, nothing leaks between examples).
    time_travel: moves a programme's `ManualClock` to a deadline, by working days, or by a
        duration (stateless too).

At the end of the session it prints what each `ProgrammeStateMachine` that ran reached (its
`Coverage`): phases, transitions, commands, refusals and deadline outcomes.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pendulum
import pytest

from .._core.programme import Programme
from .._domain.calendar import calendar_for
from .._domain.clock import ManualClock
from .._domain.deadlines import DeadlineRule
from .._domain.lifecycle import Lifecycle
from ..exceptions import ValidationError


@pytest.fixture
def manual_clock() -> ManualClock:
    """A manual clock at the IncluCities kick-off (17 June 2020, 10:00, Europe/Brussels)."""
    return ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))


@pytest.fixture
def inclucities(manual_clock: ManualClock) -> Programme:
    """The IncluCities programme at its kick-off, with its four pairs, on ``manual_clock``."""
    from .._simulation import inclucities as _inclucities

    return _inclucities.programme(manual_clock)


ProgrammeFactory = Callable[..., Programme]
KICK_OFF = pendulum.date(2020, 6, 17)


def make_programme(
    *,
    lifecycle: Lifecycle | None = None,
    deadlines: Sequence[DeadlineRule] = (),
    pairs: int = 2,
    timezone: str = "Europe/Brussels",
    starts_on: dt.date = KICK_OFF,
    months: int = 36,
    country: str | None = "BE",
    install: Callable[[Programme], object] | None = None,
) -> Programme:
    """A new programme on a `ManualClock` of its own at 9:00 on ``starts_on``, with ``pairs``
    of IncluCities' pairs enrolled then (keys ``pair-1``, ...), and ``install`` called on it.

    Raises:
        ValidationError: naming the field, for more pairs than IncluCities has (4).
    """
    from .._simulation.inclucities import PAIRS

    if not 0 <= pairs <= len(PAIRS):
        raise ValidationError("pairs", f"must be 0 to {len(PAIRS)}, not {pairs}")
    start = pendulum.datetime(starts_on.year, starts_on.month, starts_on.day, 9, tz=timezone)
    programme = Programme(
        "Test programme",
        starts_on=start.date(),
        ends_on=start.date().add(months=months),
        timezone=timezone,
        lifecycle=lifecycle or Lifecycle.default(),
        clock=ManualClock(start),
        country=country,
        deadlines=deadlines,
    )
    for i, (mentor, mentee, theme, _topic) in enumerate(list(PAIRS.values())[:pairs]):
        programme.add_pair(f"pair-{i + 1}", mentor=mentor, mentee=mentee, theme=theme, at=start)
    if install is not None:
        install(programme)
    return programme


@pytest.fixture(scope="session")
def programme_factory() -> ProgrammeFactory:
    """``programme_factory(lifecycle=..., timezone=..., install=...)``: a new programme each
    call (see `make_programme`); stateless, so safe to use in ``@given`` tests."""
    return make_programme


class TimeTravel:
    """Moves a programme's `ManualClock` forward (never back); stateless."""

    def _clock(self, programme: Programme) -> ManualClock:
        clock = programme.clock
        if not isinstance(clock, ManualClock):
            raise ValidationError(
                "programme", f"runs on a {type(clock).__name__}; time travel needs a ManualClock"
            )
        return clock

    def to(self, programme: Programme, day: dt.date, *, hour: int = 9) -> pendulum.DateTime:
        """Move to ``hour`` o'clock on ``day`` (the programme's timezone); return the instant."""
        zone = programme.timezone.name
        return self._clock(programme).set(
            pendulum.datetime(day.year, day.month, day.day, hour, tz=zone)
        )

    def to_deadline(
        self, programme: Programme, name: str, *, pair: str | None = None, days_before: int = 0
    ) -> pendulum.DateTime:
        """Move to the last instant of a deadline's due day, or ``days_before`` days before it.

        Raises:
            ValidationError: the deadline has no due date yet.
        """
        deadline = programme.deadline(name, pair=pair)
        if deadline.due_at is None:
            raise ValidationError("name", f"deadline {name!r} has no due date yet")
        return self._clock(programme).set(deadline.due_at.subtract(days=days_before))

    def working_days(self, programme: Programme, count: int) -> pendulum.DateTime:
        """Move ``count`` working days on (the programme's holidays), same time of day."""
        clock = self._clock(programme)
        now = clock.now().in_tz(programme.timezone.name)
        day = calendar_for(programme.definition.regions).add_working_days(now.date(), count)
        return clock.set(now.on(day.year, day.month, day.day))

    def by(self, programme: Programme, **duration: Any) -> pendulum.DateTime:
        """Move on by a duration (``days=3``, ``months=2``: calendar units keep the wall time)."""
        clock = self._clock(programme)
        return clock.set(clock.now().in_tz(programme.timezone.name).add(**duration))


@pytest.fixture(scope="session")
def time_travel() -> TimeTravel:
    """Moves a programme's `ManualClock`: ``to_deadline``, ``working_days``, ``by``, ``to``."""
    return TimeTravel()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what each stateful machine that ran reached."""
    coverage_module = sys.modules.get("mentorflow.testing._coverage")
    if coverage_module is None:
        return
    # machines defined in a module (not made inside a test function), that ran as tests
    ran = {
        m: c
        for m, c in coverage_module.COVERAGES.items()
        if c.runs > 1 and "<locals>" not in m.__qualname__
    }
    if not ran:
        return
    terminalreporter.section("mentorflow coverage")
    for machine, coverage in ran.items():
        terminalreporter.write_line(f"{machine.__module__}.{machine.__qualname__}:")
        for line in coverage.report().splitlines():
            terminalreporter.write_line(f"  {line}")
