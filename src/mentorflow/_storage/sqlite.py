"""`SQLiteStore`: programmes in one SQLite database."""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import urllib.parse
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .._codec.serialize import SCHEMA
from ..exceptions import (
    ArchivedProgrammeError,
    ConcurrencyError,
    CorruptStoreError,
    LeaseLost,
    StoreError,
    StoreSchemaError,
    StoreUnavailableError,
    UnknownProgrammeError,
)
from . import readmodel
from .base import (
    CHUNK,
    KEEP_SNAPSHOTS,
    ChunkedLog,
    Document,
    Store,
    StoredLog,
    check_after,
    check_batch,
    check_consumer,
    check_key,
    check_snapshot_version,
    chunks_of,
    decode_definition,
    decode_rows,
    dumps,
    loads,
    may_take,
    record_text,
    unknown_snapshot,
)

APPLICATION_ID = 0x6D666C77  # "mflw" in the file's header: this file is a mentorflow store
LAYOUT = 1
"""The version of the store's tables, in ``PRAGMA user_version`` (0 in files written before
it was kept: the same tables)."""

_TABLES = {
    "programmes": ["key", "definition", "version"],
    "events": ["key", "seq", "schema", "body"],
}
_DDL = """
CREATE TABLE programmes (
    key TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE events (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    schema INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;
"""
# Snapshots and the archive, in tables of their own that older mentorflows don't read (and
# don't refuse): made by the first snapshot or archive, so opening a store never writes.
_EXTRA_DDL = """
CREATE TABLE IF NOT EXISTS snapshots (
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (key, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS archived (
    key TEXT PRIMARY KEY
) WITHOUT ROWID;
"""
_HAS_EXTRA = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'archived'"


class _Connection:
    """A thread's connection (a holder, since an ``sqlite3.Connection`` takes no weak
    reference): when the thread ends, its holder goes, and with it the connection."""

    __slots__ = ("__weakref__", "db", "pid")

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.pid = os.getpid()


class SQLiteStore(Store):
    """Programmes in one SQLite database (the standard library's ``sqlite3``): the embedded
    default. WAL journal, ``synchronous=FULL`` (an acknowledged append survives a power loss),
    and ``BEGIN IMMEDIATE`` transactions, so several processes can share the file.

    Threads: one connection per thread, opened the first time the thread uses the store and
    closed when the thread ends (or by `close`). SQLite then does what it does for processes:
    readers of the WAL don't wait for each other or for a writer, and writers take turns
    (each waits up to ``timeout`` for the others). A connection behind a lock would serialise
    the readers too, and an SQLite connection must not be used by two threads at once. The
    exception is ``":memory:"``, a database private to one connection: that one connection is
    shared, behind a lock. A process that forks opens new connections in the child.

    Snapshots and the archive live in tables of their own (``snapshots``, ``archived``), made
    by the first snapshot or archive: an older mentorflow reads such a file as before.

    Opening never writes to a file that is not a whole mentorflow store: an empty file,
    another database, a file cut short or one whose tables are missing is refused (a
    `CorruptStoreError`, or `StoreSchemaError` for a newer layout), byte for byte as it was.

    Args:
        path: The database file (``":memory:"`` for a private, in-memory database).
        create: None (the default) opens the store at ``path``, or creates one if nothing is
            there; False only opens (`StoreUnavailableError` if there is no file); True only
            creates (a `StoreError` if the file exists and is not empty).
        timeout: How long to wait, in seconds, for another writer's transaction.

    Raises:
        StoreUnavailableError: ``create=False`` and no file, or a file that can't be opened.
        CorruptStoreError: the file is not a mentorflow store, or is damaged.
        StoreSchemaError: the store was written by a newer mentorflow.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, create: bool | None = None, timeout: float = 30.0
    ) -> None:
        self.path = str(path)
        self._timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()  # guards _connections (and the one :memory: connection)
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._closed = False
        self._shared: _Connection | None = None
        if self.path == ":memory:":
            db = self._connect("rwc")
            self._shared = _Connection(db)
            self._create(db)
            return
        self._uri = "file:" + urllib.parse.quote(Path(self.path).absolute().as_posix())
        exists = os.path.lexists(self.path)
        if exists and create is True and os.path.getsize(self.path):
            raise StoreError(f"{self.path}: exists already; open it with create=False")
        if not exists and create is False:
            raise StoreUnavailableError(
                f"{self.path}: no such file; SQLiteStore(path, create=True) creates a store"
            )
        if exists and create is not True:
            self._check_header()
        db = self._connect("rw" if exists else "rwc")
        try:
            with self._errors():
                if not self._tables(db) and (create is True or not exists):
                    self._create(db)
                self._check_layout(db)
                if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    db.execute("PRAGMA journal_mode=WAL")
        except BaseException:
            db.close()
            raise
        self._adopt(db)

    # -- opening ---------------------------------------------------------------------------

    def _connect(self, mode: str) -> sqlite3.Connection:
        """A new connection: ``mode`` rw opens an existing file only, rwc may create it."""
        with self._errors():
            if self.path == ":memory:":
                target, uri = ":memory:", False
            else:
                target, uri = f"{self._uri}?mode={mode}", True
            db = sqlite3.connect(
                target,
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,  # only to let close() close every thread's
                uri=uri,
            )
            try:
                db.execute("PRAGMA synchronous=FULL")
            except BaseException:
                db.close()
                raise
        return db

    def _check_header(self) -> None:
        """Refuse, before SQLite opens it (and could write to it), a file that is not an
        SQLite database at all: SQLite takes an empty or cut-short file for a new one."""
        try:
            with open(self.path, "rb") as file:
                header = file.read(100)
        except OSError as err:
            raise StoreUnavailableError(f"{self.path}: {err.strerror or err}") from None
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            what = "empty" if not header else f"{len(header)} bytes" if len(header) < 100 else ""
            raise CorruptStoreError(
                self.path,
                f"not an SQLite database ({what or 'another kind of file'}); nothing was "
                "changed (SQLiteStore(path, create=True) makes a store in an empty file)",
            )

    @staticmethod
    def _tables(db: sqlite3.Connection) -> dict[str, list[str]]:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        query = "SELECT name FROM pragma_table_info(?) ORDER BY cid"
        return {n: [c[0] for c in db.execute(query, (n,))] for n in names}

    def _create(self, db: sqlite3.Connection) -> None:
        """Make the tables, in one transaction, if another process hasn't meanwhile."""
        db.execute("BEGIN IMMEDIATE")
        try:
            if not self._tables(db):
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                db.execute(f"PRAGMA user_version={LAYOUT}")
                for statement in _DDL.split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _check_layout(self, db: sqlite3.Connection) -> None:
        """Refuse a database that is not a mentorflow store of a layout this one knows."""
        application = db.execute("PRAGMA application_id").fetchone()[0]
        layout = db.execute("PRAGMA user_version").fetchone()[0]
        if application not in (0, APPLICATION_ID):
            raise CorruptStoreError(
                self.path, f"not a mentorflow store (another application's, id {application})"
            )
        if application == APPLICATION_ID and layout > LAYOUT:
            raise StoreSchemaError(self.path, layout, LAYOUT)
        tables = self._tables(db)
        for name, columns in _TABLES.items():
            if tables.get(name) != columns:
                found = "missing" if name not in tables else f"has columns {tables[name]}"
                raise CorruptStoreError(
                    self.path,
                    f"not a mentorflow store: table {name!r} {found}, not {columns}; "
                    "nothing was changed",
                )

    def _adopt(self, db: sqlite3.Connection) -> None:
        """Make ``db`` this thread's connection."""
        holder = _Connection(db)
        with self._lock:
            self._connections.add(holder)
        self._local.connection = holder

    # -- connections -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (the shared one, locked, for ``:memory:``)."""
        if self._closed:
            raise StoreError(f"{self.path}: the store is closed")
        if self._shared is not None:
            with self._lock:
                yield self._shared.db
            return
        holder: _Connection | None = getattr(self._local, "connection", None)
        if holder is None or holder.pid != os.getpid():
            self._adopt(self._connect("rw"))
            holder = self._local.connection
        assert holder is not None
        yield holder.db

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as err:
            text = str(err)
            if isinstance(err, sqlite3.OperationalError) and "unable to open" in text:
                raise StoreUnavailableError(f"{self.path}: {text}") from err
            if "malformed" in text or "not a database" in text:
                raise CorruptStoreError(self.path, f"the database is damaged ({text})") from err
            raise StoreError(f"{self.path}: {text}") from err
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: {err}") from err

    def close(self) -> None:
        """Close every thread's connection to the database; the store can't be used after."""
        with self._lock:
            self._closed = True
            holders = list(self._connections)
            if self._shared is not None:
                holders.append(self._shared)
            self._connections = weakref.WeakSet()
        for holder in holders:
            holder.db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (or ``begin``) ... ``COMMIT``; anything raised rolls back."""
        with self._db() as db, self._errors():
            db.execute(begin)
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    # -- the contract ------------------------------------------------------------------------

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        check_key(key)
        check_batch(key, events, 0)
        rows = self._rows(key, events)
        with self._transaction() as db:
            try:
                db.execute(
                    "INSERT INTO programmes (key, definition, version) VALUES (?, ?, ?)",
                    (key, dumps(definition), len(events)),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"programme {key!r} exists already") from None
            db.executemany("INSERT INTO events (key, seq, schema, body) VALUES (?, ?, ?, ?)", rows)

    @staticmethod
    def _rows(key: str, events: Sequence[Document]) -> list[tuple[str, int, int, str]]:
        # canonical JSON: a restore digests the stored text as it is (see chain.Checker)
        return [(key, e["seq"], SCHEMA, record_text(e)) for e in events]

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        check_after(key, after)
        # one transaction: one consistent snapshot of the definition and the events
        with self._transaction("BEGIN") as db:
            row = db.execute(
                "SELECT definition, version FROM programmes WHERE key = ?", (key,)
            ).fetchone()
            rows = db.execute(
                "SELECT seq, schema, body FROM events WHERE key = ? AND seq > ? ORDER BY seq",
                (key, after),
            ).fetchall()
        where, version = self._programme(key, row)
        check_after(key, after, version)
        return decode_rows(where, row[0], rows, after, version)

    def _programme(self, key: str, row: Any) -> tuple[str, int]:
        """Where programme ``key`` is (for errors), and its version, from its ``row``
        (definition, version; None if there is none).

        Raises:
            UnknownProgrammeError: no row. CorruptStoreError: a version that isn't a number.
        """
        if row is None:
            raise UnknownProgrammeError(key)
        where = f"{self.path}: programme {key!r}"
        if not isinstance(row[1], int):
            raise CorruptStoreError(f"{where}, version", f"not an integer ({row[1]!r})")
        return where, row[1]

    def read_chunks(self, key: str, *, size: int = CHUNK) -> ChunkedLog:
        """See `Store.read_chunks`: the chunks are read one query each, up to the version
        read first (a log only grows: those rows don't change), with their stored texts."""
        with self._db() as db, self._errors():
            row = db.execute(
                "SELECT definition, version FROM programmes WHERE key = ?", (key,)
            ).fetchone()
        where, version = self._programme(key, row)
        definition = decode_definition(where, row[0])
        fetch = functools.partial(self._rows_between, key)
        now = functools.partial(self.version, key)
        return ChunkedLog(definition, version, chunks_of(key, where, version, size, fetch, now))

    def _rows_between(self, key: str, after: int, upto: int) -> list[Any]:
        with self._db() as db, self._errors():
            return db.execute(
                "SELECT seq, schema, body FROM events WHERE key = ? AND seq > ? AND seq <= ? "
                "ORDER BY seq",
                (key, after, upto),
            ).fetchall()

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        check_batch(key, events, expected_version)
        rows = self._rows(key, events)
        with self._transaction() as db:
            return self._insert(db, key, rows, expected_version)

    def _insert(
        self,
        db: sqlite3.Connection,
        key: str,
        rows: list[tuple[str, int, int, str]],
        expected_version: int,
    ) -> int:
        """An append's writes, in ``db``'s transaction: the checks (the programme, not
        archived, at ``expected_version``), the rows, the new version (returned)."""
        row = db.execute("SELECT version FROM programmes WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise UnknownProgrammeError(key)
        self._writable(db, key)
        if row[0] != expected_version:
            raise ConcurrencyError(key, expected_version, row[0])
        db.executemany("INSERT INTO events (key, seq, schema, body) VALUES (?, ?, ?, ?)", rows)
        new = expected_version + len(rows)
        db.execute("UPDATE programmes SET version = ? WHERE key = ?", (new, key))
        return new

    def version(self, key: str) -> int:
        with self._db() as db:
            return self._version_of(db, key)

    def keys(self) -> list[str]:
        with self._db() as db, self._errors():
            return [r[0] for r in db.execute("SELECT key FROM programmes ORDER BY key")]

    def delete(self, key: str) -> None:
        with self._transaction() as db:
            self._writable(db, key)
            if not db.execute("DELETE FROM programmes WHERE key = ?", (key,)).rowcount:
                raise UnknownProgrammeError(key)
            db.execute("DELETE FROM events WHERE key = ?", (key,))
            if self._extra(db):
                db.execute("DELETE FROM snapshots WHERE key = ?", (key,))
            if self._readmodel_layout(db) is not None:  # its rows too, in this transaction
                readmodel.forget(db, "?", "", key)

    # -- snapshots and archive -----------------------------------------------------------------

    @staticmethod
    def _extra(db: sqlite3.Connection) -> bool:
        """Whether the snapshot and archive tables are there (made by the first use)."""
        return bool(db.execute(_HAS_EXTRA).fetchone()[0])

    def _writable(self, db: sqlite3.Connection, key: str) -> None:
        if (
            self._extra(db)
            and db.execute("SELECT 1 FROM archived WHERE key = ?", (key,)).fetchone()
        ):
            raise ArchivedProgrammeError(key)

    def _version_of(self, db: sqlite3.Connection, key: str) -> int:
        with self._errors():
            row = db.execute("SELECT version FROM programmes WHERE key = ?", (key,)).fetchone()
        return self._programme(key, row and (None, row[0]))[1]

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        body = dumps(document)
        with self._transaction() as db:
            log_version = self._version_of(db, key)
            self._writable(db, key)
            check_snapshot_version(key, version, log_version)
            for statement in _EXTRA_DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO snapshots (key, version, body) VALUES (?, ?, ?)",
                (key, version, body),
            )
            db.execute(
                "DELETE FROM snapshots WHERE key = ? AND version NOT IN (SELECT version FROM "
                "snapshots WHERE key = ? ORDER BY version DESC LIMIT ?)",
                (key, key, KEEP_SNAPSHOTS),
            )

    def snapshots(self, key: str) -> list[int]:
        with self._transaction("BEGIN") as db:
            self._version_of(db, key)
            if not self._extra(db):
                return []
            rows = db.execute(
                "SELECT version FROM snapshots WHERE key = ? ORDER BY version DESC", (key,)
            ).fetchall()
        return [int(r[0]) for r in rows]

    def read_snapshot(self, key: str, version: int) -> Document:
        check_snapshot_version(key, version)
        with self._transaction("BEGIN") as db:
            self._version_of(db, key)
            row = (
                db.execute(
                    "SELECT body FROM snapshots WHERE key = ? AND version = ?", (key, version)
                ).fetchone()
                if self._extra(db)
                else None
            )
        if row is None:
            raise unknown_snapshot(key, version)
        where = f"{self.path}: programme {key!r}, snapshot {version}"
        if not isinstance(row[0], str):
            raise CorruptStoreError(where, "not text")
        document: Document = loads(row[0], where)
        return document

    def archive(self, key: str) -> None:
        with self._transaction() as db:
            self._version_of(db, key)
            for statement in _EXTRA_DDL.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute("INSERT OR IGNORE INTO archived (key) VALUES (?)", (key,))

    def unarchive(self, key: str) -> None:
        with self._transaction() as db:
            self._version_of(db, key)
            if self._extra(db):
                db.execute("DELETE FROM archived WHERE key = ?", (key,))

    def archived(self) -> list[str]:
        with self._transaction("BEGIN") as db:
            if not self._extra(db):
                return []
            return [r[0] for r in db.execute("SELECT key FROM archived ORDER BY key")]

    # -- the read model (issue 14): see readmodel.py -------------------------------------------

    _readmodel_on: bool | None = None

    def readmodel_enable(self) -> None:
        """Make the read model's tables (programmes persisted or restored from now on keep
        them in step; `mentorflow.ReadModel.rebuild` fills them from the logs). Tables of an
        older layout are made again, empty."""
        with self._transaction() as db:
            if self._readmodel_layout(db) is False:
                for statement in readmodel.drop():
                    db.execute(statement)
            for statement in readmodel.ddl("REAL", clustered=" WITHOUT ROWID"):
                db.execute(statement)
        self._readmodel_on = True

    @staticmethod
    def _readmodel_layout(db: sqlite3.Connection) -> bool | None:
        """Whether the read model's tables are of this layout (None: no tables)."""
        columns = {
            r[0] for r in db.execute("SELECT name FROM pragma_table_info('readmodel_deadlines')")
        }
        return readmodel.LAYOUT_COLUMN in columns if columns else None

    def readmodel_enabled(self) -> bool:
        """Whether the store keeps a read model (asked once per store object).

        Raises:
            StoreError: its tables are of an older layout (`ReadModel.enable` remakes them).
        """
        if self._readmodel_on is None:
            with self._db() as db, self._errors():
                layout = self._readmodel_layout(db)
            if layout is False:
                raise StoreError(f"{self.path}: {readmodel.OLDER}")
            self._readmodel_on = layout is True
        return self._readmodel_on

    def readmodel_append(
        self, key: str, events: Sequence[Document], *, expected_version: int
    ) -> readmodel.OpenAppend:
        """`append`, with its transaction left open for the read model's rows (the
        `readmodel.OpenAppend` commits it)."""
        check_batch(key, events, expected_version)
        rows = self._rows(key, events)
        stack = contextlib.ExitStack()
        db = stack.enter_context(self._transaction())
        try:
            self._insert(db, key, rows, expected_version)
        except BaseException as failure:
            readmodel.opened(stack, failure)
        return readmodel.OpenAppend(stack, db, "?", "", key)

    def readmodel_put(
        self,
        key: str,
        version: int,
        pairs: Sequence[readmodel.PairRow],
        deadlines: Sequence[readmodel.DeadlineRow],
    ) -> None:
        """Replace every row of programme ``key``."""
        with self._transaction() as db:
            readmodel.write(db, "?", "", key, version, pairs, deadlines, (), True)

    def readmodel_forget(self, key: str) -> None:
        """Remove every row of programme ``key`` (deleted from the store)."""
        with self._transaction() as db:
            readmodel.forget(db, "?", "", key)

    def readmodel_query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Run a read-only query of the read model's tables (one snapshot)."""
        with self._transaction("BEGIN") as db:
            return [tuple(r) for r in db.execute(sql, params)]

    def readmodel_overdue(self, at: float) -> list[readmodel.OverdueRow]:
        """`readmodel.OVERDUE` at Unix time ``at`` (one statement: one snapshot)."""
        with self._db() as db, self._errors():
            return db.execute(_OVERDUE, (at,)).fetchall()

    # -- the outbox (issue 14): see _OUTBOX_DDL ------------------------------------------------

    _outbox_ready = False

    def _outbox(
        self, begin: str = "BEGIN IMMEDIATE"
    ) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A transaction on the outbox's table (made the first time): a write transaction
        unless ``begin`` says otherwise."""
        if not self._outbox_ready:
            with self._transaction() as db:
                db.execute(_OUTBOX_DDL)
            self._outbox_ready = True
        return self._transaction(begin)

    def outbox_claim(self, consumer: str, key: str, holder: str, lease: float) -> int | None:
        check_consumer(consumer)
        with self._outbox() as db:
            return _outbox_claim(db, consumer, key, holder, lease)

    def outbox_advance(
        self, consumer: str, key: str, holder: str, position: int, lease: float
    ) -> None:
        with self._outbox() as db:
            moved = db.execute(
                f"UPDATE outbox SET position = ?, until = {_NOW} + ? "
                "WHERE consumer = ? AND key = ? AND holder = ?",
                (position, lease, consumer, key, holder),
            ).rowcount
        if not moved:
            raise LeaseLost(f"{consumer} on {key!r}: the lease was taken by another holder")

    def outbox_release(self, consumer: str, key: str, holder: str) -> None:
        with self._outbox() as db:
            db.execute(
                "UPDATE outbox SET holder = NULL WHERE consumer = ? AND key = ? AND holder = ?",
                (consumer, key, holder),
            )

    def outbox_positions(self, consumer: str) -> dict[str, int]:
        check_consumer(consumer)
        with self._outbox("BEGIN") as db:
            rows = db.execute(
                "SELECT key, position FROM outbox WHERE consumer = ? ORDER BY key", (consumer,)
            ).fetchall()
        return {key: int(position) for key, position in rows}


# -- the outbox (issue 14): its own table, made when an outbox first uses the store -----------
# A lease's end is read from SQLite's clock, in the transaction that takes it: every process
# on the host agrees on it. No layout change: a store without the table is the same store.
_OUTBOX_DDL = """
CREATE TABLE IF NOT EXISTS outbox (
    consumer TEXT NOT NULL,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    holder TEXT,
    until REAL NOT NULL,
    PRIMARY KEY (consumer, key)
) WITHOUT ROWID
"""
_OVERDUE = readmodel.OVERDUE.format(p="", now="?")
_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


def _outbox_claim(
    db: sqlite3.Connection, consumer: str, key: str, holder: str, lease: float
) -> int | None:
    """In a write transaction: take the lease if it is free, and return the position."""
    if db.execute("SELECT 1 FROM programmes WHERE key = ?", (key,)).fetchone() is None:
        raise UnknownProgrammeError(key)
    row = db.execute(
        f"SELECT position, holder, until < {_NOW} FROM outbox WHERE consumer = ? AND key = ?",
        (consumer, key),
    ).fetchone()
    if row is not None and not may_take(row[1], holder, bool(row[2])):
        return None
    db.execute(
        "INSERT INTO outbox (consumer, key, position, holder, until) "
        f"VALUES (?, ?, 0, ?, {_NOW} + ?) ON CONFLICT (consumer, key) "
        "DO UPDATE SET holder = excluded.holder, until = excluded.until",
        (consumer, key, holder, lease),
    )
    return 0 if row is None else int(row[0])
