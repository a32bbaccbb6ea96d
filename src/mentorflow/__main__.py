"""The ``mentorflow`` command: ``mentorflow demo`` runs the IncluCities demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from ._lifecycle import PairStatus
from ._watch import DeadlineStatus

if TYPE_CHECKING:
    from ._pair import Pair
    from ._programme import Programme


def _demo(out: TextIO) -> int:
    import pendulum

    from . import _inclucities
    from ._events import PairEvent

    inclucities = _inclucities.programme()
    _inclucities.play(inclucities)
    out.write(
        f"{inclucities.name} ({inclucities.coordinator}, {inclucities.funding_reference})\n"
        f"{inclucities.starts_on.isoformat()} to {inclucities.ends_on.isoformat()} "
        f"(planned to {inclucities.original_ends_on.isoformat()}), "
        f"{len(inclucities.pairs)} pairs, {len(inclucities.history)} events\n"
    )
    for pair in inclucities.pairs.values():
        out.write(
            f"\n{pair.key}: {pair.mentor.city.name} ({pair.mentor.association.name}) mentors "
            f"{pair.mentee.city.name} ({pair.mentee.association.name}), "
            f"{pair.theme.value.replace('_', ' ')}: {pair.topic}; {_standing(pair)}\n"
        )
        for event in pair.history:
            out.write(f"  {event.at.to_date_string()}  {_describe(event)}\n")
    out.write("\nprogramme:\n")
    for fact in inclucities.history:
        if not isinstance(fact, PairEvent):
            out.write(f"  {fact.at.to_date_string()}  {_describe(fact)}\n")
    end = pendulum.datetime(2023, 6, 30, tz=inclucities.timezone)
    out.write(f"\ndeadlines on {end.to_date_string()}:\n")
    _deadlines(inclucities, end, out)
    without = _inclucities.programme()
    _inclucities.play(without, extended=False)
    out.write("\nwithout the extension:\n")
    _deadlines(without, end, out, only_broken=True)
    return 0


def _deadlines(programme: Programme, at: object, out: TextIO, *, only_broken: bool = False) -> None:
    import pendulum

    assert isinstance(at, pendulum.DateTime)
    rows = list(programme.deadlines())
    for key in programme.pairs:
        rows += programme.deadlines(pair=key)
    for deadline in rows:
        status = deadline.status(at)
        late = f", {deadline.days_late} days late" if status is DeadlineStatus.MET_LATE else ""
        if only_broken and status not in (DeadlineStatus.MET_LATE, DeadlineStatus.OVERDUE):
            continue
        moved = "".join(
            f", moved from {r.previous} by {r.extension or 'progress'}" for r in deadline.revisions
        )
        who = f" ({deadline.pair})" if deadline.pair else ""
        out.write(
            f"  {deadline.name}{who}: due {deadline.due_on}, {status.value.replace('_', ' ')}"
            f"{late}{moved}\n"
        )


def _standing(pair: Pair) -> str:
    if pair.status is PairStatus.ACTIVE:
        return f"now in {pair.phase}"
    if pair.status is PairStatus.COMPLETED:
        return "completed"
    return f"{pair.status.value} in {pair.phase}"


def _describe(event: object) -> str:
    from . import _events as ev

    match event:
        case ev.PairEnrolled():
            return "enrolled"
        case ev.PhaseStarted(phase=phase):
            return f"started {phase}"
        case ev.PhaseCompleted(phase=phase):
            return f"completed {phase}"
        case ev.PairCompleted():
            return "completed the programme"
        case ev.VisitRecorded(visit=visit):
            return (
                f"study visit {visit.number} hosted by the {visit.host.value}, "
                f"{visit.mode.value.replace('_', ' ')}, {visit.starts_on.to_date_string()} "
                f"to {visit.ends_on.to_date_string()}"
            )
        case ev.BenchmarksDefined(benchmarks=benchmarks):
            return "benchmarks: " + "; ".join(
                f"{b.title} (key factors: {', '.join(b.key_factors)})" for b in benchmarks
            )
        case ev.DeliverableRegistered(deliverable=deliverable):
            return f"registered {deliverable.value.replace('_', ' ')}"
        case ev.PartnerReplaced(role=role, previous=old, replacement=new):
            return f"{role.value} {old.city.name} replaced by {new.city.name}"
        case ev.ExtensionRequested(extension=ext):
            return f"extension {ext.key} of {ext.offset} requested: {ext.reason}"
        case ev.ExtensionGranted(extension=key, by=by):
            return f"extension {key} granted by {by}"
        case ev.ExtensionRefused(extension=key, by=by, reason=reason):
            return f"extension {key} refused by {by or 'no answer'}: {reason}"
        case ev.MilestoneReached(milestone=name):
            return f"{name.replace('_', ' ')} reached"
        case ev.DeadlineApproaching(deadline=name, due_on=due):
            return f"{name.replace('_', ' ')} due soon ({due})"
        case ev.DeadlineMissed(deadline=name, due_on=due):
            return f"{name.replace('_', ' ')} missed ({due})"
        case ev.PairSuspended() | ev.PairResumed() | ev.PairWithdrawn():
            return type(event).__name__.removeprefix("Pair").lower()
    return type(event).__name__  # pragma: no cover


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``mentorflow`` command line; return its exit code."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="mentorflow", description="City-to-city mentoring programmes as state machines."
    )
    parser.add_argument("--version", action="version", version=f"mentorflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="walk the four IncluCities pairs through their lifecycle",
        description=(
            "Walk the four IncluCities pairs (2020-2023) through their lifecycle and print "
            "each pair's history."
        ),
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        try:
            return _demo(out or sys.stdout)
        except BrokenPipeError:  # e.g. `mentorflow demo | head`: the reader has gone
            sys.stderr.close()
            return 0
    return 2  # pragma: no cover - argparse refuses unknown commands


if __name__ == "__main__":
    sys.exit(main())
