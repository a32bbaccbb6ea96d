"""Commands as values: made, checked, serialized, executed through the one transaction path."""

from __future__ import annotations

import json

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mentorflow as m
from mentorflow import (
    CommandRefused,
    Complete,
    Enrol,
    GrantExtension,
    Phase,
    Programme,
    RequestExtension,
    ValidationError,
)
from mentorflow.serialization import COMMANDS, dump_command, load_command
from mentorflow.testing import Command as PlannedCommand
from mentorflow.testing import command_values
from mentorflow.testing import commands as planned_commands

from drive import run
from helpers import partner

TZ = "Europe/Brussels"
START = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
MENTOR = partner("Mechelen", "BE", "VVSG")
MENTEE = partner("Capaci", "IT", "AICCRE", "PA")


def programme() -> Programme:
    return Programme(
        "P",
        starts_on=START.date(),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=m.ManualClock(START),
        deadlines=[m.DeadlineRule("final_conference", after="programme.end", days=0)],
    )


class TestValues:
    """Tests for the command classes themselves."""

    def test_every_command_is_public_and_known(self) -> None:
        """Each command type is exported from mentorflow and named in COMMANDS."""
        for name, kind in COMMANDS.items():
            assert kind is getattr(m, name)
            assert name in m.__all__

    @pytest.mark.parametrize(
        ("make", "field"),
        [
            (lambda: Complete(pair="a", phase=3), "phase"),
            (lambda: Complete(pair=1, phase="matching"), "pair"),
            (lambda: Complete(pair="a", phase="matching", note=7), "note"),
            (lambda: Complete(pair="a", phase="matching", at="2020-01-01"), "at"),
            (lambda: m.RecordVisit(pair="a", visit=None), "visit"),
            (lambda: m.DefineBenchmarks(pair="a", benchmarks=True), "benchmarks"),
            (lambda: m.ReplacePartner(pair="a", role="boss", partner=MENTOR), "role"),
            (lambda: m.RegisterDeliverable(pair="a", deliverable="x"), "deliverable"),
            (lambda: Enrol(pair=" a", mentor=MENTOR, mentee=MENTEE, theme="housing"), "key"),
            (lambda: Enrol(pair="a", mentor=MENTOR, mentee=MENTEE, theme="Culture"), "theme"),
            (lambda: Enrol(pair="a", mentor=MENTOR, mentee=MENTOR, theme="housing"), "mentee"),
            (lambda: RequestExtension(reason="", offset=m.Offset(amount=1)), "reason"),
            (lambda: RequestExtension(reason="r", offset=m.Offset(amount=0)), "days"),
            (lambda: RequestExtension(reason="r", offset=m.Offset(amount=1), pair="a"), "pair"),
            (lambda: GrantExtension(extension="E1", by=" "), "by"),
        ],
    )
    def test_bad_fields_are_named(self, make: object, field: str) -> None:
        """A bad field is a ValidationError naming it, when the command is made."""
        with pytest.raises(ValidationError) as info:
            make()  # type: ignore[operator]
        assert field == info.value.field

    def test_commands_are_frozen(self) -> None:
        """A command can't be changed once made."""
        command = Complete(pair="a", phase=Phase.MATCHING)
        with pytest.raises(AttributeError):
            command.phase = Phase.NEEDS_ASSESSMENT  # type: ignore[misc]


class TestCodec:
    """Tests for dump_command / load_command."""

    @given(command_values())
    def test_round_trip(self, command: m.Command) -> None:
        """Every command comes back equal through JSON."""
        document = json.loads(json.dumps(dump_command(command)))
        assert command == load_command(document)

    def test_bad_documents_are_named(self) -> None:
        """An unknown type or a bad field is a SerializationError naming where."""
        with pytest.raises(m.SerializationError, match=r"\$\.type"):
            load_command({"type": "Explode"})
        document = dump_command(Complete(pair="a", phase="matching"))
        with pytest.raises(m.SerializationError) as info:
            load_command({**document, "phase": 3})
        assert info.value.field.startswith("$")
        with pytest.raises(m.SerializationError):
            dump_command("complete")  # type: ignore[arg-type]


class TestExecute:
    """Tests for Programme.execute."""

    def test_methods_and_execute_agree(self) -> None:
        """A pair method and execute of its command give the same events and state."""
        a, b = programme(), programme()
        a.add_pair("p", mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=START)
        b.execute(Enrol(pair="p", mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=START))
        at = START.add(weeks=3)
        by_method = a.pair("p").complete(Phase.NEEDS_ASSESSMENT, at=at)
        by_value = b.execute(Complete(pair="p", phase=Phase.NEEDS_ASSESSMENT, at=at))
        assert by_method == by_value
        assert list(a.history) == list(b.history)
        assert a.pair("p").phase == b.pair("p").phase

    def test_programme_commands(self) -> None:
        """Extension commands run through execute like their methods."""
        p = programme()
        (requested,) = p.execute(
            RequestExtension(reason="covid", offset=m.Offset(amount=3, unit="months"), at=START)
        )
        assert isinstance(requested, m.ExtensionRequested)
        (granted,) = p.execute(GrantExtension(extension="E1", by="EC", at=START.add(days=1)))
        assert isinstance(granted, m.ExtensionGranted)
        assert pendulum.date(2023, 3, 31) == p.ends_on

    def test_not_a_command(self) -> None:
        """Something that is not a command is a ValidationError, and nothing changes."""
        p = programme()
        with pytest.raises(ValidationError, match="command"):
            p.execute("complete")  # type: ignore[arg-type]
        assert 0 == p.version

    def test_unknown_pair(self) -> None:
        """A command for a pair that doesn't exist is an UnknownPairError."""
        with pytest.raises(m.UnknownPairError):
            programme().execute(Complete(pair="nobody", phase="matching"))

    @given(command_values())
    def test_any_command_either_runs_or_is_refused_cleanly(self, command: m.Command) -> None:
        """On a programme with one pair, every command value runs or raises a library error,
        and a refused one leaves the history unchanged."""
        p = programme()
        p.execute(Enrol(pair="a", mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=START))
        before = list(p.history)
        try:
            events = p.execute(command)
        except m.MentorflowError:
            assert before == list(p.history)
        else:
            assert before + list(events) == list(p.history)
            assert list(range(1, p.version + 1)) == [e.seq for e in p.history]


@given(st.lists(planned_commands(), max_size=12))
def test_planned_commands_become_values(plan: list[PlannedCommand]) -> None:
    """mentorflow.testing's planned commands run as command values, with the same outcome
    through the engine's table and through transitions' own trigger."""
    a, b = programme(), programme()
    for p in (a, b):
        p.add_pair("p", mentor=MENTOR, mentee=MENTEE, theme=m.Theme.HOUSING, at=START)
    for planned in plan:
        left = run(a.pair("p"), planned)
        right = run(b.pair("p"), planned, via_machine=True)
        assert type(left) is type(right)
        if isinstance(left, CommandRefused):
            assert str(left) == str(right)
    assert list(a.history) == list(b.history)
