"""Snapshots: a programme's state at a version, as the library's own versioned JSON.

A snapshot holds what the events of a log *made* of a programme at version N, beside that log:
the machine state of each pair (with its number of events, its visits and deliverables), the
idempotency keys, the definitions a migration put in force, the programme's end, the
extensions, the reporting (plan, reports, deliverables, alerts sent), and the deadline book's
memory (milestones reached, revisions, alerts sent, the order of the alerts to come) with what
it folded from each pair's history (`book_snapshot`). It does not hold the events: they are
the log's. Restoring from a snapshot installs that state, without running the commands of the
events up to N again, and replays only the events after N through the engine; the events up
to N are read (and their chain checked) only when something first asks for them
(`install_lazily`). A format-3 snapshot, whose book has no folds, is installed with the events
up to N read: its book folds each pair's history again (`install`).

A snapshot is trusted only when it matches its log: the same programme key, a format and codec
schema this mentorflow reads, the fingerprint of the stored definition, and the digest of the
log's record N (``head``). A snapshot that doesn't (or can't be read: a torn write) is ignored
with a warning, and the restore replays the log in full. ``verify=True`` replays in full
anyway and compares the snapshot with what the replay made, field by field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import pendulum

from .._codec.primitives import dump_instant, load_instant
from .._codec.serialize import (
    SCHEMA,
    converter,
    dump_definition,
    dump_event,
    fingerprint,
    load_event,
    read_definition,
)
from .._domain.deadlines import Offset
from .._domain.events import (
    DeliverableRegistered,
    Event,
    PairEvent,
    ReportingPlanned,
    ReportSubmitted,
)
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.model import StudyVisit
from .._domain.older import LazyEvents, Older
from .._domain.pair_state import PairState
from .._domain.reporting import DeliverableRecord, Reporting
from .._domain.validate import show
from .._engine.machine import engine_for
from ..exceptions import ValidationError
from .book_snapshot import dump_book, dump_book_3, load_book
from .runtime import Runtime

FORMAT = 4
"""The version of the snapshot document's layout (beside the codec's `SCHEMA`). 2: each pair
also has its number of events, the time of its last one, and its visits and deliverables, so
that a restore need not read the events before the snapshot. 3: the programme's reporting (its
plan, the reports submitted, the deliverables and the alerts sent of both). 4: the deadline
book's folds of the pairs' histories and the order of its alerts (`book_snapshot`), so that a
programme with deadline rules, too, restores without the events before the snapshot."""

READABLE = (3, FORMAT)
"""The formats a restore installs: a format-3 snapshot (4 less the book's folds) is installed
with the whole log read, its book folded again from the pairs' histories."""

KIND = "mentorflow snapshot"


@attrs.frozen
class SnapshotPolicy:
    """When a persisted programme saves a snapshot of its state to its store.

    Args:
        every: Save one each time the log has grown by this many events since the last
            (checked as each change is written; the snapshot is of the state before it).

    Raises:
        ValidationError: ``every`` is not a whole number >= 1.

    Examples:
        >>> SnapshotPolicy(every=10_000)
        SnapshotPolicy(every=10000)
    """

    every: int = attrs.field()

    @every.validator
    def _check(self, _: object, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError("every", f"must be a whole number >= 1, not {show(value)}")


# -- taking --------------------------------------------------------------------------------


def take(rt: Runtime, key: str, head: str) -> dict[str, Any]:
    """The snapshot document of ``rt``'s state now (version ``rt.version``), stored under
    ``key``, whose record at that version has digest ``head``."""
    body = {
        "kind": KIND,
        "format": FORMAT,
        "schema": SCHEMA,
        "key": key,
        "version": rt.ledger.seq,
        "head": head,
        "definition": fingerprint(rt.definitions[0]),
        "state": state_of(rt),
    }
    return {**body, "digest": _digest(body)}


def state_of(rt: Runtime) -> dict[str, Any]:
    """What the engine's decisions made of ``rt``, as JSON (see the module's docstring)."""
    extensions = rt.extensions
    return {
        "definitions": [dump_definition(d) for d in rt.definitions[1:]],
        "ends_on": rt.ends_on.isoformat(),
        "pairs": [_pair_of(key, state) for key, state in rt.states.items()],
        "keys": [[name, first, count] for name, (first, count) in rt.ledger.keys.items()],
        "extensions": [converter.unstructure(e) for e in extensions.all()],
        "granted": [
            [phase, pair, [converter.unstructure(o) for o in offsets]]
            for (phase, pair), offsets in extensions.granted.items()
        ],
        "book": None if rt.book is None else dump_book(rt.book),
        "reporting": _reporting_of(rt.reporting),
    }


def _reporting_of(reporting: Reporting) -> dict[str, Any]:
    """The reporting's state: its plan and the reports submitted (their events), the
    deliverables as they stand, and the last alert sent of each (name, due, revision, missed)."""
    return {
        "plan": None if reporting.plan is None else dump_event(reporting.plan),
        "submitted": [dump_event(e) for e in reporting.submitted.values()],
        "deliverables": [converter.unstructure(r) for r in reporting.deliverables.values()],
        "alerts": [
            [name, due.isoformat(), revision, missed]
            for name, (due, revision, missed) in reporting.alerts.items()
        ],
    }


def _pair_of(key: str, state: PairState) -> list[Any]:
    """A pair's entry: its key, machine state, number of events, the time of its last one,
    and (if it has any) its visits and deliverables' registrations."""
    entry: list[Any] = [key, state.state, len(state.history), dump_instant(state.last_at)]
    if state.visits or state.deliverables:
        entry.append([converter.unstructure(v) for v in state.visits.values()])
        entry.append([dump_event(e) for e in state.deliverables.values()])
    return entry


def _digest(body: Mapping[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# -- checking ------------------------------------------------------------------------------


def problem(document: object, key: str, definition: Mapping[str, Any]) -> str | None:
    """Why the snapshot ``document`` can't be trusted for programme ``key`` of the stored
    ``definition`` document, or None. (Its head is checked against the log by the caller.)"""
    if not isinstance(document, dict) or document.get("kind") != KIND:
        return "it is not a mentorflow snapshot"
    body = {k: v for k, v in document.items() if k != "digest"}
    try:
        intact = document.get("digest") == _digest(body)
    except (TypeError, ValueError, RecursionError):
        intact = False
    if not intact:
        return "its digest does not match its content (a torn or edited snapshot)"
    if document.get("format") not in READABLE or document.get("schema") != SCHEMA:
        return (
            f"it was written by another mentorflow (snapshot format {show(document.get('format'))}"
            f", schema {show(document.get('schema'))}; this one writes {FORMAT}, {SCHEMA})"
        )
    if document.get("key") != key:
        return f"it is a snapshot of programme {show(document.get('key'))}, not {show(key)}"
    if document.get("definition") != fingerprint(
        {k: v for k, v in definition.items() if k != "fingerprint"}
    ) and document.get("definition") != definition.get("fingerprint"):
        return "it is of another definition than the stored one (its fingerprint differs)"
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        return f"its version is {show(version)}"
    if not isinstance(document.get("head"), str) or not isinstance(document.get("state"), dict):
        return "its head or its state is missing"
    return None


# -- restoring -----------------------------------------------------------------------------


def install(
    rt: Runtime,
    state: Mapping[str, Any],
    events: Sequence[Event],
    enrolled: Callable[[PairState], object],
) -> None:
    """Give the new runtime ``rt`` (of the stored definition, no events yet) the snapshot's
    ``state`` and its ``events`` (the log's, up to the snapshot's version).

    Raises:
        ValueError, TypeError, KeyError, AttributeError, MentorflowError: a state that
            doesn't fit the events (the caller ignores the snapshot, with a warning, and
            replays the whole log on a new runtime: this one is half made).
    """
    _install_programme(rt, state)
    rt.ledger.events.extend(events)
    histories: dict[str, list[PairEvent]] = {}
    for event in events:  # a deadline alert names a pair, but is the programme's event
        if isinstance(event, PairEvent):
            histories.setdefault(event.pair, []).append(event)
    machine = set(rt.engine.phase_of)
    for key, name, count, *_ in state["pairs"]:
        history = histories[key]
        if name not in machine:
            raise ValueError(f"pair {key!r}: {name!r} is not a state of the lifecycle")
        if count != len(history):
            raise ValueError(
                f"pair {key!r}: {count} events in the snapshot, {len(history)} in the log"
            )
        pair_state = PairState(history[:1], state=name)
        pair_state.fold(history[1:], None)  # the visits and deliverables, as applied
        rt.states[key] = pair_state
        enrolled(pair_state)
    if len(histories) != len(rt.states):
        raise ValueError("some pairs have events but no state")
    rt.book = load_book(rt, state["book"], histories)


def lazy(state: Mapping[str, Any]) -> bool:
    """Whether a snapshot's ``state`` can be installed without the events before it (see
    `install_lazily`): it has no deadline book, or one with its folds of the pairs' histories
    (format 4; a format-3 book is folded again from the histories)."""
    book = state.get("book")
    return book is None or (isinstance(book, Mapping) and "pairs" in book)


def comparable(rt: Runtime, document: Mapping[str, Any]) -> dict[str, Any]:
    """The state of ``rt`` (`state_of`), laid out as the snapshot ``document``'s format
    lays out its own: what `restore(verify=True)` compares it with."""
    state = state_of(rt)
    if document.get("format") != FORMAT and rt.book is not None:
        state["book"] = dump_book_3(rt.book)
    return state


def install_lazily(
    rt: Runtime,
    state: Mapping[str, Any],
    older: Older,
    count: int,
    enrolled: Callable[[PairState], object],
) -> None:
    """`install`, without the ``count`` events before the snapshot: the programme's history
    and each pair's wait on ``older``, which reads them from the store when something first
    asks for one (`LazyEvents`); the deadline book is installed from its folds. Only for a
    state that is `lazy`.

    Raises:
        ValueError, TypeError, KeyError, AttributeError, MentorflowError: as `install`.
    """
    if not lazy(state):
        raise ValueError("a deadline book without its folds: the pairs' histories are needed")
    _install_programme(rt, state)
    rt.ledger.events = LazyEvents(older, count)
    machine = set(rt.engine.phase_of)
    total = 0
    for key, name, length, last_at, *extra in state["pairs"]:
        if name not in machine:
            raise ValueError(f"pair {key!r}: {name!r} is not a state of the lifecycle")
        if type(length) is not int or length < 1:
            raise ValueError(f"pair {key!r}: {length!r} events")
        total += length
        visits: dict[int, StudyVisit] = {}
        deliverables: dict[Any, DeliverableRegistered] = {}
        if extra:
            for document in extra[0]:
                visit = converter.structure(document, StudyVisit)
                visits[visit.number] = visit
            for document in extra[1]:
                event = load_event(document, "snapshot.pairs")
                if not isinstance(event, DeliverableRegistered):
                    raise ValueError(f"pair {key!r}: a {type(event).__name__} as a deliverable")
                deliverables[event.deliverable] = event
        history: LazyEvents[PairEvent] = LazyEvents(older, length, key, load_instant(last_at))
        pair_state = PairState.restored(history, name, visits, deliverables)
        rt.states[key] = pair_state
        enrolled(pair_state)
    if total > count:
        raise ValueError(f"the pairs have {total} events, more than the {count} in the log")
    rt.book = load_book(rt, state["book"], None)


def _install_programme(rt: Runtime, state: Mapping[str, Any]) -> None:
    """Install what the snapshot's ``state`` says of the programme: its migrated
    definitions, its end, the idempotency keys and the extensions."""
    ledger = rt.ledger
    for document in state["definitions"]:
        new = read_definition(document, "snapshot.definitions")
        rt.definition = new
        rt.definitions.append(new)
        rt.engine = engine_for(new.lifecycle)
        rt.calendar = new.calendar(new.regions)
        rt.tolerance = new.clock_tolerance.total_seconds()
        rt.extensions.policy = new.extension_policy
        rt.extensions.phase_policy = new.phase_extension_policy
    rt.ends_on = pendulum.Date.fromisoformat(state["ends_on"])
    for name, first, count in state["keys"]:
        ledger.keys[name] = (first, count)
        ledger.keyed[first] = name
    _install_reporting(rt.reporting, state["reporting"])
    rt.extensions.restore(
        [_extension(e) for e in state["extensions"]],
        {
            (phase, pair): [converter.structure(o, Offset) for o in offsets]
            for phase, pair, offsets in state["granted"]
        },
    )


def _install_reporting(reporting: Reporting, state: Mapping[str, Any]) -> None:
    """Install the snapshot's reporting ``state`` (see `_reporting_of`)."""
    if state["plan"] is not None:
        plan = load_event(state["plan"], "snapshot.reporting.plan")
        if not isinstance(plan, ReportingPlanned):
            raise ValueError(f"a {type(plan).__name__} as the reporting plan")
        reporting.plan = plan
    for document in state["submitted"]:
        report = load_event(document, "snapshot.reporting.submitted")
        if not isinstance(report, ReportSubmitted):
            raise ValueError(f"a {type(report).__name__} as a submitted report")
        reporting.submitted[report.period] = report
    for document in state["deliverables"]:
        record = converter.structure(document, DeliverableRecord)
        reporting.deliverables[record.name] = record
    for name, due, revision, missed in state["alerts"]:
        if type(revision) is not int or type(missed) is not bool:
            raise ValueError(f"alert {name!r}: {revision!r}, {missed!r}")
        reporting.alerts[str(name)] = (pendulum.Date.fromisoformat(due), revision, missed)
    reporting.active = reporting.plan is not None or bool(reporting.deliverables)


def _extension(document: Mapping[str, Any]) -> Extension:
    # (the converter leaves a str enum's value as it is)
    loaded = converter.structure(document, Extension)
    return attrs.evolve(loaded, status=ExtensionStatus(document["status"]))
