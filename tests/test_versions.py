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
