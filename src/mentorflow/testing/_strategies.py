"""Hypothesis strategies for mentorflow's public types, valid by construction.

Every option defaults to ``None``, meaning "let hypothesis choose".
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence

import holidays
import pendulum
from hypothesis import strategies as st

from .._core.programme import Pair, Programme
from .._domain.clock import ManualClock
from .._domain.commands import (
    CheckDeadlines,
    Command,
    Complete,
    DefineBenchmarks,
    Enrol,
    GrantExtension,
    HoldActivity,
    ReachMilestone,
    RecordVisit,
    RefuseExtension,
    RegisterDeliverable,
    ReplacePartner,
    RequestExtension,
    Resume,
    Suspend,
    Withdraw,
)
from .._domain.deadlines import END, START, CalendarBasis, DeadlineRule, Offset, Unit
from .._domain.distributions import KINDS, Distribution, Empirical, Fixed, Triangular, Uniform
from .._domain.extensions import ExtensionPolicy
from .._domain.lifecycle import Lifecycle, Phase, Step
from .._domain.model import (
    Activity,
    ActivityKind,
    Association,
    Benchmark,
    City,
    Deliverable,
    Partner,
    Role,
    StudyVisit,
    Theme,
    VisitMode,
)
from .._simulation.scenario import Scenario
from ..exceptions import ValidationError

TIMEZONES = ("Europe/Brussels", "Europe/Madrid", "Europe/Riga", "Europe/Athens", "UTC")
STANDARD_PHASES = tuple(p for p in Phase if p is not Phase.COMPLETED)
OWN_PHASES = ("local_pilot", "peer_review", "policy_lab", "sharing")
_SUBDIVISION = re.compile(r"[A-Z0-9]{1,3}")
_EPOCH = pendulum.datetime(2018, 1, 1, tz="UTC")


@functools.cache
def _regions() -> dict[str, tuple[str, ...]]:
    return {
        country: tuple(s for s in subdivisions if _SUBDIVISION.fullmatch(s))
        for country, subdivisions in holidays.list_supported_countries().items()
        if re.fullmatch(r"[A-Z]{2}", country)
    }


def countries() -> st.SearchStrategy[str]:
    """ISO 3166-1 alpha-2 codes of the countries the ``holidays`` package knows."""
    return st.sampled_from(sorted(_regions()))


_names = st.from_regex(r"[A-Z][a-z]{2,11}(-[A-Z][a-z]{2,9})?", fullmatch=True)


@st.composite
def cities(draw: st.DrawFn, *, country: str | None = None) -> City:
    """Cities with a real country and, sometimes, a real subdivision of it."""
    country = country or draw(countries())
    subdivisions = _regions().get(country, ())
    subdivision = draw(st.none() | st.sampled_from(subdivisions)) if subdivisions else None
    return City(name=draw(_names), country=country, subdivision=subdivision)


def associations(*, country: str | None = None) -> st.SearchStrategy[Association]:
    """National associations of local governments."""
    return st.builds(
        Association,
        name=st.from_regex(r"[A-Z]{3,8}", fullmatch=True),
        country=st.just(country) if country else countries(),
    )


@st.composite
def partners(draw: st.DrawFn, *, country: str | None = None) -> Partner:
    """A city with an association of its own country."""
    city = draw(cities(country=country))
    return Partner(city=city, association=draw(associations(country=city.country)))


_phrases = st.from_regex(r"[a-z]{3,10}( [a-z]{2,10}){0,4}", fullmatch=True)


def benchmarks() -> st.SearchStrategy[Benchmark]:
    """Benchmarks with zero to three key factors."""
    return st.builds(Benchmark, title=_phrases, key_factors=st.lists(_phrases, max_size=3))


def dates(
    *, min_value: dt.date | None = None, days: int = 3650
) -> st.SearchStrategy[pendulum.Date]:
    """Dates from ``min_value`` (default 2018-01-01) over ``days`` days."""
    start = pendulum.Date(2018, 1, 1) if min_value is None else min_value
    return st.integers(0, days).map(
        lambda n: pendulum.Date(start.year, start.month, start.day).add(days=n)
    )


def instants(
    *, start: pendulum.DateTime | None = None, hours: int = 24 * 3650, tz: str | None = None
) -> st.SearchStrategy[pendulum.DateTime]:
    """Timezone-aware instants from ``start`` (default 2018-01-01 UTC) over ``hours`` hours."""
    base = _EPOCH if start is None else start
    zone = st.just(tz) if tz else st.sampled_from(TIMEZONES)
    return st.builds(
        lambda minutes, name: base.add(minutes=minutes).in_timezone(name),
        st.integers(0, hours * 60),
        zone,
    )


@st.composite
def study_visits(
    draw: st.DrawFn,
    *,
    number: int | None = None,
    host: Role | None = None,
    mode: VisitMode | None = None,
    ends_on: pendulum.Date | None = None,
) -> StudyVisit:
    """Study visits of one to four days."""
    ends = ends_on or draw(dates())
    return StudyVisit(
        number=number or draw(st.integers(1, 3)),
        host=host or draw(st.sampled_from(Role)),
        mode=mode or draw(st.sampled_from(VisitMode)),
        starts_on=ends.subtract(days=draw(st.integers(0, 3))),
        ends_on=ends,
    )


_VISITS = (Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2, Phase.STUDY_VISIT_3)


@st.composite
def lifecycles(
    draw: st.DrawFn,
    *,
    phases: Sequence[str] | None = None,
    hosts_rule: bool | None = None,
) -> Lifecycle:
    """Valid lifecycles: some standard phases (with their rules) and own phases, in any order.

    Args:
        phases: The phases to order (default: a draw of standard and own phases).
        hosts_rule: Whether the visit hosting rule is on (default: either).
    """
    if phases is None:
        pool = list(STANDARD_PHASES + OWN_PHASES)
        phases = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=9, unique=True))
    visits = sum(p in _VISITS for p in phases)
    hosts = None
    if draw(st.booleans()) if hosts_rule is None else hosts_rule:
        mentee = draw(st.integers(0, visits))
        hosts = {Role.MENTEE: mentee, Role.MENTOR: draw(st.integers(visits - mentee, visits))}
    return Lifecycle.linear(*phases, visit_hosts=hosts)


@st.composite
def invalid_lifecycles(draw: st.DrawFn) -> dict[str, object]:
    """Keyword arguments for `Lifecycle` that it must refuse with a DefinitionError; the key
    ``"field"`` says which field the error should name (pop it before calling)."""
    valid = draw(lifecycles(hosts_rule=False))
    steps = list(valid.steps)
    kind = draw(
        st.sampled_from(
            ["empty", "bad_name", "reserved", "duplicate", "unknown_then", "loop", "unreachable"]
        )
    )
    field = "steps"
    if kind == "empty":
        steps = []
    elif kind == "bad_name":
        i = draw(st.integers(0, len(steps) - 1))
        steps[i] = Step(phase=draw(st.sampled_from(["Needs Assessment", "9lives", "a-b", ""])))
        field = f"steps[{i}].phase"
    elif kind == "reserved":
        steps.append(Step(phase=draw(st.sampled_from(["completed", "withdrawn", "suspended"]))))
        field = f"steps[{len(steps) - 1}].phase"
    elif kind == "duplicate":
        steps.append(Step(phase=steps[draw(st.integers(0, len(steps) - 1))].phase))
        field = f"steps[{len(steps) - 1}].phase"
    elif kind == "unknown_then":
        i = draw(st.integers(0, len(steps) - 1))
        steps[i] = Step(phase=steps[i].phase, then="nowhere")
        field = f"steps[{i}].then"
    elif kind == "loop":
        steps[-1] = Step(phase=steps[-1].phase, then=steps[0].phase)
    else:  # unreachable: the first step completes the lifecycle at once
        steps = [Step(phase=steps[0].phase, then=Phase.COMPLETED), *steps[1:]]
        if len(steps) == 1:
            steps.append(Step(phase="orphan"))
        field = "steps[1].phase"
    return {"steps": steps, "visit_hosts": None, "field": field}


def offsets(
    *, units: Sequence[Unit] | None = None, signed: bool = True
) -> st.SearchStrategy[Offset]:
    """Offsets of a few days, weeks, months or working days."""
    bounds = {Unit.DAYS: 120, Unit.WEEKS: 16, Unit.MONTHS: 9, Unit.WORKING_DAYS: 60}

    def of(unit: Unit) -> st.SearchStrategy[Offset]:
        low = -bounds[unit] // 3 if signed else 0
        return st.integers(low, bounds[unit]).map(lambda n: Offset(amount=n, unit=unit))

    return st.sampled_from(list(units or Unit)).flatmap(of)


def distributions(
    *, units: Sequence[Unit] | None = None, kinds: Sequence[str] | None = None
) -> st.SearchStrategy[Distribution]:
    """Uncertain amounts: fixed, uniform, triangular and empirical distributions of a few
    days, weeks, months or working days (fractional amounts included).

    Args:
        units: The units to draw from (default: all).
        kinds: The kinds to draw from, by name (``"fixed"``, ``"uniform"``, ``"triangular"``,
            ``"empirical"``; default: all).
    """
    bounds = {Unit.DAYS: 120, Unit.WEEKS: 16, Unit.MONTHS: 9, Unit.WORKING_DAYS: 60}

    @st.composite
    def of(draw: st.DrawFn, unit: Unit, kind: str) -> Distribution:
        amount = st.one_of(
            st.integers(0, bounds[unit]),
            st.floats(0, bounds[unit], allow_nan=False, allow_infinity=False),
        )
        if kind == "fixed":
            return Fixed(draw(amount), unit=unit)
        if kind == "empirical":
            return Empirical(draw(st.lists(amount, min_size=1, max_size=8)), unit=unit)
        points = sorted(draw(st.lists(amount, min_size=3, max_size=3)))
        if kind == "uniform":
            return Uniform(points[0], points[2], unit=unit)
        return Triangular(*points, unit=unit)

    return st.tuples(
        st.sampled_from(list(units or Unit)), st.sampled_from(list(kinds or KINDS))
    ).flatmap(lambda pair: of(*pair))


def _rule(draw: st.DrawFn, name: str, anchors: list[str], basis: bool) -> DeadlineRule:
    capped = draw(st.booleans())
    lead = draw(st.integers(0, 30))
    calendar = draw(st.sampled_from([None, *CalendarBasis])) if basis else None
    anchor = draw(st.sampled_from([*anchors, "on"]))
    if anchor == "on":
        on = draw(dates(min_value=pendulum.Date(2020, 1, 1), days=1500))
        return DeadlineRule(name, on=on, capped=capped, lead_days=lead, calendar=calendar)
    offset = draw(offsets())
    amounts: dict[Unit, int | None] = dict.fromkeys(Unit)
    amounts[offset.unit] = offset.amount
    return DeadlineRule(
        name,
        after=anchor,
        days=amounts[Unit.DAYS],
        weeks=amounts[Unit.WEEKS],
        months=amounts[Unit.MONTHS],
        working_days=amounts[Unit.WORKING_DAYS],
        capped=capped,
        lead_days=lead,
        calendar=calendar,
    )


@st.composite
def deadline_rules(
    draw: st.DrawFn,
    *,
    lifecycle: Lifecycle | None = None,
    milestones: Sequence[str] | None = None,
) -> list[DeadlineRule]:
    """Valid, acyclic rules for ``lifecycle``'s phases and some programme milestones.

    Milestones count from the programme or earlier milestones; phases from the programme, a
    milestone, an earlier phase's completion or their own start.
    """
    lifecycle = lifecycle or Lifecycle.default()
    names = (
        milestones
        if milestones is not None
        else ["interim_report", "final_conference", "final_report"]
    )
    rules: list[DeadlineRule] = []
    made: list[str] = []
    for name in names:
        if draw(st.booleans()):
            rules.append(_rule(draw, name, [START, END, *made], basis=False))
            made.append(name)
    earlier: list[str] = []
    for phase in lifecycle.order:
        if draw(st.booleans()):
            anchors = [START, END, *made, f"{phase}.started", *(f"{p}.completed" for p in earlier)]
            rules.append(_rule(draw, phase, anchors, basis=True))
        earlier.append(phase)
    return rules


def extension_policies() -> st.SearchStrategy[ExtensionPolicy]:
    """Extension policies with any lead, window and limits."""
    return st.builds(
        ExtensionPolicy,
        request_lead=offsets(units=[Unit.DAYS, Unit.MONTHS], signed=False),
        response_days=st.integers(1, 90),
        max_count=st.none() | st.integers(0, 5),
        max_total=st.none() | offsets(units=[Unit.MONTHS], signed=False),
    )


@st.composite
def programmes(
    draw: st.DrawFn,
    *,
    lifecycle: Lifecycle | None = None,
    deadlines: Sequence[DeadlineRule] | None = None,
    pairs: int | None = None,
    timezone: str | None = None,
    country: str | None = None,
) -> Programme:
    """Programmes on a `ManualClock`, with enrolled pairs of distinct cities.

    Args:
        lifecycle: Default: a draw of `lifecycles`.
        deadlines: Default: a draw of `deadline_rules` for the lifecycle.
        pairs: How many pairs (default 0 to 4).
        timezone: Default: a European zone or UTC.
        country: Whose holidays count for milestones (default: a draw, or none).
    """
    lifecycle = lifecycle or draw(lifecycles())
    rules = draw(deadline_rules(lifecycle=lifecycle)) if deadlines is None else deadlines
    zone = timezone or draw(st.sampled_from(TIMEZONES))
    starts = draw(dates(min_value=pendulum.Date(2019, 1, 1), days=1500))
    start = pendulum.datetime(starts.year, starts.month, starts.day, 9, tz=zone)
    programme = Programme(
        draw(_phrases).capitalize(),
        starts_on=starts,
        ends_on=starts.add(months=draw(st.integers(6, 48))),
        timezone=zone,
        lifecycle=lifecycle,
        clock=ManualClock(start),
        country=country
        if country is not None
        else draw(st.none() | st.sampled_from(["BE", "ES", "IT", "LV", "GR", "FR"])),
        deadlines=rules,
    )
    count = draw(st.integers(0, 4)) if pairs is None else pairs
    for i in range(count):
        mentor, mentee = draw(
            st.lists(partners(), min_size=2, max_size=2, unique_by=lambda p: p.city)
        )
        programme.add_pair(
            f"pair-{i + 1}",
            mentor=mentor,
            mentee=mentee,
            theme=draw(st.sampled_from(Theme)),
            benchmarks=draw(st.lists(benchmarks(), max_size=2)),
            at=start,
        )
    return programme


@st.composite
def pairs(
    draw: st.DrawFn, *, programme: Programme | None = None, lifecycle: Lifecycle | None = None
) -> Pair:
    """A pair enrolled in a programme (default: a drawn programme with at least one pair).

    Args:
        programme: The programme to pick a pair of.
        lifecycle: Without ``programme``: the drawn programme's lifecycle (default: a draw).

    Raises:
        ValidationError: both ``programme`` and ``lifecycle`` given.
    """
    if programme is not None and lifecycle is not None:
        raise ValidationError("lifecycle", "give a programme or a lifecycle, not both")
    programme = programme or draw(programmes(lifecycle=lifecycle, pairs=draw(st.integers(1, 3))))
    return programme.pair(draw(st.sampled_from(list(programme.pairs))))


def time_steps() -> st.SearchStrategy[pendulum.Duration]:
    """Realistic steps of time, from an hour to six months: hours (for time-of-day and time
    zone rules), days, the usual boundaries (a week, a fortnight, 28 to 31 days, 60, 90
    days) and calendar months. Days and months keep the wall time; they shrink towards an
    hour."""
    return _TIME_STEPS


_BOUNDARIES = (7, 14, 21, 28, 29, 30, 31, 45, 60, 61, 89, 90, 91, 92)
_TIME_STEPS = st.one_of(
    st.integers(1, 48).map(lambda h: pendulum.duration(hours=h)),
    st.integers(1, 45).map(lambda d: pendulum.duration(days=d)),
    st.sampled_from(_BOUNDARIES).map(lambda d: pendulum.duration(days=d)),
    st.integers(1, 6).map(lambda m: pendulum.duration(months=m)),
)


@st.composite
def activities(draw: st.DrawFn) -> Activity:
    """Programme-wide activities (`mentorflow.Activity`) of one to three days."""
    starts_on = draw(dates())
    return Activity(
        name=draw(st.sampled_from(["Transnational meeting", "Network visit", "Final conference"])),
        kind=draw(st.sampled_from([*ActivityKind, "peer_review"])),
        starts_on=starts_on,
        ends_on=pendulum.Date.fromordinal(starts_on.toordinal() + draw(st.integers(0, 2))),
        mode=draw(st.sampled_from(VisitMode)),
        place=draw(st.none() | st.just("Brussels")),
    )


def deliverables() -> st.SearchStrategy[Deliverable]:
    """Any deliverable."""
    return st.sampled_from(Deliverable)


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    lifecycle: Lifecycle | None = None,
    pairs: int | None = None,
    actions: int | None = None,
    uncertain: bool = False,
) -> Scenario:
    """Scenarios: a programme with deadline rules, pairs, planned durations for every phase,
    and a script of delays, suspensions, withdrawals and extension requests and answers.

    Args:
        lifecycle: Default: a draw of `lifecycles` (hosting rule on, so projections can host).
        pairs: How many pairs (default 1 to 3).
        actions: How many scripted actions (default 0 to 8).
        uncertain: Let durations and delays be `distributions` too (for `montecarlo`).
    """
    from .._simulation.scenario import Action, PairSpec, ProgrammeSpec

    lifecycle = lifecycle or draw(lifecycles(hosts_rule=False))
    zone = draw(st.sampled_from(TIMEZONES))
    starts = draw(dates(min_value=pendulum.Date(2019, 1, 1), days=1200))
    spec = ProgrammeSpec(
        name="Scenario",
        starts_on=starts,
        ends_on=starts.add(months=draw(st.integers(6, 48))),
        timezone=zone,
        lifecycle=lifecycle,
        country=draw(st.none() | st.sampled_from(["BE", "ES", "IT", "LV", "GR", "FR"])),
        deadlines=tuple(draw(deadline_rules(lifecycle=lifecycle))),
    )
    count = draw(st.integers(1, 3)) if pairs is None else pairs
    specs = []
    for i in range(count):
        mentor, mentee = draw(
            st.lists(partners(), min_size=2, max_size=2, unique_by=lambda p: p.city)
        )
        specs.append(
            PairSpec(
                key=f"pair-{i + 1}",
                mentor=mentor,
                mentee=mentee,
                theme=draw(st.sampled_from(Theme)),
            )
        )
    units = [Unit.DAYS, Unit.WEEKS, Unit.MONTHS]
    amounts: st.SearchStrategy[Offset | Distribution] = offsets(units=units, signed=False)
    if uncertain:
        amounts = amounts | distributions(units=units)
    durations = {phase: draw(amounts) for phase in lifecycle.order}
    script = []
    for _ in range(draw(st.integers(0, 8)) if actions is None else actions):
        on = starts.add(days=draw(st.integers(0, 900)))
        kind = draw(
            st.sampled_from(
                [
                    "delay",
                    "suspend",
                    "resume",
                    "withdraw",
                    "request_extension",
                    "grant_extension",
                    "refuse_extension",
                ]
            )
        )
        key = draw(st.sampled_from([s.key for s in specs]))
        if kind == "delay":
            script.append(
                Action(
                    on=on,
                    action=kind,
                    pair=key,
                    phase=draw(st.sampled_from(lifecycle.order)),
                    offset=draw(
                        offsets(units=[Unit.WEEKS, Unit.MONTHS], signed=False)
                        | (
                            distributions(units=[Unit.WEEKS, Unit.MONTHS])
                            if uncertain
                            else st.nothing()
                        )
                    ),
                )
            )
        elif kind in ("suspend", "resume", "withdraw"):
            script.append(Action(on=on, action=kind, pair=key))
        elif kind == "request_extension":
            script.append(
                Action(
                    on=on,
                    action=kind,
                    offset=Offset(amount=draw(st.integers(1, 6)), unit=Unit.MONTHS),
                )
            )
        else:
            script.append(Action(on=on, action=kind, by="funder"))
    return Scenario(
        name="drawn", programme=spec, pairs=tuple(specs), durations=durations, script=tuple(script)
    )


def command_values(
    *,
    pairs: Sequence[str] | None = None,
    phases: Sequence[str] | None = None,
    kinds: Sequence[type[Command]] | None = None,
) -> st.SearchStrategy[Command]:
    """Command values (`mentorflow.Complete`, `Enrol`, `GrantExtension`, ...), valid as values;
    whether a programme accepts them is for `Programme.execute` to say.

    Args:
        pairs: The pair keys to draw from (default a few short keys).
        phases: The phases to name (default the default lifecycle's).
        kinds: The command types to draw (default every one).
    """
    keys = st.sampled_from(list(pairs)) if pairs else st.sampled_from(["a", "b", "c"])
    phase = st.sampled_from(list(phases) if phases else [p for p in Phase if p != Phase.COMPLETED])
    at = st.none() | instants()
    note = st.none() | st.text(min_size=1, max_size=8)
    extension = st.sampled_from(["E1", "E2", "E3"])
    who = st.sampled_from(["CEMR", "the Commission"])
    amount = st.integers(1, 12).map(lambda n: Offset(amount=n, unit=Unit.MONTHS))
    builders: dict[type[Command], st.SearchStrategy[Command]] = {
        Enrol: st.builds(
            Enrol,
            pair=keys,
            mentor=partners(country="BE"),
            mentee=partners(country="FR"),
            theme=st.sampled_from(Theme),
            at=at,
            note=note,
        ),
        Complete: st.builds(Complete, pair=keys, phase=phase, at=at, note=note),
        RecordVisit: st.builds(RecordVisit, pair=keys, visit=study_visits(), at=at, note=note),
        RegisterDeliverable: st.builds(
            RegisterDeliverable,
            pair=keys,
            deliverable=deliverables(),
            reference=st.none() | st.just("doc"),
            at=at,
            note=note,
        ),
        DefineBenchmarks: st.builds(
            DefineBenchmarks,
            pair=keys,
            benchmarks=st.lists(benchmarks(), max_size=2).map(tuple),
            at=at,
            note=note,
        ),
        Suspend: st.builds(Suspend, pair=keys, at=at, note=note),
        Resume: st.builds(Resume, pair=keys, at=at, note=note),
        Withdraw: st.builds(Withdraw, pair=keys, at=at, note=note),
        ReplacePartner: st.builds(
            ReplacePartner,
            pair=keys,
            role=st.sampled_from(Role),
            partner=partners(country="IT"),
            at=at,
            note=note,
        ),
        ReachMilestone: st.builds(
            ReachMilestone, milestone=st.just("final_conference"), at=at, note=note
        ),
        RequestExtension: st.one_of(
            st.builds(RequestExtension, reason=st.just("covid"), offset=amount, at=at, note=note),
            st.builds(
                RequestExtension,
                reason=st.just("late"),
                offset=amount,
                phase=phase,
                pair=st.none() | keys,
                at=at,
                note=note,
            ),
        ),
        GrantExtension: st.builds(GrantExtension, extension=extension, by=who, at=at, note=note),
        RefuseExtension: st.builds(
            RefuseExtension,
            extension=extension,
            by=who,
            reason=st.none() | st.just("no"),
            at=at,
            note=note,
        ),
        CheckDeadlines: st.builds(CheckDeadlines, at=at),
        HoldActivity: st.builds(
            HoldActivity,
            activity=activities(),
            milestone=st.none() | st.just("final_conference"),
            at=at,
            note=note,
        ),
    }
    chosen = list(kinds) if kinds else list(builders)
    return st.one_of(*(builders[kind] for kind in chosen))
