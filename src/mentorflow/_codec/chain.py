"""A hash chain over a stored log: each event record carries the digest of the one before.

The first event's ``chain`` is the digest of the definition document; each later event's is
the digest of the event document before it (its ``chain`` included), so changing, inserting,
removing or reordering any record, or changing the definition, breaks the chain at the next
record. A digest is BLAKE2b (128 bits) of the document's canonical JSON (sorted keys, no
spaces, UTF-8), so it does not depend on how a store lays its documents out. Each record
`link` makes (a `Record`) keeps the text it digested: the database stores write that very
text, so a record is encoded once, and a restore digests the stored text as it is.

What it can't tell: records removed from the *end* of a log look like a crash before they were
written (the caller can say how many it last saw: ``Programme.restore(...,
expected_version=N)``); and the chain has no secret, so someone who rewrites the whole log and
recomputes every digest is not detected (sign or replicate the store for that).

Logs written before the chain have no ``chain``: their records are accepted as they are, and
the chain starts at the first record that has one (every record after it must have one too).
Removing the digests of *every* record makes a log look like one written before the chain: the
chain tells a careless or partial edit, not a forger (see above).
"""

from __future__ import annotations

import hashlib
import json
import json.encoder
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from ..exceptions import CorruptStoreError, SerializationError

FIELD = "chain"
"""The key of the digest in an event document."""


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _c_canonical(allow_nan: bool = True) -> Callable[[Any], str] | None:
    """The C encoder of canonical JSON, made once (``JSONEncoder.encode`` makes it again at
    each call), or None where the C accelerator is missing. No check for circular
    references (one is a `RecursionError`)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return None
    encode = make(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False,
        allow_nan,
    )  # fmt: skip
    return lambda document: "".join(encode(document, 0))


_CANONICAL: Callable[[Any], str] = _c_canonical() or _ENCODER.encode
"""Canonical JSON: sorted keys, no spaces, UTF-8 as it is (what ``json.dumps(document,
sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` gives)."""

_STRICT: Callable[[Any], str] = (
    _c_canonical(allow_nan=False)
    or json.JSONEncoder(
        sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode
)
"""`_CANONICAL` that refuses NaN and the infinities (a `ValueError`), as a store does: the
text of a record that a store can write as it is."""


class Record(dict[str, Any]):
    """An event record as `link` made it, holding its canonical JSON (``text``): what the
    database stores write, so that a record is encoded once, not once to digest it and again
    to store it. A record that is changed afterwards forgets its text (it is no longer the
    record's), and a store encodes it again (`mentorflow._storage.base.record_text`)."""

    __slots__ = ("text",)

    text: str | None

    def __setitem__(self, key: str, value: Any) -> None:
        self.text = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.text = None
        super().__delitem__(key)

    def __ior__(self, other: Any) -> Record:  # type: ignore[override,misc]
        self.text = None
        return super().__ior__(other)

    def clear(self) -> None:
        self.text = None
        super().clear()

    def pop(self, *args: Any) -> Any:
        self.text = None
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        self.text = None
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.text = None
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.text = None
        super().update(*args, **kwargs)


def digest(document: Mapping[str, Any], *, strict: bool = False) -> str:
    """The digest of a document: BLAKE2b-128 of its canonical JSON, in hex.

    Raises:
        SerializationError: ``strict`` (a record about to be written), and a string in it that
            is not valid Unicode (a lone surrogate), which no store can write.
    """
    return _digest_text(_CANONICAL(document), document, strict)


def _digest_text(text: str, document: Mapping[str, Any], strict: bool) -> str:
    """`digest` of ``document``, whose canonical JSON is ``text``."""
    try:
        data = text.encode("utf-8", "strict" if strict else "surrogatepass")
    except UnicodeEncodeError:
        seq = document.get("seq", "?")
        raise SerializationError(
            f"$.events[seq {seq}]", "holds a lone surrogate: not valid Unicode text"
        ) from None
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def link(documents: Iterable[Mapping[str, Any]], previous: str) -> tuple[list[dict[str, Any]], str]:
    """``documents`` each with the digest of the one before (the first with ``previous``), and
    the digest of the last (what the next record will carry). Each is a `Record` holding the
    canonical JSON it was digested from, where a store can write that text as it is.

    Raises:
        SerializationError: a string in a document is not valid Unicode (a lone surrogate).
    """
    linked: list[dict[str, Any]] = []
    for document in documents:
        record = Record(document, **{FIELD: previous})  # (not through __setitem__)
        try:
            text = _STRICT(record)
        except (ValueError, TypeError, RecursionError):
            # not JSON a store writes (NaN, say): digested as before, and the store's own
            # encoding says what is wrong with it, as it did before records carried a text
            plain = {**document, FIELD: previous}
            previous = digest(plain, strict=True)
            linked.append(plain)
            continue
        previous = _digest_text(text, record, strict=True)
        record.text = text
        linked.append(record)
    return linked, previous


def check(
    definition: Mapping[str, Any],
    documents: Sequence[Mapping[str, Any]],
    where: str,
    marks: Collection[int] = (),
) -> tuple[str, dict[int, str]]:
    """Check the chain of a stored log: the digest of its last record (what the next append
    carries; the definition's if there are none), and of the records whose seq is in
    ``marks``. The documents keep their ``chain``: loading ignores it
    (`mentorflow._codec.serialize.load_stored_event`).

    Raises:
        CorruptStoreError: naming the first record whose digest doesn't match.
    """
    return check_after(digest(definition), documents, 1, where, marks=marks)


def check_after(
    previous: str,
    documents: Sequence[Mapping[str, Any]],
    first: int,
    where: str,
    *,
    chained: bool = False,
    marks: Collection[int] = (),
) -> tuple[str, dict[int, str]]:
    """`check` for the records from seq ``first`` on, after a record of digest ``previous``
    (a refresh reads only what is new).

    Args:
        chained: Whether a record before them carried a digest already (then each of these
            must too).

    Raises:
        CorruptStoreError: naming the first record whose digest doesn't match.
    """
    checker = Checker(previous, where, chained=chained, marks=marks)
    checker.feed(documents, first)
    return checker.finish(), checker.marked


class Checker:
    """Checks a stored log's chain a chunk of records at a time (a restore streams the log).

    Where the store hands over each record's stored text (``texts``), the digest of a record
    is first taken of that text: a store that wrote the canonical JSON gives the same bytes,
    and no document need be encoded again. That is sound: the next record carries the
    digest of the canonical JSON of the record as it was written, so a text whose digest
    matches it *is* that canonical JSON, byte for byte. A text that doesn't match (a store
    that lays its JSON out its own way, or an edited record) is checked again the usual way,
    from its document; only then is a mismatch a broken chain. The last record's digest
    (what the next append carries) and the marked ones are always the canonical one.

    Args:
        previous: The digest of the record before the first one fed (the definition's).
        where: Names the log in errors (``key.events``).
        chained: Whether a record before them carried a digest already.
        marks: The seqs whose digests to keep (`marked`).
    """

    __slots__ = ("_pending", "_texts", "chained", "marked", "marks", "previous", "where")

    def __init__(
        self, previous: str, where: str, *, chained: bool = False, marks: Collection[int] = ()
    ) -> None:
        self.previous = previous
        self.where = where
        self.chained = chained
        self.marks = marks
        self.marked: dict[int, str] = {}
        # the record (and its seq) whose digest ``previous`` was taken of its stored text
        # (not yet shown to be its canonical JSON), or None
        self._pending: tuple[Mapping[str, Any], int] | None = None
        self._texts = True  # False once a stored text was not the canonical JSON: the store
        # lays its JSON out its own way, and each record would be digested twice

    def feed(
        self,
        documents: Sequence[Mapping[str, Any]],
        first: int,
        texts: Sequence[str] | None = None,
    ) -> None:
        """Check the next records, of seq ``first`` on (``texts``: as stored, if the store
        says).

        Raises:
            CorruptStoreError: naming the first record whose digest doesn't match.
        """
        where, marks, chained = self.where, self.marks, self.chained
        previous, pending = self.previous, self._pending
        blake2b = hashlib.blake2b
        for i, document in enumerate(documents):
            seq = first + i
            if type(document) is not dict and not isinstance(document, Mapping):
                raise CorruptStoreError(f"{where}[seq {seq}]", "is not a JSON object")
            carried = document.get(FIELD)
            if carried is not None or FIELD in document:
                chained = True
                if carried != previous and pending is not None:
                    previous = self._canonical(*pending)
                    self._texts = False
                if carried != previous:
                    what = "the definition" if seq == 1 else f"event {seq - 1}"
                    raise CorruptStoreError(
                        f"{where}[seq {seq}]",
                        f"its digest of {what} does not match: this record or the one before was "
                        "changed, or records were inserted, removed or reordered",
                    )
            elif chained:
                raise CorruptStoreError(
                    f"{where}[seq {seq}]",
                    "has no digest of the record before, in a chained log: records were changed",
                )
            elif pending is not None:  # a log written before the chain: digests as they were
                previous = self._canonical(*pending)
            if texts is None or not self._texts or seq in marks:
                previous, pending = self._canonical(document, seq), None
            else:
                text = texts[i]
                data = text.encode("utf-8", "surrogatepass") if type(text) is str else b""
                previous, pending = blake2b(data, digest_size=16).hexdigest(), (document, seq)
            if seq in marks:
                self.marked[seq] = previous
        self.previous, self._pending, self.chained = previous, pending, chained

    def finish(self) -> str:
        """The canonical digest of the last record fed (the one before them, if none)."""
        if self._pending is not None:
            self.previous = self._canonical(*self._pending)
            self._pending = None
        return self.previous

    def _canonical(self, document: Mapping[str, Any], seq: int) -> str:
        try:  # digest(), inlined: a million records make its call a second's worth
            data = _CANONICAL(document).encode("utf-8", "surrogatepass")
        except (TypeError, ValueError, RecursionError) as err:
            raise CorruptStoreError(
                f"{self.where}[seq {seq}]", f"can't be digested ({err})"
            ) from None
        return hashlib.blake2b(data, digest_size=16).hexdigest()
