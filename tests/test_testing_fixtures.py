"""Tests for mentorflow.testing's strategies, fixtures, registration and restore with hooks
(issue 19)."""

from __future__ import annotations

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentorflow as m
from mentorflow.testing import (
    Command,
    assert_replays,
    commands,
    pairs,
    register,
    time_steps,
)
from mentorflow.testing.pytest_plugin import ProgrammeFactory, TimeTravel

MINE = m.Lifecycle.linear(m.Phase.MATCHING, m.Phase.STUDY_VISIT_1)


def draw_once(strategy: st.SearchStrategy[object]) -> None:
    """Draw from ``strategy`` once, in a test (``.example()`` is for interactive use)."""

    @settings(max_examples=1, database=None)
    @given(strategy)
    def draw(value: object) -> None:
        pass

    draw()


class TestStrategies:
    """The new options of the strategies."""

    @settings(max_examples=10, deadline=None)
    @given(pairs(lifecycle=MINE))
    def test_pairs_of_a_lifecycle(self, pair: m.Pair) -> None:
        """``pairs(lifecycle=...)`` draws pairs of programmes of that lifecycle."""
        assert MINE == pair.programme.lifecycle

    def test_pairs_programme_or_lifecycle(self, inclucities: m.Programme) -> None:
        """A programme and a lifecycle together are refused, naming the field."""
        with pytest.raises(m.ValidationError, match="lifecycle"):
            draw_once(pairs(programme=inclucities, lifecycle=MINE))

    @given(time_steps())
    def test_time_steps(self, step: pendulum.Duration) -> None:
        """Steps go from an hour to six months."""
        start = pendulum.datetime(2020, 6, 17, 9, tz="Europe/Brussels")
        assert start.add(hours=1) <= start + step <= start.add(months=6)

    @settings(max_examples=20)
    @given(commands(progress=1.0))
    def test_progress_one_is_always_the_next_move(self, command: Command) -> None:
        """With ``progress=1`` every command is the pair's valid next move."""
        assert "advance" == command.name

    def test_progress_out_of_range(self) -> None:
        """A share outside 0 to 1 is refused, naming the field."""
        with pytest.raises(m.ValidationError, match="progress"):
            draw_once(commands(progress=2.0))

    def test_advance_moves_a_pair_to_completion(self, inclucities: m.Programme) -> None:
        """Sent again and again, ``advance`` walks a pair through every phase."""
        pair = inclucities.pair("mechelen-capaci")
        for _ in range(20):
            Command("advance", hours=24 * 20).run(pair)
        assert m.Phase.COMPLETED == pair.phase

    def test_visits_of_several_days(self, inclucities: m.Programme) -> None:
        """A record_visit command may say how many days the visit lasted."""
        pair = inclucities.pair("mechelen-capaci")
        for _ in range(2):
            Command("complete", 1, (None,)).run(pair)
        Command("record_visit", 24, (None, m.Role.MENTEE, m.VisitMode.ONLINE, 0, 3)).run(pair)
        (visit,) = pair.visits
        assert 2 == (visit.ends_on - visit.starts_on).days


class TestRegister:
    """``register`` with options sets what ``st.from_type`` draws."""

    def test_lifecycle_and_rules(self) -> None:
        """Registered, programmes and pairs run the lifecycle, with the rules installed;
        ``register()`` goes back to drawn lifecycles."""
        installed: list[m.Programme] = []
        register(lifecycle=MINE, install=installed.append)
        try:

            @settings(max_examples=5, deadline=None)
            @given(st.from_type(m.Pair), st.from_type(m.Programme))
            def check(pair: m.Pair, programme: m.Programme) -> None:
                assert MINE == pair.programme.lifecycle == programme.lifecycle
                assert pair.programme in installed
                assert programme in installed

            check()
        finally:
            register()
        lifecycles = set()

        @settings(max_examples=20, deadline=None)
        @given(st.from_type(m.Programme))
        def drawn(programme: m.Programme) -> None:
            lifecycles.add(programme.lifecycle)

        drawn()
        assert len(lifecycles) > 1


def install(programme: m.Programme) -> list[str]:
    """A hook that keeps state: the pairs suspended so far."""
    suspended: list[str] = []
    programme.subscribe(m.PairSuspended, lambda event: suspended.append(event.pair))
    return suspended


class TestRestoreWithHooks:
    """``Programme.restore(hooks=...)`` and ``assert_replays(hooks=..., kept=...)``."""

    def test_hooks_see_the_replayed_events(self, inclucities: m.Programme) -> None:
        """Installed before the replay, a hook rebuilds its state from the log."""
        live = install(inclucities)
        inclucities.pair("mechelen-capaci").suspend(at=inclucities.now())
        store = m.MemoryStore()
        inclucities.persist(store, "p")
        rebuilt: list[list[str]] = []
        restored = m.Programme.restore(
            store, "p", clock=inclucities.clock, hooks=lambda p: rebuilt.append(install(p))
        )
        assert ["mechelen-capaci"] == live == rebuilt[0]
        restored.pair("schaerbeek-jelgava").suspend(at=inclucities.now())
        assert ["mechelen-capaci", "schaerbeek-jelgava"] == rebuilt[0]

    def test_a_veto_on_replay_fails_the_restore(self, inclucities: m.Programme) -> None:
        """A log that breaks the rules given now is refused with a ReplayError."""
        inclucities.pair("mechelen-capaci").suspend(at=inclucities.now())
        store = m.MemoryStore()
        inclucities.persist(store, "p")

        def no_suspensions(event: m.PairSuspended) -> None:
            raise m.Veto("no suspensions")

        with pytest.raises(m.ReplayError, match="no suspensions"):
            m.Programme.restore(
                store,
                "p",
                clock=inclucities.clock,
                hooks=lambda p: p.subscribe(m.PairSuspended, no_suspensions, before=True),
            )

    def test_hooks_must_be_callable(self, inclucities: m.Programme) -> None:
        """Something that is not callable is refused, naming the field."""
        store = m.MemoryStore()
        inclucities.persist(store, "p")
        with pytest.raises(m.ValidationError, match="hooks"):
            m.Programme.restore(store, "p", hooks="install")  # type: ignore[arg-type]

    def test_assert_replays_compares_the_kept_state(self, inclucities: m.Programme) -> None:
        """The replay check compares what the hooks keep with the live state."""
        live = install(inclucities)
        inclucities.pair("mechelen-capaci").suspend(at=inclucities.now())
        assert_replays(inclucities, hooks=install, kept=live)
        with pytest.raises(AssertionError, match="the state your hooks keep differs"):
            assert_replays(inclucities, hooks=install, kept=[])


class TestFixtures:
    """``programme_factory`` and ``time_travel``: stateless, safe with ``@given``."""

    @settings(max_examples=10, deadline=None)
    @given(days=st.integers(1, 20))
    def test_working_days(
        self, programme_factory: ProgrammeFactory, time_travel: TimeTravel, days: int
    ) -> None:
        """Each example gets a new programme; travelling by working days skips weekends."""
        programme = programme_factory(timezone="Europe/Riga", country="LV")
        assert pendulum.datetime(2020, 6, 17, 9, tz="Europe/Riga") == programme.now()
        now = time_travel.working_days(programme, days)
        assert now.day_of_week not in (pendulum.SATURDAY, pendulum.SUNDAY)
        assert 9 == now.hour

    def test_to_deadline(
        self, programme_factory: ProgrammeFactory, time_travel: TimeTravel
    ) -> None:
        """Travelling to a deadline lands on its last instant, or days before it."""
        rule = m.DeadlineRule(m.Phase.NEEDS_ASSESSMENT, after="programme.start", months=3)
        programme = programme_factory(deadlines=[rule], pairs=1)
        due = programme.deadline(m.Phase.NEEDS_ASSESSMENT, pair="pair-1")
        assert due.due_at == time_travel.to_deadline(
            programme, m.Phase.NEEDS_ASSESSMENT, pair="pair-1"
        )
        events = programme.check_deadlines()
        assert not any(isinstance(e, m.DeadlineMissed) for e in events)
        time_travel.by(programme, days=1)
        assert any(isinstance(e, m.DeadlineMissed) for e in programme.check_deadlines())

    def test_needs_a_manual_clock(self, time_travel: TimeTravel) -> None:
        """A programme on another clock is refused, naming the problem."""
        programme = m.Programme(
            "x",
            starts_on=pendulum.date(2020, 1, 1),
            ends_on=pendulum.date(2021, 1, 1),
            timezone="UTC",
        )
        with pytest.raises(m.ValidationError, match="ManualClock"):
            time_travel.by(programme, days=1)

    def test_factory_refuses_too_many_pairs(self, programme_factory: ProgrammeFactory) -> None:
        """At most IncluCities' four pairs."""
        with pytest.raises(m.ValidationError, match="pairs"):
            programme_factory(pairs=5)
