"""Stores: where a programme's definition and event log live.

Four stores pass one contract (``tests/test_stores.py``): `MemoryStore`, `JsonLinesStore` (a
file per programme), `SQLiteStore` (the embedded default, stdlib ``sqlite3``) and
`PostgresStore` (a server, for several hosts; psycopg is an optional extra). All of them:

* keep, per programme key, a definition document and an ordered log of event documents;
* append a batch of events atomically, and durably before returning (an acknowledged append
  survives a crash);
* use optimistic concurrency: an append names the version it expects (the number of events it
  has seen) and fails with `ConcurrencyError`, changing nothing, if another writer got there
  first;
* refuse damaged data with `CorruptStoreError` naming the line or record, and never modify what
  is stored when a load or an append fails.
"""

from __future__ import annotations

from .base import ChunkedLog, Document, LogChunk, Store, StoredLog
from .jsonl import JsonLinesStore
from .memory import MemoryStore
from .postgres import PostgresStore, StoreChange, StoreWatch
from .sqlite import SQLiteStore

__all__ = [
    "ChunkedLog",
    "Document",
    "JsonLinesStore",
    "LogChunk",
    "MemoryStore",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StoreChange",
    "StoreWatch",
    "StoredLog",
]
