"""Running a `mentorflow.testing.Command` through the public API or the reference engine."""

from __future__ import annotations

from collections.abc import Sequence

from mentorflow import Benchmark, CommandRefused, Pair, PairEvent
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
    try:
        runtime = pair.programme._rt
        return runtime.run_pair(pair._s, command.command_for(pair, at), via_machine=True)
    except CommandRefused as refusal:
        return refusal


REPLACEMENTS = [
    partner("Partinico", "IT", "AICCRE", "PA"),
    partner("Capaci", "IT", "AICCRE", "PA"),
    partner("Jelgava", "LV", "LALRG"),
]
BENCHMARKS = (
    Benchmark(title="access to education", key_factors=["resources", "willingness"]),
    Benchmark(title="language courses for adults"),
)
