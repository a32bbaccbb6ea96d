"""Target 3: "a check touches only deadlines that are due, not every pair: with 100,000 pairs
and nothing due it costs at most 1 ms".

setup     One programme (Europe/Brussels, ``country="BE"``, a ManualClock, the lifecycle of
          target 1) with five deadline rules: phases ``needs_assessment`` (programme.start + 3
          months, warned 14 days before), ``matching`` (needs_assessment.completed + 6 weeks)
          and ``transfer_workshop`` (matching.completed + 40 working days, warned 10 days
          before); milestones ``final_conference`` (programme.end, capped, warned 30 days
          before) and ``final_report`` (final_conference + 60 days). 100,000 pairs with distinct
          keys, cycling through the 30 ordered pairings of six IncluCities partners (BE, FR,
          IT-PA, ES-MD, GR, LV), so the pairs' working-day calendars differ.
measured  ``programme.check_deadlines(at=t)`` with ``t`` one week after the start (nothing is
          due: the first alert is needs_assessment's warning, from early September). Per call,
          the median of 7 repeats of 1,000 calls, the garbage collector collected, then
          disabled, during each timed loop. Untimed: the checks emitted nothing (the history
          did not grow).
baseline  A naive scan of every deadline: ``for key in programme.pairs: for d in
          programme.deadlines(pair=key): counts[d.status(t)] += 1`` (and the programme's
          milestones), over all 100,000 pairs, at the same ``t``, gc disabled likewise; the
          median of 3 scans. Untimed: it found nothing due soon or overdue.
info      Building the programme (``add_pair`` x100,000, one build, gc enabled as in target 2)
          beside the same build without deadline rules. A check when every pair has something
          due: ``t`` = 10 September 2020, inside needs_assessment's warning window for every
          pair (one ``DeadlineApproaching`` each), gc enabled, timed once (it changes the
          programme) beside one naive scan at the same instant, whose count of due-soon and
          overdue deadlines is the expected number of events (asserted, and asserted to be one
          per pair); the same per event. A second check at that instant: each alert is sent
          once per deadline revision, so it emits nothing (asserted); its cost, timed as the
          first check. And the slowest of 1,000 single nothing-due checks with the garbage
          collector enabled.
"""

from __future__ import annotations

import functools
import gc
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import pendulum

from mentorflow import DeadlineApproaching, DeadlineStatus, ManualClock, Programme

from ..programmes import (
    DEADLINE_RULES,
    ENDS_ON,
    ENROL_AT,
    LIFECYCLE,
    PAIRINGS,
    STARTS_ON,
    THEME,
    TIMEZONE,
)
from ..report import Context, Row
from ..timing import checkpoint, repeated, timed_with_gc, timed_without_gc

CHECK_LIMIT_US = 1000.0  # 1 ms
NOTHING_DUE_AT = ENROL_AT.add(weeks=1)
ALL_DUE_AT = pendulum.datetime(2020, 9, 10, 12, tz=TIMEZONE)  # needs_assessment is due soon


@dataclass(frozen=True)
class Sizes:
    pairs: int
    calls: int
    repeats: int
    naive_repeats: int


FULL = Sizes(pairs=100_000, calls=1_000, repeats=7, naive_repeats=3)
QUICK = Sizes(pairs=10_000, calls=1_000, repeats=3, naive_repeats=1)


def method(s: Sizes) -> str:
    return (
        f"Target 3: per check, median of {s.repeats} repeats of {s.calls:,} calls, gc disabled;"
        f" naive scan: median of {s.naive_repeats}, {s.pairs:,} pairs."
    )


def deadline_programme(n: int, *, rules: bool = True) -> Programme:
    """A programme with the deadline rules of target 3 (or none) and ``n`` pairs."""
    programme = Programme(
        "Benchmark",
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        timezone=TIMEZONE,
        lifecycle=LIFECYCLE,
        clock=ManualClock(ENROL_AT),
        country="BE",
        deadlines=DEADLINE_RULES if rules else (),
    )
    add = programme.add_pair
    pairings = PAIRINGS
    count = len(pairings)
    for i in range(n):
        mentor, mentee = pairings[i % count]
        add(f"pair-{i:06d}", mentor=mentor, mentee=mentee, theme=THEME, at=ENROL_AT)
    return programme


def naive_scan(programme: Programme, at: pendulum.DateTime) -> Counter[DeadlineStatus]:
    """Every deadline of the programme and of every pair, and its status at ``at``."""
    counts: Counter[DeadlineStatus] = Counter()
    for deadline in programme.deadlines():
        counts[deadline.status(at)] += 1
    deadlines = programme.deadlines
    for key in programme.pairs:
        for deadline in deadlines(pair=key):
            counts[deadline.status(at)] += 1
    return counts


def per_check_us(programme: Programme, at: pendulum.DateTime, calls: int, repeats: int) -> float:
    """``programme.check_deadlines(at=at)``, per call: the median of ``repeats`` loops of
    ``calls`` calls, gc disabled while timed. Asserts (untimed) that nothing was emitted."""
    check = programme.check_deadlines
    loop = range(calls)

    def run() -> None:
        for _ in loop:
            check(at=at)

    before = len(programme.history)
    samples = repeated(lambda: timed_without_gc(run) / calls, repeats)
    assert len(programme.history) == before, "a check that should emit nothing emitted events"
    return statistics.median(samples) * 1e6


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.pairs
    deadline_programme(1)  # warm the caches (holidays, calendars, engine) outside the timing

    bare_s = timed_with_gc(functools.partial(deadline_programme, n, rules=False))
    checkpoint()
    gc.collect()
    start = time.perf_counter()
    programme = deadline_programme(n)
    build_s = time.perf_counter() - start
    assert len(programme.pairs) == n

    # Nothing due: the target, and the naive scan at the same instant.
    t = NOTHING_DUE_AT
    assert programme.check_deadlines(at=t) == ()
    check_us = per_check_us(programme, t, s.calls, s.repeats)
    counts: Counter[DeadlineStatus] = Counter()
    naive_s: list[float] = []
    for _ in range(s.naive_repeats):
        naive_s.append(timed_without_gc(lambda: counts.update(naive_scan(programme, t))))
        checkpoint()
    naive_us = statistics.median(naive_s) * 1e6
    seen = counts.total() // s.naive_repeats
    assert counts[DeadlineStatus.DUE_SOON] + counts[DeadlineStatus.OVERDUE] == 0, counts
    assert seen == n * 3 + 2, seen  # three phase deadlines per pair, two milestones

    # The slowest single nothing-due check, gc enabled (any O(n) pause would show here).
    checkpoint()
    gc.collect()
    check = programme.check_deadlines
    worst_us = 0.0
    for _ in range(s.calls):
        call_start = time.perf_counter()
        check(at=t)
        worst_us = max(worst_us, (time.perf_counter() - call_start) * 1e6)

    # Everything due: one alert per pair. The naive scan says how many to expect.
    checkpoint()
    t = ALL_DUE_AT
    due_counts: Counter[DeadlineStatus] = Counter()
    naive_due_s = timed_without_gc(lambda: due_counts.update(naive_scan(programme, t)))
    expected = due_counts[DeadlineStatus.DUE_SOON] + due_counts[DeadlineStatus.OVERDUE]
    assert expected == n, due_counts
    gc.collect()
    start = time.perf_counter()
    events = programme.check_deadlines(at=t)
    due_s = time.perf_counter() - start
    assert len(events) == expected, (len(events), expected)
    assert all(
        isinstance(e, DeadlineApproaching) and e.deadline == "needs_assessment" for e in events
    )
    assert len({e.pair for e in events}) == n
    del events
    assert programme.check_deadlines(at=t) == ()  # idempotent: each alert once per revision
    again_us = per_check_us(programme, t, s.calls, s.repeats)

    return [
        Row(
            f"3  check, nothing due, {n:,} pairs  vs naive scan",
            check_us,
            naive_us,
            "us",
            f"<= {CHECK_LIMIT_US / 1000:g} ms",
            check_us <= CHECK_LIMIT_US,
        ),
        Row(f"   same, slowest of {s.calls:,} calls, gc enabled", worst_us, None, "us"),
        Row(
            f"   check, every pair due ({n:,} events)  vs naive scan",
            due_s * 1e6,
            naive_due_s * 1e6,
            "us",
        ),
        Row(
            "   same, per event  vs naive scan per pair",
            due_s / n * 1e6,
            naive_due_s / n * 1e6,
            "us",
        ),
        Row(
            "   second check, same instant (emits nothing)  vs naive",
            again_us,
            naive_due_s * 1e6,
            "us",
        ),
        Row(f"   add_pair x{n:,}, 5 deadline rules  vs no rules", build_s, bare_s, "s"),
    ]
