"""Running a `mentorflow.testing.Command` through the public API or the reference engine."""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

from mentorflow import Benchmark, CommandRefused, Pair, PairEvent, StudyVisit
from mentorflow import _engine as engine
from mentorflow.testing import Command

from helpers import partner


def run(
    pair: Pair, command: Command, *, via_machine: bool = False
) -> Sequence[PairEvent] | CommandRefused:
    """Run ``command``; return its events or its refusal. With ``via_machine`` it goes through
    transitions' own ``Event.trigger`` (the engine's reference executor)."""
    if not via_machine:
        return command.run(pair)
    at = pair.last_changed_at.add(hours=command.hours)
    arg, role = _arguments(pair, command, at)
    programme = pair.programme
    try:
        events = programme._engine.execute_via_machine(
            pair, engine.Command(command.name, at, None, arg, role)
        )
    except CommandRefused as refusal:
        return refusal
    return programme._record(pair, events, at)


def _arguments(pair: Pair, command: Command, at: pendulum.DateTime) -> tuple[object, object]:
    """What the public method would pass the engine."""
    name, args = command.name, command.args
    if name == "complete":
        return (pair.phase if args[0] is None else args[0]), None
    if name == "record_visit":
        number, host, mode, ends_in = args
        if number is None:
            lifecycle = pair.programme.lifecycle
            held = lifecycle.step(pair.phase).visit if pair.phase in lifecycle.order else None
            number = held or 1
        ends = at.date().add(days=ends_in)
        return StudyVisit(number=number, host=host, mode=mode, starts_on=ends, ends_on=ends), None
    if name == "register_deliverable":
        return (args[0], None), None
    if name == "define_benchmarks":
        return tuple(args[0]), None
    if name == "replace_partner":
        return args[1], args[0]
    return None, None


REPLACEMENTS = [
    partner("Partinico", "IT", "AICCRE", "PA"),
    partner("Capaci", "IT", "AICCRE", "PA"),
    partner("Jelgava", "LV", "LALRG"),
]
BENCHMARKS = (
    Benchmark(title="access to education", key_factors=["resources", "willingness"]),
    Benchmark(title="language courses for adults"),
)
