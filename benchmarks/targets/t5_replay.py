"""Target 5: "replaying a log of 1,000,000 events rebuilds the programme in at most 10 s; report
memory too".

log       100,000 pairs (the 30 IncluCities pairings in turn) of a programme with a five-phase
          lifecycle and no deadline rules, enrolled (2 events each), then four rounds in which
          every pair completes its phase (2 events each): 1,000,000 events. A fresh process runs
          these commands (timed: the baseline) and then ``programme.persist`` writes the whole
          history to an ``SQLiteStore`` in one transaction (timed, info).
measured  ``Programme.restore(store, key, pause_gc=True)`` in another fresh Python process
          (imports done, store opened, untimed), once, garbage collector enabled but paused by
          restore as the caller asks (before the core rework restore paused it unasked; a tree
          without ``pause_gc`` is called without it). Untimed: the restored programme has
          every event and every pair is in its fifth phase.
baseline  Running the same commands directly (no log), timed in its fresh process as above.
info      The same restore in a third fresh process with the garbage collector disabled during
          it (how much of restore is collection). Restore's steps, each once in this process
          with gc enabled and only its own input and output alive: ``store.read`` (SELECT,
          ``json.loads`` of each row, checks) and ``load_event`` of every document (with
          ``restore``'s location strings), each beside ``json.loads`` of every stored row alone;
          ``Programme.restore`` from a `Store` that hands out the parsed documents (no SQLite,
          no JSON: ``load_event`` of every document, then the replay through the engine with the
          field-by-field check against the log) beside the commands run directly. Replay alone
          is not public: that row less the ``load_event`` row is roughly what it costs.
memory    From /proc/self/status (Linux) in the fresh processes, VmHWM reset (``clear_refs``)
          before the step: the peak RSS during restore above the RSS before it, and the RSS
          still held after it (and a ``gc.collect()``), each beside the same for running the
          commands directly. Not ``ru_maxrss`` (it would include the interpreter's start).
"""

from __future__ import annotations

import functools
import gc
import inspect
import itertools
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mentorflow import (
    DeadlineRule,
    Event,
    Lifecycle,
    Phase,
    Programme,
    SQLiteStore,
    Store,
    StoredLog,
)
from mentorflow.serialization import SCHEMA, load_event

from ..programmes import COMPLETE_AT, ENDS_ON, ENROL_AT, PAIRINGS, STARTS_ON, THEME, TIMEZONE
from ..report import Context, Row
from ..sqlite_files import ROWS, STORE_KEY, fresh_db, remove_db
from ..timing import (
    checkpoint,
    kept,
    memory_status,
    peak_growth,
    reset_peak,
    run_child,
    timed_result,
)

REPLAY_LIMIT_S = 10.0
REPLAY_EVENTS = 1_000_000
# The log: every pair enrolled (2 events), then four rounds in which every pair completes its
# phase (2 events each): 10 events per pair.
REPLAY_PHASES = (
    Phase.NEEDS_ASSESSMENT,
    Phase.MATCHING,
    Phase.TRANSFER_WORKSHOP,
    Phase.TRAINING_ACADEMY,
)
REPLAY_LIFECYCLE = Lifecycle.linear(*REPLAY_PHASES, Phase.FINAL_REVIEW)
REPLAY_TIMES = tuple(COMPLETE_AT.add(weeks=6 * r) for r in range(len(REPLAY_PHASES)))
EVENTS_PER_PAIR = 2 + 2 * len(REPLAY_PHASES)


@dataclass(frozen=True)
class Sizes:
    pairs: int


FULL = Sizes(pairs=REPLAY_EVENTS // EVENTS_PER_PAIR)
QUICK = Sizes(pairs=REPLAY_EVENTS // EVENTS_PER_PAIR // 10)


def method(s: Sizes) -> str:
    return (
        f"Target 5: {s.pairs * EVENTS_PER_PAIR:,} events, each figure once, gc enabled; "
        "restore and memory in fresh processes."
    )


def replay_programme(n: int, deadlines: Sequence[DeadlineRule] = ()) -> Programme:
    """The programme of target 5, built by running its commands: ``n`` pairs enrolled, then
    four rounds in which every pair completes its phase (10 events per pair); with
    ``deadlines`` (target 12's programme with deadline rules), those rules."""
    programme = Programme(
        "Benchmark",
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        timezone=TIMEZONE,
        lifecycle=REPLAY_LIFECYCLE,
        deadlines=deadlines,
    )
    add = programme.add_pair
    pairings = itertools.cycle(PAIRINGS)
    pairs = [
        add(f"pair-{i:06d}", mentor=mentor, mentee=mentee, theme=THEME, at=ENROL_AT)
        for i, (mentor, mentee) in zip(range(n), pairings, strict=False)
    ]
    for phase, at in zip(REPLAY_PHASES, REPLAY_TIMES, strict=True):
        for pair in pairs:
            pair.complete(phase, at=at)
    return programme


def child_build(path: str, n: int) -> dict[str, Any]:
    """In a fresh process: build the programme by its commands (timed; peak and kept memory),
    then persist it to a new SQLiteStore at ``path`` (one append of the whole history)."""
    gc.collect()
    reset_peak()
    before = memory_status()
    seconds, programme = timed_result(functools.partial(replay_programme, n))
    peak = memory_status()
    gc.collect()
    after = memory_status()
    store = SQLiteStore(path)
    persist_s, _ = timed_result(lambda: programme.persist(store, STORE_KEY))
    assert store.version(STORE_KEY) == n * EVENTS_PER_PAIR
    store.close()
    return {
        "seconds": seconds,
        "persist": persist_s,
        "before": before,
        "peak": peak,
        "after": after,
    }


# Before the core rework restore paused the garbage collector itself; since, the caller asks
# for it (``pause_gc=True``). The figure is the same work either way: ask when the tree can.
PAUSE: dict[str, Any] = (
    {"pause_gc": True} if "pause_gc" in inspect.signature(Programme.restore).parameters else {}
)


def child_restore(path: str, n: int, *, collect: bool = True) -> dict[str, Any]:
    """In a fresh process: ``Programme.restore`` from the SQLiteStore at ``path`` (timed; peak
    and kept memory), with the garbage collector enabled (as a user runs it) or disabled."""
    store = SQLiteStore(path)
    gc.collect()
    reset_peak()
    before = memory_status()
    if not collect:
        gc.disable()
    try:
        seconds, programme = timed_result(lambda: Programme.restore(store, STORE_KEY, **PAUSE))
    finally:
        gc.enable()
    peak = memory_status()
    gc.collect()
    after = memory_status()
    # Untimed: the whole log replayed, every pair in its fifth phase.
    assert len(programme.history) == n * EVENTS_PER_PAIR
    assert len(programme.pairs) == n
    assert all(pair.phase == Phase.FINAL_REVIEW for pair in programme.pairs.values())
    store.close()
    return {"seconds": seconds, "before": before, "peak": peak, "after": after}


CHILDREN: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "build": child_build,
    "restore": child_restore,
    "restore-nogc": functools.partial(child_restore, collect=False),
}


class ParsedLog(Store):
    """A read-only store that hands out a log already read and parsed: restoring from it is
    ``load_event`` of every document and the replay, without SQLite or JSON."""

    def __init__(self, definition: dict[str, Any], documents: Sequence[dict[str, Any]]) -> None:
        self.log = StoredLog(definition, documents, [SCHEMA] * len(documents))

    def create(self, key: str, definition: Any, events: Sequence[Any] = ()) -> None:
        raise NotImplementedError("read-only")

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        assert after == 0
        return self.log

    def append(self, key: str, events: Sequence[Any], *, expected_version: int) -> int:
        raise NotImplementedError("read-only")

    def version(self, key: str) -> int:
        return len(self.log.events)

    def keys(self) -> list[str]:
        return [STORE_KEY]


def parse_all(bodies: list[str]) -> list[Any]:
    """``json.loads`` of every stored event."""
    loads = json.loads
    return [loads(body) for body in bodies]


def load_all(documents: list[Any]) -> list[Event]:
    """``load_event`` of every document, as ``restore`` calls it (with where it is)."""
    key = STORE_KEY
    return [load_event(doc, f"{key}.events[seq {i}]") for i, doc in enumerate(documents, 1)]


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.pairs
    count = n * EVENTS_PER_PAIR
    path = fresh_db(context.directory, "replay")
    built = run_child(5, "build", path, n)
    checkpoint()

    # The steps of restore, in this process, each once, gc enabled (as restore runs it), each
    # with only its own input and output alive.
    store = SQLiteStore(path)
    read_s, log = timed_result(functools.partial(store.read, STORE_KEY))
    assert len(log.events) == count
    definition = log.definition
    del log
    store.close()
    db = sqlite3.connect(path)
    bodies = [row[2] for row in db.execute(ROWS, (STORE_KEY,))]
    db.close()
    assert len(bodies) == count
    checkpoint()
    loads_s, docs = timed_result(functools.partial(parse_all, bodies))
    del bodies
    checkpoint()
    # (the stored records carry their chain digest, which load_event refuses: off, untimed)
    bare = [{k: v for k, v in doc.items() if k != "chain"} for doc in docs]
    load_s, events = timed_result(functools.partial(load_all, bare))
    del events, bare
    checkpoint()
    parsed = ParsedLog(definition, docs)
    replay_s, programme = timed_result(functools.partial(Programme.restore, parsed, STORE_KEY))
    assert len(programme.history) == count
    del programme, parsed, docs
    gc.collect()

    checkpoint()
    restored = run_child(5, "restore", path, n)
    checkpoint()
    unmanaged = run_child(5, "restore-nogc", path, n)
    remove_db(path)

    limit = REPLAY_LIMIT_S * count / REPLAY_EVENTS
    pro_rata = "" if count == REPLAY_EVENTS else " pro rata"
    build_s = built["seconds"]
    rows = [
        Row(
            f"5  Programme.restore, {count:,} events  vs the commands run",
            restored["seconds"],
            build_s,
            "s",
            f"<= {limit:g} s{pro_rata}",
            restored["seconds"] <= limit,
        ),
        Row("   same, gc disabled during restore", unmanaged["seconds"], build_s, "s"),
        Row(
            "   store.read (SELECT, json.loads)  vs json.loads alone",
            read_s,
            loads_s,
            "s",
            independent=True,
        ),
        Row(
            f"   load_event x{count:,}  vs json.loads alone", load_s, loads_s, "s", independent=True
        ),
        Row(
            "   restore of parsed documents (load_event + replay)  vs commands",
            replay_s,
            build_s,
            "s",
        ),
        Row(f"   persist: one append of {count:,} events", built["persist"], None, "s"),
    ]
    peak, base_peak = peak_growth(restored), peak_growth(built)
    held, base_held = kept(restored), kept(built)
    if peak is not None and base_peak is not None:
        rows.append(Row("   restore: peak RSS growth  vs the commands run", peak, base_peak, "MB"))
    if held is not None and base_held is not None:
        rows.append(Row("   restore: RSS kept after  vs the commands run", held, base_held, "MB"))
    return rows
