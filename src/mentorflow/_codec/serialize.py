"""JSON documents for every public value and event, with a schema version and upgrades.

* Times are RFC 9557 strings: ISO 8601 with the offset, then the IANA zone in brackets
  (``2020-06-17T10:00:00+02:00[Europe/Brussels]``), so a time comes back in its own zone. Dates
  are ISO 8601 (``2022-12-31``); enums are their values.
* An event is a mapping with its ``type`` (the class name) and its fields.
* A programme's definition (everything given to `Programme` but the clock) is a mapping with a
  ``schema`` version. Documents of an older schema are upgraded step by step (`UPGRADES`);
  documents of a newer schema are refused. It carries the definition's ``version`` and its
  ``fingerprint`` (`fingerprint`): a document changed after it was written is refused.

Every failure is a `SerializationError` naming where in the document the problem is.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs
import cattrs
import pendulum
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from .._domain import commands as cm
from .._domain import events as ev
from .._domain.calendar import Closure
from .._domain.deadlines import DeadlineRule, Offset
from .._domain.definition import Definition
from .._domain.distributions import KINDS, Distribution
from .._domain.extensions import ExtensionPolicy
from .._domain.lifecycle import Lifecycle, Step
from .._domain.model import DEFAULT_ROLES, Role, Roles
from .._domain.validate import encodable, show
from ..exceptions import MentorflowError, SerializationError, ValidationError
from .fastload import FAST, FAST_BY_NAME
from .primitives import dump_instant, load_date, load_instant

SCHEMA = 2
"""The schema version this mentorflow writes."""

T = TypeVar("T")


def _strict_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    if not encodable(value):
        raise ValueError(f"{show(value)} holds a lone surrogate: not valid Unicode text")
    return value


def _strict_int(value: object, _: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"must be a whole number, not {type(value).__name__}")
    return value


def _seconds(value: object, _: object) -> dt.timedelta:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"must be a number of seconds, not {type(value).__name__}")
    try:
        return dt.timedelta(seconds=value)
    except OverflowError:  # (a ValueError, for NaN, is named as the others are)
        raise ValueError(f"{show(value)} seconds is out of range for a duration") from None


def _strict_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {type(value).__name__}")
    return value


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    # enums (and str fields holding a Phase) are written as their plain values
    conv.register_unstructure_hook(str, str)
    conv.register_unstructure_hook(dt.timedelta, lambda v: v.total_seconds())
    conv.register_structure_hook(dt.timedelta, _seconds)
    # no silent coercion: a number where a string belongs is an error, not its repr
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(bool, _strict_bool)
    # a string (or a mapping) where a list belongs is an error, not its characters (keys)
    conv.register_structure_hook_func(_is_sequence, lambda v, kind: _load_sequence(conv, v, kind))
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda v: v.value
    )
    # sets (a step's required deliverables) as sorted lists: JSON has no sets
    conv.register_unstructure_hook_func(_is_set, lambda v: sorted(conv.unstructure(i) for i in v))
    conv.register_unstructure_hook(pendulum.DateTime, dump_instant)
    # a command's `at` may be any aware datetime: written as the instant it is
    conv.register_unstructure_hook(dt.datetime, lambda v: dump_instant(pendulum.instance(v)))
    conv.register_structure_hook(dt.datetime, lambda v, _: load_instant(v))
    conv.register_structure_hook(pendulum.DateTime, lambda v, _: load_instant(v))
    conv.register_unstructure_hook(pendulum.Date, lambda v: v.isoformat())
    conv.register_structure_hook(pendulum.Date, load_date)
    conv.register_unstructure_hook(Lifecycle, _dump_lifecycle)
    conv.register_structure_hook(Lifecycle, lambda v, _: _load_lifecycle(conv, v))
    # a migration's event and command hold a whole definition: as its own document
    conv.register_unstructure_hook(Definition, lambda v: dump_definition(v))
    conv.register_structure_hook(Definition, lambda v, _: _load_nested_definition(v))
    conv.register_unstructure_hook(
        DeadlineRule,
        make_dict_unstructure_fn(DeadlineRule, conv, _cattrs_omit_if_default=True),
    )
    # distributions carry their kind; an amount that may be uncertain is one or an Offset
    conv.register_unstructure_hook_func(_is_distribution, lambda d: _dump_distribution(conv, d))
    conv.register_structure_hook_func(
        _is_distribution, lambda v, kind: _load_distribution(conv, v, kind)
    )
    conv.register_structure_hook_func(_is_amount, lambda v, kind: _load_amount(conv, v, kind))
    return conv


def _is_distribution(kind: object) -> bool:
    return isinstance(kind, type) and issubclass(kind, Distribution)


def _is_amount(kind: object) -> bool:
    args = set(typing.get_args(kind))
    return Distribution in args and args <= {Offset, Distribution, type(None)}


def _dump_distribution(conv: cattrs.Converter, value: Distribution) -> dict[str, Any]:
    fields = {a.name: conv.unstructure(getattr(value, a.name)) for a in attrs.fields(type(value))}
    return {"kind": value.kind, **fields}


def _load_distribution(conv: cattrs.Converter, value: Any, kind: type[Distribution]) -> Any:
    if not isinstance(value, Mapping) or value.get("kind") not in KINDS:
        raise ValueError(f"a distribution has a kind, one of {', '.join(KINDS)}")
    chosen = KINDS[value["kind"]]
    if not issubclass(chosen, kind):
        raise ValueError(f"a {value['kind']} distribution is not a {kind.__name__}")
    fields = {k: v for k, v in value.items() if k != "kind"}
    names = {a.name for a in attrs.fields(chosen)}
    if set(fields) - names:
        raise ValueError(f"extra fields found ({', '.join(sorted(set(fields) - names))})")
    return chosen(**fields)  # its own validators check the amounts, naming the field


def _load_amount(conv: cattrs.Converter, value: Any, kind: object) -> Any:
    if value is None and type(None) in typing.get_args(kind):
        return None
    if isinstance(value, Mapping) and "kind" in value:
        return _load_distribution(conv, value, Distribution)
    return conv.structure(value, Offset)


_SEQUENCES = (tuple, list, frozenset, set)


def _is_sequence(kind: object) -> bool:
    """A homogeneous sequence type: ``tuple[X, ...]``, ``list[X]``, ``frozenset[X]``."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis
    return origin in _SEQUENCES and len(args) == 1


def _load_sequence(conv: cattrs.Converter, value: Any, kind: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list, not {type(value).__name__}")
    item = typing.get_args(kind)[0]
    items = []
    for index, element in enumerate(value):
        try:
            items.append(conv.structure(element, item))
        except Exception as err:
            note = IterableValidationNote(f"Structuring {kind} @ index {index}", index, item)
            err.__notes__ = [*getattr(err, "__notes__", []), note]
            raise IterableValidationError(f"While structuring {show(kind)}", [err], kind) from None
    origin = typing.get_origin(kind)
    return origin(items)


def _is_set(kind: object) -> bool:
    origin: object = typing.get_origin(kind) or kind
    return origin is frozenset or origin is set


def _dump_lifecycle(lifecycle: Lifecycle) -> dict[str, Any]:
    hosts = lifecycle.visit_hosts
    return {
        "steps": [
            {
                "phase": str(step.phase),
                "then": None if step.then is None else str(step.then),
                "visit": step.visit,
                "requires": sorted(d.value for d in step.requires),
            }
            for step in lifecycle.steps
        ],
        "visit_hosts": None if hosts is None else {r.value: n for r, n in hosts.items()},
    }


def _load_lifecycle(conv: cattrs.Converter, doc: Any) -> Lifecycle:
    if not isinstance(doc, Mapping) or set(doc) != {"steps", "visit_hosts"}:
        raise ValueError("a lifecycle has exactly the keys steps and visit_hosts")
    steps = conv.structure(doc["steps"], list[Step])
    hosts = doc["visit_hosts"]
    if hosts is not None and not isinstance(hosts, Mapping):
        raise ValueError(f"visit_hosts must be a mapping or null, not {type(hosts).__name__}")
    return Lifecycle(
        steps=steps, visit_hosts=None if hosts is None else {Role(k): v for k, v in hosts.items()}
    )


converter = _make_converter()
"""The cattrs converter of every public value and event type."""

EVENTS: Mapping[str, type[ev.Event]] = MappingProxyType({k.__name__: k for k in ev.EVENT_TYPES})

_dump_fns: dict[type, Callable[[Any], dict[str, Any]]] = {
    kind: make_dict_unstructure_fn(kind, converter) for kind in ev.EVENT_TYPES
}
_load_fns: dict[type, Callable[[Any, Any], Any]] = {
    kind: make_dict_structure_fn(kind, converter, _cattrs_forbid_extra_keys=True)
    for kind in ev.EVENT_TYPES
}


def unstructure(value: object) -> Any:
    """A JSON-ready document of ``value`` (a value, an event, or a collection of them)."""
    if isinstance(value, ev.Event):
        return dump_event(value)
    return converter.unstructure(value)


def structure(document: object, kind: type[T], where: str = "$") -> T:
    """``kind`` from ``document``.

    Raises:
        SerializationError: naming where in the document the first problem is.
    """
    if isinstance(kind, type) and issubclass(kind, ev.Event):
        return load_event(document, where)  # type: ignore[return-value]
    try:
        return converter.structure(document, kind)
    except Exception as err:  # cattrs groups; mentorflow's own validation errors
        raise _error(err, where) from None


COMMANDS: Mapping[str, type[cm.Command]] = MappingProxyType({k.__name__: k for k in cm.COMMANDS})
"""Every command type by its document ``type``."""


def dump_command(command: cm.Command) -> dict[str, Any]:
    """``{"type": "Complete", "at": "...", "note": null, "pair": "...", "phase": "..."}``:
    the same codec as events (times with their zone, enums as values).

    Raises:
        SerializationError: ``command`` is not a command.
    """
    kind = type(command)
    if COMMANDS.get(kind.__name__) is not kind:
        raise SerializationError("$", f"{kind.__name__} is not a mentorflow command")
    return {"type": kind.__name__, **converter.unstructure(command)}


def load_command(document: object, where: str = "$") -> cm.Command:
    """The command of a `dump_command` document.

    Raises:
        SerializationError: an unknown type, a missing field or a wrong value, naming where.
    """
    if not isinstance(document, Mapping):
        raise SerializationError(
            where, f"a command must be a mapping, not {type(document).__name__}"
        )
    name = document.get("type")
    kind = COMMANDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise SerializationError(f"{where}.type", f"{show(name)} is not a command type")
    fields = {k: v for k, v in document.items() if k != "type"}
    try:
        return converter.structure(fields, kind)
    except Exception as err:  # cattrs groups; the command's own validation errors
        raise _error(err, where) from None


def dump_event(event: ev.Event) -> dict[str, Any]:
    """``{"type": "PhaseStarted", "seq": 3, "at": "...", ...}``."""
    document = _dump_fns[type(event)](event)
    return {"type": type(event).__name__, **document}


def load_event(document: object, where: str = "$") -> ev.Event:
    """The event of a `dump_event` document.

    Raises:
        SerializationError: an unknown type, a missing field or a wrong value, naming where.
    """
    if not isinstance(document, Mapping):
        raise SerializationError(
            where, f"an event must be a mapping, not {type(document).__name__}"
        )
    name = document.get("type")
    kind = EVENTS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise SerializationError(f"{where}.type", f"{show(name)} is not an event type")
    fast = FAST.get(kind)
    if fast is not None:
        event = fast(document, False)
        if event is not None:
            return event
    fields = {k: v for k, v in document.items() if k != "type"}
    try:
        loaded: ev.Event = _load_fns[kind](fields, kind)
    except Exception as err:
        raise _error(err, where) from None
    return loaded


def load_stored_event(document: Mapping[str, Any], where: str, seq: int) -> ev.Event:
    """`load_event` of the stored record of event ``seq`` of the log at ``where``, which may
    carry its digest (``chain``) beside the event's fields (checked by
    `mentorflow._codec.chain`, ignored here).

    Raises:
        SerializationError: as `load_event`, naming ``where[seq N]``.
    """
    name = document.get("type")
    fast = FAST_BY_NAME.get(name) if type(name) is str else None
    if fast is not None:
        event = fast(document, True)
        if event is not None:
            return event
    if "chain" in document:
        document = {k: v for k, v in document.items() if k != "chain"}
    return load_event(document, f"{where}[seq {seq}]")


def _describe(exc: BaseException, kind: type | None) -> str:
    """Our converters' own messages say more than cattrs' generic ones."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, kind)


def _error(err: Exception, where: str) -> SerializationError:
    if isinstance(err, MentorflowError) and hasattr(err, "field"):
        return SerializationError(f"{where}.{err.field}", str(getattr(err, "problem", err)))
    try:
        messages = cattrs.transform_error(err, path=where, format_exception=_describe)
    except Exception:  # not a cattrs error
        messages = [f"{err} @ {where}"]
    message = messages[0]
    problem, _, path = message.rpartition(" @ ")
    return SerializationError(path or where, problem or message)


# -- programme definitions --------------------------------------------------------------


def dump_definition(definition: Definition | Any) -> dict[str, Any]:
    """The document of a `Definition`, or of a `Programme`'s definition: everything but its
    clock and state (the end is the original one, before any extension; the definition the
    programme was made with, before any migration: with its history, it rebuilds it).

    Raises:
        SerializationError: for anything else.
    """
    # a programme's: the one its history starts from (its log's migrations follow from it)
    definitions = getattr(definition, "definitions", None)
    definition = definitions[0] if definitions else definition
    if not isinstance(definition, Definition):
        raise SerializationError("$", f"{type(definition).__name__} is not a Definition")
    document = _definition_document(definition)
    return {**document, "fingerprint": _digest(document)}


def fingerprint(definition: Definition | Mapping[str, Any]) -> str:
    """A short digest of a definition's document (16 hex digits): equal definitions have
    equal fingerprints, and a stored document's is kept with it (`dump_definition`).

    Given a document, the digest of the document as it is (its own ``fingerprint`` key
    aside), so a stored document can be checked against the fingerprint it carries.

    Raises:
        SerializationError: for anything but a `Definition` or a mapping.
    """
    if isinstance(definition, Definition):
        return _digest(_definition_document(definition))
    if not isinstance(definition, Mapping):
        raise SerializationError("$", f"{type(definition).__name__} is not a Definition")
    return _digest({k: v for k, v in definition.items() if k != "fingerprint"})


def _digest(document: Mapping[str, Any]) -> str:
    # canonical JSON: the same document always gives the same bytes
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _definition_document(definition: Definition) -> dict[str, Any]:
    document = {
        "schema": SCHEMA,
        "name": definition.name,
        "starts_on": definition.starts_on.isoformat(),
        "ends_on": definition.ends_on.isoformat(),
        "timezone": definition.timezone,
        "lifecycle": _dump_lifecycle(definition.lifecycle),
        "coordinator": definition.coordinator,
        "funding_reference": definition.funding_reference,
        "country": definition.country,
        "subdivision": definition.subdivision,
        "deadlines": [converter.unstructure(rule) for rule in definition.deadlines],
        "extension_policy": converter.unstructure(definition.extension_policy),
        "phase_extension_policy": converter.unstructure(definition.phase_extension_policy),
        "clock_tolerance": definition.clock_tolerance.total_seconds(),
        "version": definition.version,
    }
    if definition.closures:  # only when there are some: older documents keep their fingerprint
        document["closures"] = [
            {"on": c.on.isoformat(), "region": c.region} for c in definition.closures
        ]
    if definition.roles != DEFAULT_ROLES:  # likewise: only names of the programme's own
        document["roles"] = {"mentor": definition.roles.mentor, "mentee": definition.roles.mentee}
    return document


_DEFINITION_KEYS = frozenset(
    {"schema", "fingerprint", *(field.name for field in attrs.fields(Definition) if field.init)}
)
"""The keys of a definition document: the schema, the fingerprint and `Definition`'s fields."""
_OPTIONAL_KEYS = frozenset({"clock_tolerance", "version", "fingerprint", "closures", "roles"})
"""Keys added after schema 2 was first written: a document without them takes the default
(version 1; no fingerprint to check; no closures; mentor and mentee). Added keys are written
only when they differ from the default, so a document written before them keeps its
fingerprint and needs no new schema."""


def load_definition(document: object, where: str = "$") -> dict[str, Any]:
    """The keyword arguments of `Programme` from a `dump_definition` document (upgraded first).

    Raises:
        SerializationError: naming the key and the problem.
    """
    doc = upgrade(document, where)
    missing = sorted(_DEFINITION_KEYS - _OPTIONAL_KEYS - set(doc))
    if missing:
        raise SerializationError(f"{where}.{missing[0]}", "required field missing")
    extra = sorted(set(doc) - _DEFINITION_KEYS)
    if extra:
        raise SerializationError(f"{where}.{extra[0]}", "unknown field")
    kwargs: dict[str, Any] = {"name": doc["name"], "timezone": doc["timezone"]}
    for key, kind in (
        ("starts_on", pendulum.Date),
        ("ends_on", pendulum.Date),
        ("lifecycle", Lifecycle),
        ("extension_policy", ExtensionPolicy),
        ("phase_extension_policy", ExtensionPolicy),
    ):
        kwargs[key] = structure(doc[key], kind, f"{where}.{key}")
    if not isinstance(doc["deadlines"], list):
        raise SerializationError(f"{where}.deadlines", "must be a list")
    kwargs["deadlines"] = [
        structure(rule, DeadlineRule, f"{where}.deadlines[{i}]")
        for i, rule in enumerate(doc["deadlines"])
    ]
    for key in ("coordinator", "funding_reference", "country", "subdivision"):
        kwargs[key] = doc[key]
    if "clock_tolerance" in doc:
        seconds = doc["clock_tolerance"]
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise SerializationError(f"{where}.clock_tolerance", "must be a number of seconds")
        try:
            kwargs["clock_tolerance"] = dt.timedelta(seconds=seconds)
        except (OverflowError, ValueError):  # beyond a timedelta's range, or not finite
            raise SerializationError(
                f"{where}.clock_tolerance",
                f"{show(seconds)} seconds is out of range for a duration",
            ) from None
    if "version" in doc:
        kwargs["version"] = doc["version"]  # Definition checks it, naming the field
    if "closures" in doc:
        kwargs["closures"] = _closures(doc["closures"], f"{where}.closures")
    if "roles" in doc:
        kwargs["roles"] = _roles(doc["roles"], f"{where}.roles")
    return kwargs


def _roles(value: object, where: str) -> Roles:
    if not isinstance(value, Mapping) or set(value) != {"mentor", "mentee"}:
        raise SerializationError(where, "must be {mentor, mentee}")
    try:
        return Roles(mentor=value["mentor"], mentee=value["mentee"])
    except ValidationError as err:
        raise SerializationError(f"{where}.{err.field}", err.problem) from None


def _closures(value: object, where: str) -> list[Closure]:
    if not isinstance(value, list):
        raise SerializationError(where, "must be a list")
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) != {"on", "region"}:
            raise SerializationError(f"{where}[{i}]", "must be {on, region}")
        try:
            found.append(Closure(on=dt.date.fromisoformat(item["on"]), region=item["region"]))
        except (TypeError, ValueError) as err:
            raise SerializationError(f"{where}[{i}]", str(err)) from None
    return found


def _check_fingerprint(document: object, where: str) -> None:
    """A document that carries a fingerprint must still match it (as written: before any
    upgrade). One that doesn't was edited after it was written."""
    if not isinstance(document, Mapping) or "fingerprint" not in document:
        return
    kept = document["fingerprint"]
    actual = fingerprint(document)
    if kept != actual:
        raise SerializationError(
            f"{where}.fingerprint",
            f"the document was changed after it was written (it carries {kept!r}, its content "
            f"gives {actual!r}): a stored definition is never edited; change a programme's "
            "definition with Programme.migrate",
        )


def _load_nested_definition(document: object) -> Definition:
    # within an event or a command: the error names the key inside the definition's document
    # ("definition.lifecycle..."), and cattrs adds where that document is
    try:
        return read_definition(document, "definition")
    except SerializationError as err:
        raise ValueError(f"{err.field}: {err.problem}") from None


def read_definition(document: object, where: str = "$") -> Definition:
    """The `Definition` a `dump_definition` document holds (upgraded first), checked against
    the fingerprint it carries (if it carries one: documents written before 0.2 don't).

    Raises:
        SerializationError: naming the key and the problem (a field the definition refuses
            included), or ``fingerprint`` for a document changed after it was written.
    """
    kwargs = load_definition(document, where)
    try:
        definition = Definition(**kwargs)
    except MentorflowError as err:
        field = getattr(err, "field", "")
        raise SerializationError(f"{where}.{field}", str(getattr(err, "problem", err))) from None
    # last: a document with a bad value says what is wrong with it, not only that it changed
    _check_fingerprint(document, where)
    return definition


# -- schema versions ----------------------------------------------------------------------


def _is_offset_time(value: str) -> bool:
    """An ISO 8601 date and time with a UTC offset and no zone (not "IT", not "TBD")."""
    if "T" not in value or "[" in value:
        return False
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _from_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 wrote times with their UTC offset only (``2020-06-17T10:00:00+02:00``); schema
    2 adds the zone, so a time comes back in the zone it was written in. Documents of schema 1
    get the programme's timezone on every time."""
    zone = doc.get("timezone")

    def fix(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, str) and _is_offset_time(value):
            return f"{value}[{zone}]"
        return value

    out: dict[str, Any] = fix(doc)
    out["schema"] = 2
    return out


UPGRADES: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] = MappingProxyType({1: _from_1})
"""``UPGRADES[n]`` turns a document of schema ``n`` into one of schema ``n + 1``."""


def upgrade(document: object, where: str = "$") -> dict[str, Any]:
    """``document`` upgraded to the current schema.

    Raises:
        SerializationError: for a missing or unknown schema, or one newer than this mentorflow.
    """
    if not isinstance(document, Mapping):
        raise SerializationError(where, f"must be a mapping, not {type(document).__name__}")
    doc = dict(document)
    version = doc.get("schema")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SerializationError(f"{where}.schema", f"{show(version)} is not a schema version")
    if version > SCHEMA:
        raise SerializationError(
            f"{where}.schema",
            f"schema {version} is newer than this mentorflow's ({SCHEMA}); upgrade mentorflow",
        )
    while version < SCHEMA:
        doc = UPGRADES[version](doc)
        version = doc["schema"]
    return doc


def upgrade_events(documents: list[Any], schema: int, zone: str, where: str = "$") -> list[Any]:
    """Event documents written under ``schema``, upgraded with the definition's timezone."""
    if schema == SCHEMA:
        return documents
    wrapped = upgrade({"schema": schema, "timezone": zone, "events": documents}, where)
    events: list[Any] = wrapped["events"]
    return events
