"""Restores stream the log (issue 13, speed and memory): the store hands it over a chunk at a
time, and each chunk is checked, decoded and replayed before the next is read; SQLite's
stored texts are digested as they are when they are canonical JSON."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow import (
    CorruptStoreError,
    Event,
    MemoryStore,
    Programme,
    SQLiteStore,
    Store,
)
from mentorflow._codec import serialize
from mentorflow._codec.fastload import FAST
from mentorflow._core import persist
from mentorflow._core import snapshot as snapshots
from mentorflow._simulation import inclucities as _inclucities
from mentorflow._storage.base import LogChunk
from mentorflow.testing import snapshot as observable
from test_snapshots import alerted


def restore(store: Store, **options: bool) -> Programme:
    """Restore ``p`` (``use_snapshots=False``: replay the whole log, snapshots or not)."""
    if "use_snapshots" in options:
        return persist.restore(store, "p", Programme.from_definition, **options)[0]
    return Programme.restore(store, "p", **options)


@pytest.fixture
def chunk(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set how many events a restore reads at a time."""

    def set_size(size: int) -> None:
        monkeypatch.setattr(persist, "CHUNK", size)

    return set_size


class TestChunks:
    """Restore a chunk at a time, on every store."""

    @pytest.mark.parametrize("size", [1, 2, 3, 7])
    def test_same_programme(
        self, make_store: Callable[[], Store], chunk: Callable[[int], None], size: int
    ) -> None:
        """Small chunks (a command's events run on into the next, the snapshot's version
        falls inside one) restore the programme one read gives, from the snapshot, in full
        and with verify."""
        store = make_store()
        live = alerted(store)
        chunk(size)
        for options in ({}, {"use_snapshots": False}, {"verify": True}):
            restored = restore(make_store(), **options)
            assert observable(live) == observable(restored)
            assert snapshots.state_of(live._rt) == snapshots.state_of(restored._rt)
            assert list(live.history) == list(restored.history)

    def test_read_chunks_hands_over_the_log(self, make_store: Callable[[], Store]) -> None:
        """read_chunks gives the definition, the version and every event, in order, in
        chunks of the size asked for (the last one shorter)."""
        store = make_store()
        live = alerted(store)
        log = store.read("p")
        chunked = store.read_chunks("p", size=4)
        assert log.definition == chunked.definition
        assert live.version == chunked.version
        chunks: list[LogChunk] = list(chunked.chunks)
        assert [4] * (len(chunks) - 1) == [len(c.events) for c in chunks[:-1]]
        assert list(log.events) == [e for c in chunks for e in c.events]
        assert list(log.schemas) == [s for c in chunks for s in c.schemas]
        for c in chunks:
            assert c.texts is None or [json.loads(t) for t in c.texts] == c.events


def _sqlite(tmp_path: Path) -> tuple[SQLiteStore, Programme, Path]:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    return store, alerted(store), path


def _rewrite(path: Path, change: Callable[[int, str], str]) -> None:
    """Rewrite every event body of ``p`` in the SQLite file at ``path`` with ``change``."""
    db = sqlite3.connect(path)
    with db:
        for seq, body in db.execute("SELECT seq, body FROM events WHERE key = 'p'").fetchall():
            db.execute(
                "UPDATE events SET body = ? WHERE key = 'p' AND seq = ?", (change(seq, body), seq)
            )
    db.close()


class TestStoredTexts:
    """The chain check digests SQLite's stored texts where they are canonical JSON."""

    def test_bodies_are_canonical(self, tmp_path: Path) -> None:
        """SQLite writes each event as canonical JSON (sorted keys, no spaces)."""
        store, _, path = _sqlite(tmp_path)
        store.close()
        db = sqlite3.connect(path)
        bodies = [b for (b,) in db.execute("SELECT body FROM events WHERE key = 'p'")]
        db.close()
        canonical = [
            json.dumps(json.loads(b), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            for b in bodies
        ]
        assert canonical == bodies

    def test_other_layouts_still_restore(self, tmp_path: Path) -> None:
        """Bodies laid out another way (keys unsorted, spaces: an older mentorflow, or
        another tool) are the same records: the chain is checked from their documents."""
        store, live, path = _sqlite(tmp_path)
        store.close()
        _rewrite(path, lambda _, body: json.dumps(dict(reversed(json.loads(body).items()))))
        for options in ({}, {"use_snapshots": False}):
            restored = restore(SQLiteStore(path), **options)
            assert observable(live) == observable(restored)

    @pytest.mark.parametrize("size", [1, 5, 10_000])
    def test_an_edited_record_is_refused(
        self, tmp_path: Path, chunk: Callable[[int], None], size: int
    ) -> None:
        """An edited record is a broken chain, named at the record after it, even when it
        ends a chunk (each chunk is loaded once the next one's chain is checked) and even
        before the snapshot's version: found by a full replay or verify at once, and by a
        restore from the snapshot when it first reads the history before it."""
        store, live, path = _sqlite(tmp_path)
        store.close()
        chunk(size)
        target = 5

        def edit(seq: int, body: str) -> str:
            if seq != target:
                return body
            document = json.loads(body)
            document["at"] = document["at"].replace("2020", "2019")
            return json.dumps(document, sort_keys=True, separators=(",", ":"))

        _rewrite(path, edit)
        for options in ({"verify": True}, {"use_snapshots": False}):
            with pytest.raises(CorruptStoreError, match=rf"seq {target + 1}\]"):
                restore(SQLiteStore(path), **options)
        lazy = restore(SQLiteStore(path))
        with pytest.raises(CorruptStoreError, match=rf"seq {target + 1}\]"):
            list(lazy.history)
        assert live.version > target


def test_a_store_of_your_own_is_chunked_from_read() -> None:
    """A store that doesn't read in chunks itself is chunked from `read` (no texts)."""
    store = MemoryStore()
    live = alerted(store)
    chunks = list(Store.read_chunks(store, "p", size=3).chunks)
    assert live.version == sum(len(c.events) for c in chunks)
    assert all(c.texts is None for c in chunks)


@pytest.mark.parametrize("kind", sorted(FAST, key=lambda k: k.__name__), ids=lambda k: k.__name__)
def test_fast_loaders_make_the_events_init_makes(kind: type[Event]) -> None:
    """The fast loaders set an event's slots without calling its __init__ where that only
    sets them: the events are the ones __init__ makes (equal, same hash, evolvable)."""

    @settings(max_examples=10, deadline=None)
    @given(st.from_type(kind))
    def check(event: Event) -> None:
        loaded = FAST[kind](serialize.dump_event(event), False)
        if loaded is None:
            return  # left to cattrs
        assert event == loaded
        assert hash(event) == hash(loaded)
        assert attrs.evolve(event, seq=event.seq + 1) == attrs.evolve(loaded, seq=loaded.seq + 1)

    check()


def test_fast_loader_converts_as_init_does() -> None:
    """PairEnrolled's theme is converted by the loader (remembered by value), as __init__
    converts it: a default theme is its member, a theme of the programme's own stays a
    string, and a bad one is left to cattrs (None), each time it comes."""
    from mentorflow._domain.events import PairEnrolled
    from mentorflow._domain.model import Theme

    event = next(e for e in _inclucities.programme().history if isinstance(e, PairEnrolled))
    document = serialize.dump_event(event)
    load = FAST[PairEnrolled]
    for _ in range(2):  # the second time from what the loader remembers
        assert Theme.HOUSING is load({**document, "theme": "housing"}, False).theme  # type: ignore[union-attr]
        own = load({**document, "theme": "urban_food"}, False)
        assert own == attrs.evolve(event, theme="urban_food")
        assert type(own.theme) is str  # type: ignore[union-attr]
        assert load({**document, "theme": "Not A Theme"}, False) is None
