"""A programme: its definition, its pairs, its merged history and its hooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import TypeVar, overload

import pendulum

from . import _validate as v
from ._calendar import calendar_for, check_region
from ._clock import Clock, ManualClock, SystemClock, to_instant
from ._deadlines import DeadlineRule, Offset, Schedule, make_schedule
from ._engine import Engine, engine_for
from ._events import Event, PairEnrolled, PairEvent, PhaseCompleted, PhaseStarted
from ._extensions import Extension, ExtensionPolicy
from ._hooks import Hooks, Subscription
from ._lifecycle import Lifecycle
from ._model import Benchmark, Partner, Theme
from ._pair import Pair
from ._programme_deadlines import DeadlinesMixin
from ._stores import Store
from ._watch import DeadlineBook
from .exceptions import (
    AfterHookError,
    CommandRefused,
    DefinitionError,
    UnknownPairError,
    ValidationError,
    Veto,
    Vetoed,
)

E = TypeVar("E", bound=Event)

_check_topic = v.optional_text("topic")
# the default policies (frozen values): shared, not built for every programme
_PROGRAMME_POLICY = ExtensionPolicy()
_PHASE_POLICY = ExtensionPolicy(request_lead=Offset(amount=0))
_check_note = v.optional_text("note")


class History(Sequence[Event]):
    """A read-only, live view of the programme's events, in the order they happened."""

    __slots__ = ("_events",)

    def __init__(self, events: list[Event]) -> None:
        self._events = events

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if isinstance(index, slice):
            return tuple(self._events[index])
        return self._events[index]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __repr__(self) -> str:
        return f"<History of {len(self._events)} events>"


class Programme(DeadlinesMixin):
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

    A programme is not thread-safe: drive it from one thread, or guard it with a lock.
    """

    __slots__ = (
        "_book",
        "_calendar",
        "_clock",
        "_coordinator",
        "_deadline_rules",
        "_ends_on",
        "_engine",
        "_extension_policy",
        "_extensions",
        "_funding_reference",
        "_history",
        "_hooks",
        "_in_before_hook",
        "_journal",
        "_name",
        "_original_ends_on",
        "_pairs",
        "_phase_extension_policy",
        "_regions",
        "_seq",
        "_starts_on",
        "_tz",
    )

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
        _define(v.text("name"), name)
        _define(v.optional_text("coordinator"), coordinator)
        _define(v.optional_text("funding_reference"), funding_reference)
        self._name = name
        self._coordinator = coordinator
        self._funding_reference = funding_reference
        self._starts_on = _define_date("starts_on", starts_on)
        self._ends_on = _define_date("ends_on", ends_on)
        if self._ends_on < self._starts_on:
            raise DefinitionError("ends_on", f"{ends_on} is before starts_on {starts_on}")
        try:
            self._tz = pendulum.timezone(timezone)
        except Exception:  # pendulum raises several kinds for unknown names
            raise DefinitionError("timezone", f"{timezone!r} is not an IANA timezone") from None
        lifecycle = Lifecycle.default() if lifecycle is None else lifecycle
        if not isinstance(lifecycle, Lifecycle):
            raise DefinitionError(
                "lifecycle", f"must be a Lifecycle, not {type(lifecycle).__name__}"
            )
        # the default clock reads the time in the programme's zone: no conversion per command
        clock = SystemClock(timezone) if clock is None else clock
        # the library's own clocks skip the protocol check (~3 us: typing inspects the class)
        if type(clock) not in (ManualClock, SystemClock) and not isinstance(clock, Clock):
            raise DefinitionError("clock", "must have a now() method returning a DateTime")
        self._clock = clock
        self._engine: Engine = engine_for(lifecycle)
        self._original_ends_on = self._ends_on
        self._regions = _regions(country, subdivision)
        self._calendar = calendar_for(self._regions)
        self._extension_policy = _policy("extension_policy", extension_policy, _PROGRAMME_POLICY)
        self._phase_extension_policy = _policy(
            "phase_extension_policy", phase_extension_policy, _PHASE_POLICY
        )
        self._extensions: list[Extension] = []
        self._pairs: dict[str, Pair] = {}
        self._history: list[Event] = []
        self._hooks = Hooks()
        self._in_before_hook = False
        self._seq = 0
        self._deadline_rules = tuple(deadlines)
        self._journal: Callable[[Sequence[Event]], None] | None = None
        schedule = _schedule(self._deadline_rules, lifecycle)
        self._book = None if schedule.empty else DeadlineBook(self, schedule)

    # -- definition --------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The programme's name."""
        return self._name

    @property
    def coordinator(self) -> str | None:
        """Who leads the programme."""
        return self._coordinator

    @property
    def funding_reference(self) -> str | None:
        """The grant reference."""
        return self._funding_reference

    @property
    def starts_on(self) -> pendulum.Date:
        """First day of the programme."""
        return self._starts_on

    @property
    def ends_on(self) -> pendulum.Date:
        """Last day of the programme, as extended."""
        return self._ends_on

    @property
    def original_ends_on(self) -> pendulum.Date:
        """Last day of the programme before any extension."""
        return self._original_ends_on

    @property
    def country(self) -> str | None:
        """The programme's country and subdivision (``"ES-MD"``), whose holidays count."""
        return self._regions[0] if self._regions else None

    @property
    def timezone(self) -> pendulum.Timezone:
        """The programme's timezone; every event time is in it."""
        return self._tz

    @property
    def lifecycle(self) -> Lifecycle:
        """The lifecycle every pair follows."""
        return self._engine.lifecycle

    @property
    def clock(self) -> Clock:
        """The programme's clock."""
        return self._clock

    def now(self) -> pendulum.DateTime:
        """The clock's current instant, in the programme's timezone."""
        return to_instant(self._clock.now(), "clock.now()", self._tz)

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
        except KeyError:
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
        """Enrol a pair; it starts in the lifecycle's first phase.

        Emits `PairEnrolled` then `PhaseStarted`.

        Raises:
            ValidationError: naming the field: a bad or duplicate key, a partner that is not
                a `Partner`, the same city on both sides, an unknown theme.
            Vetoed: a before hook vetoed the enrolment; nothing was added.
        """
        self._refuse_reentry(str(key), "enrol", self.lifecycle.first, "new")
        if not isinstance(key, str) or not key.strip() or key != key.strip():
            raise ValidationError("key", f"{key!r} is not a non-empty key without outer spaces")
        if key in self._pairs:
            raise ValidationError("key", f"a pair with key {key!r} already exists")
        for field, partner in (("mentor", mentor), ("mentee", mentee)):
            if not isinstance(partner, Partner):
                raise ValidationError(field, f"must be a Partner, not {type(partner).__name__}")
        if mentor.city == mentee.city:
            raise ValidationError("mentee", f"{mentee.city.name} is also the mentor")
        theme = v.enum_value("theme", Theme, theme)
        _check_topic(None, None, topic)
        _check_note(None, None, note)
        instant = self._instant(at)
        first = self.lifecycle.first
        enrolled = PairEnrolled(
            seq=self._seq + 1,
            pair=key,
            at=instant,
            note=note,
            mentor=mentor,
            mentee=mentee,
            theme=theme,
            topic=topic,
            benchmarks=v.tuple_of("benchmarks", Benchmark, benchmarks),
            support_network=v.text_tuple("support_network", support_network),
        )
        events = (
            enrolled,
            PhaseStarted(seq=self._seq + 2, pair=key, at=instant, note=note, phase=first),
        )
        if self._hooks.before_count:
            try:
                self._run_before(events)
            except Veto as veto:
                raise Vetoed(
                    pair=key,
                    command="enrol",
                    phase=first,
                    status="new",
                    rule="vetoed",
                    reason=veto.reason,
                ) from None
        if self._journal is not None:
            self._journal(events)
        pair = Pair(
            self,
            key,
            mentor=mentor,
            mentee=mentee,
            theme=theme,
            topic=topic,
            benchmarks=enrolled.benchmarks,
            support_network=enrolled.support_network,
            state=self._engine.initial_state,
            at=instant,
        )
        self._pairs[key] = pair
        self._record(pair, events, instant)
        return pair

    # -- history -----------------------------------------------------------------------

    @property
    def history(self) -> History:
        """Every event of every pair, in the order they happened (``seq`` 1, 2, 3, ...)."""
        return History(self._history)

    # -- hooks -------------------------------------------------------------------------

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
            raise ValidationError("event_type", f"{event_type!r} is not an Event class")
        if not callable(handler):
            raise ValidationError("handler", f"{handler!r} is not callable")
        if phase is not None:
            self.lifecycle.step(phase)
        if before and not (issubclass(event_type, PairEvent) or issubclass(PairEvent, event_type)):
            raise ValidationError(
                "before",
                f"{event_type.__name__} is a programme event, a fact recorded as it happens: "
                "before hooks see the events of pair commands only",
            )
        return self._hooks.add(event_type, handler, phase=phase, before=before)

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
        from ._persist import persist

        persist(self, store, key)

    @classmethod
    def restore(cls, store: Store, key: str, *, clock: Clock | None = None) -> Programme:
        """The programme stored under ``key``, rebuilt exactly by replaying its event log
        through the same engine, and persisted again (its changes are written to ``store``).

        Hooks are not stored: subscribe them again. A deadline check after the restore reports
        what became due while the programme was not running, once.

        Raises:
            UnknownProgrammeError: no such key. CorruptStoreError: damaged data.
            SerializationError: a document that can't be read, naming where.
            ReplayError: a log that doesn't replay to its own events.
        """
        from ._persist import restore

        return restore(store, key, clock)

    # -- internals used by Pair --------------------------------------------------------

    def _move_end(self, day: pendulum.Date) -> None:
        """The programme now ends on ``day`` (an extension was granted)."""
        self._ends_on = day

    def _advance(self, count: int) -> None:
        """``count`` more events are in the history."""
        self._seq += count

    def _run_before(self, events: Sequence[Event]) -> None:
        """Run the before hooks of ``events``; commands they issue are refused meanwhile."""
        self._in_before_hook = True
        try:
            self._hooks.run_before(events)
        finally:
            self._in_before_hook = False

    def _refuse_reentry(self, key: str, command: str, phase: str, status: str) -> None:
        if self._in_before_hook:
            raise CommandRefused(
                pair=key,
                command=command,
                phase=phase,
                status=status,
                rule="reentrant-command",
                reason="a before hook can't issue commands (the change it sees has not "
                "happened yet); issue it from an after hook",
            )

    def _instant(self, at: dt.datetime | None) -> pendulum.DateTime:
        if at is None:
            return self.now()
        return to_instant(at, "at", self._tz)

    def _record(
        self, pair: Pair, events: Sequence[PairEvent], at: pendulum.DateTime
    ) -> tuple[PairEvent, ...]:
        """Apply what the engine decided: data, histories, then the after hooks."""
        for event in events:
            pair._apply(event)
        pair._last_at = at
        pair._history.extend(events)
        self._history.extend(events)
        self._seq += len(events)
        if self._book is not None:
            self._book.on_pair_events(pair, at)
        return self._notify(tuple(events))

    def _notify(self, done: tuple[E, ...]) -> tuple[E, ...]:
        """Tell the after hooks of ``done`` (events that happened); raise their errors together."""
        if done and self._hooks.after_count:
            errors = self._hooks.run_after(done)
            if errors:
                error = AfterHookError(
                    f"{len(errors)} after hook(s) raised; the change stands", errors
                )
                error.events = done
                raise error
        return done

    def __repr__(self) -> str:
        return (
            f"<Programme {self._name!r} {self._starts_on.isoformat()}.."
            f"{self._ends_on.isoformat()}, {len(self._pairs)} pairs>"
        )


def _regions(country: str | None, subdivision: str | None) -> tuple[str, ...]:
    if country is None:
        if subdivision is not None:
            raise DefinitionError("subdivision", "give the country too")
        return ()
    _define(v.country_code("country"), country)
    _define(v.subdivision_code("subdivision"), subdivision)
    region = f"{country}-{subdivision}" if subdivision else country
    try:
        check_region(region)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None
    return (region,)


_last_schedule: tuple[tuple[DeadlineRule, ...], Lifecycle, Schedule] | None = None


def _schedule(rules: tuple[DeadlineRule, ...], lifecycle: Lifecycle) -> Schedule:
    """`make_schedule`, reusing the last schedule made from the very same rules and lifecycle
    (the same objects: a simulation builds one definition's programme run after run)."""
    global _last_schedule
    last = _last_schedule
    if (
        last is not None
        and last[1] is lifecycle
        and len(last[0]) == len(rules)
        and all(a is b for a, b in zip(last[0], rules, strict=True))
    ):
        return last[2]
    schedule = make_schedule(rules, lifecycle)
    _last_schedule = (rules, lifecycle, schedule)
    return schedule


def _policy(field: str, value: ExtensionPolicy | None, default: ExtensionPolicy) -> ExtensionPolicy:
    if value is None:
        return default
    if not isinstance(value, ExtensionPolicy):
        raise DefinitionError(field, f"must be an ExtensionPolicy, not {type(value).__name__}")
    return value


def _define(check: Callable[[object, object, object], None], value: object) -> None:
    try:
        check(None, None, value)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None


def _define_date(field: str, value: object) -> pendulum.Date:
    try:
        return v.date_value(field, value)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None
