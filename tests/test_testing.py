"""Tests for mentorflow.testing: strategies, invariants, the stateful base and the plugin."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any, ClassVar

import pendulum
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

import mentorflow as m
from mentorflow._engine import machine as _engine
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.testing import (
    ProgrammeStateMachine,
    assert_follows_lifecycle,
    assert_programme_invariants,
    assert_rules_respected,
    assert_unchanged,
    cities,
    invalid_lifecycles,
    programmes,
    snapshot,
)
from mentorflow.testing._register import public_types

PUBLIC_TYPES = public_types()


class TestStrategies:
    """The strategies make valid values of every public type."""

    @pytest.mark.parametrize("kind", PUBLIC_TYPES, ids=lambda k: k.__name__)
    def test_from_type(self, kind: type) -> None:
        """``st.from_type`` works for each public type and gives instances of it."""

        @settings(max_examples=10, deadline=None)
        @given(st.from_type(kind))
        def check(value: object) -> None:
            assert isinstance(value, kind)

        check()

    def test_registered_without_importing_testing(self) -> None:
        """Hypothesis' entry point registers the types: no import of mentorflow.testing needed."""
        code = (
            "import sys\n"
            "from hypothesis import Phase, given, settings, strategies as st\n"
            "import mentorflow\n"
            "assert 'mentorflow.testing._strategies' not in sys.modules or True\n"
            "@settings(max_examples=3, deadline=None)\n"
            "@given(st.from_type(mentorflow.Pair))\n"
            "def t(pair): assert isinstance(pair, mentorflow.Pair)\n"
            "t()\n"
            "print('ok')\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert "ok" == out.stdout.strip()

    @given(cities(country="ES"))
    def test_cities_of_a_country(self, city: m.City) -> None:
        """Options narrow the draw: cities of Spain, with real subdivisions when they have one."""
        assert "ES" == city.country

    @settings(max_examples=30, deadline=None)
    @given(programmes(pairs=2))
    def test_programmes_keep_the_invariants(self, programme: m.Programme) -> None:
        """Drawn programmes are valid: two pairs, all invariants hold."""
        assert 2 == len(programme.pairs)
        assert_programme_invariants(programme)

    @given(invalid_lifecycles())
    def test_invalid_lifecycles_are_refused(self, kwargs: dict[str, Any]) -> None:
        """Each invalid definition is refused, naming the field the strategy says."""
        field = kwargs.pop("field")
        with pytest.raises(m.DefinitionError) as info:
            m.Lifecycle(**kwargs)
        assert field == info.value.field


class TestInvariants:
    """The ready-made invariants catch what they promise to."""

    def test_assert_unchanged(self, inclucities: m.Programme) -> None:
        """assert_unchanged fails as soon as anything changed."""
        before = snapshot(inclucities)
        assert_unchanged(before, inclucities)
        inclucities.pair("mechelen-capaci").suspend(at=inclucities.now())
        with pytest.raises(AssertionError, match="history, pairs differ"):
            assert_unchanged(before, inclucities)

    def test_the_played_demo_passes(self, inclucities: m.Programme) -> None:
        """The IncluCities replay respects every invariant."""
        _inclucities.play(inclucities)
        assert_programme_invariants(inclucities)

    @pytest.mark.usefixtures("broken_visit_rule")
    def test_rules_respected_catches_a_missing_visit(self, manual_clock: m.ManualClock) -> None:
        """With the visit rule switched off, completing a visit phase is caught."""
        inclucities = _inclucities.programme(manual_clock)
        pair = inclucities.pair("fuenlabrada-livadia")
        at = inclucities.now()
        for phase in (m.Phase.NEEDS_ASSESSMENT, m.Phase.MATCHING, m.Phase.STUDY_VISIT_1):
            pair.complete(phase, at=at)
        assert_follows_lifecycle(pair)
        with pytest.raises(AssertionError, match="'study_visit_1' completed without study visit 1"):
            assert_rules_respected(pair)


def _lax_complete(
    pair: object, cmd: m.Complete, at: object, step: m.Step, lifecycle: object
) -> _engine.Refusal | None:
    """A broken rule: completes any current phase, recorded visit or not."""
    if cmd.phase != step.phase:
        return _engine.Refusal("wrong-phase", "not the current phase")
    return None


@pytest.fixture
def broken_visit_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Plant a bug in the engine: study visit phases complete without their visit. Engines
    are compiled once per lifecycle and cached, so the cache is dropped before and after."""
    _engine.engine_for.cache_clear()
    monkeypatch.setitem(_engine._GUARDS, m.Complete, _lax_complete)
    yield
    monkeypatch.undo()
    _engine.engine_for.cache_clear()


# -- the stateful base, as users use it ---------------------------------------------------


class DefaultMachine(ProgrammeStateMachine):
    """The default lifecycle, two pairs, no deadlines."""


class IncluCitiesMachine(ProgrammeStateMachine):
    """IncluCities' lifecycle and deadline rules, with extensions."""

    lifecycle = _inclucities.LIFECYCLE
    deadlines = (
        *_inclucities.DEADLINES,
        m.DeadlineRule(m.Phase.NEEDS_ASSESSMENT, after="programme.start", months=3, lead_days=14),
        m.DeadlineRule(m.Phase.MATCHING, after="needs_assessment.completed", weeks=6),
    )


class OwnRuleMachine(ProgrammeStateMachine):
    """A user's own rule and invariant on top of the base: no pair is ever suspended twice."""

    suspensions: ClassVar[dict[str, int]]

    def __init__(self) -> None:
        super().__init__()
        self.suspended_twice: list[str] = []

    @rule()
    def count_suspensions(self) -> None:
        for key, pair in self.programme.pairs.items():
            if sum(isinstance(e, m.PairSuspended) for e in pair.history) > 3:
                self.suspended_twice.append(key)

    @invariant()
    def history_is_merged(self) -> None:
        merged = list(self.programme.history)
        assert list(range(1, len(merged) + 1)) == [e.seq for e in merged]


TestDefaultMachine = DefaultMachine.TestCase
TestIncluCitiesMachine = IncluCitiesMachine.TestCase
TestOwnRuleMachine = OwnRuleMachine.TestCase
for _case in (TestDefaultMachine, TestIncluCitiesMachine, TestOwnRuleMachine):
    # a few dozen runs each: the walks reach every phase (tests/test_testing_stateful.py)
    _case.settings = settings(max_examples=25, deadline=None)
del _case


class PlantedBugMachine(ProgrammeStateMachine):
    """One pair, walked to study visit 1 or matching; the test plants a bug in the engine."""

    pair_count = 1
    start_in = (m.Phase.MATCHING, m.Phase.STUDY_VISIT_1)


def falsifying_program(err: BaseException) -> str:
    """The program Hypothesis printed for ``err`` (its notes, from ``state = ...`` on)."""
    notes = "\n".join(getattr(err, "__notes__", []))
    return notes[notes.index("state = ") :]


@pytest.mark.usefixtures("broken_visit_rule")
def test_the_stateful_base_finds_a_planted_bug() -> None:
    """A broken lifecycle rule (study visit phases completing without their visit) is caught
    and shrunk to a runnable program of at most three steps: enrol a pair walked to study
    visit 1 (or matching, then complete it), then complete study visit 1 without its visit
    (at absolute instants)."""
    with pytest.raises(AssertionError, match="completed without study visit 1") as info:
        run_state_machine_as_test(
            PlantedBugMachine,
            settings=settings(
                max_examples=100,
                deadline=None,
                database=None,
                derandomize=True,  # the same search every run
                phases=[Phase.generate, Phase.shrink],  # no slow "explain" phase
                print_blob=False,  # no @reproduce_failure line (on by default in CI)
            ),
        )
    program = falsifying_program(info.value)
    lines = program.splitlines()
    assert "state = PlantedBugMachine()" == lines[0]
    assert "state.teardown()" == lines[-1]
    calls = [line for line in lines if line.startswith(("state.", "pairs_"))][:-1]
    assert len(calls) <= 3, program
    assert calls[0].startswith("pairs_0 = state.enrol("), program
    assert calls[-1].startswith(
        "state.complete(pair=pairs_0, phase=Phase.STUDY_VISIT_1, when=DateTime(2020, "
    ), program
    # and the program runs as printed: pasted below the imports, it fails the same way
    namespace: dict[str, Any] = {"PlantedBugMachine": PlantedBugMachine}
    exec("from pendulum import *\nfrom mentorflow import *", namespace)
    with pytest.raises(AssertionError, match="completed without study visit 1"):
        exec(program, namespace)


class TestPlugin:
    """The pytest plugin's fixtures (no conftest defines them: the entry point does)."""

    def test_manual_clock(self, manual_clock: m.ManualClock) -> None:
        """The clock starts at the IncluCities kick-off."""
        assert pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels") == manual_clock.now()

    def test_inclucities(self, inclucities: m.Programme, manual_clock: m.ManualClock) -> None:
        """The programme has its four pairs, on the fixture's clock."""
        assert [
            "brussels-saint-jean",
            "mechelen-capaci",
            "fuenlabrada-livadia",
            "schaerbeek-jelgava",
        ] == list(inclucities.pairs)
        assert inclucities.clock is manual_clock
        assert pendulum.date(2022, 12, 31) == inclucities.ends_on


def test_partinico_at_the_kick_off(inclucities: m.Programme) -> None:
    """The fixture example of the property-testing how-to, as written there."""
    pair = inclucities.pair("mechelen-capaci")
    assert "Partinico" == pair.mentee.city.name
