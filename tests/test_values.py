"""Tests for the hot paths' fast constructors: `values.maker` and the commands the façade
makes fast (`commands.complete`, `commands.enrol`, `commands.check_deadlines`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorflow import (
    Association,
    CheckDeadlines,
    City,
    Complete,
    Enrol,
    Partner,
    Phase,
    Theme,
    ValidationError,
)
from mentorflow._domain import commands as c
from mentorflow._domain import events as ev
from mentorflow._domain.values import maker
from mentorflow.testing import partners

AT = pendulum.datetime(2021, 3, 4, 10, tz="Europe/Riga")
MECHELEN = Partner(
    city=City(name="Mechelen", country="BE"), association=Association(name="VVSG", country="BE")
)
JELGAVA = Partner(
    city=City(name="Jelgava", country="LV"), association=Association(name="LPS", country="LV")
)


@attrs.frozen(kw_only=True)
class Point:
    x: int
    y: int = 0


class TestMaker:
    """Tests for values.maker."""

    def test_makes_the_class_own_equal_instance(self) -> None:
        """A maker's value is an instance of the class, equal to the class call's."""
        made = maker(Point)(1, 2)
        assert Point(x=1, y=2) == made
        assert type(made) is Point
        assert hash(Point(x=1, y=2)) == hash(made)

    def test_the_value_is_frozen(self) -> None:
        """A made value is as frozen as any other."""
        made = maker(Point)(1, 2)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            made.x = 3  # type: ignore[misc]

    def test_refuses_classes_with_checks_unless_told(self) -> None:
        """A class whose fields have validators or converters needs checked_by_caller."""
        with pytest.raises(TypeError, match="validator or converter"):
            maker(Enrol)
        assert maker(Enrol, checked_by_caller=True) is not None

    def test_refuses_dict_classes(self) -> None:
        """A class without slots has no descriptors to set."""

        @attrs.frozen(slots=False)
        class Loose:
            x: int

        with pytest.raises(TypeError, match="not slotted"):
            maker(Loose)

    def test_event_makers_take_the_fields_in_order(self) -> None:
        """The events' makers equal the keyword class calls."""
        assert ev.PhaseStarted(
            seq=3, at=AT, note=None, pair="a-b", phase="matching"
        ) == ev.make_phase_started(3, AT, None, "a-b", "matching")
        assert ev.PhaseCompleted(
            seq=3, at=AT, note="n", pair="a-b", phase="matching"
        ) == ev.make_phase_completed(3, AT, "n", "a-b", "matching")
        assert ev.PairCompleted(seq=4, at=AT, pair="a-b") == ev.make_pair_completed(
            4, AT, None, "a-b"
        )


ats = st.one_of(st.none(), st.just(AT), st.just(dt.datetime(2021, 3, 4, 8, tzinfo=dt.UTC)))
notes = st.one_of(st.none(), st.just("a note"))


class TestComplete:
    """Tests for commands.complete (what Pair.complete makes)."""

    @given(phase=st.sampled_from(["matching", Phase.NEEDS_ASSESSMENT]), at=ats, note=notes)
    def test_equals_the_class_call(self, phase: str, at: Any, note: Any) -> None:
        """Fast or not, the command equals Complete(...) of the same fields."""
        assert Complete(pair="a-b", phase=phase, at=at, note=note) == c.complete(
            "a-b", phase, at, note
        )

    @pytest.mark.parametrize(
        ("pair", "phase", "at", "note", "field"),
        [
            (1, "matching", None, None, "pair"),
            ("a-b", 7, None, None, "phase"),
            ("a-b", "matching", "2021-03-04", None, "at"),
            ("a-b", "matching", None, {"x": 1}, "note"),
        ],
    )
    def test_bad_fields_still_get_the_class_checks(
        self, pair: Any, phase: Any, at: Any, note: Any, field: str
    ) -> None:
        """Anything off the usual shape goes through the class call and its checks."""
        with pytest.raises(ValidationError) as err:
            c.complete(pair, phase, at, note)
        assert field == err.value.field


class TestEnrol:
    """Tests for commands.enrol (what Programme.add_pair makes)."""

    @given(
        mentor=partners(),
        mentee=partners(),
        theme=st.sampled_from(Theme),
        at=ats,
        note=notes,
        topic=st.one_of(st.none(), st.just("housing")),
        network=st.sampled_from([(), ("NGO",), ["NGO"]]),
        key=st.sampled_from(["a-b", "ä-b", "pair 1"]),
    )
    def test_equals_the_class_call(
        self,
        mentor: Partner,
        mentee: Partner,
        theme: Theme,
        at: Any,
        note: Any,
        topic: Any,
        network: Any,
        key: str,
    ) -> None:
        """Fast or not, the command (or the refusal) is the class call's."""

        def outcome(make: Any) -> object:
            try:
                return make()
            except ValidationError as err:
                return (err.field, str(err))

        expected = outcome(
            lambda: Enrol(
                pair=key,
                mentor=mentor,
                mentee=mentee,
                theme=theme,
                topic=topic,
                support_network=network,
                at=at,
                note=note,
            )
        )
        actual = outcome(lambda: c.enrol(key, mentor, mentee, theme, topic, (), network, at, note))
        assert expected == actual

    @pytest.mark.parametrize(
        ("key", "field"), [(" a-b", "key"), ("", "key"), ("a\udc80b", "key"), (3, "key")]
    )
    def test_bad_keys_still_get_the_class_checks(self, key: Any, field: str) -> None:
        """A key off the usual shape goes through the class call and its checks."""
        mentor, mentee = MECHELEN, JELGAVA
        with pytest.raises(ValidationError) as err:
            c.enrol(key, mentor, mentee, Theme.HOUSING, None, (), (), None, None)
        assert field == err.value.field

    def test_the_same_city_on_both_sides_is_refused(self) -> None:
        """The fast path checks the cities differ, as the class does."""
        mentor = MECHELEN
        with pytest.raises(ValidationError, match="also the mentor"):
            c.enrol("a-b", mentor, mentor, Theme.HOUSING, None, (), (), None, None)


class TestCheckDeadlines:
    """Tests for commands.check_deadlines (what Programme.check_deadlines makes)."""

    @given(at=ats)
    def test_equals_the_class_call(self, at: Any) -> None:
        """Fast or not, the command equals CheckDeadlines(at=...)."""
        assert CheckDeadlines(at=at) == c.check_deadlines(at)

    def test_a_bad_time_gets_the_class_check(self) -> None:
        """A string is refused, naming at."""
        with pytest.raises(ValidationError) as err:
            c.check_deadlines("tomorrow")  # type: ignore[arg-type]
        assert "at" == err.value.field
