"""What a manager sets: criteria with weights (the soft part) and hard constraints.

A pair's score is the weighted mean of its criteria, each from 0 to 1, so a score is from 0
to 1 too. The built-in criteria:

``themes``
    The share of the mentee's scheme areas that the mentor is strong in.
``topics``
    The share of the mentee's topics that the mentor offers (compared without case).
``language``
    1 if they share a working language, else 0.
``size``
    The smaller population over the larger (1 for cities of equal size, 0.5 when one is twice
    the other); 0 when either is unknown.
``affinity``
    The facilitator's own score for the pair (`Affinity`), 0 where there is none.

A criterion of your own gives its function: ``Criterion("experience", 2, score=f)`` with
``f(mentor, mentee) -> float`` from 0 to 1 (called once a pair, so slower than the
built-ins on large pools).

Hard constraints exclude a pair whatever its score: the same city, the same country (unless
``different_country=False``), no shared language (with ``shared_language=True``), a pair
the manager forbids, or a score under ``min_score``. Pinned pairs are kept as they are.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from .._domain import validate as v
from ..exceptions import ValidationError
from .candidates import Candidate, check_key

BUILT_IN = ("themes", "topics", "language", "size", "affinity")
"""The names of the built-in criteria."""

Measure = Callable[[Candidate, Candidate], float]
"""A criterion of your own: ``(mentor, mentee) -> float`` from 0 to 1."""


def _name(_inst: Any, _attr: Any, value: Any) -> None:
    v.text("name")(None, None, value)


def _weight(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        raise ValidationError("weight", f"must be a number > 0, not {value!r}")


@attrs.frozen
class Criterion:
    """One criterion of the score and its weight.

    Args:
        name: A built-in criterion (``themes``, ``topics``, ``language``, ``size``,
            ``affinity``) or a name of your own, with ``score``.
        weight: How much it counts, relative to the others (> 0).
        score: Your own criterion's function; None for a built-in one.

    Raises:
        ValidationError: naming the field.
    """

    name: str = attrs.field(validator=_name)
    weight: float = attrs.field(default=1.0, validator=_weight)
    score: Measure | None = attrs.field(default=None, kw_only=True, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.score is None and self.name not in BUILT_IN:
            raise ValidationError(
                "name",
                f"{self.name!r} is not one of {', '.join(BUILT_IN)}; give score= for "
                "a criterion of your own",
            )
        if self.score is not None and self.name in BUILT_IN:
            raise ValidationError("score", f"{self.name!r} is built in: give it no score=")
        if self.score is not None and not callable(self.score):
            raise ValidationError("score", "must be a function (mentor, mentee) -> float")


DEFAULT_CRITERIA = (
    Criterion("topics", 3),
    Criterion("themes", 2),
    Criterion("language", 1),
)
"""The criteria of a pool that names none: topics (3), themes (2), language (1)."""


def criteria_of(value: Iterable[Criterion]) -> tuple[Criterion, ...]:
    """A tuple of criteria with distinct names."""
    items = v.tuple_of("criteria", Criterion, value)
    if not items:
        raise ValidationError("criteria", "give at least one criterion")
    names = [c.name for c in items]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ValidationError(f"criteria[{i}].name", f"{name!r} is listed twice")
    return items


@attrs.frozen
class Pairing:
    """A pair named by its candidates' keys: pinned or forbidden by the manager.

    Args:
        mentor: The mentor candidate's key.
        mentee: The mentee candidate's key.
        reason: Why (shown when the pair is excluded or kept).
    """

    mentor: str = attrs.field()
    mentee: str = attrs.field()
    reason: str | None = attrs.field(default=None, kw_only=True, eq=False)

    @mentor.validator
    def _check_mentor(self, _attr: object, value: object) -> None:
        check_key("mentor", value)

    @mentee.validator
    def _check_mentee(self, _attr: object, value: object) -> None:
        check_key("mentee", value)

    @reason.validator
    def _check_reason(self, _attr: object, value: object) -> None:
        v.optional_text("reason")(None, None, value)

    @property
    def key(self) -> str:
        """``"<mentor>-<mentee>"``, the key of the pair if it is published."""
        return f"{self.mentor}-{self.mentee}"


def _pairings(field: str, value: Iterable[Pairing | tuple[str, str]]) -> tuple[Pairing, ...]:
    items = v.tuple_of(field, object, value)
    pairings: list[Pairing] = []
    for i, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2:
            item = Pairing(*item)
        if not isinstance(item, Pairing):
            raise ValidationError(
                f"{field}[{i}]", f"must be a Pairing or a (mentor, mentee) tuple, not {item!r}"
            )
        if item in pairings:
            raise ValidationError(f"{field}[{i}]", f"{item.key} is listed twice")
        pairings.append(item)
    return tuple(pairings)


def _pinned(value: Iterable[Pairing | tuple[str, str]]) -> tuple[Pairing, ...]:
    return _pairings("pinned", value)


def _forbidden(value: Iterable[Pairing | tuple[str, str]]) -> tuple[Pairing, ...]:
    return _pairings("forbidden", value)


def _min_score(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValidationError("min_score", f"must be a number from 0 to 1, not {value!r}")


def _flag(field: str) -> Any:
    return v.instance_of(field, bool)


@attrs.frozen(kw_only=True)
class Constraints:
    """The hard constraints: what excludes a pair whatever its score, and what is pinned.

    Capacity is the candidates' own (`Candidate.capacity`).

    Args:
        different_country: Exclude a mentor and a mentee of the same country (default).
        shared_language: Exclude pairs that share no working language.
        min_score: Exclude pairs that score less (SUMAC's minimum score); 0 excludes none.
        pinned: Pairs that must happen: kept in every proposal.
        forbidden: Pairs that must not happen (a repeat of an earlier pairing, a conflict).

    Raises:
        ValidationError: naming the field.
    """

    different_country: bool = attrs.field(default=True, validator=_flag("different_country"))
    shared_language: bool = attrs.field(default=False, validator=_flag("shared_language"))
    min_score: float = attrs.field(default=0.0, validator=_min_score)
    pinned: tuple[Pairing, ...] = attrs.field(default=(), converter=_pinned)
    forbidden: tuple[Pairing, ...] = attrs.field(default=(), converter=_forbidden)

    def __attrs_post_init__(self) -> None:
        for i, pin in enumerate(self.pinned):
            if pin in self.forbidden:
                raise ValidationError(f"pinned[{i}]", f"{pin.key} is also forbidden")


class Rule(enum.StrEnum):
    """Why a pair is excluded (the hard constraint that excludes it)."""

    SAME_CITY = "same-city"
    SAME_COUNTRY = "same-country"
    NO_SHARED_LANGUAGE = "no-shared-language"
    FORBIDDEN = "forbidden"
    BELOW_MIN_SCORE = "below-min-score"

    @property
    def bit(self) -> int:
        """This rule's bit in a pair's exclusion mask."""
        return 1 << list(Rule).index(self)
