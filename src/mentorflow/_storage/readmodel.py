"""The read model's tables and statements, shared by `SQLiteStore` and `PostgresStore`
(issue 14): what they write in the transaction of an append, and the overdue query.

``readmodel_pairs``: one row per pair (programme, pair, phase, status).
``readmodel_deadlines``: one row per deadline (programme, pair, deadline, due_on, due_at,
met_at, state, revision, phase, status); a programme's own deadline (a milestone, a
periodic report ``report:N``, a deliverable ``deliverable:NAME``) has pair ``''`` (its phase
and status NULL); ``due_at`` and ``met_at`` are Unix seconds; ``state`` is open, pending,
met, withdrawn or skipped (overdue is ``state = 'open' AND due_at < now``); ``phase`` and
``status`` are the pair's, copied beside each of its deadlines (a pair's rows are rewritten
together), so the overdue query reads one index and no other table.
``readmodel_programmes``: the version of each programme the rows stand at.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import Any, Protocol

PairRow = tuple[str, str, str]
DeadlineRow = tuple[str, str, str | None, float | None, float | None, str, int]

OverdueRow = tuple[str, str | None, str, str, str | None, str | None, int]
"""A row of `OVERDUE`: programme, pair, deadline, due_on (ISO), phase, status, revision."""

TABLES = ("readmodel_programmes", "readmodel_pairs", "readmodel_deadlines")
LAYOUT_COLUMN = "phase"
"""A column of ``readmodel_deadlines`` that tables of an older layout (before phase and
status were copied there) lack: such tables are made again by `enable`."""


def ddl(real: str, prefix: str = "", clustered: str = "") -> list[str]:
    """The tables (``real``: the type of Unix seconds; ``prefix``: a schema and a dot;
    ``clustered``: SQLite's `` WITHOUT ROWID``, rows kept in key order). The overdue query
    reads only the index ``readmodel_open``: its rows in the order asked, each with every
    column asked (no read of a table, no sort, no join)."""
    return [
        f"""CREATE TABLE IF NOT EXISTS {prefix}readmodel_programmes (
            programme TEXT PRIMARY KEY,
            version BIGINT NOT NULL
        )""",
        f"""CREATE TABLE IF NOT EXISTS {prefix}readmodel_pairs (
            programme TEXT NOT NULL,
            pair TEXT NOT NULL,
            phase TEXT NOT NULL,
            status TEXT NOT NULL,
            PRIMARY KEY (programme, pair)
        ){clustered}""",
        f"""CREATE TABLE IF NOT EXISTS {prefix}readmodel_deadlines (
            programme TEXT NOT NULL,
            pair TEXT NOT NULL,
            deadline TEXT NOT NULL,
            due_on TEXT,
            due_at {real},
            met_at {real},
            state TEXT NOT NULL,
            revision INTEGER NOT NULL,
            phase TEXT,
            status TEXT,
            PRIMARY KEY (programme, pair, deadline)
        )""",
        f"""CREATE INDEX IF NOT EXISTS readmodel_open ON {prefix}readmodel_deadlines
            (state, due_at, programme, pair, deadline, due_on, phase, status, revision)""",
    ]


OLDER = (
    "the read model's tables are of an older layout: ReadModel(store).enable() makes them "
    "again and fills them from the logs"
)


def drop(prefix: str = "") -> list[str]:
    """Statements that remove the tables (of an older layout: `ddl` makes them again)."""
    return [f"DROP TABLE IF EXISTS {prefix}{table}" for table in TABLES]


OVERDUE = """
SELECT d.programme, NULLIF(d.pair, '') AS pair, d.deadline, d.due_on, d.phase, d.status,
       d.revision
FROM {p}readmodel_deadlines AS d
WHERE d.state = 'open' AND d.due_at < {now}
ORDER BY d.due_at, d.programme, d.pair, d.deadline
"""
"""Every deadline overdue at ``now`` (Unix seconds), of every pair (and milestone, report
and deliverable: pair, phase and status NULL) in every programme, earliest first: the one
query. Its columns are `mentorflow.OverdueDeadline`'s fields, in order (``due_on`` as an
ISO date)."""


class Cursor(Protocol):
    def execute(self, query: Any, params: Any = ..., /) -> Any: ...
    def executemany(self, query: Any, params: Any, /) -> Any: ...


def query(mark: str) -> Any:
    """How the driver takes a query made here: psycopg (``%s``) bytes, sqlite3 text."""
    return str.encode if mark == "%s" else str


def write(
    db: Cursor,
    mark: str,
    prefix: str,
    key: str,
    version: int,
    pairs: Sequence[PairRow],
    deadlines: Sequence[DeadlineRow],
    keys: Sequence[str],
    whole: bool,
) -> None:
    """Replace the rows of ``keys`` (every row of the programme when ``whole``) with
    ``pairs`` and ``deadlines``, and record ``version``; ``mark`` is the driver's
    placeholder (``?`` or ``%s``)."""
    m = mark
    q = query(mark)
    if whole:
        for table in ("readmodel_pairs", "readmodel_deadlines"):
            db.execute(q(f"DELETE FROM {prefix}{table} WHERE programme = {m}"), (key,))
    else:
        for table in ("readmodel_pairs", "readmodel_deadlines"):
            db.executemany(
                q(f"DELETE FROM {prefix}{table} WHERE programme = {m} AND pair = {m}"),
                [(key, pair) for pair in keys],
            )
    if pairs:
        db.executemany(
            q(f"INSERT INTO {prefix}readmodel_pairs VALUES ({m}, {m}, {m}, {m})"),
            [(key, *row) for row in pairs],
        )
    if deadlines:
        # each deadline with its pair's phase and status (a milestone's: NULL)
        of_pair = {pair: (phase, status) for pair, phase, status in pairs}
        none = (None, None)
        db.executemany(
            q(
                f"INSERT INTO {prefix}readmodel_deadlines VALUES "
                f"({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})"
            ),
            [(key, *row, *of_pair.get(row[0], none)) for row in deadlines],
        )
    db.execute(
        q(
            f"INSERT INTO {prefix}readmodel_programmes VALUES ({m}, {m}) ON CONFLICT (programme) "
            "DO UPDATE SET version = excluded.version"
        ),
        (key, version),
    )


def forget(db: Cursor, mark: str, prefix: str, key: str) -> None:
    """Remove every row of programme ``key``."""
    q = query(mark)
    for table in TABLES:
        db.execute(q(f"DELETE FROM {prefix}{table} WHERE programme = {mark}"), (key,))


class _Aborted(Exception):
    """Rolls an open append back."""


class OpenAppend:
    """An append whose transaction is still open: `commit` writes the read model's rows in it
    and commits; `abort` rolls it back. (What `SQLiteStore.readmodel_append` and
    `PostgresStore.readmodel_append` return.)"""

    def __init__(
        self, stack: contextlib.ExitStack, db: Cursor, mark: str, prefix: str, key: str
    ) -> None:
        self._stack = stack
        self._db = db
        self._mark = mark
        self._prefix = prefix
        self.key = key
        self.open = True

    def commit(
        self,
        version: int,
        pairs: Sequence[PairRow],
        deadlines: Sequence[DeadlineRow],
        keys: Sequence[str],
        whole: bool,
    ) -> None:
        """Write the rows, and commit the events with them."""
        self.open = False
        try:
            write(
                self._db, self._mark, self._prefix, self.key, version, pairs, deadlines, keys, whole
            )
        except BaseException:
            if not self._stack.__exit__(*sys.exc_info()):
                raise
            return  # pragma: no cover - the store's errors raise their own
        self._stack.close()

    def abort(self) -> None:
        """Roll the append back."""
        if self.open:
            self.open = False
            self._stack.__exit__(_Aborted, _Aborted(), None)


def opened(stack: contextlib.ExitStack, failure: BaseException) -> None:
    """Close ``stack`` (an append being opened) after ``failure``: roll back, and raise what
    the store makes of it."""
    if not stack.__exit__(type(failure), failure, failure.__traceback__):
        raise failure
