"""Persisting a programme: its definition and event log in a `Store`, and restoring it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import TypeVar

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
from .._storage.stores import Store
from ..exceptions import MentorflowError, SerializationError, ValidationError
from .replay import Replayable, replay
from .transaction import Ledger

P = TypeVar("P", bound=Replayable)


class Journal:
    """Writes each change's events to the store before the change is made."""

    __slots__ = ("key", "ledger", "store")

    def __init__(self, store: Store, key: str, ledger: Ledger) -> None:
        self.store = store
        self.key = key
        self.ledger = ledger

    def __call__(self, events: Sequence[Event]) -> None:
        self.store.append(
            self.key, [dump_event(e) for e in events], expected_version=self.ledger.seq
        )


def persist(ledger: Ledger, definition: Definition, store: Store, key: str) -> None:
    """Save a programme (its definition and its ledger's history) under ``key``; journal
    every later change."""
    _check_store(store, key)
    if ledger.journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    store.create(key, dump_definition(definition), [dump_event(e) for e in ledger.events])
    ledger.journal = Journal(store, key, ledger)


def restore(
    store: Store, key: str, build: Callable[[Definition], P], *, pause_gc: bool = True
) -> P:
    """The programme stored under ``key``, rebuilt by replaying its log (not journaling yet:
    see `journal`).

    Args:
        build: Makes a new programme of the stored definition.
        pause_gc: Pause the cyclic garbage collector while loading. Loading builds millions of
            objects that all stay alive: the collector would scan them again and again (a third
            of the time for a million events) for nothing. It is switched back on as it was,
            whatever happens.
    """
    collecting = pause_gc and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _restore(store, key, build)
    finally:
        if collecting:
            gc.enable()


def _check_store(store: object, key: object) -> None:
    if not isinstance(store, Store):
        raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
    if not isinstance(key, str):
        raise ValidationError("key", f"must be a string, not {type(key).__name__}")


def _restore(store: Store, key: str, build: Callable[[Definition], P]) -> P:
    _check_store(store, key)
    log = store.read(key)
    definition = read_definition(log.definition, f"{key}.definition")
    try:
        programme = build(definition)
    except MentorflowError as err:
        field = getattr(err, "field", "")
        raise SerializationError(
            f"{key}.definition.{field}", str(getattr(err, "problem", err))
        ) from None
    documents = list(log.events)
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
    return programme


def journal(ledger: Ledger, store: Store, key: str) -> None:
    """Write the programme's changes to ``store`` under ``key`` from now on (it holds them all
    so far: the programme was restored from it)."""
    ledger.journal = Journal(store, key, ledger)
