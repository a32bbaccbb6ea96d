"""The public views: a `Programme` (its definition, pairs, history and hooks) and its `Pair` s.

Both are façades: each method builds a command value or reads a part, and hands off to the
programme's `Runtime` (``runtime.py``), which executes every command through the one
transaction path (``transaction.py``). A `Pair` is a view of one `PairState` with typed
command methods; pairs are made by `Programme.add_pair`, never directly. (The two live in one
module because each names the other: apart, they would import each other.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

import pendulum

from .._domain import commands as c
from .._domain.clock import Clock
from .._domain.deadlines import DeadlineRule
from .._domain.definition import Definition
from .._domain.events import (
    DeliverableRegistered,
    Event,
    MilestoneReached,
    PairEvent,
    PhaseCompleted,
    PhaseStarted,
)
from .._domain.extensions import Extension, ExtensionPolicy
from .._domain.lifecycle import Lifecycle, PairStatus
from .._domain.model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme
from .._domain.pair_state import PairState
from .._domain.validate import show
from ..exceptions import DefinitionError, UnknownPairError, ValidationError
from .book import Deadline
from .hooks import Subscription
from .runtime import Runtime
from .transaction import History

if TYPE_CHECKING:
    from .._storage.stores import Store

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

    Raises:
        DefinitionError: naming the field, for a bad name, dates, timezone, lifecycle or clock.

    The arguments make one `Definition` (`from_definition` takes one ready-made). Every change
    is a command value run by `execute`; the methods below build them.

    A programme is not thread-safe: drive it from one thread, or guard it with a lock.
    """

    __slots__ = ("_pairs", "_rt")

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
        )
        self._pairs: dict[str, Pair] = {}
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
        programme._pairs = {}
        programme._rt = Runtime(definition, clock, programme._enrolled)
        return programme

    def _enrolled(self, state: PairState) -> None:
        """A pair was enrolled: make its view (the runtime calls this from the transaction)."""
        self._pairs[state.key] = Pair(self, self._rt, state)

    # -- definition --------------------------------------------------------------------

    @property
    def definition(self) -> Definition:
        """The programme's definition (its original end: `ends_on` is the extended one)."""
        return self._rt.definition

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

    def execute(self, command: c.Command) -> tuple[Event, ...]:
        """Run ``command`` (any command value: `Complete`, `Enrol`, `GrantExtension`, ...)
        through the one transaction path; return the events it emitted.

        The methods of `Programme` and `Pair` build these values and call this.

        Raises:
            ValidationError: ``command`` is not a command, or a bad field.
            CommandRefused: a pair's rule refused it (`Vetoed`: a before hook did).
            PolicyViolation: an extension request or decision breaks the policy.
            UnknownPairError: no pair with the command's key.
            AfterHookError: after hooks raised; the change stands.
        """
        return self._rt.execute(command)

    # -- pairs -------------------------------------------------------------------------

    @property
    def pairs(self) -> Mapping[str, Pair]:
        """The pairs by key, in the order they were added (a live, read-only view)."""
        return MappingProxyType(self._pairs)

    def pair(self, key: str) -> Pair:
        """The pair with this key.

        Raises:
            UnknownPairError: if there is none.
        """
        try:
            return self._pairs[key]
        except (KeyError, TypeError):
            raise UnknownPairError(key) from None

    def add_pair(
        self,
        key: str,
        *,
        mentor: Partner,
        mentee: Partner,
        theme: Theme,
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
                a `Partner`, the same city on both sides, an unknown theme.
            Vetoed: a before hook vetoed the enrolment; nothing was added.
        """
        command = c.Enrol(
            pair=key,
            mentor=mentor,
            mentee=mentee,
            theme=theme,
            topic=topic,
            benchmarks=benchmarks,
            support_network=support_network,
            at=at,
            note=note,
        )
        self._rt.enrol(command)
        return self._pairs[key]

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
            ValidationError: for something that is not an event class, or an unknown phase.
        """
        if not (isinstance(event_type, type) and issubclass(event_type, Event)):
            raise ValidationError("event_type", f"{show(event_type)} is not an Event class")
        if not callable(handler):
            raise ValidationError("handler", f"{show(handler)} is not callable")
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
        return self._rt.check(c.CheckDeadlines(at=at))

    def reach_milestone(
        self, name: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> MilestoneReached:
        """Record that milestone ``name`` (e.g. the final conference) was reached
        (the command `ReachMilestone`).

        Deadlines counted from it now count from this day.
        """
        (event,) = self._rt.reach_milestone(c.ReachMilestone(milestone=name, at=at, note=note))
        return event  # type: ignore[return-value]  # the one event is a MilestoneReached

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
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Request an extension of the programme's end, an amendment (the command
        `RequestExtension`).

        Raises:
            PolicyViolation: naming the clause: ``after-end``, ``request-lead``, ``pending``,
                ``max-count`` or ``max-total`` (see `ExtensionPolicy`).
        """
        offset = c.offset_of(days, weeks, months)
        command = c.RequestExtension(reason=reason, offset=offset, at=at, note=note)
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
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Request an extension of ``phase``'s deadline, for one pair or (``pair=None``) all.

        Granted, it moves that deadline and every deadline that depends on it, and nothing
        else. The lead-time clause counts back from the pair's deadline (it is not applied
        to a request for every pair).

        Raises:
            ValidationError: if ``phase`` has no deadline rule, or the pair is unknown.
            PolicyViolation: as for `request_extension`.
        """
        self._rt.require_book("phase")
        offset = c.offset_of(days, weeks, months)
        command = c.RequestExtension(
            reason=reason, offset=offset, phase=phase, pair=pair, at=at, note=note
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

    # -- persistence -------------------------------------------------------------------

    def persist(self, store: Store, key: str) -> None:
        """Save the programme (definition and history) in ``store`` under ``key``, and from now
        on write every change's events there *before* the change is made.

        A change whose write fails (another process appended first: `ConcurrencyError`; the
        disk: `StoreError`) raises and is not made, so the programme and the store never
        disagree.

        Raises:
            StoreError: if ``key`` exists in the store already.
        """
        from .persist import persist

        persist(self._rt.ledger, self._rt.definition, store, key)

    @classmethod
    def restore(
        cls,
        store: Store,
        key: str,
        *,
        clock: Clock | None = None,
        expected_version: int | None = None,
    ) -> Programme:
        """The programme stored under ``key``, rebuilt exactly by replaying its event log
        through the same engine, and persisted again (its changes are written to ``store``).

        Every record carries a digest of the one before; a log whose chain of digests is
        broken (a record changed, inserted, removed or reordered) is refused before it is
        replayed. Records removed from the end look like writes that never happened: pass the
        version you last saw as ``expected_version`` and a shorter log is refused too.

        Hooks are not stored: subscribe them again. A deadline check after the restore reports
        what became due while the programme was not running, once.

        Raises:
            UnknownProgrammeError: no such key. CorruptStoreError: damaged data, a broken
                chain, or fewer events than ``expected_version``.
            SerializationError: a document that can't be read, naming where.
            ReplayError: a log that doesn't replay to its own events.
        """
        from .persist import journal, restore

        programme, last = restore(
            store,
            key,
            lambda definition: cls.from_definition(definition, clock=clock),
            expected_version=expected_version,
        )
        journal(programme._rt.ledger, store, key, last)
        return programme

    def __repr__(self) -> str:
        d = self._rt.definition
        return (
            f"<Programme {show(d.name)} {d.starts_on.isoformat()}.."
            f"{self._rt.ends_on.isoformat()}, {len(self._rt.states)} pairs>"
        )


class Pair:
    """A mentor city and a mentee city working through a lifecycle, on a theme.

    Every command takes ``at`` (a timezone-aware datetime; default: the programme's clock)
    and an optional ``note``, returns the events it emitted, and either happens whole or
    raises `CommandRefused` leaving the pair exactly as it was.
    A completed or withdrawn pair accepts no command; a suspended pair accepts only
    `resume`, `withdraw` and `replace_partner`. Each method is `Programme.execute` of the
    command value it names (``pair.complete(p)`` is ``execute(Complete(pair=key, phase=p))``).
    """

    __slots__ = ("_programme", "_rt", "_s")

    def __init__(self, programme: Programme, runtime: Runtime, state: PairState) -> None:
        self._programme = programme
        self._rt = runtime
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
    def theme(self) -> Theme:
        """The scheme area the pair works on."""
        return self._s.theme

    @property
    def topic(self) -> str | None:
        """The pair's own topic, in words."""
        return self._s.topic

    @property
    def benchmarks(self) -> tuple[Benchmark, ...]:
        """The benchmarks defined for the pair, with their key factors."""
        return self._s.benchmarks

    @property
    def support_network(self) -> tuple[str, ...]:
        """The local stakeholders who join the study visits."""
        return self._s.support_network

    # -- where it stands ---------------------------------------------------------------

    @property
    def phase(self) -> str:
        """The current phase (kept while suspended or withdrawn; ``completed`` at the end)."""
        return self._rt.engine.phase_of[self._s.state]

    @property
    def status(self) -> PairStatus:
        """Active, suspended, withdrawn or completed."""
        return self._rt.engine.status_of[self._s.state]

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
        rt = self._rt
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
        command = c.Complete(pair=self._s.key, phase=phase, at=at, note=note)
        return self._rt.run_pair(self._s, command)

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
        return self._rt.run_pair(self._s, command)

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
        return self._rt.run_pair(self._s, command)

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
        return self._rt.run_pair(self._s, command)

    def suspend(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Pause the pair in its current phase."""
        return self._rt.run_pair(self._s, c.Suspend(pair=self._s.key, at=at, note=note))

    def resume(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Continue a suspended pair in the phase where it was suspended."""
        return self._rt.run_pair(self._s, c.Resume(pair=self._s.key, at=at, note=note))

    def withdraw(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Take the pair out of the programme for good."""
        return self._rt.run_pair(self._s, c.Withdraw(pair=self._s.key, at=at, note=note))

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
        return self._rt.run_pair(self._s, command)

    def __repr__(self) -> str:
        s = self._s
        return (
            f"<Pair {show(s.key)}: {s.mentor.city.name} -> {s.mentee.city.name}, "
            f"{self.phase} ({self.status.value})>"
        )
