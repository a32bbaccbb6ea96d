"""A stateful test: the real lifecycle driven beside a plain-dict model of its rules.

Each rule predicts, with plain code written from the domain brief, whether the command is
accepted and, if not, which rule refuses it; the real pair must agree, and must look exactly
like the model after every step.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mentorflow import (
    CommandRefused,
    Deliverable,
    Lifecycle,
    ManualClock,
    PairStatus,
    Phase,
    Programme,
    Role,
    StudyVisit,
    Theme,
    VisitMode,
)
from mentorflow._simulation import inclucities as _inclucities

from drive import BENCHMARKS, REPLACEMENTS
from helpers import CAPACI, MECHELEN, START

hours = st.one_of(st.integers(0, 24 * 20), st.integers(0, 24 * 20), st.integers(-48, -1))


class LifecycleModel(RuleBasedStateMachine):
    """Drives one pair with random commands and compares it with a dict model."""

    lifecycle = Lifecycle.default()

    def __init__(self) -> None:
        super().__init__()
        self.programme = Programme(
            "model",
            starts_on=START.date(),
            ends_on=START.date().add(years=3),
            timezone="Europe/Brussels",
            lifecycle=self.lifecycle,
            clock=ManualClock(START),
        )
        self.pair = self.programme.add_pair(
            "p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START
        )
        self.model: dict[str, Any] = {
            "index": 0,
            "status": PairStatus.ACTIVE,
            "visits": {},
            "deliverables": set(),
            "last": START,
            "partners": {Role.MENTOR: MECHELEN, Role.MENTEE: CAPACI},
            "benchmarks": (),
        }

    # -- the model's view --------------------------------------------------------------

    @property
    def order(self) -> tuple[str, ...]:
        return self.lifecycle.order

    def current(self) -> str:
        i = self.model["index"]
        return self.order[i] if i < len(self.order) else Phase.COMPLETED

    def closed_or_suspended(self, accepted_while_suspended: bool) -> str | None:
        status = self.model["status"]
        if status in (PairStatus.COMPLETED, PairStatus.WITHDRAWN):
            return "pair-closed"
        if status is PairStatus.SUSPENDED and not accepted_while_suspended:
            return "pair-suspended"
        return None

    def run(self, expected: str | None, command: Any, *args: Any, **kwargs: Any) -> bool:
        """Run the real command; check it was refused by ``expected`` (None: accepted)."""
        try:
            command(*args, **kwargs)
        except CommandRefused as refusal:
            assert expected == refusal.rule, (expected, str(refusal))
            return False
        assert expected is None, f"expected {expected}, but it was accepted"
        return True

    # -- rules -------------------------------------------------------------------------

    @rule(dh=hours, phase=st.sampled_from([None] * 9 + [*Phase]))
    def complete(self, dh: int, phase: str | None) -> None:
        at = self.model["last"].add(hours=dh)
        target = self.current() if phase is None else phase
        expected = self.closed_or_suspended(False)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if expected is None:
            step = self.lifecycle.step(self.current())
            if target != step.phase:
                expected = "wrong-phase"
            elif step.visit is not None and step.visit not in self.model["visits"]:
                expected = "visit-required"
            elif not step.requires <= self.model["deliverables"]:
                expected = "deliverables-required"
        if self.run(expected, self.pair.complete, target, at=at):
            self.model["index"] += 1
            self.model["last"] = at
            if self.model["index"] == len(self.order):
                self.model["status"] = PairStatus.COMPLETED

    @rule(
        dh=hours,
        number=st.one_of(st.none(), st.integers(1, 3)),
        host=st.sampled_from(Role),
        ends_in=st.sampled_from([0, -1, 1]),
    )
    def record_visit(self, dh: int, number: int | None, host: Role, ends_in: int) -> None:
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(False)
        step = self.lifecycle.step(self.current()) if expected is None else None
        if step is not None and step.visit is None:
            expected = "not-a-visit-phase"
        number = number or (step.visit if step and step.visit else 1)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if expected is None:
            assert step is not None
            limit = (self.lifecycle.visit_hosts or {}).get(host, 0)
            hosted = sum(1 for h in self.model["visits"].values() if h is host)
            if number != step.visit:
                expected = "wrong-visit"
            elif number in self.model["visits"]:
                expected = "visit-already-recorded"
            elif ends_in > 0:
                expected = "visit-not-held"
            elif self.lifecycle.visit_hosts is not None and hosted + 1 > limit:
                expected = "visit-hosts"
        ends = at.date().add(days=ends_in)
        visit = StudyVisit(
            number=number, host=host, mode=VisitMode.HYBRID, starts_on=ends, ends_on=ends
        )
        if self.run(expected, self.pair.record_visit, visit, at=at):
            self.model["visits"][number] = host
            self.model["last"] = at

    @rule(dh=hours, deliverable=st.sampled_from(Deliverable))
    def register_deliverable(self, dh: int, deliverable: Deliverable) -> None:
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(False)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if self.run(expected, self.pair.register_deliverable, deliverable, at=at):
            self.model["deliverables"].add(deliverable)
            self.model["last"] = at

    @rule(dh=hours, count=st.integers(0, len(BENCHMARKS)))
    def define_benchmarks(self, dh: int, count: int) -> None:
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(False)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if self.run(expected, self.pair.define_benchmarks, BENCHMARKS[:count], at=at):
            self.model["benchmarks"] = BENCHMARKS[:count]
            self.model["last"] = at

    @rule(dh=hours)
    def suspend(self, dh: int) -> None:
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(False)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if self.run(expected, self.pair.suspend, at=at):
            self.model["status"] = PairStatus.SUSPENDED
            self.model["last"] = at

    @rule(dh=hours)
    def resume(self, dh: int) -> None:
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(True)
        if expected is None and self.model["status"] is PairStatus.ACTIVE:
            expected = "not-suspended"
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if self.run(expected, self.pair.resume, at=at):
            self.model["status"] = PairStatus.ACTIVE
            self.model["last"] = at

    @rule(dh=st.integers(0, 48), chance=st.integers(0, 39))
    def withdraw(self, dh: int, chance: int) -> None:
        if chance:  # withdrawing ends the run: make it rare
            return
        at = self.model["last"].add(hours=dh)
        expected = self.closed_or_suspended(True)
        if self.run(expected, self.pair.withdraw, at=at):
            self.model["status"] = PairStatus.WITHDRAWN
            self.model["last"] = at

    @rule(dh=hours, role=st.sampled_from(Role), which=st.integers(0, len(REPLACEMENTS) - 1))
    def replace_partner(self, dh: int, role: Role, which: int) -> None:
        at = self.model["last"].add(hours=dh)
        new = REPLACEMENTS[which]
        expected = self.closed_or_suspended(True)
        if expected is None and at < self.model["last"]:
            expected = "timestamp-backwards"
        if expected is None:
            if new.city == self.model["partners"][role].city:
                expected = "same-partner"
            elif new.city == self.model["partners"][role.other].city:
                expected = "partner-is-other-side"
        if self.run(expected, self.pair.replace_partner, role, new, at=at):
            self.model["partners"][role] = new
            self.model["last"] = at

    # -- the real pair looks like the model --------------------------------------------

    @invariant()
    def matches_model(self) -> None:
        pair, model = self.pair, self.model
        assert model["status"] is pair.status
        if model["status"] is not PairStatus.COMPLETED:
            assert self.current() == pair.phase
        assert model["visits"] == {v.number: v.host for v in pair.visits}
        assert model["deliverables"] == set(pair.deliverables)
        assert model["last"] == pair.last_changed_at
        assert model["benchmarks"] == pair.benchmarks
        assert (model["partners"][Role.MENTOR], model["partners"][Role.MENTEE]) == (
            pair.mentor,
            pair.mentee,
        )


class InclucitiesOrderModel(LifecycleModel):
    """The same model with IncluCities' order (transfer workshop between visits 2 and 3)."""

    lifecycle = _inclucities.LIFECYCLE


TestDefaultLifecycle = LifecycleModel.TestCase
TestDefaultLifecycle.settings = settings(stateful_step_count=150, deadline=None)
TestInclucitiesLifecycle = InclucitiesOrderModel.TestCase
TestInclucitiesLifecycle.settings = settings(stateful_step_count=150, deadline=None)
