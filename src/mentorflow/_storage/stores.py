"""Stores: where a programme's definition and event log live.

Three stores pass one contract (``tests/test_stores.py``): `MemoryStore`, `JsonLinesStore` (a
file per programme) and `SQLiteStore` (the embedded default, stdlib ``sqlite3``). All of them:

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

import abc
import contextlib
import fcntl
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from .._codec.serialize import SCHEMA
from ..exceptions import ConcurrencyError, CorruptStoreError, StoreError, UnknownProgrammeError

Document = Mapping[str, Any]
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise StoreError(f"{key!r} is not a store key (letters, digits, '.', '_', '-')")
    return key


@attrs.frozen
class StoredLog:
    """What a store holds for one programme: its definition and its events, in order."""

    definition: Document
    events: Sequence[Document]
    schemas: Sequence[int]
    """The schema each event was written with."""


class Store(abc.ABC):
    """Where programmes are kept: per key, a definition document and an ordered event log.

    The contract every store keeps (and ``tests/test_stores.py`` checks):

    * an append is atomic (all of a batch or none of it) and durable before it returns;
    * an append names the version it expects (how many events it has seen) and fails with
      `ConcurrencyError`, changing nothing, if another writer got there first;
    * damaged data is refused with `CorruptStoreError` naming the line or record;
    * a load or an append that fails never modifies what is stored, and every failure of the
      underlying file or database is a `StoreError`.
    """

    @abc.abstractmethod
    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        """Start a programme's log with its definition and, atomically, its first events.

        Raises:
            StoreError: if ``key`` exists already.
        """

    @abc.abstractmethod
    def read(self, key: str) -> StoredLog:
        """The definition and every event of ``key``.

        Raises:
            UnknownProgrammeError: if there is no such programme.
            CorruptStoreError: naming the damaged line or record.
        """

    @abc.abstractmethod
    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        """Append ``events`` (documents with consecutive ``seq`` from ``expected_version + 1``),
        all or none, durably; return the new version.

        Raises:
            ConcurrencyError: if the log is not at ``expected_version``.
        """

    @abc.abstractmethod
    def version(self, key: str) -> int:
        """How many events ``key`` has."""

    @abc.abstractmethod
    def keys(self) -> list[str]:
        """Every programme key in the store."""


def _check_batch(key: str, events: Sequence[Document], expected: int) -> None:
    for offset, event in enumerate(events, start=1):
        if event.get("seq") != expected + offset:
            raise StoreError(
                f"{key}: event {offset} of the batch has seq {event.get('seq')!r}, "
                f"not {expected + offset}"
            )


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


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


def _schema_of(definition: str | Document) -> int:
    doc = json.loads(definition) if isinstance(definition, str) else definition
    schema = doc.get("schema")
    return schema if isinstance(schema, int) else 0


class JsonLinesStore(Store):
    """One JSON Lines file per programme, in ``directory``: ``<key>.jsonl``.

    The first line is the definition; every other line is one append (a batch of events with
    the version it brings the log to), written with a single ``write`` and flushed to disk
    (``fsync``) before the append returns. Appends take an exclusive ``flock`` on the file,
    so several processes can share it. A line cut short (a power loss during a write) makes
    `read` refuse the file, naming the line; `repair` removes such an unacknowledged last line.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._tails: dict[str, tuple[int, int]] = {}  # key -> (file size, version) seen

    def _path(self, key: str) -> Path:
        return self.directory / f"{_check_key(key)}.jsonl"

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        path = self._path(key)
        _check_batch(key, events, 0)
        data = _dumps({"definition": definition}) + "\n"
        if events:
            data += (
                _dumps({"version": len(events), "schema": SCHEMA, "events": list(events)}) + "\n"
            )
        # written whole to a temporary file, then renamed into place: a programme exists with
        # all of its first events, or not at all
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with _io(path):
            try:
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                try:
                    os.write(fd, data.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.link(temporary, path)  # fails if the key exists: never replaces a log
            except FileExistsError:
                raise StoreError(f"programme {key!r} exists already ({path})") from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
            _fsync_directory(self.directory)

    def read(self, key: str) -> StoredLog:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise UnknownProgrammeError(key) from None
        except OSError as err:
            raise StoreError(f"{path}: {err}") from err
        definition, events, schemas, _ = self._parse(path, data)
        return StoredLog(definition, events, schemas)

    def _parse(
        self, path: Path, data: bytes, start: int = 0, version: int = 0
    ) -> tuple[Document, list[Document], list[int], int]:
        definition: Document = {}
        events: list[Document] = []
        schemas: list[int] = []
        if start == 0 and not data:
            raise CorruptStoreError(f"{path}:1", "the file is empty: the definition is missing")
        lines = data.split(b"\n")
        if lines and lines[-1] != b"":
            raise CorruptStoreError(
                f"{path}:{len(lines)}",
                "the last line is cut short (a write did not finish); repair() removes it",
            )
        schema = 0
        for number, raw in enumerate(lines[:-1], start=1):
            where = f"{path}:{number}"
            try:
                record = json.loads(raw)
            except ValueError as err:
                raise CorruptStoreError(where, f"not JSON ({err})") from None
            if number == 1 and start == 0:
                if not isinstance(record, dict) or not isinstance(record.get("definition"), dict):
                    raise CorruptStoreError(where, "the first line must hold the definition")
                definition = record["definition"]
                schema = _schema_of(definition)
                continue
            batch = record.get("events") if isinstance(record, dict) else None
            if not isinstance(batch, list) or not isinstance(record.get("version"), int):
                raise CorruptStoreError(where, "a line must hold a batch of events and a version")
            for offset, event in enumerate(batch, start=1):
                if not isinstance(event, dict) or event.get("seq") != version + offset:
                    raise CorruptStoreError(
                        where, f"event {offset} is not event {version + offset}"
                    )
            version += len(batch)
            if record["version"] != version:
                raise CorruptStoreError(where, f"says version {record['version']}, not {version}")
            events.extend(batch)
            schemas.extend([record.get("schema", schema)] * len(batch))
        return definition, events, schemas, version

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[int]:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            raise UnknownProgrammeError(key) from None
        except OSError as err:
            raise StoreError(f"{path}: {err}") from err
        try:
            with _io(path):
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield fd
        finally:
            os.close(fd)  # releases the lock

    def _current(self, key: str, fd: int) -> int:
        """The log's version, reading only what was appended since this store last looked."""
        size = os.fstat(fd).st_size
        seen_size, seen_version = self._tails.get(key, (0, 0))
        if size == seen_size:
            return seen_version
        if size < seen_size:
            seen_size, seen_version = 0, 0
        os.lseek(fd, seen_size, os.SEEK_SET)
        data = b""
        while chunk := os.read(fd, 1 << 20):
            data += chunk
        if seen_size:
            _, _, _, version = self._parse(
                self._path(key), data, start=seen_size, version=seen_version
            )
        else:
            _, _, _, version = self._parse(self._path(key), data)
        self._tails[key] = (size, version)
        return version

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        with self._locked(key) as fd:
            version = self._current(key, fd)
            if version != expected_version:
                raise ConcurrencyError(key, expected_version, version)
            _check_batch(key, events, expected_version)
            new = version + len(events)
            record = {"version": new, "schema": SCHEMA, "events": list(events)}
            line = (_dumps(record) + "\n").encode()
            size = os.lseek(fd, 0, os.SEEK_END)
            written = os.write(fd, line)
            if written != len(line):  # pragma: no cover - a full disk
                os.ftruncate(fd, size)
                raise StoreError(f"{key}: only {written} of {len(line)} bytes written")
            os.fsync(fd)
            self._tails[key] = (size + written, new)
            return new

    def version(self, key: str) -> int:
        with self._locked(key) as fd:
            return self._current(key, fd)

    def keys(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.jsonl"))

    def repair(self, key: str) -> bool:
        """Remove a last line cut short by an interrupted write (never acknowledged, so no
        acknowledged event is lost). Return whether there was one."""
        with self._locked(key) as fd:
            os.lseek(fd, 0, os.SEEK_SET)
            data = b""
            while chunk := os.read(fd, 1 << 20):
                data += chunk
            if not data or data.endswith(b"\n"):
                return False
            if b"\n" not in data:
                raise CorruptStoreError(
                    f"{self._path(key)}:1", "the definition line itself is cut short"
                )
            os.ftruncate(fd, data.rfind(b"\n") + 1)
            os.fsync(fd)
            self._tails.pop(key, None)
            return True


@contextlib.contextmanager
def _io(where: object) -> Iterator[None]:
    """Turn the operating system's errors into `StoreError` naming the file."""
    try:
        yield
    except OSError as err:
        raise StoreError(f"{where}: {err}") from err


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
