"""`MemoryStore`: programmes in the process's memory."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .._codec.serialize import SCHEMA
from ..exceptions import ConcurrencyError, StoreError, UnknownProgrammeError
from .base import Document, Store, StoredLog, _check_batch, _check_key, _dumps


class MemoryStore(Store):
    """Everything in memory: for tests and short-lived scripts. Documents are copied in and out
    (through JSON), so nothing outside can change what is stored."""

    def __init__(self) -> None:
        self._logs: dict[str, tuple[str, list[str]]] = {}

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        if _check_key(key) in self._logs:
            raise StoreError(f"programme {key!r} exists already")
        _check_batch(key, events, 0)
        self._logs[key] = (_dumps(definition), [_dumps({**e, "$schema": SCHEMA}) for e in events])

    def read(self, key: str) -> StoredLog:
        definition, events = self._get(key)
        docs = [json.loads(e) for e in events]
        return StoredLog(json.loads(definition), docs, [d.pop("$schema") for d in docs])

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        _, log = self._get(key)
        if len(log) != expected_version:
            raise ConcurrencyError(key, expected_version, len(log))
        _check_batch(key, events, expected_version)
        log.extend(_dumps({**e, "$schema": SCHEMA}) for e in events)
        return len(log)

    def version(self, key: str) -> int:
        return len(self._get(key)[1])

    def keys(self) -> list[str]:
        return sorted(self._logs)

    def _get(self, key: str) -> tuple[str, list[str]]:
        try:
            return self._logs[key]
        except KeyError:
            raise UnknownProgrammeError(key) from None
