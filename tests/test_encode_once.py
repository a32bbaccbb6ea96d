"""Each event record is encoded once: `chain.link` keeps the canonical JSON it digested, and
the stores write that text rather than encoding the record again (issue 14's batches). The
stored text is what it was before, byte for byte (a restore digests it), and a document no
store can write is refused as it was."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from mentorflow import (
    Complete,
    MemoryStore,
    Phase,
    Programme,
    SerializationError,
    Store,
    StoreError,
)
from mentorflow._codec import chain
from mentorflow._codec.primitives import dump_instant
from mentorflow._simulation.inclucities import programme as inclucities_programme
from mentorflow._storage.base import dumps, linked_text, record_text


def canonical(document: object) -> str:
    """What the stores wrote before records carried their text."""
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
    )


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


DOCUMENTS = [
    {"seq": 1, "type": "T", "b": 1, "a": [1.5, None, True, {"z": "é", "y": "日本"}]},
    {"seq": 2, "note": 'a\nb"c\\\t\x00\u2028', "chain": "0" * 32, "n": 10**30},
    {"seq": 3, "$schema": 7, "x": -0.0, "y": 1e16, "z": 0.1, "w": [], "v": {}},
    {"seq": 4, "emoji": "\U0001f600", "nested": nested(50), "f": 123456789.123456789},
]


def journaled(store: Store) -> Programme:
    """IncluCities persisted in ``store`` as ``p``, then a command, then a batch of them."""
    live = inclucities_programme()
    live.persist(store, "p")
    first, *others = list(live.pairs)
    live.pair(first).complete(Phase.NEEDS_ASSESSMENT, at=live.now())
    live.execute(*[Complete(pair=key, phase=Phase.NEEDS_ASSESSMENT) for key in others])
    return live


class TestLink:
    """Tests for chain.link's records and the text they carry."""

    @pytest.mark.parametrize("document", DOCUMENTS)
    def test_text_is_the_canonical_json(self, document: dict[str, Any]) -> None:
        """A linked record holds exactly the text the store would encode, and its digest is
        that text's."""
        (record,), last = chain.link([document], "f" * 32)
        assert isinstance(record, chain.Record)
        assert canonical(record) == record.text
        assert canonical(record) == record_text(record)
        assert chain.digest(record) == last
        assert {**document, "chain": "f" * 32} == record

    @pytest.mark.parametrize(
        "change",
        [
            lambda r: r.__setitem__("note", "x"),
            lambda r: r.update(note="x"),
            lambda r: r.setdefault("note", "x"),
            lambda r: r.pop("type"),
            lambda r: r.popitem(),
            lambda r: r.__delitem__("type"),
            lambda r: r.__ior__({"note": "x"}),
            lambda r: r.clear(),
        ],
    )
    def test_a_changed_record_is_encoded_again(self, change: Callable[[Any], object]) -> None:
        """A record changed after it was linked forgets its text: what is stored is what
        it holds now."""
        (record,), _ = chain.link([{"seq": 1, "type": "T"}], "0" * 32)
        assert isinstance(record, chain.Record)
        change(record)
        assert None is record.text
        assert canonical(record) == record_text(record)

    def test_a_plain_document(self) -> None:
        """A user's plain dict is encoded by the store, as before."""
        document = {"seq": 1, "b": "é", "a": 2}
        assert canonical(document) == record_text(document)


class TestStoredText:
    """Tests for what the stores write of a journaled programme."""

    def test_stored_text_is_unchanged(self, make_store: Callable[[], Store]) -> None:
        """The programme's records read back as written, a database store's stored texts
        are the canonical JSON of each (byte for byte what was written before), and the
        programme restores."""
        store = make_store()
        live = journaled(store)
        chunks = list(store.read_chunks("p").chunks)
        documents = [d for c in chunks for d in c.events]
        assert live.version == len(documents)
        for chunk in chunks:
            if chunk.texts is not None:
                assert [canonical(d) for d in chunk.events] == list(chunk.texts)
                assert [dumps(d, canonical=True) for d in chunk.events] == list(chunk.texts)
        restored = Programme.restore(store, "p", verify=True)
        assert live.history[:] == restored.history[:]


BAD: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "nan": ({"seq": 1, "x": math.nan}, ValueError, "Out of range float"),
    "infinity": ({"seq": 1, "x": -math.inf}, ValueError, "Out of range float"),
    "too deep": ({"seq": 1, "x": nested(100_000)}, StoreError, "nested too deeply"),
}


class TestRefused:
    """Tests for documents no store can write: refused as before, nothing written."""

    @pytest.mark.parametrize("name", sorted(BAD))
    def test_plain(self, make_store: Callable[[], Store], name: str) -> None:
        """Appended as a plain document: the store's own error."""
        document, error, match = BAD[name]
        store = make_store()
        store.create("p", {"name": "p"})
        with pytest.raises(error, match=match):
            store.append("p", [{"seq": 1}, document | {"seq": 2}], expected_version=0)
        assert 0 == store.version("p")

    @pytest.mark.parametrize("name", ["nan", "infinity"])
    def test_linked(self, make_store: Callable[[], Store], name: str) -> None:
        """A linked record no store can write holds no text: the store refuses it as it
        did, and writes nothing of the batch."""
        document, error, match = BAD[name]
        store = make_store()
        store.create("p", {"name": "p"})
        records, _ = chain.link([{"seq": 1}, document | {"seq": 2}], "0" * 32)
        assert isinstance(records[0], chain.Record)
        assert not isinstance(records[1], chain.Record)
        with pytest.raises(error, match=match):
            dumps(records[1], canonical=True)
        with pytest.raises(error, match=match):
            store.append("p", records, expected_version=0)
        assert 0 == store.version("p")

    def test_linked_lone_surrogate(self) -> None:
        """A lone surrogate in a record to link is a SerializationError naming it."""
        with pytest.raises(SerializationError, match=r"seq 2.*lone surrogate"):
            chain.link([{"seq": 1}, {"seq": 2, "x": "a\ud800"}], "0" * 32)

    def test_linked_too_deep(self) -> None:
        """A record nested too deeply to encode is refused by link, as before (a record of
        mentorflow's events never is)."""
        with pytest.raises(RecursionError):
            chain.link([{"seq": 1, "x": nested(100_000)}], "0" * 32)


class TestDumpInstant:
    """Tests for dump_instant's memory of the last instant it wrote."""

    def test_equal_instants_in_other_zones(self) -> None:
        """The same instant in another zone, asked for after it, is written in its own zone
        (the memory is of the object, not of the instant)."""
        brussels = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
        utc = brussels.in_tz("UTC")
        again = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
        assert brussels == utc
        written = [dump_instant(t) for t in (brussels, brussels, utc, utc, again, brussels)]
        expected_brussels = "2020-06-17T10:00:00+02:00[Europe/Brussels]"
        expected_utc = "2020-06-17T08:00:00+00:00[UTC]"
        assert [expected_brussels] * 2 + [expected_utc] * 2 + [expected_brussels] * 2 == written


class _Watching(MemoryStore):
    """A store that notes whether each record it is given holds its text."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[bool] = []

    def create(self, key: str, definition: Any, events: Any = ()) -> None:
        self.held += [linked_text(e) is not None for e in events]
        super().create(key, definition, events)

    def append(self, key: str, events: Any, *, expected_version: int) -> int:
        self.held += [linked_text(e) is not None for e in events]
        return super().append(key, events, expected_version=expected_version)


def test_the_journal_hands_over_texts() -> None:
    """Persisting, a command and a batch each hand the store records holding their text: the
    store encodes none of them again."""
    store = _Watching()
    live = journaled(store)
    assert [True] * live.version == store.held
