"""Two more real programme shapes, shipped as scenario files only: an URBACT III Transfer
Network and Eurocities' ImpleMentoring. Each validates, simulates and charts."""

from __future__ import annotations

from pathlib import Path

import pendulum
import pytest

from mentorflow._domain.calendar import add_months
from mentorflow._simulation.scenario import Timeline
from mentorflow._simulation.scenario_file import load_scenario, shipped

SHAPES = ("urbact-transfer-network", "implementoring")


@pytest.fixture(scope="module")
def timelines() -> dict[str, Timeline]:
    """Each shape, simulated once."""
    return {name: load_scenario(name).simulate() for name in SHAPES}


@pytest.mark.parametrize("name", SHAPES)
def test_validates_simulates_and_charts(
    name: str, timelines: dict[str, Timeline], tmp_path: Path
) -> None:
    """Shipped, read without error, simulated without a refused action, drawn as a chart."""
    assert name in shipped()
    timeline = timelines[name]
    assert () == timeline.refusals
    assert () == timeline.unfinished
    matplotlib = pytest.importorskip("matplotlib")
    assert matplotlib
    from mentorflow._render.gantt import gantt

    path = gantt(timeline, tmp_path / f"{name}.png")
    assert path.read_bytes().startswith(b"\x89PNG")


class TestUrbact:
    """URBACT III: phase 1 of 6 months, then 24 months (transfer plan within 3, mid-point at 12,
    transfer learning to 18, sharing to 24); one lead partner, no associations."""

    def test_the_shape(self) -> None:
        """30 months; one lead partner in six pairs with six transfer cities in six countries."""
        scenario = load_scenario("urbact-transfer-network")
        spec = scenario.programme
        assert spec.ends_on == add_months(spec.starts_on, 30).subtract(days=1)
        assert ("activation", "transfer_plan", "transfer_learning", "sharing") == tuple(
            spec.lifecycle.order
        )
        assert 1 == len({pair.mentor for pair in scenario.pairs})
        assert 6 == len({pair.mentee.city.country for pair in scenario.pairs})
        assert all(p.mentor.association is None for p in scenario.pairs)
        assert {"school_food"} == {pair.theme for pair in scenario.pairs}

    def test_deadlines_follow_the_phases(self, timelines: dict[str, Timeline]) -> None:
        """The transfer plan 3 months into phase 2; mid-point at month 18 of the network (a
        Saturday: the Monday after); transfer learning at month 24; sharing at the end."""
        due = {(d.name, d.pair): d.due_on for d in timelines["urbact-transfer-network"].deadlines}
        assert pendulum.date(2024, 3, 1) == due[("activation", "almada-tartu")]
        assert pendulum.date(2024, 6, 3) == due[("transfer_plan", "almada-tartu")]
        assert pendulum.date(2025, 3, 3) == due[("mid_point", None)]
        assert pendulum.date(2025, 9, 1) == due[("transfer_learning", "almada-tartu")]
        assert pendulum.date(2026, 2, 27) == due[("sharing", "almada-tartu")]
        # Udine's activation ran three months late: its transfer plan is due 3 months after
        assert pendulum.date(2024, 9, 3) == due[("transfer_plan", "almada-udine")]

    def test_the_story(self, timelines: dict[str, Timeline]) -> None:
        """Udine's late start breaches the end by 95 days; every meeting involves all six
        pairs, whatever their phase."""
        timeline = timelines["urbact-transfer-network"]
        assert (95, "4 months") == (timeline.breach_days, str(timeline.smallest_extension))
        late = {d.pair for d in timeline.missed if d.name == "sharing"}
        assert {"almada-udine", "almada-nitra"} == late  # Nitra: 29 August is a Slovak holiday
        assert 5 == len(timeline.activities)
        assert all(6 == len(held.pairs) for held in timeline.activities)


class TestImplementoring:
    """ImpleMentoring: 18 months (Nov 2012 - May 2014), 4 themes, schemes of 4 cities, toolkits."""

    def test_the_shape(self) -> None:
        """18 months from 15 November 2012; four themes of four cities each."""
        scenario = load_scenario("implementoring")
        spec = scenario.programme
        assert pendulum.date(2012, 11, 15) == spec.starts_on
        assert spec.ends_on == add_months(spec.starts_on, 18).subtract(days=1)
        cities: dict[str, set[str]] = {}
        for pair in scenario.pairs:
            cities.setdefault(pair.theme, set()).update(
                {pair.mentor.city.name, pair.mentee.city.name}
            )
        assert 4 == len(cities)
        assert all(4 <= len(names) <= 5 for names in cities.values())
        assert {"Athens", "Oslo", "Genoa", "Milan"} == cities["political_participation"]

    def test_toolkits(self, timelines: dict[str, Timeline]) -> None:
        """Every pair completes with its toolkit; the toolkits are published by the end."""
        timeline = timelines["implementoring"]
        assert () == timeline.missed
        assert pendulum.date(2014, 4, 14) == timeline.completed_on
        (published,) = [d for d in timeline.deadlines if d.name == "toolkits_published"]
        assert pendulum.date(2014, 5, 13) == published.met_on
