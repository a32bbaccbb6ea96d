"""Properties of matching (hypothesis): the optimum is never worse than greedy, and is the
true optimum (against brute force); no hard constraint is violated; capacities hold; the same
input gives the same proposal; pinned pairs are kept; stable matchings have no blocking pair
and agree with the matching package."""

from __future__ import annotations

import itertools
import math
import warnings

import attrs
from hypothesis import given, note
from hypothesis import strategies as st

from mentorflow import Association, City, Partner, Theme
from mentorflow.matching import (
    BUILT_IN,
    Affinity,
    Candidate,
    Constraints,
    Criterion,
    Method,
    Pairing,
    Pool,
    Proposal,
    proposal_json,
    propose,
    score_pairs,
)

# -- strategies: pools of candidates, criteria and constraints -----------------------------

COUNTRIES = ("BE", "FR", "IT")  # few, so that the same-country rule bites
LANGUAGES = ("fr", "nl", "it")
TOPICS = ("buddies", "housing first", "language learning", "jobs")
TOLERANCE = 1e-6  # the optimal method's tie-break moves a total by < 1e-9 a pair


@st.composite
def candidates(draw: st.DrawFn, key: str, mentor: bool) -> Candidate:
    """A candidate with drawn country, languages, themes, topics, size and capacity."""
    country = draw(st.sampled_from(COUNTRIES))
    return Candidate(
        key=key,
        partner=Partner(
            city=City(name=key.upper(), country=country),
            association=Association(name=f"A-{country}", country=country),
        ),
        languages=draw(st.lists(st.sampled_from(LANGUAGES), max_size=2)),
        themes=draw(st.lists(st.sampled_from(list(Theme)), max_size=2, unique=True)),
        topics=draw(st.lists(st.sampled_from(TOPICS), max_size=2, unique=True)),
        population=draw(st.none() | st.integers(1, 10**6)),
        capacity=draw(st.integers(1, 3)) if mentor else 1,
    )


@st.composite
def pools(draw: st.DrawFn, max_mentors: int = 4, max_mentees: int = 5) -> Pool:
    """A pool with drawn candidates, weights, constraints, affinities, and consistent pins."""
    n = draw(st.integers(0, max_mentors))
    m = draw(st.integers(0, max_mentees))
    mentors = [draw(candidates(f"m{i}", mentor=True)) for i in range(n)]
    mentees = [draw(candidates(f"e{j}", mentor=False)) for j in range(m)]
    pairs = [(a.key, b.key) for a in mentors for b in mentees]
    names = draw(st.lists(st.sampled_from(BUILT_IN), min_size=1, unique=True))
    criteria = [Criterion(name, draw(st.integers(1, 5))) for name in names]
    affinities = (
        [
            Affinity(mentor=a, mentee=b, score=draw(st.floats(0, 1)))
            for a, b in draw(st.lists(st.sampled_from(pairs), unique=True))
            if pairs
        ]
        if pairs
        else []
    )
    forbidden = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    constraints = Constraints(
        different_country=draw(st.booleans()),
        shared_language=draw(st.booleans()),
        min_score=draw(st.sampled_from([0.0, 0.0, 0.2, 0.5])),
        forbidden=forbidden,
    )
    pool = Pool(
        mentors=mentors,
        mentees=mentees,
        criteria=criteria,
        constraints=constraints,
        affinities=affinities,
    )
    if draw(st.booleans()):
        pool = _pin_some(draw, pool)
    return pool


def _pin_some(draw: st.DrawFn, pool: Pool) -> Pool:
    """``pool`` with some allowed pairs pinned, within capacities and one per mentee."""
    allowed = score_pairs(pool).allowed
    left = {c.key: c.capacity for c in pool.mentors}
    pins = []
    for j, mentee in enumerate(pool.mentees):
        options = [c.key for i, c in enumerate(pool.mentors) if allowed[i, j] and left[c.key] > 0]
        if options and draw(st.booleans()):
            mentor = draw(st.sampled_from(options))
            left[mentor] -= 1
            pins.append(Pairing(mentor, mentee.key))
    return attrs.evolve(pool, constraints=attrs.evolve(pool.constraints, pinned=pins))


methods = st.sampled_from(list(Method))


# -- what a valid proposal is, checked from the candidates (not from the score mask) -------


def violations(proposal: Proposal) -> list[str]:
    """Every hard constraint or capacity a proposal breaks, worked out from first principles."""
    pool, rules = proposal.pool, proposal.pool.constraints
    found = []
    for match in proposal.matches:
        a, b = match.mentor, match.mentee
        if a.partner.city == b.partner.city:
            found.append(f"{match.key}: same city")
        if rules.different_country and a.country == b.country:
            found.append(f"{match.key}: same country")
        if rules.shared_language and not set(a.languages) & set(b.languages):
            found.append(f"{match.key}: no shared language")
        if Pairing(a.key, b.key) in rules.forbidden:
            found.append(f"{match.key}: forbidden")
        if match.score.total < rules.min_score - 1e-9:
            found.append(f"{match.key}: below the minimum score")
    per_mentor = {c.key: 0 for c in pool.mentors}
    per_mentee = {c.key: 0 for c in pool.mentees}
    for match in proposal.matches:
        per_mentor[match.mentor.key] += 1
        per_mentee[match.mentee.key] += 1
    found += [f"{c.key} over capacity" for c in pool.mentors if per_mentor[c.key] > c.capacity]
    found += [f"{key} matched twice" for key, count in per_mentee.items() if count > 1]
    return found


def brute_force_best(pool: Pool) -> float:
    """The best total over every assignment of mentees to allowed mentors (or to nobody)."""
    s = score_pairs(pool)
    pinned = {(p.mentor, p.mentee) for p in pool.constraints.pinned}
    choices = []
    for j, mentee in enumerate(pool.mentees):
        pin = [i for i, m in enumerate(pool.mentors) if (m.key, mentee.key) in pinned]
        allowed = [i for i in range(len(pool.mentors)) if s.allowed[i, j]]
        choices.append(pin or [None, *allowed])
    best = -math.inf
    for choice in itertools.product(*choices):
        used = [i for i in choice if i is not None]
        if any(used.count(i) > c.capacity for i, c in enumerate(pool.mentors)):
            continue
        total = math.fsum(s.total[i, j] for j, i in enumerate(choice) if i is not None)
        best = max(best, total)
    return best


# -- the properties -------------------------------------------------------------------------


class TestOptimal:
    """Properties of the optimal method."""

    @given(pools())
    def test_never_worse_than_greedy(self, pool: Pool) -> None:
        """The optimum's total is at least greedy's, and at least the stable matching's."""
        optimal = propose(pool)
        stable = propose(pool, "stable")
        note(f"{optimal.outcomes} {stable.total}")
        assert optimal.total >= optimal.outcome("greedy").total - TOLERANCE
        assert optimal.total >= stable.total - TOLERANCE

    @given(pools(max_mentors=3, max_mentees=4))
    def test_is_the_true_optimum(self, pool: Pool) -> None:
        """The optimum equals the best of every possible assignment (brute force), capacities
        and pins included: the assignment problem and its capacity form are solved exactly."""
        assert abs(brute_force_best(pool) - propose(pool).total) <= TOLERANCE


class TestEveryMethod:
    """Properties every method has."""

    @given(pools(), methods)
    def test_no_hard_constraint_violated_and_capacities_respected(
        self, pool: Pool, method: Method
    ) -> None:
        """No proposed pair breaks a hard constraint; no mentor takes more than its
        capacity; no mentee has two mentors."""
        proposal = propose(pool, method)
        assert [] == violations(proposal)
        assert all(m.score.allowed for m in proposal.matches)

    @given(pools(), methods)
    def test_pinned_pairs_are_kept(self, pool: Pool, method: Method) -> None:
        """Every pinned pair is in the proposal, marked pinned."""
        proposal = propose(pool, method)
        kept = {(m.mentor.key, m.mentee.key) for m in proposal.matches if m.pinned}
        assert {(p.mentor, p.mentee) for p in pool.constraints.pinned} == kept

    @given(pools(), methods)
    def test_same_input_same_proposal(self, pool: Pool, method: Method) -> None:
        """The same pool (even rebuilt) and method give the same proposal, byte for byte."""
        first = propose(pool, method)
        again = propose(attrs.evolve(pool), method)
        assert first == again
        assert proposal_json(first) == proposal_json(again)

    @given(pools(), methods)
    def test_totals_add_up(self, pool: Pool, method: Method) -> None:
        """The total is the sum of the matches' scores; each score is the sum of its points,
        from 0 to 1."""
        proposal = propose(pool, method)
        assert math.isclose(
            math.fsum(m.score.total for m in proposal.matches), proposal.total, abs_tol=1e-9
        )
        for match in proposal.matches:
            points = math.fsum(p.points for p in match.score.parts)
            assert math.isclose(points, match.score.total, abs_tol=1e-9)
            assert -1e-12 <= match.score.total <= 1 + 1e-12


class TestStable:
    """Properties of the stable method."""

    @given(pools())
    def test_no_blocking_pair(self, pool: Pool) -> None:
        """No allowed mentor and mentee outside the matching would both rather be together
        (ranked by score, ties in the pool's order)."""
        s = score_pairs(pool)
        proposal = propose(pool, "stable")
        pinned = {p.mentee for p in pool.constraints.pinned}
        mentors = {c.key: i for i, c in enumerate(pool.mentors)}
        partner_of = {m.mentee.key: mentors[m.mentor.key] for m in proposal.matches}
        held: dict[int, list[int]] = {i: [] for i in range(len(pool.mentors))}
        for j, mentee in enumerate(pool.mentees):
            if mentee.key in partner_of:
                held[partner_of[mentee.key]].append(j)

        def prefers_mentor(j: int, a: int, b: int | None) -> bool:  # j rather a than b
            return b is None or (-s.total[a, j], a) < (-s.total[b, j], b)

        def prefers_mentee(i: int, j: int, k: int) -> bool:  # i rather j than k
            return (-s.total[i, j], j) < (-s.total[i, k], k)

        for j, mentee in enumerate(pool.mentees):
            if mentee.key in pinned:
                continue
            for i, mentor in enumerate(pool.mentors):
                if not s.allowed[i, j] or partner_of.get(mentee.key) == i:
                    continue
                if not prefers_mentor(j, i, partner_of.get(mentee.key)):
                    continue
                seats = mentor.capacity - sum(
                    1 for p in pool.constraints.pinned if p.mentor == mentor.key
                )
                unpinned = [k for k in held[i] if pool.mentees[k].key not in pinned]
                blocking = len(unpinned) < seats or any(prefers_mentee(i, j, k) for k in unpinned)
                assert not blocking, f"{mentor.key}-{mentee.key} blocks"

    @given(pools(max_mentors=4, max_mentees=5))
    def test_agrees_with_the_matching_package(self, pool: Pool) -> None:
        """Without pins, our Gale-Shapley gives the matching package's resident-optimal
        hospital-resident matching on the same rankings."""
        from matching.games import HospitalResident

        pool = attrs.evolve(pool, constraints=attrs.evolve(pool.constraints, pinned=()))
        s = score_pairs(pool)
        mentors, mentees = pool.mentors, pool.mentees
        mentee_prefs = {
            e.key: [
                mentors[i].key
                for i in sorted(
                    (i for i in range(len(mentors)) if s.allowed[i, j]),
                    key=lambda i, j=j: (-s.total[i, j], i),
                )
            ]
            for j, e in enumerate(mentees)
        }
        mentor_prefs = {
            m.key: [
                mentees[j].key
                for j in sorted(
                    (j for j in range(len(mentees)) if s.allowed[i, j]),
                    key=lambda j, i=i: (-s.total[i, j], j),
                )
            ]
            for i, m in enumerate(mentors)
        }
        ours = sorted(m.key for m in propose(pool, "stable").matches)
        if not mentors or not mentees:
            assert [] == ours
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # it warns about players who rank nobody
            game = HospitalResident.create_from_dictionaries(
                mentee_prefs, mentor_prefs, {m.key: m.capacity for m in mentors}, clean=True
            )
            solved = game.solve(optimal="resident")
        theirs = sorted(
            f"{hospital.name}-{resident.name}"
            for hospital, residents in solved.items()
            for resident in residents
        )
        assert theirs == ours


class TestGreedyOrder:
    """Properties of the greedy method's order of pairs."""

    @given(st.lists(st.integers(-1, 4).map(lambda k: k / 4), max_size=200))
    def test_best_first_is_a_stable_sort(self, values: list[float]) -> None:
        """Pairs are taken highest score first, equal scores in the pool's order: the same
        order as a stable sort."""
        import numpy as np

        from mentorflow._matching.solvers import _best_first

        array = np.array(values, dtype=np.float64)
        assert np.argsort(-array, kind="stable").tolist() == _best_first(array).tolist()
