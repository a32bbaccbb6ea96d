"""The read model's rows of a programme: each pair's phase and status, each deadline's date
and state (issue 14). A store that keeps a read model writes them in the transaction of the
events that changed them (`ReadJournal`, in ``persist.py``).

Which rows a change touches: a pair's own events touch that pair's rows; anything else (an
extension, a milestone, a migration, a programme's deadline check, a report or deliverable)
may move any deadline, so it touches every row. Rows are plain tuples, so a store needs
nothing of mentorflow's types.

Report and deliverable deadlines (issue 17) are programme rows, as milestones are (pair
``MILESTONE``), named as in their alerts: ``report:N`` and ``deliverable:NAME``. An
unsubmitted report, or a deliverable pending, drafted or returned, is ``open``; a submitted
report, or a deliverable submitted or accepted, is ``met`` (at its submission). Their
revisions are their alerts': a report's, how many granted programme extensions moved it
(before it was submitted); a deliverable's, how many times its due date was moved.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import attrs

from .._domain.clock import wall_time
from .._domain.deadlines import extend
from .._domain.events import DeadlineApproaching, DeadlineMissed, Event, PairEvent
from .._domain.extensions import ExtensionStatus
from .._domain.reporting import (
    DeliverableStatus,
    deliverable_deadline,
    derive_periods,
    report_deadline,
)
from .book import Deadline
from .runtime import Runtime


class _Pair(Protocol):
    @property
    def phase(self) -> str: ...
    @property
    def status(self) -> str: ...


class Source(Protocol):
    """What the rows are read from: a `Programme` (named by its parts, so that this module
    and ``programme.py`` don't import each other)."""

    @property
    def version(self) -> int: ...
    @property
    def pairs(self) -> Mapping[str, _Pair]: ...
    def deadlines(self, *, pair: str | None = None) -> tuple[Deadline, ...]: ...
    def _runtime(self) -> Runtime: ...


MILESTONE = ""
"""The ``pair`` of a programme milestone's deadline row (a key can't be empty)."""

PairRow = tuple[str, str, str]
"""(pair, phase, status)"""
DeadlineRow = tuple[str, str, str | None, float | None, float | None, str, int]
"""(pair or MILESTONE, deadline, due_on as ISO date, due_at and met_at as Unix seconds,
state, revision); state is ``open``, ``pending`` (no date yet), ``met``, ``withdrawn`` or
``skipped``: whether it is overdue is ``due_at`` against the instant asked about."""


@attrs.frozen
class Projection:
    """The rows of some of a programme's pairs (all of them when ``whole``) and its
    milestones, at ``version``."""

    version: int
    pairs: Sequence[PairRow]
    deadlines: Sequence[DeadlineRow]
    keys: Sequence[str]
    """The pairs whose rows these are (their old rows are replaced)."""
    whole: bool
    """Every pair's rows, and the milestones' (the old rows of the programme are replaced)."""


def touched(events: Sequence[Event]) -> set[str] | None:
    """The pairs whose rows ``events`` may change (an alert changes none); None: every row."""
    keys: set[str] = set()
    for event in events:
        if isinstance(event, PairEvent):
            keys.add(event.pair)
        elif not isinstance(event, DeadlineApproaching | DeadlineMissed):
            return None  # an alert changes no row; anything else may move any deadline
    return keys


def project(programme: Source, keys: Iterable[str] | None = None) -> Projection:
    """The rows of ``keys`` (None: of every pair, and the milestones) as the programme stands."""
    whole = keys is None
    chosen = list(programme.pairs) if keys is None else sorted(keys)
    pairs: list[PairRow] = []
    deadlines: list[DeadlineRow] = []
    for key in chosen:
        pair = programme.pairs.get(key)
        if pair is None:  # pragma: no cover - an event names a pair the programme has
            continue
        pairs.append((key, str(pair.phase), str(pair.status)))
        deadlines.extend(_row(key, d) for d in programme.deadlines(pair=key))
    if whole:
        deadlines.extend(_row(MILESTONE, d) for d in programme.deadlines())
        deadlines.extend(_reporting(programme._runtime()))
    return Projection(programme.version, pairs, deadlines, chosen, whole)


def _row(pair: str, deadline: Deadline) -> DeadlineRow:
    if deadline.withdrawn:
        state = "withdrawn"
    elif deadline.skipped:
        state = "skipped"
    elif deadline.met_at is not None:
        state = "met"
    elif deadline.due_at is None:
        state = "pending"
    else:
        state = "open"
    return (
        pair,
        deadline.name,
        None if deadline.due_on is None else deadline.due_on.isoformat(),
        None if deadline.due_at is None else deadline.due_at.timestamp(),
        None if deadline.met_at is None else deadline.met_at.timestamp(),
        state,
        deadline.revision,
    )


_SUBMITTED = (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED)


def _reporting(rt: Runtime) -> list[DeadlineRow]:
    """The rows of the reports' and deliverables' deadlines (none without either)."""
    reporting = rt.reporting
    if not reporting.active:
        return []
    tz = rt.tz
    rows: list[DeadlineRow] = []

    def add(name: str, due: dt.date, met: dt.datetime | None, revision: int) -> None:
        due_at = wall_time(due.toordinal(), tz, 23, 59, 59, 999999).timestamp()
        state = "open" if met is None else "met"
        met_at = None if met is None else met.timestamp()
        rows.append((MILESTONE, name, due.isoformat(), due_at, met_at, state, revision))

    for item in rt.reporting_watch():  # unsubmitted reports, open deliverables
        add(item.name, item.due_on, None, item.revision)
    for period in rt.reporting_periods():
        if period.submitted_at is not None:
            revision = _report_revision(rt, period.number, period.submitted_at)
            add(report_deadline(period.number), period.report_due_on, period.submitted_at, revision)
    for record in reporting.deliverables.values():
        if record.status in _SUBMITTED and record.submitted_at is not None:
            add(
                deliverable_deadline(record.name),
                record.due_on,
                record.submitted_at,
                record.revision,
            )
    return rows


def _report_revision(rt: Runtime, number: int, submitted_at: dt.datetime) -> int:
    """How many of the programme extensions granted before report ``number`` was submitted
    moved its due date (its alerts' revision when it was submitted)."""
    grants = sum(
        1
        for ext in rt.extensions.all()
        if ext.target == (None, None)
        and ext.status is ExtensionStatus.GRANTED
        and ext.decided_at is not None
        and ext.decided_at <= submitted_at
    )
    if grants == 0:
        return 0
    reporting = rt.reporting
    original = rt.definition.ends_on
    offsets = rt.extensions.granted.get((None, None), [])[:grants]
    ends = [original, *(extend(original, offsets[:k], rt.calendar) for k in range(1, grants + 1))]
    assert reporting.plan is not None  # a report was submitted under it
    dues = []
    for end in ends:  # the due dates it had, not frozen by its submission
        periods = derive_periods(rt.definition.starts_on, end, reporting.plan, rt.calendar, {})
        dues.append(next((p.report_due_on for p in periods if p.number == number), None))
    return sum(1 for a, b in itertools.pairwise(dues) if a != b)
