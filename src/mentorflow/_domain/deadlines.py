"""Deadline rules: what is due when, as a validated dependency graph, and how dates are computed.

A rule names a deadline: a phase of the lifecycle (each pair must complete it by then) or a
programme milestone (the final conference, a report). Its date is absolute, or an offset from
an *anchor*:

* ``programme.start`` and ``programme.end`` (the end moves with programme extensions);
* another milestone, by its name;
* ``<phase>.started`` or ``<phase>.completed`` (phase deadlines only: the pair's own).

An anchor's value is the day it actually happened if it has; otherwise its own due date (a
projection). ``<phase>.started`` of a phase not yet started is projected from the previous
phase's completion. An anchor with neither leaves the deadline *pending* (no date yet).
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs
import pendulum

from ..exceptions import DefinitionError, ValidationError
from . import validate as v
from .calendar import WorkingCalendar, add_months
from .lifecycle import Lifecycle, Phase
from .validate import show

START = "programme.start"
END = "programme.end"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_VISIT_PHASE = re.compile(r"study_visit_[0-9]+")
_PHASE_NAMES = frozenset(p.value for p in Phase if p is not Phase.COMPLETED)


class Unit(enum.StrEnum):
    """What an offset counts."""

    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    WORKING_DAYS = "working_days"


class CalendarBasis(enum.StrEnum):
    """Whose working days count for a deadline.

    The default is ``PROGRAMME`` for programme milestones and ``PAIR`` for phase deadlines.
    """

    PROGRAMME = "programme"
    """The programme's country (and subdivision)."""
    HOST = "host"
    """The city hosting the action: for a study visit phase whose visit is recorded, the city
    that hosted it; otherwise the mentee city."""
    PAIR = "pair"
    """Both cities of the pair: a working day in both."""


def _unit(value: Unit | str) -> Unit:
    return v.enum_value("unit", Unit, value)


@attrs.frozen(kw_only=True)
class Offset:
    """An amount of time: ``Offset(amount=3, unit=Unit.MONTHS)``; negative counts backwards."""

    amount: int = attrs.field(validator=v.instance_of("amount", int))
    unit: Unit = attrs.field(default=Unit.DAYS, converter=_unit)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.amount, bool):
            raise ValidationError("amount", "must be a whole number, not bool")
        v.span(self.unit.value, self.amount, self.unit.value)

    def after(self, day: pendulum.Date, calendar: WorkingCalendar) -> pendulum.Date:
        """The day this offset after ``day`` (working days are counted on ``calendar``)."""
        # ordinal arithmetic: pendulum's own date addition is ~20x slower
        if self.unit is Unit.DAYS:
            return pendulum.Date.fromordinal(day.toordinal() + self.amount)
        if self.unit is Unit.WEEKS:
            return pendulum.Date.fromordinal(day.toordinal() + 7 * self.amount)
        if self.unit is Unit.MONTHS:
            return add_months(day, self.amount)
        return calendar.add_working_days(day, self.amount)

    def __str__(self) -> str:
        words = self.unit.value.replace("_", " ")
        return f"{self.amount} {words[:-1] if abs(self.amount) == 1 else words}"


def extend(
    day: pendulum.Date, offsets: Iterable[Offset], calendar: WorkingCalendar
) -> pendulum.Date:
    """``day`` moved by all ``offsets`` together: months first, then days and weeks, then
    working days, each unit totalled. Totalling keeps a month's end a month's end: 31 December
    plus 6 months, then 4, then 2, is 31 December (applied one by one it would be the 30th)."""
    months = days = working = 0
    for offset in offsets:
        if offset.unit is Unit.MONTHS:
            months += offset.amount
        elif offset.unit is Unit.WORKING_DAYS:
            working += offset.amount
        else:
            days += offset.amount * (7 if offset.unit is Unit.WEEKS else 1)
    if months:
        day = add_months(day, months)
    if days:
        day = pendulum.Date.fromordinal(day.toordinal() + days)
    if working:
        day = calendar.add_working_days(day, working)
    return day


def _offset_fields(rule: DeadlineRule) -> list[tuple[str, int]]:
    return [
        (name, value)
        for name in ("days", "weeks", "months", "working_days")
        if (value := getattr(rule, name)) is not None
    ]


def _optional_date(value: dt.date | None) -> pendulum.Date | None:
    return None if value is None else v.date_value("on", value)


def _basis(value: CalendarBasis | str | None) -> CalendarBasis | None:
    return None if value is None else v.enum_value("calendar", CalendarBasis, value)


@attrs.frozen
class DeadlineRule:
    """When a phase or a programme milestone is due.

    Args:
        name: A phase of the lifecycle (each pair must complete it by then) or the name of a
            programme milestone (``"final_conference"``, ``"final_report"``).
        on: An absolute date. Give either ``on`` or ``after``.
        after: The anchor the offset counts from: ``"programme.start"``, ``"programme.end"``,
            a milestone's name, ``"<phase>.started"`` or ``"<phase>.completed"``.
        days, weeks, months, working_days: The offset from the anchor (one of them; none means
            the anchor's own day). Negative counts backwards.
        capped: Never later than the programme's end: a date past it becomes the last working
            day on or before the end.
        lead_days: Warn this many days before (``DeadlineApproaching``); 0 means no warning.
        calendar: Whose working days count (`CalendarBasis`); default ``PROGRAMME`` for
            milestones and ``PAIR`` for phases.
        month_end: With ``months=``, the period ends on the last day of the month it lands in
            (28 February + 3 months is 31 May, not 28 May as Art. 3(2)(c) counts). Then the
            working-day rule applies as to any date.

    A computed date always falls on a working day of its calendar: a date that falls on a
    weekend or a public holiday moves to the next working day (Regulation 1182/71 Art. 3(4)),
    unless the offset is negative: a period counted backwards from its anchor is not rolled
    forward (Art. 3(4), second sentence) but moves to the last working day on or before it.

    Examples:
        >>> from mentorflow import DeadlineRule
        >>> DeadlineRule("final_report", after="final_conference", days=60).offset
        Offset(amount=60, unit=<Unit.DAYS: 'days'>)
    """

    name: str = attrs.field(validator=v.text("name"))
    on: pendulum.Date | None = attrs.field(default=None, kw_only=True, converter=_optional_date)
    after: str | None = attrs.field(default=None, kw_only=True, validator=v.optional_text("after"))
    days: int | None = attrs.field(default=None, kw_only=True)
    weeks: int | None = attrs.field(default=None, kw_only=True)
    months: int | None = attrs.field(default=None, kw_only=True)
    working_days: int | None = attrs.field(default=None, kw_only=True)
    capped: bool = attrs.field(default=False, kw_only=True)
    lead_days: int = attrs.field(default=0, kw_only=True)
    calendar: CalendarBasis | None = attrs.field(default=None, kw_only=True, converter=_basis)
    month_end: bool = attrs.field(default=False, kw_only=True)

    def __attrs_post_init__(self) -> None:
        given = _offset_fields(self)
        for field, value in given:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValidationError(field, f"must be a whole number, not {show(value)}")
            v.span(field, value, field)
        if (self.on is None) == (self.after is None):
            raise ValidationError("on", "give either an absolute date (on=) or an anchor (after=)")
        if self.on is not None and given:
            raise ValidationError(given[0][0], "an absolute date takes no offset")
        if len(given) > 1:
            raise ValidationError(
                given[1][0], f"give one offset, not {given[0][0]} and {given[1][0]}"
            )
        if (
            not isinstance(self.lead_days, int)
            or isinstance(self.lead_days, bool)
            or self.lead_days < 0
        ):
            raise ValidationError(
                "lead_days", f"must be a whole number >= 0, not {show(self.lead_days)}"
            )
        v.span("lead_days", self.lead_days, "days")
        if not isinstance(self.capped, bool):
            raise ValidationError("capped", f"must be True or False, not {show(self.capped)}")
        if not isinstance(self.month_end, bool):
            raise ValidationError("month_end", f"must be True or False, not {show(self.month_end)}")
        if self.month_end and self.months is None:
            raise ValidationError(
                "month_end", "anchors a period in months to the month's end: give months="
            )

    @property
    def retroactive(self) -> bool:
        """Whether the period is counted backwards from its anchor (a negative offset): Art. 3(4)
        of Regulation 1182/71 then does not move its end to the next working day."""
        return (
            (self.days or 0) < 0
            or (self.weeks or 0) < 0
            or (self.months or 0) < 0
            or (self.working_days or 0) < 0
        )

    @property
    def offset(self) -> Offset:
        """The offset from the anchor (0 days for an absolute date or no offset given)."""
        given = _offset_fields(self)
        if not given:
            return Offset(amount=0)
        field, amount = given[0]
        return Offset(amount=amount, unit=Unit(field))


# -- a validated schedule ---------------------------------------------------------------


@attrs.frozen
class Schedule:
    """A programme's deadline rules, validated against its lifecycle and sorted so that every
    rule comes after the rules it depends on."""

    lifecycle: Lifecycle
    milestones: tuple[DeadlineRule, ...]
    """Programme milestones, dependencies first."""
    phases: tuple[DeadlineRule, ...]
    """Phase deadlines, dependencies first."""
    by_name: Mapping[str, DeadlineRule]

    @property
    def empty(self) -> bool:
        """Whether there are no rules at all."""
        return not self.by_name

    def depends_on(self, name: str) -> set[str]:
        """Every rule that depends on ``name`` (a rule, or ``programme.end``), transitively."""
        found: set[str] = set()
        frontier = {name}
        while frontier:
            new = {
                rule.name
                for rule in self.by_name.values()
                if rule.name not in found and _needs(self.lifecycle, rule) & frontier
            }
            found |= new
            frontier = new
        return found


def _needs(lifecycle: Lifecycle, rule: DeadlineRule) -> set[str]:
    """What a rule's date is computed from: rule names, ``programme.start``/``programme.end``."""
    needs = {END} if rule.capped else set()
    anchor = rule.after
    if anchor is None:
        return needs
    if anchor in (START, END):
        return needs | {anchor}
    phase, _, event = anchor.rpartition(".")
    if event == "completed":
        return needs | {phase}
    if event == "started":
        order = lifecycle.order
        index = order.index(phase)
        return needs | ({order[index - 1]} if index else set())
    return needs | {anchor}


def make_schedule(rules: Iterable[DeadlineRule], lifecycle: Lifecycle) -> Schedule:
    """Validate ``rules`` against ``lifecycle``.

    Raises:
        DefinitionError: naming the rule: a duplicate, an unknown anchor, a milestone anchored
            on a phase, or a cycle.
    """
    rules = tuple(rules)
    phases = set(lifecycle.order)
    by_name: dict[str, DeadlineRule] = {}
    where: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if not isinstance(rule, DeadlineRule):
            raise DefinitionError(
                f"deadlines[{i}]", f"must be a DeadlineRule, not {type(rule).__name__}"
            )
        if not _NAME.fullmatch(rule.name):
            raise DefinitionError(
                f"deadlines[{i}].name", f"{show(rule.name)} is not a lower_snake_case name"
            )
        if rule.name in by_name:
            raise DefinitionError(
                f"deadlines[{i}].name",
                f"{show(rule.name)} is a duplicate of deadlines[{where[rule.name]}]",
            )
        by_name[rule.name], where[rule.name] = rule, i
    milestones = {name for name in by_name if name not in phases}
    for name in (n for n in by_name if n in milestones):
        if name in _PHASE_NAMES or _VISIT_PHASE.fullmatch(name):
            # a phase's deadline for a phase the lifecycle lacks would silently become a
            # programme milestone that no pair ever meets
            raise DefinitionError(
                f"deadlines[{where[name]}].name",
                f"{show(name)} is named like a phase, but the lifecycle has no such phase "
                f"({', '.join(map(str, lifecycle.order))}); add it to the lifecycle (a study "
                "visit with its visit rule: Step(phase=..., visit=N)) or name the milestone "
                "otherwise",
            )
    for name in (n for n in by_name if n in milestones):
        basis = by_name[name].calendar
        if basis not in (None, CalendarBasis.PROGRAMME):
            raise DefinitionError(
                f"deadlines[{where[name]}].calendar",
                f"milestone {show(name)} belongs to no pair: it counts the programme's working "
                "days, "
                f"not {show(basis.value)}",
            )
    for name, rule in by_name.items():
        field = f"deadlines[{where[name]}].after"
        anchor = rule.after
        if anchor is None or anchor in (START, END) or anchor in milestones:
            continue
        phase, _, event = anchor.rpartition(".")
        if event in ("started", "completed") and phase in phases:
            if name in milestones:
                raise DefinitionError(
                    field,
                    f"milestone {show(name)} can't depend on {show(anchor)}: each pair has its "
                    "own phases",
                )
            continue
        raise DefinitionError(
            field,
            f"{show(anchor)} ({name}) is not programme.start, programme.end, a milestone, or "
            "<phase>.started / <phase>.completed of the lifecycle",
        )
    order = _sort(by_name, lifecycle, where)
    _check_reach(by_name, lifecycle, where, order)
    return Schedule(
        lifecycle=lifecycle,
        milestones=tuple(by_name[n] for n in order if n in milestones),
        phases=tuple(by_name[n] for n in order if n not in milestones),
        by_name=by_name,
    )


MAX_REACH_DAYS = 657_450
"""How far (1,800 years, in days) a deadline may be from the dates it is computed from,
following its chain of anchors, with the 100 years of extensions each rule and the programme's
end may be granted. With every date given between 1900 and 2999, every computed date stays
within the calendar."""
_DAYS_PER = {"days": 1, "weeks": 7, "months": 31, "working_days": 2}  # at most, per unit
_EXTENDED = 2 * 36_525  # extensions of a phase for every pair, then for the one pair


def _check_reach(
    by_name: Mapping[str, DeadlineRule],
    lifecycle: Lifecycle,
    where: Mapping[str, int],
    order: Sequence[str],
) -> None:
    """Refuse a schedule whose chains of offsets reach further than `MAX_REACH_DAYS`."""
    reach: dict[str, int] = {}
    for name in order:
        rule = by_name[name]
        own = sum(abs(amount) * _DAYS_PER[unit] for unit, amount in _offset_fields(rule))
        needs = _needs(lifecycle, rule)
        before = max((reach[n] for n in needs if n in reach), default=0)
        if END in needs:
            before = max(before, 36_525)  # the programme's end, extended by 100 years
        reach[name] = own + _EXTENDED + before
        if reach[name] > MAX_REACH_DAYS:
            raise DefinitionError(
                f"deadlines[{where[name]}]",
                f"{show(name)} is computed through a chain of offsets that, with the extensions "
                f"they may be granted, reaches {reach[name] // 365} years from the dates it "
                f"counts from; at most {MAX_REACH_DAYS // 365} years",
            )


def _sort(
    by_name: Mapping[str, DeadlineRule], lifecycle: Lifecycle, where: Mapping[str, int]
) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1: in progress, 2: done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = " -> ".join([*path[path.index(name) :], name])
            first = path[path.index(name)]
            raise DefinitionError(
                f"deadlines[{where[first]}].after", f"the rules depend on themselves: {loop}"
            )
        state[name] = 1
        for need in sorted(_needs(lifecycle, by_name[name])):
            if need in by_name:
                visit(need, [*path, name])
        state[name] = 2
        order.append(name)

    for name in by_name:
        visit(name, [])
    return order


# -- computing dates --------------------------------------------------------------------


def due_date(
    rule: DeadlineRule,
    anchor_value: pendulum.Date | None,
    calendar: WorkingCalendar,
    end: pendulum.Date,
    extensions: Iterable[Offset] = (),
) -> pendulum.Date | None:
    """The due date of ``rule`` given its anchor's value, or None while the anchor is unknown.

    Extensions granted for this deadline are added to the offset's result (see `extend`). The date
    then moves to the next working day (the EU rule, Art. 3(4) first sentence), except for a
    period counted backwards from its anchor (`DeadlineRule.retroactive`), which Art. 3(4)'s second
    sentence exempts from that roll: it moves to the last working day on or before it instead, so
    the notice it gives is never shortened. A capped rule is due no later than the last working day
    on or before ``end``.
    """
    if rule.on is not None:
        day = rule.on
    elif anchor_value is None:
        return None
    else:
        day = _shift(rule, anchor_value, calendar)
    extensions = tuple(extensions)
    if extensions:
        # an extension is a new period counted forward from the old date: rolled forward
        day = calendar.roll_forward(extend(day, extensions, calendar))
    elif rule.retroactive:
        day = calendar.roll_back(day)
    else:
        day = calendar.roll_forward(day)
    if rule.capped and day > end:
        day = calendar.roll_back(end)
    return day


def _shift(rule: DeadlineRule, day: pendulum.Date, calendar: WorkingCalendar) -> pendulum.Date:
    """``day`` moved by the rule's offset: ``rule.offset.after(day, calendar)`` without building
    the `Offset` (due dates are recomputed after every phase that moves them)."""
    if rule.days is not None:
        return pendulum.Date.fromordinal(day.toordinal() + rule.days)
    if rule.weeks is not None:
        return pendulum.Date.fromordinal(day.toordinal() + 7 * rule.weeks)
    if rule.months is not None:
        day = add_months(day, rule.months)
        return month_end(day) if rule.month_end else day
    if rule.working_days is not None:
        return calendar.add_working_days(day, rule.working_days)
    return day  # no offset: the anchor's own day


def month_end(day: pendulum.Date) -> pendulum.Date:
    """The last day of ``day``'s month."""
    return pendulum.Date(day.year, day.month, _stdcal.monthrange(day.year, day.month)[1])


def end_of_day(day: pendulum.Date, tz: pendulum.Timezone) -> pendulum.DateTime:
    """The last instant of ``day`` in ``tz`` (a deadline ends at the end of its day)."""
    return pendulum.datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tz=tz)


def start_of_day(
    day: pendulum.Date, tz: pendulum.Timezone | pendulum.FixedTimezone | None
) -> pendulum.DateTime:
    """The first instant of ``day`` in ``tz``."""
    return pendulum.datetime(day.year, day.month, day.day, tz=tz)
