"""`JsonLinesStore`: one JSON Lines file per programme."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from .._codec.serialize import SCHEMA
from ..exceptions import (
    ArchivedProgrammeError,
    ConcurrencyError,
    CorruptStoreError,
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
    io_errors,
    loads,
    schema_of,
    unknown_snapshot,
)


@attrs.frozen
class _Tail:
    """Where a file ended when this store last read it: appends after it are read alone."""

    inode: tuple[int, int]  # (device, inode): a file deleted and created again is another
    size: int
    version: int
    lines: int
    schema: int  # the definition's, for lines that don't say theirs


@attrs.define
class _Parsed:
    definition: Document
    events: list[Document]
    schemas: list[int]
    tail: _Tail


class JsonLinesStore(Store):
    """One JSON Lines file per programme, in ``directory``: ``<key>.jsonl``.

    The first line is the definition; every other line is one append (a batch of events with
    the version it brings the log to), written with a single ``write`` and flushed to disk
    (``fsync``) before the append returns. A line cut short (a power loss during a write) makes
    `read` refuse the file, naming the line; `repair` removes such an unacknowledged last line.

    Threads and processes alike: each call opens the file anew and takes a ``flock`` on it,
    exclusive to append, repair or delete, shared to read. A lock taken through its own
    open file is respected between threads of one process as between processes, so one store
    object may be shared by threads, and a directory by processes on one machine (not over
    NFS). A read reads only what was appended since this store last read the file.

    Snapshots: ``<key>.snapshots/<version>.json``, each written to a temporary file, flushed
    and renamed into place under the programme's exclusive lock (whole or absent). An archived
    programme has a marker file, ``<key>.archived``, checked by every append under that lock.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        with io_errors(self.directory):
            self.directory.mkdir(parents=True, exist_ok=True)
        self._tails: dict[str, _Tail] = {}  # replaced whole, never changed: safe for threads
        self._leases: dict[tuple[str, str, str], int] = {}  # the outbox's locked files
        self._leases_lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.directory / f"{check_key(key)}.jsonl"

    def create(self, key: str, definition: Document, events: Sequence[Document] = ()) -> None:
        path = self._path(key)
        check_batch(key, events, 0)
        data = dumps({"definition": definition}) + "\n"
        if events:
            data += dumps({"version": len(events), "schema": SCHEMA, "events": list(events)}) + "\n"
        # written whole to a temporary file, then linked into place: a programme exists with
        # all of its first events, or not at all (the name is this thread's own)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with io_errors(path):
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

    def read(self, key: str, *, after: int = 0) -> StoredLog:
        check_after(key, after)
        with self._locked(key, fcntl.LOCK_SH, os.O_RDONLY) as fd:
            parsed = self._load(key, fd, after)
        check_after(key, after, parsed.tail.version)
        skip = len(parsed.events) - (parsed.tail.version - after)
        return StoredLog(parsed.definition, parsed.events[skip:], parsed.schemas[skip:], after)

    def _load(self, key: str, fd: int, after: int) -> _Parsed:
        """Parse the file, from where this store last saw it end if that is at or before
        ``after`` and it has only grown since; remember where it ends now."""
        path = self._path(key)
        stat = os.fstat(fd)
        inode = (stat.st_dev, stat.st_ino)
        seen = self._tails.get(key)
        definition = _first_line(path, fd)
        if seen is None or seen.inode != inode or seen.size > stat.st_size or seen.version > after:
            seen = _Tail(inode, 0, 0, 0, 0)
        parsed = _parse(path, _read_from(fd, seen.size), seen, definition)
        parsed.tail = attrs.evolve(parsed.tail, inode=inode)
        self._tails[key] = parsed.tail
        return parsed

    @contextlib.contextmanager
    def _locked(self, key: str, lock: int = fcntl.LOCK_EX, mode: int = os.O_RDWR) -> Iterator[int]:
        """The file of ``key``, open and locked; refused if it was deleted meanwhile."""
        path = self._path(key)
        try:
            fd = os.open(path, mode)
        except FileNotFoundError:
            raise UnknownProgrammeError(key) from None
        except OSError as err:
            raise StoreError(f"{path}: {err}") from err
        try:
            with io_errors(path):
                fcntl.flock(fd, lock)
                # the file may have been deleted (and created again) while this call waited
                # for the lock: the lock is then on a file that is no longer the programme's
                held = os.fstat(fd)
                try:
                    now = os.stat(path)
                except FileNotFoundError:
                    raise UnknownProgrammeError(key) from None
                if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
                    raise UnknownProgrammeError(key)
                yield fd
        finally:
            os.close(fd)  # releases the lock

    def _current(self, key: str, fd: int) -> int:
        """The log's version, reading only what was appended since this store last looked."""
        seen = self._tails.get(key)
        stat = os.fstat(fd)
        here = ((stat.st_dev, stat.st_ino), stat.st_size)
        if seen is not None and (seen.inode, seen.size) == here:
            return seen.version
        return self._load(key, fd, seen.version if seen else 0).tail.version

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        check_batch(key, events, expected_version)
        with self._locked(key) as fd:
            self._writable(key)
            version = self._current(key, fd)
            if version != expected_version:
                raise ConcurrencyError(key, expected_version, version)
            new = version + len(events)
            record = {"version": new, "schema": SCHEMA, "events": list(events)}
            line = (dumps(record) + "\n").encode()
            size = os.lseek(fd, 0, os.SEEK_END)
            written = os.write(fd, line)
            if written != len(line):  # pragma: no cover - a full disk
                os.ftruncate(fd, size)
                raise StoreError(f"{key}: only {written} of {len(line)} bytes written")
            os.fsync(fd)
            seen = self._tails[key]
            self._tails[key] = attrs.evolve(
                seen, size=size + written, version=new, lines=seen.lines + 1
            )
            return new

    def version(self, key: str) -> int:
        with self._locked(key, fcntl.LOCK_SH, os.O_RDONLY) as fd:
            return self._current(key, fd)

    def keys(self) -> list[str]:
        with io_errors(self.directory):
            return sorted(p.stem for p in self.directory.glob("*.jsonl"))

    def delete(self, key: str) -> None:
        """Remove the programme's file (under its exclusive lock, so no append is half-way
        through it; a writer waiting for the lock then finds the programme gone)."""
        path = self._path(key)
        with self._locked(key):
            self._writable(key)
            with io_errors(path):
                os.unlink(path)
                shutil.rmtree(self._snapshot_folder(key), ignore_errors=True)
                _fsync_directory(self.directory)
            self._tails.pop(key, None)

    # -- snapshots and archive -----------------------------------------------------------------

    def _snapshot_folder(self, key: str) -> Path:
        return self.directory / f"{check_key(key)}.snapshots"

    def _marker(self, key: str) -> Path:
        return self.directory / f"{check_key(key)}.archived"

    def _writable(self, key: str) -> None:
        if self._marker(key).exists():
            raise ArchivedProgrammeError(key)

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        data = (dumps(document) + "\n").encode()
        folder = self._snapshot_folder(key)
        with self._locked(key) as fd, io_errors(folder):
            self._writable(key)
            check_snapshot_version(key, version, self._current(key, fd))
            folder.mkdir(exist_ok=True)
            target = folder / f"{version}.json"
            temporary = folder / f".{version}.{os.getpid()}.{threading.get_ident()}.tmp"
            try:
                out = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                try:
                    os.write(out, data)
                    os.fsync(out)
                finally:
                    os.close(out)
                os.replace(temporary, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
            for old in self._snapshot_versions(folder)[KEEP_SNAPSHOTS:]:
                os.unlink(folder / f"{old}.json")
            _fsync_directory(folder)

    @staticmethod
    def _snapshot_versions(folder: Path) -> list[int]:
        try:
            names = [p.stem for p in folder.glob("*.json")]
        except FileNotFoundError:  # pragma: no cover - glob doesn't raise it
            return []
        return sorted((int(n) for n in names if n.isdigit()), reverse=True)

    def snapshots(self, key: str) -> list[int]:
        with self._locked(key, fcntl.LOCK_SH, os.O_RDONLY), io_errors(self.directory):
            return self._snapshot_versions(self._snapshot_folder(key))

    def read_snapshot(self, key: str, version: int) -> Document:
        check_snapshot_version(key, version)
        path = self._snapshot_folder(key) / f"{version}.json"
        with self._locked(key, fcntl.LOCK_SH, os.O_RDONLY):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                raise unknown_snapshot(key, version) from None
            except OSError as err:
                raise StoreError(f"{path}: {err}") from err
        document: Document = loads(data, str(path))
        return document

    def archive(self, key: str) -> None:
        with self._locked(key), io_errors(self.directory):
            self._marker(key).touch()
            _fsync_directory(self.directory)

    def unarchive(self, key: str) -> None:
        with self._locked(key), io_errors(self.directory):
            self._marker(key).unlink(missing_ok=True)
            _fsync_directory(self.directory)

    def archived(self) -> list[str]:
        with io_errors(self.directory):
            found = {p.stem for p in self.directory.glob("*.archived")}
            return sorted(k for k in found if (self.directory / f"{k}.jsonl").exists())

    def repair(self, key: str) -> bool:
        """Remove a last line cut short by an interrupted write (never acknowledged, so no
        acknowledged event is lost). Return whether there was one."""
        with self._locked(key) as fd:
            data = _read_from(fd, 0)
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

    # -- the outbox: positions in side files, leases as locks ----------------------------------
    # .outbox/<consumer>/<key>.position holds the position (replaced whole: written to a
    # temporary file, fsynced, renamed over it); .outbox/<consumer>/<key>.lock is locked
    # (flock, exclusive) by the lease's holder for as long as it delivers: the lock goes with
    # the process, so a killed worker's lease is free at once (``lease`` is not needed).

    def _outbox_path(self, consumer: str, key: str, suffix: str) -> Path:
        folder = self.directory / ".outbox" / check_consumer(consumer)
        return folder / f"{check_key(key)}{suffix}"

    def outbox_claim(self, consumer: str, key: str, holder: str, lease: float) -> int | None:
        if not self._path(key).exists():
            raise UnknownProgrammeError(key)
        lock = self._outbox_path(consumer, key, ".lock")
        with io_errors(lock):
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            except BaseException:
                os.close(fd)
                raise
        with self._leases_lock:
            self._leases[(consumer, key, holder)] = fd
        return self._position(consumer, key)

    def _position(self, consumer: str, key: str) -> int:
        path = self._outbox_path(consumer, key, ".position")
        try:
            text = path.read_text()
        except FileNotFoundError:
            return 0
        except OSError as err:
            raise StoreError(f"{path}: {err}") from err
        try:
            position = json.loads(text)["position"]
        except (ValueError, KeyError, TypeError):
            raise CorruptStoreError(str(path), "not a consumer's position") from None
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise CorruptStoreError(str(path), f"the position is {position!r}")
        return position

    def outbox_advance(
        self, consumer: str, key: str, holder: str, position: int, lease: float
    ) -> None:
        if (consumer, key, holder) not in self._leases:
            raise LeaseLost(f"{consumer} on {key!r}: {holder} holds no lease")
        path = self._outbox_path(consumer, key, ".position")
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with io_errors(path):
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, dumps({"position": position}).encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, path)
            _fsync_directory(path.parent)

    def outbox_release(self, consumer: str, key: str, holder: str) -> None:
        with self._leases_lock:
            fd = self._leases.pop((consumer, key, holder), None)
        if fd is not None:
            os.close(fd)  # releases the lock

    def outbox_positions(self, consumer: str) -> dict[str, int]:
        folder = self.directory / ".outbox" / check_consumer(consumer)
        if not folder.exists():
            return {}
        with io_errors(folder):
            found = {p.stem for p in folder.iterdir() if p.suffix in (".lock", ".position")}
        return {key: self._position(consumer, key) for key in sorted(found)}


def _read_from(fd: int, offset: int) -> bytes:
    """The file's bytes from ``offset`` to its end."""
    chunks = []
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _first_line(path: Path, fd: int) -> Document:
    """The definition, from the file's first line."""
    data = b""
    while b"\n" not in data:
        chunk = os.pread(fd, 1 << 16, len(data))
        if not chunk:
            break
        data += chunk
    where = f"{path}:1"
    if not data:
        raise CorruptStoreError(where, "the file is empty: the definition is missing")
    line, newline, _ = data.partition(b"\n")
    if not newline:
        raise CorruptStoreError(
            where, "the last line is cut short (a write did not finish); repair() removes it"
        )
    record = loads(line, where)
    if not isinstance(record, dict) or not isinstance(record.get("definition"), dict):
        raise CorruptStoreError(where, "the first line must hold the definition")
    definition: Document = record["definition"]
    return definition


def _parse(path: Path, data: bytes, seen: _Tail, definition: Document) -> _Parsed:
    """Parse ``data``, the file from ``seen.size`` on (0: the whole file)."""
    events: list[Document] = []
    schemas: list[int] = []
    lines = data.split(b"\n")
    if lines[-1] != b"":
        raise CorruptStoreError(
            f"{path}:{seen.lines + len(lines)}",
            "the last line is cut short (a write did not finish); repair() removes it",
        )
    version = seen.version
    schema = schema_of(definition) if seen.size == 0 else seen.schema
    start = 1 if seen.size == 0 else 0  # the definition line, read by _first_line
    for number, raw in enumerate(lines[start:-1], start=seen.lines + start + 1):
        where = f"{path}:{number}"
        record = loads(raw, where)
        batch = record.get("events") if isinstance(record, dict) else None
        if not isinstance(batch, list) or not isinstance(record.get("version"), int):
            raise CorruptStoreError(where, "a line must hold a batch of events and a version")
        for offset, event in enumerate(batch, start=1):
            if not isinstance(event, dict) or event.get("seq") != version + offset:
                raise CorruptStoreError(where, f"event {offset} is not event {version + offset}")
        version += len(batch)
        if record["version"] != version:
            raise CorruptStoreError(where, f"says version {record['version']}, not {version}")
        events.extend(batch)
        schemas.extend([record.get("schema", schema)] * len(batch))
    tail = _Tail(seen.inode, seen.size + len(data), version, seen.lines + len(lines) - 1, schema)
    return _Parsed(definition, events, schemas, tail)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
