"""`PostgresStore`: programmes in a PostgreSQL database (psycopg 3 and psycopg_pool).

psycopg is imported when a store is made, not with mentorflow: it is an optional extra
(``pip install "mentorflow[postgres]"``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import select
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import attrs

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

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# The store's layout, as versioned DDL: MIGRATIONS[n] brings layout n - 1 to layout n. The
# store applies what a database lacks, in one transaction under an advisory lock (so two
# processes opening a new database don't both create it), and records each version it
# applied in the ``layout`` table. "{s}" is the store's PostgreSQL schema.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE {s}.programmes (
            key text PRIMARY KEY,
            definition text NOT NULL,
            version bigint NOT NULL CHECK (version >= 0)
        )""",
        """CREATE TABLE {s}.events (
            key text NOT NULL,
            seq bigint NOT NULL CHECK (seq > 0),
            schema integer NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (key, seq)
        )""",
    ),
    # snapshots of programmes' state (Programme.snapshot) and the archive (Store.archive)
    2: (
        """CREATE TABLE {s}.snapshots (
            key text NOT NULL,
            version bigint NOT NULL CHECK (version >= 0),
            body text NOT NULL,
            PRIMARY KEY (key, version)
        )""",
        """CREATE TABLE {s}.archived (
            key text PRIMARY KEY
        )""",
    ),
}
LAYOUT = max(MIGRATIONS)

# One statement is one transaction: the version check, the events and the notification
# commit together or not at all. The UPDATE locks the programme's row, so a concurrent
# append waits for it and then finds the version moved on (no row: nothing is inserted);
# the primary key (key, seq) refuses a duplicate event even so. The batch travels as one
# JSON array, whose elements the server keeps as they were written (type json keeps its
# text), numbered from the version: one parameter, whatever the batch's size.
_APPEND = """
WITH bumped AS (
    UPDATE {s}.programmes SET version = %(new)s
    WHERE key = %(key)s AND version = %(expected)s
    AND NOT EXISTS (SELECT 1 FROM {s}.archived WHERE key = %(key)s)
    RETURNING key
), added AS (
    INSERT INTO {s}.events (key, seq, schema, body)
    SELECT bumped.key, %(expected)s + e.n, %(schema)s, e.body::text
    FROM bumped, json_array_elements(%(bodies)s::json) WITH ORDINALITY AS e (body, n)
    RETURNING 1
)
SELECT (SELECT count(*) FROM added), pg_notify(%(channel)s, %(payload)s) FROM bumped
"""
_CREATE = """
WITH made AS (
    INSERT INTO {s}.programmes (key, definition, version)
    VALUES (%(key)s, %(definition)s, %(new)s)
    ON CONFLICT (key) DO NOTHING
    RETURNING key
), added AS (
    INSERT INTO {s}.events (key, seq, schema, body)
    SELECT made.key, e.n, %(schema)s, e.body::text
    FROM made, json_array_elements(%(bodies)s::json) WITH ORDINALITY AS e (body, n)
    RETURNING 1
)
SELECT (SELECT count(*) FROM added), pg_notify(%(channel)s, %(payload)s) FROM made
"""
# the definition (as "event" 0, its version in the schema column) and the events after
# ``after``, in one statement: one snapshot
_READ = """
SELECT 0 AS seq, version AS schema, definition AS body FROM {s}.programmes WHERE key = %(key)s
UNION ALL
SELECT seq, schema, body FROM {s}.events WHERE key = %(key)s AND seq > %(after)s
ORDER BY seq
"""
_DELETE = """
WITH gone AS (
    DELETE FROM {s}.programmes WHERE key = %(key)s
    AND NOT EXISTS (SELECT 1 FROM {s}.archived WHERE key = %(key)s)
    RETURNING key
), events AS (
    DELETE FROM {s}.events WHERE key IN (SELECT key FROM gone)
), snapshots AS (
    DELETE FROM {s}.snapshots WHERE key IN (SELECT key FROM gone)
)
SELECT pg_notify(%(channel)s, %(payload)s) FROM gone
"""

# The outbox's table (issue 14), made when an outbox first uses the store (not a step of
# MIGRATIONS: a store without it is the same store). A claim locks the consumer's row (FOR
# UPDATE) in the transaction that takes the lease, whose end is the server's clock.
_OUTBOX = """
CREATE TABLE IF NOT EXISTS {s}.outbox (
    consumer text NOT NULL,
    key text NOT NULL,
    position bigint NOT NULL CHECK (position >= 0),
    holder text,
    until timestamptz NOT NULL,
    PRIMARY KEY (consumer, key)
)
"""


# a programme's version and whether it is archived (no row: no programme)
_STATE = """
SELECT p.version, EXISTS (SELECT 1 FROM {s}.archived a WHERE a.key = p.key)
FROM {s}.programmes p WHERE p.key = %(key)s
"""
# one statement: the checks, the snapshot, and the oldest ones beyond the kept number gone
_SAVE_SNAPSHOT = """
WITH target AS (
    SELECT key FROM {s}.programmes
    WHERE key = %(key)s AND version >= %(version)s
    AND NOT EXISTS (SELECT 1 FROM {s}.archived WHERE key = %(key)s)
    FOR UPDATE
), saved AS (
    INSERT INTO {s}.snapshots (key, version, body)
    SELECT key, %(version)s, %(body)s FROM target
    ON CONFLICT (key, version) DO UPDATE SET body = EXCLUDED.body
    RETURNING key
), pruned AS (
    DELETE FROM {s}.snapshots
    WHERE key IN (SELECT key FROM saved) AND version NOT IN (
        SELECT version FROM {s}.snapshots WHERE key = %(key)s
        UNION SELECT %(version)s
        ORDER BY version DESC LIMIT %(keep)s
    )
)
SELECT count(*) FROM saved
"""
_ARCHIVE = """
INSERT INTO {s}.archived (key) SELECT key FROM {s}.programmes WHERE key = %(key)s
ON CONFLICT (key) DO NOTHING
"""
_UNARCHIVE = "DELETE FROM {s}.archived WHERE key = %(key)s"


@attrs.frozen
class StoreChange:
    """A programme changed in a store (a notification from `PostgresStore.watch`).

    Attributes:
        key: The programme's key.
        version: Its version after the change; None if the programme was deleted.
    """

    key: str
    version: int | None


class PostgresStore(Store):
    """Programmes in a PostgreSQL database, for applications on several hosts.

    Each programme is a row of ``programmes`` (key, definition, version) and its events rows
    of ``events`` (key, seq, schema, body: the event's JSON), in the PostgreSQL schema
    ``schema`` (``mentorflow`` by default), which the store creates, and upgrades, by
    versioned DDL of its own (`MIGRATIONS`).

    Layout 2 adds ``snapshots`` and ``archived``: an append to an archived programme is
    refused in the same statement as the version check.

    An append is one statement, so one transaction: the version check (an ``UPDATE ...
    WHERE version = expected``) and the events' rows commit together, and the primary key
    ``(key, seq)`` refuses a duplicate event. It is durable when the server says so (its
    ``synchronous_commit``). Each create, append and delete also sends a notification
    (``NOTIFY``) on commit: `watch` lets another process learn that a programme changed.

    Threads: the store keeps a pool of connections (psycopg_pool); each call borrows one
    for its one statement, checked first without a round trip (so a connection the server
    closed, after a restart say, is replaced, not used), and gives it back. Threads share
    the store; at most ``max_size`` calls run at once, the others wait up to ``timeout``.
    Processes and hosts: as many as the server takes; a process that forks makes a new pool
    in the child. After the server comes back from a restart, the pool reconnects in the
    background, backing off (psycopg_pool's), so calls may fail for a few seconds more.

    Args:
        dsn: A libpq connection string or URI (``"host=db dbname=office"``,
            ``"postgresql://office@db/office"``).
        schema: The PostgreSQL schema of the store's tables (lower-case letters, digits,
            ``_``); several stores can share a database in different schemas.
        create: None (the default) opens the store, creating its tables if they are not
            there; False only opens (`StoreUnavailableError` if there are no tables); True
            only creates (a `StoreError` if they exist).
        min_size: Connections the pool keeps open.
        max_size: Connections the pool may open.
        timeout: Seconds to wait for a connection (the server, or a free one in the pool).

    Raises:
        StoreUnavailableError: the server can't be reached, refuses the connection, or has
            no store (``create=False``).
        StoreSchemaError: the store's layout is newer than this mentorflow's.
        StoreError: psycopg is not installed (``pip install "mentorflow[postgres]"``), or a
            bad DSN or schema name.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str = "mentorflow",
        create: bool | None = None,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
    ) -> None:
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
            from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
        except ImportError as err:  # pragma: no cover - the extra is installed in the tests
            raise StoreError(
                f"PostgresStore needs psycopg and psycopg_pool ({err}): "
                'pip install "mentorflow[postgres]"'
            ) from None
        if not isinstance(schema, str) or not _NAME.fullmatch(schema):
            raise StoreError(
                f"{schema!r} is not a schema name for the store (lower-case letters, digits, "
                "'_', not starting with a digit)"
            )
        try:
            info = conninfo_to_dict(dsn)
        except (psycopg.Error, TypeError) as err:
            raise StoreError(f"{dsn!r} is not a PostgreSQL connection string: {err}") from None
        self.schema = schema
        self.where = _describe(info, schema)
        self._dsn = dsn
        self._timeout = timeout
        self._psycopg = psycopg
        self._unreachable = (PoolTimeout, psycopg.OperationalError)
        self._closed_pool = PoolClosed
        quoted = f'"{schema}"'  # a checked name, quoted all the same: "user" is a keyword
        # queries as bytes, the store's schema in them: no str formatting at each call
        self._sql = {
            name: text.replace("{s}", quoted).encode()
            for name, text in [
                ("append", _APPEND),
                ("create", _CREATE),
                ("read", _READ),
                ("head", "SELECT definition, version FROM {s}.programmes WHERE key = %(key)s"),
                (
                    "chunk",
                    "SELECT seq, schema, body FROM {s}.events WHERE key = %(key)s "
                    "AND seq > %(after)s AND seq <= %(upto)s ORDER BY seq",
                ),
                ("delete", _DELETE),
                ("version", "SELECT version FROM {s}.programmes WHERE key = %s"),
                ("state", _STATE),
                ("save_snapshot", _SAVE_SNAPSHOT),
                (
                    "snapshots",
                    "SELECT version FROM {s}.snapshots WHERE key = %s ORDER BY version DESC",
                ),
                ("read_snapshot", "SELECT body FROM {s}.snapshots WHERE key = %s AND version = %s"),
                (
                    "snapshot_bodies",
                    "SELECT version, body FROM {s}.snapshots WHERE key = %s ORDER BY version DESC",
                ),
                ("archive", _ARCHIVE),
                ("unarchive", _UNARCHIVE),
                ("archived", "SELECT key FROM {s}.archived ORDER BY key"),
                ("keys", "SELECT key FROM {s}.programmes ORDER BY key"),
                ("listen", "LISTEN {s}"),
                ("overdue", readmodel.OVERDUE.format(p="{s}.", now="%s")),
            ]
        }
        with self._errors("opening the store"):
            connect_timeout = max(1, round(timeout))
            with psycopg.connect(dsn, autocommit=True, connect_timeout=connect_timeout) as db:
                self._migrate(db, create)
        self._pool_class = ConnectionPool
        self._pool_lock = threading.Lock()
        self._pool_pid = os.getpid()
        self._sizes = (min_size, max_size)
        self._abandoned: list[ConnectionPool[Any]] = []  # a parent's pools, in a fork
        self._closed = False
        self._pool: ConnectionPool[Any] = self._open_pool()

    # -- opening ---------------------------------------------------------------------------

    def _migrate(self, db: psycopg.Connection[Any], create: bool | None) -> None:
        """Bring the store's tables to `LAYOUT`, or refuse a newer (or a missing) store."""
        if create is not True and self._layout(db) == LAYOUT:
            return  # the usual case: nothing to lock, nothing to write
        # one process at a time creates or upgrades a store (any schema, any database); the
        # lock is taken before the transaction starts, so that the transaction sees the
        # catalogue as the last holder left it
        db.execute("SELECT pg_advisory_lock(hashtext('mentorflow layout'))")
        try:
            self._upgrade(db, create)
        finally:
            db.execute("SELECT pg_advisory_unlock(hashtext('mentorflow layout'))")

    def _upgrade(self, db: psycopg.Connection[Any], create: bool | None) -> None:
        s = f'"{self.schema}"'
        with db.transaction():
            found = self._layout(db)
            if found > LAYOUT:
                raise StoreSchemaError(self.where, found, LAYOUT)
            if found and create is True:
                raise StoreError(f"{self.where}: a store exists already; open it with create=False")
            if not found and create is False:
                raise StoreUnavailableError(
                    f"{self.where}: no mentorflow store there; PostgresStore(dsn, create=True) "
                    "creates one"
                )
            if not found:
                db.execute(_query(f"CREATE SCHEMA IF NOT EXISTS {s}"))
                db.execute(
                    _query(
                        f"CREATE TABLE IF NOT EXISTS {s}.layout (version integer PRIMARY KEY, "
                        "applied_at timestamptz NOT NULL DEFAULT now())"
                    )
                )
            for version in range(found + 1, LAYOUT + 1):
                for statement in MIGRATIONS[version]:
                    db.execute(_query(statement.replace("{s}", s)))
                db.execute(_query(f"INSERT INTO {s}.layout (version) VALUES (%s)"), (version,))

    def _layout(self, db: psycopg.Connection[Any]) -> int:
        """The version of the store's layout (0: no store)."""
        s = f'"{self.schema}"'
        exists = db.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{s}.layout",)).fetchone()
        if not (exists and exists[0]):
            return 0
        row = db.execute(_query(f"SELECT max(version) FROM {s}.layout")).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _open_pool(self) -> ConnectionPool[Any]:
        min_size, max_size = self._sizes
        pool: ConnectionPool[Any] = self._pool_class(
            self._dsn,
            kwargs={"autocommit": True, "connect_timeout": max(1, round(self._timeout))},
            min_size=min_size,
            max_size=max_size,
            timeout=self._timeout,
            check=_check,
            name=f"mentorflow {self.schema}",
            open=False,
        )
        pool.open(wait=False)
        # closed when the store is dropped (by the thread that dropped it, not by one of the
        # pool's own threads, which can't wait for themselves), and never by a forked child
        self._finalizer = weakref.finalize(self, _close_pool, pool, os.getpid())
        return pool

    def _current_pool(self) -> ConnectionPool[Any]:
        if self._closed:
            raise StoreError(f"{self.where}: the store is closed")
        if self._pool_pid != os.getpid():  # forked: the parent's connections are not ours
            with self._pool_lock:
                if self._pool_pid != os.getpid():
                    self._finalizer.detach()
                    self._abandoned.append(self._pool)
                    self._pool = self._open_pool()
                    self._pool_pid = os.getpid()
        return self._pool

    def close(self) -> None:
        """Close the pool's connections; the store can't be used after."""
        self._closed = True
        self._finalizer()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn psycopg's and the pool's errors into `StoreError` s naming the store."""
        try:
            yield
        except self._unreachable as err:
            detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            unsure = (
                "; the change was committed whole or not at all, but the server could not "
                "say which: refresh or restore the programme to see"
                if doing.startswith(("appending", "creating", "deleting"))
                and not isinstance(err, self._unreachable[0])  # PoolTimeout: nothing was sent
                else ""
            )
            raise StoreUnavailableError(
                f"{self.where}: {doing}: the server can't be reached ({detail}){unsure}"
            ) from err
        except self._closed_pool:
            raise StoreError(f"{self.where}: the store is closed") from None
        except self._psycopg.Error as err:
            raise StoreError(f"{self.where}: {doing}: {err}") from err
        except UnicodeError as err:
            raise StoreError(f"{self.where}: {doing}: a text can't be encoded ({err})") from None

    @contextlib.contextmanager
    def _db(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        with self._errors(doing), self._current_pool().connection() as db:
            yield db

    # -- the contract ------------------------------------------------------------------------

    def _batch(self, key: str, events: Sequence[Document], new: int) -> dict[str, object]:
        return {
            "key": key,
            "new": new,
            "schema": SCHEMA,
            # canonical JSON, kept as sent (a json value's text): a restore digests it as it
            # is (see chain.Checker)
            "bodies": "[" + ",".join([record_text(e) for e in events]) + "]",
            "channel": self.schema,
            "payload": dumps({"key": key, "version": new}),
        }

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        check_key(key)
        check_batch(key, events, 0)
        params = self._batch(key, events, len(events))
        params["definition"] = dumps(definition)
        params["expected"] = 0
        with self._db(f"creating {key!r}") as db:
            row = db.execute(self._sql["create"], params).fetchone()
        if row is None:
            raise StoreError(f"programme {key!r} exists already")

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        check_after(key, after)
        with self._db(f"reading {key!r}") as db:
            rows = db.execute(self._sql["read"], {"key": key, "after": after}).fetchall()
        if not rows or rows[0][0] != 0:
            raise UnknownProgrammeError(key)
        _, version, definition_text = rows[0]
        check_after(key, after, version)
        del rows[0]  # the events' rows, given up to decode_rows
        return decode_rows(
            f"{self.where}: programme {key!r}", definition_text, rows, after, version
        )

    def read_chunks(self, key: str, *, size: int = CHUNK) -> ChunkedLog:
        """See `Store.read_chunks`: the chunks are read one query each, up to the version
        read first (a log only grows: those rows don't change), with their stored texts."""
        with self._db(f"reading {key!r}") as db:
            row = db.execute(self._sql["head"], {"key": key}).fetchone()
        if row is None:
            raise UnknownProgrammeError(key)
        where = f"{self.where}: programme {key!r}"
        definition = decode_definition(where, row[0])
        fetch = functools.partial(self._rows_between, key)
        now = functools.partial(self.version, key)
        return ChunkedLog(definition, row[1], chunks_of(key, where, row[1], size, fetch, now))

    def _rows_between(self, key: str, after: int, upto: int) -> list[Any]:
        with self._db(f"reading {key!r}") as db:
            return db.execute(
                self._sql["chunk"], {"key": key, "after": after, "upto": upto}
            ).fetchall()

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        check_batch(key, events, expected_version)
        new = expected_version + len(events)
        params = self._batch(key, events, new)
        params["expected"] = expected_version
        doing = f"appending to {key!r}"
        with self._db(doing) as db:
            try:
                row = db.execute(self._sql["append"], params).fetchone()
            except self._psycopg.errors.UniqueViolation:
                raise CorruptStoreError(
                    f"{self.where}: programme {key!r}",
                    f"events after version {expected_version} exist, though it says it is at "
                    f"{expected_version}",
                ) from None
            if row is None:
                self._refused(db, key, expected_version)
        return new

    def _refused(self, db: Any, key: str, expected_version: int) -> NoReturn:
        """Why an append's statement changed nothing: no such programme, archived, or not at
        ``expected_version``."""
        found = db.execute(self._sql["state"], {"key": key}).fetchone()
        if found is None:
            raise UnknownProgrammeError(key)
        if found[1]:
            raise ArchivedProgrammeError(key)
        raise ConcurrencyError(key, expected_version, int(found[0]))

    def version(self, key: str) -> int:
        with self._db(f"reading {key!r}") as db:
            row = db.execute(self._sql["version"], (key,)).fetchone()
        if row is None:
            raise UnknownProgrammeError(key)
        return int(row[0])

    def keys(self) -> list[str]:
        with self._db("listing the programmes") as db:
            rows = db.execute(self._sql["keys"]).fetchall()
        return [r[0] for r in rows]

    def delete(self, key: str) -> None:
        params = {
            "key": key,
            "channel": self.schema,
            "payload": dumps({"key": key, "version": None}),
        }
        with self._db(f"deleting {key!r}") as db, db.transaction():
            row = db.execute(self._sql["delete"], params).fetchone()
            if row is not None and self._readmodel_layout(db) is not None:
                # its read model's rows too, in this transaction
                readmodel.forget(db.cursor(), "%s", f'"{self.schema}".', key)
        if row is None:
            self._state(key)  # unknown, or archived
            raise UnknownProgrammeError(key)  # pragma: no cover - deleted meanwhile

    # -- snapshots and archive -----------------------------------------------------------------

    def _state(self, key: str) -> int:
        """The programme's version, if it exists and is not archived."""
        with self._db(f"reading {key!r}") as db:
            found = db.execute(self._sql["state"], {"key": key}).fetchone()
        if found is None:
            raise UnknownProgrammeError(key)
        if found[1]:
            raise ArchivedProgrammeError(key)
        return int(found[0])

    @staticmethod
    def _snapshot_params(key: str, version: int, document: Document) -> dict[str, object]:
        check_snapshot_version(key, version)
        return {"key": key, "version": version, "body": dumps(document), "keep": KEEP_SNAPSHOTS}

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        params = self._snapshot_params(key, version, document)
        with self._db(f"saving a snapshot of {key!r}") as db:
            row = db.execute(self._sql["save_snapshot"], params).fetchone()
        if not row or not row[0]:
            check_snapshot_version(key, version, self._state(key))
            raise StoreError(f"{key}: no snapshot saved")  # pragma: no cover - a race

    def snapshots(self, key: str) -> list[int]:
        with self._db(f"reading {key!r}") as db:
            rows = db.execute(self._sql["snapshots"], (key,)).fetchall()
            if not rows and db.execute(self._sql["version"], (key,)).fetchone() is None:
                raise UnknownProgrammeError(key)
        return [int(r[0]) for r in rows]

    def read_snapshot(self, key: str, version: int) -> Document:
        check_snapshot_version(key, version)
        with self._db(f"reading {key!r}") as db:
            row = db.execute(self._sql["read_snapshot"], (key, version)).fetchone()
        if row is None:
            raise unknown_snapshot(key, version)
        document: Document = loads(row[0], f"{self.where}: programme {key!r}, snapshot {version}")
        return document

    def archive(self, key: str) -> None:
        with self._db(f"archiving {key!r}") as db:
            db.execute(self._sql["archive"], {"key": key})
            if db.execute(self._sql["version"], (key,)).fetchone() is None:
                raise UnknownProgrammeError(key)

    def unarchive(self, key: str) -> None:
        with self._db(f"unarchiving {key!r}") as db:
            db.execute(self._sql["unarchive"], {"key": key})
            if db.execute(self._sql["version"], (key,)).fetchone() is None:
                raise UnknownProgrammeError(key)

    def archived(self) -> list[str]:
        with self._db("listing the archived programmes") as db:
            rows = db.execute(self._sql["archived"]).fetchall()
        return [r[0] for r in rows]

    # -- the read model (issue 14): see readmodel.py -------------------------------------------

    _readmodel_on: bool | None = None

    def readmodel_enable(self) -> None:
        """Make the read model's tables (see `SQLiteStore.readmodel_enable`)."""
        prefix = f'"{self.schema}".'
        with self._db("making the read model") as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(hashtext('mentorflow read model'))")
            if self._readmodel_layout(db) is False:
                for statement in readmodel.drop(prefix):
                    db.execute(_query(statement))
            for statement in readmodel.ddl("double precision", prefix):
                db.execute(_query(statement))
        self._readmodel_on = True

    def _readmodel_layout(self, db: psycopg.Connection[Any]) -> bool | None:
        """Whether the read model's tables are of this layout (None: no tables)."""
        columns = {r[0] for r in db.execute(_READMODEL_COLUMNS, (self.schema,))}
        return readmodel.LAYOUT_COLUMN in columns if columns else None

    def readmodel_enabled(self) -> bool:
        """Whether the store keeps a read model (asked once per store object).

        Raises:
            StoreError: its tables are of an older layout (`ReadModel.enable` remakes them).
        """
        if self._readmodel_on is None:
            with self._db("reading the layout") as db:
                layout = self._readmodel_layout(db)
            if layout is False:
                raise StoreError(f"{self.where}: {readmodel.OLDER}")
            self._readmodel_on = layout is True
        return self._readmodel_on

    def readmodel_append(
        self, key: str, events: Sequence[Document], *, expected_version: int
    ) -> readmodel.OpenAppend:
        """`append`, with its transaction left open for the read model's rows."""
        check_batch(key, events, expected_version)
        params = self._batch(key, events, expected_version + len(events))
        params["expected"] = expected_version
        stack = contextlib.ExitStack()
        db = stack.enter_context(self._db(f"appending to {key!r}"))
        stack.enter_context(db.transaction())
        try:
            if db.execute(self._sql["append"], params).fetchone() is None:
                self._refused(db, key, expected_version)
        except BaseException as failure:
            readmodel.opened(stack, failure)
        prefix = f'"{self.schema}".'
        return readmodel.OpenAppend(stack, db.cursor(), "%s", prefix, key)

    def readmodel_put(
        self,
        key: str,
        version: int,
        pairs: Sequence[readmodel.PairRow],
        deadlines: Sequence[readmodel.DeadlineRow],
    ) -> None:
        """Replace every row of programme ``key``."""
        prefix = f'"{self.schema}".'
        with self._db(f"writing the read model of {key!r}") as db, db.transaction():
            readmodel.write(db.cursor(), "%s", prefix, key, version, pairs, deadlines, (), True)

    def readmodel_forget(self, key: str) -> None:
        """Remove every row of programme ``key``."""
        with self._db(f"writing the read model of {key!r}") as db, db.transaction():
            readmodel.forget(db.cursor(), "%s", f'"{self.schema}".', key)

    def readmodel_query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Run a read-only query of the read model's tables."""
        with self._db("reading the read model") as db:
            return [tuple(r) for r in db.execute(_query(sql), params).fetchall()]

    def readmodel_overdue(self, at: float) -> list[readmodel.OverdueRow]:
        """`readmodel.OVERDUE` at Unix time ``at``."""
        with self._db("reading the read model") as db:
            return db.execute(self._sql["overdue"], (at,)).fetchall()

    # -- the outbox (issue 14): see _OUTBOX -----------------------------------------------------

    _outbox_ready = False

    @contextlib.contextmanager
    def _outbox(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """A transaction on the outbox's table (made the first time)."""
        with self._db(doing) as db:
            if not self._outbox_ready:
                with db.transaction():
                    db.execute("SELECT pg_advisory_xact_lock(hashtext('mentorflow outbox'))")
                    db.execute(_query(_OUTBOX.replace("{s}", f'"{self.schema}"')))
                self._outbox_ready = True
            with db.transaction():
                yield db

    def _outbox_sql(self, text: str) -> bytes:
        return _query(text.replace("{s}", f'"{self.schema}"'))

    def outbox_claim(self, consumer: str, key: str, holder: str, lease: float) -> int | None:
        check_consumer(consumer)
        with self._outbox(f"claiming {consumer} on {key!r}") as db:
            db.execute(
                self._outbox_sql(
                    "INSERT INTO {s}.outbox (consumer, key, position, holder, until) "
                    "SELECT %s, key, 0, NULL, now() FROM {s}.programmes WHERE key = %s "
                    "ON CONFLICT (consumer, key) DO NOTHING"
                ),
                (consumer, key),
            )
            row = db.execute(
                self._outbox_sql(
                    "SELECT position, holder, until < now() FROM {s}.outbox "
                    "WHERE consumer = %s AND key = %s FOR UPDATE"
                ),
                (consumer, key),
            ).fetchone()
            if row is None:
                raise UnknownProgrammeError(key)
            if not may_take(row[1], holder, bool(row[2])):
                return None
            db.execute(
                self._outbox_sql(
                    "UPDATE {s}.outbox SET holder = %s, until = now() + %s * interval '1 second' "
                    "WHERE consumer = %s AND key = %s"
                ),
                (holder, lease, consumer, key),
            )
            return int(row[0])

    def outbox_advance(
        self, consumer: str, key: str, holder: str, position: int, lease: float
    ) -> None:
        with self._outbox(f"advancing {consumer} on {key!r}") as db:
            moved = db.execute(
                self._outbox_sql(
                    "UPDATE {s}.outbox SET position = %s, "
                    "until = now() + %s * interval '1 second' "
                    "WHERE consumer = %s AND key = %s AND holder = %s"
                ),
                (position, lease, consumer, key, holder),
            ).rowcount
        if not moved:
            raise LeaseLost(f"{consumer} on {key!r}: the lease was taken by another holder")

    def outbox_release(self, consumer: str, key: str, holder: str) -> None:
        with self._outbox(f"releasing {consumer} on {key!r}") as db:
            db.execute(
                self._outbox_sql(
                    "UPDATE {s}.outbox SET holder = NULL "
                    "WHERE consumer = %s AND key = %s AND holder = %s"
                ),
                (consumer, key, holder),
            )

    def outbox_positions(self, consumer: str) -> dict[str, int]:
        check_consumer(consumer)
        with self._outbox(f"reading {consumer}'s positions") as db:
            rows = db.execute(
                self._outbox_sql(
                    "SELECT key, position FROM {s}.outbox WHERE consumer = %s ORDER BY key"
                ),
                (consumer,),
            ).fetchall()
        return {key: int(position) for key, position in rows}

    # -- notifications -----------------------------------------------------------------------

    def watch(self) -> StoreWatch:
        """Listen for changes to the store's programmes, by any process on any host: each
        create, append and delete commits a notification (``NOTIFY``) that the watch
        receives as a `StoreChange`.

        The watch listens from the moment it is made, on a connection of its own; close it
        (or use it in a ``with`` block) when done.

        Raises:
            StoreUnavailableError: the server can't be reached.
        """
        return StoreWatch(self)


class StoreWatch:
    """Changes to a `PostgresStore`'s programmes, as they are committed (`PostgresStore.watch`).

    Iterate to wait for them one by one, or call `wait` with a timeout. Notifications sent
    while the watch was not connected are lost: after `StoreUnavailableError`, make a new
    watch and refresh what you hold.
    """

    def __init__(self, store: PostgresStore) -> None:
        self._store = store
        self._psycopg = store._psycopg
        with store._errors("watching"):
            self._db = self._psycopg.connect(store._dsn, autocommit=True)
            self._db.execute(store._sql["listen"])

    def wait(self, timeout: float | None = None) -> list[StoreChange]:
        """The changes committed since the last call, waiting up to ``timeout`` seconds (None:
        for ever) for the first; an empty list if none came."""
        changes: list[StoreChange] = []
        with self._store._errors("watching"):
            for notify in self._db.notifies(timeout=timeout, stop_after=1):
                changes.append(_change(notify.payload))
            if changes:  # and whatever else came with it
                for notify in self._db.notifies(timeout=0.001):
                    changes.append(_change(notify.payload))
        return changes

    def __iter__(self) -> Iterator[StoreChange]:
        while True:
            yield from self.wait()

    def close(self) -> None:
        """Stop listening, and close the watch's connection."""
        self._db.close()

    def __enter__(self) -> StoreWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPostgresStore:
    """The asyncio face of a `PostgresStore` (issue 14): the same database and statements,
    through psycopg's ``AsyncConnectionPool``, so that an append or a read awaits the server
    without blocking the event loop. `mentorflow.aio` makes one for each `PostgresStore` it
    is given: its commands append here, its restores and refreshes read here (`restoring`,
    `read`).

    The pool opens on the first call, in the running loop, and belongs to that loop.
    """

    def __init__(self, store: PostgresStore) -> None:
        from psycopg_pool import AsyncConnectionPool

        self.store = store
        min_size, max_size = store._sizes
        self._pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            store._dsn,
            kwargs={"autocommit": True, "connect_timeout": max(1, round(store._timeout))},
            min_size=min_size,
            max_size=max_size,
            timeout=store._timeout,
            name=f"mentorflow {store.schema} (asyncio)",
            open=False,
        )
        self._opened = False

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A connection of the pool, given back after the block. Its statements autocommit,
        so there is no transaction to end (the pool's ``connection()`` would still await a
        commit call on each: a command's append is on the async API's hot path)."""
        if not self._opened:
            await self._pool.open(wait=False)
            self._opened = True
        db: psycopg.AsyncConnection[Any] = await self._pool.getconn()
        try:
            yield db
        finally:
            await self._pool.putconn(db)

    async def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        """`PostgresStore.append`, awaited."""
        store = self.store
        check_batch(key, events, expected_version)
        new = expected_version + len(events)
        params = store._batch(key, events, new)
        params["expected"] = expected_version
        with store._errors(f"appending to {key!r}"):
            async with self._connection() as db:
                try:
                    cursor = await db.execute(store._sql["append"], params)
                    row = await cursor.fetchone()
                except store._psycopg.errors.UniqueViolation:
                    raise CorruptStoreError(
                        f"{store.where}: programme {key!r}",
                        f"events after version {expected_version} exist, though it says it is "
                        f"at {expected_version}",
                    ) from None
                if row is not None:
                    return new
                cursor = await db.execute(store._sql["version"], (key,))
                found = await cursor.fetchone()
        if found is None:
            raise UnknownProgrammeError(key)
        raise ConcurrencyError(key, expected_version, int(found[0]))

    async def read(self, key: str, *, after: int = 0) -> StoredLog:
        """`PostgresStore.read`, awaited (the same statement: one snapshot of the log)."""
        check_after(key, after)
        store = self.store
        with store._errors(f"reading {key!r}"):
            async with self._connection() as db:
                cursor = await db.execute(store._sql["read"], {"key": key, "after": after})
                rows = await cursor.fetchall()
        if not rows or rows[0][0] != 0:
            raise UnknownProgrammeError(key)
        _, version, definition_text = rows[0]
        check_after(key, after, version)
        del rows[0]
        where = f"{store.where}: programme {key!r}"
        return decode_rows(where, definition_text, rows, after, version)

    async def restoring(self, key: str) -> Restoring:
        """What a restore of ``key`` reads, read with a few awaited round trips: the log,
        the snapshots kept (their text), and whether the store keeps a read model (asked
        once per store, as `PostgresStore.readmodel_enabled` does).

        Raises:
            UnknownProgrammeError, CorruptStoreError, StoreError: as `PostgresStore.read`.
        """
        log = await self.read(key)
        store = self.store
        with store._errors(f"reading {key!r}"):
            async with self._connection() as db:
                cursor = await db.execute(store._sql["snapshot_bodies"], (key,))
                snapshots = [(int(version), body) for version, body in await cursor.fetchall()]
                if store._readmodel_on is None:
                    cursor = await db.execute(_READMODEL_COLUMNS, (store.schema,))
                    columns = {r[0] for r in await cursor.fetchall()}
                    if columns and readmodel.LAYOUT_COLUMN not in columns:
                        raise StoreError(f"{store.where}: {readmodel.OLDER}")
                    store._readmodel_on = bool(columns)
        return Restoring(key, f"{store.where}: programme {key!r}", log, snapshots)

    async def version(self, key: str) -> int:
        """`PostgresStore.version`, awaited."""
        store = self.store
        with store._errors(f"reading {key!r}"):
            async with self._connection() as db:
                cursor = await db.execute(store._sql["version"], (key,))
                row = await cursor.fetchone()
        if row is None:
            raise UnknownProgrammeError(key)
        return int(row[0])

    async def keys(self) -> list[str]:
        """`PostgresStore.keys`, awaited."""
        store = self.store
        with store._errors("listing the programmes"):
            async with self._connection() as db:
                cursor = await db.execute(store._sql["keys"])
                rows = await cursor.fetchall()
        return [r[0] for r in rows]

    async def save_snapshot(self, key: str, version: int, document: Document) -> None:
        """`PostgresStore.save_snapshot`, awaited."""
        store = self.store
        params = store._snapshot_params(key, version, document)
        with store._errors(f"saving a snapshot of {key!r}"):
            async with self._connection() as db:
                cursor = await db.execute(store._sql["save_snapshot"], params)
                row = await cursor.fetchone()
        if not row or not row[0]:
            check_snapshot_version(key, version, await self.version(key))
            raise StoreError(f"{key}: no snapshot saved")  # pragma: no cover - a race

    async def close(self) -> None:
        """Close the pool's connections."""
        if self._opened:
            await self._pool.close()


@attrs.frozen
class Restoring:
    """What `AsyncPostgresStore.restoring` read of programme ``key``: its log, and the
    snapshots kept (version and text, newest first)."""

    key: str
    where: str
    log: StoredLog
    snapshots: list[tuple[int, str]]

    def versions(self) -> list[int]:
        """As `PostgresStore.snapshots` gives them."""
        return [version for version, _ in self.snapshots]

    def snapshot(self, version: int) -> Document:
        """As `PostgresStore.read_snapshot` gives it.

        Raises:
            StoreError: none of that version. CorruptStoreError: not JSON.
        """
        for kept, body in self.snapshots:
            if kept == version:
                document: Document = loads(body, f"{self.where}, snapshot {version}")
                return document
        raise unknown_snapshot(self.key, version)


_READMODEL_COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = %s AND table_name = 'readmodel_deadlines'"
)


def _close_pool(pool: ConnectionPool[Any], pid: int) -> None:
    if os.getpid() == pid:  # a forked child must not close its parent's connections
        pool.close()


def _check(db: psycopg.Connection[Any]) -> None:
    """Refuse a pooled connection the server has closed, before it is lent out: an idle
    connection has nothing to read, unless the server ended it (a message, or end of file).
    Unlike a query, this costs no round trip. A server whose host vanished without a word is
    found by the call itself (a `StoreUnavailableError`) or by TCP keepalives."""
    if db.closed or db.broken:
        raise db.OperationalError("the connection is closed")
    readable, _, _ = select.select([db.fileno()], [], [], 0)
    if readable:
        db.close()  # so that the pool, given it back, replaces it (rather than lend it again)
        raise db.OperationalError("the server closed the connection")


def _query(text: str) -> bytes:
    """A query made here, of checked names, as psycopg takes a query that is not a literal."""
    return text.encode()


def _change(payload: str) -> StoreChange:
    document = json.loads(payload)
    return StoreChange(document["key"], document["version"])


def _describe(info: dict[str, Any], schema: str) -> str:
    """Where the store is, for messages: host, port, database and schema (never a password)."""
    host = info.get("host") or info.get("hostaddr") or "localhost"
    port = info.get("port") or "5432"
    database = info.get("dbname") or info.get("user") or ""
    return f"postgresql://{host}:{port}/{database} (schema {schema})"
