"""Opening an SQLite store: a damaged file is refused and never written to; a store is
created only where the caller means to create one."""

from __future__ import annotations

import contextlib
import random
import sqlite3
from pathlib import Path

import pytest

from mentorflow import SQLiteStore, StoreError

DEFINITION = {"schema": 2, "name": "test"}
BUG = pytest.mark.xfail(strict=True, reason="issue 12 item 6: opening a damaged store changes it")


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

    @BUG
    def test_empty_file(self, tmp_path: Path) -> None:
        """A 0-byte file is not turned into a new database."""
        path = tmp_path / "s.db"
        path.write_bytes(b"")
        self.refused(path)

    @BUG
    @pytest.mark.parametrize("size", [1, 50, 100])
    def test_file_cut_short(self, tmp_path: Path, size: int) -> None:
        """A store cut to its first bytes is refused and left alone."""
        path = tmp_path / "s.db"
        healthy(path)
        path.write_bytes(path.read_bytes()[:size])
        self.refused(path)

    @BUG
    def test_another_database(self, tmp_path: Path) -> None:
        """An SQLite database that is not a mentorflow store gets no tables of ours."""
        path = tmp_path / "s.db"
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE invoices (number INTEGER)")
        other.commit()
        other.close()
        self.refused(path)

    @BUG
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
