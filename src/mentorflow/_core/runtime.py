"""A programme's working parts, and the one place commands are executed.

`Runtime` composes the parts of a programme (and knows nothing of the public views): its
`Definition`, its clock, the shared `Engine`, the `Ledger` (history, hooks, journal: the
transaction), the pairs' `PairState` s, the deadline book and the `Extensions`. `execute`
dispatches a command value by its type to a handler that decides (the engine, the policy, the
book: nothing changes) and then commits the decision through `Ledger.commit` (which applies
it). `Programme` and `Pair` are views that hand their methods off to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NoReturn

import pendulum

from .._domain import commands as c
from .._domain.clock import Clock, ManualClock, SystemClock, earlier, to_instant
from .._domain.deadlines import extend
from .._domain.definition import Definition
from .._domain.events import (
    ActivityHeld,
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    MilestoneReached,
    PairEvent,
    make_pair_enrolled,
    make_phase_started,
)
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.lifecycle import PairStatus
from .._domain.pair_state import PairState
from .._domain.reporting import REPORTING_COMMANDS, Reporting, ReportingPeriod, Watched
from .._domain.validate import show
from .._engine.machine import NAMES, Engine, Refusal, engine_for
from ..exceptions import (
    CommandRefused,
    DefinitionError,
    MigrationRefused,
    UnknownPairError,
    ValidationError,
    Vetoed,
)
from . import migration
from .amendments import Extensions
from .book import DeadlineBook
from .transaction import Ledger


class Runtime:
    """The parts of one programme, and `execute`."""

    __slots__ = (
        "book",
        "calendar",
        "clock",
        "definition",
        "definitions",
        "ends_on",
        "engine",
        "enrolled",
        "extensions",
        "handlers",
        "ledger",
        "reporting",
        "states",
        "tolerance",
        "tz",
    )

    def __init__(
        self,
        definition: Definition,
        clock: Clock | None,
        enrolled: Callable[[PairState], object],
    ) -> None:
        """Args:
        definition: The programme's definition.
        clock: Its clock (None: the system clock, in the programme's zone).
        enrolled: Called with each new pair's state as the enrolment is applied (the
            programme makes its `Pair` view).
        """
        self.enrolled = enrolled
        self.definition = definition
        """The definition in force (the last migration's, or the first)."""
        self.definitions = [definition]
        """Every definition the programme has run, the first (the stored one) first."""
        self.tz = pendulum.timezone(definition.timezone)
        # the default clock reads the time in the programme's zone: no conversion per command
        clock = SystemClock(definition.timezone) if clock is None else clock
        # the library's own clocks skip the protocol check (~3 us: typing inspects the class)
        if type(clock) not in (ManualClock, SystemClock) and (
            not isinstance(clock, Clock) or isinstance(clock, dt.date | type)
        ):  # a datetime (or its class) has a now() too, but is a time, not a clock
            raise DefinitionError(
                "clock",
                f"must have a now() method returning a DateTime, not {type(clock).__name__}",
            )
        self.clock = clock
        self.engine: Engine = engine_for(definition.lifecycle)
        self.calendar = definition.calendar(definition.regions)
        self.ends_on = definition.ends_on
        self.tolerance = definition.clock_tolerance.total_seconds()
        self.ledger = Ledger(definition.name)
        self.states: dict[str, PairState] = {}
        self.reporting = Reporting()
        self.extensions = Extensions(definition.extension_policy, definition.phase_extension_policy)
        schedule = definition.schedule
        self.book = (
            None
            if schedule.empty
            else DeadlineBook(
                schedule,
                regions=definition.regions,
                closures=definition.closures,
                timezone=self.tz,
                starts_on=definition.starts_on,
                ends_on=definition.ends_on,
                granted=self.extensions.granted,
            )
        )
        self.handlers: dict[type[c.Command], Callable[[Any], tuple[Event, ...]]] = {
            c.Enrol: self.enrol,
            c.ReachMilestone: self.reach_milestone,
            c.HoldActivity: self.hold_activity,
            **dict.fromkeys(REPORTING_COMMANDS, self.report),
            c.RequestExtension: self.request,
            c.GrantExtension: self.grant,
            c.RefuseExtension: self.refuse,
            c.CheckDeadlines: self.check,
            c.Migrate: self.migrate,
            **dict.fromkeys(NAMES, self.pair_command),
        }

    # -- time --------------------------------------------------------------------------

    def now(self) -> pendulum.DateTime:
        """The clock's current instant, in the programme's timezone."""
        return to_instant(self.clock.now(), "clock.now()", self.tz)

    def instant(self, at: dt.datetime | None) -> pendulum.DateTime:
        """``at`` in the programme's timezone; None is now."""
        if at is None:
            return self.now()
        return to_instant(at, "at", self.tz)

    # -- executing ---------------------------------------------------------------------

    def execute(self, command: c.Command) -> tuple[Event, ...]:
        """Run ``command``; return the events it emitted.

        Raises:
            ValidationError: ``command`` is not a command.
            CommandRefused, PolicyViolation, ValidationError: as its method says.
        """
        handler = self.handlers.get(type(command))
        if handler is None:
            raise ValidationError(
                "command", f"must be a mentorflow command, not {type(command).__name__}"
            )
        key = command.idempotency_key
        if key is None:
            return handler(command)
        ledger = self.ledger
        done = ledger.keys.get(key)
        if done is not None:
            return self._again(command, key, *done)
        ledger.key = key  # the commit records it with the command's first event
        try:
            return handler(command)
        finally:
            ledger.key = None

    def _again(self, command: c.Command, key: str, first: int, count: int) -> tuple[Event, ...]:
        """A retried command: the events it emitted the first time; nothing is appended."""
        events = tuple(self.ledger.events[first - 1 : first - 1 + count])
        earlier = c.command_of(events[0])
        if type(earlier) is not type(command) or getattr(earlier, "pair", None) != getattr(
            command, "pair", None
        ):
            raise ValidationError(
                "idempotency_key",
                f"{key!r} was used by another command ({type(earlier).__name__} at seq {first})",
            )
        return events

    @property
    def version(self) -> int:
        """The number of events in the history."""
        return self.ledger.seq

    def state(self, key: str) -> PairState:
        """The state of pair ``key``.

        Raises:
            UnknownPairError: if there is none.
        """
        try:
            return self.states[key]
        except (KeyError, TypeError):
            raise UnknownPairError(key) from None

    def pair_command(self, command: c.PairCommand) -> tuple[PairEvent, ...]:
        """A command to one pair, found by key."""
        return self.run_pair(self.state(command.pair), command)

    def run_pair(
        self, state: PairState, command: c.PairCommand, *, via_machine: bool = False
    ) -> tuple[PairEvent, ...]:
        """Decide ``command`` on ``state`` with the engine, then commit it. ``via_machine``
        decides through transitions' own trigger (the reference the tests compare with)."""
        ledger = self.ledger
        engine = self.engine
        if ledger.in_before_hook:
            self._refuse_reentry(state, command)
        at = command.at
        if type(at) is not pendulum.DateTime or at.tzinfo is not self.tz:
            at = self.instant(at)
        last = state.last_at
        # the usual case, tested inline: same zone and fold, not before. Else `earlier` (as
        # Python's own < ignores DST folds); within the tolerance, clock skew between hosts:
        # recorded in order, at the pair's last change
        if (
            (at.tzinfo is not last.tzinfo or at.fold != last.fold or at < last)
            and earlier(at, last)
            and last.timestamp() - at.timestamp() <= self.tolerance
        ):
            at = last
        decide = engine.decide_via_machine if via_machine else engine.decide
        events, dest = decide(state, command, at, len(ledger.events))
        book = self.book

        def apply() -> None:
            state.fold(events, dest)
            if book is not None:
                book.on_pair_events(command.pair, events, at)

        if not ledger.hooks.before_count:
            return ledger.commit(events, apply)

        def veto(reason: str) -> NoReturn:
            engine.refuse(state, command, Refusal("vetoed", reason), Vetoed)

        return ledger.commit(events, apply, veto=veto)

    def _refuse_reentry(self, state: PairState | None, command: c.Command) -> NoReturn:
        if state is None:
            key, name, phase, status = str(getattr(command, "pair", "")), "enrol", "", "new"
            phase = self.engine.lifecycle.first
        else:
            key, name = state.key, NAMES[type(command)]  # type: ignore[index]
            phase = self.engine.phase_of[state.state]
            status = self.engine.status_of[state.state].value
        raise CommandRefused(
            pair=key,
            command=name,
            phase=phase,
            status=status,
            rule="reentrant-command",
            reason="a before hook can't issue commands (the change it sees has not "
            "happened yet); issue it from an after hook",
        )

    def enrol(self, command: c.Enrol) -> tuple[PairEvent, ...]:
        """Enrol a pair: `PairEnrolled` then `PhaseStarted` of the first phase."""
        ledger = self.ledger
        if ledger.in_before_hook:
            self._refuse_reentry(None, command)
        key = command.pair
        if key in self.states:
            raise ValidationError("key", f"a pair with key {show(key)} already exists")
        at = command.at
        if type(at) is not pendulum.DateTime or at.tzinfo is not self.tz:
            at = self.instant(at)
        seq, note, first = len(ledger.events), command.note, self.engine.lifecycle.first
        events: tuple[PairEvent, ...] = (
            make_pair_enrolled(
                seq + 1,
                at,
                note,
                key,
                command.mentor,
                command.mentee,
                command.theme,
                command.topic,
                command.benchmarks,
                command.support_network,
            ),
            make_phase_started(seq + 2, at, note, key, first),
        )
        book = self.book

        def apply() -> None:
            state = PairState(events, state=self.engine.initial_state)
            self.states[key] = state
            self.enrolled(state)
            if book is not None:
                book.on_pair_events(key, events, at)

        if not ledger.hooks.before_count:
            return ledger.commit(events, apply)

        def veto(reason: str) -> NoReturn:
            raise Vetoed(
                pair=key, command="enrol", phase=first, status="new", rule="vetoed", reason=reason
            )

        return ledger.commit(events, apply, veto=veto)

    # -- migrations --------------------------------------------------------------------

    def plan_migration(self, command: c.Migrate) -> migration.Decision:
        """What ``command`` would do, pair by pair; nothing changes.

        Raises:
            DefinitionError: bad input (see `migration.decide`).
        """
        if not isinstance(command, c.Migrate):
            raise ValidationError(
                "command", f"must be a Migrate command, not {type(command).__name__}"
            )
        return migration.decide(
            command,
            self.instant(command.at),
            definition=self.definition,
            engine=self.engine,
            states=self.states,
            book=self.book,
            extensions=self.extensions.all(),
            granted=self.extensions.granted,
            ends_on=self.ends_on,
            seq=self.ledger.seq,
        )

    def migrate(self, command: c.Migrate) -> tuple[Event, ...]:
        """Run the programme on ``command``'s definition from its ``at`` on: the pairs in
        changed phases moved as mapped, the deadlines worked out again.

        Raises:
            DefinitionError: bad input. MigrationRefused: the plan refuses it (nothing changed).
        """
        return self.commit_migration(self.plan_migration(command))

    def commit_migration(self, decision: migration.Decision) -> tuple[Event, ...]:
        """Commit a decided migration (`plan_migration`), unless its plan refuses it.

        Raises:
            MigrationRefused: the plan refuses it (nothing changed).
        """
        if not decision.plan.ok:
            raise MigrationRefused(decision.plan)
        new = decision.definition

        def apply() -> None:
            self.definition = new
            self.definitions.append(new)
            self.engine = decision.engine
            self.calendar = new.calendar(new.regions)
            self.ends_on = decision.ends_on
            self.tolerance = new.clock_tolerance.total_seconds()
            self.extensions.policy = new.extension_policy
            self.extensions.phase_policy = new.phase_extension_policy
            for key, (events, state) in decision.pairs.items():
                self.states[key].fold(events, state)
            self.book = decision.book

        return self.ledger.commit(decision.events, apply)

    # -- programme commands ------------------------------------------------------------

    def require_book(self, field: str) -> DeadlineBook:
        """The deadline book.

        Raises:
            ValidationError: naming ``field``, if the programme has no deadline rules.
        """
        if self.book is None:
            raise ValidationError(field, "the programme has no deadline rules")
        return self.book

    def reach_milestone(self, command: c.ReachMilestone) -> tuple[Event, ...]:
        """Record a milestone; deadlines counted from it now count from this day."""
        book = self.require_book("name")
        name = command.milestone
        if not book.is_milestone(name):
            raise ValidationError("name", f"{show(name)} is not a milestone with a deadline")
        if book.reached(name):
            raise ValidationError("name", f"{show(name)} was already reached")
        at = self.instant(command.at)
        event = MilestoneReached(
            seq=self.ledger.seq + 1,
            at=at,
            note=command.note,
            milestone=name,
        )
        return self.ledger.commit((event,), lambda: book.reach(name, at))

    def hold_activity(self, command: c.HoldActivity) -> tuple[Event, ...]:
        """Record a programme-wide activity: every pair not withdrawn takes part, whatever
        its phase; with ``milestone``, the milestone is reached in the same change."""
        at = self.instant(command.at)
        activity, name = command.activity, command.milestone
        if activity.ends_on > at.date():
            raise ValidationError(
                "activity",
                f"{show(activity.name)} ends on {activity.ends_on}, after {at.date()}: record "
                "it once it has been held",
            )
        book = None if name is None else self.require_book("milestone")
        if book is not None and name is not None:
            if not book.is_milestone(name):
                raise ValidationError(
                    "milestone", f"{show(name)} is not a milestone with a deadline"
                )
            if book.reached(name):
                raise ValidationError("milestone", f"{show(name)} was already reached")
        withdrawn = PairStatus.WITHDRAWN
        status_of = self.engine.status_of
        event = ActivityHeld(
            seq=self.ledger.seq + 1,
            at=at,
            note=command.note,
            activity=activity,
            pairs=tuple(k for k, s in self.states.items() if status_of[s.state] is not withdrawn),
            milestone=name,
        )

        def apply() -> None:
            if book is not None and name is not None:
                book.reach(name, at)

        return self.ledger.commit((event,), apply)

    def report(self, command: c.Command) -> tuple[Event, ...]:
        """A reporting command: periods, reports and deliverables (`Reporting.decide`)."""
        at = self.instant(command.at)
        reporting = self.reporting
        periods = self.reporting_periods()
        event = reporting.decide(command, at, self.ledger.seq + 1, periods)
        return self.ledger.commit((event,), lambda: reporting.apply(event))

    def reporting_periods(self) -> tuple[ReportingPeriod, ...]:
        """The reporting periods as they stand: derived from the start and the end as extended."""
        return self.reporting.periods(self.definition.starts_on, self.ends_on, self.calendar)

    def request(self, command: c.RequestExtension) -> tuple[Event, ...]:
        """Request an extension, under the policy's clauses."""
        phase, pair = command.phase, command.pair
        moves: pendulum.Date | None = self.ends_on
        if phase is not None:
            book = self.require_book("phase")
            if not book.is_phase(phase):
                raise ValidationError("phase", f"{show(phase)} is not a phase with a deadline")
            moves = None
            if pair is not None:
                self.state(pair)
                moves = book.deadline(phase, pair).due_on
        at = self.instant(command.at)
        ext = self.extensions.request(
            phase=phase,
            pair=pair,
            offset=command.offset,
            reason=command.reason,
            at=at,
            ends_on=self.ends_on,
            moves=moves,
            original_ends_on=self.definition.ends_on,
            calendar=self.calendar,
        )
        event = ExtensionRequested(
            seq=self.ledger.seq + 1,
            at=at,
            note=command.note,
            extension=ext,
        )
        return self.ledger.commit((event,), lambda: self.extensions.apply_request(ext))

    def _decision(self, key: str, at: dt.datetime | None) -> tuple[Extension, pendulum.DateTime]:
        self.extensions.get(key)  # an unknown key is named before anything else
        instant = self.instant(at)
        return self.extensions.decide(key, instant), instant

    def grant(self, command: c.GrantExtension) -> tuple[Event, ...]:
        """Grant a requested extension: the end or the phase deadline moves, and with it
        every deadline that depends on it."""
        ext, at = self._decision(command.extension, command.at)
        event = ExtensionGranted(
            seq=self.ledger.seq + 1,
            at=at,
            note=command.note,
            extension=ext.key,
            by=command.by,
        )

        def apply() -> None:
            if ext.phase is None:
                self.ends_on = self.extensions.extended_end(
                    self.definition.ends_on, ext.offset, self.calendar
                )
            self.extensions.apply_decision(ext, ExtensionStatus.GRANTED, command.by, None, at)
            book = self.book
            if book is not None:
                book.set_end(self.ends_on)
                if ext.pair is None:
                    book.recompute_all(at, ext.key)
                else:
                    book.recompute_pair(ext.pair, at, ext.key)

        return self.ledger.commit((event,), apply)

    def refuse(self, command: c.RefuseExtension) -> tuple[Event, ...]:
        """Refuse a requested extension; nothing moves."""
        ext, at = self._decision(command.extension, command.at)
        event = ExtensionRefused(
            seq=self.ledger.seq + 1,
            at=at,
            note=command.note,
            extension=ext.key,
            by=command.by,
            reason=command.reason,
        )
        return self.ledger.commit(
            (event,),
            lambda: self.extensions.apply_decision(
                ext, ExtensionStatus.REFUSED, command.by, command.reason, at
            ),
        )

    def nothing_due(self, at: pendulum.DateTime) -> bool:
        """Whether a deadline check at ``at`` would find nothing: no alert due, no request
        waiting for an answer (then it emits nothing and changes nothing)."""
        book = self.book
        if (book is not None and book.anything_due(at)) or self.extensions.open:
            return False
        return not self.reporting.active or not self._reporting_due(at)

    def reporting_watch(self) -> list[Watched]:
        """The unsubmitted reports and open deliverables, with their due dates and revisions
        (a report's: how many granted programme extensions moved it)."""
        original = self.definition.ends_on
        offsets = self.extensions.granted.get((None, None), [])
        ends = (
            original,
            *(extend(original, offsets[:k], self.calendar) for k in range(1, len(offsets) + 1)),
        )
        return self.reporting.watched(self.definition.starts_on, ends, self.calendar)

    def _reporting_due(self, at: pendulum.DateTime) -> bool:
        when = self.reporting.next_alert(self.reporting_watch(), self.tz)
        return when is not None and when <= at.timestamp()

    def check(self, command: c.CheckDeadlines) -> tuple[Event, ...]:
        """Emit the lapses of unanswered requests, then the deadline alerts due by ``at``."""
        at = command.at
        if type(at) is not pendulum.DateTime or at.tzinfo is not self.tz:
            at = self.instant(at)
        if self.nothing_due(at):
            return ()  # the usual case: nothing due, nothing waiting for an answer
        book = self.book
        extensions = self.extensions
        seq = self.ledger.seq
        lapsed = extensions.lapsed(at)
        events: list[Event] = [
            ExtensionRefused(seq=seq + i, at=at, extension=ext.key, by=None, reason=why)
            for i, (ext, _due, why) in enumerate(lapsed, 1)
        ]
        plan = book.check(at, seq + len(events)) if book is not None else None
        if plan is not None:
            events.extend(plan.events)
        reporting = self.reporting
        reported = (
            reporting.due_alerts(self.reporting_watch(), at, self.tz, seq + len(events))
            if reporting.active
            else []
        )
        events.extend(reported)

        def apply() -> None:
            for ext, due, why in lapsed:
                extensions.apply_decision(ext, ExtensionStatus.LAPSED, None, why, due)
            if plan is not None:
                plan.commit()
            for alert in reported:
                reporting.apply(alert)

        undo = plan.rollback if plan is not None else None
        return self.ledger.commit(tuple(events), apply, undo=undo)
