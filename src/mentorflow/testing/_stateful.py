"""A stateful test base: a real programme driven by random commands, checked after every step.

Every rule takes its arguments as rule arguments (absolute instants, the pair from a
`Bundle`), so the falsifying example Hypothesis prints is a program you can paste and run.
The arguments are drawn with the machine at hand (`st.runner`): an instant is the pair's
last change plus a realistic step, and most draws are the valid next move of the pair they
are drawn for (``progress``), so the walks go deep.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypedDict

import attrs
import pendulum
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, precondition, rule

from .._core.programme import Pair, Programme
from .._domain import commands as c
from .._domain.clock import ManualClock
from .._domain.deadlines import DeadlineRule, Offset
from .._domain.events import Event
from .._domain.extensions import Extension, ExtensionStatus
from .._domain.lifecycle import Lifecycle, PairStatus, Phase
from .._domain.model import Benchmark, Deliverable, Partner, Role, StudyVisit, Theme, VisitMode
from .._simulation.inclucities import CAPACI, PAIRS
from ..exceptions import CommandRefused, PolicyViolation, Vetoed
from ._boundaries import boundary_days, retry_days
from ._commands import ExtensionRequest, extension_offsets, extension_requests
from ._coverage import COVERAGES, Coverage
from ._invariants import (
    assert_deadlines_on_working_days,
    assert_follows_lifecycle,
    assert_never_earlier,
    assert_replays,
    assert_rules_respected,
    assert_unchanged,
    deadline_dates,
    pair_snapshot,
    snapshot,
)
from ._moves import free_host, needed_visit, next_move, phase_index
from ._strategies import time_steps
from ._testcase import TestCaseWithoutExplain

START = pendulum.datetime(2020, 6, 17, 9, tz="Europe/Brussels")
"""The default start of a machine's programme (the IncluCities kick-off, 9:00 in Brussels)."""


# The pair (and the instant) a rule's arguments are being drawn for: Hypothesis draws a
# rule's arguments in the order they are declared, so the strategies after ``pair`` can make
# the valid move for that pair. One machine runs at a time in a thread.
_drawn = threading.local()
_RUNNER = st.runner()
_EVERY = st.sampled_from([30, 14, 7, 60, 1, 90])
_WALK_HOURS = st.sampled_from([9, 0, 23, 1, 22, 2, 12, 17])
_TWENTIETHS = st.integers(0, 19)
ACTIVE = PairStatus.ACTIVE
_GRANTS = st.sampled_from([True, True, True, False])  # granted, the deadlines move
_WALK_EXTENDS = st.integers(0, 3).map(lambda n: n > 0)  # 3 in 4; shrinks to no extension
# real cities (IncluCities'), by name: cheap to draw, short to print, with holidays that matter
PARTNERS: dict[str, Partner] = {
    partner.city.name: partner
    for partner in [*(p for key in PAIRS for p in PAIRS[key][:2]), CAPACI]
}
_MENTORS = st.sampled_from([PAIRS[key][0].city.name for key in PAIRS])
_MENTEES = st.sampled_from([*(PAIRS[key][1].city.name for key in PAIRS), CAPACI.city.name])
_PARTNERS = st.sampled_from(sorted(PARTNERS))
_BENCHMARKS = st.lists(
    st.sampled_from(
        [
            Benchmark(
                title="migrant children's access to education",
                key_factors=("enough financial resources", "willingness to bring them to school"),
            ),
            Benchmark(title="a one-stop-shop for newcomers"),
            Benchmark(title="language courses", key_factors=("teachers",)),
        ]
    ),
    max_size=2,
    unique=True,
).map(tuple)
_ROLES = st.sampled_from(Role)
_MODES = st.sampled_from(VisitMode)
_DELIVERABLES = st.sampled_from(Deliverable)
_DAYS = st.sampled_from([2, 1, 3, 4, 5])
_DAYS_AFTER = st.sampled_from([0, 1, 2, 7, 30, -1])
# steps; a time of day; back in time; a boundary day
_WAYS = st.sampled_from([0] * 7 + [1] * 4 + [2] + [3] * 4)
_DAYS_ON = st.integers(0, 31)
# times of day near midnight first, where a date or weekday read in the wrong zone differs
_HOURS = st.sampled_from([0, 23, 1, 22, 2, 3, 9, 12, 17, 21])
_MINUTES = st.sampled_from([0, 30, 59])
_HOURS_BACK = st.integers(1, 72)


@attrs.frozen
class Outcome:
    """What one command did, for `ProgrammeStateMachine.on_outcome`.

    Attributes:
        command: The command value sent (``Complete(pair=..., phase=..., at=...)``).
        events: The events it emitted (empty if refused).
        refusal: The `CommandRefused` (or `Vetoed`) it raised, or None.
    """

    command: c.PairCommand
    events: tuple[Event, ...] = ()
    refusal: CommandRefused | None = None

    @property
    def refused(self) -> bool:
        """Whether the command was refused."""
        return self.refusal is not None


def command_name(command: c.Command) -> str:
    """``"record_visit"`` for a `RecordVisit`: the pair method that sends it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(command).__name__).lower()


def _remember(key: str) -> bool:
    _drawn.pair = key
    return True


def _machine_pair(machine: ProgrammeStateMachine) -> Pair:
    return machine.programme.pair(_drawn.pair)


def _valid(draw: st.DrawFn, machine: ProgrammeStateMachine) -> bool:
    """Whether this draw makes the valid next move (shrinks towards yes)."""
    return draw(_TWENTIETHS, label="valid move") < round(machine.progress * 20)


@functools.cache
def _any_phase(lifecycle: Lifecycle) -> st.SearchStrategy[str]:
    return st.sampled_from([*lifecycle.order, Phase.COMPLETED])


@st.composite
def _instants(draw: st.DrawFn) -> pendulum.DateTime:
    """The pair's last change plus a step of hours to months (seven in sixteen), or a time of
    day up to a month later (local, mostly near midnight), or (four in sixteen) a boundary
    day of the pair at the time of day of its last change (`boundary_days`: around N days
    after a day of its history, or around a deadline), or (one in sixteen) a few hours
    before it."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    pair = _machine_pair(machine)
    base = pair.last_changed_at
    way = draw(_WAYS, label="how")
    if way == 3:
        local = base.in_tz(machine.timezone)
        day = draw(boundary_days(pair, local.date()))
        if day is not None:
            return local.on(day.year, day.month, day.day)
        way = 0
    if way == 0:
        at = base + draw(time_steps())
    elif way == 1:  # a wall-clock time some days on: midnight, early hours, late evening
        day = base.add(days=draw(_DAYS_ON))
        at = day.at(draw(_HOURS), draw(_MINUTES))
    else:
        at = base.subtract(hours=draw(_HOURS_BACK))
    return at


@st.composite
def _phases(draw: st.DrawFn) -> str:
    machine: ProgrammeStateMachine = draw(_RUNNER)
    pair = _machine_pair(machine)
    if _valid(draw, machine) and pair.phase != Phase.COMPLETED:
        return pair.phase
    return draw(_any_phase(machine.lifecycle))


@st.composite
def _visits(draw: st.DrawFn) -> StudyVisit:
    """A visit of one to five days, usually the one the pair needs, ending a step of time
    after the pair's last change."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    pair = _machine_pair(machine)
    needed = needed_visit(pair)
    if _valid(draw, machine) and needed is not None:
        number, host = needed, free_host(pair, machine.lifecycle)
    else:
        count = max((s.visit or 0 for s in machine.lifecycle.steps), default=0)
        number = draw(st.integers(1, count + 1))
        host = draw(_ROLES)
    days = draw(_DAYS, label="days")
    ends = (pair.last_changed_at + draw(time_steps())).date()
    mode = draw(_MODES)
    machine._drawn_visit_end = ends
    return StudyVisit(
        number=number, host=host, mode=mode, starts_on=ends.subtract(days=days - 1), ends_on=ends
    )


@st.composite
def _visit_times(draw: st.DrawFn) -> pendulum.DateTime:
    """When a drawn visit is recorded: at the time of day of the pair's last change, on its
    last day or some days later (one in six the day before: a visit not held yet)."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    base = _machine_pair(machine).last_changed_at
    ends = machine._drawn_visit_end
    day = pendulum.datetime(ends.year, ends.month, ends.day, tz=base.timezone_name).at(
        base.hour, base.minute
    )
    return day.add(days=draw(_DAYS_AFTER, label="days after"))


@st.composite
def _deliverables(draw: st.DrawFn) -> Deliverable:
    machine: ProgrammeStateMachine = draw(_RUNNER)
    pair = _machine_pair(machine)
    if _valid(draw, machine) and pair.phase in machine.lifecycle.order:
        missing: list[Deliverable] = sorted(
            machine.lifecycle.step(pair.phase).requires - set(pair.deliverables)
        )
        if missing:
            return missing[0]
    chosen: Deliverable = draw(_DELIVERABLES)
    return chosen


@functools.cache
def _deep_first(lifecycle: Lifecycle) -> st.SearchStrategy[str]:
    # deepest first: a walk passes every phase before its target, so deep targets cover the
    # early phases too (Hypothesis draws the first choices more often)
    return st.sampled_from([Phase.COMPLETED, *reversed(lifecycle.order)])


@st.composite
def _start_phases(draw: st.DrawFn) -> str:
    machine: ProgrammeStateMachine = draw(_RUNNER)
    if machine.start_in is None:
        return draw(_deep_first(machine.lifecycle))
    return draw(st.sampled_from(list(machine.start_in)))


@st.composite
def _later(draw: st.DrawFn) -> pendulum.DateTime:
    """The programme's clock plus a step: when time is let pass."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    return machine.clock.now() + draw(time_steps())


@st.composite
def _walk_extensions(draw: st.DrawFn) -> Offset | None:
    """The extension a walk asks for at its target phase (3 in 4), if the machine has
    deadline rules; None (nothing drawn) without them. Shrinks to None."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    if not machine.deadlines or not draw(_WALK_EXTENDS, label="extend"):
        return None
    offset: Offset = draw(extension_offsets())
    return offset


@st.composite
def _requests(draw: st.DrawFn) -> ExtensionRequest:
    """Usually (``progress``) an extension of the deadline of an active pair's current phase,
    for that pair; otherwise any request: of the programme, or of a phase for a pair or
    all."""
    machine: ProgrammeStateMachine = draw(_RUNNER)
    phases = [r.name for r in machine.deadlines if r.name in machine.lifecycle.order]
    keys = sorted(machine.programme.pairs)
    pairs = machine.programme.pairs
    due = [key for key in keys if pairs[key].phase in phases and pairs[key].status is ACTIVE]
    if due and _valid(draw, machine):
        key = draw(st.sampled_from(due))
        return ExtensionRequest(draw(extension_offsets()), pairs[key].phase, key)
    return draw(extension_requests(phases=phases, pairs=keys))


class _Walk(TypedDict):
    """The arguments of a walk (`enrol`, `enrol_another`) on a machine without deadline
    rules."""

    mentor: st.SearchStrategy[str]
    mentee: st.SearchStrategy[str]
    phase: st.SearchStrategy[str]
    every: st.SearchStrategy[int]
    hour: st.SearchStrategy[int]


class _ExtendingWalk(_Walk):
    """... and with deadline rules: the extension the walk asks for."""

    extend: st.SearchStrategy[Offset | None]


_WALK = _Walk(
    mentor=_MENTORS, mentee=_MENTEES, phase=_start_phases(), every=_EVERY, hour=_WALK_HOURS
)
_EXTENDING_WALK = _ExtendingWalk(**_WALK, extend=_walk_extensions())


def _room(machine: ProgrammeStateMachine) -> bool:
    return 0 < len(machine.programme.pairs) < machine.pair_count


class ProgrammeStateMachine(RuleBasedStateMachine):
    """Drive a real programme with random commands; check mentorflow's invariants after every
    step. Subclass it to test your own lifecycle and rules.

    Class attributes to set in a subclass:
        lifecycle: The lifecycle to drive (default: the default lifecycle).
        deadlines: Deadline rules for the programme (default: none).
        pair_count: How many pairs to enrol (default 2).
        country: The programme's country, whose holidays count for milestones (default BE).
        timezone: The programme's timezone (default Europe/Brussels).
        starts_on: The programme's start (default 17 June 2020, the IncluCities kick-off);
            it runs three years, and its clock starts at 9:00 that day.
        start_in: The phases a pair may be walked to when it is enrolled, through real
            commands (default None: any phase of the lifecycle), so that every phase is
            reached in a default run; ``[lifecycle.first]`` starts every pair at the start.
        progress: The share of drawn arguments that make the valid next move of their pair
            (complete its phase, record the visit it needs, ...); default 0.8. The rest are
            any command, valid or not, and shrink towards the valid one.
        explain: Whether ``TestCase`` runs Hypothesis' explain phase (default False: it
            reruns a shrunk failure many times to say which steps matter, and made failing
            runs about 30 times slower; it changes no verdict and no printed program).

    Methods to override:
        install(programme): Subscribe your house rules (also on the replays it checks);
            return what your hooks keep, to have the replays compare it.
        on_outcome(outcome): Called after every command with what it did (an `Outcome`):
            compare it with your model of the rules.

    After every command it checks that a refused command changed nothing and that the pair
    follows its lifecycle and its rules; after every change that moves deadlines, that due
    dates fall on working days and that no granted extension moved one earlier; its
    ``replay`` rule checks that replaying the event log, with your hooks, rebuilds the same
    programme and the same kept state. The checks run inside the steps, so the falsifying
    example lists only steps; your own ``@invariant``\\ s are printed only when they fail.
    ``self.programme`` is the programme, ``self.steps`` the steps so far (for your messages)
    and ``type(self).coverage()`` what every run of the class reached.

    Examples:
        >>> from mentorflow import Lifecycle, Phase
        >>> from mentorflow.testing import ProgrammeStateMachine
        >>> class IncluCitiesMachine(ProgrammeStateMachine):
        ...     lifecycle = Lifecycle.linear(Phase.STUDY_VISIT_1, Phase.TRANSFER_WORKSHOP)
        ...     timezone = "Europe/Riga"
        >>> TestIncluCities = IncluCitiesMachine.TestCase  # collected by pytest
    """

    lifecycle: ClassVar[Lifecycle] = Lifecycle.default()
    deadlines: ClassVar[Sequence[DeadlineRule]] = ()
    pair_count: ClassVar[int] = 2
    country: ClassVar[str | None] = "BE"
    timezone: ClassVar[str] = "Europe/Brussels"
    starts_on: ClassVar[pendulum.Date] = START.date()
    start_in: ClassVar[Sequence[str] | None] = None
    progress: ClassVar[float] = 0.8
    explain: ClassVar[bool] = False

    pairs = Bundle("pairs")
    TestCase = TestCaseWithoutExplain()

    def __init__(self) -> None:
        super().__init__()
        start = pendulum.datetime(
            self.starts_on.year, self.starts_on.month, self.starts_on.day, 9, tz=self.timezone
        )
        self.clock = ManualClock(start)
        self.programme = Programme(
            type(self).__name__,
            starts_on=self.starts_on,
            ends_on=self.starts_on.add(years=3),
            timezone=self.timezone,
            lifecycle=self.lifecycle,
            clock=self.clock,
            country=self.country,
            deadlines=self.deadlines,
        )
        self.steps: list[str] = []
        self._drawn_visit_end = self.starts_on
        self._failed = False
        self._coverage = type(self).coverage()
        self._coverage.runs += 1
        self.kept = self.install(self.programme)
        """What `install` returned for the live programme (your hooks' state)."""

    @classmethod
    def coverage(cls) -> Coverage:
        """What every run of this class reached so far (see `assert_covered`)."""
        found = COVERAGES.get(cls)
        if found is None:
            found = COVERAGES[cls] = Coverage(cls.lifecycle)
        return found

    # -- for subclasses ------------------------------------------------------------------

    def install(self, programme: Programme) -> object:
        """Subscribe your house rules to ``programme`` (the live one, and each replay);
        return what your hooks keep, if anything: replays must rebuild an equal value."""
        return None

    def on_outcome(self, outcome: Outcome) -> None:
        """Called after every command with what it did; compare it with your model."""

    def send(self, command: c.PairCommand) -> Outcome:
        """Execute ``command``; check that a refusal changed nothing and that the pair still
        follows its lifecycle and rules; count it; tell `on_outcome`. Returns the outcome."""
        pair = self.programme.pair(command.pair)
        before, version = pair_snapshot(pair), self.programme.version
        try:
            outcome = Outcome(command, self.programme.execute(command))
        except CommandRefused as refusal:
            outcome = Outcome(command, refusal=refusal)
        try:
            name = command_name(command)
            self.steps.append(
                f"{command.pair}: {name} at {command.at}"
                + (" (refused)" if outcome.refused else "")
            )
            if outcome.refusal is not None:
                if version != self.programme.version or before != pair_snapshot(pair):
                    raise AssertionError(
                        f"a refused {name} changed pair {pair.key}: {outcome.refusal}"
                    )
                self._coverage.record(name, outcome.refusal)
            else:
                self._coverage.record(name, outcome.events)
                assert_follows_lifecycle(pair)
                assert_rules_respected(pair)
                if self.deadlines:
                    assert_deadlines_on_working_days(self.programme)
            self.on_outcome(outcome)
        except BaseException:
            self._failed = True  # no replay check at the end: the run has failed already
            raise
        return outcome

    # -- setting up --------------------------------------------------------------------

    def enrol(
        self,
        mentor: str,
        mentee: str,
        phase: str,
        every: int,
        hour: int = 9,
        extend: Offset | None = None,
    ) -> str:
        """Enrol the first pair (every run starts with it) and walk it to ``phase`` through
        real commands, one valid move ``every`` days at ``hour`` o'clock, local time (rules
        about times of day and time zones meet the walk too). A move vetoed by a house rule
        is tried again on the days where rules switch, on both sides of each (`retry_days`:
        N days after a day of the pair's history, a deadline), and on the next seven days;
        the walk stops where the rules stop it. With ``extend`` (an argument drawn, and
        printed, only when the class has deadline rules), the pair asks, in each phase of the
        walk that has a deadline rule (as it enters it, and where the walk stops), for that
        deadline to be extended by ``extend``, for itself, and the funder grants it (the
        checks of `extend` apply): rules about a deadline as extended meet the walk and the
        steps after it. ``mentor`` and ``mentee`` name IncluCities cities."""
        key = f"pair-{len(self.programme.pairs) + 1}"
        at = self.clock.now()
        self.programme.add_pair(
            key, mentor=PARTNERS[mentor], mentee=PARTNERS[mentee], theme=Theme.HOUSING, at=at
        )
        pair = self.programme.pair(key)
        self._coverage.record_events(pair.history)
        self.steps.append(f"enrol {key}")
        target_index = phase_index(self.lifecycle, phase)
        asked: set[str] = set()
        while True:
            if extend is not None:
                self._walk_extension(pair, extend, at, asked)
            if phase_index(self.lifecycle, pair.phase) >= target_index:
                break
            moved = self._walk_step(pair, at.add(days=every).at(hour))
            if moved is None:
                break
            at = moved
        return key

    _walk = enrol  # undecorated

    def enrol_another(self, **walk: Any) -> str:
        """Enrol one more pair (until there are ``pair_count``), walked as by `enrol` (with
        its arguments)."""
        return self._walk(**walk)

    # without deadline rules a walk draws no ``extend`` (nor prints it); with them it does
    # (`__init_subclass__` chooses)
    _EXTENDING = (
        initialize(target=pairs, **_EXTENDING_WALK)(enrol),
        precondition(_room)(rule(target=pairs, **_EXTENDING_WALK)(enrol_another)),
    )
    # the rules keep the functions' names: the printed steps call ``state.enrol(...)``
    enrol = initialize(target=pairs, **_WALK)(enrol)  # type: ignore[assignment]
    enrol_another = precondition(_room)(rule(target=pairs, **_WALK)(enrol_another))  # type: ignore[assignment]
    _PLAIN = (enrol, enrol_another)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        walks = cls._EXTENDING if cls.deadlines else cls._PLAIN
        for name, walk in zip(["enrol", "enrol_another"], walks, strict=True):
            if getattr(cls, name) in (*cls._EXTENDING, *cls._PLAIN):  # not overridden
                setattr(cls, name, walk)

    def _walk_extension(
        self, pair: Pair, extend: Offset, at: pendulum.DateTime, asked: set[str]
    ) -> None:
        """On the walk: the pair, active, in a phase with a deadline rule it has not asked about
        yet, asks for that deadline to be extended by ``extend``, for itself; granted."""
        phases = {rule.name for rule in self.deadlines}
        if pair.status is ACTIVE and pair.phase in phases and pair.phase not in asked:
            asked.add(pair.phase)
            self._extend(ExtensionRequest(extend, pair.phase, pair.key), True, at)

    def _walk_step(self, pair: Pair, at: pendulum.DateTime) -> pendulum.DateTime | None:
        """Make the pair's next move at ``at``; vetoed by a house rule, try it again on the
        days where rules switch (`retry_days`: the boundary days since the last move, latest
        first, the next seven days, then the boundary days after them). Returns when it
        moved, or None."""
        days = [at.date()]
        for day in days:  # grows once: with the retry days, after a first veto
            when = at.on(day.year, day.month, day.day)
            move = next_move(pair, when)
            if move is None:
                return None
            refusal = self.send(move).refusal
            if refusal is None:
                return when
            if not isinstance(refusal, Vetoed):
                return None
            if len(days) == 1:
                days += retry_days(pair, day)
        return None

    # -- commands ----------------------------------------------------------------------

    @rule(pair=pairs.filter(_remember), phase=_phases(), when=_instants())
    def complete(self, pair: str, phase: str, when: pendulum.DateTime) -> None:
        """Complete a phase of the pair (usually its current one)."""
        self.send(c.Complete(pair=pair, phase=phase, at=when))

    @rule(pair=pairs.filter(_remember), visit=_visits(), when=_visit_times())
    def record_visit(self, pair: str, visit: StudyVisit, when: pendulum.DateTime) -> None:
        """Record a study visit (usually the one the pair's phase needs)."""
        self.send(c.RecordVisit(pair=pair, visit=visit, at=when))

    @rule(pair=pairs.filter(_remember), what=_deliverables(), when=_instants())
    def register_deliverable(self, pair: str, what: Deliverable, when: pendulum.DateTime) -> None:
        """Register a deliverable (usually one the pair's phase requires)."""
        self.send(c.RegisterDeliverable(pair=pair, deliverable=what, at=when))

    @rule(
        pair=pairs.filter(_remember),
        benchmarks=_BENCHMARKS,
        when=_instants(),
    )
    def define_benchmarks(
        self, pair: str, benchmarks: tuple[Benchmark, ...], when: pendulum.DateTime
    ) -> None:
        """Define the pair's benchmarks."""
        self.send(c.DefineBenchmarks(pair=pair, benchmarks=benchmarks, at=when))

    @rule(pair=pairs.filter(_remember), when=_instants())
    def suspend(self, pair: str, when: pendulum.DateTime) -> None:
        """Suspend the pair."""
        self.send(c.Suspend(pair=pair, at=when))

    @rule(pair=pairs.filter(_remember), when=_instants())
    def resume(self, pair: str, when: pendulum.DateTime) -> None:
        """Resume the pair."""
        self.send(c.Resume(pair=pair, at=when))

    @rule(pair=pairs.filter(_remember), when=_instants())
    def withdraw(self, pair: str, when: pendulum.DateTime) -> None:
        """Withdraw the pair (for good)."""
        self.send(c.Withdraw(pair=pair, at=when))

    @rule(pair=pairs.filter(_remember), role=_ROLES, partner=_PARTNERS, when=_instants())
    def replace_partner(self, pair: str, role: Role, partner: str, when: pendulum.DateTime) -> None:
        """Replace the mentor or the mentee (by one of the IncluCities cities, by name)."""
        self.send(c.ReplacePartner(pair=pair, role=role, partner=PARTNERS[partner], at=when))

    @rule(at=_later())
    def check_deadlines(self, at: pendulum.DateTime) -> None:
        """Let time pass to ``at`` and check the deadlines."""
        self.clock.set(at)
        events = self.programme.check_deadlines()
        self._coverage.record_events(events)
        self.steps.append(f"check deadlines at {at}")
        if self.deadlines:
            assert_deadlines_on_working_days(self.programme)

    @precondition(lambda self: bool(self.deadlines))
    @rule(request=_requests(), grant=_GRANTS)
    def extend(self, request: ExtensionRequest, grant: bool) -> None:
        """Request an extension and grant or refuse it; granted, no deadline may move earlier."""
        self._extend(request, grant, self.clock.now())

    def _extend(self, request: ExtensionRequest, grant: bool, now: pendulum.DateTime) -> None:
        before = snapshot(self.programme)
        outcome = request.submit(self.programme, now)
        self.steps.append(f"request {request}")
        if isinstance(outcome, PolicyViolation):
            assert_unchanged(before, self.programme)
            return
        dates = deadline_dates(self.programme)
        version = self.programme.version
        decided = _decide(self.programme, outcome, grant, now)
        self._coverage.record_events(self.programme.history[version:])
        if decided is not None and decided.status is ExtensionStatus.GRANTED:
            assert_never_earlier(dates, self.programme)
        assert_deadlines_on_working_days(self.programme)

    def replay(self) -> None:
        """Replaying the event log so far, with your hooks, rebuilds the same programme (and
        the same state your hooks keep); checked at the end of every run."""
        assert_replays(self.programme, hooks=self.install, kept=self.kept)
        self.steps.append("replay")

    def teardown(self) -> None:
        """Check that the run replays (`replay`), unless it has failed already."""
        if not self._failed:
            self.replay()
        super().teardown()

    # -- quiet invariants ----------------------------------------------------------------

    def check_invariants(self, settings: Any, output: Callable[[str], object], *args: Any) -> None:
        """Run the ``@invariant``\\ s without printing them, unless one fails."""
        lines: list[str] = []
        try:
            super().check_invariants(settings, lines.append, *args)
        except BaseException:
            self._failed = True
            if lines:
                output(lines[-1])
            raise


def _decide(programme: Programme, ext: Extension, grant: bool, at: Any) -> Extension | None:
    try:
        if grant:
            return programme.grant_extension(ext.key, by="funder", at=at)
        return programme.refuse_extension(ext.key, by="funder", at=at)
    except PolicyViolation:
        return None
