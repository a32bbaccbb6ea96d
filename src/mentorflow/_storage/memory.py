"""`MemoryStore`: programmes in the process's memory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence

import attrs

from .._codec.serialize import SCHEMA
from ..exceptions import (
    ArchivedProgrammeError,
    ConcurrencyError,
    LeaseLost,
    StoreError,
    UnknownProgrammeError,
)
from .base import (
    KEEP_SNAPSHOTS,
    Document,
    Store,
    StoredLog,
    check_after,
    check_batch,
    check_consumer,
    check_key,
    check_snapshot_version,
    dumps,
    linked_text,
    loads,
    may_take,
    unknown_snapshot,
)


def _line(event: Document) -> str:
    """An event as the store keeps it: its JSON, with the schema it was written with
    (``$schema``, added last: it wins over a field of that name, as it did when the document
    was copied with it), from the text `chain.link` made where the record holds one (a
    JSON object with fields: the seq, at least)."""
    text = linked_text(event)
    if text is None:
        return dumps({**event, "$schema": SCHEMA})
    return f'{text[:-1]},"$schema":{SCHEMA}}}'


class MemoryStore(Store):
    """Everything in memory: for tests and short-lived scripts. Documents are copied in and out
    (through JSON), so nothing outside can change what is stored.

    Threads: one lock guards the store, held by every call from its first check to its last
    change, so an append's version check and the append are one step for the other threads
    (and a read never sees half a batch). Processes: none; the store lives in one process.
    """

    def __init__(self) -> None:
        self._logs: dict[str, tuple[str, list[str]]] = {}
        self._snapshots: dict[str, dict[int, str]] = {}
        self._archived: set[str] = set()
        self._lock = threading.Lock()
        # the outbox: (consumer, key) -> its position and lease
        self._outbox: dict[tuple[str, str], _Place] = {}

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        check_key(key)
        check_batch(key, events, 0)
        # encoded before the lock is taken: the lock is held for dict operations only
        record = (dumps(definition), [_line(e) for e in events])
        with self._lock:
            if key in self._logs:
                raise StoreError(f"programme {key!r} exists already")
            self._logs[key] = record

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        with self._lock:
            definition, log = self._get(key)
            check_after(key, after, len(log))
            events = log[after:]  # a copy: later appends don't change it
        docs = [json.loads(e) for e in events]
        return StoredLog(json.loads(definition), docs, [d.pop("$schema") for d in docs], after)

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        check_batch(key, events, expected_version)
        lines = [_line(e) for e in events]
        with self._lock:
            _, log = self._get(key)
            if key in self._archived:
                raise ArchivedProgrammeError(key)
            if len(log) != expected_version:
                raise ConcurrencyError(key, expected_version, len(log))
            log.extend(lines)
            return len(log)

    def version(self, key: str) -> int:
        with self._lock:
            return len(self._get(key)[1])

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._logs)

    def delete(self, key: str) -> None:
        with self._lock:
            self._get(key)
            if key in self._archived:
                raise ArchivedProgrammeError(key)
            del self._logs[key]
            self._snapshots.pop(key, None)

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        text = dumps(document)
        with self._lock:
            _, log = self._get(key)
            if key in self._archived:
                raise ArchivedProgrammeError(key)
            check_snapshot_version(key, version, len(log))
            kept = self._snapshots.setdefault(key, {})
            kept[version] = text
            for old in sorted(kept, reverse=True)[KEEP_SNAPSHOTS:]:
                del kept[old]

    def snapshots(self, key: str) -> list[int]:
        with self._lock:
            self._get(key)
            return sorted(self._snapshots.get(key, ()), reverse=True)

    def read_snapshot(self, key: str, version: int) -> Document:
        check_snapshot_version(key, version)
        with self._lock:
            self._get(key)
            text = self._snapshots.get(key, {}).get(version)
        if text is None:
            raise unknown_snapshot(key, version)
        document: Document = loads(text, f"{key}: snapshot {version}")
        return document

    def archive(self, key: str) -> None:
        with self._lock:
            self._get(key)
            self._archived.add(key)

    def unarchive(self, key: str) -> None:
        with self._lock:
            self._get(key)
            self._archived.discard(key)

    def archived(self) -> list[str]:
        with self._lock:
            return sorted(self._archived)

    # -- the outbox (in memory too: the lease's clock is this process's monotonic one) ----

    def outbox_claim(self, consumer: str, key: str, holder: str, lease: float) -> int | None:
        check_consumer(consumer)
        with self._lock:
            self._get(key)
            place = self._outbox.setdefault((consumer, key), _Place())
            now = time.monotonic()
            if not may_take(place.holder, holder, now > place.until):
                return None
            place.holder, place.until = holder, now + lease
            return place.position

    def outbox_advance(
        self, consumer: str, key: str, holder: str, position: int, lease: float
    ) -> None:
        with self._lock:
            place = self._outbox.get((consumer, key))
            if place is None or place.holder != holder:
                raise LeaseLost(f"{consumer} on {key!r}: the lease was taken by another holder")
            place.position, place.until = position, time.monotonic() + lease

    def outbox_release(self, consumer: str, key: str, holder: str) -> None:
        with self._lock:
            place = self._outbox.get((consumer, key))
            if place is not None and place.holder == holder:
                place.holder = None

    def outbox_positions(self, consumer: str) -> dict[str, int]:
        check_consumer(consumer)
        with self._lock:
            return {k: p.position for (c, k), p in self._outbox.items() if c == consumer}

    def _get(self, key: str) -> tuple[str, list[str]]:
        try:
            return self._logs[key]
        except (KeyError, TypeError):
            raise UnknownProgrammeError(key) from None


@attrs.define
class _Place:
    """A consumer's position on a programme, and who holds its lease until when."""

    position: int = 0
    holder: str | None = None
    until: float = 0.0
