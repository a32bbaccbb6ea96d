"""`SQLiteStore`: programmes in one SQLite database."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence

from .._codec.serialize import SCHEMA
from ..exceptions import ConcurrencyError, CorruptStoreError, StoreError, UnknownProgrammeError
from .base import Document, Store, StoredLog, _check_batch, _check_key, _dumps


class SQLiteStore(Store):
    """Programmes in one SQLite database (the standard library's ``sqlite3``): the embedded
    default. WAL journal, ``synchronous=FULL`` (an acknowledged append survives a power loss),
    and ``BEGIN IMMEDIATE`` transactions, so several processes can share the file.

    Args:
        path: The database file (``":memory:"`` for a private, in-memory database).
        timeout: How long to wait, in seconds, for another process's transaction.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = str(path)
        with self._errors():
            self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(
                """
            CREATE TABLE IF NOT EXISTS programmes (
                key TEXT PRIMARY KEY,
                definition TEXT NOT NULL,
                version INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS events (
                key TEXT NOT NULL,
                seq INTEGER NOT NULL,
                schema INTEGER NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (key, seq)
            ) WITHOUT ROWID;
            """
            )

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: {err}") from err

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        _check_key(key)
        _check_batch(key, events, 0)
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO programmes (key, definition, version) VALUES (?, ?, ?)",
                    (key, _dumps(definition), len(events)),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"programme {key!r} exists already") from None
            self._insert(key, events)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; anything raised rolls back."""
        db = self._db
        with self._errors():
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    def _insert(self, key: str, events: Sequence[Document]) -> None:
        self._db.executemany(
            "INSERT INTO events (key, seq, schema, body) VALUES (?, ?, ?, ?)",
            [(key, e["seq"], SCHEMA, _dumps(e)) for e in events],
        )

    def read(self, key: str) -> StoredLog:
        db = self._db
        with self._errors():
            db.execute("BEGIN")  # one consistent snapshot of definition and events
            try:
                row = db.execute(
                    "SELECT definition, version FROM programmes WHERE key = ?", (key,)
                ).fetchone()
                rows = db.execute(
                    "SELECT seq, schema, body FROM events WHERE key = ? ORDER BY seq", (key,)
                ).fetchall()
            finally:
                db.execute("COMMIT")
        if row is None:
            raise UnknownProgrammeError(key)
        where = f"{self.path}: programme {key!r}"
        try:
            definition = json.loads(row[0])
        except ValueError as err:
            raise CorruptStoreError(f"{where}, definition", f"not JSON ({err})") from None
        for index, (seq, _schema, _body) in enumerate(rows, start=1):
            if seq != index:
                raise CorruptStoreError(f"{where}, event {index}", f"missing (found {seq} next)")
        events: list[Document]
        try:  # one decode of all rows is about 3x faster than one per row
            events = json.loads("[" + ",".join(r[2] for r in rows) + "]")
        except ValueError:
            events = []
            for seq, _schema, body in rows:  # find the damaged row, to name it
                try:
                    events.append(json.loads(body))
                except ValueError as err:
                    raise CorruptStoreError(f"{where}, event {seq}", f"not JSON ({err})") from None
        if len(events) != len(rows) or not all(isinstance(e, dict) for e in events):
            raise CorruptStoreError(where, "an event is not a JSON object")
        if len(events) != row[1]:
            raise CorruptStoreError(where, f"holds {len(events)} events but says {row[1]}")
        return StoredLog(definition, events, [r[1] for r in rows])

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        with self._transaction() as db:
            row = db.execute("SELECT version FROM programmes WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise UnknownProgrammeError(key)
            if row[0] != expected_version:
                raise ConcurrencyError(key, expected_version, row[0])
            _check_batch(key, events, expected_version)
            self._insert(key, events)
            new = expected_version + len(events)
            db.execute("UPDATE programmes SET version = ? WHERE key = ?", (new, key))
        return new

    def version(self, key: str) -> int:
        with self._errors():
            row = self._db.execute(
                "SELECT version FROM programmes WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            raise UnknownProgrammeError(key)
        return int(row[0])

    def keys(self) -> list[str]:
        with self._errors():
            return [r[0] for r in self._db.execute("SELECT key FROM programmes ORDER BY key")]
