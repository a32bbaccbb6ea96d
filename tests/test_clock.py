"""Tests for timestamp conversion into a programme's timezone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorflow import ValidationError
from mentorflow._domain.clock import earlier, to_instant

BRUSSELS = pendulum.timezone("Europe/Brussels")
ZONES = ["UTC", "Europe/Brussels", "Europe/Riga", "America/Sao_Paulo", "Asia/Kolkata"]


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        # the repeated hour when DST ends in Brussels (31 Oct 2021): same wall time, two offsets
        (dt.datetime(2021, 10, 31, 0, 30, tzinfo=dt.UTC), "2021-10-31T02:30:00+02:00"),
        (dt.datetime(2021, 10, 31, 1, 30, tzinfo=dt.UTC), "2021-10-31T02:30:00+01:00"),
        # the skipped hour when DST starts (28 Mar 2021)
        (dt.datetime(2021, 3, 28, 1, 30, tzinfo=dt.UTC), "2021-03-28T03:30:00+02:00"),
    ],
)
def test_dst_transitions(utc: dt.datetime, local: str) -> None:
    """Conversion keeps the instant and the right offset across DST changes."""
    converted = to_instant(utc, "at", BRUSSELS)
    assert local == converted.isoformat()
    assert utc.timestamp() == converted.timestamp()


@given(
    st.datetimes(
        min_value=dt.datetime(1990, 1, 1),
        max_value=dt.datetime(2060, 1, 1),
        timezones=st.sampled_from([zoneinfo.ZoneInfo(z) for z in ZONES]),
    ),
    st.sampled_from(ZONES),
)
def test_same_instant_and_wall_time(value: dt.datetime, zone: str) -> None:
    """Any aware datetime becomes a pendulum DateTime in the target zone: the same instant
    (as Python reads the input, PEP 495), with the zone's wall time and offset for it."""
    tz = pendulum.timezone(zone)
    converted = to_instant(value, "at", tz)
    # through UTC: astimezone to the same zone would keep a wall time that doesn't exist
    expected = value.astimezone(dt.UTC).astimezone(zoneinfo.ZoneInfo(zone))
    assert type(converted) is pendulum.DateTime
    assert converted.tzinfo is tz
    assert value.timestamp() == converted.timestamp()
    assert expected.isoformat() == converted.isoformat()


def test_refuses_dates_and_strings() -> None:
    """Only datetimes are instants."""
    with pytest.raises(ValidationError, match="when: must be a datetime, not Date"):
        to_instant(pendulum.date(2020, 1, 1), "when", BRUSSELS)


class TestEarlier:
    """Tests for comparing instants across the DST fold."""

    first = pendulum.DateTime(2021, 10, 31, 2, 45, tzinfo=BRUSSELS, fold=0)  # 00:45 UTC
    second = pendulum.DateTime(2021, 10, 31, 2, 15, tzinfo=BRUSSELS, fold=1)  # 01:15 UTC

    def test_fold_is_respected(self) -> None:
        """02:15 in the repeated hour is after 02:45 in the first one."""
        assert self.second < self.first  # what Python's own comparison says
        assert not earlier(self.second, self.first)
        assert earlier(self.first, self.second)

    def test_a_command_in_the_repeated_hour_is_not_backwards(self) -> None:
        """A pair accepts a later command whose wall time is earlier (DST end)."""
        from mentorflow import ManualClock, Phase, Programme, Theme

        from helpers import CAPACI, MECHELEN

        programme = Programme(
            "p",
            starts_on=pendulum.date(2021, 1, 1),
            ends_on=pendulum.date(2022, 1, 1),
            timezone="Europe/Brussels",
            clock=ManualClock(self.first),
        )
        pair = programme.add_pair(
            "p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=self.first
        )
        pair.complete(Phase.NEEDS_ASSESSMENT, at=self.second)
        assert pair.phase == Phase.MATCHING
        with pytest.raises(Exception, match="timestamp-backwards"):
            pair.complete(Phase.MATCHING, at=self.first)

    def test_manual_clock_across_the_fold(self) -> None:
        """The manual clock can move into the repeated hour."""
        from mentorflow import ManualClock

        clock = ManualClock(self.first)
        assert self.second == clock.set(self.second)
