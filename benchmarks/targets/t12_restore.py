"""Target 12 (issue 13, server-grade stores): "restore of the 100,000-pair, 1,000,000-event
programme from a snapshot: <= 2 s; full replay <= 6 s; peak RSS during restore <= 2x the live
programme's; refresh() of one new event on that programme: <= 1 ms".

log       Target 5's programme (100,000 pairs, a five-phase lifecycle, no deadline rules,
          1,000,000 events), built by its commands in a fresh process (its RSS growth is the
          live programme's: the baseline of the memory rows) and persisted to an SQLiteStore
          twice: under ``full`` as it is, and under ``snap`` with a snapshot of its state at
          its last version (``Programme.snapshot()``).
measured  In fresh processes (imports done, store opened, untimed), once each, the garbage
          collector paused by restore (``pause_gc=True``): ``Programme.restore`` of ``snap``
          (loads the snapshot, replays nothing after it) and of ``full`` (replays the whole
          log); the peak RSS growth of each (VmHWM reset before it). Untimed: both have every
          event, every pair in its fifth phase. ``refresh()`` of one new event: a reader and
          a writer restored from the snapshot in one fresh process; the writer suspends (then
          resumes) a pair, one event each time, and the reader refreshes; the median of
          ``refreshes`` refreshes, over SQLite and over PostgreSQL (target 10's server; the
          log copied there with its snapshot by the store API). Info: the median round trip
          of ``SELECT 1`` on that server (a refresh is one query: on a loaded machine the
          round trip, not the query, is what it costs).
baseline  The restores: the commands run directly (target 5's baseline, in the build's fresh
          process). Memory: the live programme's RSS growth, peak and kept. Refresh:
          ``store.read(key, after=version - 1)`` alone.
info      ``restore(verify=True)`` (the full replay and the comparison with the snapshot); the
          CPU time of each restore's process beside the commands' (a shared machine inflates
          the wall times, much less the CPU times).
rules     Info, no target: the same programme WITH target 3's deadline rules (three phases,
          two milestones, one rule counting working days), a fifth of the pairs (20,000
          pairs, 200,000 events: built and persisted three times in a reasonable run),
          persisted to another SQLite file under ``full``, ``snap`` with a snapshot at its
          last version (format 4: the deadline book's folds of each pair's history) and
          ``snap3`` with the snapshot of that version laid out as format 3 wrote it (no
          folds: installed with the whole log read, the book folded again from every pair's
          history, as every restore from a snapshot of a programme with deadline rules did
          before format 4). Each restored once in a fresh process as above; beside them,
          ``programme.snapshot()`` (timed in the build's process) and the snapshots' sizes.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mentorflow import Phase, PostgresStore, Programme, SQLiteStore, Store
from mentorflow._core import snapshot as snapshots

from ..programmes import DEADLINE_RULES
from ..report import Context, Row
from ..sqlite_files import fresh_db, remove_db
from ..timing import (
    checkpoint,
    kept,
    memory_status,
    peak_growth,
    reset_peak,
    run_child,
    timed_result,
)
from .t5_replay import EVENTS_PER_PAIR, REPLAY_EVENTS, REPLAY_TIMES, replay_programme
from .t10_postgres import server

SNAPSHOT_LIMIT_S = 2.0
FULL_LIMIT_S = 6.0
RSS_LIMIT = 2.0
REFRESH_LIMIT_MS = 1.0


@dataclass(frozen=True)
class Sizes:
    pairs: int
    refreshes: int


RULES_SHARE = 5
"""The programme with deadline rules has this share of the pairs (see the module's docstring)."""

FULL = Sizes(pairs=REPLAY_EVENTS // EVENTS_PER_PAIR, refreshes=100)
QUICK = Sizes(pairs=REPLAY_EVENTS // EVENTS_PER_PAIR // 10, refreshes=20)


def method(s: Sizes) -> str:
    return (
        f"Target 12: {s.pairs * EVENTS_PER_PAIR:,} events, restores once each in fresh "
        f"processes (gc paused by restore), refresh() of 1 new event x{s.refreshes} (median)."
    )


def child_build(path: str, n: int) -> dict[str, Any]:
    """In a fresh process: the programme by its commands (timed; the live programme's RSS
    growth), then persisted under ``full`` and, with a snapshot, under ``snap``."""
    gc.collect()
    reset_peak()
    before = memory_status()
    cpu = time.process_time()
    seconds, programme = timed_result(functools.partial(replay_programme, n))
    cpu = time.process_time() - cpu
    peak = memory_status()
    gc.collect()
    after = memory_status()
    store = SQLiteStore(path)
    programme.persist(store, "full")
    programme._rt.ledger.journal = None  # persisted again, under another key
    programme.persist(store, "snap")
    programme.snapshot()
    store.close()
    return {"seconds": seconds, "cpu": cpu, "before": before, "peak": peak, "after": after}


def child_build_rules(path: str, n: int) -> dict[str, Any]:
    """In a fresh process: the programme with deadline rules by its commands (timed), then
    persisted under ``full``, ``snap`` (a snapshot: ``programme.snapshot()``, timed) and
    ``snap3`` (that snapshot laid out as format 3)."""
    seconds, programme = timed_result(
        functools.partial(replay_programme, n, deadlines=DEADLINE_RULES)
    )
    store = SQLiteStore(path)
    programme.persist(store, "full")
    programme._rt.ledger.journal = None  # persisted again, under other keys
    programme.persist(store, "snap")
    snapshot_s, version = timed_result(programme.snapshot)
    document = store.read_snapshot("snap", version)
    programme._rt.ledger.journal = None
    programme.persist(store, "snap3")
    state = dict(document["state"])
    try:  # (a tree before snapshot format 4 writes format 3 itself: --against)
        from mentorflow._core.book_snapshot import dump_book_3

        assert programme._rt.book is not None
        state["book"] = dump_book_3(programme._rt.book)
    except ImportError:
        pass
    body = {**document, "key": "snap3", "format": 3, "state": state}
    body.pop("digest")
    store.save_snapshot("snap3", version, {**body, "digest": snapshots._digest(body)})
    sizes = {
        key: len(json.dumps(store.read_snapshot(key, version), separators=(",", ":")))
        for key in ("snap", "snap3")
    }
    store.close()
    return {"seconds": seconds, "snapshot": snapshot_s, "sizes": sizes}


def child_restore(path: str, n: int, *, key: str, verify: bool = False) -> dict[str, Any]:
    """In a fresh process: ``Programme.restore`` of ``key`` (timed; peak and kept RSS)."""
    store = SQLiteStore(path)
    gc.collect()
    reset_peak()
    before = memory_status()
    cpu = time.process_time()
    seconds, programme = timed_result(
        lambda: Programme.restore(store, key, pause_gc=True, verify=verify)
    )
    cpu = time.process_time() - cpu
    peak = memory_status()
    gc.collect()
    after = memory_status()
    assert len(programme.history) == n * EVENTS_PER_PAIR
    assert len(programme.pairs) == n
    assert all(pair.phase == Phase.FINAL_REVIEW for pair in programme.pairs.values())
    store.close()
    return {"seconds": seconds, "cpu": cpu, "before": before, "peak": peak, "after": after}


def refresh_times(store: Store, key: str, count: int) -> tuple[float, float]:
    """The median milliseconds of ``refresh()`` of one new event, and of reading it."""
    reader = Programme.restore(store, key, pause_gc=True)
    writer = Programme.restore(store, key, pause_gc=True)
    pairs = list(writer.pairs.values())
    at = REPLAY_TIMES[-1].add(weeks=10)
    refreshes: list[float] = []
    reads: list[float] = []
    for i in range(count):
        pair = pairs[i // 2]
        if i % 2:
            pair.resume(at=at)
        else:
            pair.suspend(at=at)
        began = time.perf_counter()
        new = reader.refresh()
        refreshes.append(time.perf_counter() - began)
        assert 1 == len(new)
        began = time.perf_counter()
        store.read(key, after=reader.version - 1)
        reads.append(time.perf_counter() - began)
    assert reader.version == writer.version
    return statistics.median(refreshes) * 1e3, statistics.median(reads) * 1e3


def child_refresh(path: str, n: int) -> dict[str, Any]:
    """In a fresh process: refresh times over the SQLite file at ``path``, and over
    PostgreSQL (``MENTORFLOW_BENCH_POSTGRES`` or a throwaway cluster) with the same log."""
    count = int(n)
    store = SQLiteStore(path)
    found: dict[str, Any] = {"sqlite": refresh_times(store, "snap", count)}
    log = store.read("snap")
    version = store.snapshots("snap")[0]
    snapshot = store.read_snapshot("snap", version)
    store.close()
    context = Context()
    with server(context) as dsn:
        if dsn is not None:
            with contextlib.closing(PostgresStore(dsn, schema="bench_restore")) as pg:
                pg.create("snap", log.definition, log.events[:version])
                pg.save_snapshot("snap", version, snapshot)
                found["postgres"] = refresh_times(pg, "snap", count)
            found["round trip"] = round_trip_ms(dsn, count)
    found["notes"] = context.notes
    return found


def round_trip_ms(dsn: str, count: int) -> float:
    """The median milliseconds of ``SELECT 1`` on a plain psycopg connection: what any query
    costs on this server, this machine, now (a refresh over PostgreSQL is one query)."""
    import psycopg

    times = []
    with psycopg.connect(dsn, autocommit=True) as db:
        for _ in range(count):
            began = time.perf_counter()
            db.execute("SELECT 1").fetchone()
            times.append(time.perf_counter() - began)
    return statistics.median(times) * 1e3


CHILDREN: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "build": child_build,
    "snapshot": functools.partial(child_restore, key="snap"),
    "full": functools.partial(child_restore, key="full"),
    "verify": functools.partial(child_restore, key="snap", verify=True),
    "refresh": child_refresh,
    "rules-build": child_build_rules,
    "rules-snapshot": functools.partial(child_restore, key="snap"),
    "rules-snapshot3": functools.partial(child_restore, key="snap3"),
    "rules-full": functools.partial(child_restore, key="full"),
}


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.pairs
    count = n * EVENTS_PER_PAIR
    path = fresh_db(context.directory, "restore")
    built = run_child(12, "build", path, n)
    checkpoint()
    snap = run_child(12, "snapshot", path, n)
    checkpoint()
    full = run_child(12, "full", path, n)
    checkpoint()
    verified = run_child(12, "verify", path, n)
    checkpoint()
    refresh = run_child(12, "refresh", path, s.refreshes)
    context.notes.extend(refresh.pop("notes"))
    remove_db(path)
    rules = run_rules(n // RULES_SHARE, context)

    scale = count / REPLAY_EVENTS
    pro_rata = "" if count == REPLAY_EVENTS else " pro rata"
    build_s = built["seconds"]
    rows = [
        Row(
            f"12 Programme.restore from a snapshot, {count:,} events  vs the commands run",
            snap["seconds"],
            build_s,
            "s",
            f"<= {SNAPSHOT_LIMIT_S * scale:g} s{pro_rata}",
            snap["seconds"] <= SNAPSHOT_LIMIT_S * scale,
        ),
        Row(
            f"12 Programme.restore, full replay of {count:,} events  vs the commands run",
            full["seconds"],
            build_s,
            "s",
            f"<= {FULL_LIMIT_S * scale:g} s{pro_rata}",
            full["seconds"] <= FULL_LIMIT_S * scale,
        ),
        Row("   restore(verify=True): full replay + comparison", verified["seconds"], build_s, "s"),
    ]
    # CPU seconds of the process: what each costs on a machine that is not shared
    for name, result in (("from the snapshot", snap), ("full replay", full)):
        rows.append(
            Row(f"   restore {name}: CPU time  vs the commands'", result["cpu"], built["cpu"], "s")
        )
    live = peak_growth(built)
    for name, result in (("from the snapshot", snap), ("full replay", full)):
        peak = peak_growth(result)
        if peak is not None and live is not None:
            rows.append(
                Row(
                    f"12 restore {name}: peak RSS growth  vs the live programme's",
                    peak,
                    live,
                    "MB",
                    f"<= {RSS_LIMIT:g}x",
                    peak <= RSS_LIMIT * live,
                )
            )
        held, base = kept(result), kept(built)
        if held is not None and base is not None:
            rows.append(Row(f"   restore {name}: RSS kept after  vs live", held, base, "MB"))
    for name in ("sqlite", "postgres"):
        if name in refresh:
            figure, read = refresh[name]
            rows.append(
                Row(
                    f"12 refresh() of 1 new event, {count:,} events, {name}  vs read(after=)",
                    figure,
                    read,
                    "ms",
                    f"<= {REFRESH_LIMIT_MS:g} ms",
                    figure <= REFRESH_LIMIT_MS,
                )
            )
    if "round trip" in refresh:
        rows.append(
            Row("   PostgreSQL: SELECT 1, one round trip", refresh["round trip"], None, "ms")
        )
    return rows + rules


def run_rules(n: int, context: Context) -> list[Row]:
    """The info rows of the programme with deadline rules (see the module's docstring)."""
    path = fresh_db(context.directory, "restore-rules")
    built = run_child(12, "rules-build", path, n)
    checkpoint()
    found = {}
    for mode in ("rules-snapshot", "rules-snapshot3", "rules-full"):
        found[mode] = run_child(12, mode, path, n)
        checkpoint()
    remove_db(path)
    count = f"{n * EVENTS_PER_PAIR:,} events with deadline rules"
    lazy, read, full = (found[m] for m in ("rules-snapshot", "rules-snapshot3", "rules-full"))
    sizes = built["sizes"]
    return [
        Row(
            f"   restore from a snapshot, {count}  vs format 3's (whole log read)",
            lazy["seconds"],
            read["seconds"],
            "s",
        ),
        Row(
            f"   restore from a snapshot, {count}  vs full replay",
            lazy["seconds"],
            full["seconds"],
            "s",
        ),
        Row(
            f"   restore from a format-3 snapshot, {count}  vs full replay",
            read["seconds"],
            full["seconds"],
            "s",
        ),
        Row(
            "   restore from a snapshot with deadline rules: CPU  vs format 3's",
            lazy["cpu"],
            read["cpu"],
            "s",
        ),
        Row(
            f"   programme.snapshot(), {count}  vs the commands run",
            built["snapshot"],
            built["seconds"],
            "s",
        ),
        Row(
            f"   snapshot size, {count}: format 4  vs format 3",
            sizes["snap"],
            sizes["snap3"],
            "B",
        ),
    ]
