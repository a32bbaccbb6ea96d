"""Watching deadlines: every deadline's date and revisions, and checks that touch only what is due.

The book keeps, for the programme and for each pair, the due date of each deadline (a tuple
shared by every pair whose inputs are the same: at enrolment that is nearly all of them), the
revisions of each deadline, and which alerts were sent for which revision. A min-heap holds one
entry per pair and one for the programme: the next instant at which one of its deadlines needs an
alert. A check pops only the entries that are due, so with nothing due it costs one comparison.
"""

from __future__ import annotations

import enum
import functools
import heapq
import itertools
from collections.abc import Container, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import attrs
import pendulum

from .._domain.calendar import Closure, WorkingCalendar, calendar_for
from .._domain.clock import earlier, wall_time
from .._domain.deadlines import (
    END,
    START,
    CalendarBasis,
    DeadlineRule,
    Offset,
    Schedule,
    due_date,
    start_of_day,
)
from .._domain.events import (
    DeadlineApproaching,
    DeadlineMissed,
    Event,
    PairCompleted,
    PairEnrolled,
    PairEvent,
    PairMigrated,
    PairWithdrawn,
    PartnerReplaced,
    PhaseCompleted,
    PhaseStarted,
    VisitRecorded,
)
from .._domain.model import Role
from .._domain.validate import show
from ..exceptions import UnknownPairError, ValidationError


class DeadlineStatus(enum.StrEnum):
    """Where a deadline stands at an instant."""

    PENDING = "pending"
    """No date yet: what it counts from has not happened and has no date of its own."""
    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    """Inside its warning lead time."""
    OVERDUE = "overdue"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"


@attrs.frozen(kw_only=True)
class DeadlineRevision:
    """One move of a deadline: from ``previous`` to ``due_on``, and why."""

    revision: int
    """1 for the first move, 2 for the next, ..."""
    previous: pendulum.Date | None
    due_on: pendulum.Date | None
    at: pendulum.DateTime
    """When it moved."""
    extension: str | None
    """The key of the extension that moved it; None if progress or a migration did."""
    migration: int | None = None
    """The version of the definition a migration to which moved it; None otherwise."""


@attrs.frozen(kw_only=True)
class Deadline:
    """A deadline as it stands: its date, its revisions, and whether it was met.

    Attributes:
        name: The phase or milestone it is for.
        pair: The pair, for a phase deadline; None for a programme milestone.
        due_on: The due day (None while pending); it ends at the end of that day.
        due_at: The last instant of the due day in the programme's timezone.
        lead_days: How many days before it is "due soon".
        met_at: When the phase was completed or the milestone reached, if it was.
        revisions: Every move of the date, oldest first.
        withdrawn: The pair withdrew: the deadline is no longer watched.
        skipped: A migration moved the pair past this phase without completing it: the
            deadline is no longer watched.
    """

    name: str
    pair: str | None
    due_on: pendulum.Date | None
    due_at: pendulum.DateTime | None
    lead_days: int
    met_at: pendulum.DateTime | None
    revisions: tuple[DeadlineRevision, ...]
    withdrawn: bool = False
    skipped: bool = False

    @property
    def revision(self) -> int:
        """How many times the date moved (0: never)."""
        return len(self.revisions)

    def status(self, at: pendulum.DateTime) -> DeadlineStatus:
        """The status at instant ``at``."""
        if self.due_at is None:
            return DeadlineStatus.PENDING
        if self.met_at is not None and not earlier(at, self.met_at):
            late = earlier(self.due_at, self.met_at)
            return DeadlineStatus.MET_LATE if late else DeadlineStatus.MET_ON_TIME
        if earlier(self.due_at, at):
            return DeadlineStatus.OVERDUE
        assert self.due_on is not None
        if self.lead_days:
            warn = start_of_day(self.due_on.subtract(days=self.lead_days), self.due_at.timezone)
            if not earlier(at, warn):
                return DeadlineStatus.DUE_SOON
        return DeadlineStatus.UPCOMING

    @property
    def days_late(self) -> int | None:
        """For a deadline met late, by how many days; 0 if on time; None if not met."""
        if self.met_at is None or self.due_on is None:
            return None
        # ordinals: pendulum's date subtraction builds an Interval, ~10x slower
        return max(0, self.met_at.date().toordinal() - self.due_on.toordinal())


_PROGRAMME = ""  # the heap key of the programme's own deadlines


class _State:
    """The watch state of one pair (or of the programme's milestones)."""

    __slots__ = (
        "alerts",
        "closed",
        "completed",
        "completed_at",
        "due",
        "hosts",
        "next_alert",
        "regions",
        "revisions",
        "skipped",
        "started",
        "version",
        "withdrawn",
    )

    def __init__(self, due: tuple[pendulum.Date | None, ...] = ()) -> None:
        self.due = due
        self.version = 0
        self.next_alert: float | None = None  # as last pushed
        self.revisions: dict[str, list[DeadlineRevision]] | None = None
        self.alerts: dict[str, tuple[int, bool, bool]] | None = None  # rev, warned, missed
        # the pair's phase dates, folded from its history as it grows (seen: events folded)
        self.started: dict[str, pendulum.Date] = {}
        self.completed: dict[str, pendulum.Date] = {}
        self.completed_at: dict[str, pendulum.DateTime] = {}  # a deadline's met_at: the first
        # what the pair's calendars are read from: its partners' regions (mentor, mentee) and
        # who hosted each recorded visit
        self.regions: tuple[str, str] = ("", "")
        self.hosts: dict[int, Role] = {}
        self.closed = False  # withdrawn or completed: no more alerts
        self.withdrawn = False
        self.skipped: frozenset[str] = frozenset()  # phases a migration moved the pair past


Alerts = dict[str, tuple[int, bool, bool]]
"""Per deadline name: the revision alerted, and whether it was warned of and missed."""


@attrs.frozen
class BookMemory:
    """What a deadline book remembers beyond what its pairs' histories say (a snapshot of the
    programme keeps it): the milestones reached, and for each watch that changed (a pair's
    key; ``""``, the programme's milestones) its version, its deadlines' revisions and the
    alerts sent; and ``order``, the watches with an alert to come, in the order a check
    takes them (for alerts due at the same instant, the order they were scheduled in: a
    check's events come in that order). None (a snapshot of an older format): in the
    order the watches were made."""

    reached: dict[str, pendulum.DateTime]
    watches: dict[str, tuple[int, dict[str, list[DeadlineRevision]], Alerts]]
    order: tuple[str, ...] | None = None


class PairFold(NamedTuple):
    """What a book folded from one pair's history (`DeadlineBook.folds`): all it needs of
    the history to work out the pair's deadlines and alerts. The dicts are the book's own:
    read them, don't change them. Each field has the name of the `_State` slot it is."""

    regions: tuple[str, str]
    """The regions of its partners' cities: mentor, mentee."""
    started: dict[str, pendulum.Date]
    """The day each phase started (the last time; a migration that left a phase
    uncompleted voids its start)."""
    completed: dict[str, pendulum.Date]
    """The day each phase was completed (the last time)."""
    completed_at: dict[str, pendulum.DateTime]
    """When each phase was first completed (its deadline's ``met_at``)."""
    hosts: dict[int, Role]
    """Who hosted each recorded study visit, by number (the last record)."""
    closed: bool
    """The pair completed the programme or withdrew."""
    withdrawn: bool
    """It withdrew."""
    skipped: frozenset[str]
    """The phases its last migration moved it past."""


_FOLDED = tuple(PairFold.__annotations__)
"""`PairFold`'s fields in order: the names of the `_State` slots they are."""


class DeadlineBook:
    """The deadlines of one programme, fed the programme's events; it holds no programme.

    Args:
        schedule: The deadline rules, in dependency order.
        regions: Whose holidays count for the programme's milestones.
        timezone: The programme's timezone (a deadline ends at midnight there).
        starts_on: The programme's first day.
        ends_on: The programme's last day (`set_end` moves it).
        granted: The offsets granted per ``(phase, pair)`` target: the programme's own index
            of granted extensions, read here, never copied.
    """

    def __init__(
        self,
        schedule: Schedule,
        *,
        regions: tuple[str, ...],
        timezone: pendulum.Timezone,
        starts_on: pendulum.Date,
        ends_on: pendulum.Date,
        granted: dict[tuple[str | None, str | None], list[Offset]],
        closures: tuple[Closure, ...] = (),
    ) -> None:
        self.schedule = schedule
        self.closures = closures
        self.calendar = calendar_for(regions, closures)
        self.tz = timezone
        self.starts_on = starts_on
        self.ends_on = ends_on
        self._names = {rule.name: i for i, rule in enumerate(schedule.phases)}
        self._milestone_names = {rule.name: i for i, rule in enumerate(schedule.milestones)}
        self._uses_host = any(r.calendar is CalendarBasis.HOST for r in schedule.phases)
        # what a pair's due dates are computed from: the memo is keyed on these alone, so a
        # phase that no rule counts from can start or complete without a recomputation
        self._host_phases = tuple(
            r.name for r in schedule.phases if r.calendar is CalendarBasis.HOST
        )
        self._reads_started, self._reads_completed = _pair_inputs(schedule)
        self._anchors = _phase_anchors(schedule)
        # the days of the programme's anchors the phase rules read (its start and end, the
        # milestones they count from), as of the memo: the memo holds while they do
        self._programme_reads = (
            START,
            END,
            *sorted({name for _, kind, name, _ in self._anchors if kind == _FROM_PROGRAMME}),
        )
        self._programme_anchors: dict[str, pendulum.Date | None] | None = None
        self._pair_calendars: dict[tuple[str, str], WorkingCalendar] = {}
        self._memo: dict[tuple[Any, ...], tuple[pendulum.Date | None, ...]] = {}
        self._reached: dict[str, pendulum.DateTime] = {}
        self._extensions = granted
        self._pairs: dict[str, _State] = {}
        self._heap: list[tuple[float, int, str, int]] = []
        self._tie = itertools.count()
        self._milestones = _State(self._milestone_dues())
        self._push(_PROGRAMME, self._milestones)

    # -- computing ---------------------------------------------------------------------

    def _milestone_dues(self) -> tuple[pendulum.Date | None, ...]:
        found: dict[str, pendulum.Date | None] = {}
        for rule in self.schedule.milestones:
            anchor = self._programme_anchor(rule.after, found) if rule.after else None
            found[rule.name] = due_date(
                rule,
                anchor,
                self.calendar,
                self.ends_on,
                self._extensions.get((rule.name, None), ()),
            )
        return tuple(found[r.name] for r in self.schedule.milestones)

    def _programme_anchor(
        self, anchor: str, found: dict[str, pendulum.Date | None]
    ) -> pendulum.Date | None:
        if anchor == START:
            return self.starts_on
        if anchor == END:
            return self.ends_on
        reached = self._reached.get(anchor)
        if reached is not None:
            return reached.date()
        return found.get(anchor)

    def _fold(self, events: Sequence[PairEvent], state: _State) -> tuple[bool, bool, bool]:
        """Fold a pair's new ``events`` into ``state``. Whether any can move a deadline or end
        the watch (a phase started or completed, a partner or host changed, the pair left);
        whether any changed what its due dates are computed from (`_pair_dues`' key); and
        whether any met a deadline or ended the watch (its next alert must be worked out)."""
        moved = inputs = alerts = False
        for event in events:
            if isinstance(event, PhaseStarted):
                state.started[event.phase] = event.at.date()
                moved = True
                inputs = inputs or event.phase in self._reads_started
            elif isinstance(event, PhaseCompleted):
                state.completed[event.phase] = event.at.date()
                state.completed_at.setdefault(event.phase, event.at)
                moved = True
                inputs = inputs or event.phase in self._reads_completed
                alerts = alerts or event.phase in self._names
            elif isinstance(event, VisitRecorded):
                state.hosts[event.visit.number] = event.visit.host
                if self._uses_host:
                    moved = inputs = True
            elif isinstance(event, PartnerReplaced):
                mentor, mentee = state.regions
                region = event.replacement.city.region
                state.regions = (region, mentee) if event.role is Role.MENTOR else (mentor, region)
                moved = inputs = True
            elif isinstance(event, PairWithdrawn | PairCompleted):
                state.closed = True
                state.withdrawn = isinstance(event, PairWithdrawn)
                moved = alerts = True
            elif isinstance(event, PairMigrated):
                state.skipped = frozenset(event.skipped)
                if event.to != event.phase:  # left without completing: that start is void
                    state.started.pop(event.phase, None)
                moved = inputs = alerts = True
            elif isinstance(event, PairEnrolled):
                state.regions = (event.mentor.city.region, event.mentee.city.region)
        return moved, inputs, alerts

    def _pair_dues(self, key: str) -> tuple[pendulum.Date | None, ...]:
        state = self._pairs[key]
        started, completed = state.started, state.completed
        both = state.regions
        hosts = self._hosts(state) if self._uses_host else ()
        extensions = (
            tuple(self._phase_extensions(rule.name, key) for rule in self.schedule.phases)
            if self._extensions
            else ()
        )
        inputs = (
            both,
            hosts,
            tuple(started.get(phase) for phase in self._reads_started),
            tuple(completed.get(phase) for phase in self._reads_completed),
            extensions,
        )
        found = self._memo.get(inputs)
        if found is None:
            found = self._compute(key, started, completed, both, dict(hosts))
            self._memo[inputs] = found
        return found

    def _phase_extensions(self, phase: str, pair: str) -> tuple[Offset, ...]:
        if not self._extensions:
            return ()
        every = self._extensions.get((phase, None), ())
        return (*every, *self._extensions.get((phase, pair), ()))

    def _hosts(self, state: _State) -> tuple[tuple[str, str], ...]:
        """The hosting region of each phase whose deadline counts the host's working days."""
        lifecycle = self.schedule.lifecycle
        hosts = []
        mentor, mentee = state.regions
        for phase in self._host_phases:
            visit = lifecycle.step(phase).visit
            role = state.hosts.get(visit, Role.MENTEE) if visit is not None else Role.MENTEE
            hosts.append((phase, mentor if role is Role.MENTOR else mentee))
        return tuple(hosts)

    def _compute(
        self,
        key: str,
        started: dict[str, pendulum.Date],
        completed: dict[str, pendulum.Date],
        both: tuple[str, str],
        hosts: dict[str, str],
    ) -> tuple[pendulum.Date | None, ...]:
        programme = self._programme_anchors
        if programme is None:
            programme = self._programme_anchors = self._programme_anchor_values()
        ends_on = self.ends_on
        found: dict[str, pendulum.Date | None] = {}
        for rule, kind, phase, previous in self._anchors:
            value: pendulum.Date | None = None
            if kind == _FROM_PROGRAMME:
                value = programme[phase]
            elif kind == _FROM_COMPLETION:
                value = completed.get(phase) or found.get(phase)  # done, or projected
            elif kind == _FROM_START:
                value = started.get(phase)
                if value is None and previous is not None:  # projected: the last one's end
                    value = completed.get(previous) or found.get(previous)
            found[rule.name] = due_date(
                rule,
                value,
                self._calendar(rule, both, hosts.get(rule.name)),
                ends_on,
                self._phase_extensions(rule.name, key),
            )
        return tuple(found.values())

    def _programme_anchor_values(self) -> dict[str, pendulum.Date | None]:
        """The day of every programme anchor a phase deadline counts from, and of the end
        (which caps them)."""
        milestones = dict(zip(self._milestone_names, self._milestones.due, strict=True))
        return {name: self._programme_anchor(name, milestones) for name in self._programme_reads}

    def _calendar(
        self, rule: DeadlineRule, both: tuple[str, str], host: str | None
    ) -> WorkingCalendar:
        basis = rule.calendar or CalendarBasis.PAIR
        if basis is CalendarBasis.PROGRAMME:
            return self.calendar
        if basis is CalendarBasis.HOST and host is not None:
            return calendar_for((host,), self.closures)
        found = self._pair_calendars.get(both)
        if found is None:
            found = self._pair_calendars[both] = calendar_for(
                tuple(sorted(set(both))), self.closures
            )
        return found

    # -- keeping up to date ------------------------------------------------------------

    def on_pair_events(self, key: str, events: Sequence[PairEvent], at: pendulum.DateTime) -> None:
        """A pair was enrolled or changed (its ``events``): (re)compute its deadlines, then
        its next alert.

        Events that can't move a deadline (a deliverable, a suspension) cost one pass over
        the new events and nothing more."""
        state = self._pairs.get(key)
        if state is None:
            state = self._pairs[key] = _State()
            self._fold(events, state)
            state.due = self._pair_dues(key)
            self._push(key, state)
            return
        moved, inputs, alerts = self._fold(events, state)
        if moved:
            # with the same inputs the dates are the same; with the same dates and no deadline
            # met nor the pair gone, so is the next alert. The pair is pushed again all the same
            # (a fresh entry: the heap's order stays as it always was)
            due = self._pair_dues(key) if inputs else state.due
            self._revise(key, state, due, at, None, alerts)

    @classmethod
    def migrated(
        cls,
        old: DeadlineBook | None,
        schedule: Schedule,
        *,
        regions: tuple[str, ...],
        timezone: pendulum.Timezone,
        starts_on: pendulum.Date,
        ends_on: pendulum.Date,
        granted: dict[tuple[str | None, str | None], list[Offset]],
        histories: Mapping[str, Sequence[PairEvent]],
        at: pendulum.DateTime,
        version: int,
        closures: tuple[Closure, ...] = (),
    ) -> DeadlineBook:
        """The book of a programme migrated to ``schedule`` at ``at``: every deadline worked
        out again from the pairs' ``histories`` (a migration's own events included), the
        milestones reached kept, and from ``old``, for each deadline the new schedule still
        has, its revisions and the alerts sent for it. A deadline whose date moved gets a
        revision naming the migration (``version``), so its alerts go out again, once; one
        that did not move keeps the alerts already sent. ``old`` is not changed.
        """
        book = cls(
            schedule,
            regions=regions,
            timezone=timezone,
            starts_on=starts_on,
            ends_on=ends_on,
            granted=granted,
            closures=closures,
        )
        if old is not None and old._reached:
            book._reached.update(old._reached)
            book._milestones.due = book._milestone_dues()
        for key, events in histories.items():
            book.on_pair_events(key, events, at)
        if old is not None:
            book._carry(_PROGRAMME, book._milestones, old, old._milestones, at, version)
            for key, state in book._pairs.items():
                before = old._pairs.get(key)
                if before is not None:
                    book._carry(key, state, old, before, at, version)
        return book

    def memory(self, *, copy: bool = True) -> BookMemory:
        """What this book remembers that its pairs' histories don't say (`BookMemory`).

        Args:
            copy: False: the revisions and alerts are the book's own (only to read them at
                once: a snapshot of 100,000 pairs is spared copying them all).
        """
        watches = {_PROGRAMME: self._milestones, **self._pairs}
        none: dict[str, Any] = {}
        return BookMemory(
            reached=dict(self._reached),
            watches={
                key: (
                    (
                        state.version,
                        {name: list(moves) for name, moves in (state.revisions or {}).items()},
                        dict(state.alerts or {}),
                    )
                    if copy
                    else (state.version, state.revisions or none, state.alerts or none)
                )
                for key, state in watches.items()
                if state.version or state.revisions or state.alerts
            },
            order=self._order(watches),
        )

    def _order(self, watches: Mapping[str, _State]) -> tuple[str, ...]:
        """The watches with an alert to come, in the order the heap gives them: its entries
        of their present versions (each watch has one, pushed last), by instant and tie."""
        found = sorted(
            (when, tie, key)
            for when, tie, key, version in self._heap
            if version == watches[key].version
        )
        return tuple(key for _, _, key in found)

    def folds(self) -> dict[str, PairFold]:
        """What this book folded from each pair's history, by pair key (`PairFold`)."""
        return {
            key: PairFold(*[getattr(state, name) for name in _FOLDED])
            for key, state in self._pairs.items()
        }

    @classmethod
    def remembered(
        cls,
        schedule: Schedule,
        *,
        histories: Mapping[str, Sequence[PairEvent]],
        memory: BookMemory,
        **options: Any,
    ) -> DeadlineBook:
        """The book of a programme restored from a snapshot: every pair's dates folded from
        its history (as `migrated` works them out), with ``memory``'s milestones reached,
        revisions and alerts sent. ``options``: the book's own (`DeadlineBook`'s arguments
        after ``schedule``).

        Raises:
            KeyError: ``memory`` has a watch of a pair with no history.
        """
        book = cls._reaching(memory, schedule, **options)
        for key, events in histories.items():
            book.on_pair_events(key, events, events[-1].at)
        book._recall(memory)
        return book

    @classmethod
    def unfolded(
        cls,
        schedule: Schedule,
        *,
        folds: Mapping[str, PairFold],
        memory: BookMemory,
        **options: Any,
    ) -> DeadlineBook:
        """The book of a programme restored from a snapshot without its pairs' histories:
        `remembered`'s book, each pair's state installed from what a book folded from its
        history (``folds``, as `folds` gives them; their dicts are taken over, not copied)
        instead of folded again.

        Raises:
            KeyError: ``memory`` has a watch of a pair with no fold.
            ValueError: ``memory.order`` is not the order of the watches with an alert to
                come (see `_recall`).
        """
        book = cls._reaching(memory, schedule, **options)
        pairs = book._pairs
        for key, fold in folds.items():
            state = pairs[key] = _State()
            for name, value in zip(_FOLDED, fold, strict=True):
                setattr(state, name, value)
            state.due = book._pair_dues(key)
        book._recall(memory)
        return book

    @classmethod
    def _reaching(cls, memory: BookMemory, schedule: Schedule, **options: Any) -> DeadlineBook:
        """A new book (``options``: `DeadlineBook`'s) with ``memory``'s milestones reached."""
        book = cls(schedule, **options)
        book._reached.update(memory.reached)
        book._milestones.due = book._milestone_dues()
        return book

    def _recall(self, memory: BookMemory) -> None:
        """Give the watches ``memory``'s versions, revisions and alerts sent, then schedule
        each one's next alert: in ``memory.order`` (its place there is its tie), or, without
        one, in the order the watches were made.

        Raises:
            KeyError: ``memory`` has a watch this book has not.
            ValueError: the watches with an alert to come are not those of ``memory.order``.
        """
        watches = {_PROGRAMME: self._milestones, **self._pairs}
        for key, (version, revisions, alerts) in memory.watches.items():
            state = watches[key]
            state.version = version
            state.revisions = {name: list(moves) for name, moves in revisions.items()} or None
            state.alerts = dict(alerts) or None
        self._heap.clear()
        order = memory.order
        if order is None:
            for key, state in watches.items():
                self._push(key, state)
            return
        rank = {key: tie for tie, key in enumerate(order)}
        if len(rank) != len(order):
            raise ValueError("the order of alerts names a watch twice")
        heap = self._heap
        for key, state in watches.items():
            when = state.next_alert = self._next_alert(key, state)
            tie = rank.pop(key, None)
            if (when is None) != (tie is None):
                has = "has none" if when is None else "has one"
                raise ValueError(f"watch {key!r} {has} to come, unlike the order of alerts says")
            if when is not None and tie is not None:
                heap.append((when, tie, key, state.version))
        if rank:
            raise ValueError(f"the order of alerts names no watch {next(iter(rank))!r}")
        heapq.heapify(heap)
        self._tie = itertools.count(len(order))

    def _carry(
        self,
        key: str,
        state: _State,
        old: DeadlineBook,
        before: _State,
        at: pendulum.DateTime,
        version: int,
    ) -> None:
        """Take over ``before``'s revisions and alerts (``old``'s watch of ``key``) for the
        deadlines this book still has; record the moves; schedule the next alert."""
        programme = key == _PROGRAMME
        rules = self.schedule.milestones if programme else self.schedule.phases
        previous = old.schedule.milestones if programme else old.schedule.phases
        was = {rule.name: due for rule, due in zip(previous, before.due, strict=True)}
        names = {rule.name for rule in rules}
        revisions = {
            name: list(moves) for name, moves in (before.revisions or {}).items() if name in names
        }
        for rule, due in zip(rules, state.due, strict=True):
            if rule.name in was and was[rule.name] != due:
                moves = revisions.setdefault(rule.name, [])
                moves.append(
                    DeadlineRevision(
                        revision=len(moves) + 1,
                        previous=was[rule.name],
                        due_on=due,
                        at=at,
                        extension=None,
                        migration=version,
                    )
                )
        state.revisions = revisions or None
        alerts = {name: sent for name, sent in (before.alerts or {}).items() if name in names}
        state.alerts = alerts or None
        state.version += 1
        self._push(key, state)

    def set_end(self, day: pendulum.Date) -> None:
        """The programme now ends on ``day`` (an extension was granted); `recompute_all`
        follows."""
        self.ends_on = day

    def reach(self, name: str, at: pendulum.DateTime) -> None:
        """A milestone was reached: deadlines counted from it now count from that day."""
        self._reached[name] = at
        self.recompute_all(at, None)

    def recompute_all(self, at: pendulum.DateTime, extension: str | None) -> None:
        """Recompute every deadline, recording revisions caused by ``extension``."""
        self._revise(_PROGRAMME, self._milestones, self._milestone_dues(), at, extension)
        # the pairs' dates are computed from the programme's only through these: while they
        # stay (a milestone no phase counts from was reached), so do the memo's dates
        anchors = self._programme_anchor_values()
        if anchors != self._programme_anchors:
            self._memo.clear()
            self._programme_anchors = anchors
        for key, state in self._pairs.items():
            self._revise(key, state, self._pair_dues(key), at, extension)

    def recompute_pair(self, key: str, at: pendulum.DateTime, extension: str | None) -> None:
        """Recompute one pair's deadlines, recording revisions caused by ``extension``."""
        self._revise(key, self._pairs[key], self._pair_dues(key), at, extension)

    def _revise(
        self,
        key: str,
        state: _State,
        due: tuple[pendulum.Date | None, ...],
        at: pendulum.DateTime,
        extension: str | None,
        recheck: bool = True,
    ) -> None:
        """Record the moves from ``state.due`` to ``due``, then push the next alert: worked out
        again if a date moved or ``recheck``, else the one pushed last."""
        moved = due is not state.due and due != state.due
        if moved:
            rules = self.schedule.milestones if key == _PROGRAMME else self.schedule.phases
            if state.revisions is None:
                state.revisions = {}
            for rule, old, new in zip(rules, state.due, due, strict=True):
                if old != new:
                    moves = state.revisions.setdefault(rule.name, [])
                    moves.append(
                        DeadlineRevision(
                            revision=len(moves) + 1,
                            previous=old,
                            due_on=new,
                            at=at,
                            extension=extension,
                        )
                    )
            state.due = due
        state.version += 1
        self._push(key, state, moved or recheck)

    # -- reading -----------------------------------------------------------------------

    def is_milestone(self, name: str) -> bool:
        """Whether ``name`` is a programme milestone with a deadline rule."""
        return name in self._milestone_names

    def is_phase(self, name: str) -> bool:
        """Whether ``name`` is a phase with a deadline rule."""
        return name in self._names

    def reached(self, name: str) -> bool:
        """Whether milestone ``name`` was reached."""
        return name in self._reached

    def deadline(self, name: str, pair: str | None) -> Deadline:
        """One deadline as it stands."""
        if not isinstance(name, str):
            raise ValidationError("name", f"must be a deadline's name, not {type(name).__name__}")
        if pair is None:
            if name not in self._milestone_names:
                raise ValidationError("name", f"{show(name)} is not a milestone with a deadline")
            return self._view(_PROGRAMME, self._milestones, self._milestone_names[name])
        if name not in self._names:
            raise ValidationError("name", f"{show(name)} is not a phase with a deadline")
        return self._view(pair, self._pair_state(pair), self._names[name])

    def deadlines(self, pair: str | None) -> tuple[Deadline, ...]:
        """The milestones' deadlines (``pair`` None) or one pair's phase deadlines."""
        if pair is None:
            return tuple(
                self._view(_PROGRAMME, self._milestones, i) for i in self._milestone_names.values()
            )
        state = self._pair_state(pair)
        return tuple(self._view(pair, state, i) for i in self._names.values())

    def _pair_state(self, key: str) -> _State:
        try:
            return self._pairs[key]
        except (KeyError, TypeError):
            raise UnknownPairError(key) from None

    def _view(self, key: str, state: _State, index: int) -> Deadline:
        if key == _PROGRAMME:
            rule = self.schedule.milestones[index]
            met = self._reached.get(rule.name)
            withdrawn = False
        else:
            rule = self.schedule.phases[index]
            met = state.completed_at.get(rule.name)
            withdrawn = state.withdrawn
        skipped = rule.name in state.skipped
        due = state.due[index]
        return Deadline(
            name=rule.name,
            pair=None if key == _PROGRAMME else key,
            due_on=due,
            due_at=None if due is None else self._day_end(due),
            lead_days=rule.lead_days,
            met_at=met,
            revisions=tuple((state.revisions or {}).get(rule.name, ())),
            withdrawn=withdrawn,
            skipped=skipped,
        )

    # -- checking ----------------------------------------------------------------------

    def _push(self, key: str, state: _State, recheck: bool = True) -> None:
        when = self._next_alert(key, state) if recheck else state.next_alert
        state.next_alert = when
        if when is not None:
            heapq.heappush(self._heap, (when, next(self._tie), key, state.version))

    def _day_start(self, ordinal: int) -> float:
        """The timestamp of the start of day ``ordinal`` in the programme's timezone."""
        return _start_timestamp(ordinal, self.tz)

    def _day_end(self, day: pendulum.Date) -> pendulum.DateTime:
        """The last instant of ``day`` in the programme's timezone (a deadline's end)."""
        return wall_time(day.toordinal(), self.tz, 23, 59, 59, 999999)

    def _unsent(
        self, key: str, state: _State
    ) -> list[tuple[DeadlineRule, pendulum.Date, int, bool]]:
        """The deadlines of ``key`` that may still need an alert: each with its revision and
        whether its warning was sent for that revision."""
        # a list, not a generator: this runs after every change of every pair, for a rule or two
        found: list[tuple[DeadlineRule, pendulum.Date, int, bool]] = []
        met: Container[str]  # milestones reached, or phases completed
        if key == _PROGRAMME:
            rules, met = self.schedule.milestones, self._reached
        else:
            if state.closed:
                return found
            rules, met = self.schedule.phases, state.completed
        alerts = state.alerts
        revisions = state.revisions
        skipped = state.skipped
        for rule, due in zip(rules, state.due, strict=True):
            if due is None or rule.name in met or rule.name in skipped:
                continue
            revision = len(revisions.get(rule.name, ())) if revisions else 0
            sent = alerts.get(rule.name) if alerts else None
            if sent is None or sent[0] != revision:
                found.append((rule, due, revision, False))  # nothing sent for this revision
            elif not sent[2]:  # not missed yet
                found.append((rule, due, revision, sent[1]))
        return found

    def _open(self, key: str, state: _State) -> Iterator[_Open]:
        """The deadlines of ``key`` that may still need an alert, with what was sent."""
        for rule, due, revision, warned in self._unsent(key, state):
            ordinal = due.toordinal()
            warn = self._day_start(ordinal - rule.lead_days) if rule.lead_days else None
            yield _Open(rule, due, revision, warned, warn, self._day_start(ordinal + 1))

    def _next_alert(self, key: str, state: _State) -> float | None:
        """The timestamp of the next alert the deadlines of ``key`` need, if any."""
        # run after every change of every pair: only the one instant each deadline needs next
        # is worked out (no `_Open` views)
        soonest: float | None = None
        for rule, due, _, warned in self._unsent(key, state):
            if rule.lead_days and not warned:
                when = self._day_start(due.toordinal() - rule.lead_days)
            else:
                when = self._day_start(due.toordinal() + 1)
            if soonest is None or when < soonest:
                soonest = when
        return soonest

    def anything_due(self, at: pendulum.DateTime) -> bool:
        """Whether a check at ``at`` has an entry to look at (`check` would find nothing else)."""
        return bool(self._heap) and self._heap[0][0] <= at.timestamp()

    def check(self, at: pendulum.DateTime, seq: int) -> CheckPlan:
        """The alerts due at ``at``, each once per deadline revision, numbered from ``seq + 1``;
        nothing changes until the plan is committed."""
        plan = CheckPlan(self)
        now = at.timestamp()
        heap = self._heap
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            plan.popped.append(entry)
            _, _, key, version = entry
            state = self._milestones if key == _PROGRAMME else self._pairs[key]
            if version != state.version:
                continue  # stale: the deadlines moved since this entry was pushed
            plan.touched.append((key, state))
            for item in self._open(key, state):
                kind: type[DeadlineApproaching | DeadlineMissed] | None = None
                warned = missed = False
                if now >= item.miss_at:
                    kind, warned, missed = DeadlineMissed, True, True
                elif item.warn_at is not None and now >= item.warn_at and not item.warned:
                    kind, warned, missed = DeadlineApproaching, True, False
                if kind is None:
                    continue
                plan.events.append(
                    kind(
                        seq=seq + len(plan.events) + 1,
                        at=at,
                        deadline=item.rule.name,
                        pair=None if key == _PROGRAMME else key,
                        due_on=item.due,
                        revision=item.revision,
                    )
                )
                plan.alerts.append((state, item.rule.name, (item.revision, warned, missed)))
        return plan


class CheckPlan:
    """What a check found: its events, and how to apply (or undo) it."""

    def __init__(self, book: DeadlineBook) -> None:
        self.book = book
        self.events: list[Event] = []
        self.popped: list[tuple[float, int, str, int]] = []
        self.touched: list[tuple[str, _State]] = []
        self.alerts: list[tuple[_State, str, tuple[int, bool, bool]]] = []

    def commit(self) -> None:
        """Remember the alerts sent and schedule each touched entry's next alert."""
        for state, name, sent in self.alerts:
            if state.alerts is None:
                state.alerts = {}
            state.alerts[name] = sent
        for key, state in self.touched:
            state.version += 1
            self.book._push(key, state)

    def rollback(self) -> None:
        """Put back what the check took off the heap."""
        for entry in self.popped:
            heapq.heappush(self.book._heap, entry)


@attrs.frozen
class _Open:
    rule: DeadlineRule
    due: pendulum.Date
    revision: int
    warned: bool
    warn_at: float | None
    miss_at: float


def _pair_inputs(schedule: Schedule) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The phases whose actual start day, and those whose actual completion day, a pair's
    phase deadlines can be computed from (see `DeadlineBook._compute`'s anchors)."""
    milestones = {rule.name for rule in schedule.milestones}
    order = schedule.lifecycle.order
    started: set[str] = set()
    completed: set[str] = set()
    # a completion not yet happened is projected from that phase's own rule, which is one of
    # the rules walked here: the union over every rule covers the projections too
    for rule in schedule.phases:
        anchor = rule.after
        if anchor is None or anchor in (START, END) or anchor in milestones:
            continue
        phase, _, event = anchor.rpartition(".")
        if event == "completed":
            completed.add(phase)
        else:
            started.add(phase)
            index = order.index(phase)
            if index:
                completed.add(order[index - 1])
    return tuple(sorted(started)), tuple(sorted(completed))


@functools.lru_cache(maxsize=16384)
def _start_timestamp(ordinal: int, tz: pendulum.Timezone) -> float:
    # the heap of next alerts orders by timestamps; `timestamp()` costs as much as the lookup
    return wall_time(ordinal, tz).timestamp()


# where a phase deadline's anchor comes from
_NO_ANCHOR, _FROM_PROGRAMME, _FROM_COMPLETION, _FROM_START = range(4)


def _phase_anchors(
    schedule: Schedule,
) -> tuple[tuple[DeadlineRule, int, str, str | None], ...]:
    """Each phase rule, dependencies first, with where its anchor's day comes from: the
    programme (start, end, a milestone: the name), a phase's completion (the phase), or a
    phase's start (the phase, and the one before it, whose completion projects the start)."""
    milestones = {rule.name for rule in schedule.milestones}
    order = schedule.lifecycle.order
    anchors: list[tuple[DeadlineRule, int, str, str | None]] = []
    for rule in schedule.phases:
        anchor = rule.after
        if anchor is None:
            anchors.append((rule, _NO_ANCHOR, "", None))
        elif anchor in (START, END) or anchor in milestones:
            anchors.append((rule, _FROM_PROGRAMME, anchor, None))
        else:
            phase, _, event = anchor.rpartition(".")
            if event == "completed":
                anchors.append((rule, _FROM_COMPLETION, phase, None))
            else:
                index = order.index(phase)
                anchors.append((rule, _FROM_START, phase, order[index - 1] if index else None))
    return tuple(anchors)
