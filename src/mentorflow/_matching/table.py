"""Every pair of a pool scored at once: one matrix per criterion, and a mask of exclusions.

The built-in criteria and the constraints are computed on whole matrices (numpy), so 1,000
mentors by 1,000 mentees take a fraction of a second; a `Score` with its breakdown is built
only for the pairs someone looks at.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ValidationError
from .candidates import Candidate
from .pool import Pool
from .rules import Criterion, Rule
from .scores import Contribution, Exclusion, Score

Matrix = NDArray[np.float64]


class Scores:
    """The scores of every pair of a pool, and the constraints that exclude pairs.

    Rows are the pool's mentors and columns its mentees, in the pool's order.

    Attributes:
        pool: The pool scored.
        total: The scores (mentors x mentees), from 0 to 1.
        mask: The exclusions of each pair, one bit per `Rule` (0: allowed).
        allowed: Whether each pair is allowed (no hard constraint excludes it).
    """

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        mentors, mentees = pool.mentors, pool.mentees
        self._mentor_index = {c.key: i for i, c in enumerate(mentors)}
        self._mentee_index = {c.key: j for j, c in enumerate(mentees)}
        shape = (len(mentors), len(mentees))
        self._values = [_criterion(c, k, pool, shape) for k, c in enumerate(pool.criteria)]
        weights = [c.weight for c in pool.criteria]
        self._shares = [w / math.fsum(weights) for w in weights]
        total = np.zeros(shape)
        for share, values in zip(self._shares, self._values, strict=True):
            total += share * values
        self.total: Matrix = total
        self.mask: NDArray[np.uint8] = _mask(pool, total)
        self.allowed: NDArray[np.bool_] = self.mask == 0
        for array in (self.total, self.mask, self.allowed, *self._values):
            array.flags.writeable = False  # shared by every solver: copy to change

    def index(self, mentor: str, mentee: str) -> tuple[int, int]:
        """The row and column of a pair of candidate keys.

        Raises:
            ValidationError: ``mentor`` or ``mentee``, for a key not in the pool.
        """
        if mentor not in self._mentor_index:
            raise ValidationError("mentor", f"{mentor!r} is not a mentor candidate")
        if mentee not in self._mentee_index:
            raise ValidationError("mentee", f"{mentee!r} is not a mentee candidate")
        return self._mentor_index[mentor], self._mentee_index[mentee]

    def of(self, mentor: str, mentee: str) -> Score:
        """The score of the pair of these candidate keys, with its breakdown and exclusions."""
        return self.at(*self.index(mentor, mentee))

    def at(self, i: int, j: int) -> Score:
        """The score of mentor ``i`` and mentee ``j`` (the pool's order)."""
        parts = tuple(
            Contribution(
                criterion=criterion.name,
                value=float(values[i, j]),
                weight=criterion.weight,
                points=float(share * values[i, j]),
            )
            for criterion, share, values in zip(
                self.pool.criteria, self._shares, self._values, strict=True
            )
        )
        mentor, mentee = self.pool.mentors[i], self.pool.mentees[j]
        return Score(
            mentor=mentor.key,
            mentee=mentee.key,
            total=float(self.total[i, j]),
            parts=parts,
            exclusions=self._exclusions(i, j),
        )

    def options(self, mentee: str) -> tuple[Score, ...]:
        """The mentors allowed for a mentee, best first (ties in the pool's order)."""
        if mentee not in self._mentee_index:
            raise ValidationError("mentee", f"{mentee!r} is not a mentee candidate")
        j = self._mentee_index[mentee]
        rows = [i for i in range(len(self.pool.mentors)) if self.mask[i, j] == 0]
        rows.sort(key=lambda i: -self.total[i, j])
        return tuple(self.at(i, j) for i in rows)

    def _exclusions(self, i: int, j: int) -> tuple[Exclusion, ...]:
        bits = int(self.mask[i, j])
        mentor, mentee = self.pool.mentors[i], self.pool.mentees[j]
        found = []
        for rule in Rule:
            if bits & rule.bit:
                found.append(Exclusion(rule=rule, reason=_reason(rule, mentor, mentee, self, i, j)))
        return tuple(found)


def _reason(
    rule: Rule, mentor: Candidate, mentee: Candidate, scores: Scores, i: int, j: int
) -> str:
    if rule is Rule.SAME_CITY:
        return f"{mentor.name} is on both sides"
    if rule is Rule.SAME_COUNTRY:
        return f"both in {mentor.country}"
    if rule is Rule.NO_SHARED_LANGUAGE:
        ours, theirs = "/".join(mentor.languages) or "none", "/".join(mentee.languages) or "none"
        return f"no shared language ({ours} and {theirs})"
    if rule is Rule.FORBIDDEN:
        pairing = next(
            p
            for p in scores.pool.constraints.forbidden
            if (p.mentor, p.mentee) == (mentor.key, mentee.key)
        )
        return pairing.reason or "forbidden by the manager"
    minimum = scores.pool.constraints.min_score
    return f"scores {scores.total[i, j]:.2f}, under the minimum {minimum:.2f}"


# -- the criteria ------------------------------------------------------------------------


def _criterion(criterion: Criterion, k: int, pool: Pool, shape: tuple[int, int]) -> Matrix:
    mentors, mentees = pool.mentors, pool.mentees
    if criterion.score is not None:
        return _custom(criterion, k, mentors, mentees, shape)
    if criterion.name == "themes":
        return _share_offered([c.themes for c in mentors], [c.themes for c in mentees])
    if criterion.name == "topics":
        return _share_offered(
            [[t.casefold() for t in c.topics] for c in mentors],
            [[t.casefold() for t in c.topics] for c in mentees],
        )
    if criterion.name == "language":
        return _shared_language(mentors, mentees).astype(np.float64)
    if criterion.name == "size":
        return _size(mentors, mentees)
    values = np.zeros(shape)  # affinity
    index = {c.key: i for i, c in enumerate(mentors)}, {c.key: j for j, c in enumerate(mentees)}
    for affinity in pool.affinities:
        values[index[0][affinity.mentor], index[1][affinity.mentee]] = affinity.score
    return values


def _share_offered(
    offered: Sequence[Sequence[object]], needed: Sequence[Sequence[object]]
) -> Matrix:
    """For each pair, the share of the mentee's items that the mentor has (0 if it has none)."""
    vocabulary = {item: n for n, item in enumerate(sorted({str(x) for xs in needed for x in xs}))}
    mentors = np.zeros((len(offered), len(vocabulary)))
    mentees = np.zeros((len(needed), len(vocabulary)))
    for i, items in enumerate(offered):
        for item in items:
            if str(item) in vocabulary:
                mentors[i, vocabulary[str(item)]] = 1.0
    for j, items in enumerate(needed):
        for item in items:
            mentees[j, vocabulary[str(item)]] = 1.0
    counts = mentees.sum(axis=1)
    overlap: Matrix = mentors @ mentees.T
    share: Matrix = np.divide(overlap, counts, out=np.zeros_like(overlap), where=counts > 0)
    return share


def _shared_language(
    mentors: Sequence[Candidate], mentees: Sequence[Candidate]
) -> NDArray[np.bool_]:
    vocabulary = {
        lang: n for n, lang in enumerate(sorted({x for c in mentees for x in c.languages}))
    }
    ours = np.zeros((len(mentors), len(vocabulary)))
    theirs = np.zeros((len(mentees), len(vocabulary)))
    for i, c in enumerate(mentors):
        for lang in c.languages:
            if lang in vocabulary:
                ours[i, vocabulary[lang]] = 1.0
    for j, c in enumerate(mentees):
        for lang in c.languages:
            theirs[j, vocabulary[lang]] = 1.0
    shared: NDArray[np.bool_] = (ours @ theirs.T) > 0
    return shared


def _size(mentors: Sequence[Candidate], mentees: Sequence[Candidate]) -> Matrix:
    # an unknown population is 0, so a pair with one scores min/max = 0
    ours = np.array([c.population or 0 for c in mentors], dtype=np.float64)[:, None]
    theirs = np.array([c.population or 0 for c in mentees], dtype=np.float64)[None, :]
    larger = np.maximum(ours, theirs)
    ratio: Matrix = np.divide(
        np.minimum(ours, theirs), larger, out=np.zeros(larger.shape), where=larger > 0
    )
    return ratio


def _custom(
    criterion: Criterion,
    k: int,
    mentors: Sequence[Candidate],
    mentees: Sequence[Candidate],
    shape: tuple[int, int],
) -> Matrix:
    measure = criterion.score
    assert measure is not None
    values = np.zeros(shape)
    for i, mentor in enumerate(mentors):
        for j, mentee in enumerate(mentees):
            value = measure(mentor, mentee)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValidationError(
                    f"criteria[{k}].score",
                    f"{criterion.name} gave {value!r} for {mentor.key}-{mentee.key}; "
                    "a criterion gives a number from 0 to 1",
                )
            values[i, j] = value
    return values


# -- the constraints -----------------------------------------------------------------------


def _mask(pool: Pool, total: Matrix) -> NDArray[np.uint8]:
    mentors, mentees = pool.mentors, pool.mentees
    rules = pool.constraints
    mask = np.zeros(total.shape, dtype=np.uint8)
    cities: dict[object, int] = {}
    ours = np.array(
        [cities.setdefault(c.partner.city, len(cities)) for c in mentors], dtype=np.int64
    )
    theirs = np.array(
        [cities.setdefault(c.partner.city, len(cities)) for c in mentees], dtype=np.int64
    )
    mask[ours[:, None] == theirs[None, :]] |= Rule.SAME_CITY.bit
    if rules.different_country:
        countries: dict[str, int] = {}
        ours = np.array([countries.setdefault(c.country, len(countries)) for c in mentors])
        theirs = np.array([countries.setdefault(c.country, len(countries)) for c in mentees])
        mask[ours[:, None] == theirs[None, :]] |= Rule.SAME_COUNTRY.bit
    if rules.shared_language:
        mask[~_shared_language(mentors, mentees)] |= Rule.NO_SHARED_LANGUAGE.bit
    index = {c.key: i for i, c in enumerate(mentors)}, {c.key: j for j, c in enumerate(mentees)}
    for pairing in rules.forbidden:
        mask[index[0][pairing.mentor], index[1][pairing.mentee]] |= Rule.FORBIDDEN.bit
    if rules.min_score > 0:
        # a hair of tolerance: a pair scored exactly at the minimum passes, float sums or not
        mask[total < rules.min_score - 1e-9] |= Rule.BELOW_MIN_SCORE.bit
    return mask
