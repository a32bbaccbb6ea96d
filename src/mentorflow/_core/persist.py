"""Persisting a programme: its definition and event log in a `Store`, and restoring it."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._codec.serialize import (
    SCHEMA,
    dump_definition,
    dump_event,
    load_event,
    read_definition,
    upgrade_events,
)
from .._domain.clock import Clock
from .._domain.events import Event
from .._storage.stores import Store
from ..exceptions import MentorflowError, SerializationError, ValidationError
from .replay import replay
from .transaction import Ledger

if TYPE_CHECKING:
    from .programme import Programme
    from .runtime import Runtime


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


def persist(runtime: Runtime, store: Store, key: str) -> None:
    """Save the programme (definition and history) under ``key``; journal every later change."""
    if not isinstance(store, Store):
        raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
    ledger = runtime.ledger
    if ledger.journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    store.create(key, dump_definition(runtime.definition), [dump_event(e) for e in ledger.events])
    ledger.journal = Journal(store, key, ledger)


def restore(store: Store, key: str, clock: Clock | None, *, pause_gc: bool = True) -> Programme:
    """The programme stored under ``key``, rebuilt by replaying its log (not journaling yet:
    see `journal`).

    Args:
        pause_gc: Pause the cyclic garbage collector while loading. Loading builds millions of
            objects that all stay alive: the collector would scan them again and again (a third
            of the time for a million events) for nothing. It is switched back on as it was,
            whatever happens.
    """
    collecting = pause_gc and gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _restore(store, key, clock)
    finally:
        if collecting:
            gc.enable()


def _restore(store: Store, key: str, clock: Clock | None) -> Programme:
    from .programme import Programme

    log = store.read(key)
    definition = read_definition(log.definition, f"{key}.definition")
    try:
        programme = Programme.from_definition(definition, clock=clock)
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


def journal(runtime: Runtime, store: Store, key: str) -> None:
    """Write the programme's changes to ``store`` under ``key`` from now on (it holds them all
    so far: the programme was restored from it)."""
    runtime.ledger.journal = Journal(store, key, runtime.ledger)
