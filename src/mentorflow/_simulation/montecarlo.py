"""Monte Carlo runs of a scenario: the same `simulate`, many times, on local cores or a cluster.

Run ``i`` of seed ``s`` draws its luck from its own generator, seeded by ``(s, i)`` alone, and
the runs' `Tally`s add up exactly in any order: the forecast depends on the seed and the number
of runs, never on how many workers did them, in what chunks, or which finished first.

The runs are sent out in chunks to any `concurrent.futures.Executor`: by default a pool of
local processes; a Dask cluster's ``client.get_executor()`` works the same. Nothing is pickled
by mentorflow: each chunk carries the scenario as the library's own JSON (a string; the workers
rebuild it with the codec and keep the last few they read) and its runs' counts come back as
JSON too, so the executor's transport only ever moves strings and numbers.

Sizes: at most `MAX_RUNS` runs unless the caller raises ``max_runs``; at most ``2 x workers``
chunks are in flight at once (memory stays proportional to the workers, not to the runs); a
chunk lasts about a fifth of a second, so Ctrl-C stops a run within about a second.
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .._codec.serialize import structure, unstructure
from .._domain.validate import show
from ..exceptions import ValidationError, WorkerError
from .forecast import Forecast, Tally, forecast
from .scenario import Scenario, simulate

Progress = Callable[[int, int], None]
"""Called as ``progress(done, runs)`` as runs finish."""

_CHUNK = 250  # runs per task at most: small enough to spread and to stop
_CHUNK_SECONDS = 0.2  # a chunk's work at most, as far as the median run's time tells
_IN_FLIGHT = 2  # chunks in flight per worker: one running, one waiting its turn
MAX_RUNS = 10_000_000
"""The most runs `montecarlo` does unless its ``max_runs`` is raised: about a day of one core
for the shipped scenarios. A forecast's percentiles settle long before (a few thousand runs)."""


def montecarlo(
    scenario: Scenario,
    runs: int = 1000,
    *,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    max_runs: int = MAX_RUNS,
) -> Forecast:
    """Simulate ``scenario`` ``runs`` times with its durations and delays drawn at random.

    Args:
        scenario: What to simulate; its `Distribution`s are drawn afresh for every run.
        runs: How many runs.
        seed: The same seed gives the same forecast, whatever ``workers`` or ``executor``.
        workers: How many local processes (default: one per CPU); 1 runs in this process.
        executor: Where to run instead: any `concurrent.futures.Executor`, such as a Dask
            cluster's ``client.get_executor()``. The caller owns it (it is not shut down).
        progress: Called as ``progress(done, runs)`` after each chunk of runs.
        max_runs: The most runs allowed (default `MAX_RUNS`): raise it for a larger run.

    Returns:
        The forecast; on Ctrl-C (`KeyboardInterrupt`), of the runs done so far, and partial.

    Raises:
        ValidationError: ``runs``, ``seed`` or ``workers`` is not a whole number in range
            (``runs`` more than ``max_runs`` included).
        WorkerError: the local worker processes failed (in a script, call `montecarlo` under
            ``if __name__ == "__main__":``; each worker imports the script).
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError("scenario", f"must be a Scenario, not {type(scenario).__name__}")
    _check("max_runs", max_runs, 1)
    _check("runs", runs, 1)
    if runs > max_runs:
        raise ValidationError(
            "runs",
            f"{runs} is more than max_runs ({max_runs}; MAX_RUNS by default): pass a larger "
            "max_runs to do that many",
        )
    _check("seed", seed, 0)
    if workers is not None:
        _check("workers", workers, 1)
        if workers > 1024:
            raise ValidationError("workers", f"must be at most 1024, not {workers}")
    if executor is not None and not isinstance(executor, Executor):
        raise ValidationError("executor", f"must be an Executor, not {type(executor).__name__}")
    if progress is not None and not callable(progress):
        raise ValidationError("progress", f"must be callable, not {type(progress).__name__}")
    # the scenario's median run: it must run at all, and it orders the forecast's rows; its
    # time sizes the chunks
    began = time.perf_counter()
    median = simulate(scenario)
    took = time.perf_counter() - began
    step = max(1, min(_CHUNK, int(_CHUNK_SECONDS / max(took, 1e-6))))
    tally = Tally()
    if executor is None and (workers or _cpus()) == 1:
        _here(scenario, seed, runs, tally, progress, step)
    else:
        _spread(scenario, seed, runs, tally, progress, executor, workers or _cpus(), step)
    return forecast(
        tally,
        scenario=scenario.name,
        seed=seed,
        runs=runs,
        ends_on=scenario.programme.ends_on,
        pairs=[p.key for p in scenario.pairs],
        phases=[str(p) for p in scenario.programme.lifecycle.order],
        deadlines=[(row.name, row.pair) for row in median.deadlines],
        timezone=scenario.programme.timezone,
    )


def _check(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValidationError(name, f"must be a whole number >= {least}, not {show(value)}")


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS and Windows have no affinity
        return os.cpu_count() or 1


def rng(seed: int, run: int) -> random.Random:
    """The generator of run ``run`` of ``seed`` (a string seed: hashed by SHA-512, the same
    in every process and on every platform)."""
    return random.Random(f"mentorflow/{seed}/{run}")


def run_chunk(scenario: Scenario, seed: int, start: int, stop: int, tally: Tally) -> None:
    """Simulate runs ``start`` to ``stop - 1`` into ``tally``, one whole run at a time."""
    for run in range(start, stop):
        timeline = simulate(scenario, rng=rng(seed, run))
        tally.count(timeline)


def _here(
    scenario: Scenario,
    seed: int,
    runs: int,
    tally: Tally,
    progress: Progress | None,
    most: int = _CHUNK,
) -> None:
    step = min(most, max(1, runs // 100))
    try:
        if progress is not None:
            progress(0, runs)
        for start in range(0, runs, step):
            run_chunk(scenario, seed, start, min(runs, start + step), tally)
            if progress is not None:
                progress(tally.runs, runs)
    except KeyboardInterrupt:
        pass  # `run_chunk` counts whole runs only: the tally holds the runs done


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as the library's JSON: what a worker is sent."""
    return json.dumps(unstructure(scenario), separators=(",", ":"))


@functools.lru_cache(maxsize=4)
def load_scenario_json(payload: str) -> Scenario:
    """The scenario of a `dump_scenario` string, rebuilt once per worker (and cached)."""
    return structure(json.loads(payload), Scenario)


def _remote(payload: str, seed: int, start: int, stop: int) -> str:
    """A chunk, in a worker: the scenario comes as JSON, its counts go back as JSON."""
    tally = Tally()
    run_chunk(load_scenario_json(payload), seed, start, stop, tally)
    return tally.to_json()


def _quiet() -> None:
    """Workers leave Ctrl-C to the parent, which stops handing out work and keeps what's done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _spread(
    scenario: Scenario,
    seed: int,
    runs: int,
    tally: Tally,
    progress: Progress | None,
    executor: Executor | None,
    workers: int,
    most: int = _CHUNK,
) -> None:
    # enough chunks to keep every worker busy to the end, few enough to keep overheads low
    step = max(1, min(most, math.ceil(runs / (workers * 8))))
    payload = dump_scenario(scenario)
    own = None
    if executor is None:
        # forkserver (spawn where there is none): forking a process with threads can deadlock
        methods = multiprocessing.get_all_start_methods()
        method = "forkserver" if "forkserver" in methods else "spawn"
        own = executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_quiet,
        )
    starts = iter(range(0, runs, step))
    pending: set[Future[str]] = set()

    def submit() -> bool:
        start = next(starts, None)
        if start is None:
            return False
        assert executor is not None
        pending.add(executor.submit(_remote, payload, seed, start, min(runs, start + step)))
        return True

    interrupted = False
    try:
        if progress is not None:
            progress(0, runs)
        while len(pending) < workers * _IN_FLIGHT and submit():
            pass
        while pending:
            # a short wait, so that Ctrl-C is seen at once rather than when a chunk ends
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                tally.add(Tally.from_json(future.result()))
                submit()
                if progress is not None:
                    progress(tally.runs, runs)
    except BrokenProcessPool as err:
        raise WorkerError(
            "the worker processes failed. In a script, call montecarlo() under "
            "`if __name__ == '__main__':` (each worker process imports the script); "
            "or pass workers=1 to run in this process"
        ) from err
    except KeyboardInterrupt:
        interrupted = True
        for future in pending:
            future.cancel()
        # keep the chunks that had finished when Ctrl-C came
        for future in pending:
            if future.done() and not future.cancelled() and future.exception() is None:
                tally.add(Tally.from_json(future.result()))
    finally:
        if own is not None:
            # after Ctrl-C, not waiting: a chunk still running ends on its own (a fifth of a
            # second for a chunk sized by the median run)
            own.shutdown(wait=not interrupted, cancel_futures=True)
