"""Strategies for the event types: field values valid by construction."""

from __future__ import annotations

import functools
from typing import Any

import pendulum
from hypothesis import strategies as st

from .._domain import events as ev
from .._domain.deadlines import Offset, Unit
from .._domain.definition import Definition
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.model import Deliverable, Role, Theme
from ._strategies import (
    STANDARD_PHASES,
    activities,
    benchmarks,
    dates,
    deadline_rules,
    instants,
    lifecycles,
    partners,
    study_visits,
)

_phase = st.sampled_from(STANDARD_PHASES)
_key = st.from_regex(r"[a-z]{2,8}(-[a-z]{2,8})?", fullmatch=True)
_deliverable = st.sampled_from(["D1.1 Baseline study", "D2.1 Transfer plan"])
_note = st.none() | st.from_regex(r"[A-Za-z][a-z ]{0,20}", fullmatch=True)


def _base(pair: bool = True) -> dict[str, st.SearchStrategy[Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "seq": st.integers(1, 10**6),
        "at": instants(),
        "note": _note,
    }
    if pair:
        fields["pair"] = _key
    return fields


def _definitions() -> st.SearchStrategy[Definition]:
    """Definitions of a drawn lifecycle and rules (a migration's event holds one)."""
    return lifecycles().flatmap(
        lambda lifecycle: st.builds(
            Definition,
            name=st.just("IncluCities"),
            starts_on=st.just(pendulum.Date(2020, 6, 17)),
            ends_on=st.just(pendulum.Date(2022, 12, 31)),
            timezone=st.sampled_from(["UTC", "Europe/Brussels"]),
            lifecycle=st.just(lifecycle),
            deadlines=deadline_rules(lifecycle=lifecycle),
            version=st.integers(2, 5),
        )
    )


@functools.cache
def event_strategies() -> dict[type, st.SearchStrategy[Any]]:
    """A strategy for each event type."""
    extensions = st.builds(
        Extension,
        key=st.integers(1, 99).map(lambda n: f"E{n}"),
        phase=st.none() | _phase,
        pair=st.none() | _key,
        offset=st.integers(1, 12).map(lambda n: Offset(amount=n, unit=Unit.MONTHS)),
        reason=st.just("Covid-19"),
        requested_at=instants(),
        status=st.just(ExtensionStatus.REQUESTED),
    )
    return {
        ev.PairEnrolled: st.builds(
            ev.PairEnrolled,
            **_base(),
            mentor=partners(),
            mentee=partners(),
            theme=st.sampled_from(Theme),
            topic=st.none() | st.just("language learning"),
            benchmarks=st.lists(benchmarks(), max_size=2).map(tuple),
            support_network=st.lists(st.just("a diaspora association"), max_size=1).map(tuple),
        ),
        ev.PhaseStarted: st.builds(ev.PhaseStarted, **_base(), phase=_phase),
        ev.PhaseCompleted: st.builds(ev.PhaseCompleted, **_base(), phase=_phase),
        ev.PairCompleted: st.builds(ev.PairCompleted, **_base()),
        ev.VisitRecorded: st.builds(
            ev.VisitRecorded, **_base(), phase=_phase, visit=study_visits()
        ),
        ev.DeliverableRegistered: st.builds(
            ev.DeliverableRegistered,
            **_base(),
            phase=_phase,
            deliverable=st.sampled_from(Deliverable),
            reference=st.none() | st.just("https://example.org/plan.pdf"),
        ),
        ev.BenchmarksDefined: st.builds(
            ev.BenchmarksDefined,
            **_base(),
            phase=_phase,
            benchmarks=st.lists(benchmarks(), max_size=3).map(tuple),
        ),
        ev.PairSuspended: st.builds(ev.PairSuspended, **_base(), phase=_phase),
        ev.PairResumed: st.builds(ev.PairResumed, **_base(), phase=_phase),
        ev.PairWithdrawn: st.builds(ev.PairWithdrawn, **_base(), phase=_phase),
        ev.PartnerReplaced: st.builds(
            ev.PartnerReplaced,
            **_base(),
            phase=_phase,
            role=st.sampled_from(Role),
            previous=partners(),
            replacement=partners(),
        ),
        ev.DeadlineApproaching: st.builds(
            ev.DeadlineApproaching,
            **_base(pair=False),
            deadline=_phase,
            pair=st.none() | _key,
            due_on=dates(),
            revision=st.integers(0, 5),
        ),
        ev.DeadlineMissed: st.builds(
            ev.DeadlineMissed,
            **_base(pair=False),
            deadline=_phase,
            pair=st.none() | _key,
            due_on=dates(),
            revision=st.integers(0, 5),
        ),
        ev.MilestoneReached: st.builds(
            ev.MilestoneReached, **_base(pair=False), milestone=st.just("final_conference")
        ),
        ev.ExtensionRequested: st.builds(
            ev.ExtensionRequested, **_base(pair=False), extension=extensions
        ),
        ev.ExtensionGranted: st.builds(
            ev.ExtensionGranted, **_base(pair=False), extension=st.just("E1"), by=st.just("REA")
        ),
        ev.ExtensionRefused: st.builds(
            ev.ExtensionRefused,
            **_base(pair=False),
            extension=st.just("E1"),
            by=st.none() | st.just("REA"),
            reason=st.none() | st.just("no answer within 45 days"),
        ),
        ev.DefinitionMigrated: st.builds(
            ev.DefinitionMigrated,
            **_base(pair=False),
            definition=_definitions(),
            phases=st.dictionaries(_phase, _phase, max_size=2),
            previous_version=st.integers(1, 4),
        ),
        ev.ActivityHeld: st.builds(
            ev.ActivityHeld,
            **_base(pair=False),
            activity=activities(),
            pairs=st.lists(_key, max_size=3, unique=True).map(tuple),
            milestone=st.none() | st.just("final_conference"),
        ),
        ev.ReportingPlanned: st.builds(
            ev.ReportingPlanned,
            **_base(pair=False),
            period_months=st.integers(1, 24),
            report_days=st.integers(0, 90),
        ),
        ev.ReportSubmitted: st.builds(
            ev.ReportSubmitted,
            **_base(pair=False),
            period=st.integers(1, 6),
            period_starts_on=dates(),
            period_ends_on=dates(),
            due_on=dates(),
            late=st.booleans(),
            justification=st.none() | st.just("the auditor was ill"),
        ),
        ev.DeliverableDeclared: st.builds(
            ev.DeliverableDeclared, **_base(pair=False), name=_deliverable, due_on=dates()
        ),
        ev.DeliverableDrafted: st.builds(
            ev.DeliverableDrafted, **_base(pair=False), name=_deliverable
        ),
        ev.DeliverableSubmitted: st.builds(
            ev.DeliverableSubmitted,
            **_base(pair=False),
            name=_deliverable,
            late=st.booleans(),
            justification=st.none() | st.just("late data"),
        ),
        ev.DeliverableReviewed: st.builds(
            ev.DeliverableReviewed,
            **_base(pair=False),
            name=_deliverable,
            accepted=st.booleans(),
            by=st.just("project officer"),
            reason=st.none() | st.just("incomplete"),
        ),
        ev.DeliverableDueMoved: st.builds(
            ev.DeliverableDueMoved,
            **_base(pair=False),
            name=_deliverable,
            previous=dates(),
            due_on=dates(),
        ),
        ev.PairMigrated: st.builds(
            ev.PairMigrated,
            **_base(),
            phase=_phase,
            to=_phase,
            skipped=st.lists(_phase, max_size=2, unique=True).map(tuple),
            version=st.integers(2, 5),
        ),
    }
