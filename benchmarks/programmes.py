"""The programmes, partners and instants the targets share, built from the public API only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pendulum

from mentorflow import (
    Association,
    City,
    DeadlineRule,
    Event,
    Lifecycle,
    Pair,
    Partner,
    Phase,
    Programme,
    Theme,
)

TIMEZONE = "Europe/Brussels"
LIFECYCLE = Lifecycle.linear(Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.TRANSFER_WORKSHOP)
THEME = Theme.PARTICIPATION_AND_SOCIAL_INCLUSION
STARTS_ON = pendulum.date(2020, 6, 17)
ENDS_ON = pendulum.date(2022, 12, 31)
ENROL_AT = pendulum.datetime(2020, 6, 17, 10, tz=TIMEZONE)
COMPLETE_AT = pendulum.datetime(2020, 8, 12, 10, tz=TIMEZONE)
COMPLETE_AT_STDLIB = dt.datetime(2020, 8, 12, 8, tzinfo=dt.UTC)


def partner(city: str, country: str, association: str, subdivision: str | None = None) -> Partner:
    """A city and its national association."""
    return Partner(
        city=City(name=city, country=country, subdivision=subdivision),
        association=Association(name=association, country=country),
    )


MENTOR = partner("Mechelen", "BE", "VVSG")
MENTEE = partner("Capaci", "IT", "AICCRE", "PA")

# Targets 3 and 5: six IncluCities partners (30 ordered pairings, 15 distinct pair calendars).
PARTNERS = (
    partner("Mechelen", "BE", "VVSG"),
    partner("Saint-Jean-de-la-Ruelle", "FR", "AFCCRE"),
    partner("Capaci", "IT", "AICCRE", "PA"),
    partner("Fuenlabrada", "ES", "FEMP", "MD"),
    partner("Livadia", "GR", "KEDE"),
    partner("Jelgava", "LV", "LALRG"),
)
PAIRINGS = tuple((a, b) for a in PARTNERS for b in PARTNERS if a is not b)

# Target 3: deadline rules for three phases and two milestones.
DEADLINE_RULES = (
    DeadlineRule("needs_assessment", after="programme.start", months=3, lead_days=14),
    DeadlineRule("matching", after="needs_assessment.completed", weeks=6),
    DeadlineRule("transfer_workshop", after="matching.completed", working_days=40, lead_days=10),
    DeadlineRule("final_conference", after="programme.end", capped=True, lead_days=30),
    DeadlineRule("final_report", after="final_conference", days=60),
)


def new_programme(hook: Callable[[Event], object] | None = None) -> Programme:
    """An empty programme with the three-phase lifecycle (and ``hook`` after every event)."""
    programme = Programme(
        "Benchmark", starts_on=STARTS_ON, ends_on=ENDS_ON, timezone=TIMEZONE, lifecycle=LIFECYCLE
    )
    if hook is not None:
        programme.subscribe(Event, hook)
    return programme


def add_pairs(programme: Programme, n: int) -> list[Pair]:
    """``n`` new pairs with distinct keys and the same two partners."""
    add = programme.add_pair
    return [
        add(f"pair-{i:06d}", mentor=MENTOR, mentee=MENTEE, theme=THEME, at=ENROL_AT)
        for i in range(n)
    ]


def build_programme(n: int) -> Programme:
    """A programme with ``n`` new pairs."""
    programme = new_programme()
    add = programme.add_pair
    for i in range(n):
        add(f"pair-{i:06d}", mentor=MENTOR, mentee=MENTEE, theme=THEME, at=ENROL_AT)
    return programme
