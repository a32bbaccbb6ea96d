"""Small checks and converters shared by the value classes.

Every failure raises `ValidationError` naming the field.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import pendulum

from ..exceptions import ValidationError

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

FIRST_DAY = dt.date(1900, 1, 1)
"""The first day mentorflow handles: a date or an instant before it is refused."""
LAST_DAY = dt.date(2999, 12, 31)
"""The last day mentorflow handles: a date or an instant after it is refused. The seven
millennia of headroom to Python's last date leave room for every deadline computed from it
(see `make_schedule`'s limit on a chain of offsets)."""
MAX_SPAN = {"days": 36_525, "weeks": 5_218, "months": 1_200, "working_days": 26_100}
"""The largest amount of each unit an offset, a duration or a delay may have: 100 years."""

_COUNTRY = re.compile(r"[A-Z]{2}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def encodable(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8: no lone surrogate (``"\\ud800"``), which
    Python strings can hold but no file or database can store."""
    return value.isascii() or _SURROGATE.search(value) is None


def unicode(field: str, value: str) -> None:
    """Refuse a string holding a lone surrogate, naming ``field``."""
    if not encodable(value):
        raise ValidationError(
            field, f"{show(value)} holds a lone surrogate: not valid Unicode text"
        )


_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")


def text(field: str) -> Any:
    """An attrs validator: a non-empty string without surrounding white space."""

    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str):
            raise ValidationError(field, f"must be a string, not {type(value).__name__}")
        if not value.strip():
            raise ValidationError(field, "must not be empty")
        if value != value.strip():
            raise ValidationError(field, f"{show(value)} has leading or trailing white space")
        unicode(field, value)

    return check


def optional_text(field: str) -> Any:
    """An attrs validator: ``None`` or what `text` accepts."""
    inner = text(field)

    def check(inst: object, attr: object, value: object) -> None:
        if value is not None:
            inner(inst, attr, value)

    return check


def country_code(field: str) -> Any:
    """An attrs validator: an ISO 3166-1 alpha-2 code in upper case (``"BE"``)."""

    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
            raise ValidationError(
                field, f"{show(value)} is not an ISO 3166-1 alpha-2 country code like 'BE'"
            )

    return check


def subdivision_code(field: str) -> Any:
    """An attrs validator: ``None`` or the part of an ISO 3166-2 code after the dash (``"MD"``)."""

    def check(_inst: object, _attr: object, value: object) -> None:
        if value is not None and (not isinstance(value, str) or not _SUBDIVISION.fullmatch(value)):
            raise ValidationError(
                field,
                f"{show(value)} is not an ISO 3166-2 subdivision code like 'MD' (for ES-MD)",
            )

    return check


def article(noun: str) -> str:
    """``"a City"``, ``"an int"``, ``"an Association"``."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def instance_of(field: str, kind: type | tuple[type, ...]) -> Any:
    """An attrs validator: ``isinstance(value, kind)``."""

    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, kind):
            names = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            raise ValidationError(field, f"must be {article(names)}, not {type(value).__name__}")

    return check


def date_value(field: str, value: object) -> pendulum.Date:
    """A `datetime.date` (not a datetime) as a ``pendulum.Date``."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(field, f"must be a date, not {type(value).__name__}")
    day_in_range(field, value)
    if type(value) is pendulum.Date:
        return value
    return pendulum.Date(value.year, value.month, value.day)


def day_in_range(field: str, day: dt.date) -> None:
    """Refuse a day outside `FIRST_DAY` .. `LAST_DAY`, naming ``field``."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            field,
            f"{day.isoformat()} is outside the dates mentorflow handles "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})",
        )


def span(field: str, amount: float, unit: str) -> None:
    """Refuse an amount of ``unit`` (a `Unit` value) longer than 100 years (`MAX_SPAN`)."""
    limit = MAX_SPAN[unit]
    if not -limit <= amount <= limit:
        words = unit.replace("_", " ")
        raise ValidationError(
            field,
            f"{show(amount)} {words} is more than 100 years, the longest span mentorflow "
            f"handles (at most {limit} {words})",
        )


def show(value: object, width: int = 200) -> str:
    """``repr(value)`` for a message: cut to ``width`` characters, and safe for numbers too
    long to print (Python refuses to turn an int of over 4,300 digits into text)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a {value.bit_length() * 3 // 10}-digit number"
    try:
        text = repr(value)
    except Exception:  # a huge number inside a container, a broken __repr__
        return f"a {type(value).__name__}"
    return text if len(text) <= width else text[: width - 3] + "..."


def text_tuple(field: str, value: Iterable[object]) -> tuple[str, ...]:
    """An iterable of non-empty strings as a tuple."""
    if isinstance(value, str):
        raise ValidationError(field, "must be a list of strings, not a single string")
    items = _items(field, value)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise ValidationError(f"{field}[{i}]", "must be a non-empty string")
        unicode(f"{field}[{i}]", item)
    return items  # type: ignore[return-value]  # checked just above


def tuple_of(field: str, kind: type[T], value: Iterable[object]) -> tuple[T, ...]:
    """An iterable of ``kind`` instances as a tuple."""
    items = _items(field, value)
    for i, item in enumerate(items):
        if not isinstance(item, kind):
            raise ValidationError(
                f"{field}[{i}]", f"must be {article(kind.__name__)}, not {type(item).__name__}"
            )
    return items  # type: ignore[return-value]  # checked just above


def _items(field: str, value: Iterable[object]) -> tuple[object, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
        raise ValidationError(field, f"must be a list, not {type(value).__name__}")
    return tuple(value)


def enum_value(field: str, kind: type[E], value: object) -> E:
    """A member, or the value of a member, of the enum ``kind``."""
    try:
        return kind(value)
    except (ValueError, TypeError, RecursionError):  # enum's own message may fail on a value
        allowed = ", ".join(repr(m.value) for m in kind)
        raise ValidationError(field, f"{show(value)} is not one of {allowed}") from None
