"""Tests for mentorflow.testing's stateful base: progress, coverage, runnable counterexamples,
settings, quiet invariants (issue 19)."""

from __future__ import annotations

from typing import Any, ClassVar

import pendulum
import pytest
from hypothesis import Phase as HypothesisPhase
from hypothesis import settings
from hypothesis.stateful import invariant, run_state_machine_as_test

import mentorflow as m
from mentorflow.testing import (
    Coverage,
    Outcome,
    ProgrammeStateMachine,
    assert_covered,
)

CUSTOM = m.Lifecycle.linear(
    m.Phase.NEEDS_ASSESSMENT,
    m.Phase.MATCHING,
    m.Phase.STUDY_VISIT_1,
    m.Phase.TRANSFER_WORKSHOP,
    m.Phase.STUDY_VISIT_2,
    m.Step(phase="mid_term_review"),
    m.Phase.FINAL_REVIEW,
)


def run(machine: type[ProgrammeStateMachine], examples: int = 30, **options: Any) -> None:
    """Run ``machine`` the same way every time, without the slow explain phase."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[HypothesisPhase.generate, HypothesisPhase.shrink],
            print_blob=False,  # no @reproduce_failure line (on by default in CI)
            **options,
        ),
    )


def program(err: BaseException) -> list[str]:
    """The lines of the program Hypothesis printed for ``err``."""
    notes = "\n".join(getattr(err, "__notes__", []))
    return notes[notes.index("state = ") :].splitlines()


class TestProgress:
    """Every phase of any lifecycle is reached in a default-sized run."""

    def test_default_lifecycle(self) -> None:
        """The default lifecycle: every phase and transition, completion included."""

        class Default(ProgrammeStateMachine):
            pass

        run(Default)
        assert_covered(Default.coverage(), commands=["complete", "record_visit"])

    def test_custom_lifecycle_with_a_house_rule(self) -> None:
        """A custom lifecycle whose house rule vetoes Sunday completions still gets everywhere
        (a vetoed walk tries again on other days)."""

        def no_sunday(event: m.PhaseCompleted) -> None:
            if event.at.in_tz("Europe/Riga").day_of_week == pendulum.SUNDAY:
                raise m.Veto("not on a Sunday")

        class Custom(ProgrammeStateMachine):
            lifecycle = CUSTOM
            timezone = "Europe/Riga"

            def install(self, programme: m.Programme) -> object:
                programme.subscribe(m.PhaseCompleted, no_sunday, before=True)
                return None

        run(Custom)
        assert_covered(Custom.coverage(), refusals=["vetoed"])

    def test_start_in(self) -> None:
        """``start_in`` names the phases pairs are walked to: here none gets past matching
        unless the random part moves it on."""

        class Early(ProgrammeStateMachine):
            start_in = (m.Phase.MATCHING,)
            progress = 0.0

        run(Early, examples=10)
        coverage = Early.coverage()
        assert coverage.phases[m.Phase.MATCHING] >= 10
        assert 0 == coverage.phases[m.Phase.COMPLETED]


class TestSettings:
    """Timezone, start and the outcome hook are class settings."""

    def test_timezone_and_start(self) -> None:
        """The programme runs in the machine's zone, from its start, on its own clock."""

        class Riga(ProgrammeStateMachine):
            timezone = "Europe/Riga"
            starts_on = pendulum.date(2021, 3, 1)

        machine = Riga()
        assert "Europe/Riga" == machine.programme.timezone.name
        assert pendulum.date(2021, 3, 1) == machine.programme.starts_on
        assert pendulum.datetime(2021, 3, 1, 9, tz="Europe/Riga") == machine.clock.now()

    def test_on_outcome_sees_every_command(self) -> None:
        """``on_outcome`` is told of every command of the walk and the random part."""

        class Seen(ProgrammeStateMachine):
            outcomes: ClassVar[list[Outcome]] = []

            def on_outcome(self, outcome: Outcome) -> None:
                Seen.outcomes.append(outcome)

        machine = Seen()
        machine.enrol("Mechelen", "Capaci", m.Phase.STUDY_VISIT_2, 30)
        names = [type(o.command).__name__ for o in Seen.outcomes]
        assert ["Complete", "Complete", "RecordVisit", "Complete"] == names
        at = machine.programme.pair("pair-1").last_changed_at.add(hours=1)
        refused = machine.send(m.Complete(pair="pair-1", phase=m.Phase.MATCHING, at=at))
        assert refused.refusal is not None
        assert "wrong-phase" == refused.refusal.rule
        assert refused is Seen.outcomes[-1]

    def test_test_case_leaves_out_explain(self) -> None:
        """``TestCase`` runs without Hypothesis' explain phase, unless ``explain = True``; the
        rest of its settings are Hypothesis' (no deadline)."""

        class Quick(ProgrammeStateMachine):
            pass

        class Explained(ProgrammeStateMachine):
            explain = True

        chosen = Quick.TestCase.settings
        assert HypothesisPhase.explain not in chosen.phases
        assert HypothesisPhase.shrink in chosen.phases
        assert chosen.deadline is None
        assert HypothesisPhase.explain in Explained.TestCase.settings.phases

    def test_extensions_of_a_pair_s_current_phase(self) -> None:
        """With deadline rules, the machine requests and grants extensions of the deadline
        of the phase a pair is in, while it is in it (so rules about extended deadlines
        meet them)."""

        class Extended(ProgrammeStateMachine):
            lifecycle = CUSTOM
            deadlines = (
                m.DeadlineRule("mid_term_review", after="study_visit_2.completed", months=2),
            )
            seen: ClassVar[list[str]] = []

            def teardown(self) -> None:
                for key, pair in self.programme.pairs.items():
                    for deadline in self.programme.deadlines(pair=key):
                        moved = [r for r in deadline.revisions if r.extension]
                        if moved and deadline.met_at is None and pair.phase == deadline.name:
                            Extended.seen.append(key)
                super().teardown()

        run(Extended, examples=60)
        assert Extended.seen

    def test_the_walk_extends_the_deadlines_of_its_phases(self) -> None:
        """With ``extend``, a walked pair asks for the deadline of each phase of its walk
        that has a deadline rule to be extended, for itself, and it is granted: the phase
        where the walk stops, and a phase it passes (its deadline then met). Without, or
        on a machine without deadline rules, nothing is requested."""

        class Extended(ProgrammeStateMachine):
            lifecycle = CUSTOM
            deadlines = (
                m.DeadlineRule("mid_term_review", after="study_visit_2.completed", months=2),
            )

        three_days = m.Offset(amount=3)
        for target in ["mid_term_review", m.Phase.COMPLETED]:
            machine = Extended()
            machine.enrol("Mechelen", "Capaci", target, 30, extend=three_days)
            (deadline,) = machine.programme.deadlines(pair="pair-1")
            granted = [e for e in machine.programme.extensions if e.status.name == "GRANTED"]
            assert 1 == len(granted), target
            first, *_, last = deadline.revisions
            assert first.extension is None
            assert last.extension is not None
            assert first.due_on is not None
            assert last.due_on is not None
            assert last.due_on > first.due_on
        plain = Extended()
        plain.enrol("Mechelen", "Capaci", "mid_term_review", 30)
        assert not plain.programme.extensions
        other = ProgrammeStateMachine()
        other.enrol("Mechelen", "Capaci", m.Phase.STUDY_VISIT_2, 30, extend=three_days)
        assert "pair-1" in other.programme.pairs

    def test_only_machines_with_deadline_rules_draw_an_extension(self) -> None:
        """The walks of a machine with deadline rules draw (and print) ``extend``; those of
        a machine without draw the same arguments as ever."""

        class Extended(ProgrammeStateMachine):
            deadlines = (m.DeadlineRule(m.Phase.MATCHING, after="programme.start", days=40),)

        def walk_arguments(machine: type[ProgrammeStateMachine]) -> list[set[str]]:
            first = machine.enrol.hypothesis_stateful_initialize_rule  # type: ignore[attr-defined]
            another = machine.enrol_another.hypothesis_stateful_rule  # type: ignore[attr-defined]
            return [set(first.arguments), set(another.arguments)]

        plain = {"mentor", "mentee", "phase", "every", "hour"}
        assert [plain, plain] == walk_arguments(ProgrammeStateMachine)
        assert [plain | {"extend"}] * 2 == walk_arguments(Extended)

    def test_walk_records_multi_day_visits(self) -> None:
        """The walk records visits of two days, ending on the day they are recorded."""
        machine = ProgrammeStateMachine()
        machine.enrol("Mechelen", "Capaci", m.Phase.STUDY_VISIT_2, 14)
        (visit,) = machine.programme.pair("pair-1").visits
        assert 1 == (visit.ends_on - visit.starts_on).days


class TestCounterexamples:
    """What Hypothesis prints is a program that runs; invariants stay quiet."""

    def test_a_house_rule_bug_prints_a_runnable_program(self) -> None:
        """A rule checked against its model: the failure is a short program of rule calls
        with absolute instants, which fails the same way when run."""

        class OffByOne(ProgrammeStateMachine):
            pair_count = 1

            def install(self, programme: m.Programme) -> object:
                def two_weeks(event: m.PhaseCompleted) -> None:
                    enrolled = programme.pair(event.pair).history[0].at
                    if (
                        event.phase == m.Phase.NEEDS_ASSESSMENT
                        and (event.at.date() - enrolled.date()).days <= 14
                    ):  # the bug: < meant
                        raise m.Veto("needs assessment takes two weeks")

                programme.subscribe(m.PhaseCompleted, two_weeks, before=True)
                return None

            def on_outcome(self, outcome: Outcome) -> None:
                if isinstance(outcome.refusal, m.Vetoed):
                    enrolled = self.programme.pair("pair-1").history[0].at
                    at = outcome.command.at
                    assert at is not None
                    assert (at.date() - enrolled.date()).days < 14, outcome

        with pytest.raises(AssertionError) as info:
            run(OffByOne, examples=200)
        lines = program(info.value)
        assert "state = OffByOne()" == lines[0]
        assert "state.teardown()" == lines[-1]
        assert len(lines) <= 2 + 8
        namespace: dict[str, Any] = {"OffByOne": OffByOne}
        exec("from pendulum import *\nfrom mentorflow import *", namespace)
        with pytest.raises(AssertionError):
            exec("\n".join(lines), namespace)

    def test_invariants_are_quiet_unless_they_fail(self) -> None:
        """A passing ``@invariant`` is not printed; the failing one is, once."""

        class Invariants(ProgrammeStateMachine):
            @invariant()
            def fine(self) -> None:
                pass

            @invariant()
            def no_completion(self) -> None:
                for pair in self.programme.pairs.values():
                    assert pair.phase != m.Phase.MATCHING, "reached matching"

        with pytest.raises(AssertionError, match="reached matching") as info:
            run(Invariants, examples=50)
        lines = program(info.value)
        assert not any("state.fine()" in line for line in lines)
        assert 1 == sum("state.no_completion()" in line for line in lines)


class TestCoverage:
    """Coverage counts and assert_covered."""

    def test_assert_covered_names_what_is_missing(self) -> None:
        """Nothing run: every phase and transition is named, and the report follows."""
        coverage = Coverage(CUSTOM)
        with pytest.raises(AssertionError) as info:
            assert_covered(coverage, commands=["withdraw"], deadlines=["missed"])
        message = str(info.value)
        assert "phase mid_term_review" in message
        assert "transition final_review -> completed" in message
        assert "command withdraw" in message
        assert "deadline outcome missed" in message
        assert "runs: 0" in message

    def test_counts_a_programme_s_events(self, inclucities: m.Programme) -> None:
        """Phases entered, transitions taken, accepted and refused commands are counted."""
        coverage = Coverage(inclucities.lifecycle)
        pair = inclucities.pair("mechelen-capaci")
        at = inclucities.now()
        coverage.record("complete", pair.complete(m.Phase.NEEDS_ASSESSMENT, at=at))
        with pytest.raises(m.CommandRefused) as info:
            pair.complete(m.Phase.STUDY_VISIT_1, at=at)
        coverage.record("complete", info.value)
        assert 1 == coverage.phases[m.Phase.MATCHING]
        assert 1 == coverage.transitions[m.Phase.NEEDS_ASSESSMENT, m.Phase.MATCHING]
        assert 1 == coverage.commands["complete"]
        assert 1 == coverage.refusals["complete", "wrong-phase"]
        assert_covered(coverage, phases=[m.Phase.MATCHING], transitions=False)
