"""Proposals: the pairs a method proposes for a pool, reviewed by a manager, then published.

A `Proposal` is a value: pinning or forbidding a pair gives a new proposal, solved again on
the pool with that change. Publishing turns the proposal into `Enrol` commands run as one
batch (`Programme.execute`), so the decision is in the programme's event log: each pair's
note names the proposal (the pool's digest), the method and the score's breakdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from .._domain import validate as v
from .._domain.commands import Enrol
from .._domain.model import Theme
from ..exceptions import ValidationError
from .candidates import Candidate
from .method import Method
from .pool import Pool
from .scores import Score

if TYPE_CHECKING:
    import datetime as dt

    from .._core.programme import Programme
    from .._domain.events import Event
    from .table import Scores


@attrs.frozen(kw_only=True)
class Match:
    """One proposed pair.

    Attributes:
        mentor: The mentor candidate.
        mentee: The mentee candidate.
        score: The pair's score and its breakdown.
        pinned: Whether the manager pinned it.
    """

    mentor: Candidate
    mentee: Candidate
    score: Score
    pinned: bool = False

    @property
    def key(self) -> str:
        """The pair's key once published: ``"<mentor>-<mentee>"``."""
        return f"{self.mentor.key}-{self.mentee.key}"

    @property
    def theme(self) -> Theme | None:
        """The mentee's first scheme area that the mentor is strong in; else the mentee's
        first, else the mentor's first; None if neither names one."""
        shared = [t for t in self.mentee.themes if t in self.mentor.themes]
        for themes in (shared, self.mentee.themes, self.mentor.themes):
            if themes:
                return themes[0]
        return None

    @property
    def topic(self) -> str | None:
        """The mentee's first topic that the mentor offers, if any."""
        offered = {t.casefold() for t in self.mentor.topics}
        return next((t for t in self.mentee.topics if t.casefold() in offered), None)


@attrs.frozen(kw_only=True)
class Outcome:
    """What a method gives on the same pool: its total score and how many pairs."""

    method: Method
    total: float
    pairs: int


@attrs.frozen(kw_only=True)
class Review:
    """A proposal checked against a minimum score and a minimum share of mentees matched.

    Attributes:
        findings: What falls short, one sentence each; empty if nothing does.
    """

    findings: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether nothing falls short."""
        return not self.findings


@attrs.frozen(kw_only=True)
class Proposal:
    """The pairs a method proposes for a pool.

    Attributes:
        pool: The pool it was solved on.
        method: How it was solved.
        matches: The proposed pairs, in the pool's order of mentors, then of mentees.
        unmatched_mentees: The mentees without a mentor.
        unmatched_mentors: The mentors without a mentee.
        total: The sum of the matches' scores.
        outcomes: What the optimal and the greedy methods give on the same pool (and this
            proposal's method, if it is another), in `Method`'s order.
        scores: Every pair's score (`Scores`), to explain any pair.
    """

    pool: Pool
    method: Method
    matches: tuple[Match, ...]
    unmatched_mentees: tuple[Candidate, ...]
    unmatched_mentors: tuple[Candidate, ...]
    total: float
    outcomes: tuple[Outcome, ...]
    scores: Scores = attrs.field(eq=False, repr=False)

    @property
    def digest(self) -> str:
        """The pool's digest: names the input this proposal was solved on."""
        return self.pool.digest

    def outcome(self, method: Method | str) -> Outcome:
        """What ``method`` gives on this proposal's pool.

        Raises:
            ValidationError: ``method``, if it was not solved (``propose(compare=False)``).
        """
        wanted = v.enum_value("method", Method, method)
        for outcome in self.outcomes:
            if outcome.method is wanted:
                return outcome
        raise ValidationError("method", f"{wanted} was not solved: propose with compare=True")

    @property
    def greedy_loss(self) -> float | None:
        """How much less a greedy pairing scores than the optimum (0 or more); None if they
        were not compared (``propose(compare=False)``)."""
        solved = {o.method: o.total for o in self.outcomes}
        if Method.OPTIMAL not in solved or Method.GREEDY not in solved:
            return None
        return solved[Method.OPTIMAL] - solved[Method.GREEDY]

    @property
    def compared(self) -> bool:
        """Whether the optimal and greedy methods were solved beside this one."""
        return len(self.outcomes) > 1

    def score(self, mentor: str, mentee: str) -> Score:
        """Any pair's score, breakdown and exclusions, by candidate keys."""
        return self.scores.of(mentor, mentee)

    def pin(self, mentor: str, mentee: str, *, reason: str | None = None) -> Proposal:
        """The proposal solved again with this pair pinned.

        Raises:
            ValidationError: naming ``constraints.pinned[i]``: the pair is excluded by a hard
                constraint, the mentee is pinned elsewhere, or the mentor is full.
        """
        return propose(
            self.pool.pin(mentor, mentee, reason=reason), self.method, compare=self.compared
        )

    def forbid(self, mentor: str, mentee: str, *, reason: str | None = None) -> Proposal:
        """The proposal solved again with this pair forbidden."""
        return propose(
            self.pool.forbid(mentor, mentee, reason=reason), self.method, compare=self.compared
        )

    def review(self, *, min_score: float = 0.0, min_share: float = 0.0) -> Review:
        """Check the proposal before publishing it (SUMAC's review step).

        Args:
            min_score: Every pair should score at least this.
            min_share: At least this share of the mentees (0 to 1) should have a mentor.
        """
        for name, value in (("min_score", min_score), ("min_share", min_share)):
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
                raise ValidationError(name, f"must be a number from 0 to 1, not {value!r}")
        findings = [
            f"{m.key} scores {m.score.total:.2f}, under the minimum {min_score:.2f}"
            for m in self.matches
            if m.score.total < min_score - 1e-9
        ]
        count = len(self.pool.mentees)
        share = len(self.matches) / count if count else 1.0
        if share < min_share:
            findings.append(
                f"{len(self.matches)} of {count} mentees have a mentor ({share:.0%}), under "
                f"the minimum {min_share:.0%}; without one: "
                + ", ".join(c.key for c in self.unmatched_mentees)
            )
        return Review(findings=tuple(findings))

    def enrolments(
        self, *, at: dt.datetime | None = None, theme: Theme | None = None
    ) -> tuple[Enrol, ...]:
        """The proposal as `Enrol` commands, one per match, keyed ``"<mentor>-<mentee>"``.

        Each one's note records the proposal's digest, method and the pair's score; its
        idempotency key (``match/<digest>/<method>/<pair>``) makes publishing the same
        proposal again a no-op that returns the first events.

        Args:
            at: When they are enrolled; None: when they run, on the programme's clock.
            theme: The theme of a pair whose candidates name none.

        Raises:
            ValidationError: ``theme``, for a pair with no theme and none given; ``matches``,
                if two pairs' keys would be the same.
        """
        commands = []
        keys = [m.key for m in self.matches]
        for match in self.matches:
            if keys.count(match.key) > 1:  # "a-b" + "c" and "a" + "b-c"
                raise ValidationError(
                    "matches", f"two pairs would have the key {match.key!r}: rename a candidate"
                )
            chosen = match.theme or theme
            if chosen is None:
                raise ValidationError(
                    "theme", f"neither candidate of {match.key} names a theme: give theme="
                )
            note = f"proposal {self.digest} ({self.method}): score {match.score.explain()}"
            if match.pinned:
                note += "; pinned by the manager"
            commands.append(
                Enrol(
                    pair=match.key,
                    mentor=match.mentor.partner,
                    mentee=match.mentee.partner,
                    theme=chosen,
                    topic=match.topic,
                    at=at,
                    note=note,
                    idempotency_key=f"match/{self.digest}/{self.method}/{match.key}",
                )
            )
        return tuple(commands)

    def publish(
        self, programme: Programme, *, at: dt.datetime | None = None, theme: Theme | None = None
    ) -> tuple[Event, ...]:
        """Enrol the proposed pairs in ``programme``, all or none (one batch).

        Returns:
            The events of the enrolments.

        Raises:
            ValidationError: ``matches``, if there is nothing to publish; ``theme`` (see
                `enrolments`).
            CommandRefused: if the programme refuses an enrolment (then none is made).
        """
        commands = self.enrolments(at=at, theme=theme)
        if not commands:
            raise ValidationError("matches", "the proposal has no pairs to publish")
        return programme.execute(*commands)


def propose(pool: Pool, method: Method | str = Method.OPTIMAL, *, compare: bool = True) -> Proposal:
    """Score every pair of ``pool`` and propose its pairs by ``method``.

    Args:
        pool: The candidates, criteria and constraints.
        method: ``"optimal"`` (default), ``"greedy"`` or ``"stable"``.
        compare: Also solve the pool optimally and greedily, to show what the method gains
            or loses (`Proposal.outcomes`, `Proposal.greedy_loss`); False solves ``method``
            alone.

    Raises:
        ValidationError: ``method``; ``constraints.pinned[i]`` for a pinned pair that a hard
            constraint excludes.
        ImportError: without numpy and scipy (``pip install "mentorflow[matching]"``).
    """
    wanted = v.enum_value("method", Method, method)
    scores = score_pairs(pool)
    from .solvers import solve  # numpy is there: score_pairs() imported it

    pins = _pins(pool, scores)
    others = (Method.OPTIMAL, Method.GREEDY) if compare else ()
    methods = [m for m in Method if m is wanted or m in others]
    solved = {m: solve(m, scores, pins) for m in methods}
    pairs = solved[wanted]
    pinned = set(pins)
    matches = tuple(
        Match(
            mentor=pool.mentors[i],
            mentee=pool.mentees[j],
            score=scores.at(i, j),
            pinned=(i, j) in pinned,
        )
        for i, j in pairs
    )
    mentors = {i for i, _ in pairs}
    mentees = {j for _, j in pairs}
    outcomes = tuple(
        Outcome(method=m, total=_total(scores, found), pairs=len(found))
        for m, found in solved.items()
    )
    return Proposal(
        pool=pool,
        method=wanted,
        matches=matches,
        unmatched_mentees=tuple(c for j, c in enumerate(pool.mentees) if j not in mentees),
        unmatched_mentors=tuple(c for i, c in enumerate(pool.mentors) if i not in mentors),
        total=_total(scores, pairs),
        outcomes=outcomes,
        scores=scores,
    )


def _total(scores: Scores, pairs: Sequence[tuple[int, int]]) -> float:
    return math.fsum(float(scores.total[i, j]) for i, j in pairs)


def _pins(pool: Pool, scores: Scores) -> list[tuple[int, int]]:
    pins = []
    for k, pin in enumerate(pool.constraints.pinned):
        i, j = scores.index(pin.mentor, pin.mentee)
        score = scores.at(i, j)
        if not score.allowed:
            reasons = "; ".join(f"{e.reason} [{e.rule}]" for e in score.exclusions)
            raise ValidationError(
                f"constraints.pinned[{k}]",
                f"{pin.key} can't be pinned: {reasons}; relax that constraint or unpin it",
            )
        pins.append((i, j))
    return pins


def score_pairs(pool: Pool) -> Scores:
    """Score every pair of ``pool``: each pair's score, breakdown and exclusions.

    Raises:
        ImportError: without numpy (``pip install "mentorflow[matching]"``).
    """
    v.instance_of("pool", Pool)(None, None, pool)
    try:
        from .table import Scores
    except ImportError as err:
        raise ImportError(
            f'matching needs numpy and scipy: pip install "mentorflow[matching]" ({err})'
        ) from err
    return Scores(pool)
