"""Turning strategy commands into real calls, through the public API or the reference engine."""

from __future__ import annotations

from collections.abc import Sequence

import pendulum

from mentorflow import Benchmark, CommandRefused, Event, Pair, Partner, Role, StudyVisit
from mentorflow import _engine as engine

from helpers import partner
from strategies import CURRENT, Cmd

REPLACEMENTS = [
    partner("Partinico", "IT", "AICCRE", "PA"),
    partner("Capaci", "IT", "AICCRE", "PA"),
    partner("Jelgava", "LV", "LALRG"),
]


BENCHMARKS = (
    Benchmark(title="access to education", key_factors=["resources", "willingness"]),
    Benchmark(title="language courses for adults"),
)


def arguments(pair: Pair, cmd: Cmd, at: pendulum.DateTime) -> tuple[object, object]:
    """The (arg, role) of ``cmd`` for ``pair`` now, resolving CURRENT."""
    if cmd.name == "complete":
        (phase,) = cmd.args
        return (pair.phase if phase == CURRENT else phase), None
    if cmd.name == "record_visit":
        number, host, mode, ends_in = cmd.args
        if number == CURRENT:
            lifecycle = pair.programme.lifecycle
            held = lifecycle.step(pair.phase).visit if pair.phase in lifecycle.order else None
            number = held or 1
        ends = at.date().add(days=ends_in)
        visit = StudyVisit(
            number=number, host=host, mode=mode, starts_on=ends.subtract(days=1), ends_on=ends
        )
        return visit, None
    if cmd.name == "register_deliverable":
        return (cmd.args[0], None), None
    if cmd.name == "define_benchmarks":
        return BENCHMARKS[: cmd.args[0]], None
    if cmd.name == "replace_partner":
        role, which = cmd.args
        replacement: Partner = REPLACEMENTS[which]
        return replacement, Role(role)
    return None, None


def run(
    pair: Pair, cmd: Cmd, at: pendulum.DateTime, *, via_machine: bool = False
) -> Sequence[Event] | CommandRefused:
    """Run ``cmd``; return its events, or the refusal it raised."""
    arg, role = arguments(pair, cmd, at)
    try:
        if via_machine:
            programme = pair.programme
            command = engine.Command(cmd.name, at, None, arg, role)
            events = programme._engine.execute_via_machine(pair, command)
            return programme._record(pair, events, at)
        if cmd.name == "complete":
            return pair.complete(arg, at=at)  # type: ignore[arg-type]
        if cmd.name == "record_visit":
            return pair.record_visit(arg, at=at)  # type: ignore[arg-type]
        if cmd.name == "register_deliverable":
            return pair.register_deliverable(arg[0], at=at)  # type: ignore[index]
        if cmd.name == "define_benchmarks":
            return pair.define_benchmarks(arg, at=at)  # type: ignore[arg-type]
        if cmd.name == "replace_partner":
            return pair.replace_partner(role, arg, at=at)  # type: ignore[arg-type]
        return getattr(pair, cmd.name)(at=at)  # type: ignore[no-any-return]
    except CommandRefused as refusal:
        return refusal
