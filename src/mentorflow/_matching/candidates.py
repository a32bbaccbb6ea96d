"""Candidates: the cities that could mentor or be mentored, and what a needs assessment says.

A `Candidate` is a city with its association (a `Partner`) and the facts the criteria read:
its working languages, its scheme areas (`Theme`) and finer topics (strengths for a mentor,
needs for a mentee), its size, and how many mentees it can take. An `Affinity` is a
facilitator's own score for one pair, read by the ``affinity`` criterion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import attrs

from .._domain import validate as v
from .._domain.model import Partner, Theme
from ..exceptions import ValidationError

_KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def check_key(field: str, value: object) -> None:
    """A candidate's key: lower-case letters, digits and inner dashes (``"saint-jean"``)."""
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise ValidationError(
            field, f"{value!r} is not a key like 'saint-jean' (lower-case letters, digits, dashes)"
        )


def _key(_inst: Any, _attr: Any, value: Any) -> None:
    check_key("key", value)


def _languages(value: Iterable[str]) -> tuple[str, ...]:
    items = v.text_tuple("languages", value)
    return tuple(sorted({item.lower() for item in items}))


def _themes(value: Iterable[Theme | str]) -> tuple[Theme, ...]:
    if isinstance(value, str):
        raise ValidationError("themes", "must be a list of themes, not a single string")
    themes: list[Theme] = []
    for i, item in enumerate(v.tuple_of("themes", object, value)):
        theme = v.enum_value(f"themes[{i}]", Theme, item)
        if theme in themes:
            raise ValidationError(f"themes[{i}]", f"{theme.value!r} is listed twice")
        themes.append(theme)
    return tuple(themes)


def _topics(value: Iterable[str]) -> tuple[str, ...]:
    items = v.text_tuple("topics", value)
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.casefold() in seen:
            raise ValidationError(f"topics[{i}]", f"{item!r} is listed twice")
        seen.add(item.casefold())
    return items


def _preferences(value: Iterable[str]) -> tuple[str, ...]:
    items = v.text_tuple("preferences", value)
    for i, item in enumerate(items):
        check_key(f"preferences[{i}]", item)
        if item in items[:i]:
            raise ValidationError(f"preferences[{i}]", f"{item!r} is listed twice")
    return items


def _whole(field: str, low: int) -> Any:
    def check(_inst: Any, _attr: Any, value: Any) -> None:
        if value is None and field == "population":
            return
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValidationError(field, f"must be a whole number >= {low}, not {value!r}")

    return check


@attrs.frozen(kw_only=True)
class Candidate:
    """A city that could be a mentor or a mentee.

    Args:
        key: A short key, unique in the pool: lower-case letters, digits and inner dashes
            (``"saint-jean"``). A published pair's key is ``"<mentor>-<mentee>"``.
        partner: The city and the association that accompanies it.
        languages: Working languages (codes such as ``"fr"``; kept lower-case and sorted).
        themes: Scheme areas: a mentor's strengths, a mentee's needs, most important first.
        topics: Finer topics in the same sense (``"language learning"``); compared without
            regard to case.
        population: Inhabitants, for the ``size`` criterion; None if unknown.
        capacity: How many mentees a mentor can take at once (a lead city can mentor
            several); a mentee's is 1.
        preferences: For a stable matching: keys of the other side, most wanted first. Empty:
            ranked by score. A candidate that lists some finds the others unacceptable.

    Raises:
        ValidationError: naming the field.
    """

    key: str = attrs.field(validator=_key)
    partner: Partner = attrs.field(validator=v.instance_of("partner", Partner))
    languages: tuple[str, ...] = attrs.field(default=(), converter=_languages)
    themes: tuple[Theme, ...] = attrs.field(default=(), converter=_themes)
    topics: tuple[str, ...] = attrs.field(default=(), converter=_topics)
    population: int | None = attrs.field(default=None, validator=_whole("population", 1))
    capacity: int = attrs.field(default=1, validator=_whole("capacity", 1))
    preferences: tuple[str, ...] = attrs.field(default=(), converter=_preferences)

    @property
    def name(self) -> str:
        """The city's name."""
        return self.partner.city.name

    @property
    def country(self) -> str:
        """The city's country (ISO 3166-1 alpha-2)."""
        return self.partner.city.country


def _score(_inst: Any, _attr: Any, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ValidationError("score", f"must be a number from 0 to 1, not {value!r}")


@attrs.frozen(kw_only=True)
class Affinity:
    """A facilitator's score for one pair (0 to 1), read by the ``affinity`` criterion.

    Args:
        mentor: The mentor candidate's key.
        mentee: The mentee candidate's key.
        score: From 0 (no fit) to 1 (the best fit); pairs without one score 0.
        note: Where the score comes from (``"needs assessment, illustrative"``).
    """

    mentor: str = attrs.field()
    mentee: str = attrs.field()
    score: float = attrs.field(validator=_score)
    note: str | None = attrs.field(default=None, validator=v.optional_text("note"))

    @mentor.validator
    def _check_mentor(self, _attr: object, value: object) -> None:
        check_key("mentor", value)

    @mentee.validator
    def _check_mentee(self, _attr: object, value: object) -> None:
        check_key("mentee", value)
