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
import sys
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
    """The fast loader of ``kind``, or None if one of its fields is not plain.

    The loader is generated as straight-line code, one check per field (as attrs and cattrs
    generate theirs): a loop over the fields that asks each one's type costs twice as much,
    and a log has a million of these."""
    plan: list[tuple[str, Any]] = []
    for field in attrs.fields(attrs.resolve_types(kind)):
        expected = plain(field.type)
        if expected is None:
            return None  # nested values: the cattrs path
        plan.append((field.name, expected))
    names = frozenset(name for name, _ in plan) | {"type"}
    namespace: dict[str, Any] = {
        "kind": kind,
        "names": names,
        "chained": names | {"chain"},
        "parse_instant": parse_instant,
        "load_partner": load_partner,
        "load_date": load_date,
        "encodable": encodable,
        "intern": sys.intern,
    }
    lines = [
        "def load(document, stored=False):",
        "    keys = document.keys()",
        # a stored document carries its digest: that comparison first
        "    if not (stored and keys == chained) and keys != names:",
        "        return None",
    ]
    direct = _plain_init(kind)
    converters = {f.name: f.converter for f in attrs.fields(kind) if f.converter is not None}
    for i, (name, expected) in enumerate(plan):
        lines.append(f"    v{i} = document[{name!r}]")
        lines.extend(f"    {line}" for line in _check(f"v{i}", expected, namespace))
        if name == "pair" and expected is str:
            # every event of a pair names it: one string for all of them, as in a live
            # programme (a million events' copies take tens of megabytes)
            lines.append(f"    v{i} = intern(v{i})")
        if direct and name in converters:  # (else __init__ converts)
            lines.extend(f"    {line}" for line in _convert(f"v{i}", converters[name], namespace))
    if direct:
        # what attrs' __init__ does, without its call and its per-field setattr lookups
        # (a microsecond an event): a new object, each slot set
        namespace["new"] = object.__new__
        lines.append("    event = new(kind)")
        for i, (name, _) in enumerate(plan):
            namespace[f"set_{i}"] = getattr(kind, name).__set__
            lines.append(f"    set_{i}(event, v{i})")
        lines.append("    return event")
    else:
        arguments = ", ".join(f"{name}=v{i}" for i, (name, _) in enumerate(plan))
        lines.append(f"    return kind({arguments})")
    exec("\n".join(lines), namespace)  # code made here, of checked field names only
    load: Loader = namespace["load"]
    return load


def _plain_init(kind: type[ev.Event]) -> bool:
    """Whether ``kind``'s attrs ``__init__`` only converts (a plain one-argument converter,
    which the loader applies: `_convert`) and sets each field's slot (no validator, pre or
    post init, cached hash): then setting the slots is the same."""
    fields = attrs.fields(kind)
    return (
        all(f.init and f.validator is None and _plain_converter(f.converter) for f in fields)
        and not hasattr(kind, "__attrs_pre_init__")
        and not hasattr(kind, "__attrs_post_init__")
        and not any("_attrs_cached_hash" in getattr(c, "__slots__", ()) for c in kind.__mro__)
        and all(type(getattr(kind, f.name, None)) is types.MemberDescriptorType for f in fields)
    )


def _plain_converter(converter: object) -> bool:
    """No converter, or a plain function of the value (not an `attrs.Converter`, which may
    take the instance or the field)."""
    return converter is None or (
        callable(converter) and not isinstance(converter, (attrs.Converter, type))
    )


CONVERTED = 1024
"""How many distinct strings each converted field remembers the conversion of."""


def _convert(v: str, converter: Any, namespace: dict[str, Any]) -> list[str]:
    """The lines that convert ``v`` as the field's ``converter`` does (the loader returns None
    where it refuses: the cattrs path names why). A string's conversion is remembered: a log
    repeats its few themes in every enrolment (converters are functions of their value, and
    the values they return immutable)."""
    namespace[f"convert_{v}"] = converter
    namespace[f"converted_{v}"] = {}
    namespace["converted"] = CONVERTED
    return [
        f"c = converted_{v}.get({v}) if type({v}) is str else None",
        "if c is None:",
        f"    try: c = convert_{v}({v})",
        "    except (ValueError, TypeError): return None",
        f"    if type({v}) is str and len(converted_{v}) < converted: converted_{v}[{v}] = c",
        f"{v} = c",
    ]


def _check(v: str, expected: Any, namespace: dict[str, Any]) -> list[str]:
    """The lines that check (and convert) the value ``v`` of a field of plan ``expected``,
    returning None from the loader if it isn't one."""
    text = f"(type({v}) is str and ({v}.isascii() or encodable({v})))"
    if expected is pendulum.DateTime:
        return [
            f"if type({v}) is not str: return None",
            f"try: {v} = parse_instant({v})",
            "except ValueError: return None",
        ]
    if expected is Partner:
        return [f"{v} = load_partner({v})", f"if {v} is None: return None"]
    if expected is _STRINGS:
        return [
            f"if type({v}) is not list: return None",
            f"for s in {v}:",
            f"    if not {text.replace(v, 's')}: return None",
            f"{v} = tuple({v})",
        ]
    if expected is _NO_BENCHMARKS:
        return [f"if {v} != []: return None", f"{v} = ()"]
    if expected is pendulum.Date:
        return [
            f"if type({v}) is not str: return None",
            f"try: {v} = load_date({v})",
            "except ValueError: return None",
        ]
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        # the members by value, looked up directly (calling the enum costs a microsecond);
        # a value that is not a member's (or unhashable) is left to the enum to refuse
        namespace[f"enum_{v}"] = expected
        namespace[f"members_{v}"] = {member.value: member for member in expected}
        return [
            f"m = members_{v}.get({v}) if type({v}) is str else None",
            "if m is None:",
            f"    try: m = enum_{v}({v})",
            "    except (ValueError, TypeError): return None",
            f"{v} = m",
        ]
    if expected is int:
        return [f"if type({v}) is not int: return None"]
    if expected is str:
        return [f"if not {text}: return None"]
    if expected == (str, _NONE):
        return [f"if {v} is not None and not {text}: return None"]
    if expected == (int, _NONE):
        return [f"if {v} is not None and type({v}) is not int: return None"]
    raise AssertionError(f"no check for {expected!r}")  # pragma: no cover - plain() decides


FAST: dict[type[ev.Event], Loader] = {
    kind: loader for kind in ev.EVENT_TYPES if (loader := fast_loader(kind)) is not None
}
"""The fast loader of every event type whose fields are all plain."""
FAST_BY_NAME: dict[str, Loader] = {kind.__name__: loader for kind, loader in FAST.items()}
"""The same, by the event type's name (a document's ``type``)."""
