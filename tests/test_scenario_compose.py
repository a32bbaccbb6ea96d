"""Scenario files that compose (base), a programme's duration, closure days, `mentorflow init`,
`--help`'s shipped scenarios, and CSV exports of refusals and comparisons."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import attrs
import pendulum
import pytest

from mentorflow import Offset, Unit
from mentorflow._cli import main
from mentorflow._codec.serialize import dump_definition, fingerprint, read_definition
from mentorflow._domain.calendar import Closure, WorkingCalendar, calendar_for
from mentorflow._simulation.files import shipped, starter
from mentorflow._simulation.scenario_file import last_day
from mentorflow.exceptions import ScenarioError, ValidationError
from mentorflow.scenario import (
    Action,
    compare,
    comparison_csv,
    load_scenario,
    parse_scenario,
    to_csv,
)

PLAN = load_scenario("inclucities-plan")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


class TestBase:
    """Tests for base = ... and the merge."""

    def test_tables_merge_key_by_key(self, tmp_path: Path) -> None:
        """A shipped base: the file's keys replace the base's, the rest is kept."""
        path = write(
            tmp_path,
            "b.toml",
            'base = "inclucities-plan"\nname = "B"\n[programme]\nends_on = 2023-06-30\n'
            '[durations]\nmatching = "1 month"\n',
        )
        found = load_scenario(path)
        assert "B" == found.name
        assert pendulum.Date(2023, 6, 30) == found.programme.ends_on
        assert "CEMR" == found.programme.coordinator  # kept
        assert Offset(amount=1, unit=Unit.MONTHS) == found.durations["matching"]
        assert PLAN.durations["study_visit_1"] == found.durations["study_visit_1"]
        assert PLAN.pairs == found.pairs
        assert PLAN.script == found.script

    def test_a_value_replaces_whole(self, tmp_path: Path) -> None:
        """A distribution, a list or a partner replaces the base's (no merge inside)."""
        path = write(
            tmp_path,
            "b.toml",
            'base = "inclucities-plan"\n[durations]\n'
            'matching = { uniform = ["1 month", "2 months"] }\n',
        )
        found = load_scenario(path).durations["matching"]
        assert "uniform 1 to 2 months" == str(found)

    def test_pairs_by_key_script_extended(self, tmp_path: Path) -> None:
        """A pair of the base's key replaces it in place; a new one is added; actions are
        added after the base's."""
        path = write(
            tmp_path,
            "b.toml",
            'base = "inclucities-plan"\n'
            '[[pairs]]\nkey = "mechelen-capaci"\ntheme = "housing"\n'
            'mentor = { city = "Mechelen", country = "BE", association = "VVSG" }\n'
            'mentee = { city = "Capaci", country = "IT", association = "AICCRE" }\n'
            '[[pairs]]\nkey = "new"\ntheme = "housing"\n'
            'mentor = { city = "Ghent", country = "BE", association = "VVSG" }\n'
            'mentee = { city = "Bari", country = "IT", association = "AICCRE" }\n'
            '[[script]]\non = 2021-01-01\naction = "delay"\npair = "new"\n'
            'phase = "matching"\noffset = "1 month"\n',
        )
        found = load_scenario(path)
        keys = [p.key for p in found.pairs]
        assert [*[p.key for p in PLAN.pairs], "new"] == keys
        assert "Capaci" == found.pairs[1].mentee.city.name
        assert "housing" == found.pairs[1].theme.value
        assert 2 == len(found.script)
        assert PLAN.script[0] == found.script[0]

    def test_deadlines_by_name_and_replace(self, tmp_path: Path) -> None:
        """A deadline of the base's name replaces it; replace = [...] empties what it names."""
        path = write(
            tmp_path,
            "b.toml",
            'base = "inclucities-plan"\nreplace = ["script"]\n'
            '[[programme.deadlines]]\nname = "final_review"\nafter = "programme.end"\n'
            "days = -10\n",
        )
        found = load_scenario(path)
        assert () == found.script
        (rule,) = found.programme.deadlines
        assert -10 == rule.days

    def test_bases_chain_relative(self, tmp_path: Path) -> None:
        """A base's base is found relative to the base."""
        (tmp_path / "plans").mkdir()
        write(tmp_path / "plans", "a.toml", 'base = "inclucities-plan"\nname = "A"\n')
        write(tmp_path / "plans", "b.toml", 'base = "a.toml"\n[programme]\ncountry = "FR"\n')
        path = write(tmp_path, "c.toml", 'base = "plans/b.toml"\nname = "C"\n')
        found = load_scenario(path)
        assert ("C", "FR") == (found.name, found.programme.country)

    @pytest.mark.parametrize(
        ("text", "key", "problem"),
        [
            ('base = "nowhere.toml"\n', "base", "neither a file"),
            ("base = 3\n", "base", "must be a file name"),
            ('replace = ["script"]\n', "replace", "only a file with a base"),
            ('base = "inclucities-plan"\nreplace = ["durations"]\n', "replace[0]", "not one of"),
            ('base = "inclucities-plan"\nprogramme = "x"\n', "programme", "the base has a table"),
            (
                'base = "inclucities-plan"\n[[pairs]]\ntheme = "housing"\n',
                "pairs[0].key",
                "merged by its key",
            ),
            (
                'base = "inclucities-plan"\n[[pairs]]\nkey = "a"\n[[pairs]]\nkey = "a"\n',
                "pairs[1].key",
                "given twice",
            ),
            (
                'base = "inclucities-plan"\n[[programme.deadlines]]\nafter = "programme.end"\n',
                "programme.deadlines[0].name",
                "merged by its name",
            ),
            ('base = "inclucities-plan"\n[[pairs]]\nkey = 1\n', "pairs[0].key", "must be a string"),
            ('base = "a\\u0000b"\n', "base", "can't be a file name"),
            ('base = "."\n', "base", "is a folder"),
            ('base = "inclucities-plan"\nscript = { a = 1 }\n', "script", "must be a list"),
            ('base = "inclucities-plan"\nreplace = "script"\n', "replace", "must be a list"),
        ],
    )
    def test_refused(self, tmp_path: Path, text: str, key: str, problem: str) -> None:
        """Each ambiguous or broken composition names its key."""
        path = write(tmp_path, "bad.toml", text)
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert f"{path}: {key}" == err.value.field
        assert problem in str(err.value)

    def test_a_path_the_file_system_cant_take(self) -> None:
        """A path with a NUL byte is a ScenarioError naming it, not a ValueError."""
        with pytest.raises(ScenarioError, match="can't be a file name"):
            load_scenario("a\x00b.toml")

    def test_cycle(self, tmp_path: Path) -> None:
        """A file that builds on itself, through another, is refused."""
        write(tmp_path, "a.toml", 'base = "b.toml"\n')
        write(tmp_path, "b.toml", 'base = "a.toml"\n')
        with pytest.raises(ScenarioError, match="builds on itself"):
            load_scenario(tmp_path / "a.toml")

    def test_parse_scenario_with_a_shipped_base(self) -> None:
        """A document from Python may build on a shipped scenario too."""
        found = parse_scenario({"base": "urbact-transfer-network", "name": "U"})
        assert "U" == found.name
        assert load_scenario("urbact-transfer-network").pairs == found.pairs


class TestDuration:
    """Tests for [programme] duration."""

    @pytest.mark.parametrize(
        ("start", "length", "end"),
        [
            ((2023, 9, 1), "30 months", (2026, 2, 28)),
            ((2020, 6, 17), "30 months", (2022, 12, 16)),
            ((2023, 8, 31), "6 months", (2024, 2, 29)),
            ((2024, 1, 1), "12 months", (2024, 12, 31)),
            ((2024, 1, 1), "2 weeks", (2024, 1, 14)),
            ((2024, 1, 1), "1 day", (2024, 1, 1)),
        ],
    )
    def test_last_day(
        self, start: tuple[int, int, int], length: str, end: tuple[int, int, int]
    ) -> None:
        """The day before the same day that much later; a month without it ends with it."""
        amount, unit = length.split(" ")
        offset = Offset(amount=int(amount), unit=unit if unit.endswith("s") else f"{unit}s")
        assert pendulum.Date(*end) == last_day(pendulum.Date(*start), offset)

    def test_in_a_file_and_over_a_base(self, tmp_path: Path) -> None:
        """duration replaces the base's ends_on."""
        path = write(
            tmp_path, "d.toml", 'base = "inclucities-plan"\n[programme]\nduration = "36 months"\n'
        )
        assert pendulum.Date(2023, 6, 16) == load_scenario(path).programme.ends_on

    @pytest.mark.parametrize(
        ("extra", "key", "problem"),
        [
            ('ends_on = 2022-12-31\nduration = "30 months"\n', "ends_on", "not both"),
            ("", "ends_on", "is missing"),
            ('duration = "20 working days"\n', "duration", "days, weeks or months"),
            ('duration = "0 months"\n', "duration", "1 or more"),
            ('duration = "soon"\n', "duration", "not an amount"),
        ],
    )
    def test_refused(self, tmp_path: Path, extra: str, key: str, problem: str) -> None:
        """Exactly one of ends_on and duration, a duration in days, weeks or months."""
        path = write(
            tmp_path,
            "d.toml",
            f'name = "x"\n[programme]\nname = "p"\nstarts_on = 2024-01-01\n{extra}'
            '[[pairs]]\nkey = "a"\ntheme = "housing"\n'
            'mentor = { city = "Ghent", country = "BE", association = "VVSG" }\n'
            'mentee = { city = "Bari", country = "IT", association = "AICCRE" }\n',
        )
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert f"{path}: programme.{key}" == err.value.field
        assert problem in str(err.value)


class TestClosures:
    """Tests for closure days: the calendar, the definition, the scenario file."""

    def test_calendar(self) -> None:
        """A closure day is no working day; a country's closes its subdivisions too."""
        midsummer = dt.date(2024, 6, 21)  # Midsummer Eve, a Friday: no public holiday
        eve = dt.date(2024, 6, 20)  # the Thursday before
        calendar = WorkingCalendar(("FI",), (eve,))
        assert not calendar.is_working_day(eve)
        assert calendar.is_working_day(dt.date(2024, 6, 19))
        assert pendulum.Date(2024, 6, 24) == calendar.roll_forward(pendulum.Date(2024, 6, 20))
        assert calendar != WorkingCalendar(("FI",))
        closures = (Closure(on=eve, region="ES"), Closure(on=midsummer))
        assert not calendar_for(("ES-MD",), closures).is_working_day(eve)
        assert calendar_for(("FR",), closures).is_working_day(eve)
        assert not calendar_for(("FR",), closures).is_working_day(midsummer)

    def test_closure_refuses_bad_values(self) -> None:
        """A closure's day must be a date and its region one the holidays package knows."""
        with pytest.raises(ValidationError):
            Closure(on="2024-06-21")
        with pytest.raises(ValidationError):
            Closure(on=dt.date(2024, 6, 21), region="XX")

    def test_definition_round_trip_and_fingerprint(self) -> None:
        """Closures survive the codec; a definition without them keeps its fingerprint."""
        spec = PLAN.programme
        closed = attrs.evolve(spec, closures=[Closure(on=dt.date(2021, 5, 14), region="BE")])
        assert closed == read_definition(dump_definition(closed))
        assert "closures" not in dump_definition(spec)
        assert fingerprint(spec) != fingerprint(closed)

    def test_deadlines_honour_them(self, tmp_path: Path) -> None:
        """A deadline due on a closure day moves to the next working day: the programme's
        closure for every pair, a city's for the pairs of its region only."""
        base = write(tmp_path, "starter.toml", starter())
        plain = load_scenario(base).simulate()
        due = {(d.pair, d.name): d.due_on for d in plain.deadlines}
        assert pendulum.Date(2025, 5, 6) == due[("umea-tampere", "matching")]  # a Tuesday
        closed = write(
            tmp_path,
            "closed.toml",
            'base = "starter.toml"\n[[pairs]]\nkey = "umea-tampere"\n'
            'theme = "participation_and_social_inclusion"\n'
            'mentor = { city = "Umeå", country = "SE", association = "SKR" }\n'
            'mentee = { city = "Tampere", country = "FI", association = "Kuntaliitto", '
            "closures = [2025-05-06] }\n",
        )
        moved = {(d.pair, d.name): d.due_on for d in load_scenario(closed).simulate().deadlines}
        assert pendulum.Date(2025, 5, 7) == moved[("umea-tampere", "matching")]
        assert pendulum.Date(2025, 5, 6) == moved[("malmo-gdansk", "matching")]
        everyone = write(
            tmp_path, "all.toml", 'base = "starter.toml"\n[programme]\nclosures = [2025-05-06]\n'
        )
        moved = {(d.pair, d.name): d.due_on for d in load_scenario(everyone).simulate().deadlines}
        assert pendulum.Date(2025, 5, 7) == moved[("malmo-gdansk", "matching")]

    def test_programme_closures_persist(self) -> None:
        """Programme(closures=...) moves a deadline; restored from a store, it still does."""
        from mentorflow import DeadlineRule, ManualClock, MemoryStore, Programme

        clock = ManualClock(pendulum.datetime(2024, 1, 1, 9, tz="UTC"))
        rule = DeadlineRule("report", after="programme.start", months=6)
        closed = Programme(
            "p",
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2024, 12, 31),
            country="SE",
            deadlines=[rule],
            closures=[Closure(on=dt.date(2024, 7, 1))],
            clock=clock,
        )
        assert [pendulum.Date(2024, 7, 2)] == [d.due_on for d in closed.deadlines()]
        store = MemoryStore()
        closed.persist(store, "p")
        again = Programme.restore(store, "p", clock=clock)
        assert closed.definition == again.definition
        assert [pendulum.Date(2024, 7, 2)] == [d.due_on for d in again.deadlines()]

    def test_a_migration_brings_closures(self) -> None:
        """Migrating to a definition with a closure day moves the deadline it closes."""
        from mentorflow import DeadlineRule, ManualClock, Programme

        clock = ManualClock(pendulum.datetime(2024, 1, 1, 9, tz="UTC"))
        programme = Programme(
            "p",
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2024, 12, 31),
            deadlines=[DeadlineRule("report", after="programme.start", months=6)],
            clock=clock,
        )
        assert [pendulum.Date(2024, 7, 1)] == [d.due_on for d in programme.deadlines()]
        new = attrs.evolve(
            programme.definition, version=2, closures=[Closure(on=dt.date(2024, 7, 1))]
        )
        programme.migrate(new, at=pendulum.datetime(2024, 2, 1, 9, tz="UTC"))
        assert [pendulum.Date(2024, 7, 2)] == [d.due_on for d in programme.deadlines()]

    def test_bad_closure_in_a_file(self, tmp_path: Path) -> None:
        """A closure that is not a date is named by its index."""
        path = write(
            tmp_path, "c.toml", 'base = "inclucities-plan"\n[programme]\nclosures = ["June"]\n'
        )
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert f"{path}: programme.closures[0]" == err.value.field


def _cli(*args: str) -> str:
    out = io.StringIO()
    assert 0 == main(list(args), out)
    return out.getvalue()


class TestCommandLine:
    """Tests for init, --help, and the CSV exports."""

    def test_init_writes_a_starter_that_runs(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The starter validates, simulates and has something uncertain; no overwriting."""
        path = str(tmp_path / "my-scenario.toml")
        assert "wrote" in _cli("init", path)
        assert "a valid scenario" in _cli("validate", path)
        scenario = load_scenario(path)
        assert scenario.uncertain
        assert scenario.programme.closures
        assert scenario.simulate().completed_on is not None
        assert 1 == main(["init", path])
        assert "exists already" in capsys.readouterr().err
        assert "wrote" in _cli("init", path, "--force")

    def test_help_lists_what_is_shipped(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--help names every shipped scenario, read from the package data."""
        with pytest.raises(SystemExit):
            main(["--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert {"inclucities-plan", "urbact-transfer-network"} <= set(shipped())
        for name in shipped():
            assert name in text

    def test_csv_includes_refusals(self) -> None:
        """A refused action is a row of the timeline's CSV, as in its table and JSON."""
        refused = Action(
            on=pendulum.Date(2020, 7, 1),
            action="complete",
            pair="mechelen-capaci",
            phase="final_review",
        )
        timeline = attrs.evolve(PLAN, script=(*PLAN.script, refused)).simulate()
        assert timeline.refusals
        rows = [r for r in csv.DictReader(io.StringIO(to_csv(timeline))) if r["kind"] == "refusal"]
        assert len(timeline.refusals) == len(rows)
        row = rows[0]
        assert ("mechelen-capaci", "complete", "2020-07-01") == (
            row["pair"],
            row["name"],
            row["start"],
        )
        assert row["revisions"].startswith("Can't complete pair 'mechelen-capaci'")

    def test_compare_csv(self) -> None:
        """compare --format csv: every milestone, then the change in the smallest extension."""
        text = _cli("compare", "inclucities", "inclucities-without-extension", "--format", "csv")
        rows = text.splitlines()
        assert "milestone,pair,baseline,variant,slip_days" == rows[0]
        assert "smallest extension (months),,0,3,3" in rows
        assert "days past the end,,0,88,88" in rows
        happened = load_scenario("inclucities").simulate()
        without = load_scenario("inclucities-without-extension").simulate()
        result = compare(happened, without)
        assert 3 == result.extension_change_months
        assert comparison_csv(result) == text
