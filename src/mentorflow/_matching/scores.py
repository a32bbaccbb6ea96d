"""Scores that explain themselves: a pair's score, its breakdown, and what excludes it."""

from __future__ import annotations

import attrs

from .rules import Rule


@attrs.frozen(kw_only=True)
class Contribution:
    """What one criterion adds to a pair's score.

    Attributes:
        criterion: The criterion's name.
        value: The pair's value on it, from 0 to 1.
        weight: The criterion's weight.
        points: What it adds to the score: ``value * weight / (sum of the weights)``.
    """

    criterion: str
    value: float
    weight: float
    points: float


@attrs.frozen(kw_only=True)
class Exclusion:
    """A hard constraint that excludes a pair.

    Attributes:
        rule: Which constraint (``same-country``, ``forbidden``, ...).
        reason: Why, in words.
    """

    rule: Rule
    reason: str


@attrs.frozen(kw_only=True)
class Score:
    """One pair's score with its breakdown by criterion, and the constraints that exclude it.

    Attributes:
        mentor: The mentor candidate's key.
        mentee: The mentee candidate's key.
        total: The weighted mean of the criteria, from 0 to 1 (the sum of the points).
        parts: One `Contribution` per criterion, in the pool's order.
        exclusions: The hard constraints that exclude the pair; empty if it is allowed.
    """

    mentor: str
    mentee: str
    total: float
    parts: tuple[Contribution, ...]
    exclusions: tuple[Exclusion, ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether no hard constraint excludes the pair."""
        return not self.exclusions

    def explain(self) -> str:
        """The score in one line: ``"0.80 = topics 0.60 + themes 0.20 + language 0.00"``,
        then what excludes the pair, if anything does."""
        parts = " + ".join(f"{p.criterion} {p.points:.2f}" for p in self.parts)
        text = f"{self.total:.2f} = {parts}"
        if self.exclusions:
            text += "; excluded: " + "; ".join(f"{e.reason} [{e.rule}]" for e in self.exclusions)
        return text
