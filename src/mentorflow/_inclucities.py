"""IncluCities (2020-2023), the reference programme, as data and as a script of commands.

Facts from the public record (see the domain brief): the coordinator, the grant, the four pairs
with their associations and topics, the replacement of Partinico by Capaci, the phase order
(transfer workshops between the 2nd and 3rd visit rounds), the rounds' months and modes, the
three-month extension to 31 March 2023 and the final conference on 28-29 March 2023.

Illustrative, because the record does not say: the exact day of each step inside its month,
which of the four scheme areas each pair's topic belongs to, and when Capaci took over.
"""

from __future__ import annotations

import pendulum

from ._clock import Clock, ManualClock
from ._lifecycle import Lifecycle, Phase
from ._model import Association, City, Deliverable, Partner, Role, StudyVisit, Theme, VisitMode
from ._programme import Programme

TIMEZONE = "Europe/Brussels"

LIFECYCLE = Lifecycle.linear(
    Phase.NEEDS_ASSESSMENT,
    Phase.MATCHING,
    Phase.STUDY_VISIT_1,
    Phase.STUDY_VISIT_2,
    Phase.TRANSFER_WORKSHOP,
    Phase.STUDY_VISIT_3,
    Phase.TRAINING_ACADEMY,
    Phase.FINAL_REVIEW,
)
"""IncluCities ran its transfer workshops (Dec 2021 - Feb 2022) between visit rounds 2 and 3."""


def _partner(city: str, country: str, association: str, subdivision: str | None = None) -> Partner:
    return Partner(
        city=City(name=city, country=country, subdivision=subdivision),
        association=Association(name=association, country=country),
    )


BRULOCALIS = "Brulocalis"

PAIRS: dict[str, tuple[Partner, Partner, Theme, str]] = {
    "brussels-saint-jean": (
        _partner("City of Brussels", "BE", BRULOCALIS),
        _partner("Saint-Jean-de-la-Ruelle", "FR", "AFCCRE"),
        Theme.ACCESS_TO_BASIC_SERVICES,
        "gender-sensitive needs assessment",
    ),
    "mechelen-capaci": (
        _partner("Mechelen", "BE", "VVSG"),
        _partner("Partinico", "IT", "AICCRE", "PA"),  # replaced by Capaci, see play()
        Theme.PARTICIPATION_AND_SOCIAL_INCLUSION,
        'a city for all ("Buddies")',
    ),
    "fuenlabrada-livadia": (
        _partner("Fuenlabrada", "ES", "FEMP", "MD"),
        _partner("Livadia", "GR", "KEDE"),
        Theme.EDUCATION_AND_TRAINING,
        "decent employment and entrepreneurship",
    ),
    "schaerbeek-jelgava": (
        _partner("Schaerbeek", "BE", BRULOCALIS),
        _partner("Jelgava", "LV", "LALRG"),
        Theme.EDUCATION_AND_TRAINING,
        "language learning",
    ),
}

CAPACI = _partner("Capaci", "IT", "AICCRE", "PA")


def _at(year: int, month: int, day: int, hour: int = 17) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz=TIMEZONE)


def programme(clock: Clock | None = None) -> Programme:
    """The IncluCities programme at its virtual kick-off (17 June 2020), with its four pairs.

    Its end date is the extended one, 31 March 2023 (originally 31 December 2022).
    """
    clock = clock or ManualClock(_at(2020, 6, 17, 10))
    inclucities = Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2023, 3, 31),
        timezone=TIMEZONE,
        lifecycle=LIFECYCLE,
        clock=clock,
        coordinator="CEMR",
        funding_reference="AMIF-2018-AG-INTE no. 863770",
    )
    kickoff = _at(2020, 6, 17, 10)
    for key, (mentor, mentee, theme, topic) in PAIRS.items():
        inclucities.add_pair(
            key,
            mentor=mentor,
            mentee=mentee,
            theme=theme,
            topic=topic,
            at=kickoff,
            note="virtual kick-off",
        )
    return inclucities


# Round 2 was in person at the mentor city; rounds 1 and 3 were hosted by the mentees.
_ROUNDS = (
    (Phase.STUDY_VISIT_1, 1, Role.MENTEE, VisitMode.ONLINE, (2021, 5, 11)),
    (Phase.STUDY_VISIT_2, 2, Role.MENTOR, VisitMode.IN_PERSON, (2021, 10, 19)),
    (Phase.STUDY_VISIT_3, 3, Role.MENTEE, VisitMode.IN_PERSON, (2022, 4, 26)),
)


def play(inclucities: Programme) -> None:
    """Walk every pair through the lifecycle as IncluCities happened (days illustrative)."""
    for offset, pair in enumerate(inclucities.pairs.values()):
        stagger = offset * 7  # the pairs' visits of one round were spread over weeks
        if pair.key == "mechelen-capaci":
            pair.replace_partner(
                Role.MENTEE, CAPACI, at=_at(2020, 9, 15), note="Partinico replaced by Capaci"
            )
        pair.complete(Phase.NEEDS_ASSESSMENT, at=_at(2020, 9, 30), note="needs assessed")
        pair.complete(Phase.MATCHING, at=_at(2020, 10, 30), note="benchmarks and key factors")
        for phase, number, host, mode, (y, m, d) in _ROUNDS:
            starts = pendulum.date(y, m, d).add(days=stagger)
            ends = starts.add(days=2)
            at = _at(ends.year, ends.month, ends.day)
            pair.record_visit(
                StudyVisit(number=number, host=host, mode=mode, starts_on=starts, ends_on=ends),
                at=at,
            )
            if phase == Phase.STUDY_VISIT_3:
                pair.register_deliverable(
                    Deliverable.ACTION_PLAN, at=at.add(weeks=6), note="mentee's Action Plan"
                )
            pair.complete(phase, at=at.add(weeks=6))
            if phase == Phase.STUDY_VISIT_2:
                workshop = _at(2021, 12, 14).add(weeks=3 * offset)
                pair.complete(Phase.TRANSFER_WORKSHOP, at=workshop, note="transfer workshop")
        academy = _at(2022, 11, 15).add(days=stagger)
        pair.register_deliverable(
            Deliverable.ONE_STOP_SHOP, at=academy.subtract(days=1), note="mentor's one-stop-shop"
        )
        pair.complete(Phase.TRAINING_ACADEMY, at=academy, note="training academy")
        pair.complete(Phase.FINAL_REVIEW, at=_at(2023, 3, 29), note="final conference, Brussels")
