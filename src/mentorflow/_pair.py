"""A pair: one mentor and one mentee city going through a lifecycle.

A `Pair` is a small slotted object holding its own data and the name of its state; the
rules live in the engine, shared by every pair (see ``_engine.py``). Pairs are made by
`Programme.add_pair`, never directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pendulum

from . import _engine as e
from ._events import (
    BenchmarksDefined,
    DeliverableRegistered,
    PairEvent,
    PartnerReplaced,
    VisitRecorded,
)
from ._lifecycle import PairStatus
from ._model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme
from ._validate import tuple_of
from .exceptions import ValidationError

if TYPE_CHECKING:
    from ._programme import Programme


_NONE: Mapping[Any, Any] = MappingProxyType({})


class Pair:
    """A mentor city and a mentee city working through a lifecycle, on a theme.

    Every command takes ``at`` (a timezone-aware datetime; default: the programme's clock)
    and an optional ``note``, returns the events it emitted, and either happens whole or
    raises `CommandRefused` leaving the pair exactly as it was.
    A completed or withdrawn pair accepts no command; a suspended pair accepts only
    `resume`, `withdraw` and `replace_partner`.
    """

    __slots__ = (
        "_benchmarks",
        "_deliverables",
        "_history",
        "_key",
        "_last_at",
        "_mentee",
        "_mentor",
        "_programme",
        "_state",
        "_support_network",
        "_theme",
        "_topic",
        "_visits",
    )

    def __init__(
        self,
        programme: Programme,
        key: str,
        *,
        mentor: Partner,
        mentee: Partner,
        theme: Theme,
        topic: str | None,
        benchmarks: tuple[Benchmark, ...],
        support_network: tuple[str, ...],
        state: str,
        at: pendulum.DateTime,
    ) -> None:
        self._programme = programme
        self._key = key
        self._mentor = mentor
        self._mentee = mentee
        self._theme = theme
        self._topic = topic
        self._benchmarks = benchmarks
        self._support_network = support_network
        self._state = state
        self._last_at = at
        self._history: list[PairEvent] = []
        # most pairs never get here: share one read-only empty mapping until the first write
        self._visits: Mapping[int, StudyVisit] = _NONE
        self._deliverables: Mapping[Deliverable, DeliverableRegistered] = _NONE

    # -- what the pair is --------------------------------------------------------------

    @property
    def key(self) -> str:
        """The pair's key, unique in its programme."""
        return self._key

    @property
    def programme(self) -> Programme:
        """The programme the pair belongs to."""
        return self._programme

    @property
    def mentor(self) -> Partner:
        """The mentor city and its association."""
        return self._mentor

    @property
    def mentee(self) -> Partner:
        """The mentee city and its association."""
        return self._mentee

    def partner(self, role: Role) -> Partner:
        """The partner playing ``role``."""
        return self._mentor if role is Role.MENTOR else self._mentee

    @property
    def theme(self) -> Theme:
        """The scheme area the pair works on."""
        return self._theme

    @property
    def topic(self) -> str | None:
        """The pair's own topic, in words."""
        return self._topic

    @property
    def benchmarks(self) -> tuple[Benchmark, ...]:
        """The benchmarks defined for the pair, with their key factors."""
        return self._benchmarks

    @property
    def support_network(self) -> tuple[str, ...]:
        """The local stakeholders who join the study visits."""
        return self._support_network

    # -- where it stands ---------------------------------------------------------------

    @property
    def phase(self) -> str:
        """The current phase (kept while suspended or withdrawn; ``completed`` at the end)."""
        return self._programme._engine.phase_of[self._state]

    @property
    def status(self) -> PairStatus:
        """Active, suspended, withdrawn or completed."""
        return self._programme._engine.status_of[self._state]

    @property
    def history(self) -> tuple[PairEvent, ...]:
        """Every event of the pair, oldest first."""
        return tuple(self._history)

    @property
    def last_changed_at(self) -> pendulum.DateTime:
        """When the pair last changed; a command can't be dated earlier."""
        return self._last_at

    @property
    def visits(self) -> tuple[StudyVisit, ...]:
        """The recorded study visits, by number."""
        return tuple(self._visits[n] for n in sorted(self._visits))

    @property
    def deliverables(self) -> Mapping[Deliverable, DeliverableRegistered]:
        """The latest registration of each deliverable."""
        return MappingProxyType(self._deliverables)

    def can_complete(self, *, at: dt.datetime | None = None) -> bool:
        """Whether `complete` of the current phase would pass the rules now (hooks aside)."""
        cmd = e.Command(e.COMPLETE, self._programme._instant(at), None, self.phase)
        return self._programme._engine.check(self, cmd) is None

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
        if not isinstance(phase, str):
            raise ValidationError("phase", f"must be a phase name, not {type(phase).__name__}")
        return self._run(e.COMPLETE, at, note, phase)

    def record_visit(
        self, visit: StudyVisit, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Record the study visit of the current study visit phase, once it has been held.

        Raises:
            CommandRefused: rule ``not-a-visit-phase``, ``wrong-visit`` (its number is not the
                phase's), ``visit-already-recorded``, ``visit-not-held`` (it ends after
                ``at``), or ``visit-hosts`` (its host has hosted all the visits it may).
        """
        if not isinstance(visit, StudyVisit):
            raise ValidationError("visit", f"must be a StudyVisit, not {type(visit).__name__}")
        return self._run(e.RECORD_VISIT, at, note, visit)

    def register_deliverable(
        self,
        deliverable: Deliverable,
        *,
        reference: str | None = None,
        at: dt.datetime | None = None,
        note: str | None = None,
    ) -> tuple[PairEvent, ...]:
        """Register a deliverable (e.g. the Action Plan); a new registration supersedes the last."""
        try:
            kind = Deliverable(deliverable)
        except ValueError:
            raise ValidationError("deliverable", f"{deliverable!r} is not a Deliverable") from None
        if reference is not None and not isinstance(reference, str):
            raise ValidationError("reference", f"must be a string, not {type(reference).__name__}")
        return self._run(e.REGISTER_DELIVERABLE, at, note, (kind, reference))

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
        defined = tuple_of("benchmarks", Benchmark, benchmarks)
        return self._run(e.DEFINE_BENCHMARKS, at, note, defined)

    def suspend(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Pause the pair in its current phase."""
        return self._run(e.SUSPEND, at, note)

    def resume(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Continue a suspended pair in the phase where it was suspended."""
        return self._run(e.RESUME, at, note)

    def withdraw(
        self, *, at: dt.datetime | None = None, note: str | None = None
    ) -> tuple[PairEvent, ...]:
        """Take the pair out of the programme for good."""
        return self._run(e.WITHDRAW, at, note)

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
        try:
            which = Role(role)
        except ValueError:
            raise ValidationError("role", f"{role!r} is not a Role") from None
        if not isinstance(partner, Partner):
            raise ValidationError("partner", f"must be a Partner, not {type(partner).__name__}")
        return self._run(e.REPLACE_PARTNER, at, note, partner, which)

    def _run(
        self,
        name: str,
        at: dt.datetime | None,
        note: str | None,
        arg: object = None,
        role: object = None,
    ) -> tuple[PairEvent, ...]:
        if note is not None and not isinstance(note, str):
            raise ValidationError("note", f"must be a string, not {type(note).__name__}")
        programme = self._programme
        if programme._in_before_hook:
            programme._refuse_reentry(self._key, name, self.phase, self.status.value)
        cmd = e.Command(name, programme._instant(at), note, arg, role)
        return programme._record(self, programme._engine.execute(self, cmd), cmd.at)

    def _apply(self, event: PairEvent) -> None:
        """Fold the data part of ``event`` into the pair (the engine has set the state)."""
        if isinstance(event, VisitRecorded):
            self._visits = {**self._visits, event.visit.number: event.visit}
        elif isinstance(event, DeliverableRegistered):
            self._deliverables = {**self._deliverables, event.deliverable: event}
        elif isinstance(event, BenchmarksDefined):
            self._benchmarks = event.benchmarks
        elif isinstance(event, PartnerReplaced):
            if event.role is Role.MENTOR:
                self._mentor = event.replacement
            else:
                self._mentee = event.replacement

    def __repr__(self) -> str:
        return (
            f"<Pair {self._key!r}: {self._mentor.city.name} -> {self._mentee.city.name}, "
            f"{self.phase} ({self.status.value})>"
        )
