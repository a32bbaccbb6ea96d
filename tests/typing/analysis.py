"""Type-checked only (mypy --strict): the what-if how-to's API in use, as a user writes it."""

from __future__ import annotations

import datetime as dt

import pendulum

from mentorflow import Closure
from mentorflow.scenario import (
    BottleneckReport,
    PlanComparison,
    SensitivityReport,
    SlipEffect,
    bottleneck,
    bottleneck_export,
    compare_forecasts,
    load_scenario,
    montecarlo,
    parse_scenario,
    sensitivity,
    sensitivity_export,
    slip_sweep,
    tornado,
)


def questions() -> None:
    plan = load_scenario("inclucities-plan")
    found: SensitivityReport = sensitivity(plan, 300, seed=1, low=0.25, high=0.75)
    top: int = found.swings[0].days("p90")
    odds: float = found.swings[0].odds_points
    p90: pendulum.Date | None = found.baseline.p90
    table: str = sensitivity_export(found, "csv")
    tornado(found, "tornado.svg", metric="odds")
    report: BottleneckReport = bottleneck(plan, runs=100, seed=1)
    slack: int | None = report.pairs[0].slack_days
    text: str = bottleneck_export(report, "json")
    sweep: tuple[SlipEffect, ...] = slip_sweep(plan, "study_visit_1", slips=(0, 2), runs=100)
    plan_b = parse_scenario({"base": "inclucities-plan", "programme": {"duration": "33 months"}})
    side: PlanComparison = compare_forecasts(montecarlo(plan, 100), montecarlo(plan_b, 100))
    change = side.row("extension probability").difference
    closed = Closure(on=dt.date(2025, 6, 20), region="SE")
    print(top, odds, p90, table, slack, text, sweep, change, closed, plan.programme.closures)
