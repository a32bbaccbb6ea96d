"""Monte Carlo runs of a scenario: the same `simulate`, many times, on local cores or a cluster.

Run ``i`` of seed ``s`` draws its luck from its own generator, seeded by ``(s, i)`` alone, and
the runs' `Tally`s add up exactly in any order: the forecast depends on the seed and the number
of runs, never on how many workers did them, in what chunks, or which finished first.

The runs are sent out in chunks to any `concurrent.futures.Executor`: by default a pool of
local processes; a Dask cluster's ``client.get_executor()`` works the same. Each chunk carries
the scenario pickled once, and the workers keep the last few they unpickled.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import pickle
import random
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from ..exceptions import ValidationError, WorkerError
from .forecast import Forecast, Tally, forecast
from .scenario import Scenario, simulate

Progress = Callable[[int, int], None]
"""Called as ``progress(done, runs)`` as runs finish."""

_CHUNK = 250  # runs per task at most: ~0.3 s of work, small enough to spread and to stop


def montecarlo(
    scenario: Scenario,
    runs: int = 1000,
    *,
    seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
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

    Returns:
        The forecast; on Ctrl-C (`KeyboardInterrupt`), of the runs done so far, and partial.

    Raises:
        ValidationError: ``runs``, ``seed`` or ``workers`` is not a whole number in range.
        WorkerError: the local worker processes failed (in a script, call `montecarlo` under
            ``if __name__ == "__main__":``; each worker imports the script).
    """
    _check("runs", runs, 1)
    _check("seed", seed, 0)
    if workers is not None:
        _check("workers", workers, 1)
    # the scenario's median run: it must run at all, and it orders the forecast's rows
    median = simulate(scenario)
    tally = Tally()
    if executor is None and (workers or _cpus()) == 1:
        _here(scenario, seed, runs, tally, progress)
    else:
        _spread(scenario, seed, runs, tally, progress, executor, workers or _cpus())
    return forecast(
        tally,
        scenario=scenario.name,
        seed=seed,
        runs=runs,
        ends_on=scenario.programme.ends_on,
        pairs=[p.key for p in scenario.pairs],
        phases=[str(p) for p in scenario.programme.lifecycle.order],
        deadlines=[(row.name, row.pair) for row in median.deadlines],
    )


def _check(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValidationError(name, f"must be a whole number >= {least}, not {value!r}")


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
    scenario: Scenario, seed: int, runs: int, tally: Tally, progress: Progress | None
) -> None:
    step = min(_CHUNK, max(1, runs // 100))
    try:
        if progress is not None:
            progress(0, runs)
        for start in range(0, runs, step):
            run_chunk(scenario, seed, start, min(runs, start + step), tally)
            if progress is not None:
                progress(tally.runs, runs)
    except KeyboardInterrupt:
        pass  # `run_chunk` counts whole runs only: the tally holds the runs done


@functools.lru_cache(maxsize=4)
def _unpickle(payload: bytes) -> Scenario:
    scenario: Scenario = pickle.loads(payload)
    return scenario


def _remote(payload: bytes, seed: int, start: int, stop: int) -> Tally:
    """A chunk, in a worker: the scenario comes pickled (and is unpickled once per worker)."""
    tally = Tally()
    run_chunk(_unpickle(payload), seed, start, stop, tally)
    return tally


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
) -> None:
    # enough chunks to keep every worker busy to the end, few enough to keep overheads low
    step = max(1, min(_CHUNK, math.ceil(runs / (workers * 8))))
    payload = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
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
    futures: list[Future[Tally]] = []
    counted: set[Future[Tally]] = set()
    try:
        if progress is not None:
            progress(0, runs)
        for start in range(0, runs, step):
            futures.append(executor.submit(_remote, payload, seed, start, min(runs, start + step)))
        for future in as_completed(futures):
            tally.add(future.result())
            counted.add(future)
            if progress is not None:
                progress(tally.runs, runs)
    except BrokenProcessPool as err:
        raise WorkerError(
            "the worker processes failed. In a script, call montecarlo() under "
            "`if __name__ == '__main__':` (each worker process imports the script); "
            "or pass workers=1 to run in this process"
        ) from err
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        # keep the chunks that had finished when Ctrl-C came
        for future in futures:
            finished = future.done() and not future.cancelled()
            if finished and future not in counted and future.exception() is None:
                tally.add(future.result())
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
