"""The deadline book in a snapshot: what it remembers and what it folded, as JSON, and back.

A snapshot's ``state["book"]`` holds the book's memory (`BookMemory`: the milestones reached,
each watch's version, revisions and alerts sent, and since format 4 the order in which the
watches' next alerts come) and, since format 4, what the book folded from each pair's history
(`PairFold`), so that a restore builds the book without reading those histories
(`DeadlineBook.unfolded`). A book of a format-3 snapshot has no folds: the book is folded
again from the pairs' histories (`DeadlineBook.remembered`), which the restore must read.

A pair's fold is a short list, its trailing defaults left out (100,000 pairs stay a few
megabytes)::

    [mentor's region, mentee's region, {phase: first completion instant},
     {phase: start day}, {visit number: host role}, 0 open | 1 completed | 2 withdrawn,
     [phases skipped], {phase: last completion day, where not the first's}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pendulum

from .._codec.primitives import dump_instant, load_date, load_instant
from .._codec.serialize import converter
from .._domain.events import PairEvent
from .._domain.model import Role
from .book import BookMemory, DeadlineBook, DeadlineRevision, PairFold
from .runtime import Runtime

_OPEN, _COMPLETED, _WITHDRAWN = range(3)
_DEFAULTS: tuple[Any, ...] = ({}, {}, {}, _OPEN, (), {})
"""A fold's items after the regions, where its entry leaves them out (only read)."""


def dump_book(book: DeadlineBook) -> dict[str, Any]:
    """The snapshot document of ``book`` (format 4)."""
    memory = book.memory()
    assert memory.order is not None  # a live book's memory has one
    return {
        "reached": {name: dump_instant(at) for name, at in memory.reached.items()},
        "watches": {
            key: {
                "version": version,
                "revisions": {
                    name: [converter.unstructure(r) for r in moves]
                    for name, moves in revisions.items()
                },
                "alerts": {name: list(sent) for name, sent in alerts.items()},
            }
            for key, (version, revisions, alerts) in memory.watches.items()
        },
        "order": list(memory.order),
        "folds": {key: _dump_fold(fold) for key, fold in book.folds().items()},
    }


def without_folds(document: Mapping[str, Any]) -> dict[str, Any]:
    """A book's document (`dump_book`) as a format-3 snapshot held it: no folds, no order."""
    return {k: v for k, v in document.items() if k not in ("order", "folds")}


def _dump_fold(fold: PairFold) -> list[Any]:
    completed_at = fold.completed_at
    later = {
        phase: day.isoformat()
        for phase, day in fold.completed.items()
        if phase not in completed_at or completed_at[phase].date() != day
    }
    entry: list[Any] = [
        fold.regions[0],
        fold.regions[1],
        {phase: dump_instant(at) for phase, at in completed_at.items()},
        {phase: day.isoformat() for phase, day in fold.started.items()},
        {str(number): role.value for number, role in fold.hosts.items()},
        _WITHDRAWN if fold.withdrawn else _COMPLETED if fold.closed else _OPEN,
        sorted(fold.skipped),
        later,
    ]
    while len(entry) > 2 and not entry[-1]:  # the trailing defaults ({}, 0, [])
        entry.pop()
    return entry


def load_book(
    rt: Runtime,
    document: Mapping[str, Any] | None,
    histories: Mapping[str, Sequence[PairEvent]] | None,
) -> DeadlineBook | None:
    """The deadline book of the installed state ``rt``, from the snapshot's book
    ``document``: installed from its folds, or (a format-3 document) folded again from the
    pairs' ``histories`` (None: not read, when the document has folds).

    Raises:
        ValueError, TypeError, KeyError, AttributeError: a document that doesn't fit the
            definition, the pairs or itself (the caller ignores the snapshot).
    """
    definition = rt.definition
    schedule = definition.schedule
    if schedule.empty:
        if document is not None:
            raise ValueError("a deadline book, for a definition without deadline rules")
        return None
    if document is None:
        raise ValueError("no deadline book, for a definition with deadline rules")
    order = document.get("order")
    memory = BookMemory(
        reached={name: load_instant(at) for name, at in document["reached"].items()},
        watches={
            key: (
                _whole(watch["version"], f"watch {key!r}'s version"),
                {
                    name: [converter.structure(r, DeadlineRevision) for r in moves]
                    for name, moves in watch["revisions"].items()
                },
                {
                    name: (revision, warned, missed)
                    for name, (revision, warned, missed) in watch["alerts"].items()
                },
            )
            for key, watch in document["watches"].items()
        },
        order=None if order is None else tuple(_key(k) for k in order),
    )
    options: dict[str, Any] = {
        "regions": definition.regions,
        "timezone": rt.tz,
        "starts_on": definition.starts_on,
        "ends_on": rt.ends_on,
        "granted": rt.extensions.granted,
        "memory": memory,
        "closures": definition.closures,
    }
    folds = document.get("folds")
    if folds is None:
        if histories is None:
            raise ValueError("a deadline book without folds, and no histories to fold")
        return DeadlineBook.remembered(schedule, histories=histories, **options)
    if order is None:
        raise ValueError("a deadline book with folds but no order of alerts")
    if folds.keys() != rt.states.keys():
        missing = next(iter(rt.states.keys() - folds.keys() or folds.keys() - rt.states.keys()))
        raise ValueError(f"pair {missing!r}: the deadline book's folds and the pairs differ")
    dates: dict[str, pendulum.Date] = {}
    loaded = {key: _load_fold(key, entry, dates) for key, entry in folds.items()}
    return DeadlineBook.unfolded(schedule, folds=loaded, **options)


def _load_fold(key: str, entry: list[Any], dates: dict[str, pendulum.Date]) -> PairFold:
    """A pair's fold from its entry (see the module's docstring); ``dates`` remembers the
    days already read (a programme's pairs share most of them)."""
    if type(entry) is not list or not 2 <= len(entry) <= 8:
        raise ValueError(f"pair {key!r}: its fold is not a list of 2 to 8 items")
    padded: list[Any] = [*entry, *_DEFAULTS[len(entry) - 2 :]]
    mentor, mentee, completed_at, started, hosts, ended, skipped, later = padded
    if type(mentor) is not str or type(mentee) is not str or type(ended) is not int:
        raise ValueError(f"pair {key!r}: a fold of regions {mentor!r}, {mentee!r}, end {ended!r}")
    if ended not in (_OPEN, _COMPLETED, _WITHDRAWN):
        raise ValueError(f"pair {key!r}: its fold's end is {ended!r}")

    def day(text: str) -> pendulum.Date:
        found = dates.get(text)
        if found is None:
            found = dates[text] = load_date(text)
        return found

    # (a JSON object's keys are strings)
    firsts = {phase: load_instant(at) for phase, at in completed_at.items()}
    completed = {phase: at.date() for phase, at in firsts.items()}
    completed.update((phase, day(text)) for phase, text in later.items())
    return PairFold(
        regions=(mentor, mentee),
        started={phase: day(text) for phase, text in started.items()},
        completed=completed,
        completed_at=firsts,
        hosts={int(number): Role(role) for number, role in hosts.items()},
        closed=ended != _OPEN,
        withdrawn=ended == _WITHDRAWN,
        skipped=frozenset(str(phase) for phase in skipped),
    )


def _whole(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} is {value!r}, not a whole number")
    return value


def _key(value: object) -> str:
    if type(value) is not str:
        raise ValueError(f"a watch's key is {value!r}, not a string")
    return value
