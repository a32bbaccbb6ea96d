"""How the targets measure: the garbage collector's state, interleaved repeats and their
medians, fresh processes, resident memory and a process's share of a core; and, for
``--against``, the turns two processes take to run one target side by side.

Every helper states what it does with the garbage collector, because that choice is part of
each figure's meaning (see the targets' docstrings).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

RUN_PY = Path(__file__).with_name("run.py")
"""The script a fresh process runs (``--child``): what forkserver workers import too."""

BATON = "MENTORFLOW_BENCH_BATON"  # "read fd,write fd" of a process of --against
QUANTUM_S = 0.05  # a turn lasts at least this long, then passes at the next checkpoint


class Baton:
    """Turns between the two processes of ``--against`` that run one target at the same time,
    one per tree: only the holder runs (the other waits on a pipe), and it passes the turn at
    a `checkpoint` (between samples, never inside a timed region) once it has held it for
    `QUANTUM_S`. So the two trees' samples interleave a few times a second, and a slow spell
    of the machine hits both alike, while each process keeps its own method and caches. When
    the other process ends (or dies), its pipe closes and this one runs on alone."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.alone = False
        self.since = 0.0
        self.waited = 0.0  # seconds spent waiting for the turn

    def take(self) -> None:
        start = time.perf_counter()
        if not self.alone and not os.read(self.read_fd, 1):
            self.alone = True  # the other process has ended
        self.since = time.perf_counter()
        self.waited += self.since - start

    def give(self) -> None:
        if not self.alone:
            try:
                os.write(self.write_fd, b".")
            except BrokenPipeError:
                self.alone = True

    def checkpoint(self) -> None:
        if not self.alone and time.perf_counter() - self.since >= QUANTUM_S:
            self.give()
            self.take()


_baton: Baton | None = None


def take_turns() -> None:
    """In a process of ``--against`` (``BATON`` set): wait for the first turn. The variable is
    removed, so that this process's own children (fresh processes, workers) run freely."""
    global _baton
    fds = os.environ.pop(BATON, None)
    if fds is not None:
        read_fd, write_fd = map(int, fds.split(","))
        for fd in (read_fd, write_fd):
            os.set_inheritable(fd, False)
        _baton = Baton(read_fd, write_fd)
        _baton.take()


def checkpoint() -> None:
    """Between samples: pass the turn if this process has held it long enough (``--against``
    only; otherwise nothing)."""
    if _baton is not None:
        _baton.checkpoint()


def end_turns() -> None:
    """Give the turn away for good: this process has measured everything."""
    global _baton
    if _baton is not None:
        _baton.give()
        _baton = None


def waited() -> float:
    """Seconds this process has spent waiting for its turn (0 outside ``--against``)."""
    return _baton.waited if _baton is not None else 0.0


def timed_without_gc(run: Callable[[], object]) -> float:
    """Seconds ``run()`` takes with the garbage collector collected, then disabled."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def timed_with_gc(build: Callable[[], object]) -> float:
    """Seconds ``build()`` takes with the garbage collector running as usual (collected
    first). What it built is freed after the clock stops: only building is timed."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    elapsed = time.perf_counter() - start
    del built
    return elapsed


def timed_result(build: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``build()`` takes with the garbage collector running as usual (collected
    first), and what it built."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    return time.perf_counter() - start, built


def traced_bytes(build: Callable[[], T]) -> tuple[int, T]:
    """Bytes still allocated after ``build()`` (and a ``gc.collect()``), and what it built."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, built


def interleaved(
    samplers: Mapping[str, Callable[[], float]], repeats: int
) -> dict[str, list[float]]:
    """``repeats`` samples of each sampler, taken in turn (one of each, then the next round),
    so that drift of the machine's speed hits every sampler alike. What a sample does with
    the garbage collector is the sampler's business."""
    samples: dict[str, list[float]] = {name: [] for name in samplers}
    for _ in range(repeats):
        for name, sample in samplers.items():
            samples[name].append(sample())
        checkpoint()
    return samples


def repeated(sample: Callable[[], float], repeats: int) -> list[float]:
    """``repeats`` samples of ``sample`` in a row (``--against``: a turn may pass between)."""
    samples = []
    for _ in range(repeats):
        samples.append(sample())
        checkpoint()
    return samples


def per_call(calls: Mapping[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Seconds of each call, ``runs`` times, interleaved, the garbage collector enabled as a
    user runs it (collected once, before the first call)."""
    clock = time.perf_counter

    def sampler(call: Callable[[], object]) -> Callable[[], float]:
        def sample() -> float:
            start = clock()
            call()
            return clock() - start

        return sample

    gc.collect()
    return interleaved({name: sampler(call) for name, call in calls.items()}, runs)


def rates(calls: Mapping[str, Callable[[], object]], runs: int, repeats: int) -> dict[str, float]:
    """Runs per second of each call (each does ``runs`` runs): the median of ``repeats``
    repeats, interleaved, gc enabled (collected before each call)."""

    def sampler(call: Callable[[], object]) -> Callable[[], float]:
        return lambda: runs / timed_with_gc(call)

    return medians(interleaved({name: sampler(call) for name, call in calls.items()}, repeats))


def medians(samples: Mapping[str, Iterable[float]]) -> dict[str, float]:
    """The median of each list of samples."""
    return {name: statistics.median(values) for name, values in samples.items()}


def core_share(run: Callable[[], T]) -> tuple[T, float]:
    """``run()``'s result, and the share of a core this process had while it ran: its CPU time
    over the wall time (well below 1 when other processes compete for the cores), less any
    time it waited for its turn (``--against``)."""
    wall, cpu, idle = time.perf_counter(), time.process_time(), waited()
    result = run()
    wall = time.perf_counter() - wall - (waited() - idle)
    return result, (time.process_time() - cpu) / wall


def usable_cpus() -> int:
    """The CPUs this process may run on (what ``montecarlo``'s default ``workers`` uses)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity outside Linux
        return os.cpu_count() or 1


def run_child(target: int, mode: str, arg: str, n: int) -> dict[str, Any]:
    """``CHILDREN[mode](arg, n)`` of target ``target``'s module, in a fresh Python process
    running ``run.py`` (it inherits the environment, so ``PYTHONPATH`` picks the same tree)."""
    argv = [sys.executable, str(RUN_PY), "--child", str(target), mode, arg, str(n)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def startup_s(argv: list[str]) -> float:
    """Seconds from starting ``argv`` to its exit (which must be 0), output discarded."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def memory_status() -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of this process, in bytes; empty off Linux."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    status = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            status[name] = int(value.split()[0]) * 1024
    return status


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the peak is this measurement's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_growth(result: Mapping[str, Any]) -> float | None:
    """How far the peak RSS rose above the RSS before the measured step (``memory_status``
    taken ``before`` and at the ``peak``)."""
    if "VmHWM" not in result["peak"] or "VmRSS" not in result["before"]:
        return None
    return float(result["peak"]["VmHWM"] - result["before"]["VmRSS"])


def kept(result: Mapping[str, Any]) -> float | None:
    """How much more RSS the process holds ``after`` the step (and a ``gc.collect()``)."""
    if "VmRSS" not in result["after"] or "VmRSS" not in result["before"]:
        return None
    return float(result["after"]["VmRSS"] - result["before"]["VmRSS"])
