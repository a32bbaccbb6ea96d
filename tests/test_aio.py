"""The asyncio API (`mentorflow.aio`): awaitable commands, restore, refresh and checks whose
store I/O doesn't block the loop; coroutine hooks awaited in order; the sync API refuses them."""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, NoReturn, TypeVar

import pendulum
import pytest

from mentorflow import (
    AfterHookError,
    ConcurrencyError,
    DeadlineStatus,
    Enrol,
    Event,
    ManualClock,
    MemoryStore,
    PairEnrolled,
    PhaseStarted,
    PostgresStore,
    Programme,
    ReadModel,
    SnapshotPolicy,
    Store,
    Theme,
    UnknownProgrammeError,
    ValidationError,
)
from mentorflow._storage.base import Document
from mentorflow.aio import AsyncProgramme, close
from service_programmes import START
from service_programmes import programme as new_programme

from helpers import CAPACI, MECHELEN

T = TypeVar("T")

# a hang here (a task that outlives asyncio.run's cancellation) fails the test, not CI's limit
pytestmark = pytest.mark.timeout(120)


class TestSyncSubscribe:
    """The sync API and coroutine functions."""

    def test_coroutine_hook_never_ran(self) -> None:
        """The bug: an ``async def`` hook was accepted, and never ran (its coroutine was
        never awaited). Now subscribing it is refused, saying where to go."""
        programme = new_programme(ManualClock(START))
        ran: list[Event] = []

        async def hook(event: Event) -> None:
            ran.append(event)

        with pytest.raises(ValidationError) as raised:
            programme.subscribe(Event, hook)
        assert "handler" == raised.value.field
        assert "mentorflow.aio" in raised.value.problem
        assert [] == ran

    @pytest.mark.parametrize("wrap", [functools.partial, lambda f: AsyncCallable(f)])
    def test_wrapped_coroutine_functions_too(self, wrap: Callable[..., object]) -> None:
        """A partial of a coroutine function, or an object with an async __call__, too."""

        async def hook(event: Event) -> None:
            pass

        with pytest.raises(ValidationError, match=r"mentorflow\.aio"):
            new_programme().on_enter("matching", wrap(hook))  # type: ignore[arg-type]


class AsyncCallable:
    def __init__(self, function: Callable[..., object]) -> None:
        self.function = function

    async def __call__(self, event: Event) -> None:
        pass


LATER = pendulum.datetime(2021, 3, 1, 9, tz="Europe/Brussels")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def enrol(key: str) -> Enrol:
    return Enrol(pair=key, mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)


async def cancelled(awaitable: Coroutine[Any, Any, object], after: float) -> None:
    """Await ``awaitable`` in a task of its own, cancel it ``after`` seconds, and check that
    the cancellation is what it raises."""
    task = asyncio.create_task(awaitable)
    await asyncio.sleep(after)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def threads_of_a_command(store: Store) -> tuple[int, set[int]]:
    """Persist a programme in ``store`` through `mentorflow.aio` and enrol a pair: the
    loop's thread, and those the enrolment's before hook ran on."""
    threads: set[int] = set()

    async def main() -> int:
        programme = AsyncProgramme(new_programme(ManualClock(START)))
        await programme.persist(store, "p")
        programme.programme.subscribe(
            PairEnrolled, lambda e: threads.add(threading.get_ident()), before=True
        )
        await programme.execute(enrol("a"))
        return threading.get_ident()

    return run(main()), threads


class SlowStore(MemoryStore):
    """A memory store whose appends take 0.2 s, as a blocking call would."""

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        time.sleep(0.2)
        return super().append(key, events, expected_version=expected_version)


class TestAsyncProgramme:
    """Tests for AsyncProgramme on every store."""

    def test_commands_restore_refresh_checks(self, make_store: Callable[[], Store]) -> None:
        """Commands are journaled, a restore reads them, a refresh catches up, a check alerts."""

        async def main() -> None:
            store = make_store()
            first = AsyncProgramme(new_programme(ManualClock(START)))
            await first.persist(store, "p")
            events = await first.execute(enrol("a"), enrol("b"))
            assert [PairEnrolled, PhaseStarted] * 2 == [type(e) for e in events]
            second = await AsyncProgramme.restore(make_store(), "p", clock=ManualClock(LATER))
            assert (4, ["a", "b"]) == (second.version, list(second.pairs))
            alerts = await second.check_deadlines()
            assert "needs_assessment" in {e.deadline for e in alerts}  # type: ignore[attr-defined]
            assert alerts == await first.refresh()
            assert store.version("p") == first.version == second.version

        run(main())

    def test_conflict_changes_nothing(self, make_store: Callable[[], Store]) -> None:
        """A command that loses to another writer raises and leaves the programme as it was."""

        async def main() -> None:
            store = make_store()
            first = AsyncProgramme(new_programme(ManualClock(START)))
            await first.persist(store, "p")
            second = await AsyncProgramme.restore(make_store(), "p", clock=ManualClock(START))
            await first.execute(enrol("a"))
            with pytest.raises(ConcurrencyError):
                await second.execute(enrol("b"))
            assert (0, []) == (second.version, list(second.pairs))
            await second.refresh()
            await second.execute(enrol("b"))
            assert 4 == store.version("p")

        run(main())

    def test_postgres_appends_are_awaited(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Over PostgreSQL the append is psycopg's asyncio one, not the store's blocking one."""

        def blocking(*args: object, **kwargs: object) -> NoReturn:
            raise AssertionError("the blocking append was called")

        async def main() -> None:
            store = postgres_stores()
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p")
            monkeypatch.setattr(PostgresStore, "append", blocking)
            await programme.execute(enrol("a"))
            assert 2 == store.version("p")
            await close(store)  # the asyncio pool; the store itself stays open
            await close(store)  # twice: nothing left to close
            monkeypatch.undo()
            assert 2 == store.version("p")

        run(main())


def no_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any use of a thread by asyncio (``to_thread``, an executor) or of a
    `PostgresStore`'s blocking connections fail the test."""

    def refused(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError("a thread or a blocking connection was used")

    monkeypatch.setattr(asyncio, "to_thread", refused)
    monkeypatch.setattr(asyncio.BaseEventLoop, "run_in_executor", refused)
    monkeypatch.setattr(PostgresStore, "_db", refused)


class TestPostgresReads:
    """Restore and refresh over PostgreSQL: psycopg's asyncio API, no thread."""

    def test_restore_and_refresh_use_no_thread(
        self,
        postgres_stores: Callable[..., PostgresStore],
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A restore (from a snapshot and the events after it) and a refresh read through
        the asyncio pool and replay on the loop: with threads and blocking reads refused,
        they reach the state the sync API reaches."""
        store = postgres_stores()
        writer = new_programme(ManualClock(START))
        writer.persist(store, "p", snapshots=SnapshotPolicy(every=4))
        for key in "abc":
            writer.execute(enrol(key))
        assert [4] == store.snapshots("p")

        async def main() -> tuple[AsyncProgramme, tuple[Event, ...]]:
            no_threads(monkeypatch)
            restored = await AsyncProgramme.restore(store, "p", clock=ManualClock(LATER))
            assert 6 == restored.version
            monkeypatch.undo()
            writer.execute(enrol("d"))
            no_threads(monkeypatch)
            new = await restored.refresh()
            assert () == await restored.refresh()  # nothing more
            monkeypatch.undo()
            await restored.execute(enrol("e"))  # journaled to the store, as restored
            await close(store)
            return restored, new

        with caplog.at_level(logging.INFO, logger="mentorflow"):
            restored, new = run(main())
        assert "restored from the snapshot of version 4 and 2 events" in caplog.text
        assert writer.history[6:] == new
        assert writer.history[:] == restored.programme.history[:8]
        again = Programme.restore(store, "p")
        assert again.history[:] == restored.programme.history[:]
        assert ["a", "b", "c", "d", "e"] == list(again.pairs)

    def test_a_restore_with_the_read_model(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The read model's layout is asked through the asyncio pool too; the restored
        programme keeps the rows in step."""
        ReadModel(postgres_stores()).enable()
        store = postgres_stores()  # a new store object: it has not asked yet
        first = new_programme(ManualClock(START))
        first.persist(postgres_stores(), "p")

        async def main() -> AsyncProgramme:
            no_threads(monkeypatch)
            restored = await AsyncProgramme.restore(store, "p", clock=ManualClock(START))
            monkeypatch.undo()
            await restored.execute(enrol("a"))
            await close(store)
            return restored

        run(main())
        again = Programme.restore(store, "p")
        expected = {
            ("p", "a", d.name)
            for d in again.deadlines(pair="a")
            if d.status(LATER) is DeadlineStatus.OVERDUE
        }
        assert ("p", "a", "needs_assessment") in expected
        assert expected == {
            (d.programme, d.pair, d.deadline) for d in ReadModel(store).overdue(LATER)
        }

    def test_errors_as_the_sync_restore(
        self, postgres_stores: Callable[..., PostgresStore]
    ) -> None:
        """No such programme, a refresh past the log: the sync API's errors."""
        store = postgres_stores()

        async def main() -> None:
            with pytest.raises(UnknownProgrammeError):
                await AsyncProgramme.restore(store, "nothing")
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p")
            await programme.execute(enrol("a"))
            store.delete("p")
            with pytest.raises(UnknownProgrammeError):
                await programme.refresh()
            await close(store)

        run(main())

    def test_a_snapshot_of_a_programme_restored_here(
        self, postgres_stores: Callable[..., PostgresStore]
    ) -> None:
        """The bug: a programme restored through `mentorflow.aio` over PostgreSQL could not
        save a snapshot (its store said it keeps none), nor restore from one."""
        store = postgres_stores()
        new_programme(ManualClock(START)).persist(store, "p")

        async def main() -> None:
            restored = await AsyncProgramme.restore(store, "p", clock=ManualClock(START))
            await restored.execute(enrol("a"))
            assert 2 == restored.programme.snapshot()
            await close(store)

        run(main())
        assert [2] == store.snapshots("p")


class TestPostgresCommandsOnTheLoop:
    """Commands over PostgreSQL run on the loop (a greenlet), their appends awaited there."""

    def test_commands_use_no_thread(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A command, its hooks and a deadline check run on the loop's thread; no executor,
        no blocking connection; the store holds what the programme holds."""
        threads: set[int] = set()

        async def main() -> AsyncProgramme:
            store = postgres_stores()
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p")
            no_threads(monkeypatch)
            programme.programme.subscribe(
                PairEnrolled, lambda e: threads.add(threading.get_ident()), before=True
            )
            programme.programme.subscribe(
                PhaseStarted, lambda e: threads.add(threading.get_ident())
            )
            await programme.execute(enrol("a"))
            await programme.execute(enrol("b"), enrol("c"))
            programme.programme.clock.advance(weeks=9)  # type: ignore[attr-defined]
            assert await programme.check_deadlines()
            assert {threading.get_ident()} == threads
            return programme

        programme = run(main())
        monkeypatch.undo()
        again = Programme.restore(postgres_stores(), "p")
        assert programme.programme.history[:] == again.history[:]

    def test_a_snapshot_by_policy_is_awaited(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The snapshot a policy asks for is saved through the asyncio store, in no thread."""

        async def main() -> None:
            store = postgres_stores()
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p", snapshots=SnapshotPolicy(every=4))
            no_threads(monkeypatch)
            for n in range(3):
                await programme.execute(enrol(f"p{n}"))

        run(main())
        monkeypatch.undo()
        assert [4] == postgres_stores().snapshots("p")

    def test_a_command_cancelled_before_its_append_is_stored(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Cancelled while its append has not reached the store: the command raises the
        cancellation with nothing changed, here or in the store; the next one goes on."""
        from mentorflow._storage.postgres import AsyncPostgresStore

        append = AsyncPostgresStore.append

        async def slow(self: AsyncPostgresStore, *args: Any, **kwargs: Any) -> int:
            await asyncio.sleep(0.5)
            return await append(self, *args, **kwargs)

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(postgres_stores(), "p")
            monkeypatch.setattr(AsyncPostgresStore, "append", slow)
            await cancelled(programme.execute(enrol("a")), after=0.05)
            assert (0, []) == (programme.version, list(programme.pairs))
            monkeypatch.setattr(AsyncPostgresStore, "append", append)
            await programme.execute(enrol("b"))
            return programme

        programme = run(main())
        assert (2, ["b"]) == (programme.version, list(programme.pairs))
        assert 2 == postgres_stores().version("p")

    def test_a_statement_cancelled_on_the_server(
        self, postgres_stores: Callable[..., PostgresStore], postgres_server: Any
    ) -> None:
        """A real cancellation: the append waits on a row lock another transaction holds;
        cancelled, psycopg cancels the statement on the server, the command raises the
        cancellation, and nothing is stored or changed; once the lock goes, the next
        command goes on."""
        import psycopg

        store = postgres_stores()

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p")
            with psycopg.connect(postgres_server.dsn) as holder:
                holder.execute(
                    f"SELECT 1 FROM {store.schema}.programmes WHERE key = 'p' FOR UPDATE".encode()
                )
                # the append waits for the lock meanwhile
                await cancelled(programme.execute(enrol("a")), after=0.3)
                holder.rollback()
            assert (0, []) == (programme.version, list(programme.pairs))
            await programme.execute(enrol("b"))
            return programme

        programme = run(main())
        assert (2, ["b"]) == (programme.version, list(programme.pairs))
        assert 2 == store.version("p")

    def test_a_cancelled_command_and_another_writer(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The bug: cancelled while another writer appended as many events in its place,
        the command took the store's new version for its own append and made its change,
        though the store held the other writer's events. It compares what was stored now:
        the command raises the cancellation with nothing changed."""
        from mentorflow._storage.postgres import AsyncPostgresStore

        store = postgres_stores()
        rivals: list[Programme] = []

        async def beaten(self: AsyncPostgresStore, *args: Any, **kwargs: Any) -> int:
            rivals[0].execute(enrol("z"))  # another writer's 2 events, in its place
            await asyncio.sleep(0.5)
            raise AssertionError("not cancelled")

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(store, "p")
            rivals.append(Programme.restore(postgres_stores(), "p", clock=ManualClock(START)))
            monkeypatch.setattr(AsyncPostgresStore, "append", beaten)
            await cancelled(programme.execute(enrol("a")), after=0.2)
            return programme

        programme = run(main())
        assert (0, []) == (programme.version, list(programme.pairs))
        assert ["z"] == list(Programme.restore(postgres_stores(), "p").pairs)

    def test_a_command_cancelled_once_its_append_is_stored(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Cancelled once its append is stored (its answer not yet read): the change is made,
        as the store holds it, then the cancellation is raised; the next command follows."""
        from mentorflow._storage.postgres import AsyncPostgresStore

        append = AsyncPostgresStore.append

        async def stored_then_slow(self: AsyncPostgresStore, *args: Any, **kwargs: Any) -> int:
            new = await append(self, *args, **kwargs)
            await asyncio.sleep(0.5)
            return new

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(postgres_stores(), "p")
            monkeypatch.setattr(AsyncPostgresStore, "append", stored_then_slow)
            await cancelled(programme.execute(enrol("a")), after=0.2)
            assert (2, ["a"]) == (programme.version, list(programme.pairs))
            monkeypatch.setattr(AsyncPostgresStore, "append", append)
            await programme.execute(enrol("b"))
            return programme

        programme = run(main())
        assert (4, ["a", "b"]) == (programme.version, list(programme.pairs))
        assert 4 == postgres_stores().version("p")

    def test_programmes_wait_at_once(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Commands of several programmes wait for their appends at the same time (each in
        its own greenlet), and each ends as its own store says; a conflict is refused."""
        from mentorflow._storage.postgres import AsyncPostgresStore

        append = AsyncPostgresStore.append

        async def slow(self: AsyncPostgresStore, *args: Any, **kwargs: Any) -> int:
            await asyncio.sleep(0.2)
            return await append(self, *args, **kwargs)

        async def main() -> list[AsyncProgramme]:
            store = postgres_stores()
            made = [AsyncProgramme(new_programme(ManualClock(START))) for _ in range(4)]
            for n, programme in enumerate(made):
                await programme.persist(store, f"p{n}")
            rival = await AsyncProgramme.restore(store, "p0", clock=ManualClock(START))
            monkeypatch.setattr(AsyncPostgresStore, "append", slow)
            began = time.perf_counter()
            results = await asyncio.gather(
                *(programme.execute(enrol("a")) for programme in made),
                rival.execute(enrol("z")),
                return_exceptions=True,
            )
            assert time.perf_counter() - began < 0.6  # not 5 x 0.2 s, one after the other
            assert isinstance(results[-1], ConcurrencyError)  # p0 got "a" first
            assert (0, []) == (rival.version, list(rival.pairs))
            return made

        made = run(main())
        store = postgres_stores()
        for n, programme in enumerate(made):
            assert (2, ["a"]) == (programme.version, list(programme.pairs))
            assert 2 == store.version(f"p{n}")

    def test_a_sync_hook_may_issue_commands(
        self, postgres_stores: Callable[..., PostgresStore]
    ) -> None:
        """A sync after hook on the programme that issues a command: its append is awaited
        on the loop too, within the command that called the hook."""

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(postgres_stores(), "p")

            def and_b(event: PairEnrolled) -> None:
                if event.pair == "a":
                    programme.programme.execute(enrol("b"))

            programme.programme.subscribe(PairEnrolled, and_b)
            await programme.execute(enrol("a"))
            return programme

        programme = run(main())
        assert (4, ["a", "b"]) == (programme.version, list(programme.pairs))
        assert 4 == postgres_stores().version("p")

    def test_the_sync_api_on_the_loop(self, postgres_stores: Callable[..., PostgresStore]) -> None:
        """The bug: the sync API, called on the loop for a programme persisted through
        `mentorflow.aio`, waited for the loop it blocked (a deadlock). It writes through the
        blocking store now."""

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(postgres_stores(), "p")
            programme.programme.execute(enrol("a"))
            await programme.execute(enrol("b"))
            return programme

        programme = run(main())
        assert 4 == programme.version == postgres_stores().version("p")

    def test_without_greenlet_in_a_thread(
        self, postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without the greenlet package (installed with mentorflow[postgres]), a command
        runs in a thread and awaits its append on the loop, as before."""
        from mentorflow._service import aio

        monkeypatch.setattr(aio, "onloop", None)
        loop_thread, threads = threads_of_a_command(postgres_stores())
        assert threads
        assert loop_thread not in threads
        assert 2 == postgres_stores().version("p")

    def test_with_a_read_model_in_a_thread(
        self, postgres_stores: Callable[..., PostgresStore]
    ) -> None:
        """A store that keeps a read model: its append and rows are one blocking
        transaction, so the command runs in a thread (and the rows are written)."""
        ReadModel(postgres_stores()).enable()
        loop_thread, threads = threads_of_a_command(postgres_stores())
        assert threads
        assert loop_thread not in threads
        store = postgres_stores()
        assert [("a",)] == store.readmodel_query(f"SELECT pair FROM {store.schema}.readmodel_pairs")


class TestLoop:
    """The loop goes on while a command writes."""

    def test_loop_runs_during_a_write(self) -> None:
        """A ticker ticks while a command's 0.2 s append runs."""

        async def main() -> int:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(SlowStore(), "p")
            ticks = 0
            done = asyncio.Event()

            async def ticker() -> None:
                nonlocal ticks
                while not done.is_set():
                    ticks += 1
                    await asyncio.sleep(0.01)

            task = asyncio.create_task(ticker())
            await programme.execute(enrol("a"))
            done.set()
            await task
            return ticks

        assert run(main()) >= 5

    def test_commands_of_tasks_take_turns(self) -> None:
        """Commands awaited by concurrent tasks run one at a time, all of them."""

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            await programme.persist(MemoryStore(), "p")
            await asyncio.gather(*(programme.execute(enrol(f"p{n}")) for n in range(20)))
            return programme

        programme = run(main())
        assert 40 == programme.version
        assert [e.seq for e in programme.programme.history] == list(range(1, 41))


class TestHooks:
    """Tests for AsyncProgramme.subscribe."""

    def test_awaited_in_order(self) -> None:
        """Coroutine and plain hooks run in registration order, for each event in turn."""
        calls: list[tuple[str, int]] = []

        async def slow(event: Event) -> None:
            await asyncio.sleep(0.01)
            calls.append(("slow", event.seq))

        def plain(event: Event) -> None:
            calls.append(("plain", event.seq))

        async def main() -> None:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            programme.subscribe(Event, slow)
            programme.subscribe(PairEnrolled, plain)
            programme.on_enter("needs_assessment", slow)
            await programme.execute(enrol("a"))

        run(main())
        assert [("slow", 1), ("plain", 1), ("slow", 2), ("slow", 2)] == calls

    def test_hook_may_issue_commands(self) -> None:
        """A hook's own command joins the command under way (no deadlock)."""

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))

            async def second(event: PairEnrolled) -> None:
                if event.pair == "a":
                    await programme.execute(enrol("b"))

            programme.subscribe(PairEnrolled, second)
            await asyncio.wait_for(programme.execute(enrol("a")), timeout=5)
            return programme

        assert ["a", "b"] == list(run(main()).pairs)

    def test_errors_come_after_the_change(self) -> None:
        """A hook that raises: the others still run, the change stands, AfterHookError."""
        calls: list[int] = []

        async def failing(event: Event) -> None:
            raise RuntimeError("mail server down")

        async def main() -> AsyncProgramme:
            programme = AsyncProgramme(new_programme(ManualClock(START)))
            programme.subscribe(PairEnrolled, failing)
            programme.subscribe(Event, lambda event: calls.append(event.seq))
            with pytest.raises(AfterHookError) as raised:
                await programme.execute(enrol("a"))
            assert 2 == len(raised.value.events)
            return programme

        assert 2 == run(main()).version
        assert [1, 2] == calls

    def test_bad_arguments(self) -> None:
        """Bad arguments are ValidationErrors naming them."""
        programme = AsyncProgramme(new_programme())
        with pytest.raises(ValidationError, match="event_type"):
            programme.subscribe(int, print)  # type: ignore[type-var]
        with pytest.raises(ValidationError, match="handler"):
            programme.subscribe(Event, 3)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="programme"):
            AsyncProgramme("p")  # type: ignore[arg-type]


def test_a_retried_command_is_not_told_again() -> None:
    """A command whose idempotency key was committed returns its first events; the hooks,
    told of them then, are not told again."""
    told: list[int] = []

    async def hook(event: Event) -> None:
        told.append(event.seq)

    async def main() -> tuple[tuple[Event, ...], tuple[Event, ...]]:
        programme = AsyncProgramme(new_programme(ManualClock(START)))
        programme.subscribe(Event, hook)
        command = Enrol(
            pair="a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, idempotency_key="k"
        )
        return await programme.execute(command), await programme.execute(command)

    first, again = run(main())
    assert first == again
    assert [1, 2] == told


def test_a_cancelled_command_finishes_before_the_next() -> None:
    """Cancelling the await of a command doesn't let another command of the programme start
    while the first still runs in its thread: the next one waits, then sees it."""

    async def main() -> AsyncProgramme:
        programme = AsyncProgramme(new_programme(ManualClock(START)))
        await programme.persist(SlowStore(), "p")
        first = asyncio.create_task(programme.execute(enrol("a")))
        await asyncio.sleep(0.05)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await programme.execute(enrol("b"))
        return programme

    programme = run(main())
    assert (4, ["a", "b"]) == (programme.version, list(programme.pairs))


def test_the_loop_ends_with_pools_connecting(
    postgres_stores: Callable[..., PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug: on a loaded machine `asyncio.run` never returned when its coroutine ended
    while an asyncio pool (never closed by the caller) was still making a connection in the
    background: psycopg_pool's worker swallowed the loop's last cancellation and waited for
    work for ever. Here the second connection of each of two pools takes an hour; the
    loop's end closes both pools (closing the first raises the CancelledError of its
    workers: the second is closed all the same)."""
    import psycopg

    connect = psycopg.AsyncConnection.connect.__func__  # type: ignore[attr-defined]
    calls = 0

    async def slow(cls: type[psycopg.AsyncConnection[Any]], *args: Any, **kw: Any) -> object:
        nonlocal calls
        calls += 1
        if calls % 2 == 0:  # each pool's second connection, made in the background
            await asyncio.sleep(3600)
        return await connect(cls, *args, **kw)

    async def main() -> None:
        first = AsyncProgramme(new_programme(ManualClock(START)))
        await first.persist(postgres_stores(min_size=2), "p")
        await first.execute(enrol("a"))
        second = await AsyncProgramme.restore(postgres_stores(min_size=2), "p")
        await second.execute(enrol("b"))
        while calls < 4:
            await asyncio.sleep(0.01)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", classmethod(slow))
    ended = threading.Event()

    def target() -> None:
        run(main())
        ended.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert ended.is_set(), "asyncio.run did not return"
