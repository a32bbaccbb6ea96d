"""Batches (all or nothing, one append) and idempotency keys (a retry appends nothing)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

import attrs
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mentorflow as m
from mentorflow import (
    CommandRefused,
    Complete,
    Enrol,
    GrantExtension,
    MemoryStore,
    Phase,
    Programme,
    RecordVisit,
    RequestExtension,
    StudyVisit,
)
from mentorflow.testing import command_values, snapshot

from helpers import partner

TZ = "Europe/Brussels"
START = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
MENTOR = partner("Mechelen", "BE", "VVSG")
MENTEE = partner("Capaci", "IT", "AICCRE", "PA")


class CountingStore(MemoryStore):
    """A memory store that counts appends (each would be one fsync on disk)."""

    def __init__(self) -> None:
        super().__init__()
        self.appends = 0

    def append(
        self, key: str, events: Sequence[m.serialization.Document], *, expected_version: int
    ) -> int:  # type: ignore[name-defined]
        self.appends += 1
        return super().append(key, events, expected_version=expected_version)


def programme(store: MemoryStore | None = None) -> Programme:
    p = Programme(
        "P",
        starts_on=START.date(),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=m.ManualClock(START),
        deadlines=[m.DeadlineRule("needs_assessment", after="programme.start", months=3)],
    )
    if store is not None:
        p.persist(store, "p")
    return p


def enrol(key: str, at: pendulum.DateTime = START) -> Enrol:
    return Enrol(pair=key, mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=at)


class TestBatch:
    """Tests for Programme.execute(*commands) and Programme.batch."""

    def test_one_append_for_the_batch(self) -> None:
        """Fifty enrolments in a batch are one append, and every one is stored."""
        store = CountingStore()
        p = programme(store)
        before = store.appends
        events = p.execute(*(enrol(f"p{i}") for i in range(50)))
        assert 100 == len(events)
        assert 1 == store.appends - before
        assert 100 == store.version("p")
        assert snapshot(p) == snapshot(Programme.restore(store, "p", clock=p.clock))

    def test_all_or_nothing(self) -> None:
        """A refused command in the middle leaves the programme and the store as they were,
        and a Pair held before the batch stays live."""
        store = CountingStore()
        p = programme(store)
        p.execute(enrol("a"))
        held = p.pair("a")
        before, stored = snapshot(p), store.read("p")
        with pytest.raises(CommandRefused, match="wrong-phase"):
            p.execute(
                Complete(pair="a", phase=Phase.NEEDS_ASSESSMENT, at=START.add(days=1)),
                enrol("b", START.add(days=1)),
                Complete(pair="a", phase=Phase.STUDY_VISIT_1, at=START.add(days=2)),
            )
        assert before == snapshot(p)
        assert stored == store.read("p")
        assert ["a"] == list(p.pairs)
        assert Phase.NEEDS_ASSESSMENT == held.phase
        held.complete(Phase.NEEDS_ASSESSMENT, at=START.add(days=3))
        assert Phase.MATCHING == p.pair("a").phase
        assert snapshot(p) == snapshot(Programme.restore(store, "p", clock=p.clock))

    def test_block_and_exceptions(self) -> None:
        """Any exception in the block undoes the batch; pair methods join it."""
        p = programme()

        def fail_midway() -> None:
            with p.batch():
                p.execute(enrol("a"))
                p.pair("a").complete(Phase.NEEDS_ASSESSMENT, at=START.add(days=1))
                raise RuntimeError("the app failed")

        with pytest.raises(RuntimeError):
            fail_midway()
        assert 0 == p.version
        assert {} == dict(p.pairs)

    def test_failed_write_undoes_it(self) -> None:
        """Another writer appended first: the batch is undone and nothing is stored twice."""
        store = MemoryStore()
        p = programme(store)
        other = Programme.restore(store, "p", clock=p.clock)
        other.execute(enrol("x"))
        with pytest.raises(m.ConcurrencyError):
            p.execute(enrol("a"), enrol("b"))
        assert 0 == p.version
        assert 2 == store.version("p")

    def test_after_hooks_hear_once_written(self) -> None:
        """After hooks run when the batch is written, in order, and see every event; an
        error of theirs doesn't undo it."""
        p = programme()
        heard: list[int] = []

        def hook(event: m.Event) -> None:
            heard.append(event.seq)
            assert p.version == 4  # the whole batch is in the history already

        p.subscribe(m.Event, hook)
        p.subscribe(m.PairEnrolled, lambda e: 1 / 0)
        with pytest.raises(m.AfterHookError):
            p.execute(enrol("a"), enrol("b"))
        assert [1, 2, 3, 4] == heard
        assert 4 == p.version

    def test_nested_batches_join(self) -> None:
        """A batch inside a batch is part of it."""
        p = programme()
        with p.batch():
            p.execute(enrol("a"))
            with p.batch():
                p.execute(enrol("b"))
        assert 4 == p.version

    @settings(max_examples=60, deadline=None)
    @given(st.lists(command_values(pairs=["a", "b"]), min_size=1, max_size=6))
    def test_any_batch_is_all_or_nothing(self, commands: list[m.Command]) -> None:
        """For random batches: either every command's events are stored and the programme
        restores to the same state, or nothing changed at all."""
        store = MemoryStore()
        p = programme(store)
        p.execute(enrol("a"))
        before, version = snapshot(p), store.version("p")
        try:
            p.execute(*commands)
        except m.MentorflowError:
            assert before == snapshot(p)
            assert version == store.version("p")
        else:
            assert p.version == store.version("p")
        assert snapshot(p) == snapshot(Programme.restore(store, "p", clock=p.clock))


class TestIdempotency:
    """Tests for commands with an idempotency key."""

    def test_retry_returns_the_first_outcome(self) -> None:
        """A retried command returns the events of the first run and appends nothing."""
        store = CountingStore()
        p = programme(store)
        command = attrs.evolve(enrol("a"), idempotency_key="req-1")
        first = p.execute(command)
        appends = store.appends
        again = p.execute(command)
        assert first == again
        assert appends == store.appends
        assert "req-1" == store.read("p").events[0]["command_key"]  # kept beside it

    def test_keys_survive_restore(self) -> None:
        """After a restore the key is still known: the retry appends nothing."""
        store = MemoryStore()
        p = programme(store)
        p.execute(enrol("a"))
        command = RequestExtension(
            reason="covid", offset=m.Offset(amount=2, unit="months"), idempotency_key="k"
        )
        first = p.execute(command)
        restored = Programme.restore(store, "p", clock=p.clock)
        assert first == restored.execute(command)
        assert p.version == restored.version == store.version("p")

    def test_keys_survive_a_failed_batch(self) -> None:
        """A batch that is undone keeps the keys committed before it."""
        p = programme()
        command = attrs.evolve(enrol("a"), idempotency_key="k")
        first = p.execute(command)
        with pytest.raises(CommandRefused):
            p.execute(enrol("b"), Complete(pair="b", phase=Phase.MATCHING))
        assert first == p.execute(command)
        assert 2 == p.version

    def test_same_key_other_command(self) -> None:
        """A key used by another command is a ValidationError naming the field."""
        p = programme()
        p.execute(RequestExtension(reason="r", offset=m.Offset(amount=1), idempotency_key="k"))
        with pytest.raises(m.ValidationError) as info:
            p.execute(GrantExtension(extension="E1", by="EC", idempotency_key="k"))
        assert "idempotency_key" == info.value.field

    def test_a_refused_command_records_no_key(self) -> None:
        """A refused command is not committed: its retry is decided again."""
        p = programme()
        p.execute(enrol("a"))
        command = RecordVisit(
            pair="a",
            visit=StudyVisit(
                number=1,
                host=m.Role.MENTEE,
                mode=m.VisitMode.ONLINE,
                starts_on=pendulum.date(2020, 9, 1),
                ends_on=pendulum.date(2020, 9, 2),
            ),
            idempotency_key="v",
        )
        for _ in range(2):
            with pytest.raises(CommandRefused, match="not-a-visit-phase"):
                p.execute(command)

    def test_bad_key(self) -> None:
        """An empty or non-string key is refused when the command is made."""
        with pytest.raises(m.ValidationError, match="idempotency_key"):
            Complete(pair="a", phase="matching", idempotency_key="")


def test_commits_and_conflicts_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Commits are logged at DEBUG with the sequence numbers; conflicts at WARNING."""
    store = MemoryStore()
    p = programme(store)
    other = Programme.restore(store, "p", clock=p.clock)
    with caplog.at_level(logging.DEBUG, logger="mentorflow"):
        other.execute(enrol("x"))
        with pytest.raises(m.ConcurrencyError):
            p.execute(enrol("a"))
    messages = [r.getMessage() for r in caplog.records]
    assert any("committed PairEnrolled, PhaseStarted (seq 1-2)" in msg for msg in messages)
    assert any(r.levelno == logging.WARNING and "version" in r.getMessage() for r in caplog.records)


class TestClockTolerance:
    """Tests for the programme's clock tolerance (skew between hosts)."""

    def test_a_little_skew_is_recorded_in_order(self) -> None:
        """A command dated 200 ms before the pair's last change is accepted, at that time."""
        p = programme()
        p.execute(enrol("a"))
        last = p.pair("a").last_changed_at
        (done, _) = p.pair("a").complete(
            Phase.NEEDS_ASSESSMENT, at=last.subtract(microseconds=200_000)
        )
        assert last == done.at

    def test_beyond_the_tolerance_says_how_far(self) -> None:
        """Further back it is refused, saying how far behind it was."""
        p = programme()
        p.execute(enrol("a"))
        with pytest.raises(CommandRefused, match=r"2 h 5 min before") as info:
            p.pair("a").complete(Phase.NEEDS_ASSESSMENT, at=START.subtract(hours=2, minutes=5))
        assert "timestamp-backwards" == info.value.rule

    def test_zero_tolerance(self) -> None:
        """With no tolerance any step back is refused; a bad tolerance names the field."""
        p = Programme(
            "P",
            starts_on=START.date(),
            ends_on=pendulum.date(2022, 12, 31),
            clock_tolerance=dt.timedelta(0),
        )
        p.add_pair("a", mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=START)
        with pytest.raises(CommandRefused, match=r"0.2 s before"):
            p.pair("a").complete(Phase.NEEDS_ASSESSMENT, at=START.subtract(microseconds=200_000))
        with pytest.raises(m.DefinitionError) as info:
            Programme("P", starts_on=START.date(), ends_on=START.date(), clock_tolerance=5)  # type: ignore[arg-type]
        assert "clock_tolerance" == info.value.field

    def test_tolerance_round_trips(self) -> None:
        """The tolerance is part of the stored definition."""
        p = Programme(
            "P",
            starts_on=START.date(),
            ends_on=pendulum.date(2022, 12, 31),
            clock_tolerance=dt.timedelta(seconds=2.5),
        )
        store = MemoryStore()
        p.persist(store, "p")
        assert dt.timedelta(seconds=2.5) == Programme.restore(store, "p").definition.clock_tolerance
