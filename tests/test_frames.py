"""Tests for the pandas frames of timelines, comparisons and forecasts, and for timeline_rows."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from mentorflow.scenario import (
    Forecast,
    Timeline,
    compare,
    load_scenario,
    montecarlo,
    timeline_rows,
    timeline_table,
    to_csv,
)

pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    """IncluCities as it happened."""
    return load_scenario("inclucities").simulate()


@pytest.fixture(scope="module")
def without() -> Timeline:
    """IncluCities without its extension."""
    return load_scenario("inclucities-without-extension").simulate()


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    """100 runs of the uncertain IncluCities plan."""
    return montecarlo(load_scenario("inclucities-plan"), 100, seed=1, workers=1)


def brussels(year: int, month: int, day: int) -> pd.Timestamp:
    """Midnight of a day in Brussels."""
    return pd.Timestamp(year, month, day, tz="Europe/Brussels")


class TestTimelineFrame:
    """Tests for Timeline.to_pandas."""

    def test_dtypes(self, timeline: Timeline) -> None:
        """Days are tz-aware datetimes, statuses categories, days late nullable integers."""
        frame = timeline.to_pandas()
        dtypes = frame.dtypes.astype(str).to_dict()
        assert "datetime64[us, Europe/Brussels]" == dtypes["start"] == dtypes["end"]
        assert "category" == dtypes["status"] == dtypes["kind"] == dtypes["mode"]
        assert "Int64" == dtypes["days_late"] == dtypes["visit"]
        assert "string" == dtypes["pair"] == dtypes["host"]
        assert "bool" == dtypes["projected"]

    def test_one_row_per_thing(self, timeline: Timeline) -> None:
        """As many rows of each kind as the timeline has phases, visits, deadlines, extensions."""
        counts = timeline.to_pandas()["kind"].value_counts().to_dict()
        expected = {
            "phase": len(timeline.phases),
            "visit": len(timeline.visits),
            "deadline": len(timeline.deadlines),
            "extension": len(timeline.extensions),
        }
        assert expected == counts

    def test_visit_host_and_mode_are_columns(self, timeline: Timeline) -> None:
        """Each visit's host city and mode come from the visit record, not from text."""
        visits = timeline.to_pandas().query("kind == 'visit'")
        first = visits[(visits.pair == "schaerbeek-jelgava") & (visits.visit == 1)].iloc[0]
        record = next(
            v for v in timeline.visits if v.pair == "schaerbeek-jelgava" and v.number == 1
        )
        assert (record.host, record.mode.value) == (first.host, first["mode"])
        day = record.starts_on
        assert brussels(day.year, day.month, day.day) == first.start
        assert {"online", "in_person"} <= set(visits["mode"].astype(str))

    def test_days_late_nullable(self, without: Timeline) -> None:
        """Days late is an integer where the deadline has one, <NA> where not (never '')."""
        deadlines = without.to_pandas().query("kind == 'deadline'")
        conference = deadlines[deadlines.name == "final_conference"].iloc[0]
        assert (89, "met_late") == (conference.days_late, conference.status)
        assert brussels(2022, 12, 30) == conference.end
        import attrs

        rows = (*without.deadlines, attrs.evolve(without.deadlines[0], days_late=None))
        frame = attrs.evolve(without, deadlines=rows).to_pandas().query("kind == 'deadline'")
        actual = [None if pd.isna(v) else int(v) for v in frame.days_late]
        assert [d.days_late for d in rows] == actual

    def test_every_status_is_a_category(self, timeline: Timeline) -> None:
        """Statuses nobody has are still categories (a count lists them at zero)."""
        categories = list(timeline.to_pandas()["status"].cat.categories)
        assert {"overdue", "refused", "withdrawn", "held"} <= set(categories)

    def test_long_is_tidy(self, timeline: Timeline) -> None:
        """One row per dated point: a phase's start and end, a deadline's due and met day."""
        long = timeline.to_pandas("long")
        assert ["kind", "pair", "name", "status", "projected", "point", "day"] == list(long)
        phase = long[(long.kind == "phase") & (long.pair == "mechelen-capaci")]
        assert 2 * sum(1 for s in timeline.phases if s.pair == "mechelen-capaci") == len(phase)
        review = long[(long.name == "final_review") & (long.kind == "deadline")]
        assert {"due", "met"} == set(review.point.astype(str))
        assert not long["day"].isna().any()

    def test_empty_timeline_has_the_same_columns(self, timeline: Timeline) -> None:
        """A timeline with nothing in it gives an empty frame with the same dtypes."""
        import attrs

        empty = attrs.evolve(timeline, phases=(), visits=(), deadlines=(), extensions=())
        assert timeline.to_pandas().dtypes.to_dict() == empty.to_pandas().dtypes.to_dict()

    def test_bad_form(self, timeline: Timeline) -> None:
        """An unknown form is refused, naming the forms."""
        from mentorflow.exceptions import ValidationError

        with pytest.raises(ValidationError, match="form: 'tall' is not one of wide, long"):
            timeline.to_pandas("tall")  # type: ignore[arg-type]

    def test_without_pandas(self, timeline: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pandas, an ImportError names the extra that installs it."""
        import sys

        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ImportError, match=r"mentorflow\[pandas\]"):
            timeline.to_pandas()


class TestComparisonFrame:
    """Tests for Comparison.to_pandas."""

    def test_wide(self, timeline: Timeline, without: Timeline) -> None:
        """One row per milestone, its days in each and the slip as a nullable integer."""
        frame = compare(timeline, without).to_pandas()
        end = frame[frame.milestone == "programme end"].iloc[0]
        assert (brussels(2023, 3, 31), brussels(2022, 12, 31), -90) == (
            end.baseline,
            end.variant,
            end.slip_days,
        )
        assert "Int64" == str(frame.slip_days.dtype)

    def test_long(self, timeline: Timeline, without: Timeline) -> None:
        """Two rows per milestone, the scenario a category of the two names."""
        comparison = compare(timeline, without)
        long = comparison.to_pandas("long")
        assert 2 * len(comparison.slips) == len(long)
        assert [comparison.baseline, comparison.variant] == list(long.scenario.cat.categories)


class TestForecastFrame:
    """Tests for Forecast.to_pandas."""

    def test_wide(self, forecast: Forecast) -> None:
        """Percentile days as datetimes, odds as floats, the programme's row first."""
        frame = forecast.to_pandas()
        first = frame.iloc[0]
        assert ("completion", True) == (first.kind, pd.isna(first.pair))
        assert pd.Timestamp(forecast.programme.p50.isoformat(), tz="Europe/Brussels") == first.p50
        assert forecast.breach_probability == pytest.approx(first.probability)
        review = frame[(frame.kind == "deadline") & (frame.name == "final_review")].iloc[0]
        odds = forecast.deadline("final_review", review.pair)
        assert odds.days_late_p50 == (
            None if pd.isna(review.days_late_p50) else review.days_late_p50
        )

    def test_long_histograms_add_up(self, forecast: Forecast) -> None:
        """The long form's runs of each pair add up to the runs that completed it."""
        long = forecast.to_pandas("long")
        per_pair = long.groupby("pair", dropna=False)["runs"].sum()
        for spread in forecast.pairs:
            assert spread.runs == per_pair[spread.pair]
        assert long.share.sum() == pytest.approx(
            sum(s.runs for s in (forecast.programme, *forecast.pairs)) / forecast.done
        )

    def test_extensions(self, forecast: Forecast) -> None:
        """The months of extension needed and their shares, adding up to 1."""
        frame = forecast.to_pandas("extensions")
        assert list(range(len(forecast.extensions))) == frame.months.tolist()
        assert 1.0 == pytest.approx(frame.share.sum())
        assert forecast.done == frame.runs.sum()


class TestTimelineRows:
    """Tests for timeline_rows (compatible: the CSV keeps its columns)."""

    def test_visit_fields(self, timeline: Timeline) -> None:
        """A visit row carries its number, host city and mode as keys of their own."""
        row = next(r for r in timeline_rows(timeline) if r["kind"] == "visit")
        visit = timeline.visits[0]
        assert (visit.number, visit.host, visit.mode.value) == (
            row["visit"],
            row["host"],
            row["mode"],
        )
        other = next(r for r in timeline_rows(timeline) if r["kind"] == "phase")
        assert ("", "", "") == (other["visit"], other["host"], other["mode"])

    def test_csv_columns_unchanged(self, timeline: Timeline) -> None:
        """The CSV header is the one it always was."""
        header = "kind,pair,name,start,end,status,projected,days_late,revisions"
        assert header == to_csv(timeline).splitlines()[0]


class TestTerminalTable:
    """Tests for timeline_table's width."""

    def test_long_names_are_not_cut(self, timeline: Timeline) -> None:
        """A long pair key shows whole, however wide the table gets."""
        import attrs

        key = "a-very-long-pair-key-" * 4 + "end"
        spans = tuple(attrs.evolve(s, pair=key) for s in timeline.phases)
        text = timeline_table(attrs.evolve(timeline, phases=spans))
        assert key in text
        assert max(len(line) for line in text.splitlines()) > 120


def test_days_at_midnight_in_the_programmes_zone(timeline: Timeline) -> None:
    """A day is midnight in the programme's timezone, whatever the DST offset."""
    start = timeline.to_pandas()["start"].iloc[0]
    assert dt.date(2020, 6, 17) == start.date()
    assert (
        pendulum.timezone("Europe/Brussels").utcoffset(start.to_pydatetime()) == start.utcoffset()
    )
