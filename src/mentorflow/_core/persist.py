"""Persisting a programme: its definition and event log in a `Store`, and restoring it.

Every event record carries the digest of the record before (`mentorflow._codec.chain`): the
journal links each batch to the last record written, and a restore (or a refresh) checks the
chain before it reads a single event. Beside the record of a command's first event, the
command's idempotency key, if it had one (``command_key``).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from .._codec import chain
from .._codec.serialize import (
    SCHEMA,
    dump_definition,
    dump_event,
    load_event,
    read_definition,
    upgrade_events,
)
from .._domain.definition import Definition
from .._domain.events import Event
from .._domain.validate import show
from .._storage.stores import Store, StoredLog
from ..exceptions import (
    ConcurrencyError,
    CorruptStoreError,
    MentorflowError,
    SerializationError,
    ValidationError,
)
from .hooks import Hooks
from .projection import Projection, touched
from .replay import Replayable, replay
from .transaction import Ledger

P = TypeVar("P", bound=Replayable)

logger = logging.getLogger("mentorflow")

KEY = "command_key"
"""Beside the document of a command's first event: the command's idempotency key."""


class Journal:
    """Writes each change's events to the store before the change is made."""

    __slots__ = ("key", "last", "store")

    def __init__(self, store: Store, key: str, last: str) -> None:
        self.store = store
        self.key = key
        self.last = last  # the digest of the last record written: the next one carries it

    def __call__(self, events: Sequence[Event], keys: Mapping[int, str]) -> None:
        documents, last = chain.link(dump_events(events, keys), self.last)
        # the log must stand just before the first of them (optimistic concurrency)
        expected = events[0].seq - 1
        try:
            self.store.append(self.key, documents, expected_version=expected)
        except ConcurrencyError as conflict:
            logger.warning("%s: %s", self.key, conflict)
            raise
        self.last = last


class ReadJournal(Journal):
    """A journal whose store keeps a read model: the append's transaction stays open while
    the change is applied, then `settle` writes the rows the change touched in it and commits
    (events and rows: one transaction)."""

    __slots__ = ("next", "open", "project")

    def __init__(
        self, store: Store, key: str, last: str, project: Callable[[set[str] | None], Projection]
    ) -> None:
        super().__init__(store, key, last)
        self.project = project
        self.open: Any = None
        self.next = last

    def __call__(self, events: Sequence[Event], keys: Mapping[int, str]) -> None:
        if self.open is not None:  # a change that failed while applied: never committed
            self.open.abort()
            self.open = None
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
            StoreError: the commit failed: the programme holds a change the store does not
                (restore it).
        """
        opened, self.open = self.open, None
        rows = self.project(touched(events))
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
    project: Callable[[set[str] | None], Projection] | None = None,
) -> None:
    """Save a programme (its definition and its ledger's history) under ``key``; journal
    every later change (and, with ``project``, keep the store's read model in step)."""
    _check_store(store, key)
    if ledger.journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    document = dump_definition(definition)
    events, last = chain.link(dump_events(ledger.events, ledger.keyed), chain.digest(document))
    store.create(key, document, events)
    journal(ledger, store, key, last, project)
    if ledger.settle is not None and project is not None:
        rows = project(None)
        store.readmodel_put(key, rows.version, rows.pairs, rows.deadlines)  # type: ignore[attr-defined]


def restore(
    store: Store,
    key: str,
    build: Callable[[Definition], P],
    *,
    pause_gc: bool = False,
    expected_version: int | None = None,
) -> tuple[P, str]:
    """The programme stored under ``key``, rebuilt by replaying its log (not journaling yet:
    see `journal`), and the digest of its last record.

    Args:
        build: Makes a new programme of the stored definition.
        pause_gc: Pause the cyclic garbage collector while loading, only if the caller asks
            (it is process-wide). Loading builds millions of objects that all stay alive: the
            collector would scan them again and again (a third of the time for a million
            events) for nothing. It is switched back on as it was, whatever happens.
        expected_version: The version the caller last saw: a log holding fewer events is
            refused (records removed from the end can't be told from a crash otherwise).

    Raises:
        CorruptStoreError: a broken chain of digests, or fewer events than expected.
    """
    collecting = pause_gc and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _restore(store, key, build, expected_version)
    finally:
        if collecting:
            gc.enable()


def _check_store(store: object, key: object) -> None:
    if not isinstance(store, Store):
        raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
    if not isinstance(key, str):
        raise ValidationError("key", f"must be a string, not {type(key).__name__}")


def _restore(
    store: Store, key: str, build: Callable[[Definition], P], expected_version: int | None
) -> tuple[P, str]:
    _check_store(store, key)
    if expected_version is not None and (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 0
    ):
        raise ValidationError(
            "expected_version", f"must be a whole number >= 0, not {show(expected_version)}"
        )
    log = store.read(key)
    if expected_version is not None and len(log.events) < expected_version:
        raise CorruptStoreError(
            key,
            f"holds {len(log.events)} events, fewer than the {expected_version} expected: "
            "events were removed from its end (or their writes were lost)",
        )
    if not isinstance(log.definition, Mapping):
        raise SerializationError(f"{key}.definition", "must be a mapping")
    linked, last = chain.unlink(log.definition, log.events, f"{key}.events")
    definition = read_definition(log.definition, f"{key}.definition")
    try:
        programme = build(definition)
    except MentorflowError as err:
        field = getattr(err, "field", "")
        raise SerializationError(
            f"{key}.definition.{field}", str(getattr(err, "problem", err))
        ) from None
    events, keys = _events(log, linked, definition, key)
    replay(programme, events, keys)
    logger.info("%s: restored from %d events", key, len(events))
    return programme, last


def _events(
    log: StoredLog, linked: Sequence[Mapping[str, Any]], definition: Definition, key: str
) -> tuple[list[Event], dict[int, str]]:
    """The events of ``log`` (its ``linked`` documents, checked and without their digests),
    each upgraded from the schema it was written with, and the idempotency keys kept beside
    them (by seq)."""
    documents = list(linked)
    for seq, schema in enumerate(log.schemas, start=log.after + 1):
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise CorruptStoreError(
                f"{key}.events[seq {seq}]", f"its schema is {show(schema)}, not a whole number"
            )
    for schema in sorted(set(log.schemas)):
        if schema != SCHEMA:
            at = [i for i, s in enumerate(log.schemas) if s == schema]
            where = f"{key}.events[seq {log.after + at[0] + 1}]"
            upgraded = upgrade_events(
                [documents[i] for i in at], schema, definition.timezone, where
            )
            for i, doc in zip(at, upgraded, strict=True):
                documents[i] = doc
    keys: dict[int, str] = {}
    for i, doc in enumerate(documents):
        if isinstance(doc, Mapping) and KEY in doc:
            seq = log.after + i + 1
            found = doc[KEY]
            if not isinstance(found, str) or not found:
                raise SerializationError(f"{key}.events[seq {seq}].{KEY}", "must be a key")
            keys[seq] = found
            documents[i] = {k: v for k, v in doc.items() if k != KEY}
    events = [
        load_event(doc, f"{key}.events[seq {i}]") for i, doc in enumerate(documents, log.after + 1)
    ]
    return events, keys


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
    linked, last = chain.unlink_after(journal.last, log.events, seen + 1, f"{journal.key}.events")
    events, keys = _events(log, linked, definition, journal.key)
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
    linked, _ = chain.unlink_after(previous, documents, after + 1, where, chained=chained)
    definition = read_definition(log.definition, f"{key}.definition")
    new = StoredLog(log.definition, documents, schemas, after)
    return _events(new, linked, definition, key)[0]


def journal(
    ledger: Ledger,
    store: Store,
    key: str,
    last: str,
    project: Callable[[set[str] | None], Projection] | None = None,
) -> None:
    """Write the programme's changes to ``store`` under ``key`` from now on (it holds them all
    so far, the last with digest ``last``: the programme was restored from it); with
    ``project``, and a store that keeps a read model, its rows in the same transactions."""
    if project is not None and store.readmodel_enabled():
        read = ReadJournal(store, key, last, project)
        ledger.journal, ledger.settle = read, read.settle
    else:
        ledger.journal, ledger.settle = Journal(store, key, last), None
