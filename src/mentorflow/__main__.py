"""The ``mentorflow`` command: ``mentorflow demo`` runs the IncluCities demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from ._lifecycle import PairStatus

if TYPE_CHECKING:
    from ._pair import Pair


def _demo(out: TextIO) -> int:
    from . import _inclucities

    inclucities = _inclucities.programme()
    _inclucities.play(inclucities)
    out.write(
        f"{inclucities.name} ({inclucities.coordinator}, {inclucities.funding_reference})\n"
        f"{inclucities.starts_on.isoformat()} to {inclucities.ends_on.isoformat()} "
        f"(extended by three months from 2022-12-31), {len(inclucities.pairs)} pairs, "
        f"{len(inclucities.history)} events\n"
    )
    for pair in inclucities.pairs.values():
        out.write(
            f"\n{pair.key}: {pair.mentor.city.name} ({pair.mentor.association.name}) mentors "
            f"{pair.mentee.city.name} ({pair.mentee.association.name}), "
            f"{pair.theme.value.replace('_', ' ')}: {pair.topic}; {_standing(pair)}\n"
        )
        for event in pair.history:
            out.write(f"  {event.at.to_date_string()}  {_describe(event)}\n")
    return 0


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
