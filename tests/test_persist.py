"""Tests for persisting and restoring programmes: replay rebuilds exactly, and goes on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow import (
    ConcurrencyError,
    CorruptStoreError,
    DeadlineMissed,
    DeadlineRule,
    JsonLinesStore,
    ManualClock,
    MemoryStore,
    Phase,
    Programme,
    ReplayError,
    SerializationError,
    SQLiteStore,
    Store,
    StoreError,
    ValidationError,
)
from mentorflow._codec import chain
from mentorflow._core import persist
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.testing import commands, extension_requests, programmes, snapshot


def stores(tmp: Path) -> list[Store]:
    return [MemoryStore(), JsonLinesStore(tmp / "logs"), SQLiteStore(tmp / "store.db")]


def same(live: Programme, restored: Programme) -> None:
    """Everything observable is equal: pairs, histories, deadlines and their revisions."""
    assert snapshot(live) == snapshot(restored)
    for key in [None, *live.pairs]:
        assert live.deadlines(pair=key) == restored.deadlines(pair=key)
    assert live.extensions == restored.extensions
    assert live.ends_on == restored.ends_on


class TestInclucities:
    """The IncluCities demo, persisted and restored from every store."""

    def test_restored_equals_live(self, tmp_path: Path) -> None:
        """Persisted at kick-off and played, it restores to the same programme."""
        for store in stores(tmp_path):
            live = _inclucities.programme()
            live.persist(store, "inclucities")
            _inclucities.play(live)
            same(live, Programme.restore(store, "inclucities", clock=live.clock))

    def test_persist_after_the_fact(self, tmp_path: Path) -> None:
        """A programme with a history writes it all when persisted."""
        live = _inclucities.programme()
        _inclucities.play(live)
        store = SQLiteStore(tmp_path / "s.db")
        live.persist(store, "inclucities")
        assert len(live.history) == store.version("inclucities")
        same(live, Programme.restore(store, "inclucities"))

    def test_restored_programme_goes_on_writing(self, tmp_path: Path) -> None:
        """Changes after a restore are journaled; a second restore sees them."""
        store = SQLiteStore(tmp_path / "s.db")
        live = _inclucities.programme()
        live.persist(store, "inclucities")
        restored = Programme.restore(store, "inclucities", clock=live.clock)
        pair = restored.pair("mechelen-capaci")
        pair.complete(
            Phase.NEEDS_ASSESSMENT, at=pendulum.datetime(2020, 9, 30, tz="Europe/Brussels")
        )
        assert len(restored.history) == store.version("inclucities")
        again = Programme.restore(store, "inclucities")
        assert Phase.MATCHING == again.pair("mechelen-capaci").phase


class TestDowntime:
    """After a restore, a check reports what became overdue meanwhile: once."""

    def test_overdue_while_down(self, tmp_path: Path) -> None:
        store = JsonLinesStore(tmp_path)
        clock = ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))
        live = _inclucities.programme(clock)
        live.persist(store, "inclucities")
        assert () == live.check_deadlines(at=pendulum.datetime(2020, 7, 1, tz="Europe/Brussels"))
        del live  # the application stops; time passes
        clock.set(pendulum.datetime(2023, 1, 2, 9, tz="Europe/Brussels"))
        restored = Programme.restore(store, "inclucities", clock=clock)
        missed = restored.check_deadlines()
        assert {("final_conference", None), *((Phase.FINAL_REVIEW, k) for k in restored.pairs)} == {
            (e.deadline, e.pair) for e in missed if isinstance(e, DeadlineMissed)
        }
        assert () == restored.check_deadlines()
        again = Programme.restore(store, "inclucities", clock=clock)
        assert () == again.check_deadlines()


class TestConcurrency:
    """Two copies of one programme: the second writer gets a conflict and changes nothing."""

    def test_conflict_changes_nothing(self, tmp_path: Path) -> None:
        store = SQLiteStore(tmp_path / "s.db")
        first = _inclucities.programme()
        first.persist(store, "inclucities")
        second = Programme.restore(store, "inclucities", clock=first.clock)
        at = pendulum.datetime(2020, 9, 30, tz="Europe/Brussels")
        first.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=at)
        before = snapshot(second)
        with pytest.raises(ConcurrencyError, match="another writer appended first"):
            second.pair("schaerbeek-jelgava").complete(Phase.NEEDS_ASSESSMENT, at=at)
        assert before == snapshot(second)
        for call in (
            lambda: second.check_deadlines(at=pendulum.datetime(2023, 1, 2, tz="Europe/Brussels")),
            lambda: second.request_extension(months=3, reason="x", at=at),
        ):
            with pytest.raises(ConcurrencyError):
                call()
            assert before == snapshot(second)
        # retry: restore and do it again
        retried = Programme.restore(store, "inclucities")
        retried.pair("schaerbeek-jelgava").complete(Phase.NEEDS_ASSESSMENT, at=at)
        assert 2 == sum(
            p.phase == Phase.MATCHING
            for p in Programme.restore(store, "inclucities").pairs.values()
        )

    def test_a_failing_store_changes_nothing(self) -> None:
        """Whatever a store raises, the change is not made."""

        class Broken(MemoryStore):
            def append(self, key: str, events: Any, *, expected_version: int) -> int:
                if self.version(key):
                    raise StoreError("disk full")
                return super().append(key, events, expected_version=expected_version)

        live = _inclucities.programme()
        live.persist(Broken(), "p")
        before = snapshot(live)
        with pytest.raises(StoreError, match="disk full"):
            live.pair("mechelen-capaci").suspend(at=live.now())
        with pytest.raises(StoreError, match="disk full"):
            live.add_pair(
                "x",
                mentor=live.pair("mechelen-capaci").mentor,
                mentee=live.pair("schaerbeek-jelgava").mentee,
                theme="housing",
            )  # type: ignore[arg-type]
        assert before == snapshot(live)


class TestRefusals:
    """Bad stores, keys and logs are refused clearly."""

    def test_persist_twice(self) -> None:
        live = _inclucities.programme()
        store = MemoryStore()
        live.persist(store, "p")
        with pytest.raises(ValidationError, match="persisted already"):
            live.persist(MemoryStore(), "q")
        with pytest.raises(StoreError, match="exists already"):
            _inclucities.programme().persist(store, "p")
        with pytest.raises(ValidationError, match="must be a Store"):
            _inclucities.programme().persist("store.db", "p")  # type: ignore[arg-type]

    def test_tampered_phase(self) -> None:
        """A changed record breaks the chain of digests: refused, naming the next record."""
        store = MemoryStore()
        live = _inclucities.programme()
        live.persist(store, "p")
        live.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=live.now())
        events = store._logs["p"][1]
        events[8] = events[8].replace('"phase":"needs_assessment"', '"phase":"matching"')
        with pytest.raises(CorruptStoreError) as info:
            Programme.restore(store, "p")
        assert "p.events[seq 10]" == info.value.where

    def test_forged_phase(self) -> None:
        """A changed record whose digests were all recomputed (a forger) still doesn't replay:
        completing a phase the pair is not in is a replay error naming the event."""
        forged = _forged(8, phase="matching")
        with pytest.raises(ReplayError) as info:
            Programme.restore(forged, "p")
        assert 9 == info.value.seq
        assert "wrong-phase" in str(info.value)

    @pytest.mark.parametrize("size", [1, 2, 10_000])
    def test_forged_follower(self, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
        """A forged event that follows a command's first (the PhaseStarted after a
        PhaseCompleted) replays to another event: a replay error naming it and the field that
        differs, whether the chunk holds the command's events or they run on into the next."""
        monkeypatch.setattr(persist, "CHUNK", size)
        forged = _forged(9, note="forged")
        assert "PhaseStarted" == forged.read("p").events[9]["type"]
        with pytest.raises(ReplayError) as info:
            Programme.restore(forged, "p")
        assert 10 == info.value.seq
        assert "note is forged in the log and None on replay" in str(info.value)

    def test_bad_definition(self) -> None:
        """A definition the programme refuses is named by its key."""
        store = MemoryStore()
        store.create("p", {**_definition(), "timezone": "Europe/Atlantis"})
        with pytest.raises(SerializationError) as info:
            Programme.restore(store, "p")
        assert "p.definition.timezone" == info.value.field


def _definition() -> dict[str, Any]:
    from mentorflow.serialization import dump_definition

    return dump_definition(_inclucities.programme())


# -- the property: for any random commands, the restored programme equals the live one ----


RULES = (
    *_inclucities.DEADLINES,
    DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", months=3, lead_days=14),
    DeadlineRule(Phase.MATCHING, after="needs_assessment.completed", weeks=6, lead_days=7),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(programmes(lifecycle=_inclucities.LIFECYCLE, deadlines=RULES, pairs=2), st.data())
def test_replay_equals_live(programme: Programme, data: st.DataObject) -> None:
    """Random commands, checks and extensions on a persisted programme: restoring its log from
    each store gives the same programme, which then behaves the same."""
    memory = MemoryStore()
    programme.persist(memory, "p")
    clock = programme.clock
    assert isinstance(clock, ManualClock)
    keys = sorted(programme.pairs)
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        action = data.draw(st.sampled_from(["command"] * 6 + ["check", "extend"]), label="action")
        if action == "command":
            pair = programme.pair(data.draw(st.sampled_from(keys), label="pair"))
            data.draw(commands(programme.lifecycle), label="command").run(pair)
            if pair.last_changed_at > clock.now():
                clock.set(pair.last_changed_at)
        elif action == "check":
            clock.advance(days=data.draw(st.integers(0, 200), label="days"))
            programme.check_deadlines()
        else:
            phases = [Phase.NEEDS_ASSESSMENT, Phase.MATCHING]
            request = data.draw(extension_requests(phases=phases, pairs=keys), label="request")
            outcome = request.submit(programme, clock.now())
            if not isinstance(outcome, Exception) and data.draw(st.booleans(), label="grant"):
                programme.grant_extension(outcome.key, by="funder", at=clock.now())
    restored = Programme.restore(memory, "p", clock=clock)
    same(programme, restored)
    # both would write to the same log now (the second would get a conflict): compare alone
    programme._rt.ledger.journal = restored._rt.ledger.journal = None
    later = clock.now().add(days=400)
    assert programme.check_deadlines(at=later) == restored.check_deadlines(at=later)


def _forged(index: int, **fields: object) -> MemoryStore:
    """IncluCities' log, a pair's phase completed (events 9 and 10), with ``fields`` set on
    event ``index`` (from 0) and every digest recomputed (a forger)."""
    store = MemoryStore()
    live = _inclucities.programme()
    live.persist(store, "p")
    live.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=live.now())
    log = store.read("p")
    events = [{k: v for k, v in e.items() if k != "chain"} for e in log.events]
    events[index] = {**events[index], **fields}
    forged = MemoryStore()
    forged.create("p", log.definition, chain.link(events, chain.digest(log.definition))[0])
    return forged
