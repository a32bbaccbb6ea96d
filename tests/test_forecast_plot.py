"""Tests for the chart of a Monte Carlo forecast."""

from __future__ import annotations

import struct
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pendulum
import pytest

from mentorflow._render.forecast_plot import plot
from mentorflow._simulation.forecast import Forecast, Tally
from mentorflow._simulation.forecast import forecast as tally_forecast
from mentorflow._simulation.montecarlo import montecarlo
from mentorflow._simulation.scenario_file import load_scenario
from mentorflow.exceptions import ValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture(scope="module")
def forecast() -> Forecast:
    """200 runs of the uncertain IncluCities plan."""
    return montecarlo(load_scenario("inclucities-plan"), 200, seed=1, workers=1)


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height in a PNG's IHDR chunk."""
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def svg_text(path: Path) -> str:
    """The SVG's bytes as text (its texts are drawn as paths, each after a comment of it)."""
    return path.read_text(encoding="utf-8")


class TestPlot:
    """Tests for plot."""

    @pytest.fixture(autouse=True)
    def _matplotlib(self) -> None:
        pytest.importorskip("matplotlib")

    def test_png(self, forecast: Forecast, tmp_path: Path) -> None:
        """A PNG, 12 in wide at 100 dpi, tall enough for the programme and 4 pair panels."""
        path = plot(forecast, tmp_path / "forecast.png")
        assert tmp_path / "forecast.png" == path
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert (1200, 1040) == png_size(data)

    def test_svg(self, forecast: Forecast, tmp_path: Path) -> None:
        """An SVG document titled with the scenario's name, with no date in it."""
        path = plot(forecast, str(tmp_path / "forecast.svg"))
        root = ET.parse(path).getroot()
        assert f"{SVG}svg" == root.tag
        titles = [e.text for e in root.iter(f"{DC}title")]
        assert forecast.scenario in titles
        assert "<dc:date>" not in svg_text(path)

    def test_says_what_the_runs_found(self, forecast: Forecast, tmp_path: Path) -> None:
        """The subtitle gives the runs, seed, odds of an extension and months covering 90%."""
        text = svg_text(plot(forecast, tmp_path / "forecast.svg"))
        odds = f"{forecast.extension_probability:.0%}"
        months = forecast.extension_for(0.9)
        expected = (
            f"200 runs, seed 1: an extension needed in {odds} of runs; {months} months cover 90%"
        )
        assert expected in text
        late = sum(n for day, n in forecast.programme.histogram if day > forecast.ends_on)
        assert f"late in {late / forecast.done:.0%} of runs" in text
        assert "programme end" in text
        for pair in forecast.pairs:
            assert f"{pair.pair}: late in" in text
        assert "final review due" in text

    def test_same_bytes_every_time(self, forecast: Forecast, tmp_path: Path) -> None:
        """The same forecast gives byte-identical PNG and SVG files."""
        again = montecarlo(load_scenario("inclucities-plan"), 200, seed=1, workers=1)
        for suffix in (".png", ".svg"):
            first = plot(forecast, tmp_path / f"first{suffix}")
            second = plot(again, tmp_path / f"second{suffix}")
            assert first.read_bytes() == second.read_bytes()

    def test_refuses_other_formats(self, forecast: Forecast, tmp_path: Path) -> None:
        """A .pdf is refused with a ValidationError naming the suffix; nothing is written."""
        with pytest.raises(ValidationError, match=r"'\.pdf'"):
            plot(forecast, tmp_path / "forecast.pdf")
        with pytest.raises(ValidationError, match="without a suffix"):
            plot(forecast, tmp_path / "forecast")
        assert [] == list(tmp_path.iterdir())

    def test_partial(self, tmp_path: Path) -> None:
        """A forecast stopped by Ctrl-C draws, and says how many runs it holds."""

        def interrupt(done: int, runs: int) -> None:
            if done:  # Ctrl-C after the first chunk (progress is first called with 0 done)
                raise KeyboardInterrupt

        partial = montecarlo(
            load_scenario("inclucities-plan"), 200, seed=1, workers=1, progress=interrupt
        )
        assert partial.partial
        text = svg_text(plot(partial, tmp_path / "partial.svg"))
        assert f"partial: {partial.done} of 200 runs, seed 1" in text
        assert plot(partial, tmp_path / "partial.png").read_bytes().startswith(PNG_SIGNATURE)

    def test_identical_runs(self, tmp_path: Path) -> None:
        """A scenario with no uncertainty draws one bar per panel: every run, late or not."""
        certain = montecarlo(load_scenario("inclucities"), 20, seed=1, workers=1)
        assert 1 == len(certain.programme.histogram)
        text = svg_text(plot(certain, tmp_path / "certain.svg"))
        assert "P10, P50, P90" in text  # one label for the three, on the same day
        # late is counted from the end as the script extends it, like the extension needed
        assert pendulum.Date(2023, 3, 31) == certain.extended_end.p50
        assert "late in 0% of runs" in text
        assert "programme end (extended)" in text
        assert "an extension needed in 0% of runs; none in 90%" in text
        assert plot(certain, tmp_path / "certain.png").read_bytes().startswith(PNG_SIGNATURE)

    def test_no_run_done(self, tmp_path: Path) -> None:
        """A forecast stopped before its first run draws empty panels, saying so."""
        empty = tally_forecast(
            Tally(),
            scenario="empty",
            seed=0,
            runs=10,
            ends_on=pendulum.date(2022, 12, 31),
            pairs=["a", "b"],
            phases=["matching"],
            deadlines=[("final_review", "a")],
        )
        text = svg_text(plot(empty, tmp_path / "empty.svg"))
        assert "partial: 0 of 10 runs, seed 0: no run finished" in text
        assert 3 == text.count("no run completed")

    def test_leaves_global_state_alone(self, forecast: Forecast, tmp_path: Path) -> None:
        """Drawing changes neither matplotlib's rcParams nor pyplot's figures."""
        import matplotlib
        from matplotlib import pyplot

        before = dict(matplotlib.rcParams)
        figures = pyplot.get_fignums()
        plot(forecast, tmp_path / "forecast.png")
        plot(forecast, tmp_path / "forecast.svg")
        assert before == dict(matplotlib.rcParams)
        assert figures == pyplot.get_fignums()

    def test_missing_matplotlib(
        self, forecast: Forecast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without matplotlib, the error says which extra to install."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(ImportError, match=r'pip install "mentorflow\[charts\]"'):
            plot(forecast, tmp_path / "forecast.png")


class TestNeverReached:
    """Tests for the label of a milestone that some runs never reached."""

    def odds(self, tmp_path: Path, late: int, never: int, due_on: str = "2022-12-31") -> str:
        """The SVG of 10 runs in which the final report (due ``due_on``) was late in ``late``
        runs (by 5 days) and never reached in ``never``."""
        due = pendulum.Date.fromisoformat(due_on).toordinal()
        end = pendulum.date(2022, 12, 31).toordinal()
        tally = Tally(
            runs=10,
            dates={(None, None): Counter({end: 10}), ("a", None): Counter({end: 10})},
            due={("final_report", None): Counter({due: 10})},
            late={("final_report", None): Counter({5: late})} if late else {},
            never=Counter({("final_report", None): never}),
            ends=Counter({end: 10}),
            extensions=Counter({0: 10}),
        )
        made = tally_forecast(
            tally,
            scenario="milestones",
            seed=0,
            runs=10,
            ends_on=pendulum.date(2022, 12, 31),
            pairs=["a"],
            phases=[],
            deadlines=[("final_report", None)],
        )
        assert never / 10 == made.deadlines[0].never_probability
        return svg_text(plot(made, tmp_path / "milestones.svg"))

    def test_never_reached(self, tmp_path: Path) -> None:
        """Never reached in every run that missed it: "never reached", not "missed"."""
        text = self.odds(tmp_path, late=0, never=10)
        assert "final report due 31 Dec, never reached in 100%" in text
        assert "missed in" not in text

    def test_some_late_some_never(self, tmp_path: Path) -> None:
        """Late in some runs, never reached in others: both said."""
        text = self.odds(tmp_path, late=4, never=6)
        assert "final report due 31 Dec, missed in 100% (never reached in 60%)" in text

    def test_late_only(self, tmp_path: Path) -> None:
        """Met late only: "missed", as before."""
        text = self.odds(tmp_path, late=4, never=0)
        assert "final report due 31 Dec, missed in 40%" in text
        assert "never reached" not in text

    def test_off_the_axis(self, tmp_path: Path) -> None:
        """Off the axis, counted at its edge: "never reached" too."""
        text = self.odds(tmp_path, late=0, never=10, due_on="2023-03-01")
        assert "1 deadline after this axis, never reached in up to 100%" in text
        late = self.odds(tmp_path, late=4, never=6, due_on="2023-03-01")
        assert "1 deadline after this axis, missed in up to 100%" in late
