"""A pair's state as data: what the engine decides from and what a transaction applies to.

`Pair` (the public object) is a view of one `PairState`; the engine reads it, and the
transaction folds a command's events into it with `fold`. Nothing else changes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pendulum

from .events import (
    BenchmarksDefined,
    DeliverableRegistered,
    PairEnrolled,
    PairEvent,
    PartnerReplaced,
    VisitRecorded,
)
from .model import Benchmark, Deliverable, Partner, Role, StudyVisit
from .older import LazyEvents

# most pairs never record a visit or a deliverable: they share one read-only empty mapping
_NONE: Mapping[Any, Any] = MappingProxyType({})


class PairState:
    """One pair's data and the name of its state in the engine's machine.

    A programme of 100,000 pairs holds 100,000 of these, so only what a command's rules read
    on every call is kept apart (the state, the visits, the deliverables); the rest (the key,
    theme, topic, support network, partners, benchmarks, the time of the last change) is read
    from the pair's own events, which the history keeps anyway.

    Attributes:
        state: The engine's state name (``"matching"``, ``"suspended:matching"``, ...).
        history: The pair's events, oldest first (the first is its `PairEnrolled`).
        visits: The recorded study visits by number.
        deliverables: The latest registration of each deliverable.
        view: The public `Pair` of this state (set by the programme that enrols it).
    """

    __slots__ = ("deliverables", "history", "state", "view", "visits")

    def __init__(self, enrolment: Sequence[PairEvent], *, state: str) -> None:
        """Args:
        enrolment: The enrolment's events (`PairEnrolled` first).
        state: The engine's first state.
        """
        self.state = state
        self.history: list[PairEvent] | LazyEvents[PairEvent] = list(enrolment)
        self.visits: Mapping[int, StudyVisit] = _NONE
        self.deliverables: Mapping[Deliverable, DeliverableRegistered] = _NONE
        self.view: object = None

    @classmethod
    def restored(
        cls,
        history: LazyEvents[PairEvent],
        state: str,
        visits: Mapping[int, StudyVisit],
        deliverables: Mapping[Deliverable, DeliverableRegistered],
    ) -> PairState:
        """The state of a pair restored from a snapshot: its ``history`` not read yet (see
        `LazyEvents`), the rest as the snapshot says."""
        made = cls.__new__(cls)
        made.state, made.history, made.view = state, history, None
        made.visits = visits or _NONE
        made.deliverables = deliverables or _NONE
        return made

    @property
    def enrolment(self) -> PairEnrolled:
        """The pair's first event."""
        return self.history[0]  # type: ignore[return-value]  # always a PairEnrolled

    @property
    def key(self) -> str:
        """The pair's key."""
        history = self.history
        if type(history) is LazyEvents and history.pair is not None:
            return history.pair  # without reading the older events
        return history[0].pair

    @property
    def last_at(self) -> pendulum.DateTime:
        """When the pair last changed; commands can't be dated earlier."""
        history = self.history
        if type(history) is LazyEvents:
            return history.last_at  # without reading the older events
        return history[-1].at

    @property
    def mentor(self) -> Partner:
        """The mentor city and its association, as last replaced."""
        return self.partner(Role.MENTOR)

    @property
    def mentee(self) -> Partner:
        """The mentee city and its association, as last replaced."""
        return self.partner(Role.MENTEE)

    @property
    def benchmarks(self) -> tuple[Benchmark, ...]:
        """The benchmarks as last defined."""
        for event in reversed(self.history):
            if type(event) is BenchmarksDefined:
                return event.benchmarks
        return self.enrolment.benchmarks

    def partner(self, role: Role) -> Partner:
        """The partner playing ``role`` (the last replacement's, or the enrolment's)."""
        for event in reversed(self.history):
            if type(event) is PartnerReplaced and event.role is role:
                return event.replacement
        enrolled = self.enrolment
        return enrolled.mentor if role is Role.MENTOR else enrolled.mentee

    def fold(self, events: Sequence[PairEvent], state: str | None) -> None:
        """Apply a command's ``events``: the new machine ``state`` (None: unchanged), the data
        the rules read, and the pair's history (the rest is read from it)."""
        if state is not None:
            self.state = state
        for event in events:
            kind = type(event)
            if kind is VisitRecorded:
                self.visits = {**self.visits, event.visit.number: event.visit}  # type: ignore[attr-defined]
            elif kind is DeliverableRegistered:
                self.deliverables = {**self.deliverables, event.deliverable: event}  # type: ignore[attr-defined,dict-item]
        self.history.extend(events)
