"""Tests for working-day calendars and date arithmetic."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorflow import ValidationError
from mentorflow._domain.calendar import WorkingCalendar, add_months, calendar_for

BE = calendar_for(("BE",))


class TestWorkingDays:
    """Tests for WorkingCalendar."""

    def test_weekends_are_never_working_days(self) -> None:
        """Saturday and Sunday are not working days, even with no holidays."""
        weekends = WorkingCalendar()
        assert not weekends.is_working_day(pendulum.date(2022, 12, 31))  # Saturday
        assert weekends.is_working_day(pendulum.date(2022, 12, 30))

    def test_national_holiday(self) -> None:
        """Whit Monday 2023 is a public holiday in Belgium."""
        assert not BE.is_working_day(pendulum.date(2023, 5, 29))
        assert WorkingCalendar().is_working_day(pendulum.date(2023, 5, 29))

    def test_subdivision_holiday(self) -> None:
        """Saint Rosalia (15 July) is a holiday in Palermo, not in Italy as a whole."""
        day = pendulum.date(2022, 7, 15)
        assert not calendar_for(("IT-PA",)).is_working_day(day)
        assert calendar_for(("IT",)).is_working_day(day)

    def test_both_cities(self) -> None:
        """A calendar of two regions needs a working day in both."""
        armistice = pendulum.date(2022, 11, 11)  # Belgium and France; not Latvia
        assert not calendar_for(("BE", "LV")).is_working_day(armistice)
        assert calendar_for(("LV",)).is_working_day(armistice)

    def test_roll_forward_is_the_eu_rule(self) -> None:
        """A period ending on a weekend or holiday ends on the next working day."""
        assert pendulum.date(2023, 5, 30) == BE.roll_forward(pendulum.date(2023, 5, 27))
        assert pendulum.date(2022, 12, 30) == BE.roll_forward(pendulum.date(2022, 12, 30))

    def test_roll_back(self) -> None:
        """roll_back finds the last working day on or before."""
        assert pendulum.date(2022, 12, 30) == BE.roll_back(pendulum.date(2023, 1, 1))

    def test_add_working_days(self) -> None:
        """Working days skip weekends and holidays, both ways."""
        friday = pendulum.date(2023, 5, 26)
        assert pendulum.date(2023, 5, 30) == BE.add_working_days(friday, 1)  # Mon 29 is Whit Monday
        assert pendulum.date(2023, 5, 25) == BE.add_working_days(friday, -1)
        assert pendulum.date(2023, 5, 30) == BE.add_working_days(pendulum.date(2023, 5, 27), 0)

    def test_unknown_country(self) -> None:
        """A country the holidays package doesn't know is a ValidationError."""
        with pytest.raises(ValidationError, match="country"):
            WorkingCalendar(["XX"])

    def test_unknown_subdivision(self) -> None:
        """An unknown subdivision is a ValidationError naming it."""
        with pytest.raises(ValidationError, match="subdivision"):
            WorkingCalendar(["ES-XX"])

    @given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)))
    def test_rolled_dates_are_working_days(self, day: dt.date) -> None:
        """roll_forward and roll_back land on a working day, never moving the wrong way."""
        calendar = calendar_for(("BE", "ES-MD"))
        date = pendulum.Date(day.year, day.month, day.day)
        forward, back = calendar.roll_forward(date), calendar.roll_back(date)
        assert calendar.is_working_day(forward)
        assert calendar.is_working_day(back)
        assert back <= date <= forward

    @given(
        st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31)),
        st.integers(-40, 40),
    )
    def test_working_days_count(self, day: dt.date, count: int) -> None:
        """Exactly |count| working days lie between the start and the result."""
        date = pendulum.Date(day.year, day.month, day.day)
        result = BE.add_working_days(date, count)
        assert BE.is_working_day(result)
        if count > 0:  # working days in (date, result]
            days = [date.add(days=i) for i in range(1, (result - date).days + 1)]
            assert count == sum(BE.is_working_day(d) for d in days)
        elif count < 0:  # working days in [result, date)
            days = [result.add(days=i) for i in range((date - result).days)]
            assert -count == sum(BE.is_working_day(d) for d in days)
        else:
            assert BE.roll_forward(date) == result


class TestAddMonths:
    """Tests for add_months (Regulation 1182/71 Art. 3(2)(c))."""

    @pytest.mark.parametrize(
        ("start", "months", "expected"),
        [
            ((2022, 12, 31), 3, (2023, 3, 31)),
            ((2023, 1, 31), 1, (2023, 2, 28)),
            ((2024, 1, 31), 1, (2024, 2, 29)),
            ((2020, 6, 17), 30, (2022, 12, 17)),
            ((2023, 3, 31), -1, (2023, 2, 28)),
        ],
    )
    def test_cases(
        self, start: tuple[int, int, int], months: int, expected: tuple[int, int, int]
    ) -> None:
        """Months end on the same day, or the month's last day when it has none."""
        assert pendulum.date(*expected) == add_months(pendulum.date(*start), months)

    @given(
        st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2050, 12, 31)),
        st.integers(-120, 120),
    )
    def test_same_as_pendulum(self, day: dt.date, months: int) -> None:
        """The fast arithmetic agrees with pendulum's own."""
        date = pendulum.Date(day.year, day.month, day.day)
        assert date.add(months=months) == add_months(date, months)
