"""What drives a programme's end: the bottleneck pair, its critical path, and everyone's slack.

A pair's phases follow one another, so the programme completes when its last pair does: that
pair is the bottleneck, and its phases are the critical path (a day lost in any of them is a
day lost at the end). Every other pair has *float*: the days it can lose before it becomes the
bottleneck; and every pair has *slack*: the days between its completion and the programme's
end (negative: past the end), in calendar days and in working days of its two cities (days on
which both cities' offices are open: weekends, public holidays and closure days excluded).
Each deadline has its own slack: the days between the day it was met and the day it was due.

With ``runs``, the same question is asked of many Monte Carlo runs: each pair's
*criticality* is the share of the runs in which it completed last, and its slack the median.
"""

from __future__ import annotations

import statistics

import attrs
import pendulum

from .._domain.calendar import WorkingCalendar, calendar_for
from .._domain.model import Partner
from ..exceptions import ValidationError
from .scenario import Scenario, Timeline
from .schedule import Runner, luck_of
from .sensitivity import MAX_SENSITIVITY_RUNS, check_runs


@attrs.frozen(kw_only=True)
class PhaseSlack:
    """One phase of one pair.

    Attributes:
        pair: The pair.
        phase: The phase.
        started_on: The day it started.
        ended_on: The day it ended (None if it never did).
        days: How long it took, in days (None if it never ended).
        critical: Whether it is on the critical path (a phase of the bottleneck pair).
        host: The city that hosted its study visit, if it had one.
        due_on: The day the pair's deadline of this phase was due, if it has one.
        deadline_slack_days: ``due_on - ended_on`` in days (negative: late).
        deadline_slack_working_days: The same in working days of the pair's cities.
    """

    pair: str
    phase: str
    started_on: pendulum.Date
    ended_on: pendulum.Date | None
    days: int | None
    critical: bool
    host: str | None
    due_on: pendulum.Date | None
    deadline_slack_days: int | None
    deadline_slack_working_days: int | None


@attrs.frozen(kw_only=True)
class PairSlack:
    """One pair against the programme's end and the bottleneck.

    Attributes:
        pair: The pair.
        mentor: The mentor city.
        mentee: The mentee city.
        completed_on: The day it completed (None: it never did).
        slack_days: ``ends_on - completed_on`` in days (negative: it completed after the end).
        slack_working_days: The same in working days of its two cities.
        float_days: How many days it can lose before the programme completes later (0 for the
            bottleneck).
        critical: Whether it is the bottleneck (the last to complete; ties all are).
        criticality: With runs: the share of the runs in which it completed last.
        slack_days_p50: With runs: its median slack in days.
    """

    pair: str
    mentor: str
    mentee: str
    completed_on: pendulum.Date | None
    slack_days: int | None
    slack_working_days: int | None
    float_days: int | None
    critical: bool
    criticality: float | None = None
    slack_days_p50: float | None = None


@attrs.frozen(kw_only=True)
class BottleneckReport:
    """What drives a programme's end.

    Attributes:
        scenario: The scenario's name.
        ends_on: The programme's last day (as extended in the simulation).
        completed_on: The day its last pair completed (None if none did).
        pair: The bottleneck: the pair that completed last (None if none did).
        phase: The longest phase on the critical path.
        host: The city that hosted that phase's study visit (None: it had none).
        path: The critical path: the bottleneck's phases, in order.
        pairs: Every pair's slack and float.
        phases: Every pair's every phase, with its deadline's slack.
        runs: How many Monte Carlo runs the criticality counts (0: the median run only).
    """

    scenario: str
    ends_on: pendulum.Date
    completed_on: pendulum.Date | None
    pair: str | None
    phase: str | None
    host: str | None
    path: tuple[PhaseSlack, ...]
    pairs: tuple[PairSlack, ...]
    phases: tuple[PhaseSlack, ...]
    runs: int = 0


def working_days_between(
    calendar: WorkingCalendar, start: pendulum.Date, end: pendulum.Date
) -> int:
    """The working days after ``start`` up to and including ``end`` (negative if ``end`` is
    before ``start``: the working days after ``end`` up to ``start``)."""
    sign, low, high = (1, start, end) if end >= start else (-1, end, start)
    count = 0
    day = low.toordinal() + 1
    while day <= high.toordinal():
        if calendar.is_working_day(pendulum.Date.fromordinal(day)):
            count += 1
        day += 1
    return sign * count


def _regions(*partners: Partner) -> tuple[str, ...]:
    found = []
    for partner in partners:
        city = partner.city
        found.append(city.country if not city.subdivision else f"{city.country}-{city.subdivision}")
    return tuple(sorted(set(found)))


def bottleneck(
    scenario: object,
    timeline: Timeline | None = None,
    *,
    runs: int = 0,
    seed: int = 0,
) -> BottleneckReport:
    """The bottleneck, critical path and slack of ``scenario``.

    Args:
        scenario: The `Scenario`.
        timeline: Its simulated timeline (default: ``scenario.simulate()``, the median run).
        runs: With more than 0, also each pair's criticality and median slack over that many
            Monte Carlo runs (the same luck as `montecarlo` with ``seed``).
        seed: The Monte Carlo seed.

    Raises:
        ValidationError: not a scenario, or ``runs`` or ``seed`` out of range.

    Examples:
        >>> from mentorflow.scenario import bottleneck, load_scenario
        >>> found = bottleneck(load_scenario("urbact-transfer-network"))
        >>> found.pair, str(found.completed_on), found.phase
        ('almada-udine', '2026-06-03', 'transfer_learning')
        >>> [(p.pair, p.slack_days, p.float_days) for p in found.pairs][:2]
        [('almada-tartu', 1, 96), ('almada-udine', -95, 0)]
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError("scenario", f"must be a Scenario, not {type(scenario).__name__}")
    if timeline is not None and not isinstance(timeline, Timeline):
        raise ValidationError("timeline", f"must be a Timeline, not {type(timeline).__name__}")
    check_runs(runs, MAX_SENSITIVITY_RUNS, least=0)
    check_runs(seed, None, "seed", 0)
    timeline = scenario.simulate() if timeline is None else timeline
    specs = {p.key: p for p in scenario.pairs}
    calendars = {k: calendar_for(_regions(p.mentor, p.mentee)) for k, p in specs.items()}
    ended: dict[str, list[pendulum.Date]] = {}
    stopped: set[str] = set()  # withdrawn, suspended or unfinished: no completion
    for span in timeline.phases:
        if span.ended_on is None:
            stopped.add(span.pair)
        else:
            ended.setdefault(span.pair, []).append(span.ended_on)
    done = {k: None if k in stopped or k not in ended else max(ended[k]) for k in specs}
    last = timeline.completed_on
    critical = {k for k, day in done.items() if day is not None and day == last}
    lead = next((k for k in specs if k in critical), None)
    due = {(d.pair, d.name): d.due_on for d in timeline.deadlines if d.pair is not None}
    hosts = {(v.pair, v.number): v.host for v in timeline.visits}
    lifecycle = scenario.programme.lifecycle
    phases = []
    for span in timeline.phases:
        cal = calendars.get(span.pair, calendar_for(()))
        due_on = due.get((span.pair, span.phase))
        step = lifecycle.step(span.phase) if span.phase in lifecycle.order else None
        visit = None if step is None else step.visit
        gap = None if due_on is None or span.ended_on is None else (due_on - span.ended_on).days
        phases.append(
            PhaseSlack(
                pair=span.pair,
                phase=span.phase,
                started_on=span.started_on,
                ended_on=span.ended_on,
                days=None if span.ended_on is None else (span.ended_on - span.started_on).days,
                critical=span.pair in critical,
                host=None if visit is None else hosts.get((span.pair, visit)),
                due_on=due_on,
                deadline_slack_days=gap,
                deadline_slack_working_days=(
                    None
                    if gap is None or span.ended_on is None or due_on is None
                    else working_days_between(cal, span.ended_on, due_on)
                ),
            )
        )
    odds, slack50 = _runs(scenario, runs, seed) if runs else ({}, {})
    pairs = []
    for key, spec in specs.items():
        day = done.get(key)
        pairs.append(
            PairSlack(
                pair=key,
                mentor=spec.mentor.city.name,
                mentee=spec.mentee.city.name,
                completed_on=day,
                slack_days=None if day is None else (timeline.ends_on - day).days,
                slack_working_days=(
                    None
                    if day is None
                    else working_days_between(calendars[key], day, timeline.ends_on)
                ),
                float_days=None if day is None or last is None else (last - day).days,
                critical=key in critical,
                criticality=odds.get(key),
                slack_days_p50=slack50.get(key),
            )
        )
    path = tuple(p for p in phases if p.pair == lead and p.days is not None)
    longest = max(path, key=lambda p: p.days or 0, default=None)
    return BottleneckReport(
        scenario=timeline.scenario,
        ends_on=timeline.ends_on,
        completed_on=last,
        pair=lead,
        phase=None if longest is None else longest.phase,
        host=None if longest is None else longest.host,
        path=path,
        pairs=tuple(pairs),
        phases=tuple(phases),
        runs=runs,
    )


def _runs(scenario: Scenario, runs: int, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """Each pair's share of runs completed last, and its median slack in days."""
    runner = Runner(scenario)
    batch = [luck_of(scenario, seed, run) for run in range(runs)]
    runner.check(batch)
    outcomes = [runner.planned(b) if runner.fast else runner.simulated(b) for b in batch]
    end = scenario.programme.ends_on.toordinal()
    last: dict[str, int] = dict.fromkeys(runner.pairs, 0)
    slack: dict[str, list[int]] = {p: [] for p in runner.pairs}
    for outcome in outcomes:
        for pair, day in zip(runner.pairs, outcome.pairs, strict=True):
            if day is None:
                continue
            slack[pair].append(end - day)
            if day == outcome.completed:
                last[pair] += 1
    return (
        {p: n / runs for p, n in last.items()},
        {p: float(statistics.median(s)) for p, s in slack.items() if s},
    )
