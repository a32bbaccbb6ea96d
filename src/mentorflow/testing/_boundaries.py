"""The days where house rules switch: a drawn instant that lands on a boundary that matters.

A rule such as "the mid-term review is completed within 45 days of the end of visit 2" is
right or wrong on one day: the 45th (or 46th) after a day of the pair's own history. Random
steps of time rarely land there. These draws do: a day of the pair's history (the start of
its phase, a visit's first or last day, its enrolment, a suspension or a resumption), then a
usual period after it (7, 14, 30, 45, 60 and 90 days, 1, 3 and 6 months, and the offsets of
the programme's own deadline rules) and the day before, on or after it; or the day before,
on or after one of the pair's deadlines (due dates fall on working days: the day after a
weekend or a holiday is one of them).
"""

from __future__ import annotations

import pendulum
from hypothesis import strategies as st

from .._core.programme import Pair, Programme
from .._domain.calendar import add_months
from .._domain.deadlines import Offset, Unit
from .._domain.events import PairEnrolled, PairResumed, PairSuspended, PhaseStarted

PERIODS: tuple[Offset, ...] = (
    *(Offset(amount=n) for n in (7, 14, 30, 45, 60, 90)),
    *(Offset(amount=n, unit=Unit.MONTHS) for n in (1, 3, 6)),
)
"""The usual periods of house rules, after a day of a pair's history."""

_NEAR = (0, -1, 1)  # on the boundary first, then the day before and after
_CALENDAR = (Unit.DAYS, Unit.WEEKS, Unit.MONTHS)
_STATUS = (PairSuspended, PairResumed)
_CHANGES = (PairEnrolled, PhaseStarted, *_STATUS)
_LIKELY = 4  # how many anchors are drawn one by one (the others together)


def anchors(pair: Pair) -> list[pendulum.Date]:
    """The days of ``pair``'s history a rule may count from (local dates), the likeliest
    first: the start of its current phase, its latest visit's last and first days, its
    enrolment; then the other days it started a phase, was suspended or resumed, and its other
    visits' days, most recent first."""
    zone = pair.programme.timezone
    changes = [e for e in reversed(pair.history) if isinstance(e, _CHANGES)]
    started = [e.at.in_tz(zone).date() for e in changes if not isinstance(e, _STATUS)]
    days = started[:1]
    for visit in reversed(pair.visits):
        days += [visit.ends_on, visit.starts_on]
        if len(days) == 3:
            days.append(started[-1])  # enrolment
    days += [e.at.in_tz(zone).date() for e in changes]
    return list(dict.fromkeys(days))


def _periods(programme: Programme) -> list[Offset]:
    # the usual periods, then the offsets of the programme's deadline rules (a house rule
    # often reuses them); periods of working days are left to the deadlines' own dates
    rules = programme.definition.schedule.by_name.values()
    own = [r.offset for r in rules if r.offset.amount > 0 and r.offset.unit in _CALENDAR]
    return list(dict.fromkeys([*PERIODS, *own]))


def _after(day: pendulum.Date, offset: Offset) -> pendulum.Date:
    if offset.unit is Unit.MONTHS:
        return add_months(day, offset.amount)
    weeks = offset.amount if offset.unit is Unit.WEEKS else 0
    days = offset.amount if offset.unit is Unit.DAYS else 0
    return day.add(weeks=weeks, days=days)


def _dues(pair: Pair) -> list[pendulum.Date]:
    # the pair's deadlines still to meet; without any, every dated deadline of the pair and
    # the programme's milestones
    programme = pair.programme
    mine = programme.deadlines(pair=pair.key)
    live = [d.due_on for d in mine if d.due_on and not (d.met_at or d.withdrawn or d.skipped)]
    if live:
        return live
    return [d.due_on for d in (*mine, *programme.deadlines()) if d.due_on]


def boundaries(pair: Pair, anchor: pendulum.Date | None) -> list[pendulum.Date]:
    """The days around the usual periods after ``anchor``, or (None) around ``pair``'s
    deadlines (due dates as extended: those still to meet, if any)."""
    if anchor is None:
        return [due.add(days=n) for due in _dues(pair) for n in _NEAR]
    return [
        _after(anchor, offset).add(days=n) for offset in _periods(pair.programme) for n in _NEAR
    ]


_REST = -1
_DEADLINES = -2


@st.composite
def boundary_days(draw: st.DrawFn, pair: Pair, after: pendulum.Date) -> pendulum.Date | None:
    """A boundary day of ``pair`` later than ``after``, the nearest ones likelier; None if
    there is none. What it counts from is one of the likeliest `anchors` (one chance each),
    any of the others (one chance), or (two chances, if the programme has deadline rules) a
    deadline."""
    days = anchors(pair)
    kinds = list(range(min(len(days), _LIKELY)))
    if len(days) > _LIKELY:
        kinds.append(_REST)
    if not pair.programme.definition.schedule.empty:
        kinds += [_DEADLINES, _DEADLINES]
    kind = draw(st.sampled_from(kinds), label="counted from")
    anchor: pendulum.Date | None = None
    if kind == _REST:
        anchor = draw(st.sampled_from(days[_LIKELY:]), label="counted from")
    elif kind != _DEADLINES:
        anchor = days[kind]
    found = sorted({day for day in boundaries(pair, anchor) if day > after})
    if not found:
        return None
    nearest = 0  # the nearest first: a pair's next move tends to come soon
    while nearest < len(found) - 1 and draw(_FURTHER, label="further"):
        nearest += 1
    return found[nearest]


_FURTHER = st.integers(0, 9).map(lambda n: n >= 3)  # 7 in 10; shrinks to no


def retry_days(pair: Pair, vetoed: pendulum.Date, tries: int = 40) -> list[pendulum.Date]:
    """When to try again a move of ``pair`` vetoed on ``vetoed`` by a house rule: the boundary
    days since its last change, latest first (a rule that closes a window: the first accepted
    is the last day of the window); then the next seven days (a rule about days of the week);
    then the boundary days after them, earliest first (a rule that opens a window). Each
    boundary is tried on both of its sides, so a rule that switches a day early or late is
    met where it differs. At most ``tries`` days."""
    since = pair.last_changed_at.in_tz(pair.programme.timezone).date()
    days: set[pendulum.Date] = set()
    for anchor in [*anchors(pair), None]:
        days.update(boundaries(pair, anchor))
    week = [vetoed.add(days=n) for n in range(1, 8)]
    before = sorted((d for d in days if since < d < vetoed), reverse=True)
    after = sorted(d for d in days if d > week[-1])
    return [*before, *week, *after][:tries]
