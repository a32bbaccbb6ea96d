"""The valid next move of a pair, and walking a pair to a phase through real commands."""

from __future__ import annotations

import pendulum

from .._core.programme import Pair
from .._domain import commands as c
from .._domain.lifecycle import Lifecycle, PairStatus, Phase
from .._domain.model import Role, StudyVisit, VisitMode


def free_host(pair: Pair, lifecycle: Lifecycle) -> Role:
    """A role that may still host a visit (the mentee first, as in IncluCities)."""
    limits = lifecycle.visit_hosts
    if limits is None:
        return Role.MENTEE
    for role in (Role.MENTEE, Role.MENTOR):
        if sum(1 for v in pair.visits if v.host is role) < limits.get(role, 0):
            return role
    return Role.MENTEE


def needed_visit(pair: Pair) -> int | None:
    """The visit number the pair's current phase still needs, if any."""
    lifecycle = pair.programme.lifecycle
    if pair.phase not in lifecycle.order:
        return None
    number = lifecycle.step(pair.phase).visit
    if number is None or number in {v.number for v in pair.visits}:
        return None
    return number


def next_move(pair: Pair, at: pendulum.DateTime, *, days: int = 2) -> c.PairCommand | None:
    """The command that moves ``pair`` on at ``at``: resume it, record the visit or register
    the deliverable its phase needs (a visit of ``days`` days ending that day), or complete
    its phase; None once it has completed or withdrawn."""
    if pair.status is PairStatus.SUSPENDED:
        return c.Resume(pair=pair.key, at=at)
    if pair.status is not PairStatus.ACTIVE:
        return None
    lifecycle = pair.programme.lifecycle
    number = needed_visit(pair)
    if number is not None:
        ends = at.date()
        visit = StudyVisit(
            number=number,
            host=free_host(pair, lifecycle),
            mode=VisitMode.IN_PERSON,
            starts_on=ends.subtract(days=days - 1),
            ends_on=ends,
        )
        return c.RecordVisit(pair=pair.key, visit=visit, at=at)
    missing = sorted(lifecycle.step(pair.phase).requires - set(pair.deliverables))
    if missing:
        return c.RegisterDeliverable(pair=pair.key, deliverable=missing[0], at=at)
    return c.Complete(pair=pair.key, phase=pair.phase, at=at)


def phase_index(lifecycle: Lifecycle, phase: str) -> int:
    """How far ``phase`` is in ``lifecycle`` (its length for `Phase.COMPLETED`)."""
    if phase == Phase.COMPLETED:
        return len(lifecycle.order)
    return lifecycle.order.index(phase)
