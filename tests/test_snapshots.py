"""Snapshots (issue 13 item 4): a programme's state at a version, saved beside its log; restore
loads the newest that matches the log and replays only the events after it."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum
import pytest

from mentorflow import (
    ArchivedProgrammeError,
    JsonLinesStore,
    MemoryStore,
    Phase,
    Programme,
    ReplayError,
    SnapshotError,
    SnapshotPolicy,
    SQLiteStore,
    Store,
    StoreError,
    UnknownProgrammeError,
    ValidationError,
)
from mentorflow._codec.serialize import SCHEMA
from mentorflow._core import snapshot as snapshots
from mentorflow._simulation import inclucities
from mentorflow.testing import snapshot as observable
from test_migration import MAPPING, WHEN, v2
from test_migration import inclucities as mid_programme

TZ = "Europe/Brussels"
DEFINITION = {"schema": 2, "name": "test"}


def at(year: int, month: int, day: int) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, 17, tz=TZ)


def events(start: int, count: int) -> list[dict[str, object]]:
    return [{"seq": start + i, "type": "Test", "n": start + i} for i in range(count)]


def alerted(store: Store) -> Programme:
    """IncluCities persisted, with an extension granted and deadline alerts sent, then a
    snapshot, then more: phases completed and another check."""
    programme = inclucities.programme()
    programme.persist(store, "p")
    for key in programme.pairs:
        programme.pair(key).complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
    extension = programme.request_extension(months=3, reason="covid", at=at(2020, 10, 1))
    programme.grant_extension(extension.key, by="funder", at=at(2020, 10, 10))
    programme.check_deadlines(at=at(2021, 3, 20))
    programme.snapshot()
    for key in programme.pairs:
        programme.pair(key).complete(Phase.MATCHING, at=at(2021, 4, 30))
    programme.check_deadlines(at=at(2021, 9, 20))
    return programme


def assert_same(live: Programme, restored: Programme) -> None:
    """The restored programme is the live one: everything observable, the state a snapshot
    keeps, and what a later deadline check emits."""
    assert observable(live) == observable(restored)
    assert snapshots.state_of(live._rt) == snapshots.state_of(restored._rt)
    # a later check by the restored programme: the live one, refreshed, replays it (through
    # the engine, which checks that it gives the same events)
    checked = restored.check_deadlines(at=at(2023, 9, 1))
    assert checked == live.refresh()
    assert observable(live) == observable(restored)


@pytest.fixture
def restored_from(caplog: pytest.LogCaptureFixture) -> Callable[..., Programme]:
    """Restore, asserting which snapshot the restore used (None: the whole log)."""
    caplog.set_level(logging.INFO, logger="mentorflow")

    def restore(store: Store, used: int | None, **options: Any) -> Programme:
        caplog.clear()
        programme = Programme.restore(store, "p", **options)
        messages = [r.getMessage() for r in caplog.records]
        if used is None:
            assert any("restored from" in m and "snapshot" not in m for m in messages), messages
        else:
            assert any(f"snapshot of version {used} and" in m for m in messages), messages
        return programme

    return restore


class TestContract:
    """Snapshots in every store."""

    def test_restore_replays_only_what_follows(
        self, make_store: Callable[[], Store], restored_from: Callable[..., Programme]
    ) -> None:
        """The newest snapshot is loaded and the events after it replayed: the same
        programme, deadline alerts, extension and all."""
        store = make_store()
        live = alerted(store)
        [version] = store.snapshots("p")
        assert 0 < version < live.version
        assert_same(live, restored_from(make_store(), version))

    def test_policy(
        self, make_store: Callable[[], Store], restored_from: Callable[..., Programme]
    ) -> None:
        """A policy saves a snapshot as the log grows by its number of events; the store
        keeps the newest two."""
        store = make_store()
        live = inclucities.programme()
        live.persist(store, "p", snapshots=SnapshotPolicy(every=6))
        inclucities.play(live)
        kept = store.snapshots("p")
        assert 2 == len(kept)
        assert kept == sorted(kept, reverse=True)
        assert live.version - kept[0] <= 6 + 4  # the last change's events, at most
        assert_same(live, restored_from(make_store(), kept[0]))

    def test_restored_with_a_policy(self, make_store: Callable[[], Store]) -> None:
        """A programme restored with a policy goes on saving snapshots."""
        store = make_store()
        alerted(store)
        restored = Programme.restore(make_store(), "p", snapshots=SnapshotPolicy(every=1))
        first = store.snapshots("p")[0]
        restored.pair("mechelen-capaci").suspend(at=at(2021, 10, 1))
        restored.pair("mechelen-capaci").resume(at=at(2021, 10, 2))
        assert first < store.snapshots("p")[0] < restored.version

    def test_verify(self, make_store: Callable[[], Store]) -> None:
        """verify=True replays the whole log and finds the snapshot agrees."""
        store = make_store()
        live = alerted(store)
        assert_same(live, Programme.restore(make_store(), "p", verify=True))

    def test_verify_finds_a_difference(self, make_store: Callable[[], Store]) -> None:
        """A snapshot whose state was changed (its digest made again) is trusted by a plain
        restore, and refused by verify naming the first difference."""
        store = make_store()
        alerted(store)
        version = store.snapshots("p")[0]
        document = dict(store.read_snapshot("p", version))
        state = json.loads(json.dumps(document["state"]))
        state["pairs"][1][1] = state["pairs"][0][1] + "-x"
        forge(store, version, {**document, "state": state})
        with pytest.raises(SnapshotError) as info:
            Programme.restore(make_store(), "p", verify=True)
        assert ".pairs[1][1]" == info.value.where
        assert version == info.value.version
        assert "the snapshot has" in str(info.value)

    def test_a_state_that_does_not_fit(
        self,
        make_store: Callable[[], Store],
        restored_from: Callable[..., Programme],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A snapshot whose state can't be installed (a machine state the lifecycle doesn't
        have, a pair without events) is ignored with a warning: the log is replayed."""
        store = make_store()
        live = alerted(store)
        version = store.snapshots("p")[0]
        document = dict(store.read_snapshot("p", version))
        for pairs in ([["nobody", "matching"]], [[key, "nowhere"] for key in live.pairs]):
            forge(store, version, {**document, "state": {**document["state"], "pairs": pairs}})
            assert_same(live, restored_from(make_store(), None))
            assert any("does not fit the log" in r.getMessage() for r in caplog.records)

    def test_snapshot_of_another_programme(
        self, make_store: Callable[[], Store], restored_from: Callable[..., Programme]
    ) -> None:
        """Another programme's snapshot saved under this key is ignored, with a warning."""
        store = make_store()
        live = alerted(store)
        other = inclucities.programme()
        other.persist(store, "q")
        other.snapshot()
        [version] = store.snapshots("p")
        store.save_snapshot("p", version + 2, store.read_snapshot("q", 8))
        assert_same(live, restored_from(make_store(), version))

    @pytest.mark.parametrize(
        "change",
        [
            {"schema": SCHEMA - 1},
            {"format": snapshots.FORMAT + 1},
            {"definition": "0123456789abcdef"},
            {"head": "0" * 32},
            {"version": 3},
            {"kind": "pickle"},
        ],
        ids=["older-schema", "newer-format", "definition", "head", "version", "kind"],
    )
    def test_never_trusted_silently(
        self,
        make_store: Callable[[], Store],
        restored_from: Callable[..., Programme],
        caplog: pytest.LogCaptureFixture,
        change: dict[str, object],
    ) -> None:
        """A snapshot of another schema, format, definition or head (the log's record at its
        version), or that says another version, is ignored with a warning; the log is
        replayed in full."""
        store = make_store()
        live = alerted(store)
        version = store.snapshots("p")[0]
        forge(store, version, {**store.read_snapshot("p", version), **change})
        restored = restored_from(make_store(), None)
        assert_same(live, restored)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(f"snapshot of version {version} is ignored" in w for w in warnings)

    def test_torn(
        self,
        make_store: Callable[[], Store],
        restored_from: Callable[..., Programme],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A snapshot whose digest doesn't match its content (cut short, edited) is ignored."""
        store = make_store()
        live = alerted(store)
        version = store.snapshots("p")[0]
        document = dict(store.read_snapshot("p", version))
        document["state"] = {**document["state"], "pairs": document["state"]["pairs"][:2]}
        store.save_snapshot("p", version, document)
        assert_same(live, restored_from(make_store(), None))
        assert any("torn or edited" in r.getMessage() for r in caplog.records)

    def test_ahead_of_the_log(self, make_store: Callable[[], Store]) -> None:
        """A snapshot can't be saved for a version the log hasn't reached."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 2))
        with pytest.raises(StoreError, match="ahead of the log"):
            store.save_snapshot("p", 3, {"kind": "x"})
        with pytest.raises(StoreError, match="int >= 0"):
            store.save_snapshot("p", -1, {"kind": "x"})
        with pytest.raises(UnknownProgrammeError):
            store.save_snapshot("q", 0, {"kind": "x"})
        assert [] == store.snapshots("p")

    @pytest.mark.parametrize("version", ["../../etc/passwd", [], -1, True, 1.0, None])
    def test_bad_version(self, make_store: Callable[[], Store], version: object) -> None:
        """A snapshot's version that is not an int >= 0 is a StoreError (never a path)."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 2))
        for call in (store.read_snapshot, lambda k, v: store.save_snapshot(k, v, {})):
            with pytest.raises(StoreError, match="int >= 0"):
                call("p", version)  # type: ignore[arg-type]

    @pytest.mark.parametrize("key", [{}, "../x", "", None])
    def test_bad_key(self, make_store: Callable[[], Store], key: object) -> None:
        """A key that is not a store key is a StoreError, for every call."""
        store = make_store()
        calls = [store.snapshots, store.archive, store.unarchive]
        calls += [lambda k: store.read_snapshot(k, 1), lambda k: store.save_snapshot(k, 0, {})]
        for call in calls:
            with pytest.raises(StoreError):
                call(key)

    def test_kept_and_deleted(self, make_store: Callable[[], Store]) -> None:
        """The newest two are kept; a delete removes them with the programme."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 5))
        for version in (1, 4, 2, 5):
            store.save_snapshot("p", version, {"v": version})
        assert [5, 4] == store.snapshots("p")
        assert {"v": 4} == store.read_snapshot("p", 4)
        with pytest.raises(StoreError, match="no snapshot of version 2"):
            store.read_snapshot("p", 2)
        store.delete("p")
        store.create("p", DEFINITION)
        assert [] == store.snapshots("p")


def forge(store: Store, version: int, document: dict[str, Any]) -> None:
    """Save ``document`` as the snapshot of ``version``, its digest made to match."""
    body = {k: v for k, v in document.items() if k != "digest"}
    store.save_snapshot("p", version, {**body, "digest": snapshots._digest(body)})


class TestEveryVersion:
    """Restoring from a snapshot at any version gives the programme the full replay gives."""

    @pytest.mark.parametrize("kind", ["alerts", "play", "migration"])
    def test_every_version(self, kind: str) -> None:
        """For each command of the history, a snapshot right after it, then a restore."""
        store = MemoryStore()
        if kind == "alerts":
            live = alerted(store)
        elif kind == "migration":
            live = mid_programme()
            live.persist(store, "p")
            live.migrate(v2(live), phases=MAPPING, at=WHEN)
            live.pair("mechelen-capaci").suspend(at=WHEN.add(days=30))
            live.check_deadlines(at=WHEN.add(months=8))
        else:
            live = inclucities.programme()
            inclucities.play(live)
            live.persist(store, "p")
        full = Programme.restore(store, "p", verify=True)
        assert_same(live, full)
        log = store.read("p")
        boundaries = sorted({e["seq"] - 1 for e in log.events if _starts_command(e)})
        for version in boundaries:
            state = _state_at(store, version)
            if state is None:
                continue  # inside a command's events (a check's alerts)
            copy = MemoryStore()
            copy.create("p", log.definition, log.events)
            partial = Programme.restore(copy, "p")
            copy.save_snapshot("p", version, state)
            restored = Programme.restore(copy, "p")
            assert observable(partial) == observable(restored), version
            assert snapshots.state_of(partial._rt) == snapshots.state_of(restored._rt)
            Programme.restore(copy, "p", verify=True)


def _starts_command(document: dict[str, Any]) -> bool:
    """Whether the event before ``document`` ended a command (``document`` starts one)."""
    from mentorflow._domain.commands import command_of
    from mentorflow.serialization import load_event

    event = load_event({k: v for k, v in document.items() if k not in ("chain", "command_key")})
    return command_of(event) is not None


def _state_at(store: Store, version: int) -> dict[str, Any] | None:
    """The snapshot document of the stored programme at ``version`` (a replay up to there);
    None if ``version`` is inside a command's events."""
    from mentorflow._codec import chain

    log = store.read("p")
    prefix = MemoryStore()
    prefix.create("p", log.definition, log.events[:version])
    try:
        programme = Programme.restore(prefix, "p")
    except ReplayError:
        return None
    head = chain.digest(log.events[version - 1]) if version else chain.digest(log.definition)
    return snapshots.take(programme._rt, "p", head)


class TestPolicy:
    """Tests for SnapshotPolicy and Programme.snapshot."""

    @pytest.mark.parametrize("every", [0, -1, 1.5, True, "10", None])
    def test_bad_every(self, every: object) -> None:
        """every must be a whole number >= 1."""
        with pytest.raises(ValidationError, match="every"):
            SnapshotPolicy(every=every)  # type: ignore[arg-type]

    def test_bad_policy(self) -> None:
        """persist refuses a policy that is not a SnapshotPolicy."""
        with pytest.raises(ValidationError, match="snapshots"):
            inclucities.programme().persist(MemoryStore(), "p", snapshots=10)  # type: ignore[arg-type]

    def test_not_persisted(self) -> None:
        """A programme not persisted can't take a snapshot."""
        with pytest.raises(ValidationError, match="not persisted"):
            inclucities.programme().snapshot()

    def test_not_in_a_batch(self) -> None:
        """A snapshot is refused while a batch is open (its state is not the log's)."""
        programme = inclucities.programme()
        programme.persist(MemoryStore(), "p")
        with programme.batch(), pytest.raises(ValidationError, match="batch"):
            programme.snapshot()

    def test_batch_then_policy(self) -> None:
        """A batch's events are written at its end; the snapshot follows with the next
        change, of the state the log holds."""
        store = MemoryStore()
        programme = inclucities.programme()
        programme.persist(store, "p", snapshots=SnapshotPolicy(every=1))
        with programme.batch():
            for key in programme.pairs:
                programme.pair(key).complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        programme.pair("mechelen-capaci").suspend(at=at(2020, 10, 1))
        [version] = store.snapshots("p")[:1]
        assert 16 == version
        assert_same(programme, Programme.restore(store, "p", verify=True))

    def test_a_failed_save_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """A snapshot the store can't save is logged; the change goes on."""

        class NoSnapshots(MemoryStore):
            def save_snapshot(self, key: str, version: int, document: Any) -> None:
                raise StoreError("full")

        store = NoSnapshots()
        programme = inclucities.programme()
        programme.persist(store, "p", snapshots=SnapshotPolicy(every=1))
        programme.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        assert 10 == store.version("p")
        assert any("no snapshot of version 8 saved: full" in r.getMessage() for r in caplog.records)


class TestArchive:
    """Tests for Store.archive, unarchive, archived."""

    def test_read_only(self, make_store: Callable[[], Store]) -> None:
        """An archived programme is read and restored, not appended to, snapshotted or
        deleted; unarchived, it is writable again."""
        store = make_store()
        live = alerted(store)
        store.create("q", DEFINITION)
        store.archive("p")
        store.archive("p")  # again: nothing more
        assert ["p"] == store.archived()
        assert ["p", "q"] == store.keys()
        restored = Programme.restore(make_store(), "p")
        assert observable(live) == observable(restored)
        version = store.version("p")
        with pytest.raises(ArchivedProgrammeError, match="read-only"):
            restored.pair("mechelen-capaci").suspend(at=at(2021, 10, 1))
        with pytest.raises(ArchivedProgrammeError):
            store.save_snapshot("p", version, {"v": 1})
        with pytest.raises(ArchivedProgrammeError):
            store.delete("p")
        assert version == store.version("p")
        assert observable(live) == observable(restored)  # the refused change was not made
        store.unarchive("p")
        assert [] == store.archived()
        restored.pair("mechelen-capaci").suspend(at=at(2021, 10, 1))
        assert version + 1 == store.version("p")
        store.append("q", events(1, 1), expected_version=0)

    def test_unknown(self, make_store: Callable[[], Store]) -> None:
        """Archiving or unarchiving an unknown programme is UnknownProgrammeError."""
        store = make_store()
        with pytest.raises(UnknownProgrammeError):
            store.archive("nope")
        with pytest.raises(UnknownProgrammeError):
            store.unarchive("nope")
        assert [] == store.archived()


class TestFiles:
    """What a crash or an edit leaves in the file stores' snapshots."""

    def test_json_lines_torn_file(
        self, tmp_path: Path, restored_from: Callable[..., Programme]
    ) -> None:
        """A JSON Lines snapshot file cut short is ignored (the log is replayed)."""
        live = alerted(JsonLinesStore(tmp_path))
        [path] = (tmp_path / "p.snapshots").glob("*.json")
        path.write_bytes(path.read_bytes()[:100])
        assert_same(live, restored_from(JsonLinesStore(tmp_path), None))

    def test_json_lines_leftover_temporary(
        self, tmp_path: Path, restored_from: Callable[..., Programme]
    ) -> None:
        """A temporary file left by a crash during a save is not a snapshot."""
        store = JsonLinesStore(tmp_path)
        live = alerted(store)
        version = store.snapshots("p")[0]
        (tmp_path / "p.snapshots" / f".{version + 2}.1.2.tmp").write_text('{"kind"')
        assert [version] == store.snapshots("p")
        assert_same(live, restored_from(JsonLinesStore(tmp_path), version))

    def test_sqlite_torn_body(
        self, tmp_path: Path, restored_from: Callable[..., Programme]
    ) -> None:
        """An SQLite snapshot body that is not whole JSON is ignored."""
        path = tmp_path / "s.sqlite"
        store = SQLiteStore(path)
        live = alerted(store)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE snapshots SET body = substr(body, 1, 50)")
        db.close()
        with SQLiteStore(path) as other:
            assert_same(live, restored_from(other, None))
        store.close()

    def test_sqlite_opened_unchanged(self, tmp_path: Path) -> None:
        """A store without snapshots gets their tables only when it first saves one."""
        path = tmp_path / "s.sqlite"
        with SQLiteStore(path) as store:
            store.create("p", DEFINITION, events(1, 1))
            assert [] == store.snapshots("p")
            assert [] == store.archived()
            tables = {
                r[0] for r in store._db().__enter__().execute("SELECT name FROM sqlite_master")
            }
            assert "snapshots" not in tables
            store.save_snapshot("p", 1, {"v": 1})
            assert [1] == store.snapshots("p")


class TestOpenRequests:
    """A request waiting for an answer when the snapshot was taken still lapses after it."""

    def test_lapses_after_a_restore_from_a_snapshot(self) -> None:
        """The restored programme counts the open request, and a later check lapses it as
        the live programme's does."""
        store = MemoryStore()
        live = inclucities.programme()
        live.persist(store, "p")
        live.request_extension(months=3, reason="covid", at=at(2020, 10, 1))
        live.snapshot()
        restored = Programme.restore(store, "p")
        later = at(2021, 6, 1)
        lapsed = restored.check_deadlines(at=later)
        assert any(type(e).__name__ == "ExtensionRefused" for e in lapsed)
        assert lapsed == live.refresh()  # the live programme replays it through the engine
