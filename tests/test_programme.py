"""Tests for Programme: its definition, pairs, merged history and clock."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from mentorflow import (
    DefinitionError,
    Lifecycle,
    ManualClock,
    Phase,
    Programme,
    SystemClock,
    Theme,
    UnknownPairError,
    ValidationError,
)

from helpers import CAPACI, MECHELEN, PARTINICO, START, TZ


def make(**changes: object) -> Programme:
    """A programme with these definition changes."""
    kwargs: dict[str, object] = {
        "starts_on": pendulum.date(2020, 6, 17),
        "ends_on": pendulum.date(2022, 12, 31),
        "timezone": TZ,
        "clock": ManualClock(START),
    }
    name = changes.pop("name", "IncluCities")
    kwargs.update(changes)
    return Programme(name, **kwargs)  # type: ignore[arg-type]


class TestDefinition:
    """Tests for Programme's definition."""

    def test_fields(self) -> None:
        """The definition is kept as given, dates as pendulum dates."""
        programme = make(
            starts_on=dt.date(2020, 6, 17),
            coordinator="CEMR",
            funding_reference="AMIF-2018-AG-INTE no. 863770",
        )
        assert (
            programme.name,
            programme.coordinator,
            programme.funding_reference,
        ) == ("IncluCities", "CEMR", "AMIF-2018-AG-INTE no. 863770")
        assert pendulum.date(2020, 6, 17) == programme.starts_on
        assert type(programme.starts_on) is pendulum.Date
        assert programme.timezone.name == TZ
        assert Lifecycle.default() == programme.lifecycle

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"name": ""}, "name"),
            ({"starts_on": "2020-06-17"}, "starts_on"),
            ({"ends_on": pendulum.datetime(2022, 12, 31)}, "ends_on"),
            ({"ends_on": pendulum.date(2020, 1, 1)}, "ends_on"),
            ({"timezone": "Europe/Atlantis"}, "timezone"),
            ({"lifecycle": [Phase.MATCHING]}, "lifecycle"),
            ({"clock": "now"}, "clock"),
            ({"coordinator": " CEMR"}, "coordinator"),
        ],
    )
    def test_bad_definition(self, changes: dict[str, object], field: str) -> None:
        """A bad definition raises DefinitionError naming the field."""
        with pytest.raises(DefinitionError) as info:
            make(**changes)
        assert field == info.value.field

    def test_default_clock_is_the_system_clock(self) -> None:
        """Without a clock, the programme uses the system clock (the one wall-clock reader)."""
        programme = Programme(
            "p", starts_on=pendulum.date(2020, 1, 1), ends_on=pendulum.date(2020, 2, 1)
        )
        assert isinstance(programme.clock, SystemClock)
        assert programme.now().tzinfo is not None

    def test_shared_engine(self) -> None:
        """Programmes with equal lifecycles share one compiled engine."""
        assert make()._rt.engine is make()._rt.engine
        assert make()._rt.engine is not make(lifecycle=Lifecycle.linear(Phase.MATCHING))._rt.engine

    def test_repr(self) -> None:
        """The repr gives name, dates and size."""
        assert repr(make()) == "<Programme 'IncluCities' 2020-06-17..2022-12-31, 0 pairs>"


class TestPairs:
    """Tests for Programme.pairs and Programme.pair."""

    def test_lookup(self) -> None:
        """Pairs are found by key, in the order they were added."""
        programme = make()
        a = programme.add_pair("a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        b = programme.add_pair("b", mentor=MECHELEN, mentee=PARTINICO, theme=Theme.HOUSING)
        assert list(programme.pairs) == ["a", "b"]
        assert b is programme.pair("b")
        assert a is programme.pairs["a"]
        assert programme is a.programme

    def test_unknown_key(self) -> None:
        """An unknown key raises UnknownPairError, a KeyError."""
        with pytest.raises(UnknownPairError, match="No pair with key 'x'") as info:
            make().pair("x")
        assert isinstance(info.value, KeyError)

    def test_pairs_view_is_read_only(self) -> None:
        """The pairs mapping can't be changed from outside."""
        with pytest.raises(TypeError):
            make().pairs["x"] = None  # type: ignore[index]


class TestHistory:
    """Tests for the merged history."""

    def test_merged_in_order_with_sequence_numbers(self) -> None:
        """The programme history merges the pairs' events in the order they happened."""
        programme = make()
        a = programme.add_pair("a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START)
        b = programme.add_pair(
            "b", mentor=MECHELEN, mentee=PARTINICO, theme=Theme.HOUSING, at=START
        )
        a.complete(Phase.NEEDS_ASSESSMENT, at=START)
        b.suspend(at=START)
        history = programme.history
        assert list(range(1, 8)) == [e.seq for e in history]
        assert [e.pair for e in history] == ["a", "a", "b", "b", "a", "a", "b"]
        assert a.history + b.history == tuple(sorted(history, key=lambda e: (e.pair, e.seq)))
        assert history[-1] == b.history[-1]
        assert (history[0], history[1]) == history[0:2]
        assert repr(history) == "<History of 7 events>"

    def test_is_a_live_read_only_view(self) -> None:
        """The history view sees new events and can't be modified."""
        programme = make()
        history = programme.history
        programme.add_pair("a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        assert len(history) == 2
        assert not hasattr(history, "append")


class TestClock:
    """Tests for ManualClock and SystemClock."""

    def test_manual_clock_moves_only_forward(self) -> None:
        """advance and set move forward; backwards is a ValidationError."""
        clock = ManualClock(START)
        assert START.add(days=1, hours=2) == clock.advance(days=1, hours=2)
        assert START.add(days=2) == clock.set(START.add(days=2))
        with pytest.raises(ValidationError, match="backwards"):
            clock.advance(days=-1)
        with pytest.raises(ValidationError, match="before the clock"):
            clock.set(START)
        assert repr(clock) == "ManualClock(2020-06-19T10:00:00+02:00)"

    def test_manual_clock_needs_an_aware_start(self) -> None:
        """A naive start is refused, naming the field."""
        with pytest.raises(ValidationError, match=r"start: .* naive"):
            ManualClock(dt.datetime(2020, 1, 1))

    def test_now_is_in_programme_timezone(self) -> None:
        """Programme.now converts the clock's time to the programme's timezone."""
        programme = make(clock=ManualClock(pendulum.datetime(2020, 6, 17, 8, tz="UTC")))
        assert (programme.now().hour, programme.now().timezone_name) == (10, TZ)

    def test_system_clock(self) -> None:
        """The system clock returns an aware time in its zone (UTC unless told otherwise)."""
        now = SystemClock().now()
        assert "UTC" == now.timezone_name
        assert "SystemClock('UTC')" == repr(SystemClock())
        riga = SystemClock("Europe/Riga").now()
        assert "Europe/Riga" == riga.timezone_name
        assert abs(riga.timestamp() - now.timestamp()) < 60
        with pytest.raises(ValidationError, match="timezone"):
            SystemClock("Mars/Olympus")

    def test_default_clock_speaks_the_programme_zone(self) -> None:
        """A programme's default clock gives times in the programme's zone already."""
        programme = Programme(
            "p",
            starts_on=pendulum.date(2020, 1, 1),
            ends_on=pendulum.date(2020, 2, 1),
            timezone=TZ,
        )
        assert TZ == programme.clock.now().timezone_name
        assert programme.clock.now().tzinfo is programme.timezone

    def test_bad_clock_output(self) -> None:
        """A clock returning a naive time is refused when used."""

        class Naive:
            def now(self) -> pendulum.DateTime:
                return dt.datetime(2020, 1, 1)  # type: ignore[return-value]

        programme = make(clock=Naive())
        with pytest.raises(ValidationError, match=r"clock.now\(\)"):
            programme.add_pair("a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
