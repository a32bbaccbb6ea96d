"""Tests for a programme's own names of the two sides of a pair (`Roles`): in the definition,
its stored document, `Programme.partners` and scenario files."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import attrs
import pendulum
import pytest

from mentorflow import (
    City,
    Definition,
    DefinitionError,
    JsonLinesStore,
    ManualClock,
    MemoryStore,
    Partner,
    Programme,
    Role,
    Roles,
    SerializationError,
    ValidationError,
)
from mentorflow._domain.changes import changes
from mentorflow._simulation import inclucities as _inclucities
from mentorflow._simulation.scenario_file import parse_scenario, shipped
from mentorflow.exceptions import ScenarioError
from mentorflow.serialization import dump_definition, fingerprint, read_definition

FIXTURES = Path(__file__).parent / "fixtures"
URBACT = Roles(mentor="lead", mentee="transfer")
START = pendulum.datetime(2023, 9, 1, 10, tz="Europe/Lisbon")


def network(roles: Roles | tuple[str, str] | None = URBACT) -> Programme:
    """A lead city in two pairs, under ``roles``."""
    programme = Programme(
        "Network",
        starts_on=START.date(),
        ends_on=pendulum.date(2026, 2, 28),
        timezone="Europe/Lisbon",
        lifecycle=None,
        roles=roles,
        clock=ManualClock(START),
    )
    lead = Partner(city=City(name="Almada", country="PT"))
    for name, country in (("Tartu", "EE"), ("Nitra", "SK")):
        programme.add_pair(
            f"almada-{name.lower()}",
            mentor=lead,
            mentee=Partner(city=City(name=name, country=country)),
            theme="school_food",
        )
    return programme


class TestRoles:
    """Tests for the Roles value."""

    def test_default(self) -> None:
        """Mentor and mentee by default, each its Role."""
        assert ("mentor", "mentee") == Roles().names
        assert (Role.MENTOR, Role.MENTEE) == (Roles().name(Role.MENTOR), Roles().name(Role.MENTEE))

    def test_names_and_sides(self) -> None:
        """A declared name maps to its side and back."""
        assert ("lead", "transfer") == (URBACT.name(Role.MENTOR), URBACT.name(Role.MENTEE))
        assert (Role.MENTOR, Role.MENTEE) == (
            URBACT.role("lead", "f"),
            URBACT.role("transfer", "f"),
        )

    def test_unknown_name(self) -> None:
        """A name that is not one of the two is an error naming the field and the two."""
        with pytest.raises(ValidationError) as info:
            URBACT.role("mentor", "pairs[0].mentor")
        assert "pairs[0].mentor" == info.value.field
        assert "'lead', 'transfer'" in info.value.problem

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"mentor": "Lead"}, "mentor"),
            ({"mentee": ""}, "mentee"),
            ({"mentee": 3}, "mentee"),
            ({"mentor": "lead", "mentee": "lead"}, "mentee"),
        ],
    )
    def test_bad_names(self, kwargs: dict[str, Any], field: str) -> None:
        """Names are lower_snake_case and differ."""
        with pytest.raises(ValidationError) as info:
            Roles(**kwargs)
        assert field == info.value.field


class TestDefinition:
    """Tests for Definition.roles."""

    def test_two_names(self) -> None:
        """Two names are the mentor's and the mentee's."""
        made = Definition(
            name="N", starts_on=START.date(), ends_on=START.date(), roles=("lead", "transfer")
        )
        assert URBACT == made.roles

    @pytest.mark.parametrize(
        ("value", "field"),
        [("lead", "roles"), (("lead",), "roles"), (("lead", "Transfer"), "roles.mentee")],
    )
    def test_bad(self, value: Any, field: str) -> None:
        """Anything but Roles or two good names is named."""
        with pytest.raises(DefinitionError) as info:
            Definition(name="N", starts_on=START.date(), ends_on=START.date(), roles=value)
        assert field == info.value.field

    def test_changes(self) -> None:
        """A change of names is one line of a definition's changes."""
        old = _inclucities.programme().definition
        assert ("roles: mentor, mentee -> lead, transfer",) == changes(
            old, attrs.evolve(old, roles=URBACT)
        )


class TestPartners:
    """Tests for Programme.partners."""

    def test_declared_names(self) -> None:
        """Each partner's role in each pair, as the programme names it."""
        partners = network().partners
        lead = next(p for p in partners if p.city.name == "Almada")
        assert (("almada-tartu", "lead"), ("almada-nitra", "lead")) == partners[lead]
        tartu = next(p for p in partners if p.city.name == "Tartu")
        assert (("almada-tartu", "transfer"),) == partners[tartu]

    def test_default_names_are_roles(self) -> None:
        """Under the default names, a role is its Role, as before roles were declared."""
        partners = network(None).partners
        lead = next(p for p in partners if p.city.name == "Almada")
        assert {Role.MENTOR} == {role for _, role in partners[lead]}
        assert all(isinstance(role, Role) for _, role in partners[lead])


class TestDocuments:
    """Tests for the roles in a stored definition."""

    def test_round_trip(self) -> None:
        """Declared names are stored and read back."""
        definition = network().definition
        document = dump_definition(definition)
        assert {"mentor": "lead", "mentee": "transfer"} == document["roles"]
        assert definition == read_definition(document)

    def test_default_is_not_written(self) -> None:
        """The default names are not written: a document keeps the fingerprint it had before
        roles were declared (IncluCities' as 0.2 wrote it)."""
        definition = _inclucities.programme().definition
        assert "roles" not in dump_definition(definition)
        assert "790eb3a9394b0bf5" == fingerprint(definition)

    def test_old_logs_restore_with_the_default(self, tmp_path: Path) -> None:
        """A log of 0.1 has no roles: it restores with mentor and mentee."""
        shutil.copy(FIXTURES / "everything-0.1.jsonl", tmp_path)
        restored = Programme.restore(JsonLinesStore(tmp_path), "everything-0.1")
        assert Roles() == restored.definition.roles
        assert restored.partners

    def test_persisted_programme_keeps_its_names(self) -> None:
        """A programme with roles of its own restores with them."""
        store = MemoryStore()
        live = network()
        live.persist(store, "network")
        restored = Programme.restore(store, "network")
        assert URBACT == restored.definition.roles
        assert live.partners == restored.partners

    @pytest.mark.parametrize(
        ("value", "field"),
        [
            ("lead", "$.roles"),
            ({"mentor": "lead"}, "$.roles"),
            ({"mentor": "lead", "mentee": "Transfer"}, "$.roles.mentee"),
        ],
    )
    def test_bad_document(self, value: Any, field: str) -> None:
        """A bad roles value is named where it is."""
        document = dump_definition(network().definition)
        del document["fingerprint"]
        document["roles"] = value
        with pytest.raises(SerializationError) as info:
            read_definition(document)
        assert field == info.value.field


def urbact() -> dict[str, Any]:
    """The shipped URBACT network's document."""
    path = shipped()["urbact-transfer-network"]
    return tomllib.loads(path.read_text(encoding="utf-8"))


class TestScenarioFile:
    """Tests for ``programme.roles`` in scenario files."""

    def test_shipped_urbact(self) -> None:
        """The URBACT network names a lead partner and transfer partners."""
        scenario = parse_scenario(urbact())
        assert URBACT == scenario.programme.roles
        assert {"Almada"} == {pair.mentor.city.name for pair in scenario.pairs}

    def test_mentor_key_under_other_names(self) -> None:
        """``mentor`` in a pair of a programme that says lead and transfer is named."""
        doc = urbact()
        doc["pairs"][2]["mentor"] = doc["pairs"][2].pop("lead")
        with pytest.raises(ScenarioError) as info:
            parse_scenario(doc)
        assert "scenario: pairs[2].mentor" == info.value.field
        assert "not a role of this programme: one of 'lead', 'transfer'" in info.value.problem

    def test_missing_role(self) -> None:
        """A pair without one of its roles is named."""
        doc = urbact()
        del doc["pairs"][0]["transfer"]
        with pytest.raises(ScenarioError) as info:
            parse_scenario(doc)
        assert "scenario: pairs[0].transfer" == info.value.field

    @pytest.mark.parametrize(
        ("roles", "field"),
        [
            ({"mentor": "lead"}, "programme.roles.mentee"),
            ({"mentor": "lead", "mentee": "transfer", "x": "y"}, "programme.roles.x"),
            ({"mentor": "lead", "mentee": "Transfer"}, "programme.roles.mentee"),
            ({"mentor": "theme", "mentee": "transfer"}, "programme.roles.mentor"),
            ("lead", "programme.roles"),
        ],
    )
    def test_bad_roles(self, roles: Any, field: str) -> None:
        """Bad ``programme.roles`` are named."""
        doc = urbact()
        doc["programme"]["roles"] = roles
        with pytest.raises(ScenarioError) as info:
            parse_scenario(doc)
        assert f"scenario: {field}" == info.value.field

    def test_hosts_and_replacements_by_name(self) -> None:
        """``visit_hosts``, ``[visits]`` hosts and a replacement's role speak the names."""
        doc = urbact()
        doc["programme"]["lifecycle"] = ["activation", "study_visit_1", "sharing"]
        doc["programme"]["visit_hosts"] = {"lead": 1}
        doc["programme"]["deadlines"] = []
        doc["durations"] = {"activation": "6 months", "study_visit_1": "3 months"}
        doc["visits"] = {"1": {"days": 2, "host": "lead"}}
        doc["script"] = [
            {
                "on": pendulum.date(2024, 1, 10),
                "action": "replace_partner",
                "pair": "almada-udine",
                "role": "transfer",
                "partner": {"city": "Trieste", "country": "IT"},
            }
        ]
        scenario = parse_scenario(doc)
        hosts = scenario.programme.lifecycle.visit_hosts
        assert hosts is not None
        assert {Role.MENTOR: 1} == dict(hosts)
        assert Role.MENTOR == scenario.visits[0].host
        assert Role.MENTEE == scenario.script[0].role
        timeline = scenario.simulate()
        assert () == timeline.refusals
        assert {"Almada"} == {visit.host for visit in timeline.visits}

    @pytest.mark.parametrize(
        ("where", "change"),
        [
            (
                "programme.visit_hosts.mentor",
                lambda d: d["programme"].update(visit_hosts={"mentor": 1}),
            ),
            ("visits.1.host", lambda d: d.update(visits={"1": {"host": "mentee"}})),
            (
                "script[0].role",
                lambda d: d.update(
                    script=[
                        {
                            "on": pendulum.date(2024, 1, 10),
                            "action": "replace_partner",
                            "pair": "almada-udine",
                            "role": "mentee",
                            "partner": "tartu",
                        }
                    ]
                ),
            ),
        ],
    )
    def test_unknown_role_named(self, where: str, change: Any) -> None:
        """mentor or mentee where a programme says lead and transfer is named."""
        doc = urbact()
        change(doc)
        with pytest.raises(ScenarioError) as info:
            parse_scenario(doc)
        assert f"scenario: {where}" == info.value.field
        assert "not a role of this programme" in info.value.problem
