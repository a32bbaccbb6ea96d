"""Events: frozen, timestamped records of every change to a pair.

The engine emits them; hooks, histories and (later) the event log consume them. They hold plain
data only (keys, values, enums, pendulum times), never live objects, so they can be stored and
replayed.
"""

from __future__ import annotations

import attrs
import pendulum

from ._model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme


@attrs.frozen(kw_only=True)
class Event:
    """Base of every event.

    Attributes:
        seq: Position in the programme's merged history, from 1, with no gaps.
        pair: Key of the pair the event is about.
        at: When it happened, timezone-aware, in the programme's timezone.
        note: The free-text note given with the command, if any.
    """

    seq: int
    pair: str
    at: pendulum.DateTime
    note: str | None = None


@attrs.frozen(kw_only=True)
class PairEnrolled(Event):
    """A pair joined the programme (its first phase starts in the same command)."""

    mentor: Partner
    mentee: Partner
    theme: Theme
    topic: str | None = None
    benchmarks: tuple[Benchmark, ...] = ()
    support_network: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class PhaseStarted(Event):
    """A pair entered a phase."""

    phase: str


@attrs.frozen(kw_only=True)
class PhaseCompleted(Event):
    """A pair completed (left) a phase."""

    phase: str


@attrs.frozen(kw_only=True)
class PairCompleted(Event):
    """A pair completed its last phase; it accepts no more commands."""


@attrs.frozen(kw_only=True)
class VisitRecorded(Event):
    """A study visit was held and recorded, in ``phase``."""

    phase: str
    visit: StudyVisit


@attrs.frozen(kw_only=True)
class DeliverableRegistered(Event):
    """A deliverable was registered (a later registration of the same kind supersedes it)."""

    phase: str
    deliverable: Deliverable
    reference: str | None = None
    """Where to find it: a URL, a document number, a title."""


@attrs.frozen(kw_only=True)
class BenchmarksDefined(Event):
    """A pair's benchmarks (with their key factors) were defined, replacing any before."""

    phase: str
    benchmarks: tuple[Benchmark, ...]


@attrs.frozen(kw_only=True)
class PairSuspended(Event):
    """A pair was paused in ``phase``."""

    phase: str


@attrs.frozen(kw_only=True)
class PairResumed(Event):
    """A suspended pair continued in ``phase``, where it was."""

    phase: str


@attrs.frozen(kw_only=True)
class PairWithdrawn(Event):
    """A pair left the programme while in ``phase``; it accepts no more commands."""

    phase: str


@attrs.frozen(kw_only=True)
class PartnerReplaced(Event):
    """One side of a pair was replaced by another city (and its association)."""

    phase: str
    role: Role
    previous: Partner
    replacement: Partner


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
)
