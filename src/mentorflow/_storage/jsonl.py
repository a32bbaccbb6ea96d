"""`JsonLinesStore`: one JSON Lines file per programme."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._codec.serialize import SCHEMA
from ..exceptions import ConcurrencyError, CorruptStoreError, StoreError, UnknownProgrammeError
from .base import (
    Document,
    Store,
    StoredLog,
    _check_batch,
    _check_key,
    _dumps,
    _io,
    _schema_of,
)


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


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
