"""IncluCities (2020-2023), the reference programme, as data and as a script of commands.

Facts from the public record (see the domain brief): the coordinator, the grant, the four pairs
with their associations and topics, the replacement of Partinico by Capaci, the phase order
(transfer workshops between the 2nd and 3rd visit rounds), the rounds' months and modes, the
end date of 31 December 2022, the three-month extension to 31 March 2023 and the final
conference on 28-29 March 2023.

Illustrative, because the record does not say: the exact day of each step inside its month,
which of the four scheme areas each pair's topic belongs to, when Capaci took over, when the
extension was requested and granted, and the deadline rules (a final report 60 days after the
final conference is the usual EU practice).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pendulum

from .._core.programme import Pair, Programme
from .._domain.clock import Clock, ManualClock
from .._domain.deadlines import DeadlineRule
from .._domain.lifecycle import Lifecycle, Phase
from .._domain.model import (
    Association,
    City,
    Deliverable,
    Partner,
    Role,
    StudyVisit,
    Theme,
    VisitMode,
)

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


DEADLINES = (
    DeadlineRule("final_conference", after="programme.end", capped=True, lead_days=60),
    DeadlineRule("final_report", after="final_conference", days=60),
    DeadlineRule(Phase.FINAL_REVIEW, after="programme.end", capped=True, lead_days=30),
)
"""The final conference before the end, the final report 60 days after it, and each pair's
final review by the end."""


def programme(clock: Clock | None = None) -> Programme:
    """The IncluCities programme at its virtual kick-off (17 June 2020), with its four pairs.

    It ends on 31 December 2022, as first planned; `play` extends it.
    """
    clock = clock or ManualClock(_at(2020, 6, 17, 10))
    inclucities = Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TIMEZONE,
        lifecycle=LIFECYCLE,
        clock=clock,
        coordinator="CEMR",
        funding_reference="AMIF-2018-AG-INTE no. 863770",
        country="BE",
        deadlines=DEADLINES,
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

Step = tuple[pendulum.DateTime, Callable[[], object]]


def _pair_steps(pair: Pair, offset: int) -> list[Step]:
    """What one pair did, dated (days illustrative inside the record's months)."""
    stagger = offset * 7  # the pairs' visits of one round were spread over weeks
    steps: list[Step] = []

    def at(
        when: pendulum.DateTime, command: Callable[..., object], *args: object, **kw: object
    ) -> None:
        steps.append((when, functools.partial(command, *args, at=when, **kw)))

    if pair.key == "mechelen-capaci":
        at(
            _at(2020, 9, 15),
            pair.replace_partner,
            Role.MENTEE,
            CAPACI,
            note="Partinico replaced by Capaci",
        )
    at(_at(2020, 9, 30), pair.complete, Phase.NEEDS_ASSESSMENT, note="needs assessed")
    at(_at(2020, 10, 30), pair.complete, Phase.MATCHING, note="benchmarks and key factors")
    for phase, number, host, mode, (y, m, d) in _ROUNDS:
        starts = pendulum.date(y, m, d).add(days=stagger)
        ends = starts.add(days=2)
        held = _at(ends.year, ends.month, ends.day)
        visit = StudyVisit(number=number, host=host, mode=mode, starts_on=starts, ends_on=ends)
        at(held, pair.record_visit, visit)
        if phase == Phase.STUDY_VISIT_3:
            at(
                held.add(weeks=6),
                pair.register_deliverable,
                Deliverable.ACTION_PLAN,
                note="mentee's Action Plan",
            )
        at(held.add(weeks=6), pair.complete, phase)
        if phase == Phase.STUDY_VISIT_2:
            workshop = _at(2021, 12, 14).add(weeks=3 * offset)
            at(workshop, pair.complete, Phase.TRANSFER_WORKSHOP, note="transfer workshop")
    academy = _at(2022, 11, 15).add(days=stagger)
    at(
        academy.subtract(days=1),
        pair.register_deliverable,
        Deliverable.ONE_STOP_SHOP,
        note="mentor's one-stop-shop",
    )
    at(academy, pair.complete, Phase.TRAINING_ACADEMY, note="training academy")
    at(_at(2023, 3, 29), pair.complete, Phase.FINAL_REVIEW, note="final conference, Brussels")
    return steps


def play(inclucities: Programme, *, extended: bool = True) -> None:
    """Replay IncluCities in date order: the pairs' lifecycles, the three-month extension
    (request and grant dates illustrative), the final conference of 28-29 March 2023, the final
    report (date illustrative), and a deadline check at the end of June 2023.

    With ``extended=False``, the same history without the extension: what would have been
    missed.
    """
    steps: list[Step] = []
    for offset, pair in enumerate(inclucities.pairs.values()):
        steps += _pair_steps(pair, offset)
    if extended:
        requested, granted = _at(2022, 9, 15), _at(2022, 10, 20)
        steps.append(
            (
                requested,
                functools.partial(
                    inclucities.request_extension,
                    months=3,
                    reason="Covid-19 moved the first study visits online and delayed the programme",
                    at=requested,
                ),
            )
        )
        steps.append((granted, functools.partial(_grant_first, inclucities, granted)))
    conference, report = _at(2023, 3, 29, 18), _at(2023, 5, 26)
    for name, when in (("final_conference", conference), ("final_report", report)):
        steps.append((when, functools.partial(inclucities.reach_milestone, name, at=when)))
    for _, step in sorted(steps, key=lambda s: s[0].timestamp()):
        step()
    inclucities.check_deadlines(at=_at(2023, 6, 30))


def _grant_first(inclucities: Programme, at: pendulum.DateTime) -> None:
    inclucities.grant_extension(inclucities.extensions[0].key, by="European Commission", at=at)
