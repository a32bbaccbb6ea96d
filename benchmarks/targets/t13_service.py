"""Target 13 (issue 14, running mentorflow in a service), three figures side by side:

batch     "A batch of 100 commands on SQLite with synchronous=FULL: at least 10x the throughput
          of the same commands one by one." Measured: commands/s of ``programme.execute(*100
          enrolments)`` (one transaction, one fsync) on a programme persisted in an
          `SQLiteStore` (a real file in ``--dir``). Baseline: the same 100 enrolments, each its
          own ``programme.execute`` (its own transaction), on another programme of the store,
          interleaved. Info, in the same repeats: the wall and CPU time per command each way;
          what committing alone costs a command one by one (its time less the batch's per
          command) beside 9x the batch's per command, the least it must be for the ratio to
          reach 10x (the same inequality, split so that a reader sees which side moves:
          the work, or the commit); and one commit of a tiny row (a database of its own in
          the same directory, WAL, ``synchronous=FULL``): the disk's own fsync time.
overdue   "The overdue query over 1,000 programmes x 100 pairs: at most 50 ms, against
          restoring them all." Measured: ``ReadModel(store).overdue(at)`` on an SQLite store
          holding ``programmes`` programmes of ``pairs`` pairs (3 phase and 1 milestone
          deadline rules; a quarter of the pairs past their first phase; programme n enrolled
          n % 100 days after the first, so that about 5% of the programmes have overdue
          pairs at the instant asked), median of ``queries`` calls. Baseline: restoring
          every programme (`Programme.restore`) and asking each deadline its status, once.
          Untimed: both find the same deadlines.
async     "The async API's overhead over the sync one: at most 1.3x per command on
          PostgreSQL." Measured: seconds per ``await AsyncProgramme.execute(Enrol(...))`` on a
          programme persisted in a `PostgresStore` (a throwaway cluster, ``fsync`` on, or
          ``MENTORFLOW_BENCH_POSTGRES``). Baseline: ``Programme.execute(Enrol(...))`` on
          another programme of the same store, interleaved in slices. Info: the same over
          SQLite (the command in a thread).
how       Medians; gc enabled.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pendulum

from mentorflow import (
    DeadlineRule,
    DeadlineStatus,
    Enrol,
    ManualClock,
    Phase,
    PostgresStore,
    Programme,
    ReadModel,
    SQLiteStore,
    Store,
)
from mentorflow.aio import AsyncProgramme

from ..programmes import ENDS_ON, ENROL_AT, MENTEE, MENTOR, STARTS_ON, THEME, TIMEZONE
from ..report import Context, Row
from ..sqlite_files import check_pragmas, connect
from ..timing import checkpoint
from .t10_postgres import server

BATCH_LIMIT = 10.0
OVERDUE_LIMIT_MS = 50.0
ASYNC_LIMIT = 1.3
RULES = (
    DeadlineRule("needs_assessment", after="needs_assessment.started", weeks=8, lead_days=7),
    DeadlineRule("matching", after="matching.started", weeks=6),
    DeadlineRule("transfer_workshop", after="transfer_workshop.started", months=4),
    DeadlineRule("final_report", on=pendulum.date(2022, 6, 30), lead_days=30),
)
OVERDUE_AT = ENROL_AT.add(weeks=8, days=5)
"""Programme n enrols its pairs n % 100 days after the first: at this instant the first
phase's deadline has passed for the pairs of about 5% of the programmes."""


@dataclass(frozen=True)
class Sizes:
    batch: int  # commands per batch
    batch_repeats: int
    programmes: int
    pairs: int
    queries: int
    commands: int  # async vs sync, per way
    slices: int


FULL = Sizes(
    batch=100, batch_repeats=5, programmes=1_000, pairs=100, queries=21, commands=600, slices=12
)
QUICK = Sizes(
    batch=100, batch_repeats=2, programmes=50, pairs=100, queries=5, commands=100, slices=4
)


def method(s: Sizes) -> str:
    return (
        f"Target 13: a batch of {s.batch} commands vs one by one (SQLite, FULL, median of "
        f"{s.batch_repeats}); the overdue query over {s.programmes:,} x {s.pairs} pairs vs "
        f"restoring them (median of {s.queries}); await execute vs execute ({s.commands} "
        "commands each, PostgreSQL), gc enabled."
    )


def programme(clock: ManualClock | None = None) -> Programme:
    return Programme(
        "P",
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        timezone=TIMEZONE,
        clock=clock or ManualClock(ENROL_AT),
        deadlines=RULES,
    )


def enrolments(prefix: str, count: int) -> list[Enrol]:
    return [
        Enrol(pair=f"{prefix}{n}", mentor=MENTOR, mentee=MENTEE, theme=THEME) for n in range(count)
    ]


# -- a batch against one by one ------------------------------------------------------------


@dataclass(frozen=True)
class BatchFigures:
    """What `batch_rates` measured, each the median of its repeats."""

    batched: float
    """Commands per second in a batch of ``s.batch`` (one transaction)."""
    single: float
    """Commands per second one by one (one transaction each)."""
    cpu_us: float
    """The batch's CPU time (this process's, user and system) per command, microseconds."""
    single_cpu_us: float
    """The same, one by one."""
    commit_us: float
    """One commit of a tiny row on a database of its own in the same directory, with the
    store's PRAGMAs (WAL, ``synchronous=FULL``): what a transaction costs beyond its work,
    mostly the fsync of the WAL, microseconds."""

    @property
    def batch_us(self) -> float:
        """The batch's wall time per command, microseconds."""
        return 1e6 / self.batched

    @property
    def committing_us(self) -> float:
        """What committing alone costs a command one by one: its wall time less the batch's
        per command. The ratio reaches 10x when this is at least 9x ``batch_us``."""
        return 1e6 / self.single - self.batch_us


COMMITS_PER_REPEAT = 20


def commit_times(db: sqlite3.Connection, count: int) -> list[float]:
    """Seconds of ``count`` transactions, each appending one tiny row to ``db``'s scratch
    table (``BEGIN IMMEDIATE``, ``INSERT``, ``COMMIT``, as the store's appends)."""
    times = []
    for n in range(count):
        began = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO scratch (n) VALUES (?)", (n,))
        db.execute("COMMIT")
        times.append(time.perf_counter() - began)
    return times


def batch_rates(s: Sizes, directory: str) -> BatchFigures:
    """Commands per second in batches and one by one, the batch's CPU time per command,
    and the cost of one commit, measured in turn in each repeat (a slow spell of the disk
    hits each alike)."""
    batched: list[float] = []
    single: list[float] = []
    cpu: list[float] = []
    single_cpu: list[float] = []
    commits: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=directory) as tmp:
        store = SQLiteStore(Path(tmp) / "batch.db")
        scratch = connect(str(Path(tmp) / "scratch.db"))
        check_pragmas(scratch)
        scratch.execute("CREATE TABLE scratch (n INTEGER NOT NULL)")
        for repeat in range(s.batch_repeats):
            one, many = programme(), programme()
            one.persist(store, f"one{repeat}")
            many.persist(store, f"many{repeat}")
            commands = enrolments("p", s.batch)
            began, began_cpu = time.perf_counter(), time.process_time()
            many.execute(*commands)
            batched.append(s.batch / (time.perf_counter() - began))
            cpu.append((time.process_time() - began_cpu) / s.batch)
            checkpoint()
            began, began_cpu = time.perf_counter(), time.process_time()
            for command in commands:
                one.execute(command)
            single.append(s.batch / (time.perf_counter() - began))
            single_cpu.append((time.process_time() - began_cpu) / s.batch)
            assert one.history[:] == many.history[:]
            checkpoint()
            commits += commit_times(scratch, COMMITS_PER_REPEAT)
            checkpoint()
        scratch.close()
        store.close()
    return BatchFigures(
        batched=statistics.median(batched),
        single=statistics.median(single),
        cpu_us=statistics.median(cpu) * 1e6,
        single_cpu_us=statistics.median(single_cpu) * 1e6,
        commit_us=statistics.median(commits) * 1e6,
    )


# -- the overdue query against restoring -------------------------------------------------------


def fill(store: Store, s: Sizes) -> None:
    """``programmes`` programmes of ``pairs`` pairs, a quarter past their first phase;
    programme n enrols n % 100 days after the first."""
    model = programme()
    commands = enrolments("pair-", s.pairs)
    for n in range(s.programmes):
        clock = ManualClock(ENROL_AT.add(days=n % 100))
        made = Programme.from_definition(model.definition, clock=clock)
        made.execute(*commands)
        clock.advance(weeks=4)
        for key in list(made.pairs)[: s.pairs // 4]:
            made.pair(key).complete(Phase.NEEDS_ASSESSMENT)
        made.persist(store, f"programme-{n:04d}")


def naive_overdue(store: Store) -> int:
    """Every overdue deadline, by restoring every programme."""
    found = 0
    keys = store.keys()
    for key in keys:
        restored = Programme.restore(store, key)
        for pair in [None, *restored.pairs]:
            for deadline in restored.deadlines(pair=pair):
                watched = not (deadline.withdrawn or deadline.skipped)
                if watched and deadline.status(OVERDUE_AT) is DeadlineStatus.OVERDUE:
                    found += 1
    return found


def overdue_times(s: Sizes, directory: str) -> tuple[float, float, int, float]:
    """Milliseconds: the query (median), restoring everything (once); the deadlines found;
    the query's CPU time (median: what it costs on a machine that is not shared)."""
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=directory) as tmp:
        store = SQLiteStore(Path(tmp) / "overdue.db")
        ReadModel(store).enable()
        fill(store, s)
        model = ReadModel(store)
        times: list[float] = []
        cpu: list[float] = []
        for _ in range(s.queries):
            began, began_cpu = time.perf_counter(), time.process_time()
            found = model.overdue(OVERDUE_AT)
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
            checkpoint()
        began = time.perf_counter()
        naive = naive_overdue(store)
        restoring = time.perf_counter() - began
        assert naive == len(found), (naive, len(found))
        store.close()
    return statistics.median(times) * 1e3, restoring * 1e3, len(found), statistics.median(cpu) * 1e3


# -- await execute against execute ------------------------------------------------------------


def async_times(s: Sizes, store: Store) -> tuple[float, float]:
    """Seconds per command: awaited, and sync (interleaved in slices)."""
    sync = programme()
    sync.persist(store, "sync")
    commands = enrolments("s", s.commands)
    awaited: list[float] = []
    direct: list[float] = []
    with asyncio.Runner() as runner:

        async def start() -> AsyncProgramme:
            aprogramme = AsyncProgramme(programme())
            await aprogramme.persist(store, "async")
            return aprogramme

        aprogramme = runner.run(start())

        async def run_async(part: list[Enrol]) -> float:
            began = time.perf_counter()
            for command in part:
                await aprogramme.execute(command)
            return time.perf_counter() - began

        for n in range(s.slices):
            part = commands[len(commands) * n // s.slices : len(commands) * (n + 1) // s.slices]
            awaited.append(runner.run(run_async(part)) / len(part))
            checkpoint()
            began = time.perf_counter()
            for command in part:
                sync.execute(command)
            direct.append((time.perf_counter() - began) / len(part))
            checkpoint()
        assert aprogramme.programme.history[:] == sync.history[:]
    return statistics.median(awaited), statistics.median(direct)


def run(s: Sizes, context: Context) -> list[Row]:
    batch = batch_rates(s, context.directory)
    query_ms, restore_ms, found, query_cpu_ms = overdue_times(s, context.directory)
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=context.directory) as tmp:
        sqlite = SQLiteStore(Path(tmp) / "async.db")
        sqlite_async = async_times(s, sqlite)
        sqlite.close()
    with server(context) as dsn:
        pg_async: tuple[float, float] | None = None
        if dsn is not None:
            schema = f"bench_{os.getpid()}_async"
            store = PostgresStore(dsn, schema=schema)
            pg_async = async_times(s, store)
            store.close()
            import psycopg

            with psycopg.connect(dsn, autocommit=True) as db:
                db.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    async_row = (
        Row("13 await execute(), PostgreSQL  vs execute()", None, None, "us")
        if pg_async is None
        else Row(
            "13 await execute(), PostgreSQL  vs execute()",
            pg_async[0] * 1e6,
            pg_async[1] * 1e6,
            "us",
            f"<= {ASYNC_LIMIT:g}x",
            pg_async[0] / pg_async[1] <= ASYNC_LIMIT,
        )
    )
    return [
        Row(
            f"13 a batch of {s.batch} commands, SQLite FULL  vs one by one",
            batch.batched,
            batch.single,
            "/s",
            f">= {BATCH_LIMIT:g}x",
            batch.batched / batch.single >= BATCH_LIMIT,
        ),
        Row(
            "   same, per command: one by one  vs the batch",
            1e6 / batch.single,
            batch.batch_us,
            "us",
        ),
        Row(
            "   same, CPU time per command: one by one  vs the batch",
            batch.single_cpu_us,
            batch.cpu_us,
            "us",
        ),
        Row(
            "   committing, per command one by one  vs 9x the batch's (10x needs >= 1x)",
            batch.committing_us,
            9 * batch.batch_us,
            "us",
        ),
        Row(
            "   one commit of a tiny row there, WAL, FULL: the disk (no baseline)",
            batch.commit_us,
            None,
            "us",
        ),
        Row(
            f"13 ReadModel.overdue(), {s.programmes:,} x {s.pairs} pairs ({found:,} found)  "
            "vs restoring all",
            query_ms,
            restore_ms,
            "ms",
            f"<= {OVERDUE_LIMIT_MS:g} ms",
            query_ms <= OVERDUE_LIMIT_MS,
        ),
        Row("   same, the process's CPU time (no baseline)", query_cpu_ms, None, "ms"),
        async_row,
        Row(
            "   await execute(), SQLite  vs execute()",
            sqlite_async[0] * 1e6,
            sqlite_async[1] * 1e6,
            "us",
        ),
    ]
