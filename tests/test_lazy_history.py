"""A restore from a snapshot reads only the records from the snapshot's version on (issue 13,
speed and memory): the history before it is read from the store, its chain checked, the
first time something asks for it, and is then the history a full replay gives."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from mentorflow import (
    CorruptStoreError,
    Event,
    Programme,
    SQLiteStore,
    Store,
)
from mentorflow._core import persist
from mentorflow._core import snapshot as snapshots
from mentorflow._domain.older import LazyEvents, Older
from mentorflow._simulation import inclucities
from mentorflow.testing import snapshot as observable

TZ = "Europe/Brussels"


def plain() -> Programme:
    """IncluCities' pairs without its deadline rules (tests/test_lazy_book.py restores
    programmes with deadline rules lazily)."""
    programme = Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        lifecycle=inclucities.LIFECYCLE,
    )
    kickoff = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
    for key, (mentor, mentee, theme, topic) in inclucities.PAIRS.items():
        programme.add_pair(key, mentor=mentor, mentee=mentee, theme=theme, topic=topic, at=kickoff)
    return programme


def steps(programme: Programme) -> list[Callable[[], object]]:
    """IncluCities' commands in date order: partner replaced, phases, visits, deliverables,
    an extension requested and granted."""
    dated = []
    for offset, pair in enumerate(programme.pairs.values()):
        dated += inclucities._pair_steps(pair, offset)
    requested = pendulum.datetime(2022, 9, 15, 17, tz=TZ)
    dated.append(
        (requested, lambda: programme.request_extension(months=3, reason="covid", at=requested))
    )
    granted = pendulum.datetime(2022, 10, 20, 17, tz=TZ)
    dated.append(
        (
            granted,
            lambda: programme.grant_extension(
                programme.extensions[0].key, by="European Commission", at=granted
            ),
        )
    )
    return [step for _, step in sorted(dated, key=lambda s: s[0].timestamp())]


def full(store: Store) -> Programme:
    """The programme in ``store``, its whole log replayed."""
    return persist.restore(store, "p", Programme.from_definition, use_snapshots=False)[0]


def assert_lazy(programme: Programme) -> None:
    """The programme's history and its pairs' have not read the events before its snapshot."""
    histories = [programme._rt.ledger.events, *(s.history for s in programme._rt.states.values())]
    assert all(isinstance(h, LazyEvents) and not h.loaded for h in histories)


def assert_same(expected: Programme, lazy: Programme) -> None:
    """``lazy`` has the state, history and pairs' histories of ``expected`` (reading its
    older events), whatever way they are asked for."""
    assert expected.version == lazy.version == len(lazy.history)
    assert snapshots.state_of(expected._rt) == snapshots.state_of(lazy._rt)
    assert [p.last_changed_at for p in expected.pairs.values()] == [
        p.last_changed_at for p in lazy.pairs.values()
    ]
    assert expected.history[-1] == lazy.history[-1]
    assert expected.history[0] == lazy.history[0]  # reads the older events
    assert list(expected.history) == list(lazy.history)
    assert expected.history[1:-1] == lazy.history[1:-1]
    assert expected._rt.ledger.events == lazy._rt.ledger.events
    for key, pair in expected.pairs.items():
        assert pair.history == lazy.pair(key).history
        assert pair.mentee == lazy.pair(key).mentee
    assert observable(expected) == observable(lazy)


class TestEveryVersion:
    """A snapshot after each command, restored lazily, gives the full replay's programme."""

    def test_every_command_boundary(self, make_store: Callable[[], Store]) -> None:
        """At every command boundary: lazy until asked, then equal to the full replay; and
        a command on the lazy programme reads nothing older."""
        store = make_store()
        live = plain()
        live.persist(store, "p")
        for number, step in enumerate(steps(live)):
            step()
            if number % 3:
                continue  # every third boundary: the suite stays fast on PostgreSQL
            live.snapshot()
            lazy = Programme.restore(make_store(), "p")
            assert_lazy(lazy)
            assert live.version == lazy.version == len(lazy.history)
            assert live._rt.ledger.events[-1] == lazy._rt.ledger.events[-1]
            assert snapshots.state_of(live._rt) == snapshots.state_of(lazy._rt)
            assert_same(full(make_store()), lazy)

    def test_commands_and_refresh_read_nothing_older(self, make_store: Callable[[], Store]) -> None:
        """A programme restored from a snapshot takes commands, refreshes and takes
        snapshots without reading the events before it; then it is the full replay's."""
        persisted(make_store(), 20)
        writer = Programme.restore(make_store(), "p")
        reader = Programme.restore(make_store(), "p")
        key = next(iter(writer.pairs))
        at = pendulum.datetime(2023, 6, 1, 12, tz=TZ)
        writer.pair(key).suspend(at=at)
        writer.pair(key).resume(at=at.add(days=1))
        assert 2 == len(reader.refresh())
        writer.snapshot()
        for programme in (writer, reader):
            assert_lazy(programme)
        assert_same(full(make_store()), writer)
        assert_same(full(make_store()), reader)


def persisted(store: Store, until: int, more: int = 0) -> Programme:
    """`plain` persisted in ``store``, its first ``until`` steps taken, a snapshot, then
    ``more`` steps."""
    live = plain()
    live.persist(store, "p")
    todo = steps(live)
    for step in todo[:until]:
        step()
    live.snapshot()
    for step in todo[until : until + more]:
        step()
    return live


def _sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    persisted(store, 30, 5)
    store.close()
    return path


def _edit(path: Path, seq: int) -> None:
    """Change the time of event ``seq`` of ``p`` in the SQLite file, its chain left as is."""
    db = sqlite3.connect(path)
    with db:
        (body,) = db.execute(
            "SELECT body FROM events WHERE key = 'p' AND seq = ?", (seq,)
        ).fetchone()
        document = json.loads(body)
        document["note"] = "edited"
        db.execute(
            "UPDATE events SET body = ? WHERE key = 'p' AND seq = ?",
            (json.dumps(document, sort_keys=True, separators=(",", ":")), seq),
        )
    db.close()


class TestTampering:
    """Records before the snapshot changed after the restore are refused when read."""

    @pytest.mark.parametrize("where", ["first", "middle", "at the snapshot"])
    def test_an_edited_older_record(self, tmp_path: Path, where: str) -> None:
        """The first read of the older history finds the broken chain (or the record at the
        snapshot's version that is not the snapshot's), and says so every time."""
        path = _sqlite(tmp_path)
        store = SQLiteStore(path)
        lazy = Programme.restore(store, "p")
        assert_lazy(lazy)
        at = store.snapshots("p")[0]
        seq = {"first": 1, "middle": at // 2, "at the snapshot": at}[where]
        _edit(path, seq)
        for _ in range(2):
            with pytest.raises(CorruptStoreError) as info:
                list(lazy.history)
            named = seq if where == "at the snapshot" else seq + 1
            assert f"[seq {named}]" in str(info.value)
        with pytest.raises(CorruptStoreError):
            next(iter(lazy.pairs.values())).history

    def test_an_edited_older_record_is_refused_by_verify(self, tmp_path: Path) -> None:
        """verify=True reads the whole log: an edited older record is refused at once."""
        path = _sqlite(tmp_path)
        _edit(path, 3)
        with pytest.raises(CorruptStoreError, match=r"seq 4\]"):
            Programme.restore(SQLiteStore(path), "p", verify=True)

    def test_the_record_at_the_snapshot_edited_before_the_restore(self, tmp_path: Path) -> None:
        """A record at the snapshot's version that is not the one it was taken at: the
        snapshot is ignored and the log replayed, which finds the broken chain."""
        path = _sqlite(tmp_path)
        store = SQLiteStore(path)
        at = store.snapshots("p")[0]
        _edit(path, at)
        with pytest.raises(CorruptStoreError, match=rf"seq {at + 1}\]"):
            Programme.restore(store, "p")


class TestLazyEvents:
    """The lazy sequence itself: what reads the older events, and what doesn't."""

    def make(self) -> tuple[LazyEvents[Event], list[int], list[Event]]:
        """A lazy history of 3 older events and 2 since, and the count of its loads."""
        programme = plain()
        events = list(programme.history)[:5]
        loads: list[int] = []

        def load() -> list[Event]:
            loads.append(1)
            time.sleep(0.01)  # long enough for another thread to ask meanwhile
            return events[:3]

        lazy: LazyEvents[Event] = LazyEvents(Older(load), 3)
        lazy.extend(events[3:])
        return lazy, loads, events

    def test_what_reads_nothing(self) -> None:
        """len, the events since (indexes, negative ones, slices), empty slices."""
        lazy, loads, events = self.make()
        assert 5 == len(lazy)
        assert events[4] == lazy[-1] == lazy[4]
        assert events[3:] == lazy[3:] == lazy[-2:]
        assert [] == lazy[1:1] == lazy[4:2]
        assert [] == loads
        assert not lazy.loaded

    def test_what_reads_them_once(self) -> None:
        """An older index, iteration, reversed, equality: one load, from any thread."""
        lazy, loads, events = self.make()
        threads = [threading.Thread(target=lambda: lazy[0]) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert events == list(lazy) == lazy[:] == list(reversed(list(reversed(lazy))))
        assert lazy == events
        assert [1] == loads
        assert lazy.loaded
