"""Property tests of the deadline invariants, for random schedules, pairs and extensions."""

from __future__ import annotations

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow import (
    CalendarBasis,
    DeadlineApproaching,
    DeadlineMissed,
    DeadlineRule,
    Lifecycle,
    ManualClock,
    Phase,
    PolicyViolation,
    Programme,
    Theme,
)
from mentorflow._domain.calendar import calendar_for
from mentorflow._domain.deadlines import END
from mentorflow.testing import deadline_rules

from helpers import partner

TZ = "Europe/Brussels"
START = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
LIFECYCLE = Lifecycle.linear(
    Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.TRANSFER_WORKSHOP, Phase.TRAINING_ACADEMY
)
PARTNERS = [
    partner("Mechelen", "BE", "VVSG"),
    partner("Capaci", "IT", "AICCRE", "PA"),
    partner("Fuenlabrada", "ES", "FEMP", "MD"),
    partner("Livadia", "GR", "KEDE"),
    partner("Jelgava", "LV", "LALRG"),
]
MILESTONES = ["kick_off_report", "final_conference", "final_report"]


def schedules() -> st.SearchStrategy[list[DeadlineRule]]:
    """Acyclic rules for LIFECYCLE and three milestones (mentorflow.testing's own)."""
    return deadline_rules(lifecycle=LIFECYCLE, milestones=MILESTONES)


def programme_with(rules: list[DeadlineRule], couples: list[tuple[int, int]]) -> Programme:
    programme = Programme(
        "p",
        starts_on=START.date(),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        country="BE",
        lifecycle=LIFECYCLE,
        clock=ManualClock(START),
        deadlines=rules,
    )
    for i, (mentor, mentee) in enumerate(couples):
        programme.add_pair(
            f"p{i}", mentor=PARTNERS[mentor], mentee=PARTNERS[mentee], theme=Theme.HOUSING, at=START
        )
    return programme


couples = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 4)).filter(lambda c: c[0] != c[1]),
    min_size=1,
    max_size=3,
)


def dues(programme: Programme) -> dict[tuple[str, str | None], pendulum.Date | None]:
    found = {(d.name, None): d.due_on for d in programme.deadlines()}
    for key in programme.pairs:
        found.update({(d.name, key): d.due_on for d in programme.deadlines(pair=key)})
    return found


@st.composite
def extensions(draw: st.DrawFn, rules: list[DeadlineRule], pairs: int) -> list[tuple[object, ...]]:
    """A few extension requests: of the programme, or of a ruled phase for a pair or all."""
    phases = [r.name for r in rules if r.name in LIFECYCLE.order]
    targets = [None, *phases]
    out = []
    for _ in range(draw(st.integers(1, 3))):
        phase = draw(st.sampled_from(targets))
        pair = None if phase is None else draw(st.sampled_from([None, *range(pairs)]))
        unit = draw(st.sampled_from(["days", "weeks", "months"]))
        amount = draw(st.integers(1, {"days": 60, "weeks": 8, "months": 3}[unit]))
        out.append((phase, pair, unit, amount))
    return out


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_extensions_move_only_dependents_and_never_earlier(data: st.DataObject) -> None:
    """Granting an extension never makes a deadline earlier, and moves only the extended
    item and what depends on it (for a phase of one pair: that pair's)."""
    rules = data.draw(schedules())
    pairs = data.draw(couples)
    programme = programme_with(rules, pairs)
    schedule = None if programme.definition.schedule.empty else programme.definition.schedule
    at = START
    for phase, pair, unit, amount in data.draw(extensions(rules, len(pairs))):
        at = at.add(days=1)
        key = None if pair is None else f"p{pair}"
        before = dues(programme)
        try:
            if phase is None:
                ext = programme.request_extension(reason="r", at=at, **{unit: amount})  # type: ignore[arg-type]
            else:
                ext = programme.request_phase_extension(
                    phase,
                    pair=key,
                    reason="r",
                    at=at,
                    **{unit: amount},  # type: ignore[arg-type]
                )
        except PolicyViolation:
            continue
        programme.grant_extension(ext.key, by="funder", at=at)
        after = dues(programme)
        assert schedule is not None or phase is None
        allowed_names = (
            {phase, *schedule.depends_on(phase)}
            if phase is not None and schedule
            else (schedule.depends_on(END) if schedule else set())
        )
        for name_pair, old in before.items():
            new = after[name_pair]
            if old is None:
                assert new is None  # an extension gives no date to a pending deadline
                continue
            assert new is not None, name_pair
            assert new >= old, (name_pair, old, new)
            if new != old:
                name, owner = name_pair
                assert name in allowed_names, (name_pair, phase)
                if phase is not None and key is not None:
                    assert owner == key
                revisions = programme.deadline(name, pair=owner).revisions
                assert ext.key == revisions[-1].extension


@settings(max_examples=60, deadline=None)
@given(schedules(), couples)
def test_due_dates_are_working_days_of_their_calendar(
    rules: list[DeadlineRule], pairs: list[tuple[int, int]]
) -> None:
    """Every computed due date is a working day of the calendar its rule counts on."""
    programme = programme_with(rules, pairs)
    by_name = {r.name: r for r in rules}
    for deadline in programme.deadlines():
        if deadline.due_on is not None:
            assert calendar_for(("BE",)).is_working_day(deadline.due_on)
    for i, (mentor, mentee) in enumerate(pairs):
        both = tuple(sorted({PARTNERS[mentor].city.region, PARTNERS[mentee].city.region}))
        for deadline in programme.deadlines(pair=f"p{i}"):
            if deadline.due_on is None:
                continue
            basis = by_name[deadline.name].calendar
            regions = {
                CalendarBasis.PROGRAMME: ("BE",),
                CalendarBasis.HOST: (PARTNERS[mentee].city.region,),
            }.get(basis, both)  # type: ignore[call-overload]
            assert calendar_for(regions).is_working_day(deadline.due_on), (deadline, regions)
            if by_name[deadline.name].capped:
                assert deadline.due_on <= programme.ends_on


@settings(max_examples=40, deadline=None)
@given(schedules(), couples)
def test_recomputing_twice_changes_nothing(
    rules: list[DeadlineRule], pairs: list[tuple[int, int]]
) -> None:
    """Recomputing every deadline gives the same dates and adds no revision."""
    programme = programme_with(rules, pairs)
    book = programme._rt.book
    if book is None:
        return
    before = dues(programme)
    revisions = {k: programme.deadline(k[0], pair=k[1]).revisions for k in before}
    book.recompute_all(START.add(days=1), None)
    book.recompute_all(START.add(days=2), None)
    assert before == dues(programme)
    assert revisions == {k: programme.deadline(k[0], pair=k[1]).revisions for k in before}


@settings(max_examples=40, deadline=None)
@given(schedules(), couples, st.lists(st.integers(0, 1200), min_size=1, max_size=8))
def test_checks_are_idempotent(
    rules: list[DeadlineRule], pairs: list[tuple[int, int]], days: list[int]
) -> None:
    """Each alert is emitted at most once per deadline revision, however the checks are
    spread; a second check at the same instant emits nothing."""
    programme = programme_with(rules, pairs)
    seen: set[tuple[object, ...]] = set()
    for offset in sorted(days):
        at = START.add(days=offset)
        for event in programme.check_deadlines(at=at):
            if isinstance(event, DeadlineApproaching | DeadlineMissed):
                key = (type(event), event.deadline, event.pair, event.revision)
                assert key not in seen
                seen.add(key)
        assert programme.check_deadlines(at=at) == ()
    # and everything overdue by the end has been reported missed
    last = START.add(days=max(days))
    for key in [None, *programme.pairs]:
        for deadline in programme.deadlines(pair=key):
            if deadline.status(last).value == "overdue":
                assert (DeadlineMissed, deadline.name, key, deadline.revision) in seen
