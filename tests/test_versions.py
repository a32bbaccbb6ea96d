"""Tests for definition versions, fingerprints and drift: a stored definition says which one
it is, and a restore given another one refuses to go on with it."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import attrs
import pendulum
import pytest

from mentorflow import (
    DeadlineRule,
    Definition,
    DefinitionDrift,
    DefinitionError,
    JsonLinesStore,
    MemoryStore,
    Phase,
    Programme,
    SerializationError,
)
from mentorflow._simulation import inclucities as _inclucities
from mentorflow.serialization import dump_definition, fingerprint, read_definition

FIXTURES = Path(__file__).parent / "fixtures"


def inclucities_v2() -> Definition:
    """IncluCities' definition with a deadline for the transfer workshops: version 2."""
    v1 = _inclucities.programme().definition
    workshop = DeadlineRule(Phase.TRANSFER_WORKSHOP, after="study_visit_2.completed", months=3)
    return attrs.evolve(v1, deadlines=[*v1.deadlines, workshop], version=2)


class TestDocuments:
    """Tests for the version and fingerprint of a definition document."""

    def test_version_and_fingerprint_are_stored(self) -> None:
        """A definition document carries the version and the fingerprint of its content."""
        definition = inclucities_v2()
        document = dump_definition(definition)
        assert (2, fingerprint(definition)) == (document["version"], document["fingerprint"])
        assert definition == read_definition(document)

    def test_fingerprints(self) -> None:
        """Equal definitions have equal fingerprints; any change gives another one."""
        v1 = _inclucities.programme().definition
        assert fingerprint(v1) == fingerprint(_inclucities.programme().definition)
        assert fingerprint(v1) != fingerprint(inclucities_v2())
        assert fingerprint(v1) != fingerprint(attrs.evolve(v1, coordinator="Eurocities"))
        assert 16 == len(fingerprint(v1))

    def test_bad_version(self) -> None:
        """A version is a whole number from 1."""
        for bad in (0, -1, "2", True):
            with pytest.raises(DefinitionError) as info:
                attrs.evolve(_inclucities.programme().definition, version=bad)
            assert "version" == info.value.field

    def test_edited_document_is_refused(self) -> None:
        """A stored definition edited by hand no longer matches its fingerprint: refused,
        saying to migrate instead."""
        document = dump_definition(_inclucities.programme())
        document["ends_on"] = "2023-03-31"
        with pytest.raises(SerializationError) as info:
            read_definition(document, "inclucities.definition")
        assert "inclucities.definition.fingerprint" == info.value.field
        assert "Programme.migrate" in info.value.problem

    def test_document_without_them(self) -> None:
        """A document written before versions (no version, no fingerprint) is version 1."""
        document = dump_definition(_inclucities.programme())
        del document["version"], document["fingerprint"]
        assert 1 == read_definition(document).version


class TestRestoreDrift:
    """Tests for Programme.restore(..., definition=...)."""

    def stored(self) -> tuple[MemoryStore, Programme]:
        store = MemoryStore()
        live = _inclucities.programme()
        live.persist(store, "inclucities")
        _inclucities.play(live)
        return store, live

    def test_same_definition(self) -> None:
        """The definition the code runs, equal to the stored one: restored and journaled."""
        store, live = self.stored()
        restored = Programme.restore(
            store, "inclucities", clock=live.clock, definition=_inclucities.programme().definition
        )
        assert list(live.history) == list(restored.history)
        restored.check_deadlines(at=pendulum.datetime(2023, 12, 31, tz="Europe/Brussels"))
        assert restored.version == store.version("inclucities")

    def test_drift_is_refused_with_a_diff(self) -> None:
        """Another definition is a DefinitionDrift naming what differs, line by line, and
        the way out; the store is untouched."""
        store, live = self.stored()
        before = store.read("inclucities")
        with pytest.raises(DefinitionDrift) as info:
            Programme.restore(store, "inclucities", definition=inclucities_v2())
        drift = info.value
        assert (
            "deadline transfer_workshop: added (3 months after study_visit_2.completed)",
            "version: 1 -> 2",
        ) == drift.changes
        assert (live.definition, inclucities_v2()) == (drift.stored, drift.given)
        assert "definition" == drift.field
        assert "version 1 (fingerprint " in str(drift)
        assert "Programme.migrate" in str(drift)
        assert isinstance(drift, DefinitionError)
        assert before == store.read("inclucities")

    def test_without_a_definition_the_stored_one_runs(self) -> None:
        """No definition given: the stored one is used, as before versions."""
        store, live = self.stored()
        assert live.definition == Programme.restore(store, "inclucities").definition

    def test_not_a_definition(self) -> None:
        """Something that is not a Definition is named."""
        store, _ = self.stored()
        with pytest.raises(DefinitionError, match="must be a Definition"):
            Programme.restore(store, "inclucities", definition={"name": "IncluCities"})  # type: ignore[arg-type]

    def test_old_logs(self, tmp_path: Path) -> None:
        """A log of 0.1 (no version, no fingerprint) is version 1 of its definition, and
        restores with it given."""
        shutil.copy(FIXTURES / "inclucities-0.1.jsonl", tmp_path)
        store = JsonLinesStore(tmp_path)
        stored = Programme.restore(store, "inclucities-0.1").definition
        assert 1 == stored.version
        again = Programme.restore(store, "inclucities-0.1", definition=stored)
        assert stored == again.definition

    def test_pickles(self) -> None:
        """The error crosses process boundaries with its data."""
        v1 = _inclucities.programme().definition
        drift = DefinitionDrift("k", ["version: 1 -> 2"], stored=v1, given=inclucities_v2())
        back = pickle.loads(pickle.dumps(drift))
        assert (drift.changes, drift.given, str(drift)) == (back.changes, back.given, str(back))


class TestChanges:
    """Tests for the lines that say what differs between two definitions."""

    def test_each_kind(self) -> None:
        """Phases dropped, added and moved, a step's rules, hosts, rules, policies, values."""
        from mentorflow import ExtensionPolicy, Lifecycle, Role, Step
        from mentorflow._domain.changes import changes

        v1 = _inclucities.programme().definition
        lifecycle = Lifecycle(
            steps=[
                Step(phase=Phase.MATCHING),
                Step(phase=Phase.STUDY_VISIT_1, visit=1),
                Step(phase="peer_review", requires=["toolkit"]),
                Step(phase=Phase.FINAL_REVIEW),
            ],
            visit_hosts={Role.MENTEE: 1},
        )
        v2 = attrs.evolve(
            v1,
            lifecycle=lifecycle,
            deadlines=[
                DeadlineRule("final_conference", after="programme.end", days=-14),
                DeadlineRule("final_review", on=pendulum.date(2022, 12, 15)),
            ],
            extension_policy=ExtensionPolicy(max_count=1),
            ends_on=pendulum.date(2023, 3, 31),
        )
        lines = changes(v1, v2)
        for expected in (
            "lifecycle: needs_assessment removed",
            "lifecycle: peer_review added, after study_visit_1",
            "lifecycle: step final_review: no visit; requires action_plan, one_stop_shop -> "
            "no visit",
            "lifecycle: visit_hosts: mentee 2, mentor 1 -> mentee 1",
            "deadline final_conference: at programme.end, capped, warn 60 days before -> "
            "14 days before programme.end",
            "deadline final_report: removed (was 60 days after final_conference)",
            "deadline final_review: at programme.end, capped, warn 30 days before -> on 2022-12-15",
            "extension_policy.max_count: 3 -> 1",
            "ends_on: 2022-12-31 -> 2023-03-31",
        ):
            assert expected in lines, (expected, lines)
        assert () == changes(v1, _inclucities.programme().definition)

    def test_order_only(self) -> None:
        """The same rules listed in another order are a difference, said as such."""
        from mentorflow._domain.changes import changes

        v1 = _inclucities.programme().definition
        v2 = attrs.evolve(v1, deadlines=tuple(reversed(v1.deadlines)))
        assert ("deadlines: the same, listed in another order",) == changes(v1, v2)
