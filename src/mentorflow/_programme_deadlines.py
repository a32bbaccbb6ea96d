"""The deadline and extension half of `Programme`'s API (a mixin, to keep modules short)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs
import pendulum

from ._calendar import WorkingCalendar, calendar_for
from ._clock import earlier
from ._deadlines import Offset, Unit, extend
from ._events import (
    Event,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    MilestoneReached,
)
from ._extensions import Extension, ExtensionPolicy, ExtensionStatus
from ._watch import Deadline, DeadlineBook
from .exceptions import PolicyViolation, ValidationError

if TYPE_CHECKING:
    from ._hooks import Hooks
    from ._pair import Pair


def _offset(days: int | None, weeks: int | None, months: int | None) -> Offset:
    pairs = ((Unit.DAYS, days), (Unit.WEEKS, weeks), (Unit.MONTHS, months))
    given = [(unit, amount) for unit, amount in pairs if amount is not None]
    if len(given) != 1:
        raise ValidationError("days", "give exactly one of days=, weeks= or months=")
    unit, amount = given[0]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(unit.value, f"must be a whole number > 0, not {amount!r}")
    return Offset(amount=amount, unit=unit)


class DeadlinesMixin:
    """Deadlines, milestones and extensions of a `Programme`."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the mixin uses of Programme
        _book: DeadlineBook | None
        _calendar: WorkingCalendar
        _ends_on: pendulum.Date
        _original_ends_on: pendulum.Date
        _extensions: list[Extension]
        _extension_policy: ExtensionPolicy
        _journal: Callable[[Sequence[Event]], None] | None
        _phase_extension_policy: ExtensionPolicy
        _history: list[Event]
        _hooks: Hooks
        _seq: int

        def _instant(self, at: dt.datetime | None) -> pendulum.DateTime: ...
        def _advance(self, count: int) -> None: ...
        def _notify(self, done: tuple[Event, ...]) -> tuple[Event, ...]: ...
        def _move_end(self, day: pendulum.Date) -> None: ...
        def pair(self, key: str) -> Pair: ...

    # -- reading deadlines -------------------------------------------------------------

    def deadline(self, name: str, *, pair: str | None = None) -> Deadline:
        """The deadline of milestone ``name``, or of phase ``name`` for ``pair``.

        Raises:
            ValidationError: if there is no deadline rule of that name.
            UnknownPairError: if there is no such pair.
        """
        return self._require_book("name").deadline(name, pair)

    def deadlines(self, *, pair: str | None = None) -> tuple[Deadline, ...]:
        """The programme's milestone deadlines, or with ``pair`` that pair's phase deadlines."""
        if self._book is None:
            return ()
        return self._book.deadlines(pair)

    def check_deadlines(self, *, at: dt.datetime | None = None) -> tuple[Event, ...]:
        """Emit what became due by ``at`` (default: now): `DeadlineApproaching` when a
        deadline enters its lead time, `DeadlineMissed` when it passes unmet, and
        `ExtensionRefused` for requests left unanswered past the response window.

        Each alert is emitted once per revision of its deadline, however often you check.
        Only deadlines that are due are looked at: with nothing due a check costs next to
        nothing, whatever the number of pairs. The events go to the history and the after
        hooks (before hooks are not asked: these are facts, not commands).
        """
        instant = self._instant(at)
        if (self._book is None or not self._book.anything_due(instant)) and not any(
            ext.status is ExtensionStatus.REQUESTED for ext in self._extensions
        ):
            return ()  # the usual case: nothing due, nothing waiting for an answer
        lapsed: list[tuple[Extension, pendulum.DateTime, str]] = []
        events: list[Event] = []
        for ext in self._extensions:
            if ext.status is not ExtensionStatus.REQUESTED:
                continue  # decided: nothing can lapse (and no need to date its window)
            due = ext.answer_due(self._policy_for(ext))
            if earlier(due, instant):
                reason = (
                    f"no answer within {self._policy_for(ext).response_days} days "
                    f"(lapsed on {due.to_date_string()})"
                )
                lapsed.append((ext, due, reason))
                events.append(
                    ExtensionRefused(
                        seq=self._seq + len(events) + 1,
                        at=instant,
                        extension=ext.key,
                        by=None,
                        reason=reason,
                    )
                )
        plan = self._book.check(instant, self._seq + len(events)) if self._book else None
        if plan is not None:
            events.extend(plan.events)
        try:
            self._write(events)
        except BaseException:
            if plan is not None:
                plan.rollback()
            raise
        for ext, due, reason in lapsed:
            self._decide(ext, ExtensionStatus.LAPSED, None, reason, due)
        if plan is not None:
            plan.commit()
        return self._record_programme(events)

    # -- milestones --------------------------------------------------------------------

    def reach_milestone(
        self, name: str, *, at: dt.datetime | None = None, note: str | None = None
    ) -> MilestoneReached:
        """Record that milestone ``name`` (e.g. the final conference) was reached.

        Deadlines counted from it now count from this day.
        """
        book = self._require_book("name")
        if not book.is_milestone(name):
            raise ValidationError("name", f"{name!r} is not a milestone with a deadline")
        if book.reached(name):
            raise ValidationError("name", f"{name!r} was already reached")
        instant = self._instant(at)
        event = MilestoneReached(seq=self._seq + 1, at=instant, note=note, milestone=name)
        self._write([event])
        book.reach(name, instant)
        self._record_programme([event])
        return event

    # -- extensions --------------------------------------------------------------------

    @property
    def extension_policy(self) -> ExtensionPolicy:
        """What programme extensions are allowed."""
        return self._extension_policy

    @property
    def phase_extension_policy(self) -> ExtensionPolicy:
        """What phase extensions are allowed."""
        return self._phase_extension_policy

    @property
    def extensions(self) -> tuple[Extension, ...]:
        """Every extension requested, in order, as it stands."""
        return tuple(self._extensions)

    def extension(self, key: str) -> Extension:
        """The extension with this key (``"E1"``, ...).

        Raises:
            ValidationError: if there is none.
        """
        for ext in self._extensions:
            if ext.key == key:
                return ext
        raise ValidationError("extension", f"no extension with key {key!r}")

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
        """Request an extension of the programme's end (an amendment).

        Raises:
            PolicyViolation: naming the clause: ``after-end``, ``request-lead``, ``pending``,
                ``max-count`` or ``max-total`` (see `ExtensionPolicy`).
        """
        return self._request(None, None, reason, _offset(days, weeks, months), at, note)

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
        book = self._require_book("phase")
        if not book.is_phase(phase):
            raise ValidationError("phase", f"{phase!r} is not a phase with a deadline")
        if pair is not None:
            self.pair(pair)
        return self._request(phase, pair, reason, _offset(days, weeks, months), at, note)

    def grant_extension(
        self,
        key: str,
        *,
        by: str,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Grant a requested extension: the end or the phase deadline moves, and with it every
        deadline that depends on it; each moved deadline gets a revision naming ``key``.

        Raises:
            PolicyViolation: ``not-pending`` or ``response-window``.
        """
        ext, instant = self._decision(key, by, at)
        event = ExtensionGranted(seq=self._seq + 1, at=instant, note=note, extension=key, by=by)
        self._write([event])
        if ext.phase is None:
            offsets = [*self._granted(ext.target), ext.offset]
            self._move_end(extend(self._original_ends_on, offsets, self._calendar))
        elif self._book is not None:
            self._book.extend(ext.target, ext.offset)
        ext = self._decide(ext, ExtensionStatus.GRANTED, by, None, instant)
        if self._book is not None:
            if ext.pair is None:
                self._book.recompute_all(instant, ext.key)
            else:
                self._book.recompute_pair(ext.pair, instant, ext.key)
        self._record_programme([event])
        return ext

    def refuse_extension(
        self,
        key: str,
        *,
        by: str,
        reason: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> Extension:
        """Refuse a requested extension; nothing moves.

        Raises:
            PolicyViolation: ``not-pending`` or ``response-window``.
        """
        ext, instant = self._decision(key, by, at)
        event = ExtensionRefused(
            seq=self._seq + 1, at=instant, note=note, extension=key, by=by, reason=reason
        )
        self._write([event])
        ext = self._decide(ext, ExtensionStatus.REFUSED, by, reason, instant)
        self._record_programme([event])
        return ext

    # -- internals ---------------------------------------------------------------------

    def _require_book(self, field: str) -> DeadlineBook:
        if self._book is None:
            raise ValidationError(field, "the programme has no deadline rules")
        return self._book

    def _policy_for(self, ext: Extension) -> ExtensionPolicy:
        return self._extension_policy if ext.phase is None else self._phase_extension_policy

    def _request(
        self,
        phase: str | None,
        pair: str | None,
        reason: str,
        offset: Offset,
        at: dt.datetime | None,
        note: str | None,
    ) -> Extension:
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("reason", "give the reason for the extension")
        instant = self._instant(at)
        policy = self._phase_extension_policy if phase is not None else self._extension_policy
        target = (phase, pair)
        if instant.date() > self._ends_on:
            raise PolicyViolation(
                "after-end",
                f"the programme ended on {self._ends_on}; no amendment after the end",
            )
        moves = self._ends_on if phase is None else self._phase_due(phase, pair)
        if moves is not None:
            latest = _minus(moves, policy.request_lead)
            if instant.date() > latest:
                raise PolicyViolation(
                    "request-lead",
                    f"request by {latest} at the latest: {policy.request_lead} before "
                    f"{'the end' if phase is None else 'the deadline'} ({moves})",
                )
        same = [e for e in self._extensions if e.target == target]
        open_ = [e for e in same if e.open_at(instant, policy)]
        if open_:
            raise PolicyViolation(
                "pending", f"{open_[0].key} is still waiting for an answer", open_[0].key
            )
        granted = self._granted(target)
        if policy.max_count is not None and len(granted) >= policy.max_count:
            raise PolicyViolation(
                "max-count",
                f"{len(granted)} granted already, the most the policy allows",
            )
        if policy.max_total is not None:
            base = self._original_ends_on
            total = extend(base, [*granted, offset], self._calendar)
            if total > extend(base, [policy.max_total], self._calendar):
                raise PolicyViolation(
                    "max-total",
                    f"with this one the extensions would add up to more than {policy.max_total}",
                )
        ext = Extension(
            key=f"E{len(self._extensions) + 1}",
            phase=phase,
            pair=pair,
            offset=offset,
            reason=reason,
            requested_at=instant,
        )
        event = ExtensionRequested(seq=self._seq + 1, at=instant, note=note, extension=ext)
        self._write([event])
        self._extensions.append(ext)
        self._record_programme([event])
        return ext

    def _granted(self, target: tuple[str | None, str | None]) -> list[Offset]:
        """The offsets of the extensions granted for ``target``, in order."""
        return [
            e.offset
            for e in self._extensions
            if e.target == target and e.status is ExtensionStatus.GRANTED
        ]

    def _phase_due(self, phase: str, pair: str | None) -> pendulum.Date | None:
        if pair is None or self._book is None:
            return None
        return self._book.deadline(phase, pair).due_on

    def _decision(
        self, key: str, by: str, at: dt.datetime | None
    ) -> tuple[Extension, pendulum.DateTime]:
        ext = self.extension(key)
        if not isinstance(by, str) or not by.strip():
            raise ValidationError("by", "say who decided")
        instant = self._instant(at)
        if ext.status is not ExtensionStatus.REQUESTED:
            raise PolicyViolation("not-pending", f"{key} is already {ext.status.value}", key)
        if earlier(instant, ext.requested_at):
            raise ValidationError("at", f"{instant.isoformat()} is before the request")
        due = ext.answer_due(self._policy_for(ext))
        if earlier(due, instant):
            raise PolicyViolation(
                "response-window",
                f"{key} lapsed on {due.to_date_string()}: no answer within "
                f"{self._policy_for(ext).response_days} days means refused",
                key,
            )
        return ext, instant

    def _decide(
        self,
        ext: Extension,
        status: ExtensionStatus,
        by: str | None,
        answer: str | None,
        at: pendulum.DateTime,
    ) -> Extension:
        decided = attrs.evolve(ext, status=status, decided_at=at, decided_by=by, answer=answer)
        self._extensions[self._extensions.index(ext)] = decided
        return decided

    def _write(self, events: Sequence[Event]) -> None:
        """Journal ``events`` (when the programme is persisted) before they take effect."""
        if events and self._journal is not None:
            self._journal(events)

    def _record_programme(self, events: Sequence[Event]) -> tuple[Event, ...]:
        """Append programme-level events to the history and tell the after hooks."""
        self._history.extend(events)
        self._advance(len(events))
        return self._notify(tuple(events))


def _minus(day: pendulum.Date, offset: Offset) -> pendulum.Date:
    """``day`` less ``offset`` (calendar arithmetic; working days count weekdays only)."""
    return Offset(amount=-offset.amount, unit=offset.unit).after(day, calendar_for(()))
