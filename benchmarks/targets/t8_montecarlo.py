"""Target 8: "at least 500 IncluCities runs per second per core; two workers reach at least
1.7x one worker on a two-core machine".

setup     ``load_scenario("inclucities-plan")``, the shipped uncertain plan (IncluCities'
          programme and pairs, three-point, uniform and empirical phase durations and a uniform
          Covid-19 delay for every pair: each run draws new ones), and
          ``load_scenario("inclucities")`` (as it happened: nothing uncertain), each loaded once
          and simulated once, untimed. Untimed: the plan is uncertain and its runs differ;
          IncluCities simulates as in target 6.
measured  (a) Runs per second of ``montecarlo(scenario, 500, seed=1, workers=1)``, in this
          process: the median run (``montecarlo`` runs it first), 500 runs each drawing from its
          own seeded generator, the tally, the forecast. The plan's rate is the target;
          IncluCities' is info. (b) Runs per second of ``montecarlo(plan, 6000, seed=1,
          workers=2)`` divided by those of ``workers=1`` on the same 6,000 runs. The target
          figure includes the pool's start-up and shut-down, as a user's call gets them: it runs
          in a fresh process of ``run.py`` (``--child``; the scenario loaded and simulated once
          first, untimed), where ``montecarlo`` starts the forkserver and two worker processes
          (each imports ``run.py``, as Python 3.11's forkserver does not preload it; it imports
          no more than the benchmarks' command line, and unpickles the scenario) and shuts them
          down; ``workers=1`` runs in this process. Only with 2 or more usable CPUs
          (``os.sched_getaffinity``): with fewer, (b) is not run and reads "not applicable
          (needs 2 cores)".
baseline  (a) A bare loop of ``simulate(scenario)``, 500 times, on the same scenario: its median
          run, no draws, no tally; the ratio is montecarlo's own overhead. (b) ``workers=1``, as
          above.
info      (a) The plan's 500 runs as ``simulate(plan, rng=...)`` with each run's generator (the
          documented ``random.Random(f"mentorflow/{seed}/{run}")``) and no tally, beside the
          bare loop: what the draws change (the runs' own work differs from the median run's);
          montecarlo less this is the tally and the forecast. (b) The same 6,000 runs on a pool
          started beforehand, ``ProcessPoolExecutor(2, mp_context=forkserver)`` passed as
          ``executor=`` and warmed by a montecarlo of 200 runs: the speed-up without start-up;
          and the seconds of the fresh-process call beside the warm pool's. The machine's own
          ceiling: a pure-Python loop of 5,000,000 additions, iterations per second of two at
          once on the warm pool beside one in this process (well below 2x: the cores are not
          all this script's). Untimed: the forecasts of ``workers=1``, of the fresh process and
          of the warm pool are identical (the same seed; SHA-256 of their repr).
how       (a) The median of 5 repeats, the five loops interleaved in each; (b) the median of 3
          repeats, each running the fresh process, ``workers=1``, the warm pool and the loops in
          turn. Garbage collector enabled (collected before each timed call). A note gives the
          usable CPUs, the load average before and after, and the share of a core this process
          had during its own runs (CPU over wall time): another busy process makes every figure
          read low, and the 2-worker speed-up most.
detail    ``--detail``: cProfile's hot spots of ``montecarlo(plan, 250, workers=1)`` in this
          process (the median run and the forecast included, a small share).
"""

from __future__ import annotations

import cProfile
import functools
import hashlib
import multiprocessing
import os
import random
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from mentorflow.scenario import Forecast, Scenario, load_scenario, montecarlo, simulate

from ..profiling import print_profile
from ..report import Context, Row
from ..timing import (
    checkpoint,
    core_share,
    rates,
    run_child,
    timed_result,
    timed_with_gc,
    usable_cpus,
)
from .t6_scenario import SCENARIO, check_timeline

PLAN = "inclucities-plan"  # uncertain: every run draws its durations and the Covid-19 delay
MC_SEED = 1
MONTE_CARLO_RATE = 500  # runs per second per core (<= 2 ms each)
SPEED_UP_LIMIT = 1.7  # two workers vs one, on a two-core machine
WARM_UP_RUNS = 200  # the warm pool's untimed first montecarlo: both workers start, unpickle
SPIN = 5_000_000  # iterations of the machine's own parallel ceiling (~0.3 s)


@dataclass(frozen=True)
class Sizes:
    runs: int
    repeats: int
    pool_runs: int
    pool_repeats: int
    profile_runs: int


FULL = Sizes(runs=500, repeats=5, pool_runs=6_000, pool_repeats=3, profile_runs=250)
QUICK = Sizes(runs=100, repeats=3, pool_runs=600, pool_repeats=2, profile_runs=50)


def method(s: Sizes) -> str:
    return (
        f"Target 8: runs/s, median of {s.repeats} interleaved repeats of {s.runs:,} runs in "
        f"this process; 2 workers: median of {s.pool_repeats} interleaved repeats of "
        f"{s.pool_runs:,} runs, the pool started in a fresh process; gc enabled."
    )


def load_average() -> str:
    try:
        return "/".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def run_rng(seed: int, run: int) -> random.Random:
    """The generator of run ``run`` of ``seed``, as the design notes document it."""
    return random.Random(f"mentorflow/{seed}/{run}")


def digest(forecast: Forecast) -> str:
    """A forecast's fingerprint, to compare forecasts made in different processes."""
    return hashlib.sha256(repr(forecast).encode()).hexdigest()


def simulate_loop(scenario: Scenario, runs: int) -> None:
    """The baseline: ``runs`` bare simulations (the median run: no draws, no tally)."""
    for _ in range(runs):
        simulate(scenario)


def drawn_loop(scenario: Scenario, runs: int, seed: int) -> None:
    """What montecarlo's runs simulate, without the tally: each run with its own generator."""
    for run in range(runs):
        simulate(scenario, rng=run_rng(seed, run))


def spin(n: int) -> int:
    """A pure-Python CPU-bound loop: on 2 processes beside 1, how parallel the machine is."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def child_montecarlo(name: str, runs: int) -> dict[str, Any]:
    """In a fresh process: ``montecarlo(load_scenario(name), runs, seed=1, workers=2)``, timed
    with the pool's start-up and shut-down, as a user's first call gets them (the forkserver
    too); the scenario is loaded and simulated once first, untimed, as in this process."""
    scenario = load_scenario(name)
    simulate(scenario)
    seconds, forecast = timed_result(lambda: montecarlo(scenario, runs, seed=MC_SEED, workers=2))
    assert forecast.done == runs
    return {"seconds": seconds, "forecast": digest(forecast)}


CHILDREN = {"montecarlo": child_montecarlo}


def run(s: Sizes, context: Context) -> list[Row]:
    n, cpus = s.runs, usable_cpus()
    before = load_average()
    plan, happened = load_scenario(PLAN), load_scenario(SCENARIO)
    assert plan.uncertain
    assert not happened.uncertain
    check_timeline(simulate(happened))
    simulate(plan)  # warm up, untimed
    drawn = [simulate(plan, rng=run_rng(MC_SEED, run)) for run in range(20)]
    checkpoint()
    assert len({t.completed_on for t in drawn}) > 1, "the plan's runs should differ"
    if context.detail:
        context.details.append(functools.partial(print_montecarlo_profile, s.profile_runs))

    # (a) in this process, one core
    a, share = core_share(
        lambda: rates(
            {
                "plan": lambda: montecarlo(plan, n, seed=MC_SEED, workers=1),
                "plan-simulate": lambda: simulate_loop(plan, n),
                "plan-drawn": lambda: drawn_loop(plan, n, MC_SEED),
                "happened": lambda: montecarlo(happened, n, seed=MC_SEED, workers=1),
                "happened-simulate": lambda: simulate_loop(happened, n),
            },
            n,
            s.repeats,
        )
    )
    rate = a["plan"]
    rows = [
        Row(
            f"8  montecarlo({PLAN}, {n}, workers=1) runs/s  vs simulate() loop",
            rate,
            a["plan-simulate"],
            "/s",
            f">= {MONTE_CARLO_RATE}/s",
            rate >= MONTE_CARLO_RATE,
        ),
        Row(
            "   same runs, drawn durations, no tally  vs simulate() loop",
            a["plan-drawn"],
            a["plan-simulate"],
            "/s",
        ),
        Row(
            f"   montecarlo({SCENARIO}, {n}, workers=1) (nothing uncertain)  vs simulate() loop",
            a["happened"],
            a["happened-simulate"],
            "/s",
        ),
    ]
    if cpus < 2:
        context.notes.append(
            f"Target 8: {cpus} usable CPU; the two-worker target needs 2: not run."
        )
        rows.append(
            Row(
                f"8  montecarlo({PLAN}, {s.pool_runs:,}, workers=2) runs/s  vs workers=1",
                None,
                None,
                "/s",
                f">= {SPEED_UP_LIMIT:g}x: not applicable (needs 2 cores)",
            )
        )
        context.notes.append(
            f"Target 8: load average {before} before, {load_average()} after; this process "
            f"had {share:.0%} of a core during the in-process runs."
        )
        return rows
    return rows + two_workers(s, plan, context, before, share)


def two_workers(s: Sizes, plan: Scenario, context: Context, before: str, share: float) -> list[Row]:
    """(b): two local worker processes against one, on the same runs."""
    m = s.pool_runs
    seconds: dict[str, list[float]] = {"cold": [], "one": [], "warm": [], "spin": [], "spin2": []}
    shares: list[float] = []  # of a core, during the workers=1 runs
    forecasts: set[str] = set()
    forkserver = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=forkserver) as pool:
        forecast = montecarlo(plan, WARM_UP_RUNS, seed=MC_SEED, executor=pool)
        assert forecast.done == WARM_UP_RUNS
        for _ in range(s.pool_repeats):  # interleaved
            cold = run_child(8, "montecarlo", PLAN, m)
            seconds["cold"].append(cold["seconds"])
            forecasts.add(cold["forecast"])
            for name, kwargs in (("one", {"workers": 1}), ("warm", {"executor": pool})):
                (took, forecast), got = core_share(
                    functools.partial(
                        timed_result,
                        functools.partial(montecarlo, plan, m, seed=MC_SEED, **kwargs),
                    )
                )
                seconds[name].append(took)
                if name == "one":
                    shares.append(got)
                forecasts.add(digest(forecast))
            seconds["spin"].append(timed_with_gc(functools.partial(spin, SPIN)))
            seconds["spin2"].append(timed_with_gc(lambda: list(pool.map(spin, [SPIN, SPIN]))))
            checkpoint()
    # Untimed: the same seed gives the same forecast, whoever ran the runs.
    assert len(forecasts) == 1, "the forecasts differ between workers=1, 2 and the warm pool"
    med = {name: statistics.median(values) for name, values in seconds.items()}
    per_s = {name: m / value for name, value in med.items()}
    ratio = per_s["cold"] / per_s["one"]
    ceiling = 2 * med["spin"] / med["spin2"]
    context.notes.append(
        f"Target 8: {usable_cpus()} usable CPUs; load average (1/5/15 min) {before} before, "
        f"{load_average()} after; this process had {share:.0%} of a core during the "
        f"in-process runs, {statistics.median(shares):.0%} during the workers=1 runs (another "
        "busy process makes every figure read low, and the 2-worker speed-up most). "
        f"Pool start-up and shut-down cost ~{med['cold'] - med['warm']:.2f} s a call; "
        f"2 workers on a warm pool: {per_s['warm'] / per_s['one']:.2f}x one, where a pure-Python "
        f"loop reaches {ceiling:.2f}x (the machine's own ceiling, as busy as it was)."
    )
    return [
        Row(
            f"8  montecarlo({PLAN}, {m:,}, workers=2), pool start-up in  vs workers=1",
            per_s["cold"],
            per_s["one"],
            "/s",
            f">= {SPEED_UP_LIMIT:g}x",
            ratio >= SPEED_UP_LIMIT,
        ),
        Row(
            "   same, on a warm pool of 2 (executor=)  vs workers=1",
            per_s["warm"],
            per_s["one"],
            "/s",
        ),
        Row(
            f"   same, {m:,} runs on 2 workers, pool started  vs warm pool",
            med["cold"],
            med["warm"],
            "s",
        ),
        Row(
            "   the machine: a pure-Python loop, iterations/s on the warm pool  vs here",
            2 * SPIN / med["spin2"],
            SPIN / med["spin"],
            "/s",
            independent=True,
        ),
    ]


def print_montecarlo_profile(runs: int) -> None:
    """Where an in-process Monte Carlo call's time goes: cProfile over ``montecarlo(plan,
    runs, workers=1)`` of the uncertain IncluCities plan (its median run and forecast too)."""
    scenario = load_scenario(PLAN)
    simulate(scenario)
    profiler = cProfile.Profile()
    profiler.enable()
    forecast = montecarlo(scenario, runs, seed=MC_SEED, workers=1)
    profiler.disable()
    assert forecast.done == runs
    print_profile(profiler, runs, f"montecarlo({PLAN}, {runs}, workers=1)")
