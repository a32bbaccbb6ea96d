"""Type-checked only (mypy --strict): the matching how-to's API in use, as a user writes it."""

from __future__ import annotations

import pendulum

from mentorflow import Association, City, Enrol, Event, Partner, Programme, ReplacePartner, Role
from mentorflow.matching import (
    Affinity,
    Candidate,
    Constraints,
    Criterion,
    Match,
    Method,
    Pairing,
    Pool,
    Proposal,
    Replacement,
    Review,
    Score,
    Scores,
    load_pool,
    proposal_csv,
    proposal_json,
    proposal_table,
    propose,
    rematch,
    score_pairs,
)


def city(key: str, name: str, country: str, association: str) -> Candidate:
    partner = Partner(
        city=City(name=name, country=country),
        association=Association(name=association, country=country),
    )
    return Candidate(key=key, partner=partner, languages=["nl"], themes=["housing"], capacity=2)


def experience(mentor: Candidate, mentee: Candidate) -> float:
    return 1.0 if mentor.population and mentee.population else 0.0


pool: Pool = Pool(
    mentors=[city("mechelen", "Mechelen", "BE", "VVSG")],
    mentees=[city("capaci", "Capaci", "IT", "AICCRE")],
    criteria=[Criterion("topics", 3), Criterion("experience", 1, score=experience)],
    constraints=Constraints(shared_language=True, min_score=0.1, pinned=[("mechelen", "capaci")]),
    affinities=[Affinity(mentor="mechelen", mentee="capaci", score=0.9)],
)
forbidden: Pool = pool.forbid("mechelen", "capaci", reason="paired before")
pairing: Pairing = forbidden.constraints.forbidden[0]
scores: Scores = score_pairs(load_pool("inclucities"))
explained: str = scores.of("brussels", "saint-jean").explain()
ranked: tuple[Score, ...] = scores.options("jelgava")

proposal: Proposal = propose(pool, Method.STABLE, compare=True)
first: Match = proposal.matches[0]
loss: float | None = proposal.greedy_loss
review: Review = proposal.pin("mechelen", "capaci").review(min_score=0.5, min_share=1.0)
passed: bool = review.passed
text: str = proposal_table(proposal) + proposal_csv(proposal) + proposal_json(proposal)

programme = Programme(
    "IncluCities",
    starts_on=pendulum.date(2020, 6, 17),
    ends_on=pendulum.date(2022, 12, 31),
    timezone="Europe/Brussels",
)
commands: tuple[Enrol, ...] = proposal.enrolments()
events: tuple[Event, ...] = proposal.publish(programme)
replacement: Replacement = rematch(programme, first.key, Role.MENTEE, pool)
command: ReplacePartner = replacement.command(choice="capaci")
