"""Clocks. Nothing in mentorflow reads the wall clock except `SystemClock`, and only
when a programme is given one; tests and simulations use `ManualClock`."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Protocol, runtime_checkable

import pendulum

from ..exceptions import ValidationError
from . import validate as v
from .validate import show

_FIRST_YEAR, _LAST_YEAR = v.FIRST_DAY.year, v.LAST_DAY.year


@runtime_checkable
class Clock(Protocol):
    """Anything with a ``now()`` that returns a timezone-aware pendulum ``DateTime``."""

    def now(self) -> pendulum.DateTime:
        """The current instant."""
        ...


class SystemClock:
    """The real clock. A `Programme` without a clock gets one in its own timezone.

    Args:
        timezone: The IANA zone its times are given in (default UTC).
    """

    def __init__(self, timezone: str = "UTC") -> None:
        try:
            self._tz = pendulum.timezone(timezone)
        except Exception:  # pendulum raises several kinds for unknown names
            raise ValidationError("timezone", f"{show(timezone)} is not an IANA timezone") from None

    def now(self) -> pendulum.DateTime:
        """The wall-clock time now, in the clock's timezone."""
        return in_zone(dt.datetime.now(dt.UTC), self._tz)

    def __repr__(self) -> str:
        return f"SystemClock({show(self._tz.name)})"


class ManualClock:
    """A clock that only moves when told to: for tests and simulations.

    Args:
        start: The first instant; timezone-aware.

    Examples:
        >>> import pendulum
        >>> from mentorflow import ManualClock
        >>> clock = ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))
        >>> clock.advance(days=2).to_date_string()
        '2020-06-19'
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = to_instant(start, "start")

    def now(self) -> pendulum.DateTime:
        """The clock's current instant."""
        return self._now

    def advance(
        self, *, days: int = 0, hours: int = 0, minutes: int = 0, seconds: int = 0, weeks: int = 0
    ) -> pendulum.DateTime:
        """Move forward by an elapsed duration and return the new instant.

        This is absolute time: ``advance(days=1)`` across a DST change lands an hour off the
        same wall time. Use ``set`` to move to a given wall time.

        Raises:
            ValidationError: if the duration is negative.
        """
        delta = dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
        if delta < dt.timedelta(0):
            raise ValidationError("advance", f"a clock can't move backwards ({delta})")
        self._now = self._now + delta
        return self._now

    def set(self, instant: dt.datetime) -> pendulum.DateTime:
        """Move to ``instant`` (not earlier than now) and return it.

        Raises:
            ValidationError: if ``instant`` is naive or before the current instant.
        """
        new = to_instant(instant, "instant")
        if earlier(new, self._now):
            raise ValidationError(
                "instant", f"{new.isoformat()} is before the clock's {self._now.isoformat()}"
            )
        self._now = new
        return new

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


@functools.lru_cache(maxsize=16384)
def wall_time(
    ordinal: int,
    tz: pendulum.Timezone,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> pendulum.DateTime:
    """That wall time on day ``ordinal`` in ``tz``, made once: placing a wall time in a zone
    costs pendulum a few microseconds, and deadline checks and simulations (thousands of runs
    of one scenario) ask for the same few days again and again. Times are immutable, so they
    are safe to share."""
    day = dt.date.fromordinal(ordinal)
    return pendulum.datetime(day.year, day.month, day.day, hour, minute, second, microsecond, tz=tz)


def earlier(a: dt.datetime, b: dt.datetime) -> bool:
    """Whether instant ``a`` is strictly before instant ``b``.

    Python compares two datetimes of the same zone by wall time and ignores ``fold``, so in the
    hour repeated when DST ends, 02:15+01:00 "is before" 02:45+02:00 although it is half an
    hour later. Wall times are compared only when that is exact (same zone, same fold).
    """
    if a.tzinfo is b.tzinfo and a.fold == b.fold:
        return a < b
    return a.timestamp() < b.timestamp()


def to_instant(value: object, field: str, tz: pendulum.Timezone | None = None) -> pendulum.DateTime:
    """A timezone-aware datetime as a pendulum ``DateTime`` (in ``tz`` when given).

    Raises:
        ValidationError: naming ``field``, if ``value`` is not a datetime or is naive.
    """
    if type(value) is pendulum.DateTime and (tz is None or value.tzinfo is tz):
        if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
            v.day_in_range(field, value.date())
        return value  # the hot path: already right
    if not isinstance(value, dt.datetime):
        raise ValidationError(field, f"must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, f"{value.isoformat()} is naive; give it a timezone")
    v.day_in_range(field, value.date())
    if tz is None:
        return pendulum.instance(value)
    found = in_zone(value, tz)
    v.day_in_range(field, found.date())
    return found


def in_zone(value: dt.datetime, tz: pendulum.Timezone) -> pendulum.DateTime:
    """The aware ``value`` as a pendulum ``DateTime`` in ``tz``, the same instant.

    About 1 µs, against about 6.5 µs for ``pendulum.instance(value).in_timezone(tz)``;
    ``fold`` keeps the right offset in the hour repeated when DST ends.
    """
    local = value.astimezone(tz)
    return pendulum.DateTime(
        local.year,
        local.month,
        local.day,
        local.hour,
        local.minute,
        local.second,
        local.microsecond,
        tzinfo=tz,
        fold=local.fold,
    )
