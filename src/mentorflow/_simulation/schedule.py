"""Many runs of a scenario with chosen luck: the engine behind sensitivity, sweeps and criticality.

A `Runner` gives, for a run's uniform numbers (one per slot, see `slots`), when each pair and
the programme completed and how many months of extension that needed. It runs `simulate` on
the real programme, unless the scenario is *plan-only*: its script is delays of named phases
and nothing else (no command the rules could refuse, nothing that moves the programme's end).
Then each pair's phases follow one another exactly as `simulate` plans them (a phase ends its
planned duration, plus the delays that reach it before it ends, after the previous one), and
the runner works the dates out from the plan alone, about fifty times faster, re-working only
the phases a changed slot can move. The plan-only path is checked against `simulate` on the
median run and the first runs of every batch; if the two ever differ, the runner uses
`simulate` for everything.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence

import attrs
import pendulum

from .._domain.calendar import add_months, calendar_for
from .._domain.deadlines import Offset, Unit, extend
from .._domain.distributions import Distribution
from .montecarlo import rng
from .scenario import Scenario, Timeline, simulate_luck, slots

Instant = tuple[int, int]
"""A day's ordinal and the hour: 9 on the programme's first morning, 17 for what happens later."""
Totals = tuple[int, int, int]
"""An amount of time as whole months, days and working days (`extend` totals each unit)."""
_NONE: Totals = (0, 0, 0)
CHECKED_RUNS = 8
"""How many runs of a batch the plan-only path is checked against `simulate` (besides the
median run)."""


@attrs.frozen
class Outcome:
    """One run: each pair's completion (a day's ordinal; None if it never completed, in the
    scenario's order of pairs), the programme's (its last pair's), and the months of extension
    it needed (0: none)."""

    pairs: tuple[int | None, ...]
    completed: int | None
    extension: int


def luck_of(scenario: Scenario, seed: int, run: int) -> list[float]:
    """The uniform numbers of run ``run`` of ``seed``: what `montecarlo` draws for it."""
    draw = rng(seed, run).random
    return [draw() for _ in slots(scenario)]


def extension_months(ends_on: pendulum.Date, completed: int | None) -> int:
    """The fewest whole months of extension that take ``ends_on`` to ``completed`` (0: none),
    as `Timeline.smallest_extension` counts them."""
    if completed is None or completed <= ends_on.toordinal():
        return 0
    months = 1
    while add_months(ends_on, months).toordinal() < completed:
        months += 1
    return months


def outcome_of(timeline: Timeline, pairs: Sequence[str]) -> Outcome:
    """The outcome of a simulated run."""
    done: dict[str, int] = {}
    stopped: set[str] = set()
    for span in timeline.phases:
        if span.ended_on is None:
            stopped.add(span.pair)
        else:
            done[span.pair] = max(span.ended_on.toordinal(), done.get(span.pair, 0))
    completed = None if timeline.completed_on is None else timeline.completed_on.toordinal()
    extension = timeline.smallest_extension
    return Outcome(
        pairs=tuple(None if p in stopped else done.get(p) for p in pairs),
        completed=completed,
        extension=0 if extension is None else extension.amount,
    )


def totals(offsets: Sequence[Offset]) -> Totals:
    """``offsets`` as whole months, days and working days."""
    by: Counter[Unit] = Counter()
    for offset in offsets:
        by[offset.unit] += offset.amount
    return (by[Unit.MONTHS], by[Unit.DAYS] + 7 * by[Unit.WEEKS], by[Unit.WORKING_DAYS])


@functools.lru_cache(maxsize=65536)
def _moved(ordinal: int, months: int, days: int, working: int) -> int:
    """The day ``extend`` gives (planned durations count working days on weekends only)."""
    offsets = [_offset(months, Unit.MONTHS), _offset(days, Unit.DAYS)]
    offsets.append(_offset(working, Unit.WORKING_DAYS))
    return extend(pendulum.Date.fromordinal(ordinal), offsets, calendar_for(())).toordinal()


@functools.lru_cache(maxsize=4096)
def _offset(amount: int, unit: Unit) -> Offset:
    return Offset(amount=amount, unit=unit)


def plan_only(scenario: Scenario) -> bool:
    """Whether the scenario's script is delays of named phases of named pairs (or ``"*"``)."""
    return all(a.action == "delay" and a.phase is not None for a in scenario.script)


class Runner:
    """Outcomes of runs of ``scenario`` for given luck (see the module's docstring)."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.slots = slots(scenario)
        self.pairs = [p.key for p in scenario.pairs]
        # a phase that takes time ends on a working day of both cities (as `simulate` plans)
        self.regions = {
            p.key: tuple(sorted({p.mentor.city.region, p.mentee.city.region}))
            for p in scenario.pairs
        }
        self.order = scenario.programme.lifecycle.order
        self.ends_on = scenario.programme.ends_on
        self.start: Instant = (scenario.programme.starts_on.toordinal(), 9)
        self.fast = plan_only(scenario)
        self.sources: list[Offset | Distribution | None] = []
        for owner, what in self.slots:
            if owner == "script":
                assert isinstance(what, int)
                self.sources.append(scenario.script[what].offset)
            else:
                self.sources.append(scenario.durations.get(str(what)))
        index = {slot: i for i, slot in enumerate(self.slots)}
        # per pair: each phase's slot, and the delays that may reach it (their instant, slot)
        self.phase_slot = {
            (pair, phase): index[(pair, phase)] for pair in self.pairs for phase in self.order
        }
        self.delays: dict[tuple[str, str], list[tuple[Instant, int]]] = {}
        for i, action in enumerate(scenario.script):
            if action.action != "delay" or action.phase is None:
                continue
            targets = self.pairs if action.pair == "*" else [str(action.pair)]
            for pair in targets:
                self.delays.setdefault((pair, action.phase), []).append(
                    ((action.on.toordinal(), 17), index[("script", i)])
                )
        for found in self.delays.values():
            found.sort()  # in time order; on one day, in the script's order

    def values(self, luck: Sequence[float]) -> list[Totals]:
        """Each slot's amount for ``luck``, as totals."""
        found: list[Totals] = []
        for source, u in zip(self.sources, luck, strict=True):
            found.append(self.value(source, u))
        return found

    @staticmethod
    def value(source: Offset | Distribution | None, u: float) -> Totals:
        if isinstance(source, Distribution):
            return totals(source.offsets(u))
        if isinstance(source, Offset):
            return totals((source,))
        return _NONE

    def slots_of(self, pair: str) -> dict[int, int]:
        """The slots that can move ``pair``'s dates -> the index of the first phase they move."""
        found: dict[int, int] = {}
        for k, phase in enumerate(self.order):
            found.setdefault(self.phase_slot[(pair, phase)], k)
            for _, slot in self.delays.get((pair, phase), ()):
                found.setdefault(slot, k)
        return found

    def chain(
        self, pair: str, values: Sequence[Totals], first: int = 0, at: Instant | None = None
    ) -> list[Instant]:
        """The end of each of ``pair``'s phases from phase ``first`` on, started at ``at``."""
        t = self.start if at is None else at
        regions = self.regions[pair]
        ends: list[Instant] = []
        for phase in self.order[first:]:
            months, days, working = values[self.phase_slot[(pair, phase)]]
            end = _after(t, months, days, working, regions)
            for when, slot in self.delays.get((pair, phase), ()):
                if end >= when:  # the phase is not over when the delay comes: it reaches it
                    dm, dd, dw = values[slot]
                    months, days, working = months + dm, days + dd, working + dw
                    end = _after(t, months, days, working, regions)
            ends.append(end)
            t = end
        return ends

    def outcome(self, pairs: Sequence[int | None]) -> Outcome:
        known = [day for day in pairs if day is not None]
        completed = max(known) if known else None
        return Outcome(
            pairs=tuple(pairs),
            completed=completed,
            extension=extension_months(self.ends_on, completed),
        )

    def simulated(self, luck: Sequence[float]) -> Outcome:
        """The outcome of ``luck`` by `simulate`."""
        return outcome_of(simulate_luck(self.scenario, luck), self.pairs)

    def planned(self, luck: Sequence[float]) -> Outcome:
        """The outcome of ``luck`` from the plan alone (plan-only scenarios)."""
        values = self.values(luck)
        return self.outcome([self.chain(p, values)[-1][0] for p in self.pairs])

    def check(self, batch: Sequence[Sequence[float]]) -> None:
        """Compare the plan-only path with `simulate` on the median run and the first runs of
        ``batch``; use `simulate` from now on if they ever differ."""
        if not self.fast:
            return
        for luck in [[0.5] * len(self.slots), *batch[:CHECKED_RUNS]]:
            if self.planned(luck) != self.simulated(luck):
                self.fast = False
                return


@functools.lru_cache(maxsize=65536)
def _after(t: Instant, months: int, days: int, working: int, regions: tuple[str, ...]) -> Instant:
    """When a phase started at ``t`` ends: at 17:00 of its last day, rolled to a working day
    of the pair's ``regions``, or at once if it takes no time (as `simulate` plans it)."""
    if not (months or days or working):
        return t
    day = _moved(t[0], months, days, working)
    if day <= t[0]:
        return t
    rolled = calendar_for(regions).roll_forward(pendulum.Date.fromordinal(day))
    return (rolled.toordinal(), 17)
