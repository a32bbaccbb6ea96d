"""A pool: the candidates on both sides, with the criteria and constraints to match them by.

The pool is the whole input of a matching: the same pool and method give the same proposal,
and its `digest` names that input in the notes of the pairs it publishes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

import attrs

from .._domain import validate as v
from ..exceptions import ValidationError
from .candidates import Affinity, Candidate
from .rules import DEFAULT_CRITERIA, Constraints, Criterion, Pairing, criteria_of


def _mentors(value: Iterable[Candidate]) -> tuple[Candidate, ...]:
    return v.tuple_of("mentors", Candidate, value)


def _mentees(value: Iterable[Candidate]) -> tuple[Candidate, ...]:
    return v.tuple_of("mentees", Candidate, value)


def _affinities(value: Iterable[Affinity]) -> tuple[Affinity, ...]:
    return v.tuple_of("affinities", Affinity, value)


@attrs.frozen(kw_only=True)
class Pool:
    """Mentor and mentee candidates, and how to match them.

    Args:
        mentors: The cities that could mentor.
        mentees: The cities that could be mentored (each takes one mentor).
        criteria: The weighted criteria of the score (default `DEFAULT_CRITERIA`).
        constraints: The hard constraints, pins and forbidden pairs.
        affinities: A facilitator's scores of some pairs, for the ``affinity`` criterion.
        name: What the pool is, for reports.
        note: A remark printed with every report (for instance: "scores are illustrative").

    Raises:
        ValidationError: naming the field, e.g. ``mentees[2].capacity`` or
            ``constraints.pinned[0].mentor``.
    """

    mentors: tuple[Candidate, ...] = attrs.field(converter=_mentors)
    mentees: tuple[Candidate, ...] = attrs.field(converter=_mentees)
    criteria: tuple[Criterion, ...] = attrs.field(default=DEFAULT_CRITERIA, converter=criteria_of)
    constraints: Constraints = attrs.field(
        factory=Constraints, validator=v.instance_of("constraints", Constraints)
    )
    affinities: tuple[Affinity, ...] = attrs.field(default=(), converter=_affinities)
    name: str = attrs.field(default="candidates", validator=v.text("name"))
    note: str | None = attrs.field(default=None, validator=v.optional_text("note"))

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        for side, candidates in (("mentors", self.mentors), ("mentees", self.mentees)):
            for i, candidate in enumerate(candidates):
                where = f"{side}[{i}]"
                if candidate.key in seen:
                    raise ValidationError(
                        f"{where}.key",
                        f"{candidate.key!r} is also the key of {seen[candidate.key]}",
                    )
                seen[candidate.key] = where
                if side == "mentees" and candidate.capacity != 1:
                    raise ValidationError(
                        f"{where}.capacity", f"a mentee has one mentor, not {candidate.capacity}"
                    )
        mentors = {c.key for c in self.mentors}
        mentees = {c.key for c in self.mentees}
        for side, candidates, others in (
            ("mentors", self.mentors, mentees),
            ("mentees", self.mentees, mentors),
        ):
            for i, candidate in enumerate(candidates):
                for k, key in enumerate(candidate.preferences):
                    if key not in others:
                        raise ValidationError(
                            f"{side}[{i}].preferences[{k}]",
                            f"{key!r} is not a candidate on the other side",
                        )
        for field, pairings in (
            ("constraints.pinned", self.constraints.pinned),
            ("constraints.forbidden", self.constraints.forbidden),
        ):
            for i, pairing in enumerate(pairings):
                _check_known(f"{field}[{i}]", pairing.mentor, pairing.mentee, mentors, mentees)
        self._check_pins()
        pairs: set[tuple[str, str]] = set()
        for i, affinity in enumerate(self.affinities):
            where = f"affinities[{i}]"
            _check_known(where, affinity.mentor, affinity.mentee, mentors, mentees)
            if (affinity.mentor, affinity.mentee) in pairs:
                raise ValidationError(
                    where, f"{affinity.mentor}-{affinity.mentee} has an affinity already"
                )
            pairs.add((affinity.mentor, affinity.mentee))

    def _check_pins(self) -> None:
        capacity = {c.key: c.capacity for c in self.mentors}
        taken: dict[str, str] = {}
        for i, pin in enumerate(self.constraints.pinned):
            where = f"constraints.pinned[{i}]"
            if pin.mentee in taken:
                raise ValidationError(
                    f"{where}.mentee", f"{pin.mentee!r} is pinned to {taken[pin.mentee]!r} already"
                )
            taken[pin.mentee] = pin.mentor
            capacity[pin.mentor] -= 1
            if capacity[pin.mentor] < 0:
                raise ValidationError(
                    f"{where}.mentor", f"{pin.mentor!r} is pinned to more mentees than it can take"
                )

    def mentor(self, key: str) -> Candidate:
        """The mentor candidate with this key.

        Raises:
            ValidationError: ``mentor``, if there is none.
        """
        return _find("mentor", self.mentors, key)

    def mentee(self, key: str) -> Candidate:
        """The mentee candidate with this key.

        Raises:
            ValidationError: ``mentee``, if there is none.
        """
        return _find("mentee", self.mentees, key)

    def pin(self, mentor: str, mentee: str, *, reason: str | None = None) -> Pool:
        """This pool with the pair pinned (and no longer forbidden, if it was).

        Raises:
            ValidationError: naming ``constraints.pinned[i]``, if the mentee is pinned to
                another mentor already or the mentor has no capacity left for it.
        """
        pairing = Pairing(mentor, mentee, reason=reason)
        rules = self.constraints
        pinned = (*(p for p in rules.pinned if p != pairing), pairing)
        forbidden = tuple(p for p in rules.forbidden if p != pairing)
        constraints = attrs.evolve(rules, pinned=pinned, forbidden=forbidden)
        return attrs.evolve(self, constraints=constraints)

    def forbid(self, mentor: str, mentee: str, *, reason: str | None = None) -> Pool:
        """This pool with the pair forbidden (and no longer pinned, if it was)."""
        pairing = Pairing(mentor, mentee, reason=reason)
        pinned = tuple(p for p in self.constraints.pinned if p != pairing)
        forbidden = (*(p for p in self.constraints.forbidden if p != pairing), pairing)
        constraints = attrs.evolve(self.constraints, pinned=pinned, forbidden=forbidden)
        return attrs.evolve(self, constraints=constraints)

    @property
    def digest(self) -> str:
        """The first 12 hex digits of the SHA-256 of the pool's content (your own criteria
        count by name): equal pools, equal digests."""
        text = json.dumps(_document(self), sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _check_known(
    where: str, mentor: str, mentee: str, mentors: set[str], mentees: set[str]
) -> None:
    if mentor not in mentors:
        raise ValidationError(f"{where}.mentor", f"{mentor!r} is not a mentor candidate")
    if mentee not in mentees:
        raise ValidationError(f"{where}.mentee", f"{mentee!r} is not a mentee candidate")


def _find(side: str, candidates: tuple[Candidate, ...], key: str) -> Candidate:
    for candidate in candidates:
        if candidate.key == key:
            return candidate
    raise ValidationError(side, f"{key!r} is not a {side} candidate")


def _document(pool: Pool) -> dict[str, Any]:
    def candidate(c: Candidate) -> dict[str, Any]:
        city, association = c.partner.city, c.partner.association
        return {
            "key": c.key,
            "city": [city.name, city.country, city.subdivision],
            "association": None if association is None else [association.name, association.country],
            "languages": list(c.languages),
            "themes": [t.value for t in c.themes],
            "topics": list(c.topics),
            "population": c.population,
            "capacity": c.capacity,
            "preferences": list(c.preferences),
        }

    rules = pool.constraints
    return {
        "mentors": [candidate(c) for c in pool.mentors],
        "mentees": [candidate(c) for c in pool.mentees],
        "criteria": [[c.name, c.weight, c.score is not None] for c in pool.criteria],
        "constraints": {
            "different_country": rules.different_country,
            "shared_language": rules.shared_language,
            "min_score": rules.min_score,
            "pinned": [[p.mentor, p.mentee] for p in rules.pinned],
            "forbidden": [[p.mentor, p.mentee] for p in rules.forbidden],
        },
        "affinities": [[a.mentor, a.mentee, a.score] for a in pool.affinities],
    }
