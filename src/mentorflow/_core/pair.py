"""A pair: one mentor and one mentee city going through a lifecycle.

A `Pair` is a view of one `PairState` (its data and the name of its state in the engine's
machine) with typed command methods. Each method builds a command value
(``mentorflow.Complete`` ...) and hands it to its programme's transaction: the rules live in
the engine, shared by every pair. Pairs are made by `Programme.add_pair`, never directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import pendulum

from .._domain import commands as c
from .._domain.events import DeliverableRegistered, PairEvent
from .._domain.lifecycle import PairStatus
from .._domain.model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme
from .._domain.pair_state import PairState

if TYPE_CHECKING:
    from .programme import Programme
    from .runtime import Runtime


class Pair:
    """A mentor city and a mentee city working through a lifecycle, on a theme.

    Every command takes ``at`` (a timezone-aware datetime; default: the programme's clock)
    and an optional ``note``, returns the events it emitted, and either happens whole or
    raises `CommandRefused` leaving the pair exactly as it was.
    A completed or withdrawn pair accepts no command; a suspended pair accepts only
    `resume`, `withdraw` and `replace_partner`. Each method is `Programme.execute` of the
    command value it names (``pair.complete(p)`` is ``execute(Complete(pair=key, phase=p))``).
    """

    __slots__ = ("_rt", "_s")

    def __init__(self, runtime: Runtime, state: PairState) -> None:
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
        return self._rt.programme

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
            f"<Pair {s.key!r}: {s.mentor.city.name} -> {s.mentee.city.name}, "
            f"{self.phase} ({self.status.value})>"
        )
