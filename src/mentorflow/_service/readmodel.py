"""`ReadModel`: every programme's pairs and deadlines in tables, queried without restoring.

Deadlines are derived (calendars, extensions, what each pair did), so SQL over the event log
can't say which are overdue. A store that keeps a read model (SQLite and PostgreSQL, once
`enable` d) holds, beside the logs, each pair's phase and status and each deadline's due date
and state, written by the transaction that appends the events that changed them: the rows
stand at the version of the log, always. "Every pair overdue today, in every programme" is
then one query (`overdue`, or `SQL` for your own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

import pendulum

from .._core.programme import Programme
from .._core.projection import project
from .._domain.validate import show
from .._storage import readmodel
from .._storage.stores import PostgresStore, SQLiteStore, Store
from ..exceptions import UnknownProgrammeError, ValidationError

SQL = readmodel.OVERDUE.format(p="", now=":now")
"""The overdue query, for SQLite (``:now``: Unix seconds; PostgreSQL: the tables are in the
store's schema, and the parameter is ``%(now)s``)."""


class OverdueDeadline(NamedTuple):
    """A deadline past its due day and not met, as the read model has it: a row of the
    overdue query (a named tuple, cheap to make by the thousand).

    Attributes:
        programme: The programme's key in the store.
        pair: The pair's key; None for a programme's own deadline (a milestone, a report,
            a deliverable).
        deadline: The phase or milestone, ``report:N`` for period N's periodic report,
            ``deliverable:NAME`` for a deliverable (the names of their alerts).
        due_on: The due day.
        phase: The pair's phase (None for a milestone).
        status: The pair's status (None for a milestone).
        revision: How many times the deadline moved (a report's: how many granted programme
            extensions moved it).
    """

    programme: str
    pair: str | None
    deadline: str
    due_on: pendulum.Date
    phase: str | None
    status: str | None
    revision: int


class ReadModel:
    """The read model of a store: each pair's phase and status, each deadline's date and
    state, for every programme, in step with the logs.

    Args:
        store: An `SQLiteStore` or a `PostgresStore`.

    Raises:
        ValidationError: another kind of store.

    Examples:
        >>> import pendulum
        >>> from mentorflow import (Association, City, DeadlineRule, ManualClock, Partner,
        ...     Programme, ReadModel, SQLiteStore, Theme)
        >>> store = SQLiteStore(":memory:")
        >>> ReadModel(store).enable()  # tables, and the rows of every programme there
        0
        >>> start = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
        >>> programme = Programme("P", starts_on=start.date(), ends_on=pendulum.date(2022, 12, 31),
        ...     clock=ManualClock(start), timezone="Europe/Brussels",
        ...     deadlines=[DeadlineRule("needs_assessment", after="needs_assessment.started",
        ...                             weeks=8)])
        >>> programme.persist(store, "inclucities")
        >>> _ = programme.add_pair("mechelen-capaci",
        ...     mentor=Partner(city=City(name="Mechelen", country="BE"),
        ...                    association=Association(name="VVSG", country="BE")),
        ...     mentee=Partner(city=City(name="Capaci", country="IT"),
        ...                    association=Association(name="AICCRE", country="IT")),
        ...     theme=Theme.HOUSING)
        >>> [(d.programme, d.pair, d.deadline, str(d.due_on))
        ...  for d in ReadModel(store).overdue(pendulum.datetime(2020, 9, 1, tz="UTC"))]
        [('inclucities', 'mechelen-capaci', 'needs_assessment', '2020-08-12')]
    """

    def __init__(self, store: Store) -> None:
        if not isinstance(store, SQLiteStore | PostgresStore):
            raise ValidationError(
                "store",
                f"a read model is kept by an SQLiteStore or a PostgresStore, not "
                f"{type(store).__name__}",
            )
        self.store: SQLiteStore | PostgresStore = store

    def enable(self, *, rebuild: bool = True) -> int:
        """Make the tables; with ``rebuild``, fill them from the logs. Programmes persisted or
        restored from then on keep them in step (those open before: restore them again).
        Return how many programmes were rebuilt."""
        self.store.readmodel_enable()
        return self.rebuild() if rebuild else 0

    def rebuild(self, keys: Iterable[str] | None = None) -> int:
        """Rebuild the rows of ``keys`` (default: every programme, and forget those of
        programmes no longer in the store) by restoring each from its log; return how many.

        Raises:
            CorruptStoreError, SerializationError, ReplayError: a log can't be restored.
        """
        chosen = self.store.keys() if keys is None else list(keys)
        for key in chosen:
            try:
                programme = Programme.restore(self.store, key)
            except UnknownProgrammeError:
                self.store.readmodel_forget(key)
                continue
            rows = project(programme)
            self.store.readmodel_put(key, rows.version, rows.pairs, rows.deadlines)
        if keys is None:
            kept = set(chosen)
            for row in self.store.readmodel_query(_PROGRAMMES.format(p=self._prefix)):
                if str(row[0]) not in kept:
                    self.store.readmodel_forget(str(row[0]))
        return len(chosen)

    @property
    def _prefix(self) -> str:
        return f'"{self.store.schema}".' if isinstance(self.store, PostgresStore) else ""

    def overdue(self, at: dt.datetime) -> list[OverdueDeadline]:
        """Every deadline past its due day at instant ``at`` and not met, of every pair and
        milestone in every programme, earliest first: one query, no programme restored.

        Raises:
            ValidationError: ``at`` is not a timezone-aware datetime.
        """
        if not isinstance(at, dt.datetime) or at.tzinfo is None:
            raise ValidationError("at", f"must be a timezone-aware datetime, not {show(at)}")
        rows = self.store.readmodel_overdue(at.timestamp())
        days: dict[str, pendulum.Date] = {}  # few distinct days: each parsed once
        found = []
        for programme, pair, deadline, due_on, phase, status, revision in rows:
            day = days.get(due_on)
            if day is None:
                day = days[due_on] = pendulum.Date.fromisoformat(due_on)
            found.append(OverdueDeadline(programme, pair, deadline, day, phase, status, revision))
        return found


_PROGRAMMES = "SELECT programme FROM {p}readmodel_programmes"
