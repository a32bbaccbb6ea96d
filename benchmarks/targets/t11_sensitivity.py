"""Target 11: "sensitivity analysis of the uncertain IncluCities plan over all its uncertain
amounts, 1,000 runs each: at most 60 s on this 2-core machine" (issue 16).

setup     ``load_scenario("inclucities-plan")``: eight uncertain phase durations and the
          uncertain Covid-19 delay, nine amounts in all; loaded and simulated once, untimed.
measured  ``sensitivity(plan, 1000, seed=1)``: the baseline and each amount pinned at its P10
          and at its P90, 19 variants of 1,000 runs with the same luck (common random
          numbers), in this process, on one core; the plan-only runner's check against
          ``simulate`` (the median run and 8 runs) included.
baseline  ``montecarlo(plan, 1000, seed=1, workers=1)``: one forecast of the same 1,000 runs by
          full simulations. A sensitivity analysis done as 19 such forecasts would take 19x
          this (the info row), which is what the runner avoids.
info      (a) 19 x the baseline: the analysis by montecarlo calls, extrapolated (not run: minutes
          on a loaded machine). (b) The same analysis forced through ``simulate`` for every run,
          on 50 runs per variant, beside 50 runs of the plan-only path: what the plan-only path
          saves per run. Untimed: the baseline's P50, P90 and odds equal the analysis's
          baseline (the same luck); the forced analysis equals the plan-only one.
how       The median of 3 interleaved repeats (1 with ``--quick``), garbage collector enabled.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from mentorflow._simulation import schedule
from mentorflow.scenario import (
    SensitivityReport,
    load_scenario,
    montecarlo,
    sensitivity,
    simulate,
)

from ..report import Context, Row
from ..timing import checkpoint, timed_result

PLAN = "inclucities-plan"
SEED = 1
LIMIT = 60.0  # seconds
FORCED_RUNS = 50


@dataclass(frozen=True)
class Sizes:
    runs: int
    repeats: int


FULL = Sizes(runs=1000, repeats=3)
QUICK = Sizes(runs=200, repeats=1)


def method(s: Sizes) -> str:
    return (
        f"Target 11: seconds of sensitivity({PLAN}, {s.runs:,}) in this process, median of "
        f"{s.repeats} interleaved repeats beside montecarlo(workers=1) of the same runs; gc on."
    )


def _forced(runs: int) -> SensitivityReport:
    """The analysis with every run through `simulate` (the plan-only path switched off)."""
    check = schedule.Runner.check
    schedule.Runner.check = lambda self, batch: setattr(self, "fast", False)  # type: ignore[method-assign]
    try:
        return sensitivity(load_scenario(PLAN), runs, seed=SEED)
    finally:
        schedule.Runner.check = check  # type: ignore[method-assign]


def run(s: Sizes, context: Context) -> list[Row]:
    plan = load_scenario(PLAN)
    simulate(plan)  # warm up, untimed
    analysis: list[float] = []
    forecast: list[float] = []
    for _ in range(s.repeats):
        took, found = timed_result(lambda: sensitivity(plan, s.runs, seed=SEED))
        analysis.append(took)
        took, odds = timed_result(lambda: montecarlo(plan, s.runs, seed=SEED, workers=1))
        forecast.append(took)
        checkpoint()
    # untimed: the analysis's baseline is the forecast of the same runs
    assert (found.baseline.p50, found.baseline.p90) == (odds.programme.p50, odds.programme.p90)
    assert found.baseline.extension_probability == odds.extension_probability
    assert not found.simulated, "the plan-only path should hold for the shipped plan"
    variants = 1 + 2 * len(found.swings)
    forced, slow = timed_result(lambda: _forced(FORCED_RUNS))
    fast, quick = timed_result(lambda: sensitivity(plan, FORCED_RUNS, seed=SEED))
    same = (slow.baseline, slow.swings) == (quick.baseline, quick.swings)
    assert same, "simulate and the plan-only path disagree"
    seconds, base = statistics.median(analysis), statistics.median(forecast)
    target = LIMIT * s.runs / FULL.runs
    context.notes.append(
        f"Target 11: {len(found.swings)} uncertain amounts, {variants} variants of {s.runs:,} "
        f"runs ({variants * s.runs:,} runs in all); the first: {found.swings[0].label}."
        + ("" if s.runs == FULL.runs else f" --quick: the limit scaled to {target:.0f} s.")
    )
    return [
        Row(
            f"11 sensitivity({PLAN}, {s.runs:,}), {variants} variants  vs one montecarlo",
            seconds,
            base,
            "s",
            f"<= {target:.0f} s",
            seconds <= target,
        ),
        Row(
            f"   {variants} montecarlo calls of {s.runs:,} runs (19 x the baseline, not run)",
            variants * base,
            base,
            "s",
        ),
        Row(
            f"   {FORCED_RUNS} runs per variant: every run by simulate()  vs the plan-only path",
            forced,
            fast,
            "s",
        ),
    ]
