"""The store contract, run against every store; crash and concurrency tests with real processes."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from mentorflow import (
    ConcurrencyError,
    CorruptStoreError,
    JsonLinesStore,
    PostgresStore,
    SQLiteStore,
    Store,
    StoreError,
    UnknownProgrammeError,
)

WORKER = str(Path(__file__).with_name("store_worker.py"))
DEFINITION = {"schema": 2, "name": "test"}


def events(start: int, count: int) -> list[dict[str, object]]:
    """``count`` test event documents from seq ``start``."""
    return [{"seq": start + i, "type": "Test", "n": start + i} for i in range(count)]


class TestContract:
    """What every store does."""

    def test_create_append_read(self, make_store: Callable[[], Store]) -> None:
        """A log holds its definition and every appended event, in order."""
        store = make_store()
        store.create("p", DEFINITION)
        assert 0 == store.version("p")
        assert 2 == store.append("p", events(1, 2), expected_version=0)
        assert 3 == store.append("p", events(3, 1), expected_version=2)
        log = make_store().read("p")
        assert DEFINITION == dict(log.definition)
        assert events(1, 3) == [dict(e) for e in log.events]
        assert [2, 2, 2] == list(log.schemas)
        assert ["p"] == store.keys()

    def test_conflict(self, make_store: Callable[[], Store]) -> None:
        """An append expecting another version is refused and changes nothing."""
        store = make_store()
        store.create("p", DEFINITION)
        store.append("p", events(1, 2), expected_version=0)
        with pytest.raises(ConcurrencyError) as info:
            make_store().append("p", events(2, 1), expected_version=1)
        assert ("p", 1, 2) == (info.value.key, info.value.expected, info.value.actual)
        assert 2 == len(store.read("p").events)

    def test_bad_batch_changes_nothing(self, make_store: Callable[[], Store]) -> None:
        """A batch whose sequence numbers don't follow is refused whole."""
        store = make_store()
        store.create("p", DEFINITION)
        with pytest.raises(StoreError, match="seq"):
            store.append("p", [*events(1, 1), *events(3, 1)], expected_version=0)
        assert 0 == store.version("p")
        assert [] == list(store.read("p").events)

    def test_unknown_and_duplicate_keys(self, make_store: Callable[[], Store]) -> None:
        """Unknown keys raise UnknownProgrammeError; a key is created once; keys are checked."""
        store = make_store()
        for call in (lambda: store.read("x"), lambda: store.version("x")):
            with pytest.raises(UnknownProgrammeError):
                call()
        with pytest.raises(UnknownProgrammeError):
            store.append("x", events(1, 1), expected_version=0)
        store.create("p", DEFINITION)
        with pytest.raises(StoreError, match="exists already"):
            store.create("p", DEFINITION)
        with pytest.raises(StoreError, match="not a store key"):
            store.create("../etc", DEFINITION)

    def test_read_after(self, make_store: Callable[[], Store]) -> None:
        """read(after=n) gives only the events after version n, and says where they start."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 2))
        store.append("p", events(3, 3), expected_version=2)
        for after in range(6):
            log = make_store().read("p", after=after)
            assert events(after + 1, 5 - after) == [dict(e) for e in log.events]
            assert (after, 5, [2] * (5 - after)) == (log.after, log.version, list(log.schemas))
            assert DEFINITION == dict(log.definition)
        assert 0 == store.read("p").after

    def test_read_after_twice(self, make_store: Callable[[], Store]) -> None:
        """A reader that follows the log (read, append elsewhere, read after) sees each event
        once, and then the whole log again when it asks for it."""
        store = make_store()
        store.create("p", DEFINITION)
        seen: list[object] = []
        for start, count in [(1, 2), (3, 1), (4, 4)]:
            make_store().append("p", events(start, count), expected_version=start - 1)
            log = store.read("p", after=len(seen))
            seen.extend(e["seq"] for e in log.events)
        assert list(range(1, 8)) == seen
        assert list(range(1, 8)) == [e["seq"] for e in store.read("p").events]

    @pytest.mark.parametrize("after", [-1, 4, True, 1.0, "1", None])
    def test_read_after_refused(self, make_store: Callable[[], Store], after: object) -> None:
        """``after`` must be a version of the log: an int from 0 to its version."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 3))
        with pytest.raises(StoreError, match="after"):
            store.read("p", after=after)  # type: ignore[arg-type]

    def test_delete(self, make_store: Callable[[], Store]) -> None:
        """A deleted programme is gone, from every store object; its key can be used again."""
        store = make_store()
        store.create("p", DEFINITION, events(1, 3))
        store.create("q", DEFINITION, events(1, 1))
        make_store().delete("p")
        assert ["q"] == store.keys()
        for call in (
            lambda: store.read("p"),
            lambda: store.version("p"),
            lambda: store.append("p", events(4, 1), expected_version=3),
            lambda: store.delete("p"),
        ):
            with pytest.raises(UnknownProgrammeError):
                call()
        store.create("p", DEFINITION, events(1, 1))
        assert 1 == make_store().version("p")
        assert events(1, 1) == [dict(e) for e in store.read("p").events]
        assert 1 == store.version("q")

    def test_documents_are_copied(self, make_store: Callable[[], Store]) -> None:
        """Changing a document after appending it doesn't change the store."""
        store = make_store()
        store.create("p", DEFINITION)
        batch = events(1, 1)
        store.append("p", batch, expected_version=0)
        batch[0]["n"] = "changed"
        assert 1 == store.read("p").events[0]["n"]


class TestJsonLinesDamage:
    """A damaged file is refused, naming the line, and reading it never changes it."""

    def prepare(self, tmp_path: Path) -> tuple[JsonLinesStore, Path]:
        store = JsonLinesStore(tmp_path)
        store.create("p", DEFINITION)
        store.append("p", events(1, 2), expected_version=0)
        store.append("p", events(3, 1), expected_version=2)
        return store, tmp_path / "p.jsonl"

    def test_garbage_line(self, tmp_path: Path) -> None:
        """A line that isn't JSON is named."""
        store, path = self.prepare(tmp_path)
        lines = path.read_bytes().split(b"\n")
        lines[1] = b'{"version": 2, "events": [{"seq": 1'
        path.write_bytes(b"\n".join(lines))
        before = path.read_bytes()
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:2: not JSON"):
            store.read("p")
        with pytest.raises(CorruptStoreError):
            JsonLinesStore(tmp_path).append("p", events(4, 1), expected_version=3)
        assert before == path.read_bytes()

    def test_wrong_sequence(self, tmp_path: Path) -> None:
        """A record whose events don't follow on is named."""
        store, path = self.prepare(tmp_path)
        text = path.read_text().replace('"seq":3', '"seq":4')
        path.write_text(text)
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:3: event 1 is not event 3"):
            store.read("p")

    def test_cut_short_and_repair(self, tmp_path: Path) -> None:
        """A last line cut short is refused; repair removes it and keeps every full line."""
        store, path = self.prepare(tmp_path)
        data = path.read_bytes()
        path.write_bytes(data[:-10])
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:3: the last line is cut short"):
            store.read("p")
        assert JsonLinesStore(tmp_path).repair("p")
        assert events(1, 2) == [dict(e) for e in store.read("p").events]
        assert not store.repair("p")
        assert 3 == JsonLinesStore(tmp_path).append("p", events(3, 1), expected_version=2)


class TestSQLiteDamage:
    """Damaged rows are refused, naming the record."""

    def test_bad_body(self, tmp_path: Path) -> None:
        """An event whose body is not JSON is named by its sequence number."""
        store = SQLiteStore(tmp_path / "s.db")
        store.create("p", DEFINITION)
        store.append("p", events(1, 3), expected_version=0)
        raw = sqlite3.connect(tmp_path / "s.db")
        raw.execute("UPDATE events SET body = '{oops' WHERE seq = 2")
        raw.commit()
        with pytest.raises(CorruptStoreError, match="programme 'p', event 2: not JSON"):
            store.read("p")

    def test_missing_event(self, tmp_path: Path) -> None:
        """A gap in the log is named."""
        store = SQLiteStore(tmp_path / "s.db")
        store.create("p", DEFINITION)
        store.append("p", events(1, 3), expected_version=0)
        raw = sqlite3.connect(tmp_path / "s.db")
        raw.execute("DELETE FROM events WHERE seq = 2")
        raw.commit()
        with pytest.raises(CorruptStoreError, match="event 2: missing"):
            store.read("p")


@attrs.frozen
class Target:
    """Where the child processes of a test find the store: a kind, a path (or DSN) and the
    environment they run in."""

    kind: str
    path: str
    env: dict[str, str]

    def open(self) -> Store:
        if self.kind == "postgres":
            return PostgresStore(self.path, schema=self.env["MENTORFLOW_TEST_SCHEMA"])
        return JsonLinesStore(self.path) if self.kind == "jsonl" else SQLiteStore(self.path)

    def child(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, WORKER, args[0], self.kind, self.path, *args[1:]],
            stdout=subprocess.PIPE,
            text=True,
            env=self.env,
        )


@pytest.fixture(params=["jsonl", "sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """A store that child processes share, of each kind that processes can share."""
    kind = request.param
    env = dict(os.environ)
    if kind == "postgres":
        make: Callable[[], PostgresStore] = request.getfixturevalue("postgres_stores")
        store = make()
        env["MENTORFLOW_TEST_SCHEMA"] = store.schema
        return Target(kind, request.getfixturevalue("postgres_server").dsn, env)
    path = tmp_path / ("logs" if kind == "jsonl" else "store.db")
    return Target(kind, str(path), env)


def test_acknowledged_appends_survive_sigkill(target: Target) -> None:
    """A child appends in a loop and is killed with SIGKILL at random moments: the log always
    loads, holds every acknowledged event, and never a partial one."""
    target.open().create("p", DEFINITION)
    rng = random.Random(1182)
    for _ in range(6):
        child = target.child("crash", "p")
        assert child.stdout is not None
        first = child.stdout.readline()  # it is up and appending: now kill it at random
        time.sleep(rng.uniform(0.0, 0.5))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        acked = [
            int(line.split()[1]) for line in (first + out).splitlines() if line.startswith("ack ")
        ]
        log = target.open().read("p")
        assert acked, "the child acknowledged nothing before it was killed"
        assert len(log.events) >= acked[-1]
        assert list(range(1, len(log.events) + 1)) == [e["seq"] for e in log.events]
        assert all(e["type"] == "Test" and set(e) == {"seq", "type", "payload"} for e in log.events)


def test_two_processes_append_with_optimistic_concurrency(target: Target) -> None:
    """Two processes append to one programme at once, retrying on conflicts: no event is lost
    or duplicated."""
    target.open().create("p", DEFINITION)
    count = 150
    children = [target.child("race", "p", name, str(count)) for name in ("a", "b")]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert all(child.returncode == 0 for child in children)
    log = target.open().read("p")
    assert list(range(1, 2 * count + 1)) == [e["seq"] for e in log.events]
    for name in ("a", "b"):
        mine = [e["n"] for e in log.events if e["writer"] == name]
        assert list(range(count)) == mine
    assert all(line.startswith(f"done {count}") for line in outputs)


def test_json_lines_file_is_plain_json_lines(tmp_path: Path) -> None:
    """Each line of a log file is one JSON document: a person can read it."""
    store = JsonLinesStore(tmp_path)
    store.create("p", DEFINITION)
    store.append("p", events(1, 2), expected_version=0)
    lines = (tmp_path / "p.jsonl").read_text().splitlines()
    assert {"definition": DEFINITION} == json.loads(lines[0])
    assert {"version": 2, "schema": 2, "events": events(1, 2)} == json.loads(lines[1])
    assert os.path.getsize(tmp_path / "p.jsonl") == sum(len(line) + 1 for line in lines)


class TestFailures:
    """What goes wrong underneath is a StoreError, and changes nothing."""

    def test_sqlite_locked(self, tmp_path: Path) -> None:
        """A database locked by another writer is a StoreError; nothing is appended."""
        store = SQLiteStore(tmp_path / "s.db", timeout=0.05)
        store.create("p", DEFINITION)
        other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            store.append("p", events(1, 1), expected_version=0)
        other.execute("ROLLBACK")
        assert 0 == store.version("p")
        store.close()
        with pytest.raises(StoreError):
            store.version("p")

    def test_create_is_atomic(self, make_store: Callable[[], Store]) -> None:
        """A programme is created with its first events, or not at all."""
        store = make_store()
        with pytest.raises(StoreError, match="seq"):
            store.create("p", DEFINITION, [*events(1, 1), *events(5, 1)])
        assert "p" not in list(store.keys())
        store.create("p", DEFINITION, events(1, 2))
        assert 2 == make_store().version("p")

    def test_json_lines_empty_file(self, tmp_path: Path) -> None:
        """An empty file is refused; a cut-short definition can't be repaired away."""
        store = JsonLinesStore(tmp_path)
        store.create("p", DEFINITION)
        (tmp_path / "p.jsonl").write_bytes(b"")
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:1: the file is empty"):
            store.read("p")
        (tmp_path / "p.jsonl").write_bytes(b'{"definition": {"sch')
        with pytest.raises(CorruptStoreError, match="definition line itself"):
            store.repair("p")
        assert b'{"definition": {"sch' == (tmp_path / "p.jsonl").read_bytes()

    def test_json_lines_unwritable(self, tmp_path: Path) -> None:
        """A directory that can't be written is a StoreError."""
        store = JsonLinesStore(tmp_path)
        (tmp_path / "p.jsonl").mkdir()
        with pytest.raises(StoreError):
            store.read("p")


class TestJsonLinesTail:
    """A JsonLinesStore reads only what was appended since it last read a file, and never
    takes another file for the one it read."""

    def test_deleted_and_created_again(self, tmp_path: Path) -> None:
        """A file deleted and created again by another store object is read from its start."""
        mine = JsonLinesStore(tmp_path)
        mine.create("p", DEFINITION, events(1, 3))
        assert 3 == mine.version("p")
        other = JsonLinesStore(tmp_path)
        other.delete("p")
        other.create("p", {**DEFINITION, "name": "again"}, events(1, 1))
        other.append("p", [{**e, "n": "new"} for e in events(2, 3)], expected_version=1)
        log = mine.read("p", after=1)
        assert ["new"] * 3 == [e["n"] for e in log.events]
        assert "again" == mine.read("p").definition["name"]
        assert 5 == mine.append("p", events(5, 1), expected_version=4)

    def test_damage_after_what_was_read(self, tmp_path: Path) -> None:
        """Damage in lines appended since the last read is found, naming the line."""
        mine = JsonLinesStore(tmp_path)
        mine.create("p", DEFINITION, events(1, 2))
        assert 2 == len(mine.read("p").events)
        with (tmp_path / "p.jsonl").open("a") as file:
            file.write('{"version": 3, "events": [{"seq": 4}]}\n')
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:3: event 1 is not event 3"):
            mine.read("p", after=2)


class TestSQLiteTypes:
    """Values of the wrong type in the database are refused, naming the record."""

    @pytest.mark.parametrize(
        ("sql", "match"),
        [
            ("UPDATE events SET body = CAST(body AS BLOB) WHERE seq = 2", "event 2: the body is"),
            ("UPDATE programmes SET version = 'three'", "version: not an integer"),
            ("UPDATE programmes SET definition = X'07'", "definition: not text"),
            ("UPDATE programmes SET definition = 7", "definition: not a JSON object"),
        ],
    )
    def test_wrong_type(self, tmp_path: Path, sql: str, match: str) -> None:
        store = SQLiteStore(tmp_path / "s.db")
        store.create("p", DEFINITION, events(1, 3))
        raw = sqlite3.connect(tmp_path / "s.db")
        raw.execute(sql)
        raw.commit()
        raw.close()
        with pytest.raises(CorruptStoreError, match=match):
            store.read("p")
