"""Target 2: "creating 100,000 pairs in one programme takes at most 2 s and at most 2 KB per
pair on top of the pair's own data".

time      ``programme.add_pair(key, mentor=..., mentee=..., theme=..., at=t)`` 100,000 times
          into one new programme: distinct keys, the same two Partner values, ``t`` a pendulum
          DateTime in the programme's timezone, no hooks. Median of 3 repeats, garbage
          collector ENABLED (its pauses on a growing heap are part of what a user waits for).
baselines (a) 100,000 minimal slotted objects holding the same references, stored in a dict by
          key (the least any implementation can do); (b) transitions ``Machine.add_model`` of
          10,000 models to one 10-state ring machine (defaults), per model: it slows as the
          machine grows, so 100,000 would cost more per model, not less; (c) one ``Machine``
          per model for 1,000 models, per model. (b) and (c) are info; the ratio is measured /
          baseline per pair.
memory    A separate pass under ``tracemalloc`` (it slows the code 3-8x, so it is never timed):
          the bytes still allocated after ``gc.collect()`` once 100,000 pairs are added, divided
          by 100,000. That counts the Pair object and its containers, the two events each
          enrolment emits (held by the pair's and the programme's histories), their ``seq``
          ints, and the growth of the programme's pair dict and history list. It does not count
          what is shared: the Partner values, the ``at`` instant, the theme, the compiled
          engine. "The pair's own data" is what the user supplies per pair, here only the key
          string: ``sys.getsizeof`` of each key, which is subtracted. The target is 2 KB =
          2,000 B (the stricter reading). Baselines: the same count for the slotted objects of
          (a) (key subtracted likewise), and, for information, bytes per model of ``add_model``
          (1,000 models) and of one Machine per model (200 models), model objects included.
detail    ``--detail``: the bytes of a pair by the source line that allocated them.
"""

from __future__ import annotations

import functools
import gc
import os
import statistics
import sys
import tracemalloc
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from mentorflow import Partner, Programme, Theme

from ..programmes import (
    ENROL_AT,
    MENTEE,
    MENTOR,
    THEME,
    add_pairs,
    build_programme,
    new_programme,
)
from ..report import Context, Row, independent
from ..timing import checkpoint, repeated, timed_with_gc, traced_bytes
from .t1_command import RING_STATES, RING_TRANSITIONS, RingModel, ring_machine

TARGET_PAIRS = 100_000
TIME_LIMIT_S = 2.0
MEMORY_LIMIT_B = 2000


@dataclass(frozen=True)
class Sizes:
    pairs: int
    repeats: int
    add_model: int
    machine_per_model: int
    memory_pairs: int
    memory_add_model: int
    memory_machine_per_model: int


FULL = Sizes(
    pairs=TARGET_PAIRS,
    repeats=3,
    add_model=10_000,
    machine_per_model=1_000,
    memory_pairs=TARGET_PAIRS,
    memory_add_model=1_000,
    memory_machine_per_model=200,
)
QUICK = Sizes(
    pairs=10_000,
    repeats=2,
    add_model=1_000,
    machine_per_model=100,
    memory_pairs=10_000,
    memory_add_model=200,
    memory_machine_per_model=50,
)


def method(s: Sizes) -> str:
    return (
        f"Target 2 time: median of {s.repeats} repeats of {s.pairs:,} pairs, gc enabled. "
        f"Memory: tracemalloc, {s.memory_pairs:,} pairs, a separate untimed pass."
    )


class SlottedPair:
    """The least a pair could be: the references a Pair holds, in slots."""

    __slots__ = ("at", "key", "mentee", "mentor", "programme", "state", "theme")

    def __init__(
        self, programme: object, key: str, mentor: Partner, mentee: Partner, theme: Theme, at: Any
    ) -> None:
        self.programme = programme
        self.key = key
        self.mentor = mentor
        self.mentee = mentee
        self.theme = theme
        self.state = "s0"
        self.at = at


def build_slotted(n: int) -> dict[str, SlottedPair]:
    """``n`` minimal slotted objects holding the same references, by key."""
    owner = object()
    store: dict[str, SlottedPair] = {}
    for i in range(n):
        key = f"pair-{i:06d}"
        store[key] = SlottedPair(owner, key, MENTOR, MENTEE, THEME, ENROL_AT)
    return store


def build_add_model(n: int) -> Machine:
    """One ring machine with ``n`` models added (transitions' defaults)."""
    machine = Machine(model=None, states=RING_STATES, transitions=RING_TRANSITIONS, initial="s0")
    for _ in range(n):
        machine.add_model(RingModel())
    return machine


def build_machines(n: int) -> list[Machine]:
    """``n`` models, each with a ring machine of its own."""
    return [ring_machine(RingModel()) for _ in range(n)]


def run(s: Sizes, context: Context) -> list[Row]:
    rows = independent(time_rows(s) + memory_rows(s))  # plain Python and transitions baselines
    if context.detail:
        context.details.append(functools.partial(print_memory_detail, min(s.memory_pairs, 20_000)))
    return rows


def time_rows(s: Sizes) -> list[Row]:
    n = s.pairs
    scale = TARGET_PAIRS / n
    mf_s: list[float] = []
    slot_s: list[float] = []
    for _ in range(s.repeats):
        mf_s.append(timed_with_gc(functools.partial(build_programme, n)) * scale)
        slot_s.append(timed_with_gc(functools.partial(build_slotted, n)) * scale)
        checkpoint()
    add_model_us = repeated(
        lambda: timed_with_gc(functools.partial(build_add_model, s.add_model)) / s.add_model * 1e6,
        s.repeats,
    )
    machines = s.machine_per_model
    machines_us = repeated(
        lambda: timed_with_gc(functools.partial(build_machines, machines)) / machines * 1e6,
        s.repeats,
    )

    total = statistics.median(mf_s)
    per_pair_us = total / TARGET_PAIRS * 1e6
    scaled = "" if scale == 1 else " (scaled)"
    return [
        Row(
            f"2  add_pair x100,000{scaled}  vs slotted objects",
            total,
            statistics.median(slot_s),
            "s",
            f"<= {TIME_LIMIT_S:g} s",
            total <= TIME_LIMIT_S,
        ),
        Row(
            f"   per pair  vs add_model, {s.add_model:,} models",
            per_pair_us,
            statistics.median(add_model_us),
            "us",
        ),
        Row(
            f"   per pair  vs one Machine per model, {s.machine_per_model:,}",
            per_pair_us,
            statistics.median(machines_us),
            "us",
        ),
    ]


def memory_rows(s: Sizes) -> list[Row]:
    n = s.memory_pairs
    build_programme(1)  # warm every cache (engine, enums, hooks) before tracing

    # The programme itself (name, hooks, ...) is a few hundred bytes in all: noise at n pairs.
    mf_bytes, programme = traced_bytes(functools.partial(build_programme, n))
    assert isinstance(programme, Programme)
    assert len(programme.pairs) == n
    own = sum(sys.getsizeof(key) for key in programme.pairs) / n
    del programme
    checkpoint()
    slot_bytes, store = traced_bytes(functools.partial(build_slotted, n))
    slot_own = sum(sys.getsizeof(key) for key in store) / n
    del store
    checkpoint()
    model_bytes, _ = traced_bytes(functools.partial(build_add_model, s.memory_add_model))
    machines_bytes, _ = traced_bytes(functools.partial(build_machines, s.memory_machine_per_model))

    per_pair = mf_bytes / n
    overhead = per_pair - own
    slot_overhead = slot_bytes / n - slot_own
    return [
        Row(
            "2  memory/pair over own data  vs slotted objects",
            overhead,
            slot_overhead,
            "B",
            f"<= {MEMORY_LIMIT_B:,} B",
            overhead <= MEMORY_LIMIT_B,
        ),
        Row(f"   total/pair, own data (the key) {own:.0f} B", per_pair, slot_bytes / n, "B"),
        Row(
            f"   memory/pair  vs add_model, {s.memory_add_model:,} models",
            overhead,
            model_bytes / s.memory_add_model,
            "B",
        ),
        Row(
            f"   memory/pair  vs one Machine per model, {s.memory_machine_per_model:,}",
            overhead,
            machines_bytes / s.memory_machine_per_model,
            "B",
        ),
    ]


def print_memory_detail(n: int) -> None:
    """Where the bytes of a pair go, by the source line that allocated them."""
    programme = new_programme()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.take_snapshot()
        add_pairs(programme, n)
        gc.collect()
        end = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    print(f"Bytes per pair by allocating line ({n:,} pairs, tracemalloc):")
    total = 0.0
    for stat in end.compare_to(start, "lineno"):
        per_pair = stat.size_diff / n
        total += per_pair
        if abs(per_pair) >= 1:
            frame = stat.traceback[0]
            where = f"{os.path.relpath(frame.filename)}:{frame.lineno}"
            print(f"  {per_pair:7.1f} B  {stat.count_diff / n:5.2f} blocks  {where}")
    print(f"  {total:7.1f} B  in all (the key string is the benchmarks/programmes.py line)")
