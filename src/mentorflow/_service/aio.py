"""`AsyncProgramme`: a programme driven from asyncio (exposed as `mentorflow.aio`).

A command still goes through the one transaction path (`Programme.execute`): the same
decision, the same journal before the change, the same rollback when the write fails. What
changes is *where* it runs:

* over a `PostgresStore`, on the loop itself: the sync path runs in a greenlet
  (`onloop`), and the journal's append (and a snapshot the policy asks for) is awaited
  through an `AsyncPostgresStore` (psycopg's asyncio API) while the loop goes on. Deciding
  and applying are CPU work, done on the loop with no thread hand-off; a command costs
  about what the sync one does (benchmark target 13). A store that keeps a read model is
  the exception: its append and its rows are one transaction of the blocking store's, so
  those commands run in a thread, as below;
* over the other stores, in a thread of the loop's default executor, so that the loop goes
  on while the store writes (an fsync of SQLite or JSON Lines takes milliseconds).

Commands on one `AsyncProgramme` run one at a time, in the order they were awaited (an
`asyncio.Lock`; a hook's own commands join the command that called it).

A restore or a refresh over a `PostgresStore` uses no thread: what it reads (the log, the
snapshots kept) is awaited through the `AsyncPostgresStore` first, then the same sync code
(`Programme.restore`, `Programme.refresh`) runs on the loop and is served those reads (a
context variable holds them for the call), so its only work there is the replay's CPU time.
Over the other stores, a restore or a refresh runs in a thread, as a command does.

Hooks subscribed here run on the loop after the command's change is made, in registration
order, for each event in turn: coroutine functions are awaited, plain functions called.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import functools
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from .._core.hooks import Hooks, Subscription
from .._core.programme import Pair, Programme, settles_after_applying
from .._core.snapshot import SnapshotPolicy
from .._domain import commands as c
from .._domain.clock import Clock
from .._domain.definition import Definition
from .._domain.events import Event, PhaseCompleted, PhaseStarted
from .._domain.validate import show
from .._storage.base import Document, StoredLog
from .._storage.postgres import AsyncPostgresStore, PostgresStore, Restoring
from .._storage.readmodel import DeadlineRow, OpenAppend, PairRow
from .._storage.stores import Store
from ..exceptions import AfterHookError, ValidationError
from . import tracing

try:
    from . import onloop
except ImportError:  # pragma: no cover - greenlet comes with mentorflow[postgres]
    onloop = None  # type: ignore[assignment]  # then commands run in a thread

E = TypeVar("E", bound=Event)
T = TypeVar("T")

AsyncHandler = Callable[[Any], Awaitable[object] | object]


class AsyncProgramme:
    """A `Programme` whose commands, restore, refresh and deadline checks are awaited.

    Make one of a programme (`AsyncProgramme(programme)`, then `persist` it), or restore one
    from a store (`restore`). Read it through `programme` (pairs, deadlines, history) between
    your awaits: it changes only while one of its commands runs. A command whose await is
    cancelled ends as its store says: in a thread, it finishes (its change stands or not,
    as the store says) and the cancellation goes on after; over PostgreSQL on the loop, its
    append is cancelled on the server if it can still be (the command then raises
    `CancelledError` with nothing changed), and if it was stored all the same the change is
    made, then the cancellation goes on. The programme's next command waits for it.

    Over a `PostgresStore`, a command runs on the loop and awaits its append (psycopg's
    asyncio API), in no thread; so do the before hooks and the sync after hooks subscribed
    on `programme` (keep them quick, as any code on the loop). Over the other stores, and
    over a PostgreSQL store that keeps a read model, it runs in a thread.

    Over a `PostgresStore`, `restore` and `refresh` await their reads through psycopg's
    asyncio API and replay on the loop, in no thread (for `refresh`: a programme persisted
    or restored here; one persisted by the sync API refreshes in a thread).

    Args:
        programme: The programme to drive (persisted or not yet).

    Examples:
        >>> import asyncio, pendulum
        >>> from mentorflow import (Association, City, Enrol, ManualClock, MemoryStore,
        ...     Partner, Programme, Theme)
        >>> from mentorflow.aio import AsyncProgramme
        >>> be = Partner(city=City(name="Mechelen", country="BE"),
        ...              association=Association(name="VVSG", country="BE"))
        >>> it = Partner(city=City(name="Capaci", country="IT"),
        ...              association=Association(name="AICCRE", country="IT"))
        >>> async def main() -> None:
        ...     start = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
        ...     programme = AsyncProgramme(Programme("P", starts_on=start.date(),
        ...         ends_on=pendulum.date(2022, 12, 31), clock=ManualClock(start)))
        ...     store = MemoryStore()
        ...     await programme.persist(store, "p")
        ...     async def welcome(event):
        ...         print("welcome", event.pair)
        ...     programme.subscribe(PairEnrolled, welcome)
        ...     await programme.execute(Enrol(pair="a", mentor=be, mentee=it,
        ...                                   theme=Theme.HOUSING))
        ...     again = await AsyncProgramme.restore(store, "p")
        ...     print(again.version, list(again.programme.pairs))
        >>> from mentorflow import PairEnrolled
        >>> asyncio.run(main())
        welcome a
        2 ['a']
    """

    __slots__ = ("_hooks", "_key", "_lock", "_owner", "_shared", "programme")

    def __init__(self, programme: Programme) -> None:
        if not isinstance(programme, Programme):
            raise ValidationError(
                "programme", f"must be a Programme, not {type(programme).__name__}"
            )
        self.programme = programme
        """The programme itself: read it here (its pairs, deadlines, history)."""
        self._hooks = Hooks()
        self._lock: asyncio.Lock | None = None
        self._owner: asyncio.Task[Any] | None = None
        self._shared: _LoopStore | None = None  # its PostgresStore, reads awaited there
        self._key: str | None = None

    # -- persistence -----------------------------------------------------------------------

    @classmethod
    async def restore(
        cls,
        store: Store,
        key: str,
        *,
        clock: Clock | None = None,
        expected_version: int | None = None,
        definition: Definition | None = None,
        snapshots: SnapshotPolicy | None = None,
    ) -> AsyncProgramme:
        """`Programme.restore`, awaited: over a `PostgresStore`, the reads through psycopg's
        asyncio API and the replay on the loop; over another store, in a thread."""
        shared = None
        with tracing.span("restore", programme=key) as span:
            if isinstance(store, PostgresStore):
                shared = _for_loop(store)
                reads = await shared.aio.restoring(key)
                with _serving(_Ready(key, 0, reads.log, reads)):
                    programme = Programme.restore(
                        shared,
                        key,
                        clock=clock,
                        expected_version=expected_version,
                        definition=definition,
                        snapshots=snapshots,
                    )
            else:
                programme = await asyncio.to_thread(
                    Programme.restore,
                    store,
                    key,
                    clock=clock,
                    expected_version=expected_version,
                    definition=definition,
                    snapshots=snapshots,
                )
            span.set("version", programme.version)
        made = cls(programme)
        if shared is not None:
            made._shared, made._key = shared, key
        return made

    async def persist(
        self, store: Store, key: str, *, snapshots: SnapshotPolicy | None = None
    ) -> None:
        """`Programme.persist`, awaited (a snapshot the policy asks for is saved by the
        command that makes it due, awaited as its append is)."""
        target = _for_loop(store) if isinstance(store, PostgresStore) else store
        await self._run(functools.partial(self.programme.persist, snapshots=snapshots), target, key)
        if isinstance(target, _LoopStore):
            self._shared, self._key = target, key

    async def refresh(self) -> tuple[Event, ...]:
        """`Programme.refresh`, awaited (hooks are not called for the new events): over a
        `PostgresStore`, the read through psycopg's asyncio API and the replay on the loop;
        over another store, in a thread."""
        async with _Turn(self):
            shared, key = self._shared, self._key
            if shared is None or key is None:
                return await _in_thread(self.programme.refresh)
            after = self.programme.version
            log = await shared.aio.read(key, after=after)
            with _serving(_Ready(key, after, log)):
                return self.programme.refresh()

    # -- commands --------------------------------------------------------------------------

    async def execute(self, command: c.Command, *more: c.Command) -> tuple[Event, ...]:
        """`Programme.execute`, awaited; then the hooks subscribed here, awaited in order.

        Raises:
            MentorflowError: as `Programme.execute` raises (`AfterHookError` also if the
                hooks subscribed here raised: the change stands).
        """
        return await self._command(self.programme.execute, command, *more)

    async def check_deadlines(self, *, at: dt.datetime | None = None) -> tuple[Event, ...]:
        """`Programme.check_deadlines`, awaited; then the hooks, for the alerts."""
        return await self._command(self.programme.check_deadlines, at=at)

    async def _command(
        self, method: Callable[..., tuple[Event, ...]], *args: Any, **kw: Any
    ) -> tuple[Event, ...]:
        # its span is the sync method's (`mentorflow.tracing.instrument`): none of its own
        async with _Turn(self):
            errors: list[Exception] = []
            before = self.programme.version
            try:
                events = await self._call(method, *args, **kw)
            except AfterHookError as failed:  # the sync API's hooks: the change stands
                events, errors = failed.events, list(failed.exceptions)
            # a retried command (an idempotency key already committed) returns its first
            # events: they were told of then, not now
            errors += await self._notify([e for e in events if e.seq > before])
        if errors:
            error = AfterHookError(f"{len(errors)} after hook(s) raised; the change stands", errors)
            error.events = events
            raise error
        return events

    def _call(self, method: Callable[..., T], *args: Any, **kw: Any) -> Awaitable[T]:
        """Run a command's sync path: on the loop, its appends awaited there, for a programme
        journaled to a `PostgresStore` (without a read model, whose transaction spans the
        change); in a thread otherwise."""
        shared = self._shared is not None and not settles_after_applying(self.programme)
        if shared and onloop is not None:
            return onloop.run(method, *args, **kw)
        return _in_thread(method, *args, **kw)

    async def _run(self, method: Callable[..., T], *args: Any) -> T:
        async with _Turn(self):
            return await _in_thread(method, *args)

    async def _notify(self, events: Sequence[Event]) -> list[Exception]:
        """Call (or await) the hooks of each event, in order; return what they raised."""
        errors: list[Exception] = []
        if not self._hooks.after_count:
            return errors
        for event in events:
            for handler in self._hooks.handlers(event):
                try:
                    result = handler(event)
                    if asyncio.iscoroutine(result):
                        await result
                except Exception as err:
                    errors.append(err)
        return errors

    # -- hooks -------------------------------------------------------------------------------

    def subscribe(
        self, event_type: type[E], handler: Callable[[E], object], *, phase: str | None = None
    ) -> Subscription:
        """Call or await ``handler`` with every event of ``event_type`` once its command's
        change is made, on the loop, in registration order (`Programme.subscribe`'s
        contract for after hooks; before hooks are the sync API's: subscribe them on
        `programme`).

        Raises:
            ValidationError: not an event class, not callable, an unknown phase.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise ValidationError("event_type", f"{show(event_type)} is not an Event class")
        if not callable(handler):
            raise ValidationError("handler", f"{show(handler)} is not callable")
        if phase is not None:
            self.programme.lifecycle.step(phase)
        return self._hooks.add(event_type, handler, phase=phase, before=False)

    def on_enter(self, phase: str, handler: Callable[[PhaseStarted], object]) -> Subscription:
        """Call or await ``handler`` when a pair enters ``phase``."""
        return self.subscribe(PhaseStarted, handler, phase=phase)

    def on_leave(self, phase: str, handler: Callable[[PhaseCompleted], object]) -> Subscription:
        """Call or await ``handler`` when a pair completes ``phase``."""
        return self.subscribe(PhaseCompleted, handler, phase=phase)

    # -- reading -----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The programme's version (its number of events)."""
        return self.programme.version

    @property
    def pairs(self) -> Mapping[str, Pair]:
        """The programme's pairs."""
        return self.programme.pairs

    def __repr__(self) -> str:
        return f"<AsyncProgramme of {self.programme!r}>"


async def _in_thread(method: Callable[..., T], *args: Any, **kw: Any) -> T:
    """``method(*args, **kw)`` in a thread of the loop's executor. If the await is cancelled,
    the call (which a thread can't stop) is waited for before the cancellation goes on: the
    programme's turn ends only when its command has finished, one way or the other."""
    running = asyncio.ensure_future(asyncio.to_thread(method, *args, **kw))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait({running})
        raise


class _Turn:
    """One command at a time on a programme, in the order they came; a command issued by a
    hook of the command under way (the same task) joins it."""

    __slots__ = ("_joined", "_programme")

    def __init__(self, programme: AsyncProgramme) -> None:
        self._programme = programme
        self._joined = False

    async def __aenter__(self) -> None:
        owner = self._programme
        task = asyncio.current_task()
        if owner._owner is not None and owner._owner is task:
            self._joined = True
            return
        if owner._lock is None:
            owner._lock = asyncio.Lock()
        await owner._lock.acquire()
        owner._owner = task

    async def __aexit__(self, *exc: object) -> None:
        if self._joined:
            return
        owner = self._programme
        owner._owner = None
        assert owner._lock is not None
        owner._lock.release()


# -- PostgreSQL: appends awaited on the loop ------------------------------------------------


class _LoopStore(Store):
    """A `PostgresStore` whose appends are awaited on ``loop`` through an
    `AsyncPostgresStore`: by a command running on the loop (`onloop`), which also awaits the
    snapshots its journal takes, or by one in a thread (without greenlet). The sync API
    called on the loop itself writes through the blocking store, as does everything else."""

    def __init__(self, store: PostgresStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.thread = threading.get_ident()  # the loop's (made on it: see `_for_loop`)
        self.aio = AsyncPostgresStore(store)

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        if onloop is not None and onloop.running():  # a command run on the loop: awaited there
            return onloop.wait(self._append(key, events, expected_version))
        if threading.get_ident() == self.thread:  # the sync API, called on the loop: blocks
            return self.store.append(key, events, expected_version=expected_version)
        future = asyncio.run_coroutine_threadsafe(
            self.aio.append(key, events, expected_version=expected_version), self.loop
        )
        return future.result()

    async def _append(self, key: str, events: Sequence[Document], expected_version: int) -> int:
        """The append, awaited. Cancelled midway (psycopg then cancels the statement on the
        server and waits for it to end), it reads what the store holds after
        ``expected_version``: if those are its events, they were stored all the same, and
        the command goes on (`onloop.run` raises the cancellation once it ends); otherwise
        the cancellation ends the command, with nothing changed."""
        try:
            return await self.aio.append(key, events, expected_version=expected_version)
        except asyncio.CancelledError:
            stored = await self.aio.read(key, after=expected_version)
            if list(stored.events[: len(events)]) == list(events):
                return expected_version + len(events)
            raise

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        self.store.create(key, definition, events)

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        ready = _ready.get()
        if ready is not None and ready.log is not None and ready.key == key:
            log = ready.log
            if ready.restoring is not None and log.after <= after <= log.version:
                # a restore reads the log it was served as often as it needs, from any
                # version (a restore from a snapshot reads the records from its version on)
                skip = after - log.after
                return StoredLog(log.definition, log.events[skip:], log.schemas[skip:], after)
            if ready.after == after:
                ready.log = None  # a refresh's read: served once
                return log
        return self.store.read(key, after=after)

    def snapshots(self, key: str) -> list[int]:
        ready = _ready.get()
        if ready is not None and ready.restoring is not None and ready.key == key:
            return ready.restoring.versions()
        return self.store.snapshots(key)

    def read_snapshot(self, key: str, version: int) -> Document:
        ready = _ready.get()
        if ready is not None and ready.restoring is not None and ready.key == key:
            return ready.restoring.snapshot(version)
        return self.store.read_snapshot(key, version)

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        if onloop is not None and onloop.running():  # a snapshot a command's journal takes
            onloop.wait(self.aio.save_snapshot(key, version, document))
        else:
            self.store.save_snapshot(key, version, document)

    def version(self, key: str) -> int:
        ready = _ready.get()
        if ready is not None and ready.restoring is not None and ready.key == key:
            return ready.restoring.log.version
        return self.store.version(key)

    def keys(self) -> list[str]:
        return self.store.keys()

    def delete(self, key: str) -> None:
        self.store.delete(key)

    # a store that keeps a read model: the append and its rows are one transaction of the
    # store's own, in the command's thread (the loop still goes on)

    def readmodel_enabled(self) -> bool:
        return self.store.readmodel_enabled()

    def readmodel_append(
        self, key: str, events: Sequence[Document], *, expected_version: int
    ) -> OpenAppend:
        return self.store.readmodel_append(key, events, expected_version=expected_version)

    def readmodel_put(
        self, key: str, version: int, pairs: Sequence[PairRow], deadlines: Sequence[DeadlineRow]
    ) -> None:
        self.store.readmodel_put(key, version, pairs, deadlines)


class _Ready:
    """Reads of programme ``key`` awaited on the loop, served to the sync restore or refresh
    that runs there next (its log after ``after``, once; a restore's snapshots)."""

    __slots__ = ("after", "key", "log", "restoring")

    def __init__(
        self, key: str, after: int, log: StoredLog, restoring: Restoring | None = None
    ) -> None:
        self.key = key
        self.after = after
        self.log: StoredLog | None = log
        self.restoring = restoring


_ready: contextvars.ContextVar[_Ready | None] = contextvars.ContextVar(
    "mentorflow.aio.ready", default=None
)


@contextlib.contextmanager
def _serving(ready: _Ready) -> Iterator[None]:
    """Serve ``ready`` to the store reads made in the block (by this task, on the loop)."""
    token = _ready.set(ready)
    try:
        yield
    finally:
        _ready.reset(token)


_loop_stores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _LoopStore]] = (
    weakref.WeakKeyDictionary()
)


# the task of each loop that closes its pools when the loop ends (held here: asyncio keeps
# only weak references to tasks)
_closers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}


def _for_loop(store: PostgresStore) -> _LoopStore:
    """The store a programme driven from the running loop journals to: a `PostgresStore`
    whose appends (and a restore's or refresh's reads) go through psycopg's asyncio API on
    this loop."""
    loop = asyncio.get_running_loop()
    stores = _loop_stores.setdefault(loop, {})
    found = stores.get(id(store))
    if found is None or found.store is not store:
        found = stores[id(store)] = _LoopStore(store, loop)
    if loop not in _closers:
        _closers[loop] = loop.create_task(
            _close_at_end(loop), name="mentorflow.aio: close the pools when the loop ends"
        )
    return found


async def _close_at_end(loop: asyncio.AbstractEventLoop) -> None:
    """Wait until the loop's end cancels every task (as `asyncio.run` does), then close the
    asyncio pools opened on it that `close` did not.

    A pool left open would hang that end: psycopg_pool's workers catch `CancelledError`
    while they run a task of the pool's (a connection being made as the pool grows), so
    the one cancellation `asyncio.run` sends them is lost, and they wait for their next
    task for ever. Closing the pool sends them the task that stops them.

    The pools close together: a pool's `close` raises the `CancelledError` of its workers
    (cancelled with every task) once it has told them to stop, which must not keep the
    next pool from being told."""
    try:
        await loop.create_future()  # done by no one: until cancelled
    finally:
        del _closers[loop]
        found = _loop_stores.pop(loop, {}).values()
        await asyncio.gather(*(each.aio.close() for each in found), return_exceptions=True)


async def close(store: Store) -> None:
    """Close the connections `mentorflow.aio` opened on the running loop for ``store`` (a
    `PostgresStore`'s asyncio pool; nothing for the other stores). Call it when the service
    stops (with FastAPI, at the end of its lifespan); the store itself stays open. The pools
    not closed here are closed when the loop ends (`asyncio.run` returns)."""
    found = _loop_stores.get(asyncio.get_running_loop(), {}).pop(id(store), None)
    if found is not None:
        await found.aio.close()
