"""The read model's rows of a programme: each pair's phase and status, each deadline's date
and state (issue 14). A store that keeps a read model writes them in the transaction of the
events that changed them (`ReadJournal`, in ``persist.py``).

Which rows a change touches: a pair's own events touch that pair's rows; anything else (an
extension, a milestone, a migration, a programme's deadline check) may move any deadline, so
it touches every row. Rows are plain tuples, so a store needs nothing of mentorflow's types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import attrs

from .._domain.events import DeadlineApproaching, DeadlineMissed, Event, PairEvent
from .book import Deadline


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
