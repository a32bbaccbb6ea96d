"""Planted bugs: house rules with a realistic bug, for the stateful base to find (issue 19).

Each `PlantedBug` is one house rule of a programme (a *before* hook that vetoes an event) in
two versions: the rule as its author meant it (``correct``, the test's model) and as it was
written (``buggy``, the hook installed on the programme). `machine_for` makes the test a user
would write: the shipped `ProgrammeStateMachine` with the bug's lifecycle and time zone, the
buggy hook installed, and an ``on_outcome`` that compares every command's fate with the
model (a veto the model doesn't make, or an event it would have refused). Everything else is
the base's defaults.

The bugs cover every phase of the default lifecycle and of a custom one (IncluCities' order,
the transfer workshop between the visits, a mid-term review of its own): off-by-one days,
a weekday read in UTC, a visit's length, a rule measured from the wrong visit day, months
counted as 90 days, a forgotten "unless suspended", the wrong deliverable, a deadline read
without its extensions.

``python -m benchmarks.planted_bugs --seeds 10`` prints the table; target 14 of ``run.py``
runs it too.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pendulum
from hypothesis import seed, settings
from hypothesis.stateful import run_state_machine_as_test

from mentorflow import (
    BenchmarksDefined,
    DeadlineRule,
    Deliverable,
    Lifecycle,
    PairEvent,
    PairWithdrawn,
    PhaseCompleted,
    Programme,
    Step,
    Veto,
    Vetoed,
    VisitRecorded,
)
from mentorflow import Phase as P
from mentorflow.testing import Outcome, ProgrammeStateMachine

DEFAULT = Lifecycle.default()
Rule = Callable[[Programme, Any], bool]
"""``rule(programme, event)``: True if the house rule refuses ``event`` (about to happen)."""

CUSTOM = Lifecycle.linear(
    P.NEEDS_ASSESSMENT,
    P.MATCHING,
    P.STUDY_VISIT_1,
    P.TRANSFER_WORKSHOP,
    P.STUDY_VISIT_2,
    Step(phase="mid_term_review"),
    P.FINAL_REVIEW,
)
"""Two visits with the transfer workshop between them, and a mid-term review of its own."""


@dataclass(frozen=True)
class PlantedBug:
    """One house rule, as meant (``correct``) and as written (``buggy``)."""

    name: str
    phase: str
    kind: str
    event: type[PairEvent]
    correct: Rule
    buggy: Rule
    lifecycle: Lifecycle = DEFAULT
    timezone: str = "Europe/Brussels"
    deadlines: tuple[DeadlineRule, ...] = ()


# -- what the rules read of a pair -------------------------------------------------------


def _events(programme: Programme, event: Any, kind: type[Any]) -> list[Any]:
    return [e for e in programme.pair(event.pair).history if isinstance(e, kind)]


def _enrolled_on(programme: Programme, event: Any) -> pendulum.Date:
    return programme.pair(event.pair).history[0].at.in_tz(programme.timezone.name).date()


def _completed_at(programme: Programme, event: Any, phase: str) -> pendulum.DateTime | None:
    done = [e.at for e in _events(programme, event, PhaseCompleted) if e.phase == phase]
    return done[0] if done else None


def _visit(programme: Programme, event: Any, number: int) -> Any:
    visits = [v for v in programme.pair(event.pair).visits if v.number == number]
    return visits[0] if visits else None


def _local(programme: Programme, event: Any) -> pendulum.DateTime:
    at: pendulum.DateTime = event.at.in_tz(programme.timezone.name)
    return at


def _completes(event: Any, phase: str) -> bool:
    return isinstance(event, PhaseCompleted) and event.phase == phase


# -- the bugs ----------------------------------------------------------------------------


def _days_since_enrolment(programme: Programme, event: Any) -> int:
    return (_local(programme, event).date() - _enrolled_on(programme, event)).days


def _needs_14(strict: bool) -> Rule:
    # "the needs assessment takes at least 14 days": written with <= instead of <
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, P.NEEDS_ASSESSMENT):
            return False
        days = _days_since_enrolment(programme, event)
        return days <= 14 if strict else days < 14

    return rule


def _benchmarks_frozen(phases: Sequence[str] | None) -> Rule:
    # "benchmarks can't be redefined once matching is completed": the bug lists the phases
    # where they are frozen, and forgets those after the visits
    def rule(programme: Programme, event: Any) -> bool:
        if not isinstance(event, BenchmarksDefined):
            return False
        phase = programme.pair(event.pair).phase
        if phases is not None:
            return phase in phases
        return _completed_at(programme, event, P.MATCHING) is not None

    return rule


def _no_sunday(phase: str, zone: str | None) -> Rule:
    # "no completion on a Sunday (local time)": the bug reads the weekday in UTC
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, phase):
            return False
        at = event.at.in_tz(zone) if zone else _local(programme, event)
        return at.day_of_week == pendulum.SUNDAY

    return rule


def _visit_2_days(inclusive: bool) -> Rule:
    # "visit 2 lasts at least two days": the bug forgets that both ends count
    def rule(programme: Programme, event: Any) -> bool:
        if not isinstance(event, VisitRecorded) or event.visit.number != 2:
            return False
        days = (event.visit.ends_on - event.visit.starts_on).days + (1 if inclusive else 0)
        return days < 2

    return rule


def _visit_gap(number: int, days: int, from_end: bool) -> Rule:
    # "visit N starts at least `days` days after visit N-1 ended": the bug counts from its start
    def rule(programme: Programme, event: Any) -> bool:
        if not isinstance(event, VisitRecorded) or event.visit.number != number:
            return False
        before = _visit(programme, event, number - 1)
        if before is None:
            return False
        anchor = before.ends_on if from_end else before.starts_on
        return bool(event.visit.starts_on < anchor.add(days=days))

    return rule


def _needs_deliverable(phase: str, deliverable: Deliverable) -> Rule:
    # "the transfer workshop presents the Action Plan: it must be registered": the bug
    # checks the one-stop-shop
    def rule(programme: Programme, event: Any) -> bool:
        return (
            _completes(event, phase) and deliverable not in programme.pair(event.pair).deliverables
        )

    return rule


def _academy_after_workshop(months: bool) -> Rule:
    # "the training academy ends at least three months after the transfer workshop": the
    # bug counts three months as 90 days
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, P.TRAINING_ACADEMY):
            return False
        workshop = _completed_at(programme, event, P.TRANSFER_WORKSHOP)
        if workshop is None:
            return False
        earliest = workshop.add(months=3) if months else workshop.add(days=90)
        return bool(event.at < earliest)

    return rule


def _final_review_withdrawal(unless_suspended: bool) -> Rule:
    # "no withdrawal during the final review, unless the pair is suspended": the bug forgets
    # the exception
    def rule(programme: Programme, event: Any) -> bool:
        if not isinstance(event, PairWithdrawn):
            return False
        pair = programme.pair(event.pair)
        if pair.phase != P.FINAL_REVIEW:
            return False
        return not (unless_suspended and pair.status.value == "suspended")

    return rule


def _matching_after_needs(strict: bool) -> Rule:
    # "matching completes at least 30 days after the needs assessment": written with <=
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, P.MATCHING):
            return False
        needs = _completed_at(programme, event, P.NEEDS_ASSESSMENT)
        if needs is None:
            return False
        days = (_local(programme, event).date() - needs.in_tz(programme.timezone.name).date()).days
        return days <= 30 if strict else days < 30

    return rule


def _review_within(days: int, from_end: bool) -> Rule:
    # "the mid-term review is completed within 45 days of the end of visit 2": the bug
    # counts from the visit's first day
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, "mid_term_review"):
            return False
        visit = _visit(programme, event, 2)
        if visit is None:
            return False
        anchor = visit.ends_on if from_end else visit.starts_on
        return bool(_local(programme, event).date() > anchor.add(days=days))

    return rule


def _completed_by_deadline(phase: str, extended: bool) -> Rule:
    # "a phase is completed by its deadline, as extended": the bug reads the date progress
    # set and forgets the extensions granted since
    def rule(programme: Programme, event: Any) -> bool:
        if not _completes(event, phase):
            return False
        (deadline,) = [d for d in programme.deadlines(pair=event.pair) if d.name == phase]
        due = deadline.due_on
        if not extended:
            set_by_progress = [r for r in deadline.revisions if r.extension is None]
            due = set_by_progress[-1].due_on if set_by_progress else None
        return due is not None and _local(programme, event).date() > due

    return rule


RIGA = "Europe/Riga"
REVIEW_DUE = (DeadlineRule("mid_term_review", after="study_visit_2.completed", months=2),)
"""The custom lifecycle's mid-term review is due two months after visit 2's phase."""

BUGS: tuple[PlantedBug, ...] = (
    PlantedBug("needs-14-days", P.NEEDS_ASSESSMENT, "off-by-one", PhaseCompleted,
               _needs_14(False), _needs_14(True)),
    PlantedBug("benchmarks-frozen", P.MATCHING, "forgotten phases", BenchmarksDefined,
               _benchmarks_frozen(None),
               _benchmarks_frozen((P.STUDY_VISIT_1, P.STUDY_VISIT_2, P.STUDY_VISIT_3))),
    PlantedBug("visit-1-sunday-utc", P.STUDY_VISIT_1, "time zone", PhaseCompleted,
               _no_sunday(P.STUDY_VISIT_1, None), _no_sunday(P.STUDY_VISIT_1, "UTC")),
    PlantedBug("visit-2-length", P.STUDY_VISIT_2, "visit length", VisitRecorded,
               _visit_2_days(True), _visit_2_days(False)),
    PlantedBug("visit-3-from-start", P.STUDY_VISIT_3, "wrong visit day", VisitRecorded,
               _visit_gap(3, 60, True), _visit_gap(3, 60, False)),
    PlantedBug("workshop-deliverable", P.TRANSFER_WORKSHOP, "wrong deliverable", PhaseCompleted,
               _needs_deliverable(P.TRANSFER_WORKSHOP, Deliverable.ACTION_PLAN),
               _needs_deliverable(P.TRANSFER_WORKSHOP, Deliverable.ONE_STOP_SHOP)),
    PlantedBug("academy-90-days", P.TRAINING_ACADEMY, "months as days", PhaseCompleted,
               _academy_after_workshop(True), _academy_after_workshop(False)),
    PlantedBug("final-review-suspended", P.FINAL_REVIEW, "suspended state", PairWithdrawn,
               _final_review_withdrawal(True), _final_review_withdrawal(False)),
    PlantedBug("custom-matching-30-days", P.MATCHING, "off-by-one", PhaseCompleted,
               _matching_after_needs(False), _matching_after_needs(True), CUSTOM, RIGA),
    PlantedBug("custom-workshop-sunday-utc", P.TRANSFER_WORKSHOP, "time zone", PhaseCompleted,
               _no_sunday(P.TRANSFER_WORKSHOP, None), _no_sunday(P.TRANSFER_WORKSHOP, "UTC"),
               CUSTOM, RIGA),
    PlantedBug("custom-review-from-start", "mid_term_review", "wrong visit day", PhaseCompleted,
               _review_within(45, True), _review_within(45, False), CUSTOM, RIGA),
    PlantedBug("custom-review-extended", "mid_term_review", "extension timing",
               PhaseCompleted, _completed_by_deadline("mid_term_review", True),
               _completed_by_deadline("mid_term_review", False), CUSTOM, RIGA, REVIEW_DUE),
)  # fmt: skip


# -- the test a user would write -----------------------------------------------------------


class HouseRuleMachine(ProgrammeStateMachine):
    """The shipped base with one house rule installed (buggy) and checked against its model."""

    bug: ClassVar[PlantedBug]
    found: ClassVar[dict[str, float]]

    def install(self, programme: Programme) -> object:
        verdicts: list[bool] = []
        bug = self.bug

        def model(event: Any) -> None:  # the test's model: what the rule should say
            verdicts.append(bug.correct(programme, event))

        def house_rule(event: Any) -> None:  # the code under test
            if bug.buggy(programme, event):
                raise Veto(bug.name)

        programme.subscribe(PairEvent, model, before=True)
        programme.subscribe(PairEvent, house_rule, before=True)
        self.verdicts = verdicts
        return None

    def on_outcome(self, outcome: Outcome) -> None:
        should_refuse = any(self.verdicts)
        self.verdicts.clear()
        vetoed = isinstance(outcome.refusal, Vetoed)
        if outcome.refused and not vetoed:
            return  # a rule of mentorflow's refused it first
        if vetoed != should_refuse:
            self.found.setdefault("runs", float(type(self).coverage().runs))
            self.found.setdefault("seconds", time.process_time())
            what = "vetoed" if vetoed else "accepted"
            raise AssertionError(f"{self.bug.name}: {outcome.command} was {what}")


def machine_for(bug: PlantedBug) -> type[HouseRuleMachine]:
    """The test of ``bug``: the base's defaults, the bug's lifecycle, time zone and deadline
    rules."""
    return type(
        f"Test_{bug.name.replace('-', '_')}",
        (HouseRuleMachine,),
        {
            "bug": bug,
            "lifecycle": bug.lifecycle,
            "timezone": bug.timezone,
            "deadlines": bug.deadlines,
            "found": {},
        },
    )


@dataclass
class Result:
    """One bug, one seed."""

    bug: str
    seed: int
    found: bool
    examples: int | None  # runs until the first failure
    steps: int | None  # steps of the shrunk example
    seconds: float  # to find and shrink, CPU time of this process
    find_seconds: float | None  # CPU time to the first failure
    wall: float = 0.0  # to find and shrink, wall time (the machine is shared)
    program: str = ""


def settings_for(machine: type[ProgrammeStateMachine], max_examples: int) -> settings:
    """The settings of the machine's shipped ``TestCase`` (no explain phase: it reruns the
    shrunk example to explain it), ``max_examples`` runs, no database, no deadline (a run
    takes tens of ms), and no ``@reproduce_failure`` line (Hypothesis prints one in CI, at
    the end of the program the benchmark counts and the tests run)."""
    return settings(
        machine.TestCase.settings,
        max_examples=max_examples,
        database=None,
        deadline=None,
        print_blob=False,
    )


def run(bug: PlantedBug, seed_value: int, max_examples: int = 1000) -> Result:
    """Run the test of ``bug`` with ``seed_value``: found or not, how fast, how short."""
    machine = seed(seed_value)(machine_for(bug))
    start, wall = time.process_time(), time.perf_counter()
    try:
        run_state_machine_as_test(machine, settings=settings_for(machine, max_examples))
    except AssertionError as err:
        seconds = time.process_time() - start
        notes = "\n".join(getattr(err, "__notes__", []))
        program = notes[notes.find("state = ") :] if "state = " in notes else notes
        steps = [
            line
            for line in program.splitlines()
            if (line.startswith("state.") or " = state." in line)
            and not line.startswith("state.teardown")
        ]
        found = machine.found
        return Result(
            bug.name,
            seed_value,
            True,
            int(found.get("runs", 0)) or None,
            len(steps),
            seconds,
            found["seconds"] - start if "seconds" in found else None,
            time.perf_counter() - wall,
            program,
        )
    return Result(
        bug.name,
        seed_value,
        False,
        None,
        None,
        time.process_time() - start,
        None,
        time.perf_counter() - wall,
    )


def table(results: Sequence[Result], seeds: int) -> list[str]:
    """One line per bug: seeds found (of ``seeds``), examples, steps, seconds."""
    lines = [
        "| bug | phase | kind | found | examples (median, max) | shrunk steps (max) "
        "| find + shrink s, CPU (median, max) | wall s (median) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for bug in BUGS:
        mine = [r for r in results if r.bug == bug.name]
        if not mine:
            continue
        hits = [r for r in mine if r.found]
        examples = [r.examples for r in hits if r.examples is not None]
        steps = [r.steps for r in hits if r.steps is not None]
        med = f"{statistics.median(examples):.0f}, {max(examples)}" if examples else "-"
        lines.append(
            f"| {bug.name} | {bug.phase} | {bug.kind} | {len(hits)}/{seeds} | {med} "
            f"| {max(steps) if steps else '-'} "
            f"| {statistics.median(r.seconds for r in mine):.1f}, "
            f"{max(r.seconds for r in mine):.1f} "
            f"| {statistics.median(r.wall for r in mine):.1f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", default=None, help="bug names")
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--show", action="store_true", help="print each shrunk program")
    args = parser.parse_args(argv)
    results = []
    for bug in BUGS:
        if args.only and bug.name not in args.only:
            continue
        for s in range(args.first_seed, args.first_seed + args.seeds):
            result = run(bug, s, args.examples)
            results.append(result)
            print(
                f"{bug.name} seed {s}: found={result.found} examples={result.examples} "
                f"steps={result.steps} cpu {result.seconds:.1f}s wall {result.wall:.1f}s",
                flush=True,
            )
            if args.show and result.found:
                print(result.program)
    print("\n".join(table(results, args.seeds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
