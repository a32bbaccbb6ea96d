"""Opening an SQLite store: a damaged file is refused and never written to; a store is
created only where the caller means to create one."""

from __future__ import annotations

import contextlib
import gc
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from mentorflow import SQLiteStore, StoreError, StoreSchemaError, StoreUnavailableError

FIXTURES = Path(__file__).parent / "fixtures"
DEFINITION = {"schema": 2, "name": "test"}


def files(directory: Path) -> dict[str, bytes]:
    """Every file in ``directory`` and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def healthy(path: Path) -> None:
    """A store at ``path`` holding one programme with three events, closed."""
    store = SQLiteStore(path)
    store.create("p", DEFINITION, [{"seq": n, "type": "Test"} for n in (1, 2, 3)])
    store.close()


def open_and_read(path: Path) -> None:
    """Open the store at ``path`` and read programme ``p`` (damage found only on reading
    counts too), closing the store whatever happens."""
    store = SQLiteStore(path)
    try:
        store.read("p")
    finally:
        store.close()


class TestDamagedFileUnchanged:
    """A file that is not a whole mentorflow store is refused, and stays byte for byte."""

    def refused(self, path: Path) -> StoreError:
        before = files(path.parent)
        with pytest.raises(StoreError) as info:
            open_and_read(path)
        assert before == files(path.parent)
        return info.value

    def test_empty_file(self, tmp_path: Path) -> None:
        """A 0-byte file is not turned into a new database."""
        path = tmp_path / "s.db"
        path.write_bytes(b"")
        self.refused(path)

    @pytest.mark.parametrize("size", [1, 50, 100])
    def test_file_cut_short(self, tmp_path: Path, size: int) -> None:
        """A store cut to its first bytes is refused and left alone."""
        path = tmp_path / "s.db"
        healthy(path)
        path.write_bytes(path.read_bytes()[:size])
        self.refused(path)

    def test_another_database(self, tmp_path: Path) -> None:
        """An SQLite database that is not a mentorflow store gets no tables of ours."""
        path = tmp_path / "s.db"
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE invoices (number INTEGER)")
        other.commit()
        other.close()
        self.refused(path)

    def test_table_missing(self, tmp_path: Path) -> None:
        """A store whose events table was dropped is not given a new, empty one."""
        path = tmp_path / "s.db"
        healthy(path)
        raw = sqlite3.connect(path)
        raw.execute("DROP TABLE events")
        raw.commit()
        raw.close()
        self.refused(path)

    @pytest.mark.parametrize("seed", range(12))
    def test_bytes_overwritten(self, tmp_path: Path, seed: int) -> None:
        """A store with a run of bytes overwritten opens, or is refused with a StoreError;
        either way the file is unchanged."""
        path = tmp_path / "s.db"
        healthy(path)
        data = bytearray(path.read_bytes())
        rng = random.Random(seed)
        start = rng.randrange(len(data))
        for at in range(start, min(len(data), start + rng.randint(1, 64))):
            data[at] = rng.randrange(256)
        path.write_bytes(bytes(data))
        before = files(tmp_path)
        try:
            store = SQLiteStore(path)
        except StoreError:
            pass
        else:
            with contextlib.suppress(StoreError):
                store.read("p")
            store.close()
        assert before == files(tmp_path)


class TestCreateOrOpen:
    """``create=None`` opens or creates, ``False`` only opens, ``True`` only creates."""

    def test_default_creates_a_new_file(self, tmp_path: Path) -> None:
        """Where nothing is, the default creates a store (as it always has)."""
        SQLiteStore(tmp_path / "new.db").create("p", DEFINITION)
        assert ["p"] == SQLiteStore(tmp_path / "new.db").keys()

    def test_open_only(self, tmp_path: Path) -> None:
        """create=False never makes a file; it opens one that is there."""
        with pytest.raises(StoreUnavailableError, match=r"no such file.*create=True"):
            SQLiteStore(tmp_path / "typo.db", create=False)
        assert [] == list(tmp_path.iterdir())
        healthy(tmp_path / "s.db")
        assert 3 == SQLiteStore(tmp_path / "s.db", create=False).version("p")

    def test_create_only(self, tmp_path: Path) -> None:
        """create=True refuses a file that exists, and makes a store in an empty one."""
        path = tmp_path / "s.db"
        healthy(path)
        before = files(tmp_path)
        with pytest.raises(StoreError, match="exists already"):
            SQLiteStore(path, create=True)
        assert before == files(tmp_path)
        empty = tmp_path / "empty.db"
        empty.write_bytes(b"")
        SQLiteStore(empty, create=True).create("p", DEFINITION)
        assert ["p"] == SQLiteStore(empty, create=False).keys()

    def test_newer_layout(self, tmp_path: Path) -> None:
        """A store of a newer layout is refused as such, and left alone."""
        path = tmp_path / "s.db"
        healthy(path)
        raw = sqlite3.connect(path)
        raw.execute("PRAGMA user_version = 2")
        raw.close()
        before = files(tmp_path)
        with pytest.raises(StoreSchemaError) as info:
            SQLiteStore(path)
        assert (2, 1) == (info.value.found, info.value.supported)
        assert before == files(tmp_path)

    @pytest.mark.parametrize("name", ["inclucities", "everything"])
    def test_older_store_opens_unchanged(self, tmp_path: Path, name: str) -> None:
        """A store written before the layout had a version opens, reads, and is not written."""
        path = tmp_path / "old.sqlite"
        path.write_bytes((FIXTURES / f"{name}-0.1.sqlite").read_bytes())
        before = files(tmp_path)
        store = SQLiteStore(path, create=False)
        assert store.read(f"{name}-0.1").events
        store.close()
        assert before == files(tmp_path)

    def test_closed(self, tmp_path: Path) -> None:
        """A closed store refuses every call, from every thread."""
        store = SQLiteStore(tmp_path / "s.db")
        store.create("p", DEFINITION)
        store.close()
        errors: list[Exception] = []

        def call() -> None:
            try:
                store.version("p")
            except StoreError as err:
                errors.append(err)

        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
        with pytest.raises(StoreError, match="closed"):
            store.keys()
        assert ["closed"] == ["closed" for e in errors if "closed" in str(e)]


class TestThreadConnections:
    """A connection per thread: made on first use, gone with its thread."""

    def test_connections_go_with_their_threads(self, tmp_path: Path) -> None:
        """50 short-lived threads leave no connection open behind them."""
        store = SQLiteStore(tmp_path / "s.db")
        store.create("p", DEFINITION)
        for n in range(50):
            thread = threading.Thread(
                target=store.append, args=("p", [{"seq": n + 1}]), kwargs={"expected_version": n}
            )
            thread.start()
            thread.join()
        gc.collect()
        assert 50 == store.version("p")
        assert len(store._connections) <= 2  # this thread's (and one not yet collected)

    def test_memory_database_is_shared(self) -> None:
        """``":memory:"`` is one database, whichever thread uses it."""
        store = SQLiteStore(":memory:")
        store.create("p", DEFINITION)
        thread = threading.Thread(
            target=store.append, args=("p", [{"seq": 1}]), kwargs={"expected_version": 0}
        )
        thread.start()
        thread.join()
        assert 1 == store.version("p")


class TestOddPaths:
    """Paths that are not files, or have URI characters in them."""

    def test_a_directory(self, tmp_path: Path) -> None:
        """A directory is not a store, and nothing is written into it."""
        with pytest.raises(StoreUnavailableError, match="directory"):
            SQLiteStore(tmp_path)
        assert [] == list(tmp_path.iterdir())

    @pytest.mark.parametrize("name", ["a?b.db", "a#b.db", "a%20b.db", "a b.db"])
    def test_uri_characters(self, tmp_path: Path, name: str) -> None:
        """A file name with characters that mean something in a URI is that file."""
        SQLiteStore(tmp_path / name).create("p", DEFINITION)
        assert [name] == [p.name for p in tmp_path.iterdir() if p.suffix == ".db"]
        assert ["p"] == SQLiteStore(tmp_path / name, create=False).keys()
