"""Target 4: "appending to SQLite reaches at least half the throughput of raw sqlite3 inserts of
the same JSON rows (batched in transactions)".

setup     SQLite files on a real file system (``--dir``; the header says which), each way on a
          new file per repeat, all with ``journal_mode=WAL`` and ``synchronous=FULL`` (the
          store's documented settings; untimed, the raw connection's PRAGMAs are asserted, and
          the store's file is asserted to be in WAL mode from a second connection, since its
          own connection is private): every commit fsyncs the WAL, and one fsync per
          transaction dominates every way of appending. The same 2,000 enrolled pairs (written
          untimed, in one transaction) precede the timed appends.
measured  Events per second, two ways, each a target: (a) ``pair.complete(phase, at=t)`` on
          2,000 pairs of a programme persisted in an ``SQLiteStore``: each command runs the
          engine, makes its 2 events, encodes them (the canonical JSON that each record's
          digest is taken of, which the store writes as it is) and journals them in one
          ``SQLiteStore.append`` (``BEGIN IMMEDIATE``, the version check, the inserts, the
          version update, ``COMMIT``) before the change is made; (b) ``SQLiteStore.append``
          of the same records as ready documents (each with its digest, as journaled), 2 per
          call: the store encodes them (``json.dumps``, canonical).
baseline  Plain ``sqlite3``: ``BEGIN``, ``executemany`` of ``INSERT INTO events (key, seq,
          schema, body)`` (the store's table, ``WITHOUT ROWID``, primary key (key, seq)),
          ``COMMIT``, one transaction per 2 events; its rows are the same JSON (``json.dumps``
          of the same documents with the store's arguments, keys sorted, inside the timed
          loop). Untimed:
          all the ways wrote byte-identical rows.
how       The median of 5 repeats; within a repeat the ways run in turn, 1/20th of the appends
          at a time, so a slow spell of the disk hits each alike. Garbage collector enabled
          (collected before each repeat).
info      The store and the baseline with 500 events per transaction (all 8,000 documents): the
          per-event cost once the fsync is shared. And, when /dev/shm is a tmpfs, both targets'
          ways again there, where fsync costs nothing: the ratio of the CPU work alone (there,
          (a) is below 0.5x: see the README).
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from mentorflow import MemoryStore, Phase, SQLiteStore
from mentorflow.serialization import SCHEMA, dump_definition

from ..programmes import COMPLETE_AT, add_pairs, new_programme
from ..report import Context, Row, independent
from ..sqlite_files import (
    RAW_INSERT,
    RAW_TABLE,
    STORE_KEY,
    check_pragmas,
    check_wal,
    connect,
    file_system,
    fresh_db,
    json_row,
    remove_db,
    stored_rows,
    tmpfs,
)
from ..timing import checkpoint

APPEND_LIMIT = 0.5  # at least half raw sqlite3's events/s


@dataclass(frozen=True)
class Sizes:
    commands: int
    repeats: int
    bulk: int
    slices: int


FULL = Sizes(commands=2_000, repeats=5, bulk=500, slices=20)
QUICK = Sizes(commands=300, repeats=3, bulk=100, slices=5)


def method(s: Sizes) -> str:
    return (
        f"Target 4: events/s, median of {s.repeats} interleaved repeats of {s.commands:,} "
        "appends, gc enabled."
    )


class ProgrammeAppends:
    """``pair.complete(phase, at=t)`` on pairs of a programme persisted in an SQLiteStore at
    ``path``: each command journals one append of 2 events. The pairs are enrolled and the
    programme persisted (one write of the 2n enrolment events) untimed."""

    def __init__(self, path: str, n: int) -> None:
        self.programme = new_programme()
        self.pairs = add_pairs(self.programme, n)
        self.store = SQLiteStore(path)
        check_wal(path)
        self.programme.persist(self.store, STORE_KEY)
        self.batches = n

    def run(self, start: int, stop: int) -> int:
        phase = Phase.NEEDS_ASSESSMENT
        for pair in self.pairs[start:stop]:
            pair.complete(phase, at=COMPLETE_AT)
        return 2 * (stop - start)

    def close(self) -> None:
        assert self.store.version(STORE_KEY) == 4 * self.batches
        self.store.close()


class StoreAppends:
    """``SQLiteStore.append`` of ready event documents, one call per batch. The ``first``
    documents are written untimed, with the definition."""

    def __init__(
        self, path: str, definition: dict[str, Any], first: list[Any], batches: list[list[Any]]
    ) -> None:
        self.store = SQLiteStore(path)
        check_wal(path)
        self.store.create(STORE_KEY, definition, first)
        self.version = len(first)
        self.documents = batches
        self.batches = len(batches)
        self.expected = len(first) + sum(map(len, batches))

    def run(self, start: int, stop: int) -> int:
        append = self.store.append
        version = before = self.version
        for batch in self.documents[start:stop]:
            version = append(STORE_KEY, batch, expected_version=version)
        self.version = version
        return version - before

    def close(self) -> None:
        assert self.store.version(STORE_KEY) == self.version == self.expected
        self.store.close()


class RawAppends:
    """The baseline: plain sqlite3 inserts of the same JSON rows (``json_row``) into the
    store's table shape, one ``BEGIN`` ... ``COMMIT`` per batch, with the store's PRAGMAs. The
    ``first`` rows are written untimed."""

    def __init__(self, path: str, first: list[Any], batches: list[list[Any]]) -> None:
        self.db = connect(path)
        check_pragmas(self.db)
        self.db.execute(RAW_TABLE)
        if first:
            self.write(first)
        self.documents = batches
        self.batches = len(batches)

    def write(self, batch: list[Any]) -> None:
        db = self.db
        db.execute("BEGIN")
        db.executemany(RAW_INSERT, [(STORE_KEY, d["seq"], SCHEMA, json_row(d)) for d in batch])
        db.execute("COMMIT")

    def run(self, start: int, stop: int) -> int:
        write = self.write
        count = 0
        for batch in self.documents[start:stop]:
            write(batch)
            count += len(batch)
        return count

    def close(self) -> None:
        self.db.close()


Appends = ProgrammeAppends | StoreAppends | RawAppends


def interleaved_rates(writers: dict[str, Appends], slices: int) -> dict[str, float]:
    """Events per second of each writer, run a slice at a time in turn (so a slow spell of the
    disk hits every writer alike), gc enabled (collected once, before the first slice)."""
    seconds = dict.fromkeys(writers, 0.0)
    events = dict.fromkeys(writers, 0)
    gc.collect()
    for part in range(slices):
        for name, writer in writers.items():
            start = writer.batches * part // slices
            stop = writer.batches * (part + 1) // slices
            began = time.perf_counter()
            events[name] += writer.run(start, stop)
            seconds[name] += time.perf_counter() - began
        checkpoint()
    return {name: events[name] / seconds[name] for name in writers}


def append_documents(n: int) -> tuple[dict[str, Any], list[Any]]:
    """The definition and the documents the programme path journals, made once: ``n``
    enrolments (2 events each), then ``n`` completions (2 events each)."""
    model = new_programme()
    for pair in add_pairs(model, n):
        pair.complete(Phase.NEEDS_ASSESSMENT, at=COMPLETE_AT)
    # as journaled: each record with the digest of the one before (its ``chain``)
    kept = MemoryStore()
    model.persist(kept, STORE_KEY)
    return dump_definition(model), list(kept.read(STORE_KEY).events)


def append_rates(s: Sizes, directory: str) -> dict[str, float]:
    """Events per second of each way of appending, in ``directory``: the median of the
    repeats, the ways interleaved in slices within each repeat, every way on a new file."""
    n = s.commands
    definition, docs = append_documents(n)
    enrolment = docs[: 2 * n]
    twos = [docs[i : i + 2] for i in range(2 * n, 4 * n, 2)]
    bulk = [docs[i : i + s.bulk] for i in range(0, len(docs), s.bulk)]

    names = ("programme", "store", "raw", "store_bulk", "raw_bulk")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(s.repeats):
        paths = {name: fresh_db(directory, name) for name in names}
        small: dict[str, Appends] = {
            "programme": ProgrammeAppends(paths["programme"], n),
            "store": StoreAppends(paths["store"], definition, enrolment, twos),
            "raw": RawAppends(paths["raw"], enrolment, twos),
        }
        large: dict[str, Appends] = {
            "store_bulk": StoreAppends(paths["store_bulk"], definition, [], bulk),
            "raw_bulk": RawAppends(paths["raw_bulk"], [], bulk),
        }
        for writers in (small, large):
            slices = min(s.slices, *(w.batches for w in writers.values()))
            for name, rate in interleaved_rates(writers, slices).items():
                samples[name].append(rate)
            for writer in writers.values():
                writer.close()
        if repeat == 0:  # untimed: every way wrote the very same rows
            rows = [stored_rows(paths[name]) for name in names]
            assert len(rows[0]) == 4 * n
            assert all(other == rows[0] for other in rows[1:])
        for path in paths.values():
            remove_db(path)
    return {name: statistics.median(values) for name, values in samples.items()}


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.commands
    rate = append_rates(s, context.directory)
    rows = [
        Row(
            f"4  SQLite: complete() x{n:,}, 2 events each  vs raw sqlite3",
            rate["programme"],
            rate["raw"],
            "ev/s",
            f">= {APPEND_LIMIT:.2f}x",
            rate["programme"] / rate["raw"] >= APPEND_LIMIT,
        ),
        Row(
            "4  SQLiteStore.append, 2 ready documents  vs raw sqlite3",
            rate["store"],
            rate["raw"],
            "ev/s",
            f">= {APPEND_LIMIT:.2f}x",
            rate["store"] / rate["raw"] >= APPEND_LIMIT,
        ),
        Row(
            f"   same, {s.bulk:,} per append ({4 * n:,} events)  vs raw",
            rate["store_bulk"],
            rate["raw_bulk"],
            "ev/s",
        ),
    ]
    shm = tmpfs()
    if shm is not None and file_system(context.directory) != "tmpfs":
        with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=shm) as memory:
            free = append_rates(s, memory)
        raw = free["raw"]
        rows += [
            Row("   complete(), in tmpfs (fsync is free)  vs raw", free["programme"], raw, "ev/s"),
            Row("   SQLiteStore.append, 2, in tmpfs  vs raw", free["store"], raw, "ev/s"),
        ]
    return independent(rows)  # every baseline is raw sqlite3
