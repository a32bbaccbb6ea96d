"""The store contract: `Store`, `StoredLog`, and the checks every store shares."""

from __future__ import annotations

import abc
import contextlib
import json
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from .._codec import chain
from .._domain.validate import show
from ..exceptions import CorruptStoreError, StoreError, UnknownProgrammeError

Document = Mapping[str, Any]
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_key(key: object) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise StoreError(f"{show(key)} is not a store key (letters, digits, '.', '_', '-')")
    return key


@attrs.frozen
class StoredLog:
    """What a store holds for one programme: its definition and its events, in order (those
    after ``after``, when the read asked for only the new ones)."""

    definition: Document
    events: Sequence[Document]
    schemas: Sequence[int]
    """The schema each event was written with."""
    after: int = 0
    """The ``seq`` of the event before the first of ``events`` (0: they are all there)."""

    @property
    def version(self) -> int:
        """The log's version when it was read: the ``seq`` of its last event."""
        return self.after + len(self.events)


CHUNK = 10_000
"""How many events a restore reads, checks, decodes and replays at a time."""


@attrs.frozen
class LogChunk:
    """Consecutive events of a log, as a store read them (see `Store.read_chunks`)."""

    events: list[Any]
    """The event documents (the caller's to give up: a restore empties the list)."""
    schemas: list[int]
    """The schema each event was written with."""
    texts: Sequence[str] | None = None
    """Each event's text as stored, where the store keeps it whole (None: it doesn't): the
    chain check digests it without encoding the document again when it is canonical JSON."""


@attrs.frozen
class ChunkedLog:
    """A programme's definition and version, and its events a chunk at a time."""

    definition: Document
    version: int
    """The log's version when it was read: its chunks hold exactly its events up to it."""
    chunks: Iterator[LogChunk]


class Store(abc.ABC):
    """Where programmes are kept: per key, a definition document and an ordered event log.

    The contract every store keeps (and ``tests/test_stores.py`` checks):

    * an append is atomic (all of a batch or none of it) and durable before it returns;
    * an append names the version it expects (how many events it has seen) and fails with
      `ConcurrencyError`, changing nothing, if another writer got there first;
    * one store object may be shared by threads: each call is atomic against the other
      threads as well as against other processes (each store's docstring says how);
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
    def read(self, key: str, *, after: int = 0) -> StoredLog:
        """The definition and the events of ``key``: all of them, or with ``after`` only those
        whose ``seq`` is greater (what was appended since a reader saw version ``after``).

        Raises:
            UnknownProgrammeError: if there is no such programme.
            CorruptStoreError: naming the damaged line or record.
            StoreError: ``after`` is not a version of the log (negative, or past its end).
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

    def delete(self, key: str) -> None:
        """Remove programme ``key``, its definition and every event, atomically. Its key can
        be created again afterwards.

        The stores of mentorflow all delete; a store of your own that doesn't need to may
        leave this out (it raises `StoreError`).

        Raises:
            UnknownProgrammeError: if there is no such programme.
        """
        raise StoreError(f"{type(self).__name__} can't delete programmes")

    def read_chunks(self, key: str, *, size: int = CHUNK) -> ChunkedLog:
        """The definition and version of ``key``, and its events, ``size`` at a time, so that
        a restore never holds every raw document of a long log at once.

        This one reads the whole log with `read`, then hands it over in chunks; the stores of
        mentorflow read a chunk at a time from their file or database, and give each event's
        stored text where they keep it whole. A store of your own may do either.

        Raises:
            UnknownProgrammeError: if there is no such programme.
            CorruptStoreError: naming the damaged line or record (when its chunk is read).
        """
        log = self.read(key)
        return ChunkedLog(log.definition, log.version, _chunked(log, size))

    # -- snapshots (see Programme.snapshot) ---------------------------------------------------

    def save_snapshot(self, key: str, version: int, document: Document) -> None:
        """Keep ``document``, a snapshot of programme ``key``'s state at ``version``: written
        whole or not at all (a snapshot cut short by a crash is never read back as one). The
        store keeps the newest `KEEP_SNAPSHOTS` of each programme; a delete removes them.

        The stores of mentorflow all keep snapshots; a store of your own may leave this out
        (it raises `StoreError`, and restores replay the whole log).

        Raises:
            UnknownProgrammeError: if there is no such programme.
            ArchivedProgrammeError: the programme is archived.
            StoreError: ``version`` is not a version of the log (negative, or past its end).
        """
        raise StoreError(f"{type(self).__name__} can't keep snapshots")

    def snapshots(self, key: str) -> list[int]:
        """The versions of the snapshots kept of programme ``key``, newest first (none, for a
        store that doesn't keep snapshots)."""
        return []

    def read_snapshot(self, key: str, version: int) -> Document:
        """The snapshot of programme ``key`` at ``version``.

        Raises:
            StoreError: there is none. CorruptStoreError: it can't be read (not JSON).
        """
        raise StoreError(f"{type(self).__name__} keeps no snapshots")

    # -- archive ------------------------------------------------------------------------------

    def archive(self, key: str) -> None:
        """Make programme ``key`` read-only: it can still be read and restored (a restored
        programme can't change), not appended to, snapshotted or deleted, until `unarchive`.
        Archiving an archived programme does nothing.

        Raises:
            UnknownProgrammeError: if there is no such programme.
        """
        raise StoreError(f"{type(self).__name__} can't archive programmes")

    def unarchive(self, key: str) -> None:
        """Make an archived programme writable again (a programme not archived: nothing).

        Raises:
            UnknownProgrammeError: if there is no such programme.
        """
        raise StoreError(f"{type(self).__name__} can't archive programmes")

    def archived(self) -> list[str]:
        """The keys of the archived programmes, sorted (also in `keys`)."""
        return []

    def readmodel_enabled(self) -> bool:
        """Whether the store keeps a read model across programmes (`mentorflow.ReadModel`):
        SQLite and PostgreSQL stores can, once enabled; the others don't."""
        return False

    # -- the outbox: consumers' positions, and who delivers (issue 14) -------------------------

    def outbox_claim(self, consumer: str, key: str, holder: str, lease: float) -> int | None:
        """Take consumer ``consumer``'s lease on programme ``key`` for ``holder`` (for
        ``lease`` seconds, renewed by each `outbox_advance`), and return the consumer's
        position there (the ``seq`` of the last event it handled; 0 at first). None if another
        holder has it: a live one whose lease has not run out.

        The stores of mentorflow all keep positions; a store of your own that doesn't can't
        feed an outbox (this raises `StoreError`).
        """
        raise StoreError(f"{type(self).__name__} keeps no outbox positions")

    def outbox_advance(
        self, consumer: str, key: str, holder: str, position: int, lease: float
    ) -> None:
        """Store ``position`` as the consumer's on ``key``, durably, and renew the lease.

        Raises:
            LeaseLost: ``holder`` no longer holds the lease (nothing is stored).
        """
        raise StoreError(f"{type(self).__name__} keeps no outbox positions")

    def outbox_release(self, consumer: str, key: str, holder: str) -> None:
        """Give the lease up (if ``holder`` still has it)."""
        raise StoreError(f"{type(self).__name__} keeps no outbox positions")

    def outbox_positions(self, consumer: str) -> dict[str, int]:
        """The consumer's position on each programme it has been given a lease on."""
        raise StoreError(f"{type(self).__name__} keeps no outbox positions")


KEEP_SNAPSHOTS = 2
"""How many snapshots a store keeps of each programme (the newest)."""


def check_snapshot_version(key: str, version: object, log_version: int | None = None) -> int:
    """``version`` as the version of a snapshot of ``key``, whose log is at ``log_version``
    (None: not known)."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise StoreError(f"{key!r}: a snapshot's version must be an int >= 0, not {show(version)}")
    if log_version is not None and version > log_version:
        raise StoreError(
            f"{key}: a snapshot of version {version} is ahead of the log, at {log_version}"
        )
    return version


def unknown_snapshot(key: str, version: object) -> StoreError:
    return StoreError(f"{key}: no snapshot of version {version!r}")


def check_after(key: str, after: object, version: int | None = None) -> int:
    """``after`` as a version of ``key``'s log, which is at ``version`` (None: not known yet)."""
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise StoreError(f"{key}: after must be a version (an int >= 0), not {show(after)}")
    if version is not None and after > version:
        raise StoreError(
            f"{key}: after={after} is past the end of the log, at version {version} (is this "
            "the store the programme came from, or was it put back from an older backup?)"
        )
    return after


def check_batch(key: str, events: Sequence[Document], expected: int) -> None:
    for offset, event in enumerate(events, start=1):
        if event.get("seq") != expected + offset:
            raise StoreError(
                f"{key}: event {offset} of the batch has seq {event.get('seq')!r}, "
                f"not {expected + offset}"
            )


def _chunked(log: StoredLog, size: int) -> Iterator[LogChunk]:
    """``log``'s events in chunks of ``size``, each let go of as it is handed over."""
    events, schemas = list(log.events)[::-1], list(log.schemas)[::-1]
    del log
    while events:
        chunk = LogChunk(events[-size:][::-1], schemas[-size:][::-1])
        del events[-size:], schemas[-size:]
        yield chunk


def chunks_of(
    key: str,
    where: str,
    version: int,
    size: int,
    fetch: Callable[[int, int], Sequence[Any]],
    now: Callable[[], int],
) -> Iterator[LogChunk]:
    """A database store's log up to ``version``, ``size`` events at a time: ``fetch(after,
    upto)`` reads the rows (seq, schema, body text) of seqs after ``after`` up to ``upto``
    (each chunk its own query: a log only grows, those rows don't change); ``now()`` is the
    programme's version now (raising if it is gone).

    Raises:
        UnknownProgrammeError: the programme was deleted (or made again, shorter) meanwhile.
        CorruptStoreError: naming a missing or damaged event.
    """
    after = 0
    while after < version:
        upto = min(after + size, version)
        rows = fetch(after, upto)
        if len(rows) != upto - after:
            if now() < version:
                raise UnknownProgrammeError(key)
            decode_chunk(where, rows, after + 1)  # names the missing event
            raise CorruptStoreError(where, f"holds fewer events than the {version} it says")
        yield decode_chunk(where, rows, after + 1)
        after = upto


def dumps(value: object, *, canonical: bool = False) -> str:
    """``value`` as compact JSON text (``canonical``: its keys sorted, as the chain of digests
    encodes it, so that a restore digests the stored text as it is: see `chain.Checker`).

    Raises:
        StoreError: ``value`` is nested too deeply to be written (it could not be read back).
    """
    try:
        return json.dumps(
            value,
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
            sort_keys=canonical,
        )
    except RecursionError:
        raise StoreError(
            "a document to store is nested too deeply (lists or objects within each other "
            "hundreds of levels down): nothing was written"
        ) from None


def linked_text(record: Document) -> str | None:
    """The canonical JSON of an event record that `chain.link` made, which it digested and
    holds (None: the record holds none, e.g. a user's plain dict, or one changed since):
    encoding a record once, not again to store it, is a quarter of what a batch costs per
    command."""
    return getattr(record, "text", None) if type(record) is chain.Record else None


def record_text(record: Document) -> str:
    """An event record's canonical JSON (`dumps` with ``canonical``), as a database store
    writes it: the text `chain.link` digested where the record holds it (`linked_text`).

    Raises:
        StoreError: as `dumps`.
    """
    text = linked_text(record)
    return text if text is not None else dumps(record, canonical=True)


NESTED_TOO_DEEPLY = (
    "nested too deeply (lists or objects within each other hundreds of levels down): not a "
    "record mentorflow wrote"
)


def loads(text: str | bytes, where: str) -> Any:
    """The JSON value of ``text``, stored at ``where``.

    Raises:
        CorruptStoreError: naming ``where``: not JSON, or nested too deeply to read (Python's
            decoder would raise `RecursionError`).
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise CorruptStoreError(where, NESTED_TOO_DEEPLY) from None
    except ValueError as err:
        raise CorruptStoreError(where, f"not JSON ({err})") from None
    except TypeError:
        raise CorruptStoreError(where, f"not text ({type(text).__name__})") from None


def decode_rows(
    where: str, definition: object, rows: list[Any], after: int, version: int
) -> StoredLog:
    """The log a database store read for ``where``: its ``definition`` text, and its events'
    ``rows`` (seq, schema, body text) from seq ``after + 1``, the log being at ``version``.
    ``rows`` is the caller's to give up: it is emptied as it is decoded.

    Raises:
        CorruptStoreError: naming the definition, or the first event that is missing, is not
            a JSON object, or is not text.
    """
    document = decode_definition(where, definition)
    check_seqs(where, rows, after + 1)
    if after + len(rows) != version:
        raise CorruptStoreError(where, f"holds {after + len(rows)} events but says {version}")
    schemas = [r[1] for r in rows]
    events: list[Any] = []
    # one decode of many rows is about 3x faster than one per row; a chunk at a time, each
    # chunk's rows let go once decoded, so a million rows are never all held twice over
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        rows[start : start + _CHUNK] = [None] * len(chunk)
        events += decode_chunk(where, chunk, after + 1 + start, numbered=True).events
    return StoredLog(document, events, schemas, after)


def decode_definition(where: str, definition: object) -> dict[str, Any]:
    """The definition document of a database store's text ``definition``.

    Raises:
        CorruptStoreError: it is not text, not JSON, or not a JSON object.
    """
    if not isinstance(definition, str):
        raise CorruptStoreError(f"{where}, definition", "not text")
    document = loads(definition, f"{where}, definition")
    if not isinstance(document, dict):
        raise CorruptStoreError(f"{where}, definition", "not a JSON object")
    return document


def check_seqs(where: str, rows: Sequence[Any], first: int) -> None:
    """Check that ``rows`` (seq first) are numbered on from ``first`` with no gap.

    Raises:
        CorruptStoreError: naming the first event that is missing.
    """
    for index, row in enumerate(rows, start=first):
        if row[0] != index:
            raise CorruptStoreError(f"{where}, event {index}", f"missing (found {row[0]} next)")


def decode_chunk(
    where: str, rows: Sequence[Any], first: int, *, numbered: bool = False
) -> LogChunk:
    """The events of a database store's ``rows`` (seq, schema, body text), numbered on from
    seq ``first`` (``numbered``: the caller checked that already), with their stored texts.

    Raises:
        CorruptStoreError: naming the first event that is missing, is not a JSON object, or
            is not text.
    """
    if not numbered:
        check_seqs(where, rows, first)
    texts = [r[2] for r in rows]
    try:
        events = json.loads("[" + ",".join(texts) + "]")
    except (ValueError, TypeError, RecursionError):
        events = []
        for seq, _schema, body in rows:  # find the damaged row, to name it
            if not isinstance(body, str):
                raise CorruptStoreError(
                    f"{where}, event {seq}", f"the body is not text ({type(body).__name__})"
                ) from None
            events.append(loads(body, f"{where}, event {seq}"))
    for seq, event in enumerate(events, start=first):
        if type(event) is not dict:
            raise CorruptStoreError(f"{where}, event {seq}", "not a JSON object")
    return LogChunk(events, [r[1] for r in rows], texts)


_CHUNK = 20_000


def schema_of(definition: str | Document) -> int:
    doc = json.loads(definition) if isinstance(definition, str) else definition
    schema = doc.get("schema")
    return schema if isinstance(schema, int) else 0


@contextlib.contextmanager
def io_errors(where: object) -> Iterator[None]:
    """Turn the operating system's errors into `StoreError` naming the file."""
    try:
        yield
    except OSError as err:
        raise StoreError(f"{where}: {err}") from err


def check_consumer(consumer: object) -> str:
    """An outbox consumer's name: a store key's letters."""
    if not isinstance(consumer, str) or not _KEY.fullmatch(consumer):
        raise StoreError(
            f"{show(consumer)} is not an outbox consumer's name (letters, digits, '.', '_', '-')"
        )
    return consumer


def new_holder() -> str:
    """A lease holder's name: this host, this process, and a token of its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def holder_gone(holder: str) -> bool:
    """Whether ``holder`` is a process of this host that no longer runs (killed, say): its
    lease need not be waited out."""
    parts = holder.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


def may_take(current: str | None, holder: str, expired: bool) -> bool:
    """Whether ``holder`` may take a lease held by ``current`` (None: by nobody)."""
    return current is None or current == holder or expired or holder_gone(current)
