"""SensitivityReport analysis, slip sweeps and plans side by side, and the runner behind them."""

from __future__ import annotations

import io
import json

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow import Offset, Unit
from mentorflow._cli import main
from mentorflow._simulation.schedule import Runner, luck_of
from mentorflow.exceptions import ValidationError
from mentorflow.scenario import (
    Action,
    Fixed,
    Scenario,
    Triangular,
    Uniform,
    compare_forecasts,
    load_scenario,
    montecarlo,
    plan_export,
    sensitivity,
    sensitivity_export,
    slip_export,
    slip_sweep,
    tornado,
)

PLAN = load_scenario("inclucities-plan")
RUNS = 120


def _with_delay(scenario: Scenario, **kwargs: object) -> Scenario:
    action = Action(action="delay", **kwargs)  # type: ignore[arg-type]
    return attrs.evolve(scenario, script=(*scenario.script, action))


class TestRunner:
    """Tests for the plan-only path: it gives what `simulate` gives."""

    @settings(max_examples=15, deadline=None)
    @given(
        luck=st.lists(st.floats(0, 1, exclude_max=True), min_size=34, max_size=34),
        delay_on=st.dates(pendulum.Date(2020, 6, 17), pendulum.Date(2022, 6, 1)),
        phase=st.sampled_from(PLAN.phases),
        pair=st.sampled_from(["*", "mechelen-capaci"]),
    )
    def test_plan_only_is_simulate(
        self, luck: list[float], delay_on: pendulum.Date, phase: str, pair: str
    ) -> None:
        """Any luck, and a second delay on any day (before, during or after its phase)."""
        scenario = _with_delay(
            PLAN,
            on=pendulum.Date(delay_on.year, delay_on.month, delay_on.day),
            pair=pair,
            phase=phase,
            offset=Uniform(0, 20, unit="working_days"),
        )
        runner = Runner(scenario)
        assert runner.fast
        assert runner.simulated(luck) == runner.planned(luck)

    def test_zero_durations(self) -> None:
        """Phases that take no time end at once, as `simulate` ends them."""
        scenario = attrs.evolve(
            PLAN, durations={"matching": Fixed(0, unit="days"), "study_visit_1": Uniform(0, 3)}
        )
        runner = Runner(scenario)
        for run in range(5):
            luck = luck_of(scenario, 2, run)
            assert runner.simulated(luck) == runner.planned(luck)

    def test_other_actions_simulate(self) -> None:
        """A script with more than delays drives the real programme for every run."""
        scenario = load_scenario("inclucities")
        runner = Runner(scenario)
        assert not runner.fast


class TestSensitivity:
    """Tests for sensitivity."""

    found = sensitivity(PLAN, RUNS, seed=3)

    def test_baseline_is_montecarlo(self) -> None:
        """Nothing pinned is montecarlo's forecast of the same seed and runs."""
        forecast = montecarlo(PLAN, RUNS, seed=3, workers=1)
        base = self.found.baseline
        assert forecast.programme.p50 == base.p50
        assert forecast.programme.p90 == base.p90
        assert forecast.extension_probability == base.extension_probability
        assert forecast.extension_for(0.9) == base.extension_p90

    def test_every_uncertain_amount(self) -> None:
        """The eight durations and the Covid-19 delay, the largest P90 swing first."""
        names = {s.name for s in self.found.swings}
        assert {f"durations.{p}" for p in PLAN.phases} | {"script[0].offset"} == names
        swings = [abs(s.days("p90")) for s in self.found.swings]
        assert sorted(swings, reverse=True) == swings
        assert "script[0].offset" == self.found.swings[0].name
        assert not self.found.simulated

    def test_pinned_is_a_fixed_amount_with_common_luck(self) -> None:
        """Pinned low is montecarlo of the scenario with that amount fixed at its P10: the
        other amounts keep their luck (common random numbers)."""
        swing = self.found.swing("durations.study_visit_2")
        fixed = Fixed(swing.distribution.quantile(0.1), unit="months")
        durations = {**PLAN.durations, "study_visit_2": fixed}
        forecast = montecarlo(attrs.evolve(PLAN, durations=durations), RUNS, seed=3, workers=1)
        assert forecast.programme.p50 == swing.at_low.p50
        assert forecast.programme.p90 == swing.at_low.p90
        assert forecast.extension_probability == swing.at_low.extension_probability

    def test_high_is_later(self) -> None:
        """Every amount pinned high completes no earlier than pinned low."""
        for swing in self.found.swings:
            assert swing.days("p50") >= 0
            assert swing.days("p90") >= 0
            assert swing.odds_points >= 0

    def test_simulated_path_agrees(self) -> None:
        """A script with an extension request drives the real programme; without the grant
        in reach, the figures are the plan-only ones."""
        request = Action(
            on=pendulum.Date(2023, 6, 1),
            action="request_extension",
            offset=Offset(amount=3, unit=Unit.MONTHS),
        )
        late = attrs.evolve(PLAN, script=(*PLAN.script, request))
        slow = sensitivity(late, 20, seed=5)
        fast = sensitivity(PLAN, 20, seed=5)
        assert slow.simulated
        assert fast.baseline == slow.baseline
        assert fast.swings == slow.swings

    def test_nothing_uncertain(self) -> None:
        """A scenario without distributions has nothing to analyse."""
        with pytest.raises(ValidationError, match="nothing in 'IncluCities 2020-2023"):
            sensitivity(load_scenario("inclucities"), 10)

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"runs": 0}, "runs"),
            ({"runs": True}, "runs"),
            ({"seed": -1}, "seed"),
            ({"low": 0.9, "high": 0.1}, "high"),
            ({"low": -0.1}, "low"),
            ({"high": 1.0}, "high"),
            ({"low": "0.1"}, "low"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad argument is named."""
        with pytest.raises(ValidationError) as err:
            sensitivity(PLAN, **kwargs)  # type: ignore[arg-type]
        assert field == err.value.field

    def test_unknown_swing(self) -> None:
        """Asking for an amount that is not uncertain names the ones that are."""
        with pytest.raises(ValidationError, match="there are: script"):
            self.found.swing("durations.nope")

    def test_exports(self) -> None:
        """CSV, JSON and table carry every amount."""
        csv = sensitivity_export(self.found, "csv").splitlines()
        assert csv[0].startswith("amount,label,low,high,p50_low")
        assert 1 + len(self.found.swings) == len(csv)
        document = json.loads(sensitivity_export(self.found, "json"))
        assert document["baseline"]["p50"] == str(self.found.baseline.p50)
        assert "study_visit_1 duration" in sensitivity_export(self.found)
        with pytest.raises(ValidationError):
            sensitivity_export(self.found, "xml")

    def test_tornado(self, tmp_path: object) -> None:
        """A figure without a path; a file with one; a bad metric is refused."""
        from matplotlib.figure import Figure

        figure = tornado(self.found, metric="odds")
        assert isinstance(figure, Figure)
        labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
        by_label = {s.label: abs(s.odds_points) for s in self.found.swings}
        assert max(by_label.values()) == by_label[labels[-1]]  # the widest on top
        figure.draw_without_rendering()
        box = figure.bbox
        axes = figure.axes[0]
        texts = [*axes.texts, *axes.get_yticklabels(), axes.title, axes.xaxis.label]
        for text in texts:
            extent = text.get_window_extent()
            assert box.x0 <= extent.x0, text.get_text()
            assert extent.x1 <= box.x1, text.get_text()
        written = tornado(self.found, f"{tmp_path}/t.svg")
        assert written.read_text().startswith("<?xml")  # type: ignore[union-attr]
        with pytest.raises(ValidationError, match="metric"):
            tornado(self.found, metric="p99")


class TestSlipSweep:
    """Tests for slip_sweep."""

    def test_extension_grows_with_the_slip(self) -> None:
        """URBACT's sharing phase: each month of slip is a month more of extension."""
        found = slip_sweep(load_scenario("urbact-transfer-network"), "sharing", slips=(0, 1, 2))
        # the network as shipped since issue 17 ends on 28 Feb 2026 and completes on 3 June:
        # 4 months (28 May is short of it), then one more for each month of slip
        assert [4, 5, 6] == [s.extension_months for s in found]
        assert "0 months" == str(found[0].slip)
        assert load_scenario("urbact-transfer-network").simulate().completed_on == (
            found[0].completed_on
        )

    def test_with_runs(self) -> None:
        """The odds never fall as the slip grows; the unslipped odds are montecarlo's."""
        found = slip_sweep(PLAN, "study_visit_2", pair="mechelen-capaci", runs=80, seed=2)
        odds = [s.extension_probability or 0.0 for s in found]
        assert sorted(odds) == odds
        assert montecarlo(PLAN, 80, seed=2, workers=1).extension_probability == odds[0]
        table = slip_export(found, title="sweep")
        assert "6 months" in table
        assert "1 month " in table

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"phase": "nope"}, "phase"),
            ({"phase": "matching", "pair": "nope"}, "pair"),
            ({"phase": "matching", "slips": ()}, "slips"),
            ({"phase": "matching", "slips": (-1,)}, "slips"),
            ({"phase": "matching", "unit": "years"}, "unit"),
            ({"phase": "matching", "runs": -1}, "runs"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad argument is named."""
        with pytest.raises(ValidationError) as err:
            slip_sweep(PLAN, **kwargs)  # type: ignore[arg-type]
        assert field == err.value.field


class TestCompareForecasts:
    """Tests for compare_forecasts."""

    def test_plan_b_is_shorter(self) -> None:
        """A plan with shorter visits: earlier percentiles, lower odds, the differences b - a."""
        shorter = attrs.evolve(
            PLAN,
            name="shorter visits",
            durations={**PLAN.durations, "study_visit_1": Triangular(4, 5, 7, unit="months")},
        )
        a = montecarlo(PLAN, RUNS, seed=1, workers=1)
        b = montecarlo(shorter, RUNS, seed=1, workers=1)
        found = compare_forecasts(a, b)
        assert found.common_luck
        row = found.row("completion p50")
        assert row.difference == (b.programme.p50 - a.programme.p50).days < 0  # type: ignore[operator]
        odds = found.row("extension probability")
        assert odds.difference == pytest.approx(b.extension_probability - a.extension_probability)
        assert found.row("completion p90", "mechelen-capaci").pair == "mechelen-capaci"
        assert "points" in plan_export(found)
        csv = plan_export(found, "csv").splitlines()
        assert "measure,pair,a,b,difference" == csv[0]

    def test_not_a_forecast(self) -> None:
        """Only forecasts compare."""
        with pytest.raises(ValidationError, match="must be a Forecast"):
            compare_forecasts(PLAN, PLAN)  # type: ignore[arg-type]


def _cli(*args: str) -> str:
    out = io.StringIO()
    assert 0 == main(list(args), out)
    return out.getvalue()


class TestCommandLine:
    """Tests for mentorflow sensitivity, slip and compare --runs."""

    def test_sensitivity_json_and_chart(self, tmp_path: object) -> None:
        """JSON rows for every amount, and the tornado chart saved."""
        text = _cli(
            "sensitivity", "inclucities-plan", "--runs", "60", "--format", "json",
            "--chart", f"{tmp_path}/t.png",
        )  # fmt: skip
        document = json.loads(text[: text.rindex("}") + 1])
        assert 9 == len(document["rows"])
        quartiles = _cli(
            "sensitivity", "inclucities-plan", "--runs", "30", "--low", "0.25", "--high", "0.75",
            "--format", "json",
        )  # fmt: skip
        assert [0.25, 0.75] == json.loads(quartiles)["quantiles"]
        assert text.rstrip().endswith("t.png")

    def test_slip_csv(self) -> None:
        """A row per slip."""
        text = _cli("slip", "urbact-transfer-network", "--phase", "sharing", "--slips", "0,3")
        assert "3 months" in text
        csv = _cli(
            "slip", "urbact-transfer-network", "--phase", "sharing", "--slips", "0,3",
            "--format", "csv",
        )  # fmt: skip
        assert ["0 months", "3 months"] == [line.split(",")[0] for line in csv.splitlines()[1:]]

    def test_bad_slips(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Slips that are not numbers: one line naming the option."""
        assert 1 == main(["slip", "inclucities-plan", "--phase", "matching", "--slips", "a"])
        assert "--slips: 'a' is not whole numbers" in capsys.readouterr().err

    def test_compare_plans(self) -> None:
        """compare --runs sets two plans' forecasts side by side."""
        text = _cli(
            "compare", "inclucities-plan", "inclucities-plan", "--runs", "50", "--seed", "2",
            "--workers", "1", "--format", "csv",
        )  # fmt: skip
        rows = text.splitlines()
        assert "measure,pair,a,b,difference" == rows[0]
        (odds,) = [r for r in rows if r.startswith("extension probability,,")]
        assert odds.endswith(",0.0")
