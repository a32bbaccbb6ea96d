"""Persisting a programme: its definition and event log in a `Store`, and restoring it."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._clock import Clock
from ._events import Event
from ._replay import replay
from ._serialize import (
    SCHEMA,
    dump_definition,
    dump_event,
    load_definition,
    load_event,
    upgrade_events,
)
from ._stores import Store
from .exceptions import MentorflowError, SerializationError, ValidationError

if TYPE_CHECKING:
    from ._programme import Programme


class Journal:
    """Writes each change's events to the store before the change is made."""

    __slots__ = ("key", "programme", "store")

    def __init__(self, store: Store, key: str, programme: Programme) -> None:
        self.store = store
        self.key = key
        self.programme = programme

    def __call__(self, events: Sequence[Event]) -> None:
        self.store.append(
            self.key, [dump_event(e) for e in events], expected_version=self.programme._seq
        )


def persist(programme: Programme, store: Store, key: str) -> None:
    """Save ``programme`` (definition and history) under ``key``; journal every later change."""
    if not isinstance(store, Store):
        raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
    if programme._journal is not None:
        raise ValidationError("store", "the programme is persisted already")
    store.create(key, dump_definition(programme), [dump_event(e) for e in programme._history])
    programme._journal = Journal(store, key, programme)


def restore(store: Store, key: str, clock: Clock | None) -> Programme:
    """The programme stored under ``key``, rebuilt by replaying its log, and journaling again."""
    # Loading builds millions of objects that all stay alive: the cyclic garbage collector
    # would scan them again and again (a third of the time for a million events) for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _restore(store, key, clock)
    finally:
        if collecting:
            gc.enable()


def _restore(store: Store, key: str, clock: Clock | None) -> Programme:
    from ._programme import Programme

    log = store.read(key)
    kwargs = load_definition(log.definition, f"{key}.definition")
    try:
        programme = Programme(clock=clock, **kwargs)
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
            upgraded = upgrade_events([documents[i] for i in at], schema, kwargs["timezone"], where)
            for i, doc in zip(at, upgraded, strict=True):
                documents[i] = doc
    events = [load_event(doc, f"{key}.events[seq {i}]") for i, doc in enumerate(documents, 1)]
    replay(programme, events)
    programme._journal = Journal(store, key, programme)
    return programme
