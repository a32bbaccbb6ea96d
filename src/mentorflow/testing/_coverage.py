"""What a property test reached: phases, transitions, commands, refusals, deadline outcomes.

In the spirit of Camunda's process-test coverage: a green run says little if the random
walks never got to the phases your rules are about. Every `ProgrammeStateMachine` records
into the `Coverage` of its class (``MyMachine.coverage()``); the pytest plugin prints each
machine's at the end of the session, and `assert_covered` turns it into a test.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable

import attrs

from .._domain import events as ev
from .._domain.lifecycle import Lifecycle, Phase
from ..exceptions import CommandRefused

DEADLINE_OUTCOMES = ("approaching", "missed", "milestone", "extension granted", "extension refused")
"""The deadline outcomes a run can reach, as `Coverage.deadlines` counts them."""

_OUTCOME_OF: dict[type[ev.Event], str] = {
    ev.DeadlineApproaching: "approaching",
    ev.DeadlineMissed: "missed",
    ev.MilestoneReached: "milestone",
    ev.ExtensionGranted: "extension granted",
    ev.ExtensionRefused: "extension refused",
}


@attrs.define
class Coverage:
    """Counts of what the runs of one lifecycle reached (a mutable tally).

    Attributes:
        lifecycle: The lifecycle the runs drove.
        runs: How many runs (examples) recorded into it.
        phases: How often a pair entered each phase (`Phase.COMPLETED` included).
        transitions: How often each ``(phase, next)`` was taken by completing ``phase``.
        commands: Accepted commands, by name (``"complete"``, ``"record_visit"``, ...).
        refusals: Refused commands, by ``(command, rule)`` (``("complete", "visit-required")``).
        deadlines: Deadline outcomes, by name (see `DEADLINE_OUTCOMES`).
    """

    lifecycle: Lifecycle
    runs: int = 0
    phases: collections.Counter[str] = attrs.field(factory=collections.Counter)
    transitions: collections.Counter[tuple[str, str]] = attrs.field(factory=collections.Counter)
    commands: collections.Counter[str] = attrs.field(factory=collections.Counter)
    refusals: collections.Counter[tuple[str, str]] = attrs.field(factory=collections.Counter)
    deadlines: collections.Counter[str] = attrs.field(factory=collections.Counter)

    def record(self, command: str, outcome: Iterable[ev.Event] | CommandRefused) -> None:
        """Count one command and what it did (its events, or the refusal)."""
        if isinstance(outcome, CommandRefused):
            self.refusals[command, outcome.rule] += 1
            return
        self.commands[command] += 1
        self.record_events(outcome)

    def record_events(self, events: Iterable[ev.Event]) -> None:
        """Count the phases, transitions and deadline outcomes ``events`` show."""
        for event in events:
            if isinstance(event, ev.PhaseStarted):
                self.phases[event.phase] += 1
            elif isinstance(event, ev.PhaseCompleted):
                self.transitions[event.phase, self.lifecycle.next_phase(event.phase)] += 1
            elif isinstance(event, ev.PairCompleted):
                self.phases[Phase.COMPLETED] += 1
            else:
                name = _OUTCOME_OF.get(type(event))
                if name is not None:
                    self.deadlines[name] += 1

    @property
    def all_phases(self) -> tuple[str, ...]:
        """Every phase a pair can be in: the lifecycle's, then `Phase.COMPLETED`."""
        return (*self.lifecycle.order, Phase.COMPLETED)

    @property
    def all_transitions(self) -> tuple[tuple[str, str], ...]:
        """Every transition of the lifecycle, ``(phase, next)``."""
        return tuple((p, self.lifecycle.next_phase(p)) for p in self.lifecycle.order)

    def missing(self) -> dict[str, list[str]]:
        """What was never reached: phases, transitions and deadline outcomes, by kind."""
        return {
            "phases": [str(p) for p in self.all_phases if not self.phases[p]],
            "transitions": [
                f"{a} -> {b}" for a, b in self.all_transitions if not self.transitions[a, b]
            ],
        }

    def report(self) -> str:
        """A few lines for people: how much of each kind was reached, and what was not."""
        phases = self.all_phases
        reached = [p for p in phases if self.phases[p]]
        moves = self.all_transitions
        taken = [t for t in moves if self.transitions[t]]
        refused = collections.Counter[str]()
        for (_command, rule), count in self.refusals.items():
            refused[rule] += count
        lines = [
            f"runs: {self.runs}",
            f"phases {len(reached)}/{len(phases)}: "
            + ", ".join(f"{p} {self.phases[p]}" for p in phases),
            f"transitions {len(taken)}/{len(moves)}",
            "commands: " + _counts(self.commands),
            "refusals: " + _counts(refused),
            "deadlines: " + ", ".join(f"{d} {self.deadlines[d]}" for d in DEADLINE_OUTCOMES),
        ]
        for kind, names in self.missing().items():
            if names:
                lines.append(f"never reached ({kind}): {', '.join(names)}")
        return "\n".join(lines)


COVERAGES: dict[type, Coverage] = {}
"""The coverage of each stateful machine class that ran in this process."""


def _counts(counter: collections.Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"


def assert_covered(
    coverage: Coverage,
    *,
    phases: Iterable[str] | bool = True,
    transitions: bool = True,
    commands: Iterable[str] = (),
    refusals: Iterable[str] = (),
    deadlines: Iterable[str] = (),
) -> None:
    """Fail unless the runs reached what you name.

    Args:
        coverage: What the runs reached (``MyMachine.coverage()``).
        phases: Phases every run together must have entered; True means every phase of the
            lifecycle and `Phase.COMPLETED`.
        transitions: Whether every transition of the lifecycle must have been taken.
        commands: Command names that must have been accepted at least once.
        refusals: Refusal rules (``"visit-required"``, ``"veto"``) that must have been seen.
        deadlines: Deadline outcomes (of `DEADLINE_OUTCOMES`) that must have happened.

    Raises:
        AssertionError: naming everything that was not reached, with the report.
    """
    wanted = coverage.all_phases if phases is True else () if phases is False else phases
    gaps = [f"phase {p}" for p in wanted if not coverage.phases[p]]
    if transitions:
        gaps += [
            f"transition {a} -> {b}"
            for a, b in coverage.all_transitions
            if not coverage.transitions[a, b]
        ]
    gaps += [f"command {name}" for name in commands if not coverage.commands[name]]
    seen = {rule for _command, rule in coverage.refusals}
    gaps += [f"refusal {rule}" for rule in refusals if rule not in seen]
    gaps += [f"deadline outcome {name}" for name in deadlines if not coverage.deadlines[name]]
    if gaps:
        raise AssertionError(f"never reached: {', '.join(gaps)}\n{coverage.report()}")
