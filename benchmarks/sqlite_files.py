"""SQLite files for targets 4 and 5: the store's table shape, its JSON rows, new files, and the
file system they are on (it decides what an fsync costs)."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

STORE_KEY = "benchmark"
RAW_TABLE = """
    CREATE TABLE events (
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        schema INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (key, seq)
    ) WITHOUT ROWID
"""
RAW_INSERT = "INSERT INTO events (key, seq, schema, body) VALUES (?, ?, ?, ?)"
ROWS = "SELECT seq, schema, body FROM events WHERE key = ? ORDER BY seq"


def json_row(document: object) -> str:
    """An event document as the stores write it, canonical JSON (its keys sorted: a restore
    digests the stored text): the same bytes (checked by target 4)."""
    return json.dumps(
        document, ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
    )


def connect(path: str) -> sqlite3.Connection:
    """A raw connection with the store's settings: WAL, ``synchronous=FULL``, autocommit."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def check_pragmas(db: sqlite3.Connection) -> None:
    """Untimed: the connection writes a WAL with synchronous=FULL (2)."""
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2


def check_wal(path: str) -> None:
    """Untimed: the file at ``path`` is in WAL mode (a setting kept in the file, so a second
    connection sees it; ``synchronous`` belongs to each connection and can't be seen)."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def stored_rows(path: str) -> list[tuple[int, int, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(ROWS, (STORE_KEY,)).fetchall()
    finally:
        db.close()


def remove_db(path: str) -> None:
    """Remove an SQLite file and its WAL, if they exist."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def fresh_db(directory: str, name: str) -> str:
    """The path of a new SQLite file in ``directory`` (any earlier one removed)."""
    path = os.path.join(directory, f"{name}.db")
    remove_db(path)
    return path


def file_system(path: str) -> str:
    """The type of the file system ``path`` is on (Linux: from /proc/mounts)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "file system unknown"
    real = os.path.realpath(path)
    best, kind = "", "file system unknown"
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def tmpfs() -> str | None:
    """/dev/shm if it is a writable tmpfs (where fsync costs nothing), else None."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK) and file_system(shm) == "tmpfs":
        return shm
    return None
