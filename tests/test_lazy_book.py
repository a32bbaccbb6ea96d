"""Programmes with deadline rules restore from a snapshot without reading the log before it
(issue 13): the snapshot keeps what the deadline book folded of each pair's history and the
order of its alerts (format 4), and the book is built from them. A lazy restore gives the
deadlines, the next checks and the snapshot state of a full replay."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from mentorflow import (
    CalendarBasis,
    City,
    Closure,
    DeadlineRule,
    DefinitionMigrated,
    MemoryStore,
    PairMigrated,
    PairStatus,
    Partner,
    PartnerReplaced,
    Phase,
    Programme,
    Role,
    SnapshotError,
    Store,
    StudyVisit,
    VisitMode,
)
from mentorflow._core import book_snapshot, persist
from mentorflow._core import snapshot as snapshots
from mentorflow._core.book import PairFold
from mentorflow._domain.older import LazyEvents
from mentorflow._simulation import inclucities
from mentorflow.testing import commands, extension_requests, programmes
from mentorflow.testing import snapshot as observable
from test_migration import MAPPING, WHEN, v2
from test_migration import inclucities as mid_programme
from test_migration_properties import drawn_migration
from test_snapshots import alerted, forge

from drive import run
from helpers import finish_phase

TZ = "Europe/Brussels"
FIXTURE = Path(__file__).parent / "fixtures" / "snapshot-format3.json"


def at(year: int, month: int, day: int, hour: int = 17) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz=TZ)


def full(store: Store) -> Programme:
    """The programme in ``store``, its whole log replayed."""
    return persist.restore(store, "p", Programme.from_definition, use_snapshots=False)[0]


def is_lazy(programme: Programme) -> bool:
    """Whether the programme's history and its pairs' have not read the events before its
    snapshot."""
    histories = [programme._rt.ledger.events, *(s.history for s in programme._rt.states.values())]
    return all(isinstance(h, LazyEvents) and not h.loaded for h in histories)


def alone(programme: Programme) -> Programme:
    """``programme``, no longer writing to its store (two copies are compared side by side)."""
    programme._rt.ledger.journal = None
    return programme


def assert_equivalent(
    live: Programme, store: Store, *, checks: int = 2, lazily: bool = True
) -> Programme:
    """Restored from its newest snapshot, the programme in ``store`` reads nothing before
    it (unless not ``lazily``) and is the live one and the full replay: deadlines (dates,
    statuses, revisions), snapshot state, and the events of the next ``checks`` deadline
    checks. Returns it."""
    lazy = Programme.restore(store, "p")
    assert lazily == is_lazy(lazy)
    replayed = full(store)
    for programme in (live, lazy, replayed):
        alone(programme)
    assert_same_deadlines(replayed, lazy)
    assert_same_deadlines(live, lazy)
    assert snapshots.state_of(replayed._rt) == snapshots.state_of(lazy._rt)
    assert snapshots.state_of(live._rt) == snapshots.state_of(lazy._rt)
    when = live.now()
    for _ in range(checks):
        when = when.add(months=4)
        expected = replayed.check_deadlines(at=when)
        assert expected == lazy.check_deadlines(at=when)
        assert expected == live.check_deadlines(at=when)
        assert snapshots.state_of(replayed._rt) == snapshots.state_of(lazy._rt)
    assert_same_deadlines(replayed, lazy)
    assert lazily == is_lazy(lazy)  # the checks needed no history
    return lazy


def assert_same_deadlines(expected: Programme, actual: Programme) -> None:
    """Every deadline of the programme and of each pair: its date, status and revisions."""
    later = expected.now().add(months=6)
    for key in [None, *expected.pairs]:
        deadlines = expected.deadlines(pair=key)
        assert deadlines == actual.deadlines(pair=key), key
        assert [d.status(later) for d in deadlines] == [
            d.status(later) for d in actual.deadlines(pair=key)
        ]


def folds(programme: Programme) -> dict[str, PairFold]:
    book = programme._rt.book
    assert book is not None
    return book.folds()


class TestLazy:
    """Restores from a snapshot of a programme with deadline rules."""

    def test_inclucities(self, make_store: Callable[[], Store]) -> None:
        """IncluCities with an extension granted and alerts sent, a snapshot, more phases
        and a check: restored lazily, as the full replay; then its history reads as the
        full replay's."""
        store = make_store()
        live = alerted(store)
        lazy = assert_equivalent(live, store)
        assert list(full(make_store()).history) == list(lazy.history)
        assert not is_lazy(lazy)

    def test_same_snapshot_again(self) -> None:
        """A snapshot taken right after a lazy restore is the one it was restored from."""
        store = MemoryStore()
        alerted(store)
        lazy = Programme.restore(store, "p")
        lazy.snapshot()
        version = store.snapshots("p")[0]
        lazy.snapshot()
        assert store.read_snapshot("p", version)["state"] == snapshots.state_of(lazy._rt)
        assert version == lazy.version

    def test_played_through(self) -> None:
        """The whole IncluCities demo (phases, visits, partner replaced, extensions, the
        final conference): snapshots along the way, each restored lazily."""
        store = MemoryStore()
        live = inclucities.programme()
        live.persist(store, "p")
        live.snapshot()  # of the enrolments
        assert_equivalent(live, store)
        store = MemoryStore()
        live = inclucities.programme()
        inclucities.play(live)
        live.persist(store, "p")
        live.snapshot()
        assert_equivalent(live, store)

    def test_after_a_migration(self) -> None:
        """A migration (phases skipped, starts voided, deadlines moved), a snapshot, more
        changes and a check."""
        store = MemoryStore()
        live = mid_programme()
        live.persist(store, "p")
        live.migrate(v2(live), phases=MAPPING, at=WHEN)
        live.snapshot()
        live.pair("mechelen-capaci").suspend(at=WHEN.add(days=30))
        live.check_deadlines(at=WHEN.add(months=8))
        assert_equivalent(live, store)

    def test_a_migration_after_the_snapshot(self) -> None:
        """A migration replayed after the snapshot reads the histories (it works every
        deadline out again from them): the same programme."""
        store = MemoryStore()
        live = mid_programme()
        live.persist(store, "p")
        live.snapshot()
        live.migrate(v2(live), phases=MAPPING, at=WHEN)
        restored = Programme.restore(store, "p")
        assert snapshots.state_of(live._rt) == snapshots.state_of(restored._rt)
        assert_same_deadlines(live, restored)

    def test_closures(self) -> None:
        """Office closures count in the restored book as in the live one (a restore from a
        snapshot once counted working days without them)."""
        store = MemoryStore()
        live = _programme(
            DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", working_days=60),
            closures=[Closure(on=pendulum.date(2020, 9, d)) for d in range(1, 30)],
        )
        live.persist(store, "p")
        live.snapshot()
        expected = pendulum.date(2020, 10, 12)
        lazy = assert_equivalent(live, store)
        assert expected == lazy.deadline(Phase.NEEDS_ASSESSMENT, pair="mechelen-capaci").due_on

    def test_closures_after_a_migration(self) -> None:
        """A programme migrated to a definition with closures: restored from a snapshot, its
        working days (extensions, reporting) keep them (they were once left out)."""
        store = MemoryStore()
        live = mid_programme()
        closed = pendulum.date(2021, 12, 1)  # a Wednesday
        live.migrate(v2(live, closures=(Closure(on=closed),)), phases=MAPPING, at=WHEN)
        live.persist(store, "p")
        live.snapshot()
        lazy = assert_equivalent(live, store, checks=1)
        assert not live._rt.calendar.is_working_day(closed)
        assert not lazy._rt.calendar.is_working_day(closed)

    def test_alerts_due_together_keep_their_order(self) -> None:
        """Two pairs' alerts due at the same instant come in the order the live programme
        scheduled them (not the order the pairs were enrolled in)."""
        store = MemoryStore()
        live = _programme(DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", months=3))
        first, second = live.pairs
        old = live.pair(first).mentee
        same_region = Partner(
            city=City(name="Elsewhere", country=old.city.country, subdivision=old.city.subdivision),
            association=old.association,
        )
        live.pair(first).replace_partner(Role.MENTEE, same_region, at=at(2020, 6, 18))
        live.persist(store, "p")
        live.snapshot()
        lazy = assert_equivalent(live, store, checks=0)
        missed = lazy.check_deadlines(at=at(2020, 12, 1))
        assert [second, first] == [e.pair for e in missed]


def _programme(*rules: DeadlineRule, closures: list[Closure] | None = None) -> Programme:
    """IncluCities' first two pairs, with ``rules``."""
    programme = Programme(
        "Test",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        lifecycle=inclucities.LIFECYCLE,
        deadlines=rules,
        closures=closures or (),
    )
    for key, (mentor, mentee, theme, topic) in list(inclucities.PAIRS.items())[:2]:
        programme.add_pair(
            key, mentor=mentor, mentee=mentee, theme=theme, topic=topic, at=at(2020, 6, 17, 10)
        )
    return programme


HOSTED = DeadlineRule(
    Phase.STUDY_VISIT_1, after="matching.completed", working_days=30, calendar=CalendarBasis.HOST
)


class TestFolds:
    """Each thing the book folds from a pair's history, kept by the snapshot."""

    def restored(self, live: Programme) -> tuple[Programme, dict[str, PairFold]]:
        """``live`` persisted, a snapshot (verified), restored lazily (equivalent); its book's
        folds."""
        store = MemoryStore()
        live.persist(store, "p")
        live.snapshot()
        Programme.restore(store, "p", verify=True)  # the snapshot is the replay's
        lazy = assert_equivalent(live, store, checks=1)
        kept = folds(lazy)
        assert folds(full(store)) == kept
        return lazy, kept

    def test_enrolled(self) -> None:
        """At enrolment: the partners' regions and the first phase's start, nothing else
        (four items a pair)."""
        live = _programme(*inclucities.DEADLINES)
        book = snapshots.state_of(live._rt)["book"]
        version, mentor, mentee, started = book["pairs"]["mechelen-capaci"]
        assert (0, "BE", "IT-PA") == (version, mentor, mentee)
        assert "2020-06-17" == book["days"][started["needs_assessment"]]
        _, kept = self.restored(live)
        fold = kept["mechelen-capaci"]
        assert ("BE", "IT-PA") == fold.regions
        assert {Phase.NEEDS_ASSESSMENT: pendulum.date(2020, 6, 17)} == fold.started
        assert ({}, {}, {}, False, False, frozenset()) == fold[2:]

    def test_regions(self) -> None:
        """A partner replaced: its region, which the pair's working days count."""
        live = _programme(
            DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", working_days=70)
        )
        spanish = Partner(
            city=City(name="Fuenlabrada", country="ES", subdivision="MD"),
            association=live.pair("mechelen-capaci").mentee.association,
        )
        live.pair("mechelen-capaci").replace_partner(Role.MENTEE, spanish, at=at(2020, 7, 1))
        _, kept = self.restored(live)
        assert ("BE", "ES-MD") == kept["mechelen-capaci"].regions

    def test_started_and_completed(self) -> None:
        """Phases started and completed: the days, and when each was first completed (a
        deadline's met_at)."""
        live = _programme(*inclucities.DEADLINES, HOSTED)
        pair = live.pair("mechelen-capaci")
        pair.complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        pair.complete(Phase.MATCHING, at=at(2020, 10, 30, 9))
        lazy, kept = self.restored(live)
        fold = kept["mechelen-capaci"]
        assert pendulum.date(2020, 10, 30) == fold.started[Phase.STUDY_VISIT_1]
        assert pendulum.date(2020, 9, 30) == fold.completed[Phase.NEEDS_ASSESSMENT]
        assert at(2020, 10, 30, 9) == fold.completed_at[Phase.MATCHING]
        met = lazy.deadline(Phase.STUDY_VISIT_1, pair="mechelen-capaci")
        assert met.due_on is not None
        assert met.met_at is None

    def test_hosts(self) -> None:
        """A visit recorded: who hosted it, whose working days a host rule counts."""
        live = _programme(HOSTED)
        pair = live.pair("mechelen-capaci")
        pair.complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        pair.complete(Phase.MATCHING, at=at(2020, 10, 30))
        visit = StudyVisit(
            number=1,
            host=Role.MENTOR,
            mode=VisitMode.IN_PERSON,
            starts_on=pendulum.date(2020, 11, 10),
            ends_on=pendulum.date(2020, 11, 11),
        )
        pair.record_visit(visit, at=at(2020, 11, 12))
        _, kept = self.restored(live)
        assert {1: Role.MENTOR} == kept["mechelen-capaci"].hosts

    def test_closed(self) -> None:
        """A pair withdrawn, another completed: no more alerts for either."""
        live = _programme(*inclucities.DEADLINES)
        first, second = live.pairs
        live.pair(first).withdraw(at=at(2020, 7, 1))
        pair = live.pair(second)
        while pair.status is PairStatus.ACTIVE:
            finish_phase(pair, pair.last_changed_at.add(days=2))
        assert PairStatus.COMPLETED == pair.status
        lazy, kept = self.restored(live)
        assert (True, True) == (kept[first].closed, kept[first].withdrawn)
        assert (True, False) == (kept[second].closed, kept[second].withdrawn)
        assert all(d.withdrawn for d in lazy.deadlines(pair=first))
        entries = snapshots.state_of(live._rt)["book"]["pairs"]
        assert 2 == entries[first][8]
        assert 1 == entries[second][8]

    def test_skipped_and_voided_starts(self) -> None:
        """A migration that moves pairs past phases: the phases skipped, and the start of
        the phase they left uncompleted voided."""
        live = mid_programme()
        live.migrate(v2(live), phases=MAPPING, at=WHEN)
        _, kept = self.restored(live)
        moved = [e for e in live.history if isinstance(e, PairMigrated)]
        assert moved
        for migrated in moved:
            fold = kept[migrated.pair]
            assert frozenset(migrated.skipped) == fold.skipped
            if migrated.to != migrated.phase:
                assert migrated.phase not in fold.started

    def test_completed_again(self) -> None:
        """A phase completed a second time (after a migration took the pair back): its last
        day, beside the first completion (the deadline's met_at), is kept too."""
        live = _programme(*inclucities.DEADLINES)
        live.pair("mechelen-capaci").complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30, 9))
        book = live._rt.book
        assert book is not None
        state = book._pairs["mechelen-capaci"]
        state.completed[Phase.NEEDS_ASSESSMENT] = pendulum.date(2021, 2, 1)  # as if again
        document = json.loads(json.dumps(book_snapshot.dump_book(book)))
        entry = document["pairs"]["mechelen-capaci"]
        assert {"needs_assessment": "2021-02-01"} == {
            phase: document["days"][day] for phase, day in entry[10].items()
        }
        reader = book_snapshot._Reader(document["instants"], document["days"])
        assert book.folds()["mechelen-capaci"] == reader.fold("mechelen-capaci", entry, {})
        assert (
            at(2020, 9, 30, 9)
            == reader.fold("mechelen-capaci", entry, {}).completed_at[Phase.NEEDS_ASSESSMENT]
        )

    @pytest.mark.parametrize(
        "entry",
        [
            "BE",
            [0, "BE"],
            [0, "BE", 3],
            [-1, "BE", "IT"],
            [0, "BE", "IT", {"a": 5}],
            [0, "BE", "IT", {"a": "0"}],
            [0, "BE", "IT", {}, {"a": 1}],
            [0, "BE", "IT", {}, {}, {"a": [[1, 0, 0, 0]]}],
            [0, "BE", "IT", {}, {}, {}, {}, {"1": "host"}],
            [0, "BE", "IT", {}, {}, {}, {}, {}, 3],
            [0, "BE", "IT", {}, {}, {}, {}, {}, True],
            [0, "BE", "IT", {}, {}, {}, {}, {}, 0, [], {}, "more"],
        ],
    )
    def test_a_bad_entry(self, entry: object) -> None:
        """A pair's entry that is not one is a ValueError, TypeError or IndexError (the
        snapshot is ignored)."""
        reader = book_snapshot._Reader(["2020-06-17T10:00:00+02:00[Europe/Brussels]"], [])
        with pytest.raises((ValueError, TypeError, IndexError)):
            reader.fold("p", entry, {})  # type: ignore[arg-type]


class TestRefused:
    """Snapshots whose book doesn't fit: ignored, or refused by verify."""

    def forged(self, change: Callable[[dict[str, Any]], None]) -> tuple[Programme, MemoryStore]:
        """``alerted``'s snapshot, its book changed by ``change`` (its digest made again)."""
        store = MemoryStore()
        live = alerted(store)
        version = store.snapshots("p")[0]
        document = json.loads(json.dumps(store.read_snapshot("p", version)))
        change(document["state"]["book"])
        forge(store, version, document)
        return live, store

    @staticmethod
    def met_later(book: dict[str, Any]) -> None:
        """A pair's first completion of a phase a day earlier."""
        firsts = book["pairs"]["mechelen-capaci"][4]
        earlier = book["instants"][firsts["needs_assessment"]].replace("-30T", "-29T")
        book["instants"].append(earlier)
        firsts["needs_assessment"] = len(book["instants"]) - 1

    def test_verify_refuses_a_tampered_fold(self) -> None:
        """A fold that disagrees with the pair's history: a plain restore trusts it (it reads
        no history), verify replays the log and names the place."""
        live, store = self.forged(self.met_later)
        trusted = Programme.restore(store, "p")
        assert is_lazy(trusted)
        met = folds(trusted)["mechelen-capaci"].completed_at[Phase.NEEDS_ASSESSMENT]
        assert 29 == met.day
        assert 30 == folds(live)["mechelen-capaci"].completed_at[Phase.NEEDS_ASSESSMENT].day
        with pytest.raises(SnapshotError) as info:
            Programme.restore(store, "p", verify=True)
        assert ".book.pairs.mechelen-capaci[4].needs_assessment" == info.value.where

    def test_verify_refuses_a_tampered_order(self) -> None:
        """An order of alerts reversed: refused by verify."""
        _, store = self.forged(lambda book: book["order"].reverse())
        with pytest.raises(SnapshotError, match="order"):
            Programme.restore(store, "p", verify=True)

    @pytest.mark.parametrize(
        "change",
        [
            lambda book: book["pairs"].pop("mechelen-capaci"),
            lambda book: book["pairs"].update(nobody=[0, "BE", "IT"]),
            lambda book: book["pairs"].update({"mechelen-capaci": [0, "BE"]}),
            lambda book: book["order"].append("nobody"),
            lambda book: book["order"].append(book["order"][0]),
            lambda book: book["order"].pop(),
            lambda book: book.pop("order"),
        ],
        ids=[
            "fold-missing",
            "fold-of-nobody",
            "bad-fold",
            "order-of-nobody",
            "order-twice",
            "order-short",
            "no-order",
        ],
    )
    def test_a_book_that_does_not_fit(
        self, change: Callable[[dict[str, Any]], None], caplog: pytest.LogCaptureFixture
    ) -> None:
        """Folds or an order of alerts that don't fit the pairs: the snapshot is ignored with
        a warning, the log replayed."""
        live, store = self.forged(change)
        restored = Programme.restore(store, "p")
        assert not is_lazy(restored)
        assert observable(live) == observable(restored)
        assert snapshots.state_of(live._rt) == snapshots.state_of(restored._rt)
        assert any("does not fit the log" in r.getMessage() for r in caplog.records)


class TestFormat3:
    """A snapshot written before format 4 (its book without folds) still restores."""

    def stored(self) -> tuple[MemoryStore, dict[str, Any]]:
        """The stored IncluCities log and format-3 snapshot of tests/fixtures."""
        document = json.loads(FIXTURE.read_text("utf-8"))
        store = MemoryStore()
        store.create("p", document["definition"], document["events"])
        snapshot = document["snapshot"]
        store.save_snapshot("p", snapshot["version"], snapshot)
        return store, snapshot

    def test_installed_with_the_log_read(self, caplog: pytest.LogCaptureFixture) -> None:
        """It is installed (not ignored), the whole log read: its book is folded again from
        the pairs' histories. The programme is the full replay's; its next snapshot is of
        format 4, and restores lazily."""
        caplog.set_level(logging.INFO, logger="mentorflow")
        store, snapshot = self.stored()
        assert 3 == snapshot["format"]
        assert "pairs" not in snapshot["state"]["book"]
        restored = Programme.restore(store, "p")
        messages = [r.getMessage() for r in caplog.records]
        assert any(f"snapshot of version {snapshot['version']} and" in m for m in messages)
        assert not any(r.levelno >= logging.WARNING for r in caplog.records), messages
        assert not is_lazy(restored)
        replayed = full(store)
        assert_same_deadlines(replayed, restored)
        assert snapshots.state_of(replayed._rt) == snapshots.state_of(restored._rt)
        assert observable(replayed) == observable(restored)
        restored.snapshot()
        assert snapshots.FORMAT == store.read_snapshot("p", restored.version)["format"]
        assert_equivalent(alone(replayed), store)

    def test_verify(self) -> None:
        """verify=True compares a format-3 snapshot with the replay laid out as format 3."""
        store, _ = self.stored()
        Programme.restore(store, "p", verify=True)

    def test_lazy_only_with_folds(self) -> None:
        """`lazy`: no book, or a book with its folds."""
        assert snapshots.lazy({"book": None})
        assert snapshots.lazy({"book": {"pairs": {}, "order": []}})
        assert not snapshots.lazy({"book": {"reached": {}, "watches": {}}})


# -- the property: any programme with deadline rules, restored lazily, is the full replay --


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_lazy_restore_equals_full_replay(data: st.DataObject) -> None:
    """Random rules (phases, milestones, working days of the pair, the host or the
    programme), random commands (partners replaced, visits, withdrawals, phases completed
    in and out of turn), checks, extensions of the programme, of a phase and of a pair,
    milestones reached, reporting, a migration; snapshots along the way, the last one
    restored lazily: the deadlines, snapshot state and next checks of the full replay."""
    programme: Programme = data.draw(programmes(pairs=data.draw(st.integers(1, 3))))
    assume(not programme.definition.schedule.empty)
    store = MemoryStore()
    programme.persist(store, "p")
    clock = programme.clock
    keys = sorted(programme.pairs)
    lifecycle = programme.lifecycle
    milestones = [r.name for r in programme.definition.schedule.milestones]
    phases = [r.name for r in programme.definition.schedule.phases]
    if data.draw(st.booleans(), label="reporting"):
        programme.plan_reporting(period_months=6, at=programme.now())
    actions = ["command"] * 6 + ["check", "extend", "reach", "snapshot", "migrate"]
    for _ in range(data.draw(st.integers(1, 30), label="steps")):
        action = data.draw(st.sampled_from(actions), label="action")
        latest = max(p.last_changed_at for p in programme.pairs.values())
        if latest > clock.now():
            clock.set(latest)  # type: ignore[attr-defined]
        now = clock.now()
        if action == "command":
            key = data.draw(st.sampled_from(keys), label="pair")
            run(programme.pair(key), data.draw(commands(lifecycle), label="command"))
        elif action == "check":
            clock.advance(days=data.draw(st.integers(0, 200), label="days"))  # type: ignore[attr-defined]
            programme.check_deadlines()
        elif action == "extend":
            request = data.draw(extension_requests(phases=phases, pairs=keys), label="request")
            outcome = request.submit(programme, now)
            if not isinstance(outcome, Exception) and data.draw(st.booleans(), label="grant"):
                programme.grant_extension(outcome.key, by="funder", at=now)
        elif action == "reach":
            open_ = [m for m in milestones if not programme._rt.require_book("m").reached(m)]
            if open_:
                programme.reach_milestone(data.draw(st.sampled_from(open_)), at=now)
        elif action == "snapshot":
            programme.snapshot()
        elif now.date() < programme.ends_on and not programme._rt.extensions.open:
            new, mapping = drawn_migration(data, programme, now)
            programme.migrate(new, phases=mapping, at=now)
            lifecycle = programme.lifecycle
            milestones = [r.name for r in programme.definition.schedule.milestones]
            phases = [r.name for r in programme.definition.schedule.phases]
            if programme.definition.schedule.empty:
                return  # no deadline rules left
    taken = store.snapshots("p")
    if not taken or data.draw(st.booleans(), label="snapshot at the end"):
        programme.snapshot()
    version = store.snapshots("p")[0]
    after = {type(e) for e in programme.history[version:]}
    event(f"events after the snapshot: {bool(after)}")
    event(f"a migration after the snapshot: {DefinitionMigrated in after}")
    if version == 0:
        return  # nothing before it: nothing to read lazily
    if DefinitionMigrated in after:  # every deadline worked out again from the histories
        restored = Programme.restore(store, "p")
        assert snapshots.state_of(alone(programme)._rt) == snapshots.state_of(restored._rt)
        return
    # replaying a partner's replacement asks who the partner is: the pair's history says
    # (a snapshot doesn't keep the partners), read then
    assert_equivalent(programme, store, lazily=not after & {PartnerReplaced})
    Programme.restore(store, "p", verify=True)
