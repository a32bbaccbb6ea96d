"""Events: frozen, timestamped records of every change to a pair.

The engine emits them; hooks, histories and (later) the event log consume them. They hold plain
data only (keys, values, enums, pendulum times), never live objects, so they can be stored and
replayed.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import pendulum

from .definition import Definition
from .extensions import Extension
from .model import Activity, Benchmark, Deliverable, Partner, Role, StudyVisit, theme_value
from .values import maker


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event.

    Attributes:
        seq: Position in the programme's merged history, from 1, with no gaps.
        at: When it happened, timezone-aware, in the programme's timezone.
        note: The free-text note given with the command, if any.
    """

    seq: int
    at: pendulum.DateTime
    note: str | None = None


@attrs.frozen(kw_only=True)
class PairEvent(Event):
    """Base of the events about one pair; they make up the pair's history.

    Attributes:
        pair: Key of the pair the event is about.
    """

    pair: str


@attrs.frozen(kw_only=True)
class PairEnrolled(PairEvent):
    """A pair joined the programme (its first phase starts in the same command)."""

    mentor: Partner
    mentee: Partner
    theme: str = attrs.field(converter=theme_value)
    """A `Theme`, or a theme of the programme's own."""
    topic: str | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    support_network: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PhaseStarted(PairEvent):
    """A pair entered a phase."""

    phase: str


@attrs.frozen(kw_only=True)
class PhaseCompleted(PairEvent):
    """A pair completed (left) a phase."""

    phase: str


@attrs.frozen(kw_only=True)
class PairCompleted(PairEvent):
    """A pair completed its last phase; it accepts no more commands."""


@attrs.frozen(kw_only=True)
class VisitRecorded(PairEvent):
    """A study visit was held and recorded, in ``phase``."""

    phase: str
    visit: StudyVisit


@attrs.frozen(kw_only=True)
class DeliverableRegistered(PairEvent):
    """A deliverable was registered (a later registration of the same kind supersedes it)."""

    phase: str
    deliverable: Deliverable
    reference: str | None = None
    """Where to find it: a URL, a document number, a title."""


@attrs.frozen(kw_only=True)
class BenchmarksDefined(PairEvent):
    """A pair's benchmarks (with their key factors) were defined, replacing any before."""

    phase: str
    benchmarks: tuple[Benchmark, ...]


@attrs.frozen(kw_only=True)
class PairSuspended(PairEvent):
    """A pair was paused in ``phase``."""

    phase: str


@attrs.frozen(kw_only=True)
class PairResumed(PairEvent):
    """A suspended pair continued in ``phase``, where it was."""

    phase: str


@attrs.frozen(kw_only=True)
class PairWithdrawn(PairEvent):
    """A pair left the programme while in ``phase``; it accepts no more commands."""

    phase: str


@attrs.frozen(kw_only=True)
class PartnerReplaced(PairEvent):
    """One side of a pair was replaced by another city (and its association)."""

    phase: str
    role: Role
    previous: Partner
    replacement: Partner


@attrs.frozen(kw_only=True)
class DeadlineApproaching(Event):
    """A deadline entered its warning lead time (once per revision of the deadline)."""

    deadline: str
    """The phase or milestone."""
    pair: str | None
    """The pair, for a phase deadline; None for a programme milestone."""
    due_on: pendulum.Date
    revision: int
    """Which revision of the deadline (0: never moved)."""


@attrs.frozen(kw_only=True)
class DeadlineMissed(Event):
    """A deadline passed unmet (once per revision of the deadline)."""

    deadline: str
    pair: str | None
    due_on: pendulum.Date
    revision: int


@attrs.frozen(kw_only=True)
class MilestoneReached(Event):
    """A programme milestone (the final conference, a report) was reached."""

    milestone: str


@attrs.frozen(kw_only=True)
class ActivityHeld(Event):
    """A programme-wide activity was held, involving ``pairs``: every pair enrolled and not
    withdrawn, whatever phase each was in."""

    activity: Activity
    pairs: tuple[str, ...]
    milestone: str | None = None
    """The milestone it reached too, if any."""


@attrs.frozen(kw_only=True)
class ReportingPlanned(Event):
    """The programme's reporting was planned: periods of ``period_months`` from the start, a
    periodic report due ``report_days`` after each."""

    period_months: int
    report_days: int


@attrs.frozen(kw_only=True)
class ReportSubmitted(Event):
    """A periodic report was submitted; its period and due date are kept as they were."""

    period: int
    period_starts_on: pendulum.Date
    period_ends_on: pendulum.Date
    due_on: pendulum.Date
    late: bool
    justification: str | None = None


@attrs.frozen(kw_only=True)
class DeliverableDeclared(Event):
    """A deliverable was declared, due on ``due_on`` (pending)."""

    name: str
    due_on: pendulum.Date


@attrs.frozen(kw_only=True)
class DeliverableDrafted(Event):
    """A deliverable went to draft."""

    name: str


@attrs.frozen(kw_only=True)
class DeliverableSubmitted(Event):
    """A deliverable was submitted (and is locked); ``late`` with its justification."""

    name: str
    late: bool
    justification: str | None = None


@attrs.frozen(kw_only=True)
class DeliverableReviewed(Event):
    """A submitted deliverable was accepted, or returned with a reason."""

    name: str
    accepted: bool
    by: str
    reason: str | None = None


@attrs.frozen(kw_only=True)
class DeliverableDueMoved(Event):
    """An unsubmitted deliverable's due date moved from ``previous`` to ``due_on``."""

    name: str
    previous: pendulum.Date
    due_on: pendulum.Date


@attrs.frozen(kw_only=True)
class ExtensionRequested(Event):
    """An extension of the programme or of a phase was requested."""

    extension: Extension


@attrs.frozen(kw_only=True)
class ExtensionGranted(Event):
    """An extension was granted; the deadlines that depend on it have moved."""

    extension: str
    """The extension's key."""
    by: str


@attrs.frozen(kw_only=True)
class ExtensionRefused(Event):
    """An extension was refused, or lapsed with no answer (``by`` is None)."""

    extension: str
    by: str | None
    reason: str | None = None


@attrs.frozen(kw_only=True)
class DefinitionMigrated(Event):
    """The programme runs a new version of its definition from now on (`Migrate`).

    The pairs it moves follow, each with a `PairMigrated` (and a `PhaseStarted` of the phase
    it moved to); every deadline it moves gets a revision naming ``definition.version``.
    """

    definition: Definition
    """The new definition, whole: replaying the log applies it at this point."""
    phases: Mapping[str, str] = attrs.field(factory=dict, hash=False)
    """Where the pairs in each changed phase went: old phase -> new phase."""
    previous_version: int
    """The version of the definition it replaced."""


@attrs.frozen(kw_only=True)
class PairMigrated(PairEvent):
    """A migration moved a pair from ``phase`` to ``to`` (the same phase when the pair stays
    where it was, as the mapping said)."""

    phase: str
    """Where the pair was."""
    to: str
    """Where it is now (its status is unchanged)."""
    skipped: tuple[str, ...] = ()
    """The phases before ``to`` in the new order that the pair never completed: their
    deadlines are no longer watched for it."""
    version: int
    """The version of the definition it was migrated to."""


EVENT_TYPES: tuple[type[Event], ...] = (
    PairEnrolled,
    PhaseStarted,
    PhaseCompleted,
    PairCompleted,
    VisitRecorded,
    DeliverableRegistered,
    BenchmarksDefined,
    PairSuspended,
    PairResumed,
    PairWithdrawn,
    PartnerReplaced,
    DeadlineApproaching,
    DeadlineMissed,
    MilestoneReached,
    ExtensionRequested,
    ExtensionGranted,
    ExtensionRefused,
    DefinitionMigrated,
    PairMigrated,
    ActivityHeld,
    ReportingPlanned,
    ReportSubmitted,
    DeliverableDeclared,
    DeliverableDrafted,
    DeliverableSubmitted,
    DeliverableReviewed,
    DeliverableDueMoved,
)

# Positional, unchecked constructors of the events the hot paths make by the million from
# checked commands (`values.maker`): enrolments and phase changes.
make_pair_enrolled = maker(
    PairEnrolled, checked_by_caller=True
)  # the Enrol command converted its theme
make_phase_started = maker(PhaseStarted)
make_phase_completed = maker(PhaseCompleted)
make_pair_completed = maker(PairCompleted)
