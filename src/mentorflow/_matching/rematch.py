"""Re-matching one seat: a replacement for a partner who leaves, the other pairs untouched.

IncluCities' Mechelen was announced with Partinico as its mentee and went on with Capaci.
`rematch` ranks the candidates who could take the leaving partner's seat beside the partner
who stays; its `command` is the one `ReplacePartner` that makes the change, so nothing else
in the programme moves.
"""

from __future__ import annotations

import datetime as dt

import attrs

from .._core.programme import Programme
from .._domain import validate as v
from .._domain.commands import ReplacePartner
from .._domain.lifecycle import PairStatus
from .._domain.model import City, Partner, Role
from ..exceptions import ValidationError
from .candidates import Candidate
from .pool import Pool
from .proposal import score_pairs
from .scores import Score

_LIVE = (PairStatus.ACTIVE, PairStatus.SUSPENDED)


@attrs.frozen(kw_only=True)
class Replacement:
    """The candidates for one seat of a pair, best first.

    Attributes:
        pair: The pair's key.
        role: The seat to fill: the role of the partner who leaves.
        leaving: The partner who leaves.
        staying: The candidate who stays (found in the pool by its city).
        options: The candidates who could take the seat, best first (ties in the pool's
            order): free, with capacity, and allowed beside ``staying``.
        scores: Each option's score with ``staying``, in the same order.
        digest: The pool's digest.
    """

    pair: str
    role: Role
    leaving: Partner
    staying: Candidate
    options: tuple[Candidate, ...]
    scores: tuple[Score, ...]
    digest: str

    @property
    def best(self) -> Candidate | None:
        """The best candidate for the seat; None if nobody can take it."""
        return self.options[0] if self.options else None

    def command(
        self, *, choice: str | None = None, at: dt.datetime | None = None
    ) -> ReplacePartner:
        """The command that puts the best candidate (or ``choice``, a key) in the seat.

        Raises:
            ValidationError: ``choice``, if nobody can take the seat or ``choice`` is not
                one of the options.
        """
        keys = [c.key for c in self.options]
        if not keys:
            raise ValidationError("choice", f"no candidate can take the {self.role} seat")
        wanted = keys[0] if choice is None else choice
        if wanted not in keys:
            raise ValidationError("choice", f"{wanted!r} is not one of {', '.join(keys)}")
        k = keys.index(wanted)
        return ReplacePartner(
            pair=self.pair,
            role=self.role,
            partner=self.options[k].partner,
            at=at,
            note=(
                f"replacement from pool {self.digest}: {self.leaving.city.name} leaves; "
                f"score {self.scores[k].explain()}"
            ),
        )


def rematch(programme: Programme, pair: str, role: Role | str, pool: Pool) -> Replacement:
    """The candidates who could replace the ``role`` partner of ``pair``, best first.

    A candidate qualifies if its city is in no other live (active or suspended) pair of the
    programme (a mentor: in fewer than its capacity), it is not the partner who leaves, and no
    hard constraint excludes it beside the partner who stays.

    Raises:
        UnknownPairError: no such pair.
        ValidationError: ``role``; ``pair``, if the partner who stays is not in the pool.
        ImportError: without numpy (``pip install "mentorflow[matching]"``).
    """
    seat = v.enum_value("role", Role, role)
    v.instance_of("pool", Pool)(None, None, pool)
    current = programme.pair(pair)
    leaving, kept = current.partner(seat), current.partner(seat.other)
    side = pool.mentees if seat is Role.MENTEE else pool.mentors
    others = pool.mentors if seat is Role.MENTEE else pool.mentees
    staying = next((c for c in others if c.partner.city == kept.city), None)
    if staying is None:
        raise ValidationError(
            "pair",
            f"{kept.city.name}, the {seat.other} of {pair!r}, is not a {seat.other} candidate "
            "of the pool",
        )
    as_mentor: dict[City, int] = {}
    busy: set[City] = set()
    for other in programme.pairs.values():
        if other.key == pair or other.status not in _LIVE:
            continue
        busy.add(other.mentee.city)
        as_mentor[other.mentor.city] = as_mentor.get(other.mentor.city, 0) + 1
    table = score_pairs(pool)
    ranked: list[tuple[float, int, Candidate, Score]] = []
    for k, candidate in enumerate(side):
        city = candidate.partner.city
        used = as_mentor.get(city, 0)
        if city == leaving.city or city in busy or (used and seat is Role.MENTEE):
            continue
        if seat is Role.MENTOR and used >= candidate.capacity:
            continue
        mentor, mentee = (candidate, staying) if seat is Role.MENTOR else (staying, candidate)
        score = table.of(mentor.key, mentee.key)
        if score.allowed:
            ranked.append((-score.total, k, candidate, score))
    ranked.sort(key=lambda entry: entry[:2])
    return Replacement(
        pair=pair,
        role=seat,
        leaving=leaving,
        staying=staying,
        options=tuple(entry[2] for entry in ranked),
        scores=tuple(entry[3] for entry in ranked),
        digest=pool.digest,
    )
