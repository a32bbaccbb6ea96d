"""Reporting periods, periodic reports and deliverables, as grant systems model them.

Periods follow Interreg's monitoring system (Jems): counted in months from the programme's
start, ``ceil(duration / period length)`` of them, the last one shortened to the end; derived
again whenever the end moves (an extension), so the periods are never stored, only the
reports submitted. A periodic report is due ``report_days`` after its period's end (the EU
rule moves a due date off a weekend or holiday). A submitted report's deadline never moves: it
is kept as it was when the report was submitted, and a period an amendment removed keeps its
submitted report.

Deliverables follow the EU Funding & Tenders portal: each is declared with a due date, then
goes ``pending -> draft -> submitted -> accepted`` (or ``returned``, to be drafted and
submitted again). A deliverable (or report) submitted after its due date needs a
justification. A submitted deliverable is locked: it can't be drafted or have its due date
moved until it is returned; a due date moves only to a day in the future.

Every change is a command decided here (`decide`) and applied from its event (`apply`), through
the programme's one transaction.

Unsubmitted reports and open deliverables (pending, draft or returned) are watched as the
deadline book watches phases (`Reporting.alerts`): a `DeadlineApproaching` when one enters its
last `REPORTING_LEAD_DAYS` days, a `DeadlineMissed` the day after it, each once per revision of
its due date. Their deadline names are ``report:N`` and ``deliverable:NAME`` (`report_deadline`,
`deliverable_deadline`), which no rule can have. A report's revision is how many of the granted
programme extensions moved its due date; a deliverable's, how many times its due date was
moved. A submitted report or deliverable is not watched, and its date never moves.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import math
from typing import Any

import attrs
import pendulum

from ..exceptions import ValidationError
from . import commands as c
from . import events as ev
from .calendar import WorkingCalendar, add_months
from .clock import wall_time
from .validate import show

_ONE_DAY = dt.timedelta(days=1)

REPORTING_LEAD_DAYS = 14
"""How many days before its due date a report or deliverable is "due soon"."""
_REPORT = "report:"
_DELIVERABLE = "deliverable:"


def report_deadline(period: int) -> str:
    """The deadline name of period ``period``'s report in alerts: ``"report:1"``."""
    return f"{_REPORT}{period}"


def deliverable_deadline(name: str) -> str:
    """The deadline name of deliverable ``name`` in alerts: ``"deliverable:D2.1 Plan"``."""
    return f"{_DELIVERABLE}{name}"


def is_reporting_deadline(name: str) -> bool:
    """Whether an alert's deadline is a report's or a deliverable's."""
    return name.startswith((_REPORT, _DELIVERABLE))


@attrs.frozen
class Watched:
    """A report or deliverable deadline that may still need an alert."""

    name: str
    due_on: pendulum.Date
    revision: int


class DeliverableStatus(enum.StrEnum):
    """Where a declared deliverable stands (the Funding & Tenders lifecycle)."""

    PENDING = "pending"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


@attrs.frozen(kw_only=True)
class ReportingPeriod:
    """One reporting period and its periodic report.

    Attributes:
        number: 1, 2, ... from the start.
        starts_on: Its first day.
        ends_on: Its last day (the last period ends with the programme).
        report_due_on: The day its periodic report is due.
        submitted_at: When its report was submitted (None: not yet); its due date is then
            the one it had on that day, whatever happened to the end since.
        late: Whether the report was submitted after its due date.
    """

    number: int
    starts_on: pendulum.Date
    ends_on: pendulum.Date
    report_due_on: pendulum.Date
    submitted_at: pendulum.DateTime | None = None
    late: bool = False


@attrs.frozen(kw_only=True)
class DeliverableRecord:
    """A declared deliverable as it stands.

    Attributes:
        name: Its name (``"D2.1 Transfer plan"``).
        due_on: Its due date (moved only while unsubmitted, and only to the future).
        status: Its `DeliverableStatus`.
        submitted_at: When it was last submitted.
        late: Whether that submission came after the due date.
        justification: Why it was late, if it was.
        reviewed_by: Who accepted or returned it last; ``reason``: why it was returned.
        revision: How many times its due date was moved (0: never).
    """

    name: str
    due_on: pendulum.Date
    status: DeliverableStatus = DeliverableStatus.PENDING
    submitted_at: pendulum.DateTime | None = None
    late: bool = False
    justification: str | None = None
    reviewed_by: str | None = None
    reason: str | None = None
    revision: int = 0


def derive_periods(
    starts_on: pendulum.Date,
    ends_on: pendulum.Date,
    plan: ev.ReportingPlanned,
    calendar: WorkingCalendar,
    submitted: dict[int, ev.ReportSubmitted],
) -> tuple[ReportingPeriod, ...]:
    """The periods of a programme from ``starts_on`` to ``ends_on`` under ``plan``, with the
    reports ``submitted`` (their due dates as they were)."""
    months = plan.period_months
    span = _months_between(starts_on, ends_on)
    periods = []
    for index in range(math.ceil(span / months)):
        first = add_months(starts_on, index * months)
        last = min(add_months(starts_on, (index + 1) * months).subtract(days=1), ends_on)
        periods.append(_period(index + 1, first, last, plan, calendar, submitted))
    known = len(periods)
    for number in sorted(n for n in submitted if n > known):  # an amendment removed it
        periods.append(_as_submitted(submitted[number]))
    return tuple(periods)


def _as_submitted(report: ev.ReportSubmitted) -> ReportingPeriod:
    """The period of a submitted report, as it was when the report was submitted."""
    return ReportingPeriod(
        number=report.period,
        starts_on=report.period_starts_on,
        ends_on=report.period_ends_on,
        report_due_on=report.due_on,
        submitted_at=report.at,
        late=report.late,
    )


def _period(
    number: int,
    first: pendulum.Date,
    last: pendulum.Date,
    plan: ev.ReportingPlanned,
    calendar: WorkingCalendar,
    submitted: dict[int, ev.ReportSubmitted],
) -> ReportingPeriod:
    report = submitted.get(number)
    if report is not None:  # a submitted report's deadline never moves
        return _as_submitted(report)
    due = calendar.roll_forward(pendulum.Date.fromordinal(last.toordinal() + plan.report_days))
    return ReportingPeriod(number=number, starts_on=first, ends_on=last, report_due_on=due)


def _months_between(first: pendulum.Date, last: pendulum.Date) -> float:
    """How many months from ``first`` to the end of ``last`` (whole months, then the part of
    the next one): what ``ceil`` counts the periods of."""
    whole = 0
    while add_months(first, whole + 1) <= last.add(days=1):
        whole += 1
    rest = (last.add(days=1) - add_months(first, whole)).days
    return whole + (rest / 31 if rest > 0 else 0)


class Reporting:
    """A programme's reporting plan, submitted reports and deliverables: decided and applied
    from events."""

    __slots__ = ("active", "alerts", "deliverables", "plan", "submitted")

    def __init__(self) -> None:
        self.plan: ev.ReportingPlanned | None = None
        self.submitted: dict[int, ev.ReportSubmitted] = {}
        self.deliverables: dict[str, DeliverableRecord] = {}
        self.alerts: dict[str, tuple[pendulum.Date, int, bool]] = {}
        """Per deadline name, the last alert sent: its due date, its revision, and whether
        it said missed (else it said approaching)."""
        self.active = False
        """Whether there is anything to watch: a plan or a deliverable (a plain attribute:
        every deadline check reads it)."""

    def watched(
        self,
        starts_on: pendulum.Date,
        ends: tuple[pendulum.Date, ...],
        calendar: WorkingCalendar,
    ) -> list[Watched]:
        """The unsubmitted reports and open deliverables, with their due dates and revisions.

        Args:
            starts_on: The programme's first day.
            ends: Its end before any extension, then after each granted one, in order (the
                last is the end now): a report's revision is how many of them moved it.
            calendar: The programme's working days.
        """
        found: list[Watched] = []
        if self.plan is not None:
            history = [
                {p.number: p.report_due_on for p in self.periods(starts_on, end, calendar)}
                for end in ends
            ]
            for number, due in history[-1].items():
                if number in self.submitted:
                    continue
                dues = [h.get(number) for h in history]
                moves = sum(1 for a, b in itertools.pairwise(dues) if a != b)
                found.append(Watched(report_deadline(number), due, moves))
        for record in self.deliverables.values():
            if record.status in (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED):
                continue
            found.append(Watched(deliverable_deadline(record.name), record.due_on, record.revision))
        return found

    def due_alerts(
        self, watched: list[Watched], at: pendulum.DateTime, tz: pendulum.Timezone, seq: int
    ) -> list[ev.DeadlineApproaching | ev.DeadlineMissed]:
        """The alerts ``watched`` need at ``at``, each once per revision (and due date),
        numbered from ``seq + 1``; nothing changes until they are applied."""
        found: list[ev.DeadlineApproaching | ev.DeadlineMissed] = []
        now = at.timestamp()
        for item in watched:
            kind = self._kind(item, now, tz)
            if kind is not None:
                found.append(
                    kind(
                        seq=seq + len(found) + 1,
                        at=at,
                        deadline=item.name,
                        pair=None,
                        due_on=item.due_on,
                        revision=item.revision,
                    )
                )
        return found

    def next_alert(self, watched: list[Watched], tz: pendulum.Timezone) -> float | None:
        """The timestamp of the next alert ``watched`` need, if any."""
        soonest: float | None = None
        for item in watched:
            sent = self.alerts.get(item.name)
            if sent is not None and sent[:2] == (item.due_on, item.revision):
                if sent[2]:
                    continue  # missed: nothing more for this revision
                when = _day_start(item.due_on.toordinal() + 1, tz)
            else:
                when = _day_start(item.due_on.toordinal() - REPORTING_LEAD_DAYS, tz)
            if soonest is None or when < soonest:
                soonest = when
        return soonest

    def _kind(
        self, item: Watched, now: float, tz: pendulum.Timezone
    ) -> type[ev.DeadlineApproaching | ev.DeadlineMissed] | None:
        sent = self.alerts.get(item.name)
        current = sent is not None and sent[:2] == (item.due_on, item.revision)
        if current and sent is not None and sent[2]:
            return None
        if now >= _day_start(item.due_on.toordinal() + 1, tz):
            return ev.DeadlineMissed
        if not current and now >= _day_start(item.due_on.toordinal() - REPORTING_LEAD_DAYS, tz):
            return ev.DeadlineApproaching
        return None

    def periods(
        self, starts_on: pendulum.Date, ends_on: pendulum.Date, calendar: WorkingCalendar
    ) -> tuple[ReportingPeriod, ...]:
        """The periods as they stand (none without a plan)."""
        if self.plan is None:
            return ()
        return derive_periods(starts_on, ends_on, self.plan, calendar, self.submitted)

    # -- deciding ------------------------------------------------------------------------

    def decide(
        self,
        command: c.Command,
        at: pendulum.DateTime,
        seq: int,
        periods: tuple[ReportingPeriod, ...],
    ) -> ev.Event:
        """The event ``command`` makes, or the error naming why it can't.

        Raises:
            ValidationError: naming the field: no plan, an unknown period or deliverable, a
                report or deliverable submitted twice or late without a justification, a
                locked deliverable, a due date moved to the past.
        """
        base: dict[str, Any] = {"seq": seq, "at": at, "note": command.note}
        match command:
            case c.PlanReporting():
                if self.submitted:
                    raise ValidationError(
                        "period_months", "reports are submitted already: the plan can't change"
                    )
                return ev.ReportingPlanned(
                    **base, period_months=command.period_months, report_days=command.report_days
                )
            case c.SubmitReport():
                period = self._period(command.period, periods)
                if period.submitted_at is not None:
                    raise ValidationError(
                        "period", f"the report of period {period.number} is submitted already"
                    )
                if at.date() <= period.ends_on:
                    raise ValidationError(
                        "period",
                        f"period {period.number} ends on {period.ends_on}: report after it",
                    )
                late = at.date() > period.report_due_on
                _justified(
                    late,
                    command.justification,
                    f"period {period.number}'s report",
                    period.report_due_on,
                )
                return ev.ReportSubmitted(
                    **base,
                    period=period.number,
                    period_starts_on=period.starts_on,
                    period_ends_on=period.ends_on,
                    due_on=period.report_due_on,
                    late=late,
                    justification=command.justification,
                )
            case c.DeclareDeliverable():
                if command.name in self.deliverables:
                    raise ValidationError("name", f"{show(command.name)} is declared already")
                return ev.DeliverableDeclared(**base, name=command.name, due_on=command.due_on)
            case c.DraftDeliverable():
                record = self._deliverable(command.name)
                if record.status not in (DeliverableStatus.PENDING, DeliverableStatus.RETURNED):
                    raise ValidationError("name", _locked(record))
                return ev.DeliverableDrafted(**base, name=record.name)
            case c.SubmitDeliverable():
                record = self._deliverable(command.name)
                if record.status in (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED):
                    raise ValidationError("name", _locked(record))
                late = at.date() > record.due_on
                _justified(late, command.justification, show(record.name), record.due_on)
                return ev.DeliverableSubmitted(
                    **base, name=record.name, late=late, justification=command.justification
                )
            case c.ReviewDeliverable():
                record = self._deliverable(command.name)
                if record.status is not DeliverableStatus.SUBMITTED:
                    raise ValidationError(
                        "name",
                        f"{show(record.name)} is {record.status.value}: only a submitted one "
                        "is reviewed",
                    )
                if not command.accepted and not command.reason:
                    raise ValidationError("reason", "say why the deliverable is returned")
                return ev.DeliverableReviewed(
                    **base,
                    name=record.name,
                    accepted=command.accepted,
                    by=command.by,
                    reason=command.reason,
                )
            case c.MoveDeliverableDue():
                record = self._deliverable(command.name)
                if record.status in (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED):
                    raise ValidationError("name", _locked(record))
                if command.due_on <= at.date():
                    raise ValidationError(
                        "due_on", f"{command.due_on} is not in the future ({at.date()})"
                    )
                return ev.DeliverableDueMoved(
                    **base, name=record.name, previous=record.due_on, due_on=command.due_on
                )
        raise ValidationError("command", f"{type(command).__name__} is not a reporting command")

    def _period(self, number: int, periods: tuple[ReportingPeriod, ...]) -> ReportingPeriod:
        if self.plan is None:
            raise ValidationError("period", "the programme has no reporting plan (plan_reporting)")
        for period in periods:
            if period.number == number:
                return period
        raise ValidationError(
            "period", f"{show(number)} is not a reporting period (1 to {len(periods)})"
        )

    def _deliverable(self, name: str) -> DeliverableRecord:
        try:
            return self.deliverables[name]
        except KeyError:
            raise ValidationError("name", f"{show(name)} is not a declared deliverable") from None

    # -- applying ------------------------------------------------------------------------

    def apply(self, event: ev.Event) -> None:
        """Apply an event `decide` made."""
        match event:
            case ev.ReportingPlanned():
                self.plan = event
                self.active = True
            case ev.ReportSubmitted():
                self.submitted[event.period] = event
            case ev.DeliverableDeclared():
                self.deliverables[event.name] = DeliverableRecord(
                    name=event.name, due_on=event.due_on
                )
                self.active = True
            case ev.DeliverableDrafted():
                self._evolve(event.name, status=DeliverableStatus.DRAFT)
            case ev.DeliverableSubmitted():
                self._evolve(
                    event.name,
                    status=DeliverableStatus.SUBMITTED,
                    submitted_at=event.at,
                    late=event.late,
                    justification=event.justification,
                )
            case ev.DeliverableReviewed():
                status = (
                    DeliverableStatus.ACCEPTED if event.accepted else DeliverableStatus.RETURNED
                )
                self._evolve(event.name, status=status, reviewed_by=event.by, reason=event.reason)
            case ev.DeliverableDueMoved():
                record = self.deliverables[event.name]
                self._evolve(event.name, due_on=event.due_on, revision=record.revision + 1)
            case ev.DeadlineApproaching() | ev.DeadlineMissed() if is_reporting_deadline(
                event.deadline
            ):
                missed = isinstance(event, ev.DeadlineMissed)
                self.alerts[event.deadline] = (event.due_on, event.revision, missed)

    def _evolve(self, name: str, **changes: Any) -> None:
        self.deliverables[name] = attrs.evolve(self.deliverables[name], **changes)


def _day_start(ordinal: int, tz: pendulum.Timezone) -> float:
    return wall_time(ordinal, tz).timestamp()


def _justified(late: bool, justification: str | None, what: str, due_on: pendulum.Date) -> None:
    if late and not justification:
        raise ValidationError(
            "justification", f"{what} was due on {due_on}: a late submission needs a justification"
        )


def _locked(record: DeliverableRecord) -> str:
    return (
        f"{show(record.name)} is {record.status.value}: it is locked until it is returned"
        if record.status is DeliverableStatus.SUBMITTED
        else f"{show(record.name)} is {record.status.value}"
    )


REPORTING_COMMANDS: tuple[type[c.Command], ...] = (
    c.PlanReporting,
    c.SubmitReport,
    c.DeclareDeliverable,
    c.DraftDeliverable,
    c.SubmitDeliverable,
    c.ReviewDeliverable,
    c.MoveDeliverableDue,
)
"""The commands `Reporting.decide` takes."""
