"""The read model across programmes: kept in step with the logs in the same transaction
(SQLite and PostgreSQL), one query for every overdue deadline, rebuilt from the logs."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from mentorflow import (
    ArchivedProgrammeError,
    Complete,
    ConcurrencyError,
    DeadlineStatus,
    JsonLinesStore,
    ManualClock,
    MemoryStore,
    Phase,
    Programme,
    ReadModel,
    SQLiteStore,
    Store,
    StoreError,
    Suspend,
    ValidationError,
)
from mentorflow._core import projection
from mentorflow._storage import readmodel as tables
from mentorflow.aio import AsyncProgramme
from service_programmes import START, TZ, populated, programme

Overdue = set[tuple[str, str | None, str, str, str | None, str | None]]
INSTANTS = [pendulum.datetime(2020, 8, 1, tz="UTC"), pendulum.datetime(2021, 3, 1, tz="UTC")]


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """A factory of store objects on one SQLite file or one PostgreSQL schema."""
    if request.param == "postgres":
        factory: Callable[[], Store] = request.getfixturevalue("postgres_stores")
        return factory
    return lambda: SQLiteStore(tmp_path / "store.db")


def naive(store: Store, at: pendulum.DateTime) -> Overdue:
    """Every overdue deadline still watched (not a withdrawn pair's, nor one a migration
    skipped), by restoring every programme."""
    found: Overdue = set()
    keys = store.keys()
    for key in keys:
        programme = Programme.restore(store, key)
        for pair in [None, *programme.pairs]:
            for deadline in programme.deadlines(pair=pair):
                watched = not (deadline.withdrawn or deadline.skipped)
                if watched and deadline.status(at) is DeadlineStatus.OVERDUE:
                    of = None if pair is None else programme.pair(pair)
                    phase, status = (None, None) if of is None else (of.phase, of.status)
                    found.add((key, pair, deadline.name, str(deadline.due_on), phase, status))
    return found


def read(store: Store, at: pendulum.DateTime) -> Overdue:
    return {
        (d.programme, d.pair, d.deadline, str(d.due_on), d.phase, d.status)
        for d in ReadModel(store).overdue(at)
    }


def pairs(store: Store) -> set[tuple[object, ...]]:
    """The read model's pair rows."""
    query = f"SELECT programme, pair, phase, status FROM {prefix(store)}readmodel_pairs"
    return set(store.readmodel_query(query))  # type: ignore[attr-defined]


def execute(store: Store, sql: str) -> None:
    """Run a statement on the store's database."""
    if isinstance(store, SQLiteStore):
        with contextlib.closing(sqlite3.connect(store.path)) as db:
            db.execute(sql)
    else:
        with store._db("testing") as db:  # type: ignore[attr-defined]
            db.execute(sql.encode())


def same_state(one: Programme, other: Programme) -> bool:
    """Whether two programmes have the same pairs, phases, statuses and deadlines."""

    def state(programme: Programme) -> object:
        return [
            (key, pair.phase, pair.status, [repr(d) for d in programme.deadlines(pair=key)])
            for key, pair in programme.pairs.items()
        ] + [repr(d) for d in programme.deadlines()]

    return state(one) == state(other)


def kept(store: Store) -> list[str]:
    """The programmes the read model has rows of."""
    query = f"SELECT programme FROM {prefix(store)}readmodel_programmes ORDER BY programme"
    return [str(r[0]) for r in store.readmodel_query(query)]  # type: ignore[attr-defined]


def prefix(store: Store) -> str:
    schema = getattr(store, "schema", None)
    return f'"{schema}".' if schema else ""


def assert_in_step(store: Store) -> None:
    for at in INSTANTS:
        assert naive(store, at) == read(store, at)
    expected = set()
    keys = store.keys()
    for key in keys:
        programme = Programme.restore(store, key)
        expected |= {(key, k, str(p.phase), str(p.status)) for k, p in programme.pairs.items()}
    assert expected == pairs(store)


class TestInStep:
    """The rows follow every change, in the change's transaction."""

    def test_commands_batches_and_checks(self, make_store: Callable[[], Store]) -> None:
        """Pair commands, a batch, a deadline check and a withdrawal: rows as a restore says."""
        store = make_store()
        assert 0 == ReadModel(store).enable()
        a = populated(store, "a", pairs=3)
        populated(store, "b", pairs=2, completed=2)
        assert_in_step(store)
        a.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        a.pair("pair-2").withdraw()
        with a.batch():
            a.pair("pair-0").complete(Phase.MATCHING)
            a.pair("pair-1").suspend()
        a.check_deadlines(at=pendulum.datetime(2021, 1, 4, tz="UTC"))
        assert_in_step(store)
        again = Programme.restore(make_store(), "b", clock=ManualClock(START.add(weeks=30)))
        again.pair("pair-0").complete(Phase.MATCHING)
        assert_in_step(store)

    def test_a_conflict_leaves_the_rows(self, make_store: Callable[[], Store]) -> None:
        """A command that loses to another writer changes no row."""
        store = make_store()
        ReadModel(store).enable()
        first = populated(store, "a")
        second = Programme.restore(make_store(), "a", clock=ManualClock(START.add(weeks=5)))
        first.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        before = pairs(store)
        with pytest.raises(ConcurrencyError):
            second.pair("pair-2").complete(Phase.NEEDS_ASSESSMENT)
        assert before == pairs(store)
        assert_in_step(store)

    def test_rows_and_events_commit_together(
        self, make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failure while the rows are written stores neither them nor the events."""
        store = make_store()
        ReadModel(store).enable()
        programme = populated(store, "a")
        version, before = store.version("a"), pairs(store)

        def broken(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(tables, "write", broken)
        with pytest.raises(OSError, match="disk full"):
            programme.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        monkeypatch.undo()
        assert (version, before) == (make_store().version("a"), pairs(store))

    @pytest.mark.parametrize("way", ["command", "keyed", "check", "batch"])
    def test_a_failed_commit_puts_the_programme_back(
        self, way: str, make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A change whose rows can't be written is not kept in memory either: the programme
        stands as its store has it, and the same command then goes through."""
        store = make_store()
        ReadModel(store).enable()
        programme = populated(store, "a")
        pair = programme.pair("pair-1")
        commands: dict[str, Callable[[], tuple[object, ...]]] = {
            "command": lambda: pair.complete(Phase.NEEDS_ASSESSMENT),
            "keyed": lambda: programme.execute(
                Complete(pair="pair-1", phase=Phase.NEEDS_ASSESSMENT, idempotency_key="k")
            ),
            "check": lambda: programme.check_deadlines(at=INSTANTS[1]),
            "batch": lambda: programme.execute(
                Complete(pair="pair-1", phase=Phase.NEEDS_ASSESSMENT), Suspend(pair="pair-2")
            ),
        }

        def broken(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(tables, "write", broken)
        with pytest.raises(OSError, match="disk full"):
            commands[way]()
        monkeypatch.undo()
        stored = Programme.restore(make_store(), "a")
        assert stored.history[:] == programme.history[:]
        assert same_state(stored, programme)
        assert pair.phase == Phase.NEEDS_ASSESSMENT  # a view held before lives on
        assert commands[way]()
        assert pair.phase != Phase.NEEDS_ASSESSMENT or way == "check"
        assert_in_step(store)

    def test_rows_that_cant_be_made_end_the_transaction(
        self, make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failure while the rows are made (not written) rolls the append back too: the
        store is left as it was, and open to the next change."""
        store = make_store()
        ReadModel(store).enable()
        programme = populated(store, "a")

        def broken(*args: object) -> None:
            raise RuntimeError("no rows")

        monkeypatch.setattr(projection, "project", broken)
        with pytest.raises(RuntimeError, match="no rows") as failure:
            programme.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        monkeypatch.undo()
        # the traceback (kept, as a logger or a debugger keeps it) holds the append: it
        # must not be what rolls it back
        assert failure.traceback
        assert programme.version == make_store().version("a")
        programme.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        assert_in_step(store)

    def test_async_programme(self, make_store: Callable[[], Store]) -> None:
        """Commands of an AsyncProgramme keep the rows in step too."""
        store = make_store()
        ReadModel(store).enable()
        populated(store, "a")

        async def main() -> None:
            programme = await AsyncProgramme.restore(make_store(), "a")
            await programme.check_deadlines(at=pendulum.datetime(2021, 1, 4, tz="UTC"))

        asyncio.run(main())
        assert_in_step(store)


class TestRebuild:
    """Tests for ReadModel.rebuild and enable."""

    def test_rebuild_from_the_logs(self, make_store: Callable[[], Store]) -> None:
        """Programmes stored before the read model, and rows lost, come back from the logs."""
        store = make_store()
        populated(store, "a")
        populated(store, "b", completed=0)
        assert 2 == ReadModel(store).enable()
        assert_in_step(store)
        store.readmodel_forget("a")  # type: ignore[attr-defined]
        store.delete("b")
        assert 1 == ReadModel(store).rebuild()
        assert_in_step(store)
        assert {"a"} == {d.programme for d in ReadModel(store).overdue(INSTANTS[1])}

    def test_tables_of_an_older_layout(self, make_store: Callable[[], Store]) -> None:
        """Tables without each deadline's phase and status (before the overdue query read one
        index) are refused with the fix, and enable makes them again from the logs."""
        store = make_store()
        ReadModel(store).enable()
        populated(store, "a")
        execute(store, f"DROP INDEX {prefix(store)}readmodel_open")
        for column in ("phase", "status"):
            execute(store, f"ALTER TABLE {prefix(store)}readmodel_deadlines DROP COLUMN {column}")
        with pytest.raises(StoreError, match=r"older layout: ReadModel\(store\).enable\(\)"):
            Programme.restore(make_store(), "a")
        assert 1 == ReadModel(make_store()).enable()
        assert make_store().readmodel_enabled()
        assert_in_step(store)

    def test_overdue_is_one_documented_query(self, tmp_path: Path) -> None:
        """The documented SQL gives what `overdue` gives."""
        store = SQLiteStore(tmp_path / "s.db")
        ReadModel(store).enable()
        populated(store, "a")
        from mentorflow._service.readmodel import SQL

        with sqlite3.connect(tmp_path / "s.db") as db:
            rows = db.execute(SQL, {"now": INSTANTS[1].timestamp()}).fetchall()
        expected = [(*r[:3], pendulum.Date.fromisoformat(r[3]), *r[4:]) for r in rows]
        actual: list[tuple[object, ...]] = list(ReadModel(store).overdue(INSTANTS[1]))
        assert expected == actual


class TestDelete:
    """Tests for a store's delete, with a read model."""

    def test_delete_removes_the_rows(self, make_store: Callable[[], Store]) -> None:
        """Deleting a programme removes its rows (another store object reads none)."""
        store = make_store()
        ReadModel(store).enable()
        populated(store, "a")
        populated(store, "b")
        make_store().delete("a")
        assert_in_step(store)
        assert ["b"] == kept(store)

    def test_rows_and_programme_go_together(
        self, make_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A delete whose rows can't be removed keeps the programme, and the rows."""
        store = make_store()
        ReadModel(store).enable()
        populated(store, "a")

        def broken(*args: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(tables, "forget", broken)
        with pytest.raises(OSError, match="disk full"):
            store.delete("a")
        monkeypatch.undo()
        assert ["a"] == store.keys() == kept(store)
        assert_in_step(store)

    def test_an_archived_programme_keeps_its_rows(self, make_store: Callable[[], Store]) -> None:
        """A refused delete (archived) removes no row."""
        store = make_store()
        ReadModel(store).enable()
        populated(store, "a")
        store.archive("a")
        with pytest.raises(ArchivedProgrammeError):
            store.delete("a")
        assert ["a"] == kept(store)

    def test_without_a_read_model(self, make_store: Callable[[], Store]) -> None:
        """A store without the read model's tables deletes as before."""
        store = make_store()
        populated(store, "a")
        store.delete("a")
        assert [] == store.keys()
        assert not make_store().readmodel_enabled()


class TestValidation:
    """Tests for ReadModel's arguments."""

    @pytest.mark.parametrize("store", [MemoryStore(), "x"])
    def test_other_stores(self, store: object) -> None:
        """A store that can't keep a read model is refused, naming the field."""
        with pytest.raises(ValidationError, match="store"):
            ReadModel(store)  # type: ignore[arg-type]

    def test_naive_at(self, tmp_path: Path) -> None:
        """A naive instant is refused."""
        with pytest.raises(ValidationError, match="at"):
            ReadModel(SQLiteStore(tmp_path / "s.db")).overdue(pendulum.naive(2021, 1, 1))


def test_jsonl_has_none(tmp_path: Path) -> None:
    """A JSON Lines store keeps no read model."""
    assert not JsonLinesStore(tmp_path).readmodel_enabled()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_archived_programme_refuses_a_read_model_append(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The read model's append is an append: an archived programme refuses it, as append does
    (it once repeated append's writes, without the archive check or its error)."""
    from mentorflow import ArchivedProgrammeError, SQLiteStore

    store = (
        SQLiteStore(tmp_path / "p.db")
        if kind == "sqlite"
        else request.getfixturevalue("postgres_stores")()
    )
    store.create("p", {"schema": 2, "name": "test"}, [])
    store.archive("p")
    with pytest.raises(ArchivedProgrammeError):
        store.readmodel_append("p", [{"seq": 1, "type": "Test"}], expected_version=0)
    assert 0 == store.version("p")


def reporting_rows(store: Store, key: str) -> dict[str, tuple[object, ...]]:
    """The read model's report and deliverable rows of programme ``key``: name -> (pair,
    due_on, state, met_at, revision)."""
    query = (
        f"SELECT deadline, pair, due_on, state, met_at, revision FROM "
        f"{prefix(store)}readmodel_deadlines WHERE programme = '{key}'"
    )
    rows = store.readmodel_query(query)  # type: ignore[attr-defined]
    return {str(r[0]): tuple(r[1:]) for r in rows if r[0].startswith(("report:", "deliverable:"))}


def expected_reporting(programme: Programme) -> dict[str, tuple[str, str]]:
    """What the programme says of its reports and deliverables: name -> (due_on, state)."""
    found = {
        f"report:{p.number}": (str(p.report_due_on), "open" if p.submitted_at is None else "met")
        for p in programme.reporting_periods
    }
    for name, record in programme.tracked_deliverables.items():
        met = record.status.value in ("submitted", "accepted")
        found[f"deliverable:{name}"] = (str(record.due_on), "met" if met else "open")
    return found


def assert_reporting_in_step(store: Store, programme: Programme) -> None:
    rows = reporting_rows(store, "r")
    assert expected_reporting(programme) == {k: (str(v[1]), str(v[2])) for k, v in rows.items()}
    assert {""} == {v[0] for v in rows.values()}  # programme rows, as milestones


class TestReporting:
    """Report and deliverable deadlines are programme rows of the read model (issue 17)."""

    def test_reports_and_deliverables_in_step(self, make_store: Callable[[], Store]) -> None:
        """Overdue while unsubmitted, met once submitted, open again when returned; an
        extension moves the unsubmitted reports only; a rebuild gives the same rows."""
        store = make_store()
        ReadModel(store).enable()
        clock = ManualClock(START)
        made = programme(clock, name="r")
        made.persist(store, "r")
        made.plan_reporting(period_months=12, report_days=30)
        made.declare_deliverable("D1 plan", due_on=pendulum.date(2020, 12, 1))
        made.declare_deliverable("D2 toolkit", due_on=pendulum.date(2022, 3, 1))
        assert_reporting_in_step(store, made)
        first = made.reporting_periods[0].report_due_on
        after = pendulum.datetime(first.year, first.month, first.day, tz="UTC").add(days=2)
        late = {
            (d.pair, d.deadline, d.phase, d.status, d.revision)
            for d in ReadModel(store).overdue(after)
        }
        assert {
            (None, "report:1", None, None, 0),
            (None, "deliverable:D1 plan", None, None, 0),
        } <= late
        assert not any(
            d.deadline.startswith(("report:2", "deliverable:D2"))
            for d in ReadModel(store).overdue(after)
        )

        clock.set(after)
        made.submit_report(1, justification="the pandemic")
        made.submit_deliverable("D1 plan", justification="the pandemic")
        assert_reporting_in_step(store, made)
        names = {d.deadline for d in ReadModel(store).overdue(after)}
        assert not names & {"report:1", "deliverable:D1 plan"}
        rows = reporting_rows(store, "r")
        assert after.timestamp() == pytest.approx(rows["report:1"][3])

        made.review_deliverable("D1 plan", accepted=False, by="JS", reason="incomplete")
        assert "deliverable:D1 plan" in {d.deadline for d in ReadModel(store).overdue(after)}
        made.move_deliverable_due("D1 plan", due_on=after.date().add(days=30))
        assert 1 == reporting_rows(store, "r")["deliverable:D1 plan"][4]

        before = {k: v[1] for k, v in reporting_rows(store, "r").items()}
        ext = made.request_extension(months=3, reason="covid")
        made.grant_extension(ext.key, by="JS")
        assert_reporting_in_step(store, made)
        now = reporting_rows(store, "r")
        assert before["report:1"] == now["report:1"][1]  # submitted: never moves
        assert 0 == now["report:1"][4]
        last = f"report:{len(made.reporting_periods)}"
        assert before.get(last) != now[last][1]
        assert 1 == now[last][4]
        kept = reporting_rows(store, "r")
        assert 1 == ReadModel(store).rebuild()
        assert kept == reporting_rows(store, "r")

    def test_revision_of_a_report_submitted_after_a_move(
        self, make_store: Callable[[], Store]
    ) -> None:
        """A report submitted after an extension moved it keeps that revision once met."""
        store = make_store()
        ReadModel(store).enable()
        clock = ManualClock(START)
        made = Programme(
            "r",
            starts_on=START.date(),
            ends_on=pendulum.date(2021, 3, 31),
            timezone=TZ,
            clock=clock,
        )
        made.persist(store, "r")
        made.plan_reporting(period_months=6, report_days=30)
        ext = made.request_extension(months=1, reason="covid")
        made.grant_extension(ext.key, by="JS")
        last = made.reporting_periods[-1]
        assert 1 == reporting_rows(store, "r")[f"report:{last.number}"][4]
        clock.set(
            pendulum.datetime(last.ends_on.year, last.ends_on.month, last.ends_on.day, tz=TZ).add(
                days=1
            )
        )
        made.submit_report(last.number)
        row = reporting_rows(store, "r")[f"report:{last.number}"]
        assert ("met", 1) == (row[2], row[4])
        assert_reporting_in_step(store, made)
        kept = reporting_rows(store, "r")
        ReadModel(store).rebuild()
        assert kept == reporting_rows(store, "r")
