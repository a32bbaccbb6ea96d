"""Helpers shared by tests: driving a pair, and snapshots to prove that nothing changed."""

from __future__ import annotations

import pendulum

from mentorflow import (
    Association,
    City,
    Deliverable,
    Pair,
    Partner,
    Phase,
    Role,
    StudyVisit,
    VisitMode,
)

TZ = "Europe/Brussels"
START = pendulum.datetime(2020, 6, 17, 10, tz=TZ)


def partner(city: str, country: str, association: str, subdivision: str | None = None) -> Partner:
    """A partner with a fresh city and association."""
    return Partner(
        city=City(name=city, country=country, subdivision=subdivision),
        association=Association(name=association, country=country),
    )


MECHELEN = partner("Mechelen", "BE", "VVSG")
CAPACI = partner("Capaci", "IT", "AICCRE", "PA")
PARTINICO = partner("Partinico", "IT", "AICCRE", "PA")


HOSTS = {1: Role.MENTEE, 2: Role.MENTOR, 3: Role.MENTEE}


def visit(number: int, on: pendulum.DateTime, host: Role | None = None) -> StudyVisit:
    """A two-day in-person visit ending on the day of ``on``."""
    day = on.date()
    return StudyVisit(
        number=number,
        host=host or HOSTS[number],
        mode=VisitMode.IN_PERSON,
        starts_on=day.subtract(days=1),
        ends_on=day,
    )


def finish_phase(pair: Pair, at: pendulum.DateTime) -> None:
    """Do whatever the current phase needs, then complete it (default rules)."""
    step = pair.programme.lifecycle.step(pair.phase)
    if step.visit is not None:
        pair.record_visit(visit(step.visit, at), at=at)
    for deliverable in sorted(step.requires):
        pair.register_deliverable(Deliverable(deliverable), at=at)
    pair.complete(pair.phase, at=at)


def advance_to(pair: Pair, phase: str, at: pendulum.DateTime) -> None:
    """Complete phases until ``pair`` is in ``phase``."""
    while pair.phase != phase:
        finish_phase(pair, at)


from mentorflow.testing import snapshot  # noqa: E402

__all__ = [
    "CAPACI",
    "MECHELEN",
    "PARTINICO",
    "START",
    "TZ",
    "Phase",
    "partner",
    "advance_to",
    "finish_phase",
    "snapshot",
    "visit",
]
