"""Scenarios: a programme, planned durations, and a script of dated actions; and their simulation.

Simulating a scenario drives a real `Programme` (the same lifecycle, deadline and extension
code as everywhere else) on a `ManualClock`. Scripted actions happen on their days; every phase
the script does not complete is completed at its planned end (its start plus its planned
duration, plus any delay, plus any time suspended), recording the visit and the deliverables
the lifecycle asks for. Those completions are *projected*; the script's are *actual*. The
deadlines are checked as the clock moves, so the timeline's statuses are the engine's own.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs
import pendulum

from .._core.book import DeadlineRevision, DeadlineStatus
from .._core.programme import Pair, Programme
from .._domain import validate as v
from .._domain.calendar import add_months, calendar_for
from .._domain.clock import ManualClock, wall_time
from .._domain.commands import (
    Command,
    DeclareDeliverable,
    DraftDeliverable,
    GrantExtension,
    HoldActivity,
    Migrate,
    MoveDeliverableDue,
    PairCommand,
    PlanReporting,
    ReachMilestone,
    RecordVisit,
    RefuseExtension,
    RegisterDeliverable,
    ReplacePartner,
    RequestExtension,
    Resume,
    ReviewDeliverable,
    SubmitDeliverable,
    SubmitReport,
    Suspend,
    Withdraw,
    complete,
)
from .._domain.deadlines import Offset, Unit, extend
from .._domain.definition import Definition
from .._domain.distributions import Distribution
from .._domain.events import (
    ActivityHeld,
    Event,
    PairMigrated,
    PhaseCompleted,
    PhaseStarted,
    VisitRecorded,
)
from .._domain.extensions import Extension
from .._domain.lifecycle import PairStatus
from .._domain.model import Activity, Deliverable, Partner, Role, StudyVisit, VisitMode, theme_value
from .._domain.reporting import DeliverableRecord, ReportingPeriod
from .._domain.validate import show
from .._domain.values import maker
from .._domain.views import frame, html
from ..exceptions import CommandRefused, PolicyViolation, ValidationError

if TYPE_CHECKING:
    import pandas as pd

ACTIONS = (
    "complete",
    "visit",
    "deliverable",
    "delay",
    "suspend",
    "resume",
    "withdraw",
    "replace_partner",
    "request_extension",
    "grant_extension",
    "refuse_extension",
    "milestone",
    "migrate",
    "activity",
    "report",
    "draft_deliverable",
    "submit_deliverable",
    "review_deliverable",
    "move_deliverable_due",
)
ReportingCommand = (
    SubmitReport | DraftDeliverable | SubmitDeliverable | ReviewDeliverable | MoveDeliverableDue
)
"""What a reporting action of a script runs."""
REPORTING_ACTIONS: dict[str, tuple[type[ReportingCommand], tuple[str, ...]]] = {
    "report": (SubmitReport, ("period", "justification")),
    "draft_deliverable": (DraftDeliverable, ("name",)),
    "submit_deliverable": (SubmitDeliverable, ("name", "justification")),
    "review_deliverable": (ReviewDeliverable, ("name", "accepted", "by", "reason")),
    "move_deliverable_due": (MoveDeliverableDue, ("name", "due_on")),
}
"""Each reporting action's command, and the fields of `Action` it takes (the command's)."""
_HOUR = 17  # scripted actions happen at 17:00 on their day, in the programme's timezone
_NEEDS: dict[str, tuple[str, ...]] = {
    "complete": ("pair",),
    "visit": ("pair", "visit"),
    "deliverable": ("pair", "deliverable"),
    "delay": ("pair", "phase", "offset"),
    "suspend": ("pair",),
    "resume": ("pair",),
    "withdraw": ("pair",),
    "replace_partner": ("pair", "role", "partner"),
    "request_extension": ("offset",),
    "grant_extension": (),
    "refuse_extension": (),
    "milestone": ("milestone",),
    "migrate": ("definition",),
    "activity": ("activity",),
    "report": ("period",),
    "draft_deliverable": ("name",),
    "submit_deliverable": ("name",),
    "review_deliverable": ("name", "accepted", "by"),
    "move_deliverable_due": ("name", "due_on"),
}


_PROJECTED = "projected"  # the note on what the plan (not the script) did

_PAIR_STATES: dict[str, type[PairCommand]] = {
    "suspend": Suspend,
    "resume": Resume,
    "withdraw": Withdraw,
}

ProgrammeSpec = Definition
"""A programme's definition, as a scenario holds it: the same `Definition` value."""


@attrs.frozen(kw_only=True)
class PairSpec:
    """A pair to enrol at the programme's start."""

    key: str
    mentor: Partner
    mentee: Partner
    theme: str = attrs.field(converter=theme_value)
    """A `Theme`, or a theme of the programme's own."""
    topic: str | None = None


@attrs.frozen(kw_only=True)
class Action:
    """One dated action of a scenario's script.

    Attributes:
        on: The day it happens (at 17:00 in the programme's timezone).
        action: One of `ACTIONS`: ``complete`` (``phase``), ``visit`` (``visit``),
            ``deliverable`` (``deliverable``), ``delay`` (``phase`` takes ``offset`` longer than
            planned), ``suspend``, ``resume``, ``withdraw``, ``replace_partner`` (``role``,
            ``partner``), ``request_extension`` (``offset``, ``reason``; with ``phase``, of that
            phase), ``grant_extension`` / ``refuse_extension`` (``by``; the oldest open
            request), ``milestone`` (``milestone``), ``migrate`` (``definition``, and
            ``phases`` for the pairs in changed phases: see `Programme.migrate`), ``activity``
            (``activity``, and ``milestone`` if it reaches one: a programme-wide activity
            that every pair takes part in, whatever its phase; see `Programme.hold_activity`),
            and the programme's reporting, each the command of the same fields, of the
            programme (no ``pair``): ``report`` (``period``, ``justification``: `SubmitReport`),
            ``draft_deliverable`` (``name``: `DraftDeliverable`), ``submit_deliverable``
            (``name``, ``justification``: `SubmitDeliverable`), ``review_deliverable``
            (``name``, ``accepted``, ``by``, ``reason``: `ReviewDeliverable`) and
            ``move_deliverable_due`` (``name``, ``due_on``: `MoveDeliverableDue`).
        pair: The pair it concerns; ``"*"`` for every pair; None for programme actions.
    """

    on: pendulum.Date
    action: str
    pair: str | None = None
    phase: str | None = None
    offset: Offset | Distribution | None = None
    visit: StudyVisit | None = None
    deliverable: Deliverable | None = None
    role: Role | None = None
    partner: Partner | None = None
    milestone: str | None = None
    by: str | None = None
    reason: str | None = None
    note: str | None = None
    definition: Definition | None = None
    phases: Mapping[str, str] | None = attrs.field(default=None, hash=False)
    activity: Activity | None = None
    period: int | None = None
    name: str | None = None
    """A deliverable of the programme's reporting (`Scenario.reporting`)."""
    justification: str | None = None
    accepted: bool | None = None
    due_on: pendulum.Date | None = None

    def __attrs_post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValidationError(
                "action", f"{show(self.action)} is not one of {', '.join(ACTIONS)}"
            )
        for key in _NEEDS[self.action]:
            if getattr(self, key) is None:
                raise ValidationError(key, f"a {self.action} action needs {key}")
        offset = self.offset
        if isinstance(offset, Distribution) and self.action != "delay":
            raise ValidationError(
                "offset", f"only a delay can be uncertain; a {self.action} takes an Offset"
            )
        if self.action == "request_extension" and isinstance(offset, Offset):
            if offset.amount <= 0 or offset.unit is Unit.WORKING_DAYS:
                raise ValidationError(
                    "offset", f"an extension is some days, weeks or months, not {offset}"
                )
            if self.pair is not None and self.phase is None:
                raise ValidationError("phase", "an extension for one pair is of one of its phases")
        if self.action == "delay" and isinstance(offset, Offset) and offset.amount < 0:
            raise ValidationError("offset", f"a delay can't be negative ({offset})")
        if self.definition is not None and not isinstance(self.definition, Definition):
            raise ValidationError(
                "definition", f"must be a Definition, not {type(self.definition).__name__}"
            )
        if self.action == "migrate" and self.pair is not None:
            raise ValidationError("pair", "a migration is of the whole programme: give no pair")
        self._check_reporting()

    def _check_reporting(self) -> None:
        """A reporting action is of the programme (no pair), and its command can be made."""
        if self.action in REPORTING_ACTIONS:
            if self.pair is not None:
                raise ValidationError(
                    "pair", f"a {self.action} is of the whole programme: give no pair"
                )
            self.reporting_command(None)  # its fields' errors, named as the command's

    def reporting_command(self, at: dt.datetime | None) -> ReportingCommand:
        """The command a reporting action runs, dated ``at``."""
        kind, fields = REPORTING_ACTIONS[self.action]
        given = {key: getattr(self, key) for key in fields if getattr(self, key) is not None}
        return kind(**given, at=at, note=self.note)


_ACTION_FIELDS = tuple(field.name for field in attrs.fields(Action))
_make_action = maker(Action)


def _mode(value: VisitMode | str) -> VisitMode:
    return v.enum_value("mode", VisitMode, value)


def _plan_host(value: Role | str | None) -> Role | None:
    return None if value is None else v.enum_value("host", Role, value)


@attrs.frozen(kw_only=True)
class VisitPlan:
    """How a study visit is planned, for the simulation to project it.

    Args:
        number: The visit's number in the lifecycle.
        days: How many days it lasts (it ends on the day its phase ends): 1 to 31.
        mode: Online, in person or hybrid.
        host: The role that hosts it; None: the mentee while it may still host one, else the
            mentor (the lifecycle's ``visit_hosts``).
    """

    number: int
    days: int = 1
    mode: VisitMode = attrs.field(default=VisitMode.IN_PERSON, converter=_mode)
    host: Role | None = attrs.field(default=None, converter=_plan_host)

    def __attrs_post_init__(self) -> None:
        number, days = self.number, self.days
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValidationError("number", f"{show(number)} is not a visit number")
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 31:
            raise ValidationError("days", f"must be a whole number from 1 to 31, not {show(days)}")


def _visit_plans(value: tuple[VisitPlan, ...]) -> tuple[VisitPlan, ...]:
    plans = tuple(value)
    seen: set[int] = set()
    for i, plan in enumerate(plans):
        if not isinstance(plan, VisitPlan):
            raise ValidationError(f"visits[{i}]", f"must be a VisitPlan, not {type(plan).__name__}")
        if plan.number in seen:
            raise ValidationError(f"visits[{i}].number", f"visit {plan.number} is planned twice")
        seen.add(plan.number)
    return plans


def _durations(
    value: Mapping[str, Offset | Distribution],
) -> Mapping[str, Offset | Distribution]:
    for phase, offset in value.items():
        if isinstance(offset, Distribution):
            continue  # its amounts are checked when it is made
        if not isinstance(offset, Offset):
            raise ValidationError(
                f"durations.{phase}", f"must be an Offset or a Distribution, not {show(offset)}"
            )
        if offset.amount < 0:
            raise ValidationError(f"durations.{phase}", f"can't be negative ({offset})")
    return dict(value)


def _plan(value: object) -> PlanReporting | None:
    if value is not None and not isinstance(value, PlanReporting):
        raise ValidationError("plan", f"must be a PlanReporting, not {type(value).__name__}")
    return value


def _declared(value: object) -> tuple[DeclareDeliverable, ...]:
    found = tuple(value) if isinstance(value, list | tuple) else None
    if found is None:
        raise ValidationError("deliverables", f"must be a list, not {show(value)}")
    names: set[str] = set()
    for i, item in enumerate(found):
        if not isinstance(item, DeclareDeliverable):
            raise ValidationError(
                f"deliverables[{i}]", f"must be a DeclareDeliverable, not {type(item).__name__}"
            )
        if item.name in names:
            raise ValidationError(f"deliverables[{i}].name", f"{show(item.name)} is a duplicate")
        names.add(item.name)
    return found


@attrs.frozen(kw_only=True)
class ReportingSpec:
    """A scenario's reporting: the plan and the deliverables, made on the programme's first
    day (the commands `PlanReporting` and `DeclareDeliverable`, without their ``at``).

    Args:
        plan: The reporting periods and report due days; None: no periodic reports.
        deliverables: The deliverables declared, each with its due date; names unique.
    """

    plan: PlanReporting | None = attrs.field(default=None, converter=_plan)
    deliverables: tuple[DeclareDeliverable, ...] = attrs.field(default=(), converter=_declared)


MAX_PAIRS = 10_000
"""The most pairs a scenario may have. A run costs about 0.4 ms per pair (1,000 pairs: half a
second a run), and a Monte Carlo run of N runs N times that."""
MAX_ACTIONS = 100_000
"""The most actions a scenario's script may have."""


@attrs.frozen(kw_only=True)
class Scenario:
    """A what-if: a programme, its pairs, planned phase durations and a script of actions.

    Sizes: at most `MAX_PAIRS` pairs and `MAX_ACTIONS` actions (a `ValidationError` beyond).

    Args:
        name: What the scenario is called.
        programme: The programme's definition.
        pairs: The pairs, enrolled at the programme's start.
        durations: The planned duration of each phase; a phase without one takes no time. A
            `Distribution` makes it uncertain: `montecarlo` samples it, once per pair and run;
            `simulate` takes its median.
        script: The dated actions, in any order (same-day actions keep their order). A delay's
            offset may be a `Distribution` too (sampled once per run, even for ``pair="*"``: a
            shared cause delays every pair alike).
        visits: How study visits are planned (`VisitPlan`: the visit's number, its length in
            days, mode and host); a visit without a plan is projected as one day in person.
        reporting: The reporting plan and deliverables (`ReportingSpec`), if any; a
            deliverable due before the programme starts is refused.
    """

    name: str
    programme: ProgrammeSpec
    pairs: tuple[PairSpec, ...]
    durations: Mapping[str, Offset | Distribution] = attrs.field(
        factory=dict, converter=_durations, hash=False
    )
    script: tuple[Action, ...] = ()
    visits: tuple[VisitPlan, ...] = attrs.field(default=(), converter=_visit_plans)
    reporting: ReportingSpec = attrs.field(factory=ReportingSpec)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValidationError("name", f"must be a non-empty string, not {show(self.name)}")
        if not isinstance(self.programme, ProgrammeSpec):
            raise ValidationError(
                "programme", f"must be a ProgrammeSpec, not {type(self.programme).__name__}"
            )
        for field, items, kind, most in (
            ("pairs", self.pairs, PairSpec, MAX_PAIRS),
            ("script", self.script, Action, MAX_ACTIONS),
        ):
            if not isinstance(items, tuple):
                raise ValidationError(field, f"must be a tuple, not {type(items).__name__}")
            if len(items) > most:
                raise ValidationError(
                    field, f"{len(items)} is more than a scenario may have ({most})"
                )
            for i, item in enumerate(items):
                if not isinstance(item, kind):
                    raise ValidationError(
                        f"{field}[{i}]", f"must be a {kind.__name__}, not {type(item).__name__}"
                    )
        keys: set[str] = set()
        for i, pair in enumerate(self.pairs):
            if pair.key in keys:
                raise ValidationError(f"pairs[{i}].key", f"{show(pair.key)} is a duplicate")
            keys.add(pair.key)
        order = set(self.phases)
        for phase in self.durations:
            if phase not in order:
                raise ValidationError(f"durations.{phase}", "is not a phase of the lifecycle")
        numbers = {step.visit for step in self.programme.lifecycle.steps}
        for plan in self.visits:
            if plan.number not in numbers:
                raise ValidationError(
                    f"visits.{plan.number}", "the lifecycle has no study visit of that number"
                )
        starts_on = self.programme.starts_on
        if not isinstance(self.reporting, ReportingSpec):
            raise ValidationError(
                "reporting", f"must be a ReportingSpec, not {type(self.reporting).__name__}"
            )
        for i, declared in enumerate(self.reporting.deliverables):
            if declared.due_on < starts_on:
                raise ValidationError(
                    f"reporting.deliverables[{i}].due_on",
                    f"{declared.due_on} is before the programme starts on {starts_on}",
                )
        for i, action in enumerate(self.script):
            if action.on < starts_on:
                # run on the first day instead, a typo in the year would go unnoticed
                what = " ".join(str(x) for x in (action.action, action.pair, action.phase) if x)
                raise ValidationError(
                    f"script[{i}].on",
                    f"the action '{what}' is dated {action.on}, before the programme starts on "
                    f"{starts_on}",
                )
            if action.pair not in (None, "*") and action.pair not in keys:
                raise ValidationError(f"script[{i}].pair", f"{show(action.pair)} is not a pair")
            if action.phase is not None and action.phase not in order:
                raise ValidationError(
                    f"script[{i}].phase", f"{show(action.phase)} is not a phase of the lifecycle"
                )
            self._check_reporting(i, action)

    def _check_reporting(self, i: int, action: Action) -> None:
        """A scripted report needs a reporting plan; a deliverable, to be declared."""
        if action.action == "report" and self.reporting.plan is None:
            raise ValidationError(
                f"script[{i}].period",
                "the scenario plans no reporting periods (reporting.period_months)",
            )
        if action.action in REPORTING_ACTIONS and action.action != "report":
            declared = {d.name for d in self.reporting.deliverables}
            if action.name not in declared:
                raise ValidationError(
                    f"script[{i}].name",
                    f"{show(action.name)} is not a declared deliverable (reporting.deliverables"
                    f"{': ' + ', '.join(sorted(map(repr, declared))) if declared else ''})",
                )

    def simulate(self) -> Timeline:
        """Run the scenario (see `simulate`)."""
        return simulate(self)

    def __repr__(self) -> str:
        d = self.programme
        return (
            f"<Scenario {self.name!r}: {d.starts_on}..{d.ends_on}, {len(self.pairs)} pairs, "
            f"{len(self.script)} actions{', uncertain' if self.uncertain else ''}>"
        )

    def _repr_html_(self) -> str:
        return html(self)

    @property
    def phases(self) -> tuple[str, ...]:
        """Every phase of the scenario: the programme's lifecycle's, then those its migrations
        add, in the order they first appear."""
        found = dict.fromkeys(self.programme.lifecycle.order)
        for action in self.script:
            if action.definition is not None:
                found.update(dict.fromkeys(action.definition.lifecycle.order))
        return tuple(found)

    @property
    def uncertain(self) -> bool:
        """Whether any duration or delay is a `Distribution` that can give more than one amount."""
        amounts = [*self.durations.values(), *(a.offset for a in self.script)]
        return any(isinstance(a, Distribution) and a.bounds[0] != a.bounds[1] for a in amounts)


@attrs.frozen(kw_only=True)
class PhaseSpan:
    """One phase of one pair on the timeline."""

    pair: str
    phase: str
    started_on: pendulum.Date
    ended_on: pendulum.Date | None
    """None if the phase never ended (see ``status``)."""
    projected: bool
    """Completed by the simulation from the planned durations, not by the script."""
    status: str = "completed"
    """``completed``; ``migrated`` for a phase a migration moved the pair out of before it
    was completed; or, for a phase that never ended, ``withdrawn``, ``suspended`` or
    ``unfinished`` (the pair was still in it when the simulation ended)."""


@attrs.frozen(kw_only=True)
class VisitRow:
    """A study visit on the timeline."""

    pair: str
    number: int
    host: str
    """The hosting city."""
    mode: VisitMode
    starts_on: pendulum.Date
    ends_on: pendulum.Date
    projected: bool


@attrs.frozen(kw_only=True)
class DeadlineRow:
    """A deadline as it stands at the end of a simulation."""

    name: str
    pair: str | None
    due_on: pendulum.Date | None
    status: DeadlineStatus
    met_on: pendulum.Date | None
    days_late: int | None
    revisions: tuple[DeadlineRevision, ...]

    @property
    def missed(self) -> bool:
        """Met late, or still overdue."""
        return self.status in (DeadlineStatus.MET_LATE, DeadlineStatus.OVERDUE)


@attrs.frozen(kw_only=True)
class Timeline:
    """What a simulation found.

    Attributes:
        scenario: The scenario's name.
        starts_on: The programme's first day.
        ends_on: The programme's last day, as extended.
        original_ends_on: The programme's last day before any extension.
        phases: Every pair's phases, actual and projected.
        visits: Every study visit, actual and projected.
        deadlines: Every deadline with its status at the end, and its revisions.
        extensions: The extension requests and their outcomes.
        completed_on: The day the last pair completed its last phase (None if none did).
        unfinished: Pairs neither completed nor withdrawn when the simulation ended (a pair
            suspended and never resumed): the timeline says nothing of when they would end.
        refusals: Script actions the rules refused (and delays that changed nothing), why.
        timezone: The programme's timezone (an IANA name): the one its days are in.
        activities: The programme-wide activities held (`ActivityHeld`), with the pairs that
            took part.
        reporting: The reporting periods as they stand at the end (derived from the end as
            extended), if the scenario plans reporting.
        deliverables: The declared deliverables as they stand at the end.
    """

    scenario: str
    starts_on: pendulum.Date
    ends_on: pendulum.Date
    original_ends_on: pendulum.Date
    phases: tuple[PhaseSpan, ...]
    visits: tuple[VisitRow, ...]
    deadlines: tuple[DeadlineRow, ...]
    extensions: tuple[Extension, ...]
    completed_on: pendulum.Date | None
    refusals: tuple[str, ...]
    unfinished: tuple[str, ...] = ()
    activities: tuple[ActivityHeld, ...] = ()
    timezone: str = "UTC"
    reporting: tuple[ReportingPeriod, ...] = ()
    deliverables: tuple[DeliverableRecord, ...] = ()

    def __repr__(self) -> str:
        done = self.completed_on or "none"
        late = f", {self.breach_days} days past the end" if self.breach_days else ""
        return (
            f"<Timeline {self.scenario!r}: {self.starts_on}..{self.ends_on}, "
            f"{len({s.pair for s in self.phases})} pairs, last completion {done}{late}, "
            f"{len(self.missed)} missed>"
        )

    def _repr_html_(self) -> str:
        return html(self)

    def to_pandas(self, form: Literal["wide", "long"] = "wide") -> pd.DataFrame:
        """The timeline as a pandas DataFrame (needs ``mentorflow[pandas]``).

        ``"wide"``: one row per phase, visit, deadline and extension, with typed columns
        (days as timezone-aware datetimes at midnight in the programme's timezone, statuses
        as categories, a visit's number, host city and mode of their own, days late as
        nullable integers). ``"long"``: one row per dated point of each (its ``start``,
        ``end``, ``due`` or ``met`` day), tidy for plotting.

        Raises:
            ImportError: pandas is not installed.
            ValidationError: ``form`` is neither.
        """
        result: pd.DataFrame = frame(self, form)
        return result

    @property
    def missed(self) -> tuple[DeadlineRow, ...]:
        """The deadlines met late or still overdue."""
        return tuple(d for d in self.deadlines if d.missed)

    @property
    def breach_days(self) -> int:
        """By how many days the last completion is after the programme's end (0 if not)."""
        if self.completed_on is None:
            return 0
        return max(0, (self.completed_on - self.ends_on).days)

    @property
    def smallest_extension(self) -> Offset | None:
        """The fewest whole months of extension that would have avoided the breach."""
        if not self.breach_days or self.completed_on is None:
            return None
        months = 1
        while add_months(self.ends_on, months) < self.completed_on:
            months += 1
        return Offset(amount=months, unit=Unit.MONTHS)


# -- the simulation ------------------------------------------------------------------------


def simulate(scenario: Scenario, *, rng: random.Random | None = None) -> Timeline:
    """Drive a real programme through ``scenario`` on a virtual clock; return its timeline.

    Args:
        scenario: What to simulate.
        rng: Where uncertain durations and delays draw their luck (one uniform number per
            pair and phase, then one per delay, in that order). Without one, each takes its
            median.
    """
    return _Run(scenario, rng).run()


def simulate_luck(scenario: Scenario, luck: Sequence[float]) -> Timeline:
    """`simulate` with every slot's uniform number given: ``luck[i]`` is what the ``i``-th
    draw of a run would have been (see `slots`). Sensitivity analysis pins some of them."""
    return _Run(scenario, None, luck).run()


def slots(scenario: Scenario) -> list[tuple[str, str | int]]:
    """What each draw of a run is for, in the order they are drawn: ``(pair, phase)`` for a
    pair's phase duration, then ``("script", index)`` for each delay of the script."""
    found: list[tuple[str, str | int]] = [
        (pair.key, phase) for pair in scenario.pairs for phase in scenario.phases
    ]
    found.extend(("script", i) for i, a in enumerate(scenario.script) if a.action == "delay")
    return found


class _Run:
    """One simulation: a programme, a clock, and a queue of things to do, in time order."""

    def __init__(
        self,
        scenario: Scenario,
        rng: random.Random | None = None,
        luck: Sequence[float] | None = None,
    ) -> None:
        self.scenario = scenario
        spec = scenario.programme
        self.tz = pendulum.timezone(spec.timezone)
        start = pendulum.datetime(
            spec.starts_on.year, spec.starts_on.month, spec.starts_on.day, 9, tz=self.tz
        )
        self.clock = ManualClock(start)
        self.programme = Programme.from_definition(spec, clock=self.clock)
        self.queue: list[tuple[float, int, int, Any]] = []
        self.order = itertools.count()
        self.scripted: set[tuple[str | None, str | None]] = set()
        self.delays: dict[tuple[str, str], list[Offset]] = {}
        self.planned, delays = self._draw(rng if luck is None else iter(luck).__next__)
        self.due: dict[str, tuple[int, pendulum.DateTime]] = {}  # pair -> (ticket, planned end)
        self.tickets = itertools.count(1)
        self.suspended_at: dict[str, pendulum.DateTime] = {}
        self.projected: set[tuple[str, str]] = set()
        self.projected_visits: set[tuple[str, int]] = set()  # (pair, visit number)
        self.refusals: list[str] = []
        self.visit_plans = {plan.number: plan for plan in scenario.visits}
        for pair in scenario.pairs:
            self.programme.add_pair(
                pair.key,
                mentor=pair.mentor,
                mentee=pair.mentee,
                theme=pair.theme,
                topic=pair.topic,
                at=start,
            )
        reporting = scenario.reporting
        if reporting.plan is not None:
            self.programme.execute(attrs.evolve(reporting.plan, at=start))
        for declared in reporting.deliverables:
            self.programme.execute(attrs.evolve(declared, at=start))
        for index, action in enumerate(scenario.script):
            drawn = delays.get(index)
            for expanded in self._expand(action):
                self._push(self._instant(expanded.on), 0, (expanded, drawn))
                if expanded.action == "complete":
                    self.scripted.add((expanded.pair, expanded.phase))
        for key in self.programme.pairs:
            self._plan(key, start)

    def _draw(
        self, rng: random.Random | Callable[[], float] | None
    ) -> tuple[dict[tuple[str, str], tuple[Offset, ...]], dict[int, tuple[Offset, ...]]]:
        """Every (pair, phase)'s duration, and every delay's offsets by its index in the
        script, drawn from ``rng`` (without one, at their medians).

        One uniform number per slot whether or not the slot is uncertain, always in the same
        order, so a slot's luck doesn't depend on what the other slots are.
        """
        draw: Callable[[], float] = (
            _median if rng is None else rng.random if isinstance(rng, random.Random) else rng
        )
        durations = self.scenario.durations
        planned: dict[tuple[str, str], tuple[Offset, ...]] = {}
        delays: dict[int, tuple[Offset, ...]] = {}
        # the programme's phases, then those its migrations add: without migrations, the same
        # draws in the same order as ever
        phases = self.scenario.phases
        for pair in self.scenario.pairs:
            for phase in phases:
                u = draw()
                amount = durations.get(phase)
                if isinstance(amount, Distribution):
                    planned[(pair.key, phase)] = amount.offsets(u)
                elif amount is not None:
                    planned[(pair.key, phase)] = (amount,)
        for index, action in enumerate(self.scenario.script):
            if action.action == "delay":
                u = draw()
                if isinstance(action.offset, Distribution):
                    delays[index] = action.offset.offsets(u)
                elif action.offset is not None:
                    delays[index] = (action.offset,)
        return planned, delays

    def _expand(self, action: Action) -> list[Action]:
        if action.pair != "*":
            return [action]
        fields = [getattr(action, name) for name in _ACTION_FIELDS]
        at = _ACTION_FIELDS.index("pair")
        # every check of the action holds for each pair as it did for "*": made unchecked,
        # not through attrs.evolve (a Monte Carlo run expands the script again)
        return [_make_action(*fields[:at], key, *fields[at + 1 :]) for key in self.programme.pairs]

    def _instant(self, day: dt.date) -> pendulum.DateTime:
        return wall_time(day.toordinal(), self.tz, _HOUR)

    def _push(self, at: pendulum.DateTime, kind: int, payload: Any) -> None:
        # kind 0 (scripted) runs before kind 1 (projected) at the same instant
        heapq.heappush(self.queue, (at.timestamp(), kind, next(self.order), (at, payload)))

    def _plan(self, key: str, started: pendulum.DateTime) -> None:
        """Schedule the completion of the pair's current phase at its planned end."""
        pair = self.programme.pair(key)
        if pair.status is not PairStatus.ACTIVE or (key, pair.phase) in self.scripted:
            self.due.pop(key, None)
            return
        end = self._end(key, pair.phase, started)
        ticket = next(self.tickets)
        self.due[key] = (ticket, end)
        self._push(end, 1, ("complete", key, pair.phase, ticket))

    def _end(self, key: str, phase: str, started: pendulum.DateTime) -> pendulum.DateTime:
        """The planned end of ``phase`` for pair ``key``, started at ``started``."""
        offsets = [*self.planned.get((key, phase), ()), *self.delays.get((key, phase), ())]
        # planned durations count calendar time (working days: weekdays only); a phase that
        # takes time ends on a working day of both cities (the pair's calendar)
        end_day = extend(started.date(), offsets, calendar_for(()))
        if end_day <= started.date():
            return started
        pair = self.programme.pair(key)
        regions = tuple(sorted({pair.mentor.city.region, pair.mentee.city.region}))
        return self._instant(calendar_for(regions).roll_forward(end_day))

    def _migrated(self, events: tuple[Event, ...], at: pendulum.DateTime) -> None:
        """Plan the phases the migration moved pairs to, from ``at``; a suspended pair's
        ends that much after it resumes."""
        for event in events:
            if not isinstance(event, PairMigrated) or event.to == event.phase:
                continue
            pair = self.programme.pair(event.pair)
            if pair.status is PairStatus.SUSPENDED and (event.pair, event.to) not in self.scripted:
                self.suspended_at[event.pair] = at
                self.due[event.pair] = (0, self._end(event.pair, event.to, at))
            else:
                self._plan(event.pair, at)

    def run(self) -> Timeline:
        while self.queue:
            _, _, _, (at, payload) = heapq.heappop(self.queue)
            if at > self.clock.now():
                self.clock.set(at)
                self.programme.check_deadlines()
            if isinstance(payload[0], Action):
                self._act(*payload)
            else:
                self._project(*payload[1:])
        return self._timeline()

    def _project(self, key: str, phase: str, ticket: int) -> None:
        current = self.due.get(key)
        pair = self.programme.pair(key)
        if current is None or current[0] != ticket or pair.phase != phase:
            return  # rescheduled, suspended or moved on since
        at = self.clock.now()
        step = self.programme.lifecycle.step(phase)
        try:
            run = self.programme.execute
            if step.visit is not None and all(v.number != step.visit for v in pair.visits):
                visit = _visit(pair, step.visit, at, self.visit_plans.get(step.visit))
                run(RecordVisit(pair=key, visit=visit, at=at, note=_PROJECTED))
                self.projected_visits.add((key, step.visit))
            for deliverable in sorted(step.requires - set(pair.deliverables)):
                run(RegisterDeliverable(pair=key, deliverable=deliverable, at=at, note=_PROJECTED))
            run(complete(key, phase, at, _PROJECTED))
        except CommandRefused as refusal:
            self.refusals.append(
                f"{at.date()} projected completion of {phase} ({key}): {refusal.reason}"
            )
            self.due.pop(key, None)
            return
        self.projected.add((key, phase))
        self._plan(key, at)

    def _act(self, action: Action, drawn: tuple[Offset, ...] | None) -> None:
        at = self.clock.now()
        programme = self.programme
        try:
            self._do(action, at, drawn)
        except (CommandRefused, PolicyViolation, ValidationError) as err:
            who = action.pair or "programme"
            self.refusals.append(f"{action.on} {action.action} ({who}): {err}")
            if action.action == "complete" and action.pair is not None:
                # the script's completion didn't happen: the plan completes the phase instead
                self.scripted.discard((action.pair, action.phase))
                if self.due.get(action.pair) is None:
                    self._plan(action.pair, _started(programme.pair(action.pair)))
            return
        if action.pair is None:
            return
        pair = programme.pair(action.pair)
        if action.action == "complete":
            self._plan(action.pair, at)
        elif action.action == "delay":
            self._note_delay(action, pair)
            if pair.phase == action.phase:
                self._plan(action.pair, _started(pair))

    def _note_delay(self, action: Action, pair: Pair) -> None:
        """Say so when a delay can't change anything."""
        if (pair.key, action.phase) in self.scripted:
            self.refusals.append(
                f"{action.on} delay ({pair.key}): the script completes {action.phase} itself, "
                "so the delay changes nothing"
            )
        elif any(isinstance(e, PhaseCompleted) and e.phase == action.phase for e in pair.history):
            self.refusals.append(
                f"{action.on} delay ({pair.key}): {action.phase} is over already, so the delay "
                "changes nothing"
            )

    def _do(self, action: Action, at: pendulum.DateTime, drawn: tuple[Offset, ...] | None) -> None:
        """Run a scripted action: its command through `Programme.execute`, then what it
        changes in the plan (a delay changes only the plan)."""
        programme = self.programme
        pair = programme.pair(action.pair) if action.pair is not None else None
        name = action.action
        if name == "delay":
            if pair is not None and drawn is not None:
                self.delays.setdefault((pair.key, action.phase or pair.phase), []).extend(drawn)
                return
            raise ValidationError("script", f"{name} is missing what it needs ({action})")
        events = programme.execute(self._command(action, at, pair))
        if name == "migrate":
            self._migrated(events, at)
        if pair is None:
            return
        if name == "suspend":
            self.suspended_at[pair.key] = at
            planned = self.due.get(pair.key)
            if planned is not None:  # no completion while suspended; resume moves the end
                self.due[pair.key] = (0, planned[1])
        elif name == "resume":
            self._resume(pair, at)
        elif name == "withdraw":
            self.due.pop(pair.key, None)

    def _command(self, action: Action, at: pendulum.DateTime, pair: Pair | None) -> Command:
        """The command value a scripted action runs, dated ``at`` (17:00 on its day)."""
        name, note = action.action, action.note
        if pair is not None:
            key = pair.key
            if name == "complete":
                return complete(key, action.phase or pair.phase, at, note)
            if name == "visit" and action.visit is not None:
                return RecordVisit(pair=key, visit=action.visit, at=at, note=note)
            if name == "deliverable" and action.deliverable is not None:
                return RegisterDeliverable(
                    pair=key, deliverable=action.deliverable, at=at, note=note
                )
            if name in _PAIR_STATES:
                return _PAIR_STATES[name](pair=key, at=at, note=note)
            if name == "replace_partner" and action.role and action.partner:
                return ReplacePartner(
                    pair=key, role=action.role, partner=action.partner, at=at, note=note
                )
        if name == "request_extension" and isinstance(action.offset, Offset):
            return RequestExtension(
                reason=action.reason or note or "scenario",
                offset=action.offset,
                phase=action.phase,
                pair=action.pair,
                at=at,
                note=note,
            )
        if name in ("grant_extension", "refuse_extension"):
            return self._decision(action, at)
        if name == "activity" and action.activity is not None:
            return HoldActivity(
                activity=action.activity, milestone=action.milestone, at=at, note=note
            )
        if name in REPORTING_ACTIONS:
            return action.reporting_command(at)
        if name == "milestone" and action.milestone is not None:
            return ReachMilestone(milestone=action.milestone, at=at, note=note)
        if name == "migrate" and action.definition is not None:
            return Migrate(
                definition=action.definition, phases=action.phases or {}, at=at, note=note
            )
        raise ValidationError("script", f"{name} is missing what it needs ({action})")

    def _decision(self, action: Action, at: pendulum.DateTime) -> Command:
        """A grant or refusal of the oldest request still waiting for an answer."""
        programme = self.programme
        policies = (programme.extension_policy, programme.phase_extension_policy)
        waiting = [e for e in programme.extensions if e.open_at(at, policies[e.phase is not None])]
        if not waiting:
            raise ValidationError("script", "no extension request is waiting for an answer")
        by, key = action.by or "funder", waiting[0].key
        if action.action == "grant_extension":
            return GrantExtension(extension=key, by=by, at=at, note=action.note)
        return RefuseExtension(extension=key, by=by, reason=action.reason, at=at, note=action.note)

    def _resume(self, pair: Pair, at: pendulum.DateTime) -> None:
        """A resumed phase ends as much later as it was suspended."""
        since = self.suspended_at.pop(pair.key, None)
        planned = self.due.get(pair.key)
        if since is None or planned is None or (pair.key, pair.phase) in self.scripted:
            return
        # elapsed time (pendulum would add an Interval as calendar months and days)
        end = planned[1].add(seconds=at.timestamp() - since.timestamp())
        ticket = next(self.tickets)
        self.due[pair.key] = (ticket, end)
        self._push(end, 1, ("complete", pair.key, pair.phase, ticket))

    def _timeline(self) -> Timeline:
        programme = self.programme
        spans: list[PhaseSpan] = []
        visits: list[VisitRow] = []
        last: pendulum.Date | None = None
        for key, pair in programme.pairs.items():
            started: dict[str, pendulum.Date] = {}
            for event in pair.history:
                if isinstance(event, VisitRecorded):
                    host = (pair.mentor if event.visit.host is Role.MENTOR else pair.mentee).city
                    visits.append(
                        VisitRow(
                            pair=key,
                            number=event.visit.number,
                            host=host.name,
                            mode=event.visit.mode,
                            starts_on=event.visit.starts_on,
                            ends_on=event.visit.ends_on,
                            projected=(key, event.visit.number) in self.projected_visits,
                        )
                    )
                if isinstance(event, PhaseStarted):
                    started[event.phase] = event.at.date()
                elif isinstance(event, PairMigrated):
                    if event.to != event.phase and event.phase in started:
                        spans.append(
                            PhaseSpan(
                                pair=key,
                                phase=str(event.phase),
                                started_on=started.pop(event.phase),
                                ended_on=event.at.date(),
                                projected=False,
                                status="migrated",
                            )
                        )
                elif isinstance(event, PhaseCompleted):
                    spans.append(
                        PhaseSpan(
                            pair=key,
                            phase=str(event.phase),
                            started_on=started[event.phase],
                            ended_on=event.at.date(),
                            projected=(key, event.phase) in self.projected,
                        )
                    )
            if pair.status is PairStatus.COMPLETED:
                done = pair.history[-1].at.date()
                last = done if last is None or done > last else last
            elif pair.phase in started:
                status = {
                    PairStatus.WITHDRAWN: "withdrawn",
                    PairStatus.SUSPENDED: "suspended",
                }.get(pair.status, "unfinished")
                spans.append(
                    PhaseSpan(
                        pair=key,
                        phase=str(pair.phase),
                        started_on=started[pair.phase],
                        ended_on=None,
                        projected=False,
                        status=status,
                    )
                )
        # settle every deadline: check once more after the last of them
        dues = [
            d.due_on
            for k in [None, *programme.pairs]
            for d in programme.deadlines(pair=k)
            if d.due_on
        ]
        horizon = max([self.clock.now().date(), *dues]).add(days=1)
        end = pendulum.datetime(horizon.year, horizon.month, horizon.day, 9, tz=self.tz)
        if end > self.clock.now():
            self.clock.set(end)
            programme.check_deadlines()
        rows = []
        for owner in [None, *programme.pairs]:
            for deadline in programme.deadlines(pair=owner):
                rows.append(
                    DeadlineRow(
                        name=str(deadline.name),
                        pair=deadline.pair,
                        due_on=deadline.due_on,
                        status=deadline.status(end),
                        met_on=None if deadline.met_at is None else deadline.met_at.date(),
                        days_late=deadline.days_late,
                        revisions=deadline.revisions,
                    )
                )
        return Timeline(
            scenario=self.scenario.name,
            starts_on=programme.starts_on,
            ends_on=programme.ends_on,
            original_ends_on=programme.original_ends_on,
            phases=tuple(spans),
            visits=tuple(visits),
            deadlines=tuple(rows),
            extensions=programme.extensions,
            completed_on=last,
            refusals=tuple(self.refusals),
            timezone=self.scenario.programme.timezone,
            unfinished=tuple(
                k
                for k, p in programme.pairs.items()
                if p.status in (PairStatus.ACTIVE, PairStatus.SUSPENDED)
            ),
            activities=programme.activities,
            reporting=programme.reporting_periods,
            deliverables=tuple(programme.tracked_deliverables.values()),
        )


def _median() -> float:
    return 0.5


def _started(pair: Pair) -> pendulum.DateTime:
    for event in reversed(pair.history):
        if isinstance(event, PhaseStarted):
            return event.at
    return pair.last_changed_at  # pragma: no cover - every pair starts a phase on enrolment


def _visit(
    pair: Pair, number: int, at: pendulum.DateTime, plan: VisitPlan | None = None
) -> StudyVisit:
    """A projected visit, ending on the day of ``at``: as ``plan`` says, and hosted by the
    side it names, else by whichever side may still host one (the mentee first)."""
    plan = plan or _ONE_DAY_VISIT
    limits = pair.programme.lifecycle.visit_hosts
    host = Role.MENTEE
    if limits is not None:
        hosted = sum(1 for v in pair.visits if v.host is Role.MENTEE)
        host = Role.MENTEE if hosted < limits.get(Role.MENTEE, 0) else Role.MENTOR
    day = at.date()
    return StudyVisit(
        number=number,
        host=plan.host or host,
        mode=plan.mode,
        starts_on=pendulum.Date.fromordinal(day.toordinal() - plan.days + 1),
        ends_on=day,
    )


_ONE_DAY_VISIT = VisitPlan(number=1)
