"""The public views: a `Programme` (its definition, pairs, history and hooks) and its `Pair` s.

Both are façades: each method builds a command value or reads a part, and hands off to the
programme's `Runtime` (``runtime.py``), which executes every command through the one
transaction path (``transaction.py``). A `Pair` is a view of one `PairState` with typed
command methods; pairs are made by `Programme.add_pair`, never directly. (The two live in one
module because each names the other: apart, they would import each other.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

import pendulum

from .._domain import commands as c
from .._domain.calendar import Closure
from .._domain.changes import changes
from .._domain.clock import Clock
from .._domain.deadlines import DeadlineRule, Offset
from .._domain.definition import DEFAULT_TOLERANCE, Definition
from .._domain.events import (
    ActivityHeld,
    DeliverableRegistered,
    Event,
    MilestoneReached,
    PairEvent,
    PhaseCompleted,
    PhaseStarted,
    ReportSubmitted,
)
from .._domain.extensions import Extension, ExtensionPolicy
from .._domain.lifecycle import Lifecycle, PairStatus
from .._domain.model import (
    Activity,
    Benchmark,
    Deliverable,
    Partner,
    Role,
    Roles,
    StudyVisit,
    Theme,
)
from .._domain.pair_state import PairState
from .._domain.reporting import DeliverableRecord, ReportingPeriod
from .._domain.validate import show
from .._domain.views import html
from ..exceptions import DefinitionDrift, DefinitionError, UnknownPairError, ValidationError
from .book import Deadline
from .hooks import Subscription, is_coroutine
from .migration import MigrationPlan
from .runtime import Runtime
from .transaction import History

if TYPE_CHECKING:
    from .._storage.stores import Store
    from .projection import Projection
    from .snapshot import SnapshotPolicy

E = TypeVar("E", bound=Event)


class Programme:
    """A funded mentoring programme: pairs of cities going through one lifecycle.

    Args:
        name: The programme's name, e.g. ``"IncluCities"``.
        starts_on: First day of the programme.
        ends_on: Last day of the programme (extensions move it).
        timezone: IANA name; every timestamp is converted to it. Default ``"UTC"``.
        lifecycle: The pairs' lifecycle; default `Lifecycle.default`.
        clock: Where "now" comes from when a command has no ``at``; default the system clock,
            in the programme's timezone.
        coordinator: Who leads the programme, e.g. ``"CEMR"``.
        funding_reference: The grant, e.g. ``"AMIF-2018-AG-INTE no. 863770"``.
        country: ISO code of the programme's country (its public holidays count for
            programme milestones); None counts weekends only.
        subdivision: Optional ISO 3166-2 subdivision of ``country`` (``"MD"`` for ES-MD).
        deadlines: `DeadlineRule` s for phases and programme milestones.
        extension_policy: What programme extensions are allowed (default EU practice).
        phase_extension_policy: What phase extensions are allowed (default: as for the
            programme, but a request may come up to the deadline itself).
        clock_tolerance: How far before a pair's last change a command may be dated (clock
            skew between hosts) and still be accepted, recorded at that change's time
            (default 5 seconds).
        version: Which version of the programme's definition this is (default 1; see
            `migrate`).
        closures: Days offices are closed that are not public holidays (`Closure`): no
            working days for the deadlines whose calendars they close.
        roles: What the programme calls the two sides of its pairs (`Roles`, or two names
            such as ``("lead", "transfer")``); default mentor and mentee.

    Raises:
        DefinitionError: naming the field, for a bad name, dates, timezone, lifecycle or clock.

    The arguments make one `Definition` (`from_definition` takes one ready-made). Every change
    is a command value run by `execute`; the methods below build them.

    A programme is not thread-safe: drive it from one thread, or guard it with a lock.
    """

    __slots__ = ("_rt",)

    def __init__(
        self,
        name: str,
        *,
        starts_on: dt.date,
        ends_on: dt.date,
        timezone: str = "UTC",
        lifecycle: Lifecycle | None = None,
        clock: Clock | None = None,
        coordinator: str | None = None,
        funding_reference: str | None = None,
        country: str | None = None,
        subdivision: str | None = None,
        deadlines: Iterable[DeadlineRule] = (),
        extension_policy: ExtensionPolicy | None = None,
        phase_extension_policy: ExtensionPolicy | None = None,
        clock_tolerance: dt.timedelta = DEFAULT_TOLERANCE,
        version: int = 1,
        closures: Iterable[Closure] = (),
        roles: Roles | tuple[str, str] | None = None,
    ) -> None:
        definition = Definition(
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            timezone=timezone,
            lifecycle=lifecycle,
            country=country,
            subdivision=subdivision,
            coordinator=coordinator,
            funding_reference=funding_reference,
            deadlines=deadlines,
            extension_policy=extension_policy,
            phase_extension_policy=phase_extension_policy,
            clock_tolerance=clock_tolerance,
            version=version,
            closures=closures,
            roles=roles,
        )
        self._rt = Runtime(definition, clock, self._enrolled)

    @classmethod
    def from_definition(cls, definition: Definition, *, clock: Clock | None = None) -> Programme:
        """A new programme of ``definition`` on ``clock`` (default: the system clock).

        Raises:
            DefinitionError: ``definition`` is not a `Definition`, or a bad clock.
        """
        if not isinstance(definition, Definition):
            raise DefinitionError(
                "definition", f"must be a Definition, not {type(definition).__name__}"
            )
        programme = cls.__new__(cls)
        programme._rt = Runtime(definition, clock, programme._enrolled)
        return programme

    def _enrolled(self, state: PairState) -> None:
        """A pair was enrolled: make its view (the runtime calls this from the transaction)."""
        state.view = Pair(self, state)

    # -- definition --------------------------------------------------------------------

    @property
    def definition(self) -> Definition:
        """The programme's definition in force: the last one it was migrated to, or the one it
        was made with (its original end: `ends_on` is the extended one)."""
        return self._rt.definition

    @property
    def definitions(self) -> tuple[Definition, ...]:
        """Every definition the programme has run, oldest first: the one it was made with (and
        is stored with), then the one of each migration."""
        return tuple(self._rt.definitions)

    @property
    def name(self) -> str:
        """The programme's name."""
        return self._rt.definition.name

    @property
    def coordinator(self) -> str | None:
        """Who leads the programme."""
        return self._rt.definition.coordinator

    @property
    def funding_reference(self) -> str | None:
        """The grant reference."""
        return self._rt.definition.funding_reference

    @property
    def starts_on(self) -> pendulum.Date:
        """First day of the programme."""
        return self._rt.definition.starts_on

    @property
    def ends_on(self) -> pendulum.Date:
        """Last day of the programme, as extended."""
        return self._rt.ends_on

    @property
    def original_ends_on(self) -> pendulum.Date:
        """Last day of the programme before any extension."""
        return self._rt.definition.ends_on

    @property
    def country(self) -> str | None:
        """The programme's country and subdivision (``"ES-MD"``), whose holidays count."""
        return self._rt.definition.region

    @property
    def timezone(self) -> pendulum.Timezone:
        """The programme's timezone; every event time is in it."""
        return self._rt.tz

    @property
    def lifecycle(self) -> Lifecycle:
        """The lifecycle every pair follows."""
        return self._rt.engine.lifecycle

    @property
    def clock(self) -> Clock:
        """The programme's clock."""
        return self._rt.clock

    def now(self) -> pendulum.DateTime:
        """The clock's current instant, in the programme's timezone."""
        return self._rt.now()

    # -- commands ----------------------------------------------------------------------

    def execute(self, command: c.Command, *more: c.Command) -> tuple[Event, ...]:
        """Run ``command`` (any command value: `Complete`, `Enrol`, `GrantExtension`, ...)
        through the one transaction path; return the events it emitted.

        The methods of `Programme` and `Pair` build these values and call this. Several
        commands run as one batch (see `batch`): all of them or none, in one write to the
        store; the events of all of them are returned.

        A command with an ``idempotency_key`` already committed is not run again: its first
        outcome (its events) is returned and nothing is appended.

        Raises:
            ValidationError: ``command`` is not a command, or a bad field.
            CommandRefused: a pair's rule refused it (`Vetoed`: a before hook did).
            PolicyViolation: an extension request or decision breaks the policy.
            UnknownPairError: no pair with the command's key.
            AfterHookError: after hooks raised; the change stands.
        """
        if not more:
            return self._rt.execute(command)
        events: list[Event] = []
        with self.batch():
            for each in (command, *more):
                events.extend(self._rt.execute(each))
        return tuple(events)

    @contextlib.contextmanager
    def batch(self) -> Iterator[Programme]:
        """Commit every command issued in the block as one change: all or nothing.

        Each command is decided and applied in turn (later ones see the earlier ones); at the
        end of the block their events are written to the store in one append (one fsync
        instead of one per command), then the after hooks hear of them. If a command is
        refused, the block raises, or the write fails, the programme is put back as it was
        before the block (by replaying its history up to there: that costs a replay) and
        nothing is stored. A batch inside a batch joins it.

        Examples:
            >>> import pendulum
            >>> from mentorflow import (Association, City, CommandRefused, Complete, Enrol,
            ...     ManualClock, Partner, Programme, Theme)
            >>> start = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
            >>> programme = Programme("P", starts_on=start.date(),
            ...     ends_on=pendulum.date(2022, 12, 31), clock=ManualClock(start))
            >>> be = Partner(city=City(name="Mechelen", country="BE"),
            ...              association=Association(name="VVSG", country="BE"))
            >>> it = Partner(city=City(name="Capaci", country="IT"),
            ...              association=Association(name="AICCRE", country="IT"))
            >>> try:
            ...     with programme.batch():
            ...         _ = programme.execute(Enrol(pair="a", mentor=be, mentee=it,
            ...                                     theme=Theme.HOUSING))
            ...         _ = programme.execute(Complete(pair="a", phase="matching"))
            ... except CommandRefused as refusal:
            ...     print(refusal.rule)
            wrong-phase
            >>> len(programme.pairs), programme.version
            (0, 0)
        """
        rt = self._rt
        ledger = rt.ledger
        if ledger.pending is not None:  # joins the open batch
            yield self
            return
        start = ledger.begin()
        try:
            yield self
            events = tuple(ledger.events[start:])
            ledger.write_batch()
        except BaseException:
            ledger.pending = None
            self._roll_back(start)
            raise
        ledger.notify_batch(events)

    def _roll_back(self, start: int) -> None:
        """Put the programme back as it was after event ``start`` (a failed batch, or a
        change whose read-model rows were not stored): a new runtime replays the history up to
        there, then takes over the hooks, the journal and the pair views (whoever holds a
        `Pair` keeps a live one)."""
        from .replay import replay

        old = self._rt
        fresh = Runtime(old.definitions[0], old.clock, self._enrolled)
        self._rt = fresh
        kept = {key: _view(state) for key, state in old.states.items()}
        keys = {seq: key for seq, key in old.ledger.keyed.items() if seq <= start}
        replay(fresh, old.ledger.events[:start], keys)
        fresh.ledger.hooks = old.ledger.hooks
        fresh.ledger.journal = old.ledger.journal
        fresh.ledger.settle = old.ledger.settle
        fresh.ledger.roll_back = old.ledger.roll_back
        for key, view in kept.items():
            state = fresh.states.get(key)
            if state is not None:
                view._s = state
                state.view = view

    # -- pairs -------------------------------------------------------------------------

    @property
    def pairs(self) -> Mapping[str, Pair]:
        """The pairs by key, in the order they were added (a live, read-only view)."""
        return _Pairs(self._rt.states)

    def pair(self, key: str) -> Pair:
        """The pair with this key.

        Raises:
            UnknownPairError: if there is none.
        """
        try:
            return _view(self._rt.states[key])
        except (KeyError, TypeError):
            raise UnknownPairError(key) from None

    def add_pair(
        self,
        key: str,
        *,
        mentor: Partner,
        mentee: Partner,
        theme: Theme | str,
        topic: str | None = None,
        benchmarks: Iterable[Benchmark] = (),
        support_network: Iterable[str] = (),
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Pair:
        """Enrol a pair (the command `Enrol`); it starts in the lifecycle's first phase.

        Emits `PairEnrolled` then `PhaseStarted`.

        Raises:
            ValidationError: naming the field: a bad or duplicate key, a partner that is not
                a `Partner`, the same city on both sides, a theme that is neither a `Theme`
                nor a ``lower_snake_case`` name of the programme's own.
            Vetoed: a before hook vetoed the enrolment; nothing was added.
        """
        command = c.enrol(key, mentor, mentee, theme, topic, benchmarks, support_network, at, note)
        self._rt.enrol(command)
        return _view(self._rt.states[key])

    # -- history and hooks ---------------------------------------------------------------

    @property
    def history(self) -> History:
        """Every event of every pair, in the order they happened (``seq`` 1, 2, 3, ...)."""
        return History(self._rt.ledger.events)

    @property
    def version(self) -> int:
        """The number of events in the history (the ``seq`` of the last one; 0 if none)."""
        return self._rt.ledger.seq

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], object],
        *,
        phase: str | None = None,
        before: bool = False,
    ) -> Subscription:
        """Call ``handler`` with every event of ``event_type`` (subclasses included).

        Args:
            event_type: An event class; `Event` means every event.
            handler: Called with the event. For each event, handlers run in registration
                order. A before hook must not issue commands (they are refused).
            phase: Only events about this phase (events with a ``phase`` field).
            before: Call the handler *before* the change, with the event about to happen; it
                may raise `Veto` to refuse the command. Otherwise it is called after. Only the
                events of pair commands (`PairEvent`s) have before hooks.

        Returns:
            The subscription; call its ``cancel()`` to stop.

        Raises:
            ValidationError: for something that is not an event class, an unknown phase, or
                a coroutine function (``async def``: subscribe it with `mentorflow.aio`).
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise ValidationError("event_type", f"{show(event_type)} is not an Event class")
        if not callable(handler):
            raise ValidationError("handler", f"{show(handler)} is not callable")
        if is_coroutine(handler):  # it would be called, and its coroutine never awaited
            raise ValidationError(
                "handler",
                f"{show(handler)} is a coroutine function, which the sync API can't await: "
                "subscribe it on an AsyncProgramme (mentorflow.aio), which awaits it",
            )
        if phase is not None:
            self.lifecycle.step(phase)
        if not isinstance(before, bool):
            raise ValidationError("before", f"must be True or False, not {show(before)}")
        if before and not (issubclass(event_type, PairEvent) or issubclass(PairEvent, event_type)):
            raise ValidationError(
                "before",
                f"{event_type.__name__} is a programme event, a fact recorded as it happens: "
                "before hooks see the events of pair commands only",
            )
        return self._rt.ledger.hooks.add(event_type, handler, phase=phase, before=before)

    def on_enter(
        self, phase: str, handler: Callable[[PhaseStarted], object], *, before: bool = False
    ) -> Subscription:
        """Call ``handler`` when a pair enters ``phase`` (its `PhaseStarted`)."""
        return self.subscribe(PhaseStarted, handler, phase=phase, before=before)

    def on_leave(
        self, phase: str, handler: Callable[[PhaseCompleted], object], *, before: bool = False
    ) -> Subscription:
        """Call ``handler`` when a pair completes ``phase`` (its `PhaseCompleted`)."""
        return self.subscribe(PhaseCompleted, handler, phase=phase, before=before)

    # -- deadlines and milestones --------------------------------------------------------

    def deadline(self, name: str, *, pair: str | None = None) -> Deadline:
        """The deadline of milestone ``name``, or of phase ``name`` for ``pair``.

        Raises:
            ValidationError: if there is no deadline rule of that name.
            UnknownPairError: if there is no such pair.
        """
        return self._rt.require_book("name").deadline(name, pair)

    def deadlines(self, *, pair: str | None = None) -> tuple[Deadline, ...]:
        """The programme's milestone deadlines, or with ``pair`` that pair's phase deadlines."""
        book = self._rt.book
        return () if book is None else book.deadlines(pair)

    def check_deadlines(self, *, at: dt.datetime | None = None) -> tuple[Event, ...]:
        """Emit what became due by ``at`` (default: now): `DeadlineApproaching` when a
        deadline enters its lead time, `DeadlineMissed` when it passes unmet, and
        `ExtensionRefused` for requests left unanswered past the response window
        (the command `CheckDeadlines`).

        Each alert is emitted once per revision of its deadline, however often you check.
        Only deadlines that are due are looked at: with nothing due a check costs next to
        nothing, whatever the number of pairs. The events go to the history and the after
        hooks (before hooks are not asked: these are facts, not commands).
        """
        rt = self._rt
        instant = at
        if type(instant) is not pendulum.DateTime or instant.tzinfo is not rt.tz:
            instant = rt.instant(at)  # checks it: a ValidationError naming ``at``
        if rt.nothing_due(instant):
            return ()  # the usual case, answered without making the command: it would do nothing
        return rt.check(c.check_deadlines(instant))

    def reach_milestone(
        self, name: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> MilestoneReached:
        """Record that milestone ``name`` (e.g. the final conference) was reached
        (the command `ReachMilestone`).

        Deadlines counted from it now count from this day.
        """
        (event,) = self._rt.reach_milestone(c.ReachMilestone(milestone=name, at=at, note=note))
        return event  # type: ignore[return-value]  # the one event is a MilestoneReached

    def hold_activity(
        self,
        activity: Activity,
        *,
        milestone: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> ActivityHeld:
        """Record a programme-wide activity held (the command `HoldActivity`): a transnational
        meeting, a network visit, the final conference. Every pair not withdrawn takes part,
        whatever phase each is in; no pair's phase changes.

        Args:
            activity: What was held, when and how.
            milestone: A milestone it reaches too (``"final_conference"``).

        Raises:
            ValidationError: naming the field: an activity that ends after ``at``, an unknown
                milestone or one already reached.
        """
        command = c.HoldActivity(activity=activity, milestone=milestone, at=at, note=note)
        (event,) = self._rt.hold_activity(command)
        return event  # type: ignore[return-value]  # the one event is an ActivityHeld

    @property
    def activities(self) -> tuple[ActivityHeld, ...]:
        """The programme-wide activities held, oldest first."""
        return tuple(e for e in self._rt.ledger.events if isinstance(e, ActivityHeld))

    @property
    def partners(self) -> dict[Partner, tuple[tuple[str, str], ...]]:
        """Every partner and the pairs it takes part in, with its role in each as the
        programme names it (`Definition.roles`; a `Role` under the default names): a
        network's lead city is one partner in all its pairs."""
        roles = self.definition.roles
        found: dict[Partner, list[tuple[str, str]]] = {}
        for key, pair in self.pairs.items():
            for role in (Role.MENTOR, Role.MENTEE):
                found.setdefault(pair.partner(role), []).append((key, roles.name(role)))
        return {partner: tuple(roles) for partner, roles in found.items()}

    # -- reporting periods and deliverables -------------------------------------------

    def plan_reporting(
        self,
        *,
        period_months: int,
        report_days: int = 60,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> tuple[ReportingPeriod, ...]:
        """Plan the reporting (the command `PlanReporting`): periods of ``period_months`` from
        the start, the last one shortened to the end, each with a periodic report due
        ``report_days`` after it. Returns the periods.

        Raises:
            ValidationError: naming the field, for amounts out of range, or a plan changed
                after a report was submitted.

        Examples:
            >>> import pendulum
            >>> from mentorflow import ManualClock, Programme
            >>> start = pendulum.datetime(2020, 6, 17, 9, tz="Europe/Brussels")
            >>> p = Programme("IncluCities", starts_on=start.date(),
            ...               ends_on=pendulum.date(2022, 12, 31), timezone="Europe/Brussels",
            ...               country="BE", clock=ManualClock(start))
            >>> for period in p.plan_reporting(period_months=12):
            ...     print(period.number, period.ends_on, period.report_due_on)
            1 2021-06-16 2021-08-16
            2 2022-06-16 2022-08-16
            3 2022-12-31 2023-03-01
        """
        self.execute(
            c.PlanReporting(period_months=period_months, report_days=report_days, at=at, note=note)
        )
        return self.reporting_periods

    @property
    def reporting_periods(self) -> tuple[ReportingPeriod, ...]:
        """The reporting periods as they stand, derived again from the end as extended; a
        submitted report keeps its period and due date. None planned: ``()``."""
        return self._rt.reporting_periods()

    def submit_report(
        self,
        period: int,
        *,
        justification: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> ReportSubmitted:
        """Submit the periodic report of ``period`` (the command `SubmitReport`), after the
        period's end; late, with a ``justification``. Its due date never moves again."""
        command = c.SubmitReport(period=period, justification=justification, at=at, note=note)
        (event,) = self.execute(command)
        return event  # type: ignore[return-value]  # the one event is a ReportSubmitted

    def declare_deliverable(
        self,
        name: str,
        *,
        due_on: dt.date,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> DeliverableRecord:
        """Declare a deliverable due on ``due_on`` (the command `DeclareDeliverable`)."""
        self.execute(c.DeclareDeliverable(name=name, due_on=due_on, at=at, note=note))
        return self.tracked_deliverables[name]

    def draft_deliverable(
        self, name: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> DeliverableRecord:
        """Start drafting a pending or returned deliverable (`DraftDeliverable`)."""
        self.execute(c.DraftDeliverable(name=name, at=at, note=note))
        return self.tracked_deliverables[name]

    def submit_deliverable(
        self,
        name: str,
        *,
        justification: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> DeliverableRecord:
        """Submit a deliverable (`SubmitDeliverable`); late, with a ``justification``. It is
        locked until it is returned."""
        command = c.SubmitDeliverable(name=name, justification=justification, at=at, note=note)
        self.execute(command)
        return self.tracked_deliverables[name]

    def review_deliverable(
        self,
        name: str,
        *,
        accepted: bool,
        by: str,
        reason: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> DeliverableRecord:
        """Accept a submitted deliverable, or return it with a ``reason`` (`ReviewDeliverable`)."""
        command = c.ReviewDeliverable(
            name=name, accepted=accepted, by=by, reason=reason, at=at, note=note
        )
        self.execute(command)
        return self.tracked_deliverables[name]

    def move_deliverable_due(
        self,
        name: str,
        *,
        due_on: dt.date,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> DeliverableRecord:
        """Move an unsubmitted deliverable's due date to a day in the future
        (`MoveDeliverableDue`)."""
        self.execute(c.MoveDeliverableDue(name=name, due_on=due_on, at=at, note=note))
        return self.tracked_deliverables[name]

    @property
    def tracked_deliverables(self) -> Mapping[str, DeliverableRecord]:
        """The declared deliverables, by name, as they stand."""
        return MappingProxyType(self._rt.reporting.deliverables)

    # -- extensions --------------------------------------------------------------------

    @property
    def extension_policy(self) -> ExtensionPolicy:
        """What programme extensions are allowed."""
        return self._rt.extensions.policy

    @property
    def phase_extension_policy(self) -> ExtensionPolicy:
        """What phase extensions are allowed."""
        return self._rt.extensions.phase_policy

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """Every extension requested, in order, as it stands."""
        return self._rt.extensions.all()

    def extension(self, key: str) -> Extension:
        """The extension with this key (``"E1"``, ...).

        Raises:
            ValidationError: if there is none.
        """
        return self._rt.extensions.get(key)

    def request_extension(
        self,
        *,
        reason: str,
        days: int | None = None,
        weeks: int | None = None,
        months: int | None = None,
        offset: Offset | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Request an extension of the programme's end, an amendment (the command
        `RequestExtension`), by ``days=``, ``weeks=``, ``months=`` or an ``offset=``
        (exactly one; ``offset=refused.offset`` asks again for what was refused).

        Raises:
            ValidationError: none or several of the amounts, or one that is not > 0.
            PolicyViolation: naming the clause: ``after-end``, ``request-lead``, ``pending``,
                ``max-count`` or ``max-total`` (see `ExtensionPolicy`).
        """
        amount = c.offset_of(days, weeks, months, offset)
        command = c.RequestExtension(reason=reason, offset=amount, at=at, note=note)
        return self._request(command)

    def request_phase_extension(
        self,
        phase: str,
        *,
        reason: str,
        pair: str | None = None,
        days: int | None = None,
        weeks: int | None = None,
        months: int | None = None,
        offset: Offset | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Request an extension of ``phase``'s deadline, for one pair or (``pair=None``) all,
        by ``days=``, ``weeks=``, ``months=`` or an ``offset=`` (exactly one).

        Granted, it moves that deadline and every deadline that depends on it, and nothing
        else. The lead-time clause counts back from the pair's deadline (it is not applied
        to a request for every pair).

        Raises:
            ValidationError: if ``phase`` has no deadline rule, or the pair is unknown; none or
                several of the amounts, or one that is not > 0.
            PolicyViolation: as for `request_extension`.
        """
        self._rt.require_book("phase")
        amount = c.offset_of(days, weeks, months, offset)
        command = c.RequestExtension(
            reason=reason, offset=amount, phase=phase, pair=pair, at=at, note=note
        )
        return self._request(command)

    def _request(self, command: c.RequestExtension) -> Extension:
        self._rt.request(command)
        return self._rt.extensions.all()[-1]

    def grant_extension(
        self,
        key: str,
        *,
        by: str,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Grant a requested extension (the command `GrantExtension`): the end or the phase
        deadline moves, and with it every deadline that depends on it; each moved deadline
        gets a revision naming ``key``.

        Raises:
            PolicyViolation: ``not-pending`` or ``response-window``.
        """
        self._rt.grant(c.GrantExtension(extension=key, by=by, at=at, note=note))
        return self._rt.extensions.get(key)

    def refuse_extension(
        self,
        key: str,
        *,
        by: str,
        reason: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Refuse a requested extension (the command `RefuseExtension`); nothing moves.

        Raises:
            PolicyViolation: ``not-pending`` or ``response-window``.
        """
        command = c.RefuseExtension(extension=key, by=by, reason=reason, at=at, note=note)
        self._rt.refuse(command)
        return self._rt.extensions.get(key)

    # -- migrations --------------------------------------------------------------------

    def plan_migration(
        self,
        definition: Definition,
        *,
        phases: Mapping[str, str] | None = None,
        at: dt.datetime | None = None,
    ) -> MigrationPlan:
        """What `migrate` would do, pair by pair, without doing it: where each pair is and
        where it will be, the phases it would skip, which deadlines move and by how much, and
        what the new rules refuse. ``print()`` it to read it.

        Raises:
            DefinitionError: bad input, as for `migrate`.
        """
        command = c.Migrate(definition=definition, phases=phases or {}, at=at)
        return self._rt.plan_migration(command).plan

    def migrate(
        self,
        definition: Definition,
        *,
        phases: Mapping[str, str] | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> MigrationPlan:
        """Run the programme on a new version of its definition from ``at`` on (the command
        `Migrate`); return the plan it carried out (see `plan_migration`).

        The change is recorded in the log like any other (`DefinitionMigrated`, then a
        `PairMigrated` and a `PhaseStarted` for each pair it moves), so a restore replays it
        at the same point; the stored definition stays the first one (`definitions`). Every
        deadline is worked out again under the new rules: one that moves gets a revision
        naming the new version (its alerts go out again), one that doesn't keeps the alerts
        already sent. Pairs outside the changed phases keep their phase and status.

        Args:
            definition: The new definition: a higher ``version`` than the programme's, the
                same name, start and timezone.
            phases: For each *changed* phase with pairs in it (dropped, or with other phases
                before it than before), where they go: ``{"study_visit_3":
                "transfer_workshop"}``; to the same phase to keep them there, to
                ``"completed"`` to finish them (a dropped last phase).
            at: When (default: now).
            note: Kept on the events.

        Raises:
            DefinitionError: bad input, naming the field (and the pair and phase where one is
                concerned): the definition changes the name, start or timezone, or doesn't
                raise the version; the programme ended before ``at``; a mapping from or to a
                phase that doesn't exist; a pair in a changed phase with no mapping.
            MigrationRefused: the plan refuses it (a pair would skip a phase whose visit or
                deliverables it lacks, or go back to a phase it completed; an extension
                request is open on a deadline the definition drops). Nothing changed; the
                error carries the plan.
        """
        command = c.Migrate(definition=definition, phases=phases or {}, at=at, note=note)
        decision = self._rt.plan_migration(command)
        self._rt.commit_migration(decision)
        return decision.plan

    # -- persistence -------------------------------------------------------------------

    def persist(self, store: Store, key: str, *, snapshots: SnapshotPolicy | None = None) -> None:
        """Save the programme (definition and history) in ``store`` under ``key``, and from now
        on write every change's events there *before* the change is made.

        A change whose write fails (another process appended first: `ConcurrencyError`; the
        disk: `StoreError`) raises and is not made, so the programme and the store never
        disagree.

        Args:
            snapshots: Save a snapshot of the state to the store as this policy says
                (`SnapshotPolicy`), so that `restore` replays only the events after it.

        Raises:
            StoreError: if ``key`` exists in the store already.
        """
        from .persist import persist

        # the definition the history starts from: the log's migrations bring it up to date
        persist(
            self._rt.ledger,
            self._rt.definitions[0],
            store,
            key,
            snapshots=snapshots,
            runtime=self._runtime,
            project=self._project,
            roll_back=self._roll_back,
        )

    def _runtime(self) -> Runtime:
        return self._rt

    def snapshot(self) -> int:
        """Save a snapshot of the programme's state now to its store, and return its version:
        a `restore` then loads it and replays only the events after it. (A `SnapshotPolicy`
        given to `persist` or `restore` saves them as the log grows.)

        Raises:
            ValidationError: the programme is not persisted, or a batch is open.
            StoreError: the store can't save it (`ArchivedProgrammeError`: archived).
        """
        from .persist import take_snapshot

        return take_snapshot(self._rt)

    @classmethod
    def restore(
        cls,
        store: Store,
        key: str,
        *,
        clock: Clock | None = None,
        pause_gc: bool = False,
        expected_version: int | None = None,
        definition: Definition | None = None,
        verify: bool = False,
        snapshots: SnapshotPolicy | None = None,
        hooks: Callable[[Programme], object] | None = None,
    ) -> Programme:
        """The programme stored under ``key``, rebuilt exactly by replaying its event log
        through the same engine, and persisted again (its changes are written to ``store``).

        Every record carries a digest of the one before; a log whose chain of digests is
        broken (a record changed, inserted, removed or reordered) is refused before it is
        replayed. Records removed from the end look like writes that never happened: pass the
        version you last saw as ``expected_version`` and a shorter log is refused too.

        Hooks are not stored: pass ``hooks`` to subscribe them again before the log is
        replayed, so that they see the replayed events as they saw the live ones (and rebuild
        the state they keep), or subscribe them afterwards. A deadline check after the
        restore reports what became due while the programme was not running, once.

        Args:
            store: Where the programme is kept.
            key: Its key there.
            clock: The restored programme's clock (default: the system clock).
            definition: The definition your code runs the programme with. Given, the restore
                checks that the stored programme runs the same one (its stored definition as
                migrated by its log) and refuses to go on with another: your code and your
                store disagree. Without it, the stored definition is used, whatever it is.
            pause_gc: Pause Python's cyclic garbage collector while loading, and switch it
                back on as it was afterwards. Loading builds objects that all stay alive, so
                the collector's passes find nothing to free: pausing it makes a large restore
                about a third faster. The collector is process-wide, so it is your call (say,
                at start-up, before other threads run); by default it is left alone.
            expected_version: The version you last saw: a log holding fewer events is
                refused (records removed from its end look like a crash otherwise).
            verify: Replay the whole log even when there is a snapshot, and compare the
                snapshot with the state the replay reaches at its version (a
                `SnapshotError` names the first difference). Without it, the newest
                snapshot that matches the log (its programme, definition, format and the
                digest of the log's record at its version) is loaded and only the events
                after it are replayed; one that doesn't match is ignored, with a warning
                logged, and the whole log is replayed. Restored from a snapshot (and without
                deadline rules), the programme reads only the log's records from the
                snapshot's version on: the events before it are read from ``store``, and
                their chain of digests checked up to the record the snapshot was taken at,
                the first time its ``history`` or a pair's is asked for them (a record changed
                since is a `CorruptStoreError` then); ``verify=True`` reads and checks them
                all now.
            snapshots: Save snapshots from now on as this policy says (as `persist`).
            hooks: Called with the new, empty programme before its log is replayed, to
                subscribe your hooks (the function you call on a new programme). A before
                hook that vetoes a logged event fails the restore with a `ReplayError`: the
                log breaks your rules. Hooks must not issue commands during the replay (the
                log holds their events already). With a snapshot, only the events after it are
                replayed: state your hooks keep from earlier events is not rebuilt (pass
                ``verify=True`` to replay the whole log).

        Raises:
            UnknownProgrammeError: no such key. CorruptStoreError: damaged data, a broken
                chain, or fewer events than ``expected_version``.
            SerializationError: a document that can't be read, naming where.
            ReplayError: a log that doesn't replay to its own events.
            DefinitionDrift: ``definition`` differs from the one the stored programme runs;
                its ``changes`` say how, line by line. Nothing is journaled.
            SnapshotError: ``verify``, and the snapshot differs from the log's replay.
        """
        from .persist import journal, restore

        if definition is not None and not isinstance(definition, Definition):
            raise DefinitionError(
                "definition", f"must be a Definition, not {type(definition).__name__}"
            )
        if hooks is not None and not callable(hooks):
            raise ValidationError("hooks", f"{show(hooks)} is not callable")
        programme, last, at = restore(
            store,
            key,
            lambda stored: _hooked(cls.from_definition(stored, clock=clock), hooks),
            pause_gc=pause_gc,
            expected_version=expected_version,
            verify=verify,
        )
        running = programme.definition
        if definition is not None and definition != running:
            from .._codec.serialize import fingerprint

            raise DefinitionDrift(
                key,
                changes(running, definition),
                stored=running,
                given=definition,
                fingerprints=(fingerprint(running), fingerprint(definition)),
            )
        journal(
            programme._rt.ledger,
            store,
            key,
            last,
            snapshots=snapshots,
            runtime=programme._runtime,
            snapshot_at=at,
            project=programme._project,
            roll_back=programme._roll_back,
        )
        return programme

    def _project(self, keys: set[str] | None) -> Projection:
        """The read model's rows of pairs ``keys`` (None: all, and the milestones)."""
        from .projection import project

        return project(self, keys)

    def refresh(self) -> tuple[Event, ...]:
        """Catch up with the store: apply the events appended since this programme last
        wrote or read it (by another process, or another copy of the programme), and return
        them. Only the new events are read and replayed, so a refresh costs what they cost,
        however long the log.

        The new events are replayed through the same engine, as by `restore`, but hooks are
        not called for them: they were the writer's to act on (an alert sent by the process
        that checked the deadline is not sent again here).

        Raises:
            ValidationError: the programme is not persisted (`persist` or `restore` it first).
            StoreError: the store has fewer events than the programme (is it the store the
                programme came from?), or can't be read.
            ReplayError: a new event doesn't replay; the programme keeps the events before it.
        """
        from .persist import refresh

        return tuple(refresh(self._rt, self._rt.ledger, self._rt.definition))

    def __repr__(self) -> str:
        d = self._rt.definition
        return (
            f"<Programme {show(d.name)} {d.starts_on.isoformat()}.."
            f"{self._rt.ends_on.isoformat()}, {len(self._rt.states)} pairs>"
        )

    def _repr_html_(self) -> str:
        return html(self)


def settles_after_applying(programme: Programme) -> bool:
    """Whether ``programme``'s journal keeps its store's transaction open while a change is
    applied (a store that keeps a read model: the events and the rows commit together), so
    a command must run where that blocking transaction may wait (`mentorflow.aio`)."""
    return programme._rt.ledger.settle is not None


def _hooked(programme: Programme, hooks: Callable[[Programme], object] | None) -> Programme:
    if hooks is not None:
        hooks(programme)
    return programme


def _view(state: PairState) -> Pair:
    """The `Pair` of ``state`` (every enrolled state has one)."""
    return state.view  # type: ignore[return-value]  # set by Programme._enrolled


class _Pairs(Mapping[str, "Pair"]):
    """`Programme.pairs`: the pairs by key, in enrolment order; live and read-only."""

    __slots__ = ("_states",)

    def __init__(self, states: Mapping[str, PairState]) -> None:
        self._states = states

    def __getitem__(self, key: str) -> Pair:
        return _view(self._states[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, key: object) -> bool:
        return key in self._states

    def __repr__(self) -> str:
        return f"<pairs {list(self._states)}>"


class Pair:
    """A mentor city and a mentee city working through a lifecycle, on a theme.

    Every command takes ``at`` (a timezone-aware datetime; default: the programme's clock)
    and an optional ``note``, returns the events it emitted, and either happens whole or
    raises `CommandRefused` leaving the pair exactly as it was.
    A completed or withdrawn pair accepts no command; a suspended pair accepts only
    `resume`, `withdraw` and `replace_partner`. Each method is `Programme.execute` of the
    command value it names (``pair.complete(p)`` is ``execute(Complete(pair=key, phase=p))``).
    """

    __slots__ = ("_programme", "_s")

    def __init__(self, programme: Programme, state: PairState) -> None:
        self._programme = programme
        self._s = state

    # -- what the pair is --------------------------------------------------------------

    @property
    def key(self) -> str:
        """The pair's key, unique in its programme."""
        return self._s.key

    @property
    def programme(self) -> Programme:
        """The programme the pair belongs to."""
        return self._programme

    @property
    def mentor(self) -> Partner:
        """The mentor city and its association."""
        return self._s.mentor

    @property
    def mentee(self) -> Partner:
        """The mentee city and its association."""
        return self._s.mentee

    def partner(self, role: Role) -> Partner:
        """The partner playing ``role``."""
        return self._s.partner(role)

    @property
    def theme(self) -> Theme | str:
        """The scheme area the pair works on: a `Theme`, or a theme of the programme's own."""
        return self._s.enrolment.theme

    @property
    def topic(self) -> str | None:
        """The pair's own topic, in words."""
        return self._s.enrolment.topic

    @property
    def benchmarks(self) -> tuple[Benchmark, ...]:
        """The benchmarks defined for the pair, with their key factors."""
        return self._s.benchmarks

    @property
    def support_network(self) -> tuple[str, ...]:
        """The local stakeholders who join the study visits."""
        return self._s.enrolment.support_network

    # -- where it stands ---------------------------------------------------------------

    @property
    def phase(self) -> str:
        """The current phase (kept while suspended or withdrawn; ``completed`` at the end)."""
        return self._programme._rt.engine.phase_of[self._s.state]

    @property
    def status(self) -> PairStatus:
        """Active, suspended, withdrawn or completed."""
        return self._programme._rt.engine.status_of[self._s.state]

    @property
    def history(self) -> tuple[PairEvent, ...]:
        """Every event of the pair, oldest first."""
        return tuple(self._s.history)

    @property
    def last_changed_at(self) -> pendulum.DateTime:
        """When the pair last changed; a command can't be dated earlier."""
        return self._s.last_at

    @property
    def visits(self) -> tuple[StudyVisit, ...]:
        """The recorded study visits, by number."""
        visits = self._s.visits
        return tuple(visits[n] for n in sorted(visits))

    @property
    def deliverables(self) -> Mapping[Deliverable, DeliverableRegistered]:
        """The latest registration of each deliverable."""
        return MappingProxyType(self._s.deliverables)

    def can_complete(self, *, at: dt.datetime | None = None) -> bool:
        """Whether `complete` of the current phase would pass the rules now (hooks aside)."""
        rt = self._programme._rt
        command = c.Complete(pair=self._s.key, phase=self.phase, at=at)
        return rt.engine.check(self._s, command, rt.instant(at)) is None

    # -- commands ----------------------------------------------------------------------

    def complete(
        self, phase: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Complete ``phase`` (the current one) and start the next, or complete the pair.

        Raises:
            CommandRefused: rule ``wrong-phase`` if ``phase`` is not the current phase,
                ``visit-required`` for a study visit phase with no recorded visit,
                ``deliverables-required`` if the phase's deliverables are missing.
        """
        command = c.complete(self._s.key, phase, at, note)
        return self._programme._rt.run_pair(self._s, command)

    def record_visit(
        self, visit: StudyVisit, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Record the study visit of the current study visit phase, once it has been held.

        Raises:
            CommandRefused: rule ``not-a-visit-phase``, ``wrong-visit`` (its number is not the
                phase's), ``visit-already-recorded``, ``visit-not-held`` (it ends after
                ``at``), or ``visit-hosts`` (its host has hosted all the visits it may).
        """
        command = c.RecordVisit(pair=self._s.key, visit=visit, at=at, note=note)
        return self._programme._rt.run_pair(self._s, command)

    def register_deliverable(
        self,
        deliverable: Deliverable,
        *,
        reference: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> tuple[PairEvent, ...]:
        """Register a deliverable (e.g. the Action Plan); a new registration supersedes the last."""
        command = c.RegisterDeliverable(
            pair=self._s.key, deliverable=deliverable, reference=reference, at=at, note=note
        )
        return self._programme._rt.run_pair(self._s, command)

    def define_benchmarks(
        self,
        benchmarks: Iterable[Benchmark],
        *,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> tuple[PairEvent, ...]:
        """Define the pair's benchmarks and their key factors (usually while matching),
        replacing any defined before.

        Raises:
            ValidationError: naming ``benchmarks[i]`` for an item that is not a `Benchmark`.
        """
        command = c.DefineBenchmarks(pair=self._s.key, benchmarks=benchmarks, at=at, note=note)
        return self._programme._rt.run_pair(self._s, command)

    def suspend(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Pause the pair in its current phase."""
        return self._programme._rt.run_pair(self._s, c.Suspend(pair=self._s.key, at=at, note=note))

    def resume(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Continue a suspended pair in the phase where it was suspended."""
        return self._programme._rt.run_pair(self._s, c.Resume(pair=self._s.key, at=at, note=note))

    def withdraw(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Take the pair out of the programme for good."""
        return self._programme._rt.run_pair(self._s, c.Withdraw(pair=self._s.key, at=at, note=note))

    def replace_partner(
        self,
        role: Role,
        partner: Partner,
        *,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> tuple[PairEvent, ...]:
        """Replace the mentor or the mentee by another city (IncluCities: Partinico by Capaci).

        Raises:
            CommandRefused: rule ``same-partner`` or ``partner-is-other-side``.
        """
        command = c.ReplacePartner(pair=self._s.key, role=role, partner=partner, at=at, note=note)
        return self._programme._rt.run_pair(self._s, command)

    def __repr__(self) -> str:
        s = self._s
        return (
            f"<Pair {show(s.key)}: {s.mentor.city.name} -> {s.mentee.city.name}, "
            f"{self.phase} ({self.status.value})>"
        )
