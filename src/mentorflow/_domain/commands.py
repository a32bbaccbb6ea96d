"""Commands: frozen values of what is asked of a programme or one of its pairs.

A command is data: build one, hand it to `Programme.execute`, store it, send it to another
process, draw it in a property test. `Pair` and `Programme` methods build the same values, a
scenario's script is a list of dated commands, and replay turns logged events back into the
commands that made them (`command_of`). Each command checks its own fields when it is made
(a `ValidationError` naming the field); whether it is allowed *now* is the engine's and the
policy's to say when it runs.

``at`` is when the command happens (timezone-aware); None means "now" on the programme's clock.

Examples:
    >>> import pendulum
    >>> from mentorflow import Complete, Phase
    >>> command = Complete(pair="mechelen-capaci", phase=Phase.MATCHING,
    ...                    at=pendulum.datetime(2020, 10, 1, 17, tz="Europe/Brussels"))
    >>> command.pair, command.phase
    ('mechelen-capaci', <Phase.MATCHING: 'matching'>)
    >>> Complete(pair="mechelen-capaci", phase=3)
    Traceback (most recent call last):
    ...
    mentorflow.exceptions.ValidationError: phase: must be a phase name, not int
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pendulum

from ..exceptions import DefinitionError, ValidationError
from . import events as ev
from . import validate as v
from .deadlines import Offset, Unit
from .definition import Definition
from .model import (
    Activity,
    Benchmark,
    Deliverable,
    Partner,
    Role,
    StudyVisit,
    Theme,
    theme_value,
)
from .validate import show
from .values import maker


def _at(_inst: Any, _attr: Any, value: Any) -> None:
    if value is not None and not isinstance(value, dt.datetime):
        raise ValidationError("at", f"must be a datetime or None, not {type(value).__name__}")


def _note(_inst: Any, _attr: Any, value: Any) -> None:
    if value is not None and type(value) is not str:
        raise ValidationError("note", f"must be a string or None, not {type(value).__name__}")
    if value is not None:
        v.unicode("note", value)


def _phase(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError("phase", f"must be a phase name, not {type(value).__name__}")


def _optional_str(field: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise ValidationError(field, f"must be a string or None, not {type(value).__name__}")
        if value is not None:
            v.unicode(field, value)

    return check


def _benchmarks(value: Iterable[Benchmark]) -> tuple[Benchmark, ...]:
    return v.tuple_of("benchmarks", Benchmark, value)


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return v.text_tuple("support_network", value)


def _deliverable(value: Any) -> Deliverable:
    try:
        return Deliverable(value)
    except (ValueError, TypeError, RecursionError):
        raise ValidationError("deliverable", f"{show(value)} is not a Deliverable") from None


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except (ValueError, TypeError, RecursionError):
        raise ValidationError("role", f"{show(value)} is not a Role") from None


def _theme(value: Any) -> str:
    return theme_value(value)


def _reason(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("reason", "give the reason for the extension")
    v.unicode("reason", value)


def _by(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("by", "say who decided")
    v.unicode("by", value)


def _positive_offset(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, Offset):
        raise ValidationError("offset", f"must be an Offset, not {type(value).__name__}")
    if value.amount <= 0:
        raise ValidationError(value.unit.value, f"must be a whole number > 0, not {value.amount}")


def _key(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValidationError("key", f"{show(value)} is not a non-empty key without outer spaces")
    v.unicode("key", value)


def offset_of(
    days: int | None, weeks: int | None, months: int | None, offset: Offset | None = None
) -> Offset:
    """The one ``Offset`` given as ``days=``, ``weeks=``, ``months=`` or ``offset=`` (exactly
    one; an ``Offset`` re-issues one taken from an `Extension`, say).

    Raises:
        ValidationError: naming the field, for none or several, or an amount that is not a
            whole number > 0.
    """
    given = [
        (unit, amount)
        for unit, amount in ((Unit.DAYS, days), (Unit.WEEKS, weeks), (Unit.MONTHS, months))
        if amount is not None
    ]
    if offset is not None:
        if given:
            raise ValidationError("offset", "give an offset or days=, weeks=, months=, not both")
        _positive_offset(None, None, offset)
        return offset
    if len(given) != 1:
        raise ValidationError("days", "give exactly one of days=, weeks=, months= or offset=")
    unit, amount = given[0]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(unit.value, f"must be a whole number > 0, not {show(amount)}")
    return Offset(amount=amount, unit=unit)


def _check_base(command: Command) -> None:
    """The fields every command has (one call, not one validator a field: commands are made
    on every method call, and the pair commands are the hot path)."""
    at, note, key = command.at, command.note, command.idempotency_key
    if at is not None and not isinstance(at, dt.datetime):
        _at(None, None, at)
    if note is not None and (type(note) is not str or not note.isascii()):
        _note(None, None, note)
    if key is not None and (type(key) is not str or not key.strip()):
        raise ValidationError("idempotency_key", f"must be a non-empty string, not {key!r}")


def _check_pair(command: PairCommand) -> None:
    _check_base(command)
    if type(command.pair) is not str:
        v.instance_of("pair", str)(None, None, command.pair)


@attrs.frozen(kw_only=True)
class Command:
    """Base of every command.

    Attributes:
        at: When it happens (timezone-aware); None means now, on the programme's clock.
        note: A free-text note, kept on the events it emits.
        idempotency_key: Optional. A command with a key already committed in the programme
            is not run again: `Programme.execute` returns the events it emitted then and
            appends nothing (a retried request). Kept on the command's first event, so it
            survives restore (the store keeps it beside that event's document); every key is
            remembered as long as the log.
    """

    at: dt.datetime | None = None
    note: str | None = None
    idempotency_key: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_base(self)


@attrs.frozen(kw_only=True)
class PairCommand(Command):
    """Base of the commands to one pair.

    Attributes:
        pair: The pair's key.
    """

    pair: str

    def __attrs_post_init__(self) -> None:
        _check_pair(self)


@attrs.frozen(kw_only=True)
class Enrol(Command):
    """Enrol a pair; it starts in the lifecycle's first phase (`Programme.add_pair`)."""

    pair: str = attrs.field(validator=_key)
    mentor: Partner = attrs.field(validator=v.instance_of("mentor", Partner))
    mentee: Partner = attrs.field(validator=v.instance_of("mentee", Partner))
    theme: str = attrs.field(converter=_theme)
    """A `Theme`, or a theme of the programme's own (`theme_value`)."""
    topic: str | None = attrs.field(default=None, validator=v.optional_text("topic"))
    benchmarks: tuple[Benchmark, ...] = attrs.field(default=(), converter=_benchmarks)
    support_network: tuple[str, ...] = attrs.field(default=(), converter=_names)

    def __attrs_post_init__(self) -> None:
        _check_base(self)
        if self.mentor.city == self.mentee.city:
            raise ValidationError("mentee", f"{self.mentee.city.name} is also the mentor")


_make_enrol = maker(Enrol, checked_by_caller=True)


def enrol(
    pair: str,
    mentor: Partner,
    mentee: Partner,
    theme: Theme | str,
    topic: str | None,
    benchmarks: Iterable[Benchmark],
    support_network: Iterable[str],
    at: dt.datetime | None,
    note: str | None,
) -> Enrol:
    """``Enrol(pair=pair, ...)``, made fast in the usual case (`Programme.add_pair` with an
    ASCII key without outer spaces, two `Partner` values of different cities, a `Theme`, a
    pendulum ``at`` or none, and no topic, benchmarks, support network or note), where these
    tests are all the validators and converters would do; else the class call checks it all."""
    if (
        type(pair) is str
        and pair
        and pair.isascii()  # no lone surrogate
        and pair == pair.strip()
        and type(mentor) is Partner
        and type(mentee) is Partner
        and type(theme) is Theme
        and topic is None
        and type(benchmarks) is tuple
        and not benchmarks
        and type(support_network) is tuple
        and not support_network
        and note is None
        and (at is None or type(at) is pendulum.DateTime)
        and mentor.city != mentee.city
    ):
        return _make_enrol(at, None, None, pair, mentor, mentee, theme, None, (), ())
    return Enrol(
        pair=pair,
        mentor=mentor,
        mentee=mentee,
        theme=theme,
        topic=topic,
        benchmarks=benchmarks,
        support_network=support_network,
        at=at,
        note=note,
    )


@attrs.frozen(kw_only=True)
class Complete(PairCommand):
    """Complete ``phase`` (the pair's current one) and start the next (`Pair.complete`)."""

    phase: str

    def __attrs_post_init__(self) -> None:
        _check_pair(self)
        if not isinstance(self.phase, str):
            _phase(None, None, self.phase)


_make_complete = maker(Complete)


def complete(pair: str, phase: str, at: dt.datetime | None, note: str | None) -> Complete:
    """``Complete(pair=pair, phase=phase, at=at, note=note)``, made fast in the usual case
    (`Pair.complete`, a simulation: a ``str`` key and phase, a pendulum ``at`` or none, an
    ASCII note or none), whose fields need no more checks than these type tests; else the
    class call checks them all."""
    if (
        type(pair) is str
        and isinstance(phase, str)
        and (note is None or (type(note) is str and note.isascii()))
        and (at is None or type(at) is pendulum.DateTime)
    ):
        return _make_complete(at, note, None, pair, phase)
    return Complete(pair=pair, phase=phase, at=at, note=note)


@attrs.frozen(kw_only=True)
class RecordVisit(PairCommand):
    """Record the study visit of the current visit phase (`Pair.record_visit`)."""

    visit: StudyVisit

    def __attrs_post_init__(self) -> None:
        _check_pair(self)
        v.instance_of("visit", StudyVisit)(None, None, self.visit)


@attrs.frozen(kw_only=True)
class RegisterDeliverable(PairCommand):
    """Register a deliverable; a new registration supersedes the last."""

    deliverable: Deliverable = attrs.field(converter=_deliverable)
    reference: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_pair(self)
        _optional_str("reference")(None, None, self.reference)


@attrs.frozen(kw_only=True)
class DefineBenchmarks(PairCommand):
    """Define the pair's benchmarks, replacing any defined before."""

    benchmarks: tuple[Benchmark, ...] = attrs.field(converter=_benchmarks)


@attrs.frozen(kw_only=True)
class Suspend(PairCommand):
    """Pause the pair in its current phase."""


@attrs.frozen(kw_only=True)
class Resume(PairCommand):
    """Continue a suspended pair where it was suspended."""


@attrs.frozen(kw_only=True)
class Withdraw(PairCommand):
    """Take the pair out of the programme for good."""


@attrs.frozen(kw_only=True)
class ReplacePartner(PairCommand):
    """Replace the mentor or the mentee by another city."""

    role: Role = attrs.field(converter=_role)
    partner: Partner

    def __attrs_post_init__(self) -> None:
        _check_pair(self)
        v.instance_of("partner", Partner)(None, None, self.partner)


@attrs.frozen(kw_only=True)
class ReachMilestone(Command):
    """Record that a milestone (e.g. the final conference) was reached."""

    milestone: str = attrs.field(validator=v.instance_of("name", str))


@attrs.frozen(kw_only=True)
class HoldActivity(Command):
    """Record a programme-wide activity held: it involves every pair enrolled and not
    withdrawn, whatever phase each is in (`Programme.hold_activity`).

    Attributes:
        activity: The `Activity` (a transnational meeting, a network visit, a conference).
        milestone: A milestone it reaches too (``"final_conference"``): the `ActivityHeld`
            event records both, and deadlines counted from the milestone count from its day.
    """

    activity: Activity = attrs.field(validator=v.instance_of("activity", Activity))
    milestone: str | None = attrs.field(default=None, validator=v.optional_text("milestone"))


@attrs.frozen(kw_only=True)
class RequestExtension(Command):
    """Request an extension of the programme's end, or (with ``phase``) of a phase deadline.

    Attributes:
        reason: Why.
        offset: By how much (more than zero).
        phase: The phase whose deadline it moves; None for the programme's end.
        pair: With ``phase``, the pair; None for every pair.
    """

    reason: str = attrs.field(validator=_reason)
    offset: Offset = attrs.field(validator=_positive_offset)
    phase: str | None = attrs.field(default=None, validator=_optional_str("phase"))
    pair: str | None = attrs.field(default=None, validator=_optional_str("pair"))

    def __attrs_post_init__(self) -> None:
        _check_base(self)
        if self.pair is not None and self.phase is None:
            raise ValidationError("pair", "a pair's extension is of a phase: give the phase")


@attrs.frozen(kw_only=True)
class GrantExtension(Command):
    """Grant a requested extension (``"E1"``, ...)."""

    extension: str = attrs.field(validator=v.instance_of("extension", str))
    by: str = attrs.field(validator=_by)


@attrs.frozen(kw_only=True)
class RefuseExtension(Command):
    """Refuse a requested extension."""

    extension: str = attrs.field(validator=v.instance_of("extension", str))
    by: str = attrs.field(validator=_by)
    reason: str | None = attrs.field(default=None, validator=_optional_str("reason"))


@attrs.frozen(kw_only=True)
class CheckDeadlines(Command):
    """Emit the deadline alerts and extension lapses that became due by ``at``."""


_make_check = maker(CheckDeadlines)


def check_deadlines(at: dt.datetime | None) -> CheckDeadlines:
    """``CheckDeadlines(at=at)``, made fast when ``at`` is a pendulum time or None (a check
    with nothing due costs little more than this); else the class call checks it."""
    if at is None or type(at) is pendulum.DateTime:
        return _make_check(at, None, None)
    return CheckDeadlines(at=at)


def _definition(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, Definition):
        raise DefinitionError("definition", f"must be a Definition, not {type(value).__name__}")


def _mapping(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise DefinitionError(
            "phases", f"must map old phases to new ones, not {type(value).__name__}"
        )
    for old, new in value.items():
        if not isinstance(old, str) or not isinstance(new, str):
            raise DefinitionError(f"phases[{old!r}]", f"must map a phase name to one, not {new!r}")
    return dict(value)


@attrs.frozen(kw_only=True)
class Migrate(Command):
    """Run the programme on a new version of its definition from ``at`` on
    (`Programme.migrate`; `Programme.plan_migration` shows what it would do).

    Attributes:
        definition: The new definition: a higher ``version``, the same name, start and
            timezone; the lifecycle, deadline rules, policies and the rest may change.
        phases: Where the pairs in each *changed* phase go: ``{"study_visit_3":
            "transfer_workshop"}``. A phase is changed when the new lifecycle drops it or
            changes which phases come before it; a pair in it needs a mapping (to the same
            phase, to stay; to ``"completed"``, to finish). A mapped phase moves every active
            or suspended pair in it.
    """

    definition: Definition = attrs.field(validator=_definition)
    phases: Mapping[str, str] = attrs.field(factory=dict, converter=_mapping, hash=False)


def _whole(field: str, low: int, high: int) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValidationError(
                field, f"must be a whole number from {low} to {high}, not {show(value)}"
            )

    return check


def _due_on(value: Any) -> pendulum.Date:
    return v.date_value("due_on", value)


def _flag(field: str) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValidationError(field, f"must be True or False, not {show(value)}")

    return check


@attrs.frozen(kw_only=True)
class PlanReporting(Command):
    """Plan the programme's reporting: periods of ``period_months`` from the start (the last
    one shortened to the end), a periodic report due ``report_days`` after each
    (`Programme.plan_reporting`)."""

    period_months: int = attrs.field(validator=_whole("period_months", 1, 120))
    report_days: int = attrs.field(default=60, validator=_whole("report_days", 0, 366))


@attrs.frozen(kw_only=True)
class SubmitReport(Command):
    """Submit the periodic report of period ``period``; late, it needs a ``justification``."""

    period: int = attrs.field(validator=_whole("period", 1, 1200))
    justification: str | None = attrs.field(
        default=None, validator=v.optional_text("justification")
    )


@attrs.frozen(kw_only=True)
class DeclareDeliverable(Command):
    """Declare a deliverable due on ``due_on``; it starts pending."""

    name: str = attrs.field(validator=v.text("name"))
    due_on: pendulum.Date = attrs.field(converter=_due_on)


@attrs.frozen(kw_only=True)
class DraftDeliverable(Command):
    """Start drafting a pending (or returned) deliverable."""

    name: str = attrs.field(validator=v.text("name"))


@attrs.frozen(kw_only=True)
class SubmitDeliverable(Command):
    """Submit a deliverable; late, it needs a ``justification``. It is locked from then on."""

    name: str = attrs.field(validator=v.text("name"))
    justification: str | None = attrs.field(
        default=None, validator=v.optional_text("justification")
    )


@attrs.frozen(kw_only=True)
class ReviewDeliverable(Command):
    """Accept a submitted deliverable, or return it (with a ``reason``) to be drafted again."""

    name: str = attrs.field(validator=v.text("name"))
    accepted: bool = attrs.field(validator=_flag("accepted"))
    by: str = attrs.field(validator=v.text("by"))
    reason: str | None = attrs.field(default=None, validator=v.optional_text("reason"))


@attrs.frozen(kw_only=True)
class MoveDeliverableDue(Command):
    """Move an unsubmitted deliverable's due date, to a day in the future."""

    name: str = attrs.field(validator=v.text("name"))
    due_on: pendulum.Date = attrs.field(converter=_due_on)


COMMANDS: tuple[type[Command], ...] = (
    Enrol,
    Complete,
    RecordVisit,
    RegisterDeliverable,
    DefineBenchmarks,
    Suspend,
    Resume,
    Withdraw,
    ReplacePartner,
    ReachMilestone,
    RequestExtension,
    GrantExtension,
    RefuseExtension,
    CheckDeadlines,
    Migrate,
    HoldActivity,
    PlanReporting,
    SubmitReport,
    DeclareDeliverable,
    DraftDeliverable,
    SubmitDeliverable,
    ReviewDeliverable,
    MoveDeliverableDue,
)
"""Every concrete command type."""


def command_of(event: ev.Event) -> Command | None:
    """The command that ``event`` records having been run, if it starts one.

    The first event of a command names it; events that follow in the same command (a
    ``PhaseStarted`` after a ``PhaseCompleted``) return None. Deadline alerts and lapses are
    recorded by `CheckDeadlines` at their instant.
    """
    at, note = event.at, event.note
    match event:
        case ev.PairEnrolled():  # `enrol` and `complete`: the class call, fast when it can be
            return enrol(
                event.pair,
                event.mentor,
                event.mentee,
                event.theme,
                event.topic,
                event.benchmarks,
                event.support_network,
                at,
                note,
            )
        case ev.PhaseCompleted():
            return complete(event.pair, event.phase, at, note)
        case ev.VisitRecorded():
            return RecordVisit(pair=event.pair, visit=event.visit, at=at, note=note)
        case ev.DeliverableRegistered():
            return RegisterDeliverable(
                pair=event.pair,
                deliverable=event.deliverable,
                reference=event.reference,
                at=at,
                note=note,
            )
        case ev.BenchmarksDefined():
            return DefineBenchmarks(pair=event.pair, benchmarks=event.benchmarks, at=at, note=note)
        case ev.PairSuspended():
            return Suspend(pair=event.pair, at=at, note=note)
        case ev.PairResumed():
            return Resume(pair=event.pair, at=at, note=note)
        case ev.PairWithdrawn():
            return Withdraw(pair=event.pair, at=at, note=note)
        case ev.PartnerReplaced():
            return ReplacePartner(
                pair=event.pair, role=event.role, partner=event.replacement, at=at, note=note
            )
        case ev.MilestoneReached():
            return ReachMilestone(milestone=event.milestone, at=at, note=note)
        case ev.ActivityHeld():
            return HoldActivity(
                activity=event.activity, milestone=event.milestone, at=at, note=note
            )
        case ev.ExtensionRequested():
            ext = event.extension
            return RequestExtension(
                reason=ext.reason,
                offset=ext.offset,
                phase=ext.phase,
                pair=ext.pair,
                at=at,
                note=note,
            )
        case ev.ExtensionGranted():
            return GrantExtension(extension=event.extension, by=event.by, at=at, note=note)
        case ev.ExtensionRefused() if event.by is not None:
            return RefuseExtension(
                extension=event.extension, by=event.by, reason=event.reason, at=at, note=note
            )
        case ev.ExtensionRefused() | ev.DeadlineApproaching() | ev.DeadlineMissed():
            return CheckDeadlines(at=at)
        case ev.ReportingPlanned():
            return PlanReporting(
                period_months=event.period_months, report_days=event.report_days, at=at, note=note
            )
        case ev.ReportSubmitted():
            return SubmitReport(
                period=event.period, justification=event.justification, at=at, note=note
            )
        case ev.DeliverableDeclared():
            return DeclareDeliverable(name=event.name, due_on=event.due_on, at=at, note=note)
        case ev.DeliverableDrafted():
            return DraftDeliverable(name=event.name, at=at, note=note)
        case ev.DeliverableSubmitted():
            return SubmitDeliverable(
                name=event.name, justification=event.justification, at=at, note=note
            )
        case ev.DeliverableReviewed():
            return ReviewDeliverable(
                name=event.name,
                accepted=event.accepted,
                by=event.by,
                reason=event.reason,
                at=at,
                note=note,
            )
        case ev.DeliverableDueMoved():
            return MoveDeliverableDue(name=event.name, due_on=event.due_on, at=at, note=note)
        case ev.DefinitionMigrated():
            return Migrate(definition=event.definition, phases=event.phases, at=at, note=note)
    return None


def fields_of(command: Command) -> dict[str, Any]:
    """The command's fields by name (for error messages and codecs)."""
    return attrs.asdict(command, recurse=False)
