"""Persisting a programme: its definition and event log in a `Store`, and restoring it.

Every event record carries the digest of the record before (`mentorflow._codec.chain`): the
journal links each batch to the last record written, and a restore (or a refresh) checks the
chain before it reads a single event. Beside the record of a command's first event, the
command's idempotency key, if it had one (``command_key``).
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

from .._codec import chain
from .._codec.fastload import FAST_BY_NAME
from .._codec.serialize import (
    SCHEMA,
    dump_definition,
    dump_event,
    load_stored_event,
    read_definition,
    upgrade_events,
)
from .._domain.definition import Definition
from .._domain.events import Event
from .._domain.older import Older
from .._domain.pair_state import PairState
from .._domain.validate import show
from .._storage.stores import LogChunk, Store, StoredLog
from ..exceptions import (
    ConcurrencyError,
    CorruptStoreError,
    MentorflowError,
    SerializationError,
    SnapshotError,
    StoreError,
    ValidationError,
)
from . import snapshot
from .hooks import Hooks
from .projection import Projection, touched
from .replay import Replayable, Replayer, replay
from .runtime import Runtime
from .snapshot import SnapshotPolicy
from .transaction import Ledger

P = TypeVar("P", bound="Restorable")

logger = logging.getLogger("mentorflow")

CHUNK = 10_000
"""How many events a restore reads, checks, decodes and replays at a time: the raw documents
of a long log are never all held at once."""

KEY = "command_key"
"""Beside the document of a command's first event: the command's idempotency key."""


class Journal:
    """Writes each change's events to the store before the change is made; saves a snapshot
    of the state now and then, as its `SnapshotPolicy` says."""

    __slots__ = ("key", "last", "policy", "runtime", "snapshot_at", "store")

    def __init__(
        self,
        store: Store,
        key: str,
        last: str,
        policy: SnapshotPolicy | None = None,
        runtime: Callable[[], Runtime] | None = None,
        snapshot_at: int = 0,
    ) -> None:
        self.store = store
        self.key = key
        self.last = last  # the digest of the last record written: the next one carries it
        self.policy = policy
        self.runtime = runtime  # the programme's runtime (a failed batch replaces it)
        self.snapshot_at = snapshot_at  # the version of the last snapshot saved or used

    def __call__(self, events: Sequence[Event], keys: Mapping[int, str]) -> None:
        # the log must stand just before the first of them (optimistic concurrency)
        expected = events[0].seq - 1
        self._snapshot_if_due(expected)
        documents, last = chain.link(dump_events(events, keys), self.last)
        try:
            self.store.append(self.key, documents, expected_version=expected)
        except ConcurrencyError as conflict:
            logger.warning("%s: %s", self.key, conflict)
            raise
        self.last = last

    def _snapshot_if_due(self, version: int) -> None:
        """Save the state at ``version`` if the policy says one is due."""
        policy = self.policy
        if policy is not None and version - self.snapshot_at >= policy.every:
            self._snapshot(version)

    def _snapshot(self, version: int) -> None:
        """Save the state at ``version`` (the log's, before this change), if the programme
        is there: in a batch it is further on (the next change saves it). A snapshot that
        can't be saved is logged, and the change goes on: snapshots only save time."""
        rt = self.runtime() if self.runtime is not None else None
        if rt is None or rt.ledger.seq != version or rt.ledger.pending is not None:
            return
        self.snapshot_at = version
        try:
            self.store.save_snapshot(self.key, version, snapshot.take(rt, self.key, self.last))
        except StoreError as err:
            logger.warning("%s: no snapshot of version %d saved: %s", self.key, version, err)


class ReadJournal(Journal):
    """A journal whose store keeps a read model: the append's transaction stays open while
    the change is applied, then `settle` writes the rows the change touched in it and commits
    (events and rows: one transaction)."""

    __slots__ = ("next", "open", "project")

    def __init__(
        self,
        store: Store,
        key: str,
        last: str,
        project: Callable[[set[str] | None], Projection],
        policy: SnapshotPolicy | None = None,
        runtime: Callable[[], Runtime] | None = None,
        snapshot_at: int = 0,
    ) -> None:
        super().__init__(store, key, last, policy, runtime, snapshot_at)
        self.project = project
        self.open: Any = None
        self.next = last

    def __call__(self, events: Sequence[Event], keys: Mapping[int, str]) -> None:
        if self.open is not None:  # a change that failed while applied: never committed
            self.open.abort()
            self.open = None
        self._snapshot_if_due(events[0].seq - 1)
        documents, self.next = chain.link(dump_events(events, keys), self.last)
        try:
            self.open = self.store.readmodel_append(  # type: ignore[attr-defined]
                self.key, documents, expected_version=events[0].seq - 1
            )
        except ConcurrencyError as conflict:
            logger.warning("%s: %s", self.key, conflict)
            raise

    def settle(self, events: Sequence[Event]) -> None:
        """Write the read model's rows of the applied change, and commit it with its events.

        Raises:
            StoreError: the commit failed: nothing of the change is stored (the ledger's
                ``roll_back`` puts the programme back).
        """
        opened, self.open = self.open, None
        try:
            rows = self.project(touched(events))
        except BaseException:
            opened.abort()
            raise
        opened.commit(rows.version, rows.pairs, rows.deadlines, rows.keys, rows.whole)
        self.last = self.next


def dump_events(events: Sequence[Event], keys: Mapping[int, str]) -> list[dict[str, Any]]:
    """The events' documents, each first event of a keyed command with its key beside it."""
    found = [dump_event(e) for e in events]
    if keys:
        for document, event in zip(found, events, strict=True):
            key = keys.get(event.seq)
            if key is not None:
                document[KEY] = key
    return found


def persist(
    ledger: Ledger,
    definition: Definition,
    store: Store,
    key: str,
    *,
    snapshots: SnapshotPolicy | None = None,
    runtime: Callable[[], Runtime] | None = None,
    project: Callable[[set[str] | None], Projection] | None = None,
    roll_back: Callable[[int], None] | None = None,
) -> None:
    """Save a programme (its definition and its ledger's history) under ``key``; journal
    every later change (saving snapshots of ``runtime()`` as ``snapshots`` says; with
    ``project``, keeping the store's read model in step, and ``roll_back`` putting the
    programme back when its rows can't be written)."""
    _check_store(store, key)
    _check_policy(snapshots)
    if ledger.journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    document = dump_definition(definition)
    events, last = chain.link(dump_events(ledger.events, ledger.keyed), chain.digest(document))
    store.create(key, document, events)
    journal(
        ledger,
        store,
        key,
        last,
        snapshots=snapshots,
        runtime=runtime,
        project=project,
        roll_back=roll_back,
    )
    if ledger.settle is not None and project is not None:
        rows = project(None)
        store.readmodel_put(key, rows.version, rows.pairs, rows.deadlines)  # type: ignore[attr-defined]


class Restorable(Replayable, Protocol):
    """What a restore from a snapshot needs of a programme: its runtime, and the callback
    that makes a pair's view."""

    _rt: Runtime

    def _enrolled(self, state: PairState) -> None: ...


def restore(
    store: Store,
    key: str,
    build: Callable[[Definition], P],
    *,
    pause_gc: bool = False,
    expected_version: int | None = None,
    verify: bool = False,
    use_snapshots: bool = True,
) -> tuple[P, str, int]:
    """The programme stored under ``key``, rebuilt from its newest trustworthy snapshot and
    the events after it, or by replaying its whole log (not journaling yet: see `journal`);
    the digest of its last record; and the version of the snapshot used (0: none).

    Args:
        build: Makes a new programme of the stored definition.
        pause_gc: Pause the cyclic garbage collector while loading, only if the caller asks
            (it is process-wide). Loading builds millions of objects that all stay alive: the
            collector would scan them again and again (a third of the time for a million
            events) for nothing. It is switched back on as it was, whatever happens.
        expected_version: The version the caller last saw: a log holding fewer events is
            refused (records removed from the end can't be told from a crash otherwise).
        verify: Replay the whole log even so, and compare the snapshot with the state the
            replay reaches at its version.
        use_snapshots: False: replay the whole log, whatever snapshots there are.

    Raises:
        CorruptStoreError: a broken chain of digests, or fewer events than expected.
        SnapshotError: ``verify``, and the snapshot differs from the replay.
    """
    collecting = pause_gc and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _restore(store, key, build, expected_version, verify, use_snapshots)
    finally:
        if collecting:
            gc.enable()


def _check_store(store: object, key: object) -> None:
    if not isinstance(store, Store):
        raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
    if not isinstance(key, str):
        raise ValidationError("key", f"must be a string, not {type(key).__name__}")


def _check_policy(policy: object) -> None:
    if policy is not None and not isinstance(policy, SnapshotPolicy):
        raise ValidationError(
            "snapshots", f"must be a SnapshotPolicy or None, not {type(policy).__name__}"
        )


def _restore(
    store: Store,
    key: str,
    build: Callable[[Definition], P],
    expected_version: int | None,
    verify: bool,
    use_snapshots: bool,
) -> tuple[P, str, int]:
    _check_store(store, key)
    if expected_version is not None and (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 0
    ):
        raise ValidationError(
            "expected_version", f"must be a whole number >= 0, not {show(expected_version)}"
        )
    for name, flag in (("verify", verify), ("use_snapshots", use_snapshots)):
        if not isinstance(flag, bool):
            raise ValidationError(name, f"must be True or False, not {show(flag)}")
    if use_snapshots and not verify:
        lazily = _restore_lazily(store, key, build, expected_version)
        if lazily is _IGNORED:
            use_snapshots = False  # (a warning says why)
        elif lazily is not None:
            return lazily  # type: ignore[return-value]
    log = store.read_chunks(key, size=CHUNK)
    if expected_version is not None and log.version < expected_version:
        raise CorruptStoreError(
            key,
            f"holds {log.version} events, fewer than the {expected_version} expected: "
            "events were removed from its end (or their writes were lost)",
        )
    if not isinstance(log.definition, Mapping):
        raise SerializationError(f"{key}.definition", "must be a mapping")
    found = _snapshot(store, key, log.definition, log.version) if use_snapshots else None
    checker = chain.Checker(
        chain.digest(log.definition), f"{key}.events", marks=(found[0],) if found else ()
    )
    if found and not found[0] and found[1]["head"] != checker.previous:
        _ignore(key, 0, "the log's definition is not the one it was taken of")
        found = None
    definition = read_definition(log.definition, f"{key}.definition")
    loader = _Loader(build, definition, key, found, checker.marked, verify)
    # each chunk is loaded once the next one's chain is checked: the next record's digest
    # of the one before is what shows that the last record of a chunk is intact
    waiting: tuple[LogChunk, int] | None = None
    seq = 0
    for chunk in log.chunks:
        checker.feed(chunk.events, seq + 1, chunk.texts)
        if waiting is not None:
            loader.load(*waiting)
        waiting, seq = (chunk, seq + 1), seq + len(chunk.events)
    if seq != log.version:
        raise CorruptStoreError(key, f"holds {seq} events but says {log.version}")
    last = checker.finish()
    if waiting is not None:
        loader.load(*waiting)
    loader.settle()
    loader.replayer.finish()
    at = loader.found[0] if loader.found else 0
    if at:
        logger.info(
            "%s: restored from the snapshot of version %d and %d events",
            key,
            at,
            log.version - at,
        )
    else:
        logger.info("%s: restored from %d events", key, log.version)
    return loader.programme, last, at


_IGNORED = object()
"""`_restore_lazily`: the snapshot was ignored (with a warning): replay the whole log."""


def _restore_lazily(
    store: Store, key: str, build: Callable[[Definition], P], expected_version: int | None
) -> tuple[P, str, int] | object | None:
    """Restore from the newest snapshot without reading the events before it: the records
    from its version on are read (the one at its version must have the snapshot's digest,
    the others chain from it) and replayed; the history before waits on the store
    (`LazyEvents`). None if that does not apply (no snapshot after the first event, or one
    with a deadline book without its folds (format 3), or too few events: the caller's full
    path says why); `_IGNORED` if the snapshot was ignored, with a warning."""
    try:
        if not store.snapshots(key):
            return None
    except StoreError:
        return None  # (the full path says why)
    now = store.read(key, after=store.version(key))
    if expected_version is not None and now.version < expected_version:
        return None
    if not isinstance(now.definition, Mapping):
        return None
    found = _snapshot(store, key, now.definition, now.version)
    if found is None:
        return _IGNORED
    at, document = found
    if not at or not snapshot.lazy(document["state"]):
        return None
    log = store.read(key, after=at - 1)
    records = list(log.events)
    if not records:  # pragma: no cover - the log can't shrink
        return None
    head = chain.digest(records[0])
    if head != document["head"]:
        _ignore(key, at, "the log's record at its version is not the one it was taken at")
        return _IGNORED
    last, _ = chain.check_after(
        head, records[1:], at + 1, f"{key}.events", chained=chain.FIELD in records[0]
    )
    definition = read_definition(now.definition, f"{key}.definition")
    after = StoredLog(log.definition, records[1:], list(log.schemas)[1:], at)
    events, keys = _events(after, definition, key)
    programme = _build(build, definition, key)
    older = Older(functools.partial(_read_older, store, key, at, head, definition))
    try:
        snapshot.install_lazily(programme._rt, document["state"], older, at, programme._enrolled)
    except (MentorflowError, ValueError, TypeError, KeyError, AttributeError) as err:
        _ignore(key, at, f"its state does not fit the log ({type(err).__name__}: {err})")
        return _IGNORED
    replay(programme._rt, events, keys)  # the runtime's: not the (maybe traced) method
    logger.info(
        "%s: restored from the snapshot of version %d and %d events (the %d before it are "
        "read when first asked for)",
        key,
        at,
        len(events),
        at,
    )
    return programme, last, at


def _read_older(store: Store, key: str, at: int, head: str, definition: Definition) -> list[Event]:
    """The events of ``key``'s log up to seq ``at``, their chain checked from the
    definition to the record at ``at``, whose digest must be ``head`` (the snapshot's).

    Raises:
        CorruptStoreError: the chain is broken, or the record at ``at`` is not the one the
            snapshot was taken at (the older records were changed since the restore).
    """
    log = store.read_chunks(key, size=CHUNK)
    where = f"{key}.events"
    checker = chain.Checker(chain.digest(log.definition), where, marks=(at,))
    events: list[Event] = []
    waiting: tuple[list[Any], list[int], int] | None = None
    seq = 0
    for chunk in log.chunks:
        take = min(len(chunk.events), at - seq)
        texts = None if chunk.texts is None else chunk.texts[:take]
        checker.feed(chunk.events[:take], seq + 1, texts)
        if waiting is not None:  # decoded once the next chunk's chain is checked
            events += _decode(*waiting[:2], waiting[2], definition, key)[0]
        waiting, seq = (chunk.events[:take], chunk.schemas[:take], seq + 1), seq + take
        if seq >= at:
            break
    if hasattr(log.chunks, "close"):
        log.chunks.close()
    if seq < at or checker.marked.get(at) != head:
        raise CorruptStoreError(
            f"{where}[seq {at}]",
            "is not the record the snapshot was taken at: the log before the snapshot was "
            "changed since the programme was restored",
        )
    if waiting is not None:
        events += _decode(*waiting[:2], waiting[2], definition, key)[0]
    return events


class _Loader(Generic[P]):
    """Loads a restored programme from its log's checked chunks: replays them, or keeps the
    events up to the snapshot's version until the snapshot is installed."""

    def __init__(
        self,
        build: Callable[[Definition], P],
        definition: Definition,
        key: str,
        found: tuple[int, Mapping[str, Any]] | None,
        heads: Mapping[int, str],
        verify: bool,
    ) -> None:
        self.build, self.definition, self.key = build, definition, key
        self.found, self.heads, self.verify = found, heads, verify
        self.programme = _build(build, definition, key)
        self.replayer = Replayer(self.programme._rt)
        self.older: list[Event] = []  # the events up to the snapshot's version
        self.older_keys: dict[int, str] = {}
        self.settled = not found or not found[0]
        if found and not found[0]:  # a snapshot of the programme before its first event
            self._install()

    def load(self, chunk: LogChunk, first: int) -> None:
        """Decode ``chunk`` (of seq ``first`` on, its chain checked) and replay it, or keep
        its events up to the snapshot's version."""
        events, keys = _decode(chunk.events, chunk.schemas, first, self.definition, self.key)
        if self.settled:
            self.replayer.feed(events, keys)
            return
        assert self.found is not None
        split = self.found[0] - first + 1
        self.older += events[:split]
        self.older_keys.update(keys)
        if split <= len(events):
            self.settle()
            self.replayer.feed(events[split:], keys)

    def settle(self) -> None:
        """Install the snapshot, now that the log's events up to its version are read (or
        replay them, if it is ignored)."""
        if self.settled:
            return
        self.settled = True
        found, key = self.found, self.key
        assert found is not None
        at = found[0]
        if len(self.older) < at:  # pragma: no cover - _snapshot checks the log's version
            raise AssertionError("the log ends before the snapshot's version")
        if self.heads.get(at) != found[1]["head"]:
            _ignore(key, at, "the log's record at its version is not the one it was taken at")
            self.found = None
            self.replayer.feed(self.older, self.older_keys)
        else:
            self._install()
        self.older, self.older_keys = [], {}

    def _install(self) -> None:
        found, key, programme = self.found, self.key, self.programme
        assert found is not None
        at, document = found
        if self.verify:
            self.replayer.feed(self.older, self.older_keys)
            self.replayer.finish()
            replayed = snapshot.comparable(programme._rt, document)
            _compare(key, at, document["state"], replayed)
            return
        try:
            snapshot.install(programme._rt, document["state"], self.older, programme._enrolled)
        except (MentorflowError, ValueError, TypeError, KeyError, AttributeError) as err:
            _ignore(key, at, f"its state does not fit the log ({type(err).__name__}: {err})")
            self.found = None
            self.programme = _build(self.build, self.definition, key)
            self.replayer = Replayer(self.programme._rt)
            self.replayer.feed(self.older, self.older_keys)


def _build(build: Callable[[Definition], P], definition: Definition, key: str) -> P:
    try:
        return build(definition)
    except MentorflowError as err:
        field = getattr(err, "field", "")
        raise SerializationError(
            f"{key}.definition.{field}", str(getattr(err, "problem", err))
        ) from None


def _snapshot(
    store: Store, key: str, definition: Mapping[str, Any], length: int
) -> tuple[int, Mapping[str, Any]] | None:
    """The newest snapshot of ``key`` that can be trusted with its log, of ``definition``
    and ``length`` events (its head aside, which the caller checks against the log's
    chain), and its version; None if there is none."""
    try:
        versions = store.snapshots(key)
    except StoreError as err:
        logger.warning("%s: its snapshots can't be listed (%s): the log is replayed", key, err)
        return None
    for version in versions:
        if version > length:
            _ignore(key, version, f"it is ahead of the log, which has {length} events")
            continue
        try:
            document = store.read_snapshot(key, version)
        except StoreError as err:
            _ignore(key, version, str(err))
            continue
        problem = snapshot.problem(document, key, definition)
        if problem is None and document["version"] != version:
            problem = f"it says it is of version {show(document['version'])}"
        if problem is None:
            return version, document
        _ignore(key, version, problem)
    return None


def _ignore(key: str, version: int, why: str) -> None:
    logger.warning(
        "%s: the snapshot of version %d is ignored: %s; the log is replayed instead",
        key,
        version,
        why,
    )


def _compare(key: str, version: int, kept: object, replayed: object, where: str = "") -> None:
    """Raise `SnapshotError` at the first place where the snapshot's state ``kept`` and the
    state the full replay reached, ``replayed``, differ."""
    if type(kept) is not type(replayed) and not (
        isinstance(kept, list | tuple) and isinstance(replayed, list | tuple)
    ):
        raise SnapshotError(
            key,
            version,
            where or "state",
            f"the snapshot has {show(kept)}, the log {show(replayed)}",
        )
    if isinstance(kept, dict) and isinstance(replayed, dict):
        for name in [*kept, *(k for k in replayed if k not in kept)]:
            if name not in kept or name not in replayed:
                side = "the log" if name not in kept else "the snapshot"
                raise SnapshotError(key, version, f"{where}.{name}", f"only {side} has it")
            _compare(key, version, kept[name], replayed[name], f"{where}.{name}")
    elif isinstance(kept, list | tuple) and isinstance(replayed, list | tuple):
        for i, (a, b) in enumerate(zip(kept, replayed, strict=False)):
            _compare(key, version, a, b, f"{where}[{i}]")
        if len(kept) != len(replayed):
            raise SnapshotError(
                key, version, where, f"the snapshot has {len(kept)} items, the log {len(replayed)}"
            )
    elif kept != replayed:
        raise SnapshotError(
            key, version, where, f"the snapshot has {show(kept)}, the log {show(replayed)}"
        )


def take_snapshot(runtime: Runtime) -> int:
    """Save a snapshot of ``runtime``'s state to its programme's store now; its version.

    Raises:
        ValidationError: the programme is not persisted, or a batch is open.
        StoreError: the store can't save it.
    """
    journal = runtime.ledger.journal
    if not isinstance(journal, Journal):
        raise ValidationError(
            "store", "the programme is not persisted: persist() or restore() it first"
        )
    if runtime.ledger.pending is not None:
        raise ValidationError("snapshot", "a batch is open: take the snapshot after it")
    version = runtime.ledger.seq
    journal.store.save_snapshot(
        journal.key, version, snapshot.take(runtime, journal.key, journal.last)
    )
    journal.snapshot_at = version
    return version


def _events(log: StoredLog, definition: Definition, key: str) -> tuple[list[Event], dict[int, str]]:
    """The events of ``log`` (their chain checked): see `_decode`."""
    return _decode(list(log.events), list(log.schemas), log.after + 1, definition, key)


def _decode(
    documents: list[Any], schemas: Sequence[object], first: int, definition: Definition, key: str
) -> tuple[list[Event], dict[int, str]]:
    """The events of ``documents`` (of seq ``first`` on, their chain checked), each upgraded
    from the schema it was written with (``schemas``), and the idempotency keys kept beside
    them (by seq). ``documents`` is let go of as it is loaded (the caller's to give up): the
    documents of many events take several times the memory of the events."""
    for seq, schema in enumerate(schemas, start=first):
        if type(schema) is not int:
            raise CorruptStoreError(
                f"{key}.events[seq {seq}]", f"its schema is {show(schema)}, not a whole number"
            )
    if any(schema != SCHEMA for schema in schemas):
        for schema in sorted({int(s) for s in schemas}):  # type: ignore[call-overload]
            if schema != SCHEMA:
                at = [i for i, s in enumerate(schemas) if s == schema]
                where = f"{key}.events[seq {first + at[0]}]"
                stripped = [_unchained(documents[i]) for i in at]
                upgraded = upgrade_events(stripped, schema, definition.timezone, where)
                for i, doc in zip(at, upgraded, strict=True):
                    documents[i] = doc
    keys: dict[int, str] = {}
    events: list[Event] = []
    load, append, where = load_stored_event, events.append, f"{key}.events"
    loaders = FAST_BY_NAME
    for i, doc in enumerate(documents):
        seq = first + i
        if KEY in doc:
            found = doc[KEY]
            if not isinstance(found, str) or not found:
                raise SerializationError(f"{key}.events[seq {seq}].{KEY}", "must be a key")
            keys[seq] = found
            doc = {k: v for k, v in doc.items() if k != KEY}
        name = doc.get("type")  # load_stored_event's first step, inlined
        fast = loaders.get(name) if type(name) is str else None
        event = fast(doc, True) if fast is not None else None
        append(load(doc, where, seq) if event is None else event)
        documents[i] = None
    return events, keys


def _unchained(document: Mapping[str, Any]) -> Mapping[str, Any]:
    if chain.FIELD in document:
        return {k: v for k, v in document.items() if k != chain.FIELD}
    return document


def refresh(programme: Replayable, ledger: Ledger, definition: Definition) -> list[Event]:
    """Replay on ``programme`` the events its store has after the programme's version (written
    by another process or another copy), with no journal (they are stored) and no hooks (they
    were the writer's to run); return them. The new records' chain is checked from the last
    record the programme knows.

    Raises:
        ValidationError: the programme is not persisted.
        CorruptStoreError: the new records' chain is broken.
        ReplayError: a new event doesn't replay; the programme keeps those before it.
    """
    journal = ledger.journal
    if not isinstance(journal, Journal):
        raise ValidationError(
            "store", "the programme is not persisted: persist() or restore() it first"
        )
    seen = ledger.seq
    log = journal.store.read(journal.key, after=seen)
    if not log.events:
        return []
    last, _ = chain.check_after(journal.last, log.events, seen + 1, f"{journal.key}.events")
    events, keys = _events(log, definition, journal.key)
    hooks = ledger.hooks
    ledger.journal, ledger.hooks = None, Hooks()
    try:
        replay(programme, events, keys)
    finally:
        ledger.journal, ledger.hooks = journal, hooks
    journal.last = last
    return ledger.events[seen:]


def read_after(store: Store, key: str, after: int) -> list[Event]:
    """The events of ``key``'s log after seq ``after``, decoded and upgraded, their chain
    checked from the record at ``after`` (what an outbox reads: no programme is restored).

    Raises:
        UnknownProgrammeError: no such key. CorruptStoreError: a broken chain.
        StoreError: ``after`` is past the end of the log.
    """
    log = store.read(key, after=max(after - 1, 0))
    documents, schemas = list(log.events), list(log.schemas)
    if after:  # the record at ``after`` is read only for its digest
        previous, chained = chain.digest(documents[0]), chain.FIELD in documents[0]
        documents, schemas = documents[1:], schemas[1:]
    else:
        previous, chained = chain.digest(log.definition), False
    if not documents:
        return []
    where = f"{key}.events"
    chain.check_after(previous, documents, after + 1, where, chained=chained)
    definition = read_definition(log.definition, f"{key}.definition")
    new = StoredLog(log.definition, documents, schemas, after)
    return _events(new, definition, key)[0]


def journal(
    ledger: Ledger,
    store: Store,
    key: str,
    last: str,
    *,
    snapshots: SnapshotPolicy | None = None,
    runtime: Callable[[], Runtime] | None = None,
    snapshot_at: int = 0,
    project: Callable[[set[str] | None], Projection] | None = None,
    roll_back: Callable[[int], None] | None = None,
) -> None:
    """Write the programme's changes to ``store`` under ``key`` from now on (it holds them all
    so far, the last with digest ``last``: the programme was restored from it), saving
    snapshots of ``runtime()`` as ``snapshots`` says (the last was of ``snapshot_at``); with
    ``project``, and a store that keeps a read model, its rows in the same transactions
    (``roll_back(seq)`` puts the programme back after event ``seq`` when they fail)."""
    _check_policy(snapshots)
    if project is not None and store.readmodel_enabled():
        read = ReadJournal(store, key, last, project, snapshots, runtime, snapshot_at)
        ledger.journal, ledger.settle, ledger.roll_back = read, read.settle, roll_back
    else:
        plain = Journal(store, key, last, snapshots, runtime, snapshot_at)
        ledger.journal, ledger.settle, ledger.roll_back = plain, None, None
