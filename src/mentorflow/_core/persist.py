"""Persisting a programme: its definition and event log in a `Store`, and restoring it.

Every event record carries the digest of the record before (`mentorflow._codec.chain`): the
journal links each batch to the last record written, and a restore checks the chain before it
reads a single event.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

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
from .._storage.stores import Store
from ..exceptions import CorruptStoreError, MentorflowError, SerializationError, ValidationError
from .replay import Replayable, replay
from .transaction import Ledger

P = TypeVar("P", bound=Replayable)


class Journal:
    """Writes each change's events to the store before the change is made."""

    __slots__ = ("key", "last", "ledger", "store")

    def __init__(self, store: Store, key: str, ledger: Ledger, last: str) -> None:
        self.store = store
        self.key = key
        self.ledger = ledger
        self.last = last  # the digest of the last record written: the next one carries it

    def __call__(self, events: Sequence[Event]) -> None:
        documents, last = chain.link([dump_event(e) for e in events], self.last)
        self.store.append(self.key, documents, expected_version=self.ledger.seq)
        self.last = last


def persist(ledger: Ledger, definition: Definition, store: Store, key: str) -> None:
    """Save a programme (its definition and its ledger's history) under ``key``; journal
    every later change."""
    _check_store(store, key)
    if ledger.journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    document = dump_definition(definition)
    events, last = chain.link([dump_event(e) for e in ledger.events], chain.digest(document))
    store.create(key, document, events)
    ledger.journal = Journal(store, key, ledger, last)


def restore(
    store: Store,
    key: str,
    build: Callable[[Definition], P],
    *,
    pause_gc: bool = True,
    expected_version: int | None = None,
) -> tuple[P, str]:
    """The programme stored under ``key``, rebuilt by replaying its log (not journaling yet:
    see `journal`), and the digest of its last record.

    Args:
        build: Makes a new programme of the stored definition.
        pause_gc: Pause the cyclic garbage collector while loading. Loading builds millions of
            objects that all stay alive: the collector would scan them again and again (a third
            of the time for a million events) for nothing. It is switched back on as it was,
            whatever happens.
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
    documents = list(linked)
    for seq, schema in enumerate(log.schemas, start=1):
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise CorruptStoreError(
                f"{key}.events[seq {seq}]", f"its schema is {show(schema)}, not a whole number"
            )
    for schema in sorted(set(log.schemas)):
        if schema != SCHEMA:
            at = [i for i, s in enumerate(log.schemas) if s == schema]
            where = f"{key}.events[seq {at[0] + 1}]"
            upgraded = upgrade_events(
                [documents[i] for i in at], schema, definition.timezone, where
            )
            for i, doc in zip(at, upgraded, strict=True):
                documents[i] = doc
    events = [load_event(doc, f"{key}.events[seq {i}]") for i, doc in enumerate(documents, 1)]
    replay(programme, events)
    return programme, last


def journal(ledger: Ledger, store: Store, key: str, last: str) -> None:
    """Write the programme's changes to ``store`` under ``key`` from now on (it holds them all
    so far, the last with digest ``last``: the programme was restored from it)."""
    ledger.journal = Journal(store, key, ledger, last)
