"""The deadline book in a snapshot: what it remembers and what it folded, as JSON, and back.

A snapshot's ``state["book"]`` holds the book's memory (`BookMemory`: the milestones reached,
each watch's version, revisions and alerts sent, and since format 4 the order in which the
watches' next alerts come) and, since format 4, what the book folded from each pair's history
(`PairFold`), so that a restore builds the book without reading those histories
(`DeadlineBook.unfolded`). A format-3 book has no folds: it is folded again from the pairs'
histories (`DeadlineBook.remembered`), which the restore must read.

Format 4 keeps 100,000 pairs to a few megabytes, read and written in well under a second:
every instant and day is written once, in a table, and named by its place in it; each
watch is a short list, its trailing defaults left out::

    {"reached": {milestone: instant}, "instants": [instant, ...], "days": [day, ...],
     "order": [watch key, ...], "programme": [version, revisions, alerts],
     "pairs": {key: [version, mentor's region, mentee's region, {phase: start day},
                     {phase: first completion instant}, revisions, alerts,
                     {visit number: host role}, 0 open | 1 completed | 2 withdrawn,
                     [phases skipped], {phase: last completion day, where not the first's}]}}

    revisions: {deadline: [[revision, previous day, due day, instant, extension, migration]]}
    alerts: {deadline: [revision, warned, missed]}

(days and instants by their place in the tables; a day may be null).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pendulum

from .._codec.primitives import dump_instant, load_date, load_instant
from .._codec.serialize import converter
from .._domain.events import PairEvent
from .._domain.model import Role
from .book import Alerts, BookMemory, DeadlineBook, DeadlineRevision, PairFold
from .runtime import Runtime

_OPEN, _COMPLETED, _WITHDRAWN = range(3)
_DEFAULTS: tuple[Any, ...] = (0, "", "", {}, {}, {}, {}, {}, _OPEN, (), {})
"""A pair's items, where its entry leaves them out (only read)."""
_PROGRAMME = ""

Revisions = dict[str, list[DeadlineRevision]]


class _Instants:
    """Instants written once each, named by their place (`__call__`)."""

    __slots__ = ("by_id", "by_text", "texts")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.by_text: dict[str, int] = {}
        # the instants stay alive while the book is dumped; a log's share objects (the
        # events of a command share theirs), and hashing an aware time asks its zone
        self.by_id: dict[int, int] = {}

    def __call__(self, value: pendulum.DateTime) -> int:
        found = self.by_id.get(id(value))
        if found is None:
            text = dump_instant(value)
            found = self.by_text.get(text)
            if found is None:
                found = self.by_text[text] = len(self.texts)
                self.texts.append(text)
            self.by_id[id(value)] = found
        return found


class _Days:
    """Days written once each, named by their place (`__call__`)."""

    __slots__ = ("by_day", "texts")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.by_day: dict[pendulum.Date, int] = {}

    def __call__(self, value: pendulum.Date) -> int:
        found = self.by_day.get(value)
        if found is None:
            found = self.by_day[value] = len(self.texts)
            self.texts.append(value.isoformat())
        return found


def dump_book(book: DeadlineBook) -> dict[str, Any]:
    """The snapshot document of ``book`` (format 4: see the module's docstring)."""
    memory = book.memory(copy=False)
    assert memory.order is not None  # a live book's memory has one
    instants, days = _Instants(), _Days()

    def day(value: pendulum.Date | None) -> int | None:
        return None if value is None else days(value)

    def watch(key: str) -> list[Any]:
        version, revisions, alerts = memory.watches.get(key, (0, {}, {}))
        moves = {
            name: [
                [r.revision, day(r.previous), day(r.due_on), instants(r.at), r.extension]
                + ([] if r.migration is None else [r.migration])
                for r in found
            ]
            for name, found in revisions.items()
        }
        return [version, moves, {name: list(sent) for name, sent in alerts.items()}]

    pairs: dict[str, list[Any]] = {}
    for key, fold in book.folds().items():
        version, moves, alerts = watch(key)
        firsts = fold.completed_at
        entry: list[Any] = [
            version,
            fold.regions[0],
            fold.regions[1],
            {phase: days(on) for phase, on in fold.started.items()},
            {phase: instants(at) for phase, at in firsts.items()},
            moves,
            alerts,
            {str(number): role.value for number, role in fold.hosts.items()},
            _WITHDRAWN if fold.withdrawn else _COMPLETED if fold.closed else _OPEN,
            sorted(str(phase) for phase in fold.skipped),  # (a Phase is a str: its value)
            {phase: days(on) for phase, on in fold.completed.items() if _later(on, firsts, phase)},
        ]
        while len(entry) > 3 and not entry[-1]:  # the trailing defaults ({}, 0, [])
            entry.pop()
        pairs[key] = entry
    return {
        "reached": {name: dump_instant(at) for name, at in memory.reached.items()},
        "programme": watch(_PROGRAMME),
        "order": list(memory.order),
        "pairs": pairs,
        "instants": instants.texts,
        "days": days.texts,
    }


def _later(on: pendulum.Date, firsts: Mapping[str, pendulum.DateTime], phase: str) -> bool:
    """Whether a phase's last completion day ``on`` is not its first completion's day."""
    first = firsts.get(phase)
    # (a pendulum time's date() makes a pendulum date: ten times the cost of these)
    return first is None or (on.year, on.month, on.day) != (first.year, first.month, first.day)


def dump_book_3(book: DeadlineBook) -> dict[str, Any]:
    """The snapshot document of ``book`` as format 3 laid it out (no folds, no order):
    what ``restore(verify=True)`` compares a format-3 snapshot's book with."""
    memory = book.memory()
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
    }


def load_book(
    rt: Runtime,
    document: Mapping[str, Any] | None,
    histories: Mapping[str, Sequence[PairEvent]] | None,
) -> DeadlineBook | None:
    """The deadline book of the installed state ``rt``, from the snapshot's book
    ``document``: installed from its folds (format 4), or folded again from the pairs'
    ``histories`` (format 3; None: not read).

    Raises:
        ValueError, TypeError, KeyError, AttributeError, IndexError: a document that
            doesn't fit the definition, the pairs or itself (the caller ignores the
            snapshot).
    """
    definition = rt.definition
    schedule = definition.schedule
    if schedule.empty:
        if document is not None:
            raise ValueError("a deadline book, for a definition without deadline rules")
        return None
    if document is None:
        raise ValueError("no deadline book, for a definition with deadline rules")
    options: dict[str, Any] = {
        "regions": definition.regions,
        "timezone": rt.tz,
        "starts_on": definition.starts_on,
        "ends_on": rt.ends_on,
        "granted": rt.extensions.granted,
        "closures": definition.closures,
    }
    reached = {name: load_instant(at) for name, at in document["reached"].items()}
    if "pairs" not in document:  # format 3
        if histories is None:
            raise ValueError("a deadline book without folds, and no histories to fold")
        memory = BookMemory(reached=reached, watches=_watches_3(document["watches"]))
        return DeadlineBook.remembered(schedule, histories=histories, memory=memory, **options)
    pairs = document["pairs"]
    if pairs.keys() != rt.states.keys():
        missing = next(iter(rt.states.keys() - pairs.keys() or pairs.keys() - rt.states.keys()))
        raise ValueError(f"pair {missing!r}: the deadline book's pairs and the pairs differ")
    reader = _Reader(document["instants"], document["days"])
    watches = {_PROGRAMME: reader.watch(_PROGRAMME, document["programme"])}
    folds: dict[str, PairFold] = {}
    for key, entry in pairs.items():
        folds[key] = reader.fold(key, entry, watches)
    memory = BookMemory(reached=reached, watches=watches, order=_order(document["order"]))
    return DeadlineBook.unfolded(schedule, folds=folds, memory=memory, **options)


class _Reader:
    """Reads a format-4 book's watches, naming instants and days by their place."""

    def __init__(self, instants: list[str], days: list[str]) -> None:
        self.revisions: dict[tuple[Any, ...], DeadlineRevision] = {}
        self.instants = [load_instant(text) for text in instants]
        self.days = [load_date(text) for text in days]
        by_text = dict(zip(days, self.days, strict=True))
        # the day each instant was on, where it was (see `dump_book`)
        self.on = [by_text.get(text[:10]) or load_date(text[:10]) for text in instants]

    def day(self, index: int | None) -> pendulum.Date | None:
        if index is None:
            return None
        if type(index) is not int or index < 0:
            raise ValueError(f"a day's place is {index!r}")
        return self.days[index]

    def revision(self, move: tuple[Any, ...]) -> DeadlineRevision:
        """The revision of ``move`` (see the module's docstring); one object for each
        (revisions are frozen: the pairs moved alike share theirs)."""
        found = self.revisions.get(move)
        if found is None:
            revision, previous, due, at, extension, *migration = move
            found = self.revisions[move] = DeadlineRevision(
                revision=revision,
                previous=self.day(previous),
                due_on=self.day(due),
                at=self.instants[at],
                extension=extension,
                migration=migration[0] if migration else None,
            )
        return found

    def watch(self, key: str, entry: list[Any]) -> tuple[int, Revisions, Alerts]:
        """A watch's version, revisions and alerts from ``entry`` (see the module's
        docstring)."""
        version, moves, alerts = entry
        if type(version) is not int or version < 0:
            raise ValueError(f"watch {key!r}: its version is {version!r}")
        revisions = {
            name: [self.revision(tuple(move)) for move in found] for name, found in moves.items()
        }
        sent = {
            name: (revision, warned, missed) for name, (revision, warned, missed) in alerts.items()
        }
        return version, revisions, sent

    def fold(
        self,
        key: str,
        entry: list[Any],
        watches: dict[str, tuple[int, Revisions, Alerts]],
    ) -> PairFold:
        """A pair's fold from its ``entry``; its watch, if it has one, into ``watches``."""
        if type(entry) is not list or not 3 <= len(entry) <= len(_DEFAULTS):
            raise ValueError(f"pair {key!r}: its entry is not a list of 3 to 11 items")
        padded: list[Any] = [*entry, *_DEFAULTS[len(entry) :]]
        version, mentor, mentee, started, firsts, moves, alerts, hosts, ended, skipped, later = (
            padded
        )
        if type(mentor) is not str or type(mentee) is not str or type(ended) is not int:
            raise ValueError(f"pair {key!r}: regions {mentor!r}, {mentee!r}, end {ended!r}")
        if ended not in (_OPEN, _COMPLETED, _WITHDRAWN):
            raise ValueError(f"pair {key!r}: its end is {ended!r}")
        if version or moves or alerts:
            watches[key] = self.watch(key, [version, moves, alerts])
        days, instants, on = self.days, self.instants, self.on
        # (a JSON object's keys are strings; a list index that is not an int is a TypeError)
        completed = {phase: on[at] for phase, at in firsts.items()}
        completed.update((phase, days[day]) for phase, day in later.items())
        return PairFold(
            regions=(mentor, mentee),
            started={phase: days[day] for phase, day in started.items()},
            completed=completed,
            completed_at={phase: instants[at] for phase, at in firsts.items()},
            hosts={int(number): Role(role) for number, role in hosts.items()},
            closed=ended != _OPEN,
            withdrawn=ended == _WITHDRAWN,
            skipped=frozenset(str(phase) for phase in skipped),
        )


def _order(keys: object) -> tuple[str, ...]:
    if type(keys) is not list or any(type(key) is not str for key in keys):
        raise ValueError(f"the order of alerts is {keys!r}, not a list of keys")
    return tuple(keys)


def _watches_3(document: Mapping[str, Any]) -> dict[str, tuple[int, Revisions, Alerts]]:
    """A format-3 book's watches (see `dump_book_3`)."""
    return {
        key: (
            watch["version"],
            {
                name: [converter.structure(r, DeadlineRevision) for r in moves]
                for name, moves in watch["revisions"].items()
            },
            {
                name: (revision, warned, missed)
                for name, (revision, warned, missed) in watch["alerts"].items()
            },
        )
        for key, watch in document.items()
    }
