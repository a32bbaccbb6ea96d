"""A fast path for loading events whose fields are all plain.

Most of a log is ``PhaseStarted`` / ``PhaseCompleted`` / ``PairCompleted`` and the like: ints,
strings, times, enums and partners. For those, checking each field's type by hand and building
the event directly is about 4x faster than the generated cattrs function. The plan of each
event type is derived from its attrs fields' *resolved* types (`attrs.resolve_types`), so a
renamed or moved type is still recognised; a test holds the set of event types that take this
path. Anything unexpected in a document (a missing or extra key, a wrong type) returns None,
and the cattrs path runs to name the problem exactly.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pendulum

from .._domain import events as ev
from .._domain.model import Benchmark, Partner
from .._domain.validate import encodable
from .primitives import load_date, load_partner, parse_instant

_NONE = type(None)
_STRINGS = "strings"  # a tuple of strings
_NO_BENCHMARKS = "no benchmarks"  # an empty tuple of benchmarks (others: the cattrs path)

Loader = Callable[[Mapping[str, Any], bool], "ev.Event | None"]
"""``loader(document, stored)``: ``stored``, the document may also carry its record's digest
(``chain``), which is not a field of the event."""


def plain(declared: object) -> Any:
    """What a field of resolved type ``declared`` is checked against, or None if it is not
    plain (a nested value: the cattrs path)."""
    if declared in (int, str, pendulum.DateTime, pendulum.Date, Partner):
        return declared
    if isinstance(declared, type) and issubclass(declared, enum.Enum):
        return declared
    origin, args = typing.get_origin(declared), typing.get_args(declared)
    if origin is tuple and args == (str, Ellipsis):
        return _STRINGS
    if origin is tuple and args == (Benchmark, Ellipsis):
        return _NO_BENCHMARKS
    if origin not in (typing.Union, types.UnionType):
        return None  # a mapping, a list: nested (Mapping[str, str] is not str | None)
    if args and set(args) <= {str, _NONE}:
        return (str, _NONE)
    if args and set(args) <= {int, _NONE}:
        return (int, _NONE)
    return None


def fast_loader(kind: type[ev.Event]) -> Loader | None:
    """The fast loader of ``kind``, or None if one of its fields is not plain."""
    plan: list[tuple[str, Any]] = []
    for field in attrs.fields(attrs.resolve_types(kind)):
        expected = plain(field.type)
        if expected is None:
            return None  # nested values: the cattrs path
        plan.append((field.name, expected))
    names = frozenset(name for name, _ in plan) | {"type"}
    chained = names | {"chain"}

    def load(document: Mapping[str, Any], stored: bool = False) -> ev.Event | None:
        keys = document.keys()
        if keys != names and not (stored and keys == chained):
            return None
        values: dict[str, Any] = {}
        for name, expected in plan:
            value = document[name]
            if expected is pendulum.DateTime:
                if not isinstance(value, str):
                    return None
                try:
                    value = parse_instant(value)
                except ValueError:
                    return None
            elif expected is Partner:
                value = load_partner(value)
                if value is None:
                    return None
            elif expected is _STRINGS:
                if not isinstance(value, list) or not all(
                    isinstance(v, str) and encodable(v) for v in value
                ):
                    return None
                value = tuple(value)
            elif expected is _NO_BENCHMARKS:
                if value != []:
                    return None
                value = ()
            elif isinstance(expected, type) and issubclass(expected, enum.Enum):
                try:
                    value = expected(value)
                except ValueError:
                    return None
            elif expected is pendulum.Date:
                if not isinstance(value, str):
                    return None
                try:
                    value = load_date(value)
                except ValueError:
                    return None
            elif not isinstance(value, expected) or isinstance(value, bool):
                return None
            elif isinstance(value, str) and not encodable(value):
                return None  # the cattrs path names it
            values[name] = value
        return kind(**values)

    return load


FAST: dict[type[ev.Event], Loader] = {
    kind: loader for kind in ev.EVENT_TYPES if (loader := fast_loader(kind)) is not None
}
"""The fast loader of every event type whose fields are all plain."""
