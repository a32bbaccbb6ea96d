"""Tests for migrating a running programme to a new definition: the plan, bad input, refusals,
what moves and what doesn't, and replay."""

from __future__ import annotations

import json

import attrs
import pendulum
import pytest

from mentorflow import (
    DeadlineApproaching,
    DeadlineMissed,
    DeadlineRule,
    Definition,
    DefinitionDrift,
    DefinitionError,
    DefinitionMigrated,
    ExtensionPolicy,
    Lifecycle,
    ManualClock,
    MemoryStore,
    Migrate,
    MigrationRefused,
    Offset,
    PairMigrated,
    PairStatus,
    Phase,
    PhaseStarted,
    Programme,
    Role,
    Step,
    StudyVisit,
    VisitMode,
)
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.serialization import dump_command, dump_event, load_command, load_event
from mentorflow.testing import assert_replays, snapshot

from helpers import visit

TZ = "Europe/Brussels"
ROUND_2 = StudyVisit(
    number=2,
    host=Role.MENTOR,
    mode=VisitMode.IN_PERSON,
    starts_on=pendulum.date(2021, 10, 19),
    ends_on=pendulum.date(2021, 10, 20),
)
V1_RULES = (
    *_inclucities.DEADLINES,
    DeadlineRule(Phase.STUDY_VISIT_3, on=pendulum.date(2022, 5, 31), lead_days=30),
    DeadlineRule(Phase.TRANSFER_WORKSHOP, after="study_visit_3.completed", months=3, lead_days=14),
)
V2_RULES = (
    *_inclucities.DEADLINES,
    DeadlineRule(Phase.TRANSFER_WORKSHOP, on=pendulum.date(2022, 2, 28), lead_days=14),
    DeadlineRule(Phase.STUDY_VISIT_3, after="transfer_workshop.completed", months=3, lead_days=30),
)
MAPPING = {Phase.STUDY_VISIT_3: Phase.TRANSFER_WORKSHOP}


def at(year: int, month: int, day: int, hour: int = 17) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, tz=TZ)


WHEN = at(2021, 11, 15)


def inclucities() -> Programme:
    """IncluCities on the default order (workshops after the third visit) in mid-November 2021:
    three pairs done with round 2, Schaerbeek-Jelgava not yet (dates illustrative)."""
    programme = Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=ManualClock(at(2020, 6, 17, 10)),
        coordinator="CEMR",
        country="BE",
        deadlines=V1_RULES,
    )
    for key, (mentor, mentee, theme, topic) in _inclucities.PAIRS.items():
        programme.add_pair(
            key, mentor=mentor, mentee=mentee, theme=theme, topic=topic, at=at(2020, 6, 17, 10)
        )
    for i, pair in enumerate(programme.pairs.values()):
        pair.complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        pair.complete(Phase.MATCHING, at=at(2020, 10, 30))
        pair.record_visit(visit(1, at(2021, 5, 12 + i)), at=at(2021, 5, 12 + i))
        pair.complete(Phase.STUDY_VISIT_1, at=at(2021, 5, 31))
        if pair.key != "schaerbeek-jelgava":
            pair.record_visit(ROUND_2, at=at(2021, 10, 20))
            pair.complete(Phase.STUDY_VISIT_2, at=at(2021, 11, 5))
    programme.check_deadlines(at=WHEN)
    return programme


def v2(programme: Programme, **changes: object) -> Definition:
    """The reordered IncluCities definition: workshops between rounds 2 and 3."""
    fields: dict[str, object] = {
        "version": 2,
        "lifecycle": _inclucities.LIFECYCLE,
        "deadlines": V2_RULES,
        **changes,
    }
    return attrs.evolve(programme.definition, **fields)


def dues(programme: Programme, key: str | None) -> dict[str, pendulum.Date | None]:
    return {d.name: d.due_on for d in programme.deadlines(pair=key)}


class TestPlan:
    """Tests for Programme.plan_migration."""

    def test_inclucities(self) -> None:
        """Pair by pair: the three in the third visit go to the workshops, the one still in
        the second stays; the moved deadlines say by how much; nothing changes."""
        programme = inclucities()
        before = snapshot(programme)
        plan = programme.plan_migration(v2(programme), phases=MAPPING, at=WHEN)
        assert before == snapshot(programme)
        assert plan.ok
        assert (1, 2) == (plan.previous_version, plan.version)
        moves = {p.pair: (p.phase, p.to, p.moves) for p in plan.pairs}
        assert {
            "brussels-saint-jean": ("study_visit_3", "transfer_workshop", True),
            "mechelen-capaci": ("study_visit_3", "transfer_workshop", True),
            "fuenlabrada-livadia": ("study_visit_3", "transfer_workshop", True),
            "schaerbeek-jelgava": ("study_visit_2", "study_visit_2", False),
        } == moves
        workshop = {m.name: m for m in plan.pair("mechelen-capaci").deadlines}["transfer_workshop"]
        assert (pendulum.date(2022, 8, 31), pendulum.date(2022, 2, 28), -184) == (
            workshop.before,
            workshop.after,
            workshop.days,
        )
        assert (
            "lifecycle: transfer_workshop moved to after study_visit_2 (was after study_visit_3)"
            in plan.changes
        )
        text = str(plan)
        assert "mechelen-capaci: study_visit_3 (active) -> transfer_workshop" in text
        assert "schaerbeek-jelgava: study_visit_2 (active) -> study_visit_2 (stays)" in text
        assert "Refused: nothing" in text

    def test_refused_skip(self) -> None:
        """A pair mapped past a visit phase it never held is refused, naming the rule; the
        plan says so and nothing changes."""
        programme = inclucities()
        plan = programme.plan_migration(
            v2(programme), phases={Phase.STUDY_VISIT_3: Phase.TRAINING_ACADEMY}, at=WHEN
        )
        assert not plan.ok
        assert (
            "brussels-saint-jean: it would skip 'study_visit_3' without its study visit 3 "
            "(visit-required)"
        ) in plan.refusals
        assert ("transfer_workshop", "study_visit_3") == plan.pair("mechelen-capaci").skipped

    def test_refused_going_back(self) -> None:
        """A pair mapped back to a phase it completed would lose that completion: refused."""
        programme = inclucities()
        plan = programme.plan_migration(
            v2(programme), phases={Phase.STUDY_VISIT_3: Phase.MATCHING}, at=WHEN
        )
        assert any("history-lost" in why for why in plan.refusals)
        assert "completed 'matching' on 2020-10-30" in plan.pair("mechelen-capaci").refusals[0]

    def test_refused_open_extension(self) -> None:
        """An extension request waiting for an answer on a deadline the new definition drops
        refuses the migration: decide it first."""
        programme = inclucities()
        programme.request_phase_extension(
            Phase.STUDY_VISIT_3, reason="Covid-19", months=1, at=WHEN.subtract(days=1)
        )
        rules = [r for r in V2_RULES if r.name != Phase.STUDY_VISIT_3]
        plan = programme.plan_migration(v2(programme, deadlines=rules), phases=MAPPING, at=WHEN)
        assert ("extension E1 of the study_visit_3 deadline is waiting",) == tuple(
            why[: len("extension E1 of the study_visit_3 deadline is waiting")]
            for why in plan.refusals
        )


class TestBadInput:
    """Bad input is a DefinitionError naming the pair and the phase; nothing changes."""

    def check(self, programme: Programme, definition: object, field: str, **kwargs: object) -> str:
        store = MemoryStore()
        programme.persist(store, "p")
        before = (snapshot(programme), store.read("p"))
        with pytest.raises(DefinitionError) as info:
            programme.migrate(definition, **kwargs)  # type: ignore[arg-type]
        assert not isinstance(info.value, MigrationRefused)
        assert field == info.value.field
        assert before == (snapshot(programme), store.read("p"))
        return info.value.problem

    def test_unknown_target(self) -> None:
        """A mapping to a phase the new lifecycle doesn't have names it and the pairs."""
        programme = inclucities()
        problem = self.check(
            programme, v2(programme), "phases['study_visit_3']", phases={"study_visit_3": "x"}
        )
        assert "'x' is not a phase of the new lifecycle" in problem
        assert "'mechelen-capaci'" in problem

    def test_unknown_source(self) -> None:
        """A mapping from a phase the programme doesn't have is named."""
        programme = inclucities()
        problem = self.check(
            programme, v2(programme), "phases['visit_3']", phases={**MAPPING, "visit_3": "matching"}
        )
        assert "not a phase of the programme's lifecycle" in problem

    def test_missing_mapping(self) -> None:
        """A pair in a changed phase with no mapping: the pair, its phase and why."""
        programme = inclucities()
        problem = self.check(programme, v2(programme), "phases", at=WHEN)
        assert problem.startswith(
            "pair 'brussels-saint-jean' is in 'study_visit_3', which the new definition puts "
            "transfer_workshop before it"
        )

    def test_finished_programme(self) -> None:
        """A programme past its end can't be migrated."""
        programme = inclucities()
        problem = self.check(programme, v2(programme), "at", phases=MAPPING, at=at(2023, 1, 2))
        assert "a finished programme can't be migrated" in problem

    def test_not_a_definition(self) -> None:
        """Something that is not a Definition is named."""
        programme = inclucities()
        self.check(programme, {"version": 2}, "definition", phases=MAPPING)

    def test_same_version(self) -> None:
        """The new definition must have a higher version."""
        programme = inclucities()
        problem = self.check(
            programme, v2(programme, version=1), "definition.version", phases=MAPPING
        )
        assert "version=2" in problem

    def test_identity_fixed(self) -> None:
        """The name, start and timezone can't change."""
        for field, value in (("timezone", "UTC"), ("name", "X"), ("starts_on", WHEN.date())):
            programme = inclucities()
            changed = v2(programme, **{field: value})
            self.check(programme, changed, f"definition.{field}", phases=MAPPING)

    def test_invalid_definition(self) -> None:
        """A definition that fails validation never becomes a migration."""
        programme = inclucities()
        with pytest.raises(DefinitionError) as info:
            v2(programme, deadlines=[DeadlineRule("study_visit_3", after="nope.completed")])
        assert "deadlines[0].after" == info.value.field

    def test_dated_before_a_pair_changed(self) -> None:
        """A migration that moves a pair can't be dated before that pair's last change."""
        programme = inclucities()
        problem = self.check(programme, v2(programme), "at", phases=MAPPING, at=at(2021, 11, 1))
        assert "brussels-saint-jean" in problem


class TestMigrate:
    """Tests for Programme.migrate and Migrate."""

    def test_pairs_move_and_go_on(self) -> None:
        """Moved pairs start their new phase and follow the new order from there; the others
        are as they were."""
        programme = inclucities()
        stays = snapshot(programme)["pairs"]["schaerbeek-jelgava"]
        version = programme.version
        plan = programme.migrate(v2(programme), phases=MAPPING, at=WHEN, note="reordered")
        assert plan.ok
        new = programme.history[version:]
        assert [
            DefinitionMigrated,
            PairMigrated,
            PhaseStarted,
            PairMigrated,
            PhaseStarted,
            PairMigrated,
            PhaseStarted,
        ] == [type(e) for e in new]
        assert stays == snapshot(programme)["pairs"]["schaerbeek-jelgava"]
        assert _inclucities.LIFECYCLE == programme.lifecycle
        assert (1, 2) == tuple(d.version for d in programme.definitions)
        pair = programme.pair("mechelen-capaci")
        assert Phase.TRANSFER_WORKSHOP == pair.phase
        pair.complete(Phase.TRANSFER_WORKSHOP, at=at(2022, 1, 20))
        assert Phase.STUDY_VISIT_3 == pair.phase
        jelgava = programme.pair("schaerbeek-jelgava")
        jelgava.record_visit(ROUND_2, at=at(2021, 11, 20))
        jelgava.complete(Phase.STUDY_VISIT_2, at=at(2021, 11, 30))
        assert Phase.TRANSFER_WORKSHOP == jelgava.phase

    def test_refused_changes_nothing(self) -> None:
        """A refused migration raises MigrationRefused with its plan; nothing changed."""
        programme = inclucities()
        before = snapshot(programme)
        with pytest.raises(MigrationRefused) as info:
            programme.migrate(v2(programme), phases={"study_visit_3": "final_review"}, at=WHEN)
        assert not info.value.plan.ok
        assert "visit-required" in str(info.value)
        assert before == snapshot(programme)
        assert 1 == len(programme.definitions)

    def test_deadline_revisions_name_the_migration(self) -> None:
        """Each moved deadline has a revision naming the new version; the others none."""
        programme = inclucities()
        kept = programme.deadline("final_review", pair="mechelen-capaci")
        programme.migrate(v2(programme), phases=MAPPING, at=WHEN)
        moved = programme.deadline("transfer_workshop", pair="mechelen-capaci")
        assert (2, None, pendulum.date(2022, 8, 31)) == (
            moved.revisions[-1].migration,
            moved.revisions[-1].extension,
            moved.revisions[-1].previous,
        )
        assert kept == programme.deadline("final_review", pair="mechelen-capaci")

    def test_alerts(self) -> None:
        """Alerts already sent for a deadline that did not move are not sent again; a moved
        deadline is a new revision, alerted once."""
        programme = inclucities()
        programme.check_deadlines(at=at(2022, 5, 2))  # warnings for study_visit_3 went out
        sent = [e for e in programme.history if isinstance(e, DeadlineApproaching)]
        assert {e.deadline for e in sent} == {"study_visit_3"}
        same = attrs.evolve(
            programme.definition,
            version=2,
            deadlines=[*V1_RULES, DeadlineRule("interim_report", on=pendulum.date(2022, 5, 20))],
        )
        programme.migrate(same, at=at(2022, 5, 3))
        assert () == programme.check_deadlines(at=at(2022, 5, 10))
        v3 = attrs.evolve(
            same,
            version=3,
            deadlines=[
                r if r.name != "study_visit_3" else attrs.evolve(r, on=pendulum.date(2022, 6, 3))
                for r in same.deadlines
            ],
        )
        programme.migrate(v3, at=at(2022, 5, 11))
        again = programme.check_deadlines(at=at(2022, 5, 12))
        assert {("study_visit_3", 1)} == {(e.deadline, e.revision) for e in again}
        missed = programme.check_deadlines(at=at(2022, 5, 21))
        assert [("interim_report", None)] == [
            (e.deadline, e.pair) for e in missed if isinstance(e, DeadlineMissed)
        ]

    def test_skipped_deadlines_are_not_watched(self) -> None:
        """A phase added before a pair's phase, the pair kept where it is: the pair skips it,
        and its deadline is never alerted for that pair."""
        programme = inclucities()
        lifecycle = Lifecycle.linear(
            Phase.NEEDS_ASSESSMENT,
            Phase.MATCHING,
            "mentoring_training",
            Phase.STUDY_VISIT_1,
            Phase.STUDY_VISIT_2,
            Phase.STUDY_VISIT_3,
            Phase.TRANSFER_WORKSHOP,
            Phase.TRAINING_ACADEMY,
            Phase.FINAL_REVIEW,
        )
        training = DeadlineRule("mentoring_training", on=pendulum.date(2020, 12, 18))
        plan = programme.migrate(
            v2(programme, lifecycle=lifecycle, deadlines=[*V1_RULES, training]),
            phases={Phase.STUDY_VISIT_2: Phase.STUDY_VISIT_2, Phase.STUDY_VISIT_3: "study_visit_3"},
            at=WHEN,
        )
        assert ("mentoring_training",) == plan.pair("mechelen-capaci").skipped
        deadline = programme.deadline("mentoring_training", pair="mechelen-capaci")
        assert deadline.skipped
        assert not [
            e
            for e in programme.check_deadlines(at=at(2022, 1, 1))
            if e.deadline == "mentoring_training"
        ]

    def test_statuses_are_kept(self) -> None:
        """A suspended pair moves suspended; a withdrawn pair in a dropped phase is recorded in
        the phase it maps to; a completed pair is untouched."""
        programme = inclucities()
        programme.pair("mechelen-capaci").suspend(at=at(2021, 11, 10))
        programme.pair("brussels-saint-jean").withdraw(at=at(2021, 11, 10))
        dropped = Lifecycle.linear(
            Phase.NEEDS_ASSESSMENT,
            Phase.MATCHING,
            Phase.STUDY_VISIT_1,
            Phase.STUDY_VISIT_2,
            Phase.TRANSFER_WORKSHOP,
            Phase.TRAINING_ACADEMY,
            Phase.FINAL_REVIEW,
        )
        rules = [r for r in V2_RULES if r.name != Phase.STUDY_VISIT_3]
        programme.migrate(
            v2(programme, lifecycle=dropped, deadlines=rules), phases=MAPPING, at=WHEN
        )
        mechelen = programme.pair("mechelen-capaci")
        assert (Phase.TRANSFER_WORKSHOP, PairStatus.SUSPENDED) == (mechelen.phase, mechelen.status)
        brussels = programme.pair("brussels-saint-jean")
        assert (Phase.TRANSFER_WORKSHOP, PairStatus.WITHDRAWN) == (brussels.phase, brussels.status)
        assert not isinstance(brussels.history[-1], PhaseStarted)
        mechelen.resume(at=at(2021, 11, 20))
        mechelen.complete(Phase.TRANSFER_WORKSHOP, at=at(2021, 12, 10))
        assert Phase.TRAINING_ACADEMY == mechelen.phase

    def test_withdrawn_pair_needs_a_mapping_only_if_its_phase_goes(self) -> None:
        """A withdrawn pair in a changed but kept phase stays where it withdrew."""
        programme = inclucities()
        programme.pair("brussels-saint-jean").withdraw(at=at(2021, 11, 10))
        programme.migrate(v2(programme), phases=MAPPING, at=WHEN)
        assert Phase.STUDY_VISIT_3 == programme.pair("brussels-saint-jean").phase

    def test_execute_and_replay(self) -> None:
        """Migrate runs through execute like the method; a restore replays it at the same
        point (the stored definition stays the first one), whole and from a mid-way persist."""
        programme = inclucities()
        store = MemoryStore()
        programme.persist(store, "inclucities")
        command = Migrate(definition=v2(programme), phases=MAPPING, at=WHEN, note="reordered")
        events = programme.execute(command)
        assert isinstance(events[0], DefinitionMigrated)
        programme.pair("mechelen-capaci").complete(Phase.TRANSFER_WORKSHOP, at=at(2022, 1, 20))
        programme.check_deadlines(at=at(2022, 3, 1))
        restored = Programme.restore(
            store, "inclucities", clock=programme.clock, definition=programme.definition
        )
        assert snapshot(programme) == snapshot(restored)
        for key in [None, *programme.pairs]:
            assert programme.deadlines(pair=key) == restored.deadlines(pair=key)
        assert programme.definitions == restored.definitions
        assert_replays(programme)
        with pytest.raises(DefinitionDrift) as info:
            Programme.restore(store, "inclucities", definition=programme.definitions[0])
        assert "version: 2 -> 1" in info.value.changes

    def test_persist_after_a_migration(self) -> None:
        """Persisted after it migrated, a programme stores its first definition and its log,
        and restores to the same programme."""
        programme = inclucities()
        programme.migrate(v2(programme), phases=MAPPING, at=WHEN)
        store = MemoryStore()
        programme.persist(store, "p")
        assert 1 == store.read("p").definition["version"]
        restored = Programme.restore(store, "p", clock=programme.clock)
        assert snapshot(programme) == snapshot(restored)

    def test_batch_rolls_back(self) -> None:
        """A batch with a migration and then a refused command leaves the programme on its
        first definition, as it was."""
        programme = inclucities()
        before = snapshot(programme)
        first = Migrate(definition=v2(programme), phases=MAPPING, at=WHEN)
        then = Migrate(
            definition=v2(programme, version=3),
            phases={"transfer_workshop": "final_review"},
            at=WHEN,
        )
        with pytest.raises(MigrationRefused):
            programme.execute(first, then)
        assert before == snapshot(programme)
        assert (1,) == tuple(d.version for d in programme.definitions)

    def test_idempotency_key(self) -> None:
        """A retried migration with the same key appends nothing."""
        programme = inclucities()
        command = Migrate(definition=v2(programme), phases=MAPPING, at=WHEN, idempotency_key="m2")
        first = programme.execute(command)
        assert first == programme.execute(command)

    def test_a_renamed_phase(self) -> None:
        """Renaming a phase pairs are past: kept where they are, they skip the new name, whose
        visit they held under the old one."""
        programme = inclucities()
        renamed = Lifecycle(
            steps=[
                Step(phase=Phase.NEEDS_ASSESSMENT),
                Step(phase=Phase.MATCHING),
                Step(phase="online_visit", visit=1),
                *(Lifecycle.default().step(p) for p in Lifecycle.default().order[3:]),
            ]
        )
        plan = programme.migrate(
            v2(programme, lifecycle=renamed, deadlines=V1_RULES),
            phases={"study_visit_2": "study_visit_2", "study_visit_3": "study_visit_3"},
            at=WHEN,
        )
        assert "lifecycle: study_visit_1 removed" in plan.changes
        assert ("online_visit",) == plan.pair("mechelen-capaci").skipped
        assert_replays(programme)


class TestBook:
    """Tests for what a migration keeps of the deadline book."""

    def test_from_no_rules_to_rules(self) -> None:
        """A programme without deadline rules gets them: worked out from the pairs' histories."""
        programme = inclucities()
        bare = attrs.evolve(programme.definition, deadlines=())
        plain = Programme.from_definition(bare, clock=programme.clock)
        for key, (mentor, mentee, theme, _) in _inclucities.PAIRS.items():
            plain.add_pair(key, mentor=mentor, mentee=mentee, theme=theme, at=at(2020, 6, 17, 10))
            plain.pair(key).complete(Phase.NEEDS_ASSESSMENT, at=at(2020, 9, 30))
        plain.migrate(attrs.evolve(bare, version=2, deadlines=V1_RULES), at=WHEN)
        due = plain.deadline("study_visit_3", pair="mechelen-capaci")
        assert (pendulum.date(2022, 5, 31), ()) == (due.due_on, due.revisions)
        assert_replays(plain)

    def test_to_no_rules(self) -> None:
        """Rules dropped: the programme has no deadlines any more."""
        from mentorflow import ValidationError

        programme = inclucities()
        programme.migrate(v2(programme, deadlines=()), phases=MAPPING, at=WHEN)
        with pytest.raises(ValidationError, match="no deadline rules"):
            programme.deadline("final_review", pair="mechelen-capaci")
        assert_replays(programme)

    def test_milestones_and_extensions_are_kept(self) -> None:
        """Milestones reached and extensions granted before a migration still count after it:
        the end stays extended (on top of a new original end), a phase extension still moves
        its deadline."""
        programme = inclucities()
        programme.reach_milestone("final_conference", at=at(2021, 11, 1))
        report = programme.deadline("final_report")
        programme.request_phase_extension(
            Phase.STUDY_VISIT_3, pair="mechelen-capaci", reason="r", months=1, at=at(2021, 11, 1)
        )
        programme.grant_extension("E1", by="REA", at=at(2021, 11, 2))
        programme.request_extension(months=3, reason="Covid-19", at=at(2021, 11, 3))
        programme.grant_extension("E2", by="REA", at=at(2021, 11, 4))
        assert pendulum.date(2023, 3, 31) == programme.ends_on
        keep = v2(programme, deadlines=V1_RULES, lifecycle=programme.lifecycle)
        programme.migrate(keep, at=WHEN)
        assert pendulum.date(2023, 3, 31) == programme.ends_on
        assert report == programme.deadline("final_report")
        assert (
            pendulum.date(2022, 6, 30)
            == programme.deadline("study_visit_3", pair="mechelen-capaci").due_on
        )
        later = attrs.evolve(keep, version=3, ends_on=pendulum.date(2023, 6, 30))
        programme.migrate(later, at=WHEN.add(days=1))
        assert pendulum.date(2023, 9, 30) == programme.ends_on
        review = programme.deadline("final_review", pair="mechelen-capaci")
        assert (3, pendulum.date(2023, 9, 29)) == (review.revisions[-1].migration, review.due_on)
        assert_replays(programme)


class TestValues:
    """Tests for the Migrate command and the migration events as values."""

    def test_command_round_trip(self) -> None:
        """A Migrate command comes back equal through JSON."""
        programme = inclucities()
        command = Migrate(definition=v2(programme), phases=MAPPING, at=WHEN, note="n")
        assert command == load_command(json.loads(json.dumps(dump_command(command))))

    def test_events_round_trip(self) -> None:
        """The events of a migration come back equal through JSON."""
        programme = inclucities()
        version = programme.version
        programme.migrate(v2(programme), phases=MAPPING, at=WHEN)
        for event in programme.history[version:]:
            assert event == load_event(json.loads(json.dumps(dump_event(event))))

    def test_bad_fields(self) -> None:
        """A mapping that is not one of phase names is named."""
        programme = inclucities()
        with pytest.raises(DefinitionError) as info:
            Migrate(definition=v2(programme), phases={"study_visit_3": 3})  # type: ignore[dict-item]
        assert "phases['study_visit_3']" == info.value.field
        with pytest.raises(DefinitionError) as info:
            Migrate(definition=v2(programme), phases=["study_visit_3"])  # type: ignore[arg-type]
        assert "phases" == info.value.field

    def test_policy_change(self) -> None:
        """Policies change with the definition: the new one judges what comes next."""
        programme = inclucities()
        policy = ExtensionPolicy(response_days=60)
        programme.migrate(v2(programme, extension_policy=policy), phases=MAPPING, at=WHEN)
        assert policy == programme.extension_policy


SCENARIO = """
name = "IncluCities, workshops moved mid-programme"

[programme]
name = "IncluCities"
starts_on = 2020-06-17
ends_on = 2022-12-31
timezone = "Europe/Brussels"
country = "BE"

[[programme.deadlines]]
name = "transfer_workshop"
after = "study_visit_3.completed"
months = 3

[[pairs]]
key = "mechelen-capaci"
theme = "participation_and_social_inclusion"
mentor = { city = "Mechelen", country = "BE", association = "VVSG" }
mentee = { city = "Capaci", country = "IT", subdivision = "PA", association = "AICCRE" }

[[pairs]]
key = "schaerbeek-jelgava"
theme = "education_and_training"
mentor = { city = "Schaerbeek", country = "BE", association = "Brulocalis" }
mentee = { city = "Jelgava", country = "LV", association = "LALRG" }

[durations]
needs_assessment = "3 months"
matching = "1 month"
study_visit_1 = "7 months"
study_visit_2 = "5 months"
study_visit_3 = "5 months"
transfer_workshop = "2 months"
training_academy = "6 months"
final_review = "1 month"

[[script]]
on = 2021-06-01
action = "delay"
pair = "schaerbeek-jelgava"
phase = "study_visit_2"
offset = "1 month"

[[script]]
on = 2021-11-15
action = "migrate"
lifecycle = [
  "needs_assessment", "matching", "study_visit_1", "study_visit_2",
  "transfer_workshop", "study_visit_3", "training_academy", "final_review",
]
phases = { study_visit_3 = "transfer_workshop" }
note = "workshops between rounds 2 and 3"

[[programme.deadlines]]
name = "final_review"
after = "programme.end"
capped = true
"""


class TestScenario:
    """Tests for the migrate action of scenarios (Python and TOML)."""

    def test_toml(self) -> None:
        """A migrate action on a date: the pair past round 2 goes to the workshop and then
        round 3; the other reaches the workshop in the new order; the left phase shows as
        migrated."""
        import tomllib

        from mentorflow.scenario import parse_scenario

        scenario = parse_scenario(tomllib.loads(SCENARIO), "migrating.toml")
        (action,) = [a for a in scenario.script if a.action == "migrate"]
        assert action.definition is not None
        assert (2, {"study_visit_3": "transfer_workshop"}) == (
            action.definition.version,
            action.phases,
        )
        timeline = scenario.simulate()
        assert () == timeline.refusals
        spans = [(s.phase, s.status) for s in timeline.phases if s.pair == "mechelen-capaci"]
        assert [
            ("needs_assessment", "completed"),
            ("matching", "completed"),
            ("study_visit_1", "completed"),
            ("study_visit_2", "completed"),
            ("study_visit_3", "migrated"),
            ("transfer_workshop", "completed"),
            ("study_visit_3", "completed"),
            ("training_academy", "completed"),
            ("final_review", "completed"),
        ] == spans
        jelgava = [s.phase for s in timeline.phases if s.pair == "schaerbeek-jelgava"]
        assert jelgava.index("transfer_workshop") < jelgava.index("study_visit_3")

    def test_refused_migration_changes_nothing(self) -> None:
        """A migration the rules refuse is a refusal of the timeline; the programme goes on
        on its definition."""
        import tomllib

        from mentorflow.scenario import parse_scenario

        document = tomllib.loads(SCENARIO)
        document["script"][1]["phases"] = {"study_visit_3": "final_review"}
        timeline = parse_scenario(document).simulate()
        assert 1 == len(timeline.refusals)
        assert "visit-required" in timeline.refusals[0]
        order = [s.phase for s in timeline.phases if s.pair == "mechelen-capaci"]
        assert order.index("study_visit_3") < order.index("transfer_workshop")

    def test_bad_keys(self) -> None:
        """A migrate action's keys are checked, naming them."""
        import tomllib

        from mentorflow.scenario import ScenarioError, parse_scenario

        document = tomllib.loads(SCENARIO)
        document["script"][1]["pair"] = "mechelen-capaci"
        with pytest.raises(ScenarioError, match=r"script\[1\]\.pair: unknown key"):
            parse_scenario(document, "f")
        document = tomllib.loads(SCENARIO)
        document["script"][1]["lifecycle"] = ["matching", "second_visit"]
        with pytest.raises(ScenarioError, match=r"script\[1\]\.lifecycle\.phases\[1\]"):
            parse_scenario(document, "f")

    def test_python(self) -> None:
        """The same action in Python: a Definition and a mapping."""
        from mentorflow.scenario import Action, PairSpec, Scenario

        definition = Definition(
            name="IncluCities",
            starts_on=pendulum.date(2020, 6, 17),
            ends_on=pendulum.date(2022, 12, 31),
            timezone=TZ,
        )
        mentor, mentee, theme, _ = _inclucities.PAIRS["schaerbeek-jelgava"]
        scenario = Scenario(
            name="s",
            programme=definition,
            pairs=(PairSpec(key="p", mentor=mentor, mentee=mentee, theme=theme),),
            durations={
                phase: Offset(amount=2, unit="months") for phase in Phase if phase != "completed"
            },
            script=(
                Action(
                    on=pendulum.date(2021, 3, 1),
                    action="migrate",
                    definition=attrs.evolve(
                        definition, version=2, lifecycle=_inclucities.LIFECYCLE
                    ),
                    phases={"study_visit_3": "transfer_workshop"},
                ),
            ),
        )
        timeline = scenario.simulate()
        assert () == timeline.refusals
        done = [s.phase for s in timeline.phases if s.status == "completed"]
        assert done.index("transfer_workshop") < done.index("study_visit_3")
        assert [("study_visit_3", "migrated")] == [
            (s.phase, s.status) for s in timeline.phases if s.status != "completed"
        ]
