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
    PairEvent,
    PartnerReplaced,
    VisitRecorded,
)
from .model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme

# most pairs never record a visit or a deliverable: they share one read-only empty mapping
_NONE: Mapping[Any, Any] = MappingProxyType({})


_CARRY_DATA = frozenset({VisitRecorded, DeliverableRegistered, BenchmarksDefined, PartnerReplaced})
"""The event types whose data a pair keeps (events are final classes: no subclasses)."""


class PairState:
    """One pair's data and the name of its state in the engine's machine.

    Attributes:
        key: The pair's key.
        state: The engine's state name (``"matching"``, ``"suspended:matching"``, ...).
        last_at: When the pair last changed; commands can't be dated earlier.
        history: The pair's events, oldest first.
    """

    __slots__ = (
        "benchmarks",
        "deliverables",
        "history",
        "key",
        "last_at",
        "mentee",
        "mentor",
        "state",
        "support_network",
        "theme",
        "topic",
        "visits",
    )

    def __init__(
        self,
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
        self.key = key
        self.mentor = mentor
        self.mentee = mentee
        self.theme = theme
        self.topic = topic
        self.benchmarks = benchmarks
        self.support_network = support_network
        self.state = state
        self.last_at = at
        self.history: list[PairEvent] = []
        self.visits: Mapping[int, StudyVisit] = _NONE
        self.deliverables: Mapping[Deliverable, DeliverableRegistered] = _NONE

    def partner(self, role: Role) -> Partner:
        """The partner playing ``role``."""
        return self.mentor if role is Role.MENTOR else self.mentee

    def fold(self, events: Sequence[PairEvent], state: str | None, at: pendulum.DateTime) -> None:
        """Apply a command's ``events``: the new machine ``state`` (None: unchanged), the data
        the events carry, the time, and the pair's history."""
        if state is not None:
            self.state = state
        for event in events:
            if type(event) not in _CARRY_DATA:
                continue  # most events only move the state: one set lookup, no isinstance chain
            if isinstance(event, VisitRecorded):
                self.visits = {**self.visits, event.visit.number: event.visit}
            elif isinstance(event, DeliverableRegistered):
                self.deliverables = {**self.deliverables, event.deliverable: event}
            elif isinstance(event, BenchmarksDefined):
                self.benchmarks = event.benchmarks
            elif isinstance(event, PartnerReplaced):
                if event.role is Role.MENTOR:
                    self.mentor = event.replacement
                else:
                    self.mentee = event.replacement
        self.last_at = at
        self.history.extend(events)
