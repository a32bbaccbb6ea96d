"""Tests for Programme.refresh: a copy of a programme catches up with what others wrote."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from mentorflow import (
    CorruptStoreError,
    Event,
    MemoryStore,
    Phase,
    Programme,
    SQLiteStore,
    Store,
    StoreError,
    ValidationError,
)
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.testing import snapshot

AT = pendulum.datetime(2020, 9, 30, 17, tz="Europe/Brussels")


def two_copies(store: Store) -> tuple[Programme, Programme]:
    """The IncluCities programme persisted in ``store``, and a second copy restored from it."""
    first = _inclucities.programme()
    first.persist(store, "p")
    return first, Programme.restore(store, "p", clock=first.clock)


class TestRefresh:
    """Tests for Programme.refresh."""

    def test_catches_up(self, make_store: Callable[[], Store]) -> None:
        """The copy gets exactly the events the other wrote, and is then the same programme."""
        first, second = two_copies(make_store())
        written = first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        written += first.pair("schaerbeek-jelgava").suspend(at=AT)
        assert written == second.refresh()
        assert snapshot(first) == snapshot(second)
        assert first.version == second.version
        assert () == second.refresh()

    def test_then_writes(self, make_store: Callable[[], Store]) -> None:
        """After a refresh the copy's next change is not a conflict, and the first copy
        catches up with it in turn."""
        first, second = two_copies(make_store())
        first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        second.refresh()
        second.pair("schaerbeek-jelgava").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        first.refresh()
        assert snapshot(first) == snapshot(second)
        assert snapshot(first) == snapshot(Programme.restore(make_store(), "p"))

    def test_hooks_are_not_called(self, make_store: Callable[[], Store]) -> None:
        """Refreshed events were the writer's to act on: the copy's hooks are not called, and
        its hooks still work afterwards."""
        first, second = two_copies(make_store())
        called: list[Event] = []
        second.subscribe(Event, called.append)
        second.subscribe(Event, lambda event: called.append(event), before=True)
        first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        assert 2 == len(second.refresh())
        assert [] == called
        events = second.pair("schaerbeek-jelgava").suspend(at=AT)
        assert 2 * list(events) == called

    def test_deadline_alerts_once(self, make_store: Callable[[], Store]) -> None:
        """An alert the other copy's check wrote is not reported again by this copy's check."""
        first, second = two_copies(make_store())
        late = pendulum.datetime(2023, 1, 2, 9, tz="Europe/Brussels")
        alerts = first.check_deadlines(at=late)
        assert alerts
        second.refresh()
        assert () == second.check_deadlines(at=late)

    def test_not_persisted(self) -> None:
        """A programme with no store has nothing to refresh from."""
        with pytest.raises(ValidationError, match="not persisted"):
            _inclucities.programme().refresh()

    def test_store_behind(self) -> None:
        """A store with fewer events than the programme (put back from an older backup) is
        refused, naming both versions."""
        store = MemoryStore()
        first, _ = two_copies(store)
        first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        log = store.read("p")
        store.delete("p")
        store.create("p", log.definition, [dict(e) for e in log.events[:8]])
        with pytest.raises(StoreError, match="after=10 is past the end of the log, at version 8"):
            first.refresh()

    def test_bad_new_event(self) -> None:
        """A new record changed in the store breaks the hash chain: a CorruptStoreError
        naming it, found before anything is replayed; the programme is as it was."""
        store = MemoryStore()
        first, second = two_copies(store)
        first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        first.pair("schaerbeek-jelgava").complete(Phase.NEEDS_ASSESSMENT, at=AT)
        log = store._logs["p"][1]
        log[10] = log[10].replace('"phase":"needs_assessment"', '"phase":"matching"')
        before = second.version
        # the chain breaks at the record after the changed one (it carries its digest)
        with pytest.raises(CorruptStoreError, match=r"seq 12.*digest of event 11"):
            second.refresh()
        assert before == second.version
        assert Phase.NEEDS_ASSESSMENT == second.pair("mechelen-capaci").phase


def test_refresh_sees_another_process(tmp_path: Path) -> None:
    """A change made by another process (over SQLite) reaches this one by refresh."""
    store = SQLiteStore(tmp_path / "s.db")
    here, _ = two_copies(store)
    script = textwrap.dedent(
        f"""
        import pendulum
        from mentorflow import Phase, Programme, SQLiteStore
        there = Programme.restore(SQLiteStore({str(tmp_path / "s.db")!r}), "p")
        at = pendulum.datetime(2020, 9, 30, 17, tz="Europe/Brussels")
        there.pair("brussels-saint-jean").complete(Phase.NEEDS_ASSESSMENT, at=at)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    events = here.refresh()
    assert [9, 10] == [e.seq for e in events]
    assert Phase.MATCHING == here.pair("brussels-saint-jean").phase
