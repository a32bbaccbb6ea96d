"""Replaying an event log: the same commands, through the same engine, to the same events.

Replay does not fold events into state by a second set of rules: it reads the command each
event records, runs it on the programme (with no hooks and no journal), and checks that the
events it produces are the logged ones, field for field. A log that doesn't replay (tampered,
or written by a mentorflow with other rules) is refused with a `ReplayError` naming the first
event that differs. Deadline alerts and lapses replay as the check that emitted them, at its
instant, so a restored programme knows which alerts it has sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from . import _events as ev
from .exceptions import MentorflowError, ReplayError

if TYPE_CHECKING:
    from ._programme import Programme


def _enrol(programme: Programme, e: ev.PairEnrolled) -> None:
    programme.add_pair(
        e.pair,
        mentor=e.mentor,
        mentee=e.mentee,
        theme=e.theme,
        topic=e.topic,
        benchmarks=e.benchmarks,
        support_network=e.support_network,
        at=e.at,
        note=e.note,
    )


def _request(programme: Programme, e: ev.ExtensionRequested) -> None:
    ext = e.extension
    if ext.phase is not None:
        programme._require_book("phase")
    made = programme._request(ext.phase, ext.pair, ext.reason, ext.offset, e.at, e.note)
    if made.key != ext.key:
        raise ReplayError(e.seq, f"the request became {made.key}, not {ext.key}")


def _refused(programme: Programme, e: ev.ExtensionRefused) -> None:
    if e.by is None:  # a lapse, found by a check
        programme.check_deadlines(at=e.at)
    else:
        programme.refuse_extension(e.extension, by=e.by, reason=e.reason, at=e.at, note=e.note)


def _check(programme: Programme, e: ev.DeadlineApproaching | ev.DeadlineMissed) -> None:
    programme.check_deadlines(at=e.at)


def _pair_command(name: str) -> Callable[[Programme, ev.PairEvent], None]:
    def run(programme: Programme, e: ev.PairEvent) -> None:
        pair = programme.pair(e.pair)
        if isinstance(e, ev.PhaseCompleted):
            pair.complete(e.phase, at=e.at, note=e.note)
        elif isinstance(e, ev.VisitRecorded):
            pair.record_visit(e.visit, at=e.at, note=e.note)
        elif isinstance(e, ev.DeliverableRegistered):
            pair.register_deliverable(e.deliverable, reference=e.reference, at=e.at, note=e.note)
        elif isinstance(e, ev.BenchmarksDefined):
            pair.define_benchmarks(e.benchmarks, at=e.at, note=e.note)
        elif isinstance(e, ev.PartnerReplaced):
            pair.replace_partner(e.role, e.replacement, at=e.at, note=e.note)
        else:
            getattr(pair, name)(at=e.at, note=e.note)

    return run


_COMMANDS: dict[type[ev.Event], Callable[[Programme, Any], object]] = {
    ev.PairEnrolled: _enrol,
    ev.PhaseCompleted: _pair_command("complete"),
    ev.VisitRecorded: _pair_command("record_visit"),
    ev.DeliverableRegistered: _pair_command("register_deliverable"),
    ev.BenchmarksDefined: _pair_command("define_benchmarks"),
    ev.PairSuspended: _pair_command("suspend"),
    ev.PairResumed: _pair_command("resume"),
    ev.PairWithdrawn: _pair_command("withdraw"),
    ev.PartnerReplaced: _pair_command("replace_partner"),
    ev.MilestoneReached: lambda p, e: p.reach_milestone(e.milestone, at=e.at, note=e.note),
    ev.ExtensionRequested: _request,
    ev.ExtensionGranted: lambda p, e: p.grant_extension(e.extension, by=e.by, at=e.at, note=e.note),
    ev.ExtensionRefused: _refused,
    ev.DeadlineApproaching: _check,
    ev.DeadlineMissed: _check,
}


def replay(programme: Programme, events: Sequence[ev.Event]) -> None:
    """Run the commands ``events`` record on ``programme`` (new, with no hooks or journal).

    Raises:
        ReplayError: naming the first event the replay doesn't reproduce.
    """
    history = programme._history
    index = 0
    while index < len(events):
        event = events[index]
        if event.seq != programme._seq + 1:
            raise ReplayError(event.seq, f"expected event {programme._seq + 1} next")
        command = _COMMANDS.get(type(event))
        if command is None:
            raise ReplayError(event.seq, f"a {type(event).__name__} can't start a command")
        start = len(history)
        try:
            command(programme, event)
        except ReplayError:
            raise
        except MentorflowError as err:
            raise ReplayError(event.seq, f"replaying {type(event).__name__} failed: {err}") from err
        produced = history[start:]
        logged = events[index : index + len(produced)]
        for made, kept in zip(produced, logged, strict=False):
            if made != kept:
                raise ReplayError(made.seq, _difference(kept, made))
        if len(logged) < len(produced):
            raise ReplayError(
                produced[len(logged)].seq, "replay gives more events than the log holds"
            )
        index += len(produced)


def _difference(logged: ev.Event, replayed: ev.Event) -> str:
    """What differs between a logged event and the one replay produced, field by field."""
    if type(logged) is not type(replayed):
        return f"the log has a {type(logged).__name__}; replay gives a {type(replayed).__name__}"
    fields = [
        f"{f.name} is {getattr(logged, f.name)!s} in the log and {getattr(replayed, f.name)!s} "
        "on replay"
        for f in attrs.fields(type(logged))
        if getattr(logged, f.name) != getattr(replayed, f.name)
    ]
    hint = (
        " (a deadline's date depends on the public holidays: has the holidays package changed?)"
        if any(f.startswith("due_on") for f in fields)
        else ""
    )
    return f"{type(logged).__name__}: " + "; ".join(fields) + hint
