"""Tests for the notebook display: short reprs, HTML views, figures without a path, progress."""

from __future__ import annotations

import io
import sys
import types
from html.parser import HTMLParser
from typing import Any

import attrs
import pendulum
import pytest

from mentorflow import Association, City, ManualClock, Partner, Programme, Theme
from mentorflow._domain.views import html
from mentorflow.scenario import (
    Comparison,
    Forecast,
    Scenario,
    Timeline,
    compare,
    gantt,
    load_scenario,
    montecarlo,
    plot_forecast,
    progress_bar,
)

EVIL = "<script>alert('x')</script> & co"


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """IncluCities without its extension, renamed with markup in its name."""
    return attrs.evolve(load_scenario("inclucities-without-extension"), name=EVIL)


@pytest.fixture(scope="module")
def timeline(scenario: Scenario) -> Timeline:
    """Its timeline."""
    return scenario.simulate()


@pytest.fixture(scope="module")
def comparison(timeline: Timeline) -> Comparison:
    """It against IncluCities as it happened."""
    return compare(load_scenario("inclucities").simulate(), timeline)


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    """50 runs of the uncertain plan, renamed with markup in its name."""
    plan = attrs.evolve(load_scenario("inclucities-plan"), name=EVIL)
    return montecarlo(plan, 50, seed=1, workers=1)


class Tags(HTMLParser):
    """The tags of an HTML fragment, checking every opened tag is closed."""

    VOID = frozenset({"br", "hr", "img", "meta", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.seen.append(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open, f"</{tag}> closes nothing"
        assert tag == self.open[-1], f"</{tag}> closes <{self.open[-1]}>"
        self.open.pop()


def parse(fragment: str) -> Tags:
    tags = Tags()
    tags.feed(fragment)
    tags.close()
    assert [] == tags.open
    return tags


class TestReprs:
    """Tests for the text reprs: one short line, not every field."""

    def test_short(
        self, scenario: Scenario, timeline: Timeline, comparison: Comparison, forecast: Forecast
    ) -> None:
        """Each repr is one line of at most 250 characters that names the scenario."""
        for value in (scenario, timeline, comparison, forecast):
            text = repr(value)
            assert "\n" not in text
            assert len(text) <= 250, text
            assert repr(EVIL) in text

    def test_timeline_says_what_matters(self, timeline: Timeline) -> None:
        """The timeline's repr gives its period, pairs, last completion and misses."""
        expected = (
            f"<Timeline {EVIL!r}: 2020-06-17..2022-12-31, 4 pairs, last completion "
            "2023-03-29, 88 days past the end, 5 missed>"
        )
        assert expected == repr(timeline)


class TestHtml:
    """Tests for the _repr_html_ views."""

    def test_well_formed_and_escaped(
        self, scenario: Scenario, timeline: Timeline, comparison: Comparison, forecast: Forecast
    ) -> None:
        """Every view is balanced HTML with the name escaped, and no script or link."""
        for value in (scenario, timeline, comparison, forecast):
            page = value._repr_html_()
            tags = parse(page)
            assert "script" not in tags.seen
            assert "<script>" not in page
            assert "&lt;script&gt;" in page
            assert "http" not in page

    def test_timeline_lists_missed(self, timeline: Timeline) -> None:
        """The timeline's view names its missed deadlines and the smallest extension."""
        page = timeline._repr_html_()
        assert "final conference" in page
        assert "3 months" in page
        assert page.count("<tr>") == 1 + len(timeline.missed)

    def test_forecast_gives_percentiles(self, forecast: Forecast) -> None:
        """The forecast's view gives the completion percentiles of the programme and pairs."""
        page = forecast._repr_html_()
        assert str(forecast.programme.p50) in page
        for spread in forecast.pairs:
            assert spread.pair is not None
            assert spread.pair in page

    def test_programme(self) -> None:
        """A programme's view lists its pairs, where they stand."""
        programme = Programme(
            "A & B",
            starts_on=pendulum.date(2020, 6, 17),
            ends_on=pendulum.date(2022, 12, 31),
            timezone="Europe/Brussels",
            clock=ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")),
        )
        programme.add_pair(
            "mechelen-capaci",
            mentor=Partner(
                city=City(name="Mechelen", country="BE"),
                association=Association(name="VVSG", country="BE"),
            ),
            mentee=Partner(
                city=City(name="Capaci", country="IT", subdivision="PA"),
                association=Association(name="AICCRE", country="IT"),
            ),
            theme=Theme.PARTICIPATION_AND_SOCIAL_INCLUSION,
        )
        page = programme._repr_html_()
        parse(page)
        assert "A &amp; B" in page
        assert "Mechelen" in page
        assert "needs assessment" in page

    def test_fallback_escapes_the_repr(self) -> None:
        """A value no renderer draws shows its repr, escaped."""
        assert "<pre>&lt;b&gt;</pre>" == html(Marked())


class Marked:
    """A value whose repr is markup."""

    def __repr__(self) -> str:
        return "<b>"


class TestFigures:
    """Tests for gantt and plot_forecast without a path."""

    @pytest.fixture(autouse=True)
    def _matplotlib(self) -> None:
        pytest.importorskip("matplotlib")

    def test_gantt_returns_a_figure(self, timeline: Timeline) -> None:
        """Without a path, gantt returns a Figure and writes nothing."""
        from matplotlib.figure import Figure

        figure = gantt(timeline)
        assert isinstance(figure, Figure)
        assert EVIL == figure.get_suptitle()

    def test_plot_returns_a_figure(self, forecast: Forecast) -> None:
        """Without a path, plot_forecast returns a Figure, settings untouched."""
        import matplotlib
        from matplotlib.figure import Figure

        before = dict(matplotlib.rcParams)
        figure = plot_forecast(forecast)
        assert isinstance(figure, Figure)
        assert before == dict(matplotlib.rcParams)


class TestProgressBar:
    """Tests for progress_bar."""

    def test_text(self) -> None:
        """Outside a notebook, one line rewritten in place, ended by a newline."""
        out = io.StringIO()
        bar = progress_bar(out)
        bar(0, 200)
        bar(100, 200)
        bar(200, 200)
        expected = (
            "\rsimulating: 0 of 200 runs (0%)\rsimulating: 100 of 200 runs (50%)"
            "\rsimulating: 200 of 200 runs (100%)\n"
        )
        assert expected == out.getvalue()

    def test_notebook(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """In a notebook's kernel, one HTML progress element, displayed once, then updated."""
        shown: list[str] = []
        updates: list[str] = []

        class Handle:
            def update(self, page: types.SimpleNamespace) -> None:
                updates.append(page.data)

        def display(page: types.SimpleNamespace, display_id: bool) -> Handle:
            assert display_id
            shown.append(page.data)
            return Handle()

        ipython = types.ModuleType("IPython")
        ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
        shown_module = types.ModuleType("IPython.display")
        shown_module.HTML = lambda data: types.SimpleNamespace(data=data)  # type: ignore[attr-defined]
        shown_module.display = display  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        monkeypatch.setitem(sys.modules, "IPython.display", shown_module)
        bar = progress_bar()
        bar(0, 10)
        bar(10, 10)
        assert ['<progress value="0" max="10"></progress> simulating: 0 of 10 runs (0%)'] == shown
        assert ['<progress value="10" max="10"></progress> simulating: 10 of 10 runs (100%)'] == (
            updates
        )
