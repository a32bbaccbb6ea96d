"""Tests for the plain domain values."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from mentorflow import (
    Association,
    Benchmark,
    City,
    Deliverable,
    Partner,
    Role,
    StudyVisit,
    ValidationError,
    VisitMode,
)


class TestCity:
    """Tests for City."""

    def test_region_with_subdivision(self) -> None:
        """A subdivision makes an ISO 3166-2 style region code."""
        assert City(name="Fuenlabrada", country="ES", subdivision="MD").region == "ES-MD"

    def test_region_without_subdivision(self) -> None:
        """Without a subdivision the region is the country."""
        assert City(name="Jelgava", country="LV").region == "LV"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"name": "", "country": "BE"}, "name"),
            ({"name": " Mechelen", "country": "BE"}, "name"),
            ({"name": "Mechelen", "country": "be"}, "country"),
            ({"name": "Mechelen", "country": "BEL"}, "country"),
            ({"name": "Capaci", "country": "IT", "subdivision": "IT-PA"}, "subdivision"),
            ({"name": 3, "country": "IT"}, "name"),
        ],
    )
    def test_bad_values_name_the_field(self, kwargs: dict[str, object], field: str) -> None:
        """A bad value raises ValidationError naming its field."""
        with pytest.raises(ValidationError) as info:
            City(**kwargs)  # type: ignore[arg-type]
        assert field == info.value.field
        assert isinstance(info.value, ValueError)

    def test_frozen_and_hashable(self) -> None:
        """Values are immutable and equal by value."""
        a = City(name="Capaci", country="IT", subdivision="PA")
        assert a == City(name="Capaci", country="IT", subdivision="PA")
        assert len({a, City(name="Capaci", country="IT", subdivision="PA")}) == 1
        with pytest.raises(AttributeError):
            a.name = "Partinico"  # type: ignore[misc]


class TestPartner:
    """Tests for Partner."""

    def test_city_must_be_a_city(self) -> None:
        """A partner's city must be a City."""
        with pytest.raises(ValidationError, match="city: must be a City"):
            Partner(city="Mechelen", association=Association(name="VVSG", country="BE"))  # type: ignore[arg-type]

    def test_association_must_be_an_association(self) -> None:
        """A partner's association must be an Association."""
        with pytest.raises(ValidationError, match="association: must be an Association"):
            Partner(city=City(name="Mechelen", country="BE"), association="VVSG")  # type: ignore[arg-type]


class TestBenchmark:
    """Tests for Benchmark."""

    def test_key_factors_become_a_tuple(self) -> None:
        """Key factors given as a list are stored as a tuple."""
        benchmark = Benchmark(
            title="migrant children's access to education",
            key_factors=["enough financial resources from families", "willingness"],
        )
        assert benchmark.key_factors == ("enough financial resources from families", "willingness")

    def test_single_string_is_refused(self) -> None:
        """A single string is not silently split into characters."""
        with pytest.raises(ValidationError, match="key_factors"):
            Benchmark(title="t", key_factors="abc")  # type: ignore[arg-type]

    def test_empty_key_factor_is_refused(self) -> None:
        """Each key factor must be non-empty; the error gives its index."""
        with pytest.raises(ValidationError) as info:
            Benchmark(title="t", key_factors=["ok", " "])
        assert info.value.field == "key_factors[1]"


class TestStudyVisit:
    """Tests for StudyVisit."""

    def test_converts_plain_dates_and_values(self) -> None:
        """Standard dates and enum values are converted."""
        v = StudyVisit(
            number=1,
            host="mentee",
            mode="online",
            starts_on=dt.date(2021, 5, 11),  # type: ignore[arg-type]
            ends_on=dt.date(2021, 5, 12),
        )
        assert (v.host, v.mode) == (Role.MENTEE, VisitMode.ONLINE)
        assert isinstance(v.starts_on, pendulum.Date)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"number": 0}, "number"),
            ({"number": True}, "number"),
            ({"number": "1"}, "number"),
            ({"host": "facilitator"}, "host"),
            ({"mode": "by post"}, "mode"),
            ({"starts_on": pendulum.datetime(2021, 5, 11)}, "starts_on"),
            ({"ends_on": pendulum.date(2021, 5, 10)}, "ends_on"),
        ],
    )
    def test_bad_values_name_the_field(self, changes: dict[str, object], field: str) -> None:
        """Bad numbers, roles, modes and dates name their field."""
        kwargs: dict[str, object] = {
            "number": 1,
            "host": Role.MENTEE,
            "mode": VisitMode.ONLINE,
            "starts_on": pendulum.date(2021, 5, 11),
            "ends_on": pendulum.date(2021, 5, 12),
        }
        kwargs.update(changes)
        with pytest.raises(ValidationError) as info:
            StudyVisit(**kwargs)  # type: ignore[arg-type]
        assert field == info.value.field


class TestEnums:
    """Tests for the enums' helpers."""

    def test_role_other(self) -> None:
        """Each role's other is the opposite role."""
        assert (Role.MENTOR.other, Role.MENTEE.other) == (Role.MENTEE, Role.MENTOR)

    def test_deliverable_owners(self) -> None:
        """The Action Plan is the mentee's, the one-stop-shop the mentor's, the rest shared."""
        assert Role.MENTEE is Deliverable.ACTION_PLAN.owner
        assert Role.MENTOR is Deliverable.ONE_STOP_SHOP.owner
        assert Deliverable.TOOLKIT.owner is None
