"""The codec's primitives: instants, dates and partners, parsed once and shared.

Logs repeat their values: every event of a command shares one instant, and a handful of
partners appear in thousands of events. The values are immutable, so each distinct document is
parsed once; the caches are bounded (65,536 instants, 4,096 partners) and owned by this module.
"""

from __future__ import annotations

import datetime as dt
import functools

import pendulum

from .._domain.clock import in_zone
from .._domain.model import Association, City, Partner
from .._domain.validate import show
from ..exceptions import MentorflowError, SerializationError


@functools.lru_cache(maxsize=1024)  # there are about 600 IANA zones
def _zone(name: str) -> pendulum.Timezone:
    return pendulum.timezone(name)


_last_dumped: tuple[object, str] = (None, "")
"""The last instant `dump_instant` wrote, and its text."""


def dump_instant(value: pendulum.DateTime) -> str:
    """``2020-06-17T10:00:00+02:00[Europe/Brussels]``.

    The last instant written is remembered, by identity (not equality: the same instant in
    another zone is written otherwise): every event of a command shares one, and so does
    every command of a batch that reads the clock once, and an instant is immutable.
    """
    global _last_dumped
    last = _last_dumped  # one read: another thread may replace it meanwhile
    if last[0] is value:
        return last[1]
    text = f"{value.isoformat()}[{value.timezone_name}]"
    _last_dumped = (value, text)
    return text


def load_instant(value: object) -> pendulum.DateTime:
    """The inverse of `dump_instant` (the zone in brackets may be left out: then the offset's)."""
    if not isinstance(value, str):
        raise ValueError(f"a time must be an ISO 8601 string, not {type(value).__name__}")
    return parse_instant(value)


def read_instant(value: object) -> pendulum.DateTime:
    """`load_instant` for callers: a bad value is a `SerializationError` (a `ValueError`).

    Raises:
        SerializationError: ``value`` is not an RFC 9557 time.
    """
    try:
        return load_instant(value)
    except (ValueError, OverflowError) as err:
        raise SerializationError("$", str(err)) from None


@functools.lru_cache(maxsize=65536)
def parse_instant(value: str) -> pendulum.DateTime:
    """Parsed once per distinct string: a log repeats its instants (every event of a command
    shares one), and pendulum times are immutable, so sharing them is safe."""
    text, _, zone = value.partition("[")
    try:
        plain = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{show(value)} is not an ISO 8601 time") from None
    if plain.tzinfo is None:
        raise ValueError(f"{show(value)} has no UTC offset")
    try:
        if not zone:
            return pendulum.instance(plain)
        return in_zone(plain, _zone(zone.rstrip("]")))
    except (OverflowError, ValueError):
        raise ValueError(f"{value!r} is not a time mentorflow can place") from None
    except Exception:  # pendulum's several errors for an unknown zone
        raise ValueError(f"{value!r} names no IANA timezone") from None


def load_date(value: object, _: object = None) -> pendulum.Date:
    if not isinstance(value, str):
        raise ValueError(f"a date must be an ISO 8601 string, not {type(value).__name__}")
    day = dt.date.fromisoformat(value)
    return pendulum.Date(day.year, day.month, day.day)


@functools.lru_cache(maxsize=4096)
def _partner(
    city: str, country: str, subdivision: str | None, association: str, association_country: str
) -> Partner:
    """A partner of a log: the same few appear in many events, and values are immutable."""
    return Partner(
        city=City(name=city, country=country, subdivision=subdivision),
        association=Association(name=association, country=association_country),
    )


_PARTNER = frozenset({"city", "association"})
_CITY = frozenset({"name", "country", "subdivision"})
_ASSOCIATION = frozenset({"name", "country"})
# (constants: a set display compared with keys is built anew on every call)


def load_partner(document: object) -> Partner | None:
    """A partner document, through the cache; None if it isn't exactly one (let cattrs say why)."""
    if not isinstance(document, dict) or document.keys() != _PARTNER:
        return None
    city, association = document["city"], document["association"]
    if not isinstance(city, dict) or city.keys() != _CITY:
        return None
    if not isinstance(association, dict) or association.keys() != _ASSOCIATION:
        return None
    try:
        return _partner(
            city["name"],
            city["country"],
            city["subdivision"],
            association["name"],
            association["country"],
        )
    except (TypeError, MentorflowError):  # unhashable or invalid values: the cattrs path
        return None
