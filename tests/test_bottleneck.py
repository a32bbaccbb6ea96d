"""The bottleneck, critical path and slack of a programme (mentorflow.scenario.bottleneck)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import attrs
import pendulum
import pytest

from mentorflow import Offset, Unit
from mentorflow._cli import main
from mentorflow._domain.calendar import calendar_for
from mentorflow._simulation.critical import working_days_between
from mentorflow.exceptions import ValidationError
from mentorflow.scenario import Action, bottleneck, bottleneck_export, load_scenario

# the URBACT network as shipped before issue 17 rewrote it: a fixed input for these pins
URBACT = load_scenario(Path(__file__).parent / "fixtures" / "urbact-transfer-network-0.1.toml")
PLAN = load_scenario("inclucities-plan")


class TestBottleneck:
    """Tests for bottleneck."""

    found = bottleneck(URBACT)

    def test_last_pair_is_the_bottleneck(self) -> None:
        """URBACT's Udine pair completes last; its phases are the critical path."""
        assert "almada-udine" == self.found.pair
        # 3 June, not 1 June, since projected ends land on working days (issue 17): the
        # activation ended on Monday 3 June 2024, not Saturday the 1st
        assert pendulum.Date(2026, 6, 3) == self.found.completed_on
        assert ["activation", "transfer_learning", "sharing"] == [p.phase for p in self.found.path]
        assert "transfer_learning" == self.found.phase  # the longest on the path
        critical = [p.pair for p in self.found.pairs if p.critical]
        assert ["almada-udine"] == critical

    def test_slack_and_float(self) -> None:
        """Slack against the end (days and working days) and float against the bottleneck."""
        by = {p.pair: p for p in self.found.pairs}
        tartu, udine = by["almada-tartu"], by["almada-udine"]
        assert (29, 93) == (tartu.slack_days, tartu.float_days)
        assert (-64, 0) == (udine.slack_days, udine.float_days)
        cal = calendar_for(("EE", "PT"))
        assert tartu.completed_on is not None
        assert working_days_between(cal, tartu.completed_on, self.found.ends_on) == (
            tartu.slack_working_days
        )
        assert 0 < tartu.slack_working_days < 30

    def test_phase_deadline_slack(self) -> None:
        """Each phase's slack against its own deadline (negative: late)."""
        udine = {p.phase: p for p in self.found.phases if p.pair == "almada-udine"}
        assert (pendulum.Date(2024, 3, 1), -94) == (
            udine["activation"].due_on,
            udine["activation"].deadline_slack_days,
        )
        # due 18 months after the activation's end, and it takes 18 months (from Monday 3 June
        # 2024, issue 17: it had a day of slack from Saturday the 1st)
        assert 0 == udine["transfer_learning"].deadline_slack_days

    def test_a_delayed_pair_becomes_the_bottleneck(self) -> None:
        """Delay one IncluCities pair by two months: it sets the end; the others have float."""
        delay = Action(
            on=pendulum.Date(2020, 7, 1),
            action="delay",
            pair="schaerbeek-jelgava",
            phase="study_visit_2",
            offset=Offset(amount=2, unit=Unit.MONTHS),
        )
        late = attrs.evolve(PLAN, script=(*PLAN.script, delay))
        found = bottleneck(late)
        assert "schaerbeek-jelgava" == found.pair
        others = [p for p in found.pairs if p.pair != "schaerbeek-jelgava"]
        assert all(p.float_days and p.float_days > 0 for p in others)
        assert "study_visit_2" == found.path[3].phase
        assert found.path[3].critical

    def test_visit_host(self) -> None:
        """A phase with a study visit names its host city."""
        found = bottleneck(PLAN)
        hosts = {p.phase: p.host for p in found.path}
        visits = {(v.pair, v.number): v.host for v in PLAN.simulate().visits}
        assert found.pair is not None
        # the plan's bottleneck (Schaerbeek-Jelgava since projected ends land on working
        # days, issue 17) hosts its first visit in Jelgava
        assert "Jelgava" == visits[(found.pair, 1)] == hosts["study_visit_1"]
        assert hosts["matching"] is None

    def test_criticality(self) -> None:
        """With runs: how often each pair completes last (ties count for each)."""
        found = bottleneck(PLAN, runs=100, seed=4)
        shares = [p.criticality for p in found.pairs]
        assert all(s is not None and 0 < s < 1 for s in shares)
        assert sum(shares) >= 1  # type: ignore[arg-type]
        assert all(p.slack_days_p50 is not None for p in found.pairs)
        assert 100 == found.runs

    def test_nobody_completes(self) -> None:
        """Every pair withdrawn: no bottleneck, no path, and the export says so."""
        withdraw = Action(on=pendulum.Date(2020, 7, 1), action="withdraw", pair="*")
        found = bottleneck(attrs.evolve(PLAN, script=(withdraw,)))
        assert (None, None, ()) == (found.pair, found.completed_on, found.path)
        assert all(p.slack_days is None and not p.critical for p in found.pairs)
        assert "no pair completed" in bottleneck_export(found)

    def test_bad_input(self) -> None:
        """Not a scenario, a timeline that is not one, negative runs: named."""
        with pytest.raises(ValidationError, match="must be a Scenario"):
            bottleneck("urbact-transfer-network")
        with pytest.raises(ValidationError) as err:
            bottleneck(URBACT, runs=-1)
        assert "runs" == err.value.field
        with pytest.raises(ValidationError, match="must be a Timeline"):
            bottleneck(URBACT, timeline="x")  # type: ignore[arg-type]


class TestWorkingDays:
    """Tests for working_days_between."""

    def test_weekends_and_sign(self) -> None:
        """Monday to the next Monday: five working days; backwards: minus five."""
        cal = calendar_for(())
        monday, next_monday = pendulum.Date(2024, 1, 1), pendulum.Date(2024, 1, 8)
        assert 5 == working_days_between(cal, monday, next_monday)
        assert -5 == working_days_between(cal, next_monday, monday)
        assert 0 == working_days_between(cal, monday, monday)

    def test_holidays(self) -> None:
        """Belgium's 1 January is no working day."""
        cal = calendar_for(("BE",))
        assert 4 == working_days_between(
            cal, pendulum.Date(2023, 12, 31), pendulum.Date(2024, 1, 5)
        )


class TestExports:
    """Tests for bottleneck_export and mentorflow bottleneck."""

    def test_csv_json_table(self) -> None:
        """A row per pair, then per phase; JSON names the critical path."""
        found = bottleneck(URBACT)
        csv = bottleneck_export(found, "csv").splitlines()
        assert 1 + 3 + 9 == len(csv)
        document = json.loads(bottleneck_export(found, "json"))
        assert ["activation", "transfer_learning", "sharing"] == document["critical_path"]
        assert "almada-udine *" in bottleneck_export(found)

    def test_cli(self) -> None:
        """mentorflow bottleneck FILE --runs N --format json."""
        out = io.StringIO()
        assert 0 == main(
            ["bottleneck", "inclucities-plan", "--runs", "40", "--format", "json"], out
        )
        document = json.loads(out.getvalue())
        assert 40 == document["runs"]
        assert all(r["criticality"] != "" for r in document["rows"] if r["kind"] == "pair")
