"""Target 10 (the server-grade stores issue): "PostgreSQL appends reach at least half the
throughput of raw psycopg inserts of the same rows in transactions of the same size, same
server, same run", and "refresh() of one new event takes at most 1 ms".

setup     A throwaway PostgreSQL cluster with ``fsync`` on, on a Unix socket (the tests'
          ``tests/pg_cluster.py``; as root it runs as the ``postgres`` user), or the server
          named by ``MENTORFLOW_BENCH_POSTGRES`` (a DSN; the benchmark works in schemas of its
          own, ``bench_*``, dropped at the end). Without either, the rows say "not applicable".
measured  (a) Events per second of ``PostgresStore.append`` of ready documents, 2 per call
          (each call one statement: the version check, the inserts and a NOTIFY); (b) the
          same with 500 per call (info). (c) ``Programme.refresh()`` of a copy of a programme
          of ``pairs`` pairs after the other copy completed one pair's phase (2 new events):
          the median of ``refreshes`` refreshes, over PostgreSQL and over SQLite (a real file
          in ``--dir``, ``synchronous=FULL``).
baseline  (a, b) Raw psycopg: ``with conn.transaction(): cursor.executemany(INSERT ...)`` of
          the same JSON rows (``json.dumps`` in the loop, as the store does) into a table of
          the store's shape, one transaction per batch, same server, interleaved in slices
          with the store's appends. (c) ``store.read(key, after=version - 2)``: reading the
          same 2 events, without replaying them.
info      The other stores' appends, 2 and 500 per call, no baseline: the figures of the
          "Choosing a store" table in docs/how-to/stores.md (files in ``--dir``).
how       The median of the repeats; gc enabled.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mentorflow import (
    JsonLinesStore,
    MemoryStore,
    Phase,
    PostgresStore,
    Programme,
    SQLiteStore,
    Store,
)
from mentorflow.serialization import SCHEMA, dump_definition, dump_event

from ..programmes import COMPLETE_AT, add_pairs, new_programme
from ..report import Context, Row
from ..timing import checkpoint

APPEND_LIMIT = 0.5  # at least half raw psycopg's events/s
REFRESH_LIMIT_MS = 1.0


@dataclass(frozen=True)
class Sizes:
    appends: int  # batches of 2
    bulk: int  # events per bulk batch
    bulk_batches: int
    repeats: int
    slices: int
    pairs: int
    refreshes: int


FULL = Sizes(
    appends=2_000, bulk=500, bulk_batches=40, repeats=3, slices=20, pairs=20_000, refreshes=200
)
QUICK = Sizes(appends=200, bulk=100, bulk_batches=10, repeats=1, slices=4, pairs=500, refreshes=40)


def method(s: Sizes) -> str:
    return (
        f"Target 10: PostgreSQL appends (median of {s.repeats} interleaved repeats of "
        f"{s.appends:,} appends of 2), refresh() of 2 new events ({s.refreshes} times, "
        f"{s.pairs:,} pairs), gc enabled."
    )


@contextlib.contextmanager
def server(context: Context) -> Iterator[str | None]:
    """A DSN: the one named by MENTORFLOW_BENCH_POSTGRES, or a throwaway cluster's."""
    named = os.environ.get("MENTORFLOW_BENCH_POSTGRES")
    if named:
        yield named
        return
    path = Path(__file__).parents[2] / "tests" / "pg_cluster.py"
    spec = importlib.util.spec_from_file_location("_mentorflow_pg_cluster", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the tests are not there
        context.notes.append(f"target 10: no {path}: set MENTORFLOW_BENCH_POSTGRES")
        yield None
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        cluster = module.Cluster(fsync=True).start()
    except module.ClusterUnavailable as err:
        context.notes.append(f"target 10: no PostgreSQL server ({err}); {module.ENABLE}")
        yield None
        return
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def documents(count: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A definition and ``count`` event documents, as a programme journals them."""
    model = new_programme()
    pairs = add_pairs(model, (count + 3) // 4)
    for pair in pairs:
        pair.complete(Phase.NEEDS_ASSESSMENT, at=COMPLETE_AT)
    return dump_definition(model), [dump_event(e) for e in model.history][:count]


class StoreWay:
    def __init__(self, store: PostgresStore, definition: dict[str, Any], batches: list[Any]):
        self.store = store
        store.create("p", definition)
        self.batches = batches
        self.version = 0

    def run(self, start: int, stop: int) -> int:
        append, version = self.store.append, self.version
        for batch in self.batches[start:stop]:
            version = append("p", batch, expected_version=version)
        count, self.version = version - self.version, version
        return count


class RawWay:
    def __init__(self, dsn: str, schema: str, batches: list[Any]) -> None:
        import psycopg

        self.db = psycopg.connect(dsn)
        self.db.execute(f"CREATE SCHEMA {schema}".encode())
        self.db.execute(
            f"CREATE TABLE {schema}.events (key text NOT NULL, seq bigint NOT NULL, "
            "schema integer NOT NULL, body text NOT NULL, PRIMARY KEY (key, seq))".encode()
        )
        self.db.commit()
        self.insert = f"INSERT INTO {schema}.events VALUES (%s, %s, %s, %s)".encode()
        self.batches = batches

    def run(self, start: int, stop: int) -> int:
        db, insert, count = self.db, self.insert, 0
        for batch in self.batches[start:stop]:
            with db.transaction():
                db.cursor().executemany(insert, [("p", d["seq"], SCHEMA, _json(d)) for d in batch])
            count += len(batch)
        return count


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def append_rates(s: Sizes, dsn: str, size: int, batches_count: int) -> tuple[float, float]:
    """Events per second of the store and of raw psycopg, batches of ``size``."""
    import psycopg

    definition, docs = documents(size * batches_count)
    batches = [docs[i : i + size] for i in range(0, len(docs), size)]
    store_rates: list[float] = []
    raw_rates: list[float] = []
    for repeat in range(s.repeats):
        schema = f"bench_{os.getpid()}_{size}_{repeat}"
        store = PostgresStore(dsn, schema=schema)
        raw = RawWay(dsn, f"{schema}_raw", batches)
        ways: dict[str, StoreWay | RawWay] = {
            "store": StoreWay(store, definition, batches),
            "raw": raw,
        }
        seconds = dict.fromkeys(ways, 0.0)
        events = dict.fromkeys(ways, 0)
        slices = min(s.slices, len(batches))
        for part in range(slices):
            start, stop = len(batches) * part // slices, len(batches) * (part + 1) // slices
            for name, way in ways.items():
                began = time.perf_counter()
                events[name] += way.run(start, stop)
                seconds[name] += time.perf_counter() - began
            checkpoint()
        store_rates.append(events["store"] / seconds["store"])
        raw_rates.append(events["raw"] / seconds["raw"])
        store.close()
        raw.db.close()
        with psycopg.connect(dsn, autocommit=True) as db:
            for name in (schema, f"{schema}_raw"):
                db.execute(f"DROP SCHEMA {name} CASCADE".encode())
    return statistics.median(store_rates), statistics.median(raw_rates)


def store_rate(store: Store, key: str, definition: dict[str, Any], batches: list[Any]) -> float:
    """Events per second of ``store.append`` of ``batches`` to a new programme ``key``."""
    store.create(key, definition)
    version = 0
    began = time.perf_counter()
    for batch in batches:
        version = store.append(key, batch, expected_version=version)
    return version / (time.perf_counter() - began)


def other_stores(s: Sizes, directory: str, size: int, count: int) -> dict[str, float]:
    """Events per second of the other stores, for the how-to's table (median of the
    repeats; the files in ``directory``)."""
    definition, docs = documents(size * count)
    batches = [docs[i : i + size] for i in range(0, len(docs), size)]
    rates: dict[str, list[float]] = {"memory": [], "jsonl": [], "sqlite": []}
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=directory) as tmp:
        for repeat in range(s.repeats):
            key = f"p{repeat}"
            rates["memory"].append(store_rate(MemoryStore(), key, definition, batches))
            rates["jsonl"].append(store_rate(JsonLinesStore(tmp), key, definition, batches))
            sqlite = SQLiteStore(Path(tmp) / f"{key}.db")
            rates["sqlite"].append(store_rate(sqlite, key, definition, batches))
            sqlite.close()
    return {name: statistics.median(values) for name, values in rates.items()}


def refresh_times(s: Sizes, store: Store) -> tuple[float, float]:
    """The median milliseconds of a refresh of 2 new events, and of reading them."""
    writer = new_programme()
    pairs = add_pairs(writer, s.pairs)
    writer.persist(store, "refresh")
    reader = Programme.restore(store, "refresh")
    refreshes: list[float] = []
    reads: list[float] = []
    for pair in pairs[: s.refreshes]:
        pair.complete(Phase.NEEDS_ASSESSMENT, at=COMPLETE_AT)
        began = time.perf_counter()
        new = reader.refresh()
        refreshes.append(time.perf_counter() - began)
        assert 2 == len(new)
        began = time.perf_counter()
        store.read("refresh", after=reader.version - 2)
        reads.append(time.perf_counter() - began)
    assert reader.history[:] == writer.history[:]
    return statistics.median(refreshes) * 1e3, statistics.median(reads) * 1e3


def run(s: Sizes, context: Context) -> list[Row]:
    with server(context) as dsn:
        if dsn is None:
            return [Row("10 PostgresStore.append  vs raw psycopg", None, None, "ev/s")]
        small = append_rates(s, dsn, 2, s.appends)
        bulk = append_rates(s, dsn, s.bulk, s.bulk_batches)
        schema = f"bench_{os.getpid()}_refresh"
        store = PostgresStore(dsn, schema=schema)
        pg_refresh = refresh_times(s, store)
        store.close()
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=context.directory) as tmp:
        sqlite = SQLiteStore(Path(tmp) / "refresh.db")
        sqlite_refresh = refresh_times(s, sqlite)
        sqlite.close()
    others = other_stores(s, context.directory, 2, s.appends)
    others_bulk = other_stores(s, context.directory, s.bulk, s.bulk_batches)
    info = [
        Row(f"   {name}: append, {size} per call (the how-to's table)", rates[name], None, "ev/s")
        for size, rates in ((2, others), (s.bulk, others_bulk))
        for name in ("memory", "jsonl", "sqlite")
    ]
    return [
        Row(
            "10 PostgresStore.append, 2 ready documents  vs raw psycopg",
            small[0],
            small[1],
            "ev/s",
            f">= {APPEND_LIMIT:.2f}x",
            small[0] / small[1] >= APPEND_LIMIT,
        ),
        Row(f"   same, {s.bulk} per append  vs raw psycopg", bulk[0], bulk[1], "ev/s"),
        Row(
            f"10 refresh() of 2 new events, {s.pairs:,} pairs, PostgreSQL  vs read(after=)",
            pg_refresh[0],
            pg_refresh[1],
            "ms",
            f"<= {REFRESH_LIMIT_MS:g} ms",
            pg_refresh[0] <= REFRESH_LIMIT_MS,
        ),
        Row(
            "   same, SQLite  vs read(after=)",
            sqlite_refresh[0],
            sqlite_refresh[1],
            "ms",
            f"<= {REFRESH_LIMIT_MS:g} ms",
            sqlite_refresh[0] <= REFRESH_LIMIT_MS,
        ),
        *info,
    ]
