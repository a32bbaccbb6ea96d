"""The Gantt and forecast charts hold for any programme: five shapes, built from the public
API, each checked with the renderer's own text extents: no two labels overlap, none is
clipped, no marker hides another, the axis spans what matters.

The shapes: IncluCities; a 7-city network over 30 months (one lead city mentoring six, with
early deadlines, programme milestones before and after its end, visits online, hybrid and in
person); 20 pairs; one pair; a five-year programme with yearly reports. Each holds
programme-wide activities (meetings of one and several days, the final conference).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import attrs
import pendulum
import pytest

from mentorflow import (
    Activity,
    ActivityHeld,
    Association,
    City,
    DeadlineRule,
    Definition,
    Partner,
    Role,
    StudyVisit,
    Theme,
    VisitMode,
)
from mentorflow._render.charts import drawn_texts as texts_of
from mentorflow._render.forecast_plot import draw as draw_forecast
from mentorflow._render.gantt import draw as draw_gantt
from mentorflow.scenario import (
    Action,
    Forecast,
    PairSpec,
    Scenario,
    Timeline,
    Triangular,
    Uniform,
    load_scenario,
    montecarlo,
)

matplotlib = pytest.importorskip("matplotlib")

PLACES = (
    ("Almada", "PT"),
    ("Tartu", "EE"),
    ("Nitra", "SK"),
    ("Gdansk", "PL"),
    ("Lyon", "FR"),
    ("Ghent", "BE"),
    ("Graz", "AT"),
    ("Turku", "FI"),
    ("Riga", "LV"),
    ("Aarhus", "DK"),
    ("Utrecht", "NL"),
    ("Malmo", "SE"),
    ("Cork", "IE"),
    ("Kaunas", "LT"),
    ("Maribor", "SI"),
    ("Split", "HR"),
    ("Brno", "CZ"),
    ("Pecs", "HU"),
    ("Cluj-Napoca", "RO"),
    ("Plovdiv", "BG"),
    ("Patras", "GR"),
    ("Porto", "PT"),
    ("Linz", "AT"),
    ("Bordeaux", "FR"),
    ("Leuven", "BE"),
    ("Oulu", "FI"),
    ("Liepaja", "LV"),
    ("Odense", "DK"),
    ("Tilburg", "NL"),
    ("Uppsala", "SE"),
    ("Galway", "IE"),
    ("Klaipeda", "LT"),
    ("Celje", "SI"),
    ("Zadar", "HR"),
    ("Olomouc", "CZ"),
    ("Szeged", "HU"),
    ("Iasi", "RO"),
    ("Varna", "BG"),
    ("Volos", "GR"),
    ("Coimbra", "PT"),
)


def partner(index: int) -> Partner:
    """The partner of the ``index``th place (its national association beside it)."""
    name, country = PLACES[index]
    return Partner(
        city=City(name=name, country=country),
        association=Association(name=f"{country} association", country=country),
    )


def pairs(count: int, *, lead: bool = False) -> tuple[PairSpec, ...]:
    """``count`` pairs of distinct cities (``lead``: one mentor city for them all)."""
    themes = itertools.cycle(Theme)
    made = []
    for i in range(count):
        mentor, mentee = (0, i + 1) if lead else (2 * i, 2 * i + 1)
        key = f"{PLACES[mentor][0]}-{PLACES[mentee][0]}".lower()
        made.append(
            PairSpec(key=key, mentor=partner(mentor), mentee=partner(mentee), theme=next(themes))
        )
    return tuple(made)


def durations(scale: float) -> dict[str, Triangular]:
    """Three-point estimates of the default lifecycle's phases, in months, times ``scale``."""
    plan = {
        "needs_assessment": (2, 3, 4),
        "matching": (0.5, 1, 2),
        "study_visit_1": (4, 5, 8),
        "study_visit_2": (4, 5, 7),
        "transfer_workshop": (1, 2, 3),
        "study_visit_3": (3, 4, 6),
        "training_academy": (3, 4, 6),
        "final_review": (1, 1, 2),
    }
    return {
        phase: Triangular(*(round(a * scale, 1) for a in abc), unit="months")
        for phase, abc in plan.items()
    }


def visit(pair: str, on: pendulum.Date, mode: VisitMode) -> Action:
    """The first study visit of ``pair``, two days from ``on``, recorded the day after."""
    held = StudyVisit(number=1, host=Role.MENTEE, mode=mode, starts_on=on, ends_on=on.add(days=1))
    return Action(on=on.add(days=3), action="visit", pair=pair, visit=held)


def meeting(name: str, on: pendulum.Date, days: int = 1, kind: str = "workshop") -> Action:
    """A programme-wide activity of ``days`` from ``on``, recorded on its last day."""
    last = on.add(days=days - 1)
    held = Activity(name=name, kind=kind, starts_on=on, ends_on=last)
    return Action(on=last, action="activity", activity=held)


def network() -> Scenario:
    """Seven cities over 30 months: early phase deadlines, milestones before and after the
    end, two phases completed by the script, visits of every mode, a shared delay."""
    start = pendulum.date(2023, 9, 1)
    programme = Definition(
        name="Seven-city network",
        starts_on=start,
        ends_on=start.add(months=30).subtract(days=1),
        timezone="Europe/Lisbon",
        country="PT",
        deadlines=(
            DeadlineRule("needs_assessment", after="programme.start", months=3),
            DeadlineRule("matching", after="programme.start", months=5),
            DeadlineRule("study_visit_1", after="programme.start", months=12),
            DeadlineRule("transfer_plan", after="programme.start", months=9),
            DeadlineRule("mid_term_report", after="programme.start", months=15),
            DeadlineRule("final_review", after="programme.end", capped=True),
            DeadlineRule("final_evaluation", after="programme.end", days=-30),
            DeadlineRule("final_report", after="programme.end", days=60),
        ),
    )
    team = pairs(6, lead=True)
    script = (
        Action(on=start.add(months=3), action="complete", pair="*", phase="needs_assessment"),
        Action(on=start.add(months=4), action="complete", pair="*", phase="matching"),
        visit(team[0].key, start.add(months=8), VisitMode.ONLINE),
        visit(team[1].key, start.add(months=9), VisitMode.HYBRID),
        Action(
            on=start.add(months=5),
            action="delay",
            pair="*",
            phase="study_visit_1",
            offset=Uniform(0, 3, unit="months"),
        ),
        Action(on=start.add(months=9, days=3), action="milestone", milestone="transfer_plan"),
        meeting("Kick-off", start.add(days=40), days=2, kind="transnational_meeting"),
        meeting("Mid-term meeting", start.add(months=15), days=3),
        meeting("Final event", start.add(months=29), kind="final_conference"),
    )
    return Scenario(
        name="Seven-city network, 30 months",
        programme=programme,
        pairs=team,
        durations=durations(1.0),
        script=script,
    )


def simple(name: str, count: int, months: int, scale: float, reports: int = 0) -> Scenario:
    """``count`` pairs over ``months``, phases ``scale`` times the usual, ``reports`` yearly
    reports, a final conference a month before the end and a final report 60 days after."""
    start = pendulum.date(2021, 1, 11)
    rules = [
        DeadlineRule("final_review", after="programme.end", capped=True),
        DeadlineRule("final_conference", after="programme.end", days=-20),
        DeadlineRule("final_report", after="programme.end", days=60),
        *(
            DeadlineRule(f"report_{year}", after="programme.start", months=12 * year)
            for year in range(1, reports + 1)
        ),
    ]
    return Scenario(
        name=name,
        programme=Definition(
            name=name,
            starts_on=start,
            ends_on=start.add(months=months).subtract(days=1),
            timezone="Europe/Brussels",
            country="BE",
            deadlines=tuple(rules),
        ),
        pairs=pairs(count),
        durations=durations(scale),
        script=(
            meeting("Kick-off", start.add(days=3), days=2),
            meeting("Final conference", start.add(months=months - 2), kind="final_conference"),
        ),
    )


SHAPES = ("inclucities", "network", "twenty", "one", "five-years")


def shape(name: str) -> Scenario:
    """The uncertain scenario of each shape."""
    if name == "inclucities":
        return load_scenario("inclucities-plan")
    if name == "network":
        return network()
    if name == "twenty":
        return simple("Twenty pairs, 24 months", 20, 24, 0.8)
    if name == "one":
        return simple("One pair, 18 months", 1, 18, 0.6)
    return simple("A five-year programme", 5, 60, 2.0, reports=4)


def timelines(name: str) -> Iterator[Timeline]:
    """The timelines to chart for a shape: its median run, and for IncluCities the shipped
    record (actual phases, visits and activities) and its variant without the extension
    (misses)."""
    yield shape(name).simulate()
    if name == "inclucities":
        yield load_scenario("inclucities").simulate()
        yield load_scenario("inclucities-without-extension").simulate()


@pytest.fixture(scope="module")
def forecasts() -> dict[str, Forecast]:
    """60 runs of each shape."""
    return {name: montecarlo(shape(name), 60, seed=3, workers=1) for name in SHAPES}


# -- the checks ------------------------------------------------------------------------------


@attrs.frozen
class Label:
    text: str
    box: Any  # a matplotlib Bbox, in display pixels


def drawn_texts(figure: Any) -> list[Label]:
    """Every text the figure draws, with its extent as the renderer lays it out (the PNG's)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw_without_rendering()  # runs the layout
    return [Label(t.get_text(), t.get_window_extent(renderer)) for t in texts_of(figure)]


def test_drawn_texts_finds_every_kind() -> None:
    """The texts checked include titles, tick labels, legend entries and annotations."""
    timeline = load_scenario("inclucities-without-extension").simulate()
    found = {label.text for label in drawn_texts(draw(draw_gantt, timeline))}
    expected = {
        timeline.scenario,  # the suptitle
        "brussels-saint-jean",  # a y tick label
        "Jan\n2021",  # an x tick label
        "final review",  # an annotation
        "phase, actual",  # a legend entry
    }
    assert expected <= found
    assert any(text.startswith("programme 2020-06-17") for text in found)  # the axes title
    forecast = montecarlo(load_scenario("inclucities-plan"), 10, seed=1, workers=1)
    titles = {label.text for label in drawn_texts(draw(draw_forecast, forecast))}
    assert any(t.startswith("Programme completion (its last pair's)") for t in titles)


def problems(figure: Any) -> list[str]:
    """Labels that overlap another, or that stick out of the figure."""
    found = []
    labels = drawn_texts(figure)
    width, height = figure.bbox.width, figure.bbox.height
    for label in labels:
        box = label.box
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            found.append(f"clipped: {label.text!r} at {box.bounds}")
    for a, b in itertools.combinations(labels, 2):
        overlap_x = min(a.box.x1, b.box.x1) - max(a.box.x0, b.box.x0)
        overlap_y = min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0)
        if overlap_x > 0.5 and overlap_y > 0.5:
            found.append(f"overlap: {a.text!r} and {b.text!r}")
    return found


def draw(make: Any, value: Any) -> Any:
    from mentorflow._render.charts import RC

    with matplotlib.rc_context(RC):
        return make(value)


@pytest.mark.parametrize("name", SHAPES)
def test_gantt_labels(name: str) -> None:
    """The Gantt chart of every shape: no label overlaps another or is clipped, and every
    deadline with a due day is named, in the pairs' rows too."""
    for timeline in timelines(name):
        figure = draw(draw_gantt, timeline)
        found = problems(figure)
        assert [] == found, "\n".join([timeline.scenario, *found])
        texts = [t.get_text() for t in figure.axes[0].texts]
        names = [d.name.replace("_", " ") for d in timeline.deadlines if d.due_on is not None]
        assert sorted(names) == sorted(t for t in texts if not t.isdigit())


@pytest.mark.parametrize("name", SHAPES)
def test_forecast_labels(name: str, forecasts: dict[str, Forecast]) -> None:
    """The forecast chart of every shape: no label overlaps another or is clipped."""
    found = problems(draw(draw_forecast, forecasts[name]))
    assert [] == found, "\n".join(found)


class TestGanttMarks:
    """What the Gantt chart draws besides its labels."""

    def test_a_visit_on_a_deadline_stays_in_sight(self) -> None:
        """A visit on the day of a missed deadline of its pair: their marks don't touch."""
        from matplotlib.lines import Line2D

        timeline = load_scenario("inclucities-without-extension").simulate()
        row = next(d for d in timeline.deadlines if d.pair and d.missed and d.due_on)
        visits = tuple(
            attrs.evolve(v, starts_on=row.due_on, ends_on=row.due_on)
            if v.pair == row.pair and v.number == 3
            else v
            for v in timeline.visits
        )
        figure = draw(draw_gantt, attrs.evolve(timeline, visits=visits))
        ax = figure.axes[0]
        scale = figure.dpi / 72
        marks = {}
        for line in ax.get_lines():
            if line.get_marker() in ("D", "X") and len(line.get_xdata()) == 1:
                x, y = ax.transData.transform((line.get_xdata()[0], line.get_ydata()[0]))
                half = line.get_markersize() * scale / 2 + line.get_markeredgewidth() * scale
                marks.setdefault(line.get_marker(), []).append((x, y, half))
        due = ax.transData.transform((row.due_on.toordinal(), 0))[0]
        diamond = next(m for m in marks["D"] if abs(m[0] - due) < 1)
        cross = next(m for m in marks["X"] if abs(m[0] - due) < 1)
        assert abs(diamond[1] - cross[1]) >= diamond[2] + cross[2]
        assert isinstance(ax.get_lines()[0], Line2D)

    def test_legend_swatches_match_bars(self) -> None:
        """The legend's 'phase, actual' and 'phase, projected' swatches look like bars."""
        from matplotlib.colors import to_rgba

        timeline = shape("network").simulate()  # two phases actual, the rest projected
        figure = draw(draw_gantt, timeline)
        legend = figure.legends[0]
        swatches = dict(
            zip([t.get_text() for t in legend.get_texts()], legend.legend_handles, strict=True)
        )
        bars = {
            (to_rgba(p.get_facecolor()), p.get_hatch())
            for p in figure.axes[0].patches
            if p.get_width() > 0
        }
        for kind in ("phase, actual", "phase, projected"):
            swatch = swatches[kind]
            assert (to_rgba(swatch.get_facecolor()), swatch.get_hatch()) in bars, kind


class TestForecastAxis:
    """The forecast chart's axes."""

    def test_early_deadlines_do_not_stretch_the_axis(self, forecasts: dict[str, Forecast]) -> None:
        """The days axis spans the completions (and the end), not deadlines long before;
        those are counted at the panel's edge."""
        forecast = forecasts["network"]
        figure = draw(draw_forecast, forecast)
        low, _ = figure.axes[1].get_xlim()
        first = forecast.programme.histogram[0][0]
        for spread in forecast.pairs:
            first = min(first, spread.histogram[0][0])
        assert first.toordinal() - low <= 40
        assert any(d.due.p50 and d.due.p50.toordinal() < low for d in forecast.deadlines)
        edge = [t.get_text() for t in figure.axes[1].texts if "before this axis" in t.get_text()]
        assert ["\u2190 2 deadlines before this axis, missed in up to 100%"] == edge

    def test_many_months_of_extension(self, forecasts: dict[str, Forecast]) -> None:
        """With 30 months of extension in the runs, their axis's names still don't touch."""
        spread = tuple((m, 1 / 31) for m in range(31))
        forecast = attrs.evolve(forecasts["one"], extensions=spread)
        assert [] == problems(draw(draw_forecast, forecast))


class TestGanttActivities:
    """Programme-wide activities on the Gantt chart."""

    @pytest.mark.parametrize("name", SHAPES)
    def test_every_activity_is_drawn(self, name: str) -> None:
        """Each activity: a triangle on the programme row, and a shade over its days in the
        row of every pair that took part (and no other); in every shape's charts."""
        from matplotlib.colors import to_rgba

        from mentorflow._render import gantt as module

        drawn = 0
        for timeline in timelines(name):
            figure = draw(draw_gantt, timeline)
            ax = figure.axes[0]
            triangles = sorted(
                line.get_xdata()[0] for line in ax.get_lines() if line.get_marker() == "v"
            )
            shade = to_rgba(module._ACTIVITY, module._SHADE)
            bands = sorted(
                (round(p.get_x(), 6), round(p.get_x() + p.get_width(), 6), p.get_y() + 0.5)
                for p in ax.patches
                if to_rgba(p.get_facecolor()) == shade and p.get_height() == 1.0
            )
            rows = {key: i + 1 for i, key in enumerate(module._pairs(timeline))}
            least = (ax.get_xlim()[1] - ax.get_xlim()[0]) / 300
            expected_bands = []
            expected_triangles = []
            for held in timeline.activities:
                assert isinstance(held, ActivityHeld)
                start = held.activity.starts_on.toordinal()
                end = held.activity.ends_on.toordinal() + 1
                width = max(end - start, least)
                left = (start + end - width) / 2
                expected_triangles.append((start + end) / 2)
                expected_bands += [
                    (round(left, 6), round(left + width, 6), rows[key]) for key in held.pairs
                ]
            assert sorted(expected_triangles) == pytest.approx(triangles)
            assert sorted(expected_bands) == bands
            legend = [t.get_text() for t in figure.legends[0].get_texts()]
            assert bool(timeline.activities) == ("programme-wide activity" in legend)
            drawn += len(timeline.activities)
        assert drawn >= 2

    def test_withdrawn_pair_is_not_shaded(self) -> None:
        """An activity held after a pair withdrew shades the other pairs' rows only."""
        from mentorflow._render import gantt as module

        start = pendulum.date(2021, 1, 11)
        base = simple("Two pairs", 2, 18, 0.6)
        first = base.pairs[0].key
        scenario = attrs.evolve(
            base,
            script=(
                Action(on=start.add(months=2), action="withdraw", pair=first),
                meeting("Meeting", start.add(months=3)),
            ),
        )
        timeline = scenario.simulate()
        (held,) = timeline.activities
        assert (base.pairs[1].key,) == held.pairs
        ax = draw(draw_gantt, timeline).axes[0]
        from matplotlib.colors import to_rgba

        shade = to_rgba(module._ACTIVITY, module._SHADE)
        rows = [p.get_y() + 0.5 for p in ax.patches if to_rgba(p.get_facecolor()) == shade]
        assert [2.0] == rows
