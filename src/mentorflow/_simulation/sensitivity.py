"""Sensitivity analysis: which uncertain amount moves the completion and the odds of an extension.

One at a time, each uncertain amount of the scenario (a phase's duration, a delay) is pinned at
a low and a high quantile of its distribution (its P10 and P90 by default) while every other
amount keeps its luck: run ``i`` of the seed draws the same uniform numbers in every variant
(common random numbers), so the difference between two variants is the pinned amount's alone,
not the dice's. The baseline is exactly `montecarlo`'s forecast of the same seed and runs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import attrs
import pendulum

from .._domain.distributions import Distribution
from .._domain.validate import show
from ..exceptions import ValidationError
from .forecast import percentile
from .scenario import Scenario
from .schedule import Outcome, Runner, Totals, luck_of

MAX_SENSITIVITY_RUNS = 100_000
"""The most runs per variant `sensitivity` does."""


@attrs.frozen(kw_only=True)
class Summary:
    """What a batch of runs says of the programme's completion.

    Attributes:
        p50: The median day the last pair completed (None if none did in half the runs).
        p90: The day by which 90% of the runs had completed.
        extension_probability: The share of the runs that needed an extension.
        extension_p90: The fewest months of extension enough in 90% of the runs.
    """

    p50: pendulum.Date | None
    p90: pendulum.Date | None
    extension_probability: float
    extension_p90: int

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Summary:
        done = Counter(o.completed for o in outcomes if o.completed is not None)
        needed = Counter(o.extension for o in outcomes)
        runs = len(outcomes)
        return cls(
            p50=_date(percentile(done, 0.5)),
            p90=_date(percentile(done, 0.9)),
            extension_probability=(runs - needed.get(0, 0)) / runs if runs else 0.0,
            extension_p90=percentile(needed, 0.9) or 0,
        )


@attrs.frozen(kw_only=True)
class Swing:
    """One uncertain amount, pinned low and high.

    Attributes:
        name: Where it is in the scenario: ``durations.<phase>`` or ``script[<i>].offset``.
        label: What it is, in words.
        distribution: The amount's distribution.
        low: The amount pinned low (its low quantile), in words.
        high: The amount pinned high.
        at_low: The programme's completion with the amount pinned low.
        at_high: The same, pinned high.
    """

    name: str
    label: str
    distribution: Distribution
    low: str
    high: str
    at_low: Summary
    at_high: Summary

    def days(self, metric: str) -> int:
        """How many days later ``metric`` (``"p50"`` or ``"p90"``) is pinned high than low."""
        low, high = getattr(self.at_low, metric), getattr(self.at_high, metric)
        if low is None or high is None:
            return 0
        return int((high - low).days)

    @property
    def odds_points(self) -> float:
        """How much likelier an extension is with the amount pinned high than low (a share)."""
        return self.at_high.extension_probability - self.at_low.extension_probability


@attrs.frozen(kw_only=True)
class SensitivityReport:
    """How much each uncertain amount moves the programme's completion.

    Attributes:
        scenario: The scenario's name.
        seed: The seed of every variant's runs.
        runs: Runs per variant.
        quantiles: The low and high quantiles each amount was pinned at.
        ends_on: The programme's last day, as planned.
        baseline: Nothing pinned: the same figures as `montecarlo` with this seed and runs.
        swings: Every uncertain amount, the largest swing of the P90 completion first (then
            of the odds of an extension, then of the P50).
        simulated: True if every run drove the real programme (`simulate`); False if the
            dates came from the plan alone (a script of delays only: checked against
            `simulate` on some runs, and identical).
    """

    scenario: str
    seed: int
    runs: int
    quantiles: tuple[float, float]
    ends_on: pendulum.Date
    baseline: Summary
    swings: tuple[Swing, ...]
    simulated: bool

    def swing(self, name: str) -> Swing:
        """The swing of amount ``name`` (``durations.<phase>`` or ``script[<i>].offset``).

        Raises:
            ValidationError: no such uncertain amount.
        """
        for swing in self.swings:
            if swing.name == name:
                return swing
        known = ", ".join(s.name for s in self.swings)
        raise ValidationError("name", f"no uncertain amount {show(name)}; there are: {known}")


@attrs.frozen
class Amount:
    """An uncertain amount of a scenario and the slots it fills."""

    name: str
    label: str
    distribution: Distribution
    slots: tuple[int, ...]


def uncertain_amounts(runner: Runner) -> list[Amount]:
    """Every amount of the scenario that can take more than one value, in the file's order."""
    scenario = runner.scenario
    found: list[Amount] = []
    for phase, amount in scenario.durations.items():
        if isinstance(amount, Distribution) and amount.bounds[0] != amount.bounds[1]:
            taken = tuple(i for i, (_, p) in enumerate(runner.slots) if p == phase)
            found.append(Amount(f"durations.{phase}", f"{phase} duration", amount, taken))
    for i, action in enumerate(scenario.script):
        offset = action.offset
        if action.action == "delay" and isinstance(offset, Distribution):
            if offset.bounds[0] == offset.bounds[1]:
                continue
            slot = runner.slots.index(("script", i))
            who = "every pair" if action.pair == "*" else action.pair
            label = f"delay of {action.phase or 'the phase'} ({who}, {action.on})"
            found.append(Amount(f"script[{i}].offset", label, offset, (slot,)))
    return found


def sensitivity(
    scenario: object,
    runs: int = 1000,
    *,
    seed: int = 0,
    low: float = 0.1,
    high: float = 0.9,
) -> SensitivityReport:
    """Pin each uncertain amount at its ``low`` and ``high`` quantiles, one at a time, and
    see how the programme's P50 and P90 completion and the odds of an extension move.

    Args:
        scenario: An uncertain `Scenario` (see `Scenario.uncertain`).
        runs: Runs per variant (the baseline and two per amount), the same luck in each.
        seed: The seed; the baseline is `montecarlo`'s forecast of this seed and runs.
        low: The quantile an amount is pinned at for its low side (default: its P10).
        high: The quantile for its high side (default: its P90).

    Returns:
        The swings, the largest first.

    Raises:
        ValidationError: not a scenario, nothing uncertain in it, ``runs`` or ``seed`` out of
            range, or the quantiles not ``0 <= low < high < 1``.

    Examples:
        >>> from mentorflow.scenario import load_scenario, sensitivity
        >>> found = sensitivity(load_scenario("inclucities-plan"), 200, seed=1)
        >>> found.swings[0].name, found.swings[0].label
        ('script[0].offset', 'delay of study_visit_1 (every pair, 2020-12-01)')
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError("scenario", f"must be a Scenario, not {type(scenario).__name__}")
    check_runs(runs, MAX_SENSITIVITY_RUNS)
    check_runs(seed, None, "seed", 0)
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(name, f"must be a number, not {show(value)}")
        if not (math.isfinite(value) and 0 <= value < 1):
            raise ValidationError(name, f"must be a quantile, 0 <= {name} < 1, not {value}")
    if not low < high:
        raise ValidationError("high", f"must be more than low ({low}), not {high}")
    runner = Runner(scenario)
    amounts = uncertain_amounts(runner)
    if not amounts:
        raise ValidationError(
            "scenario",
            f"nothing in {scenario.name!r} is uncertain: make a duration or a delay a "
            "distribution to see what moves its completion",
        )
    batch = [luck_of(scenario, seed, run) for run in range(runs)]
    runner.check(batch)
    base = Batch(runner, batch)
    swings = []
    for amount in amounts:
        sides = [base.pinned(amount, q) for q in (low, high)]
        swings.append(
            Swing(
                name=amount.name,
                label=amount.label,
                distribution=amount.distribution,
                low=_words(amount.distribution, low),
                high=_words(amount.distribution, high),
                at_low=Summary.of(sides[0]),
                at_high=Summary.of(sides[1]),
            )
        )
    swings.sort(key=lambda s: (-abs(s.days("p90")), -abs(s.odds_points), -abs(s.days("p50"))))
    return SensitivityReport(
        scenario=scenario.name,
        seed=seed,
        runs=runs,
        quantiles=(float(low), float(high)),
        ends_on=scenario.programme.ends_on,
        baseline=Summary.of(base.outcomes),
        swings=tuple(swings),
        simulated=not runner.fast,
    )


class Batch:
    """A batch of runs, and the same runs with some slots pinned: only what changes is redone."""

    def __init__(self, runner: Runner, batch: Sequence[Sequence[float]]) -> None:
        self.runner = runner
        self.batch = batch
        self.values: list[list[Totals]] = []
        self.ends: list[dict[str, list[tuple[int, int]]]] = []
        self.outcomes: list[Outcome] = []
        for luck in batch:
            values = runner.values(luck)
            self.values.append(values)
            if runner.fast:
                ends = {p: runner.chain(p, values) for p in runner.pairs}
                self.ends.append(ends)
                self.outcomes.append(runner.outcome([ends[p][-1][0] for p in runner.pairs]))
            else:
                self.outcomes.append(runner.simulated(luck))
        self.reach = {p: runner.slots_of(p) for p in runner.pairs}

    def pinned(self, amount: Amount, u: float) -> list[Outcome]:
        """The outcomes of the batch with ``amount``'s slots at quantile ``u``."""
        runner = self.runner
        value = runner.value(amount.distribution, u)
        if runner.fast:
            return self.with_values(dict.fromkeys(amount.slots, value))
        found = []
        for run, luck in enumerate(self.batch):
            if all(self.values[run][slot] == value for slot in amount.slots):
                found.append(self.outcomes[run])  # the pin changes nothing in this run
                continue
            changed = list(luck)
            for slot in amount.slots:
                changed[slot] = u
            found.append(runner.simulated(changed))
        return found

    def with_values(self, pins: dict[int, Totals]) -> list[Outcome]:
        """The outcomes of the batch with these slots' amounts (plan-only scenarios)."""
        runner = self.runner
        found = []
        for run, values in enumerate(self.values):
            if all(values[slot] == value for slot, value in pins.items()):
                found.append(self.outcomes[run])  # the pin changes nothing in this run
                continue
            changed = list(values)
            for slot, value in pins.items():
                changed[slot] = value
            ends = self.ends[run]
            days: list[int | None] = []
            for pair in runner.pairs:
                reach = self.reach[pair]
                first = min((reach[s] for s in pins if s in reach), default=None)
                if first is None:
                    days.append(ends[pair][-1][0])
                    continue
                at = ends[pair][first - 1] if first else None
                days.append(runner.chain(pair, changed, first, at)[-1][0])
            found.append(runner.outcome(days))
        return found


def check_runs(value: object, most: int | None, name: str = "runs", least: int = 1) -> None:
    """``value`` must be a whole number from ``least`` to ``most``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValidationError(name, f"must be a whole number >= {least}, not {show(value)}")
    if most is not None and value > most:
        raise ValidationError(name, f"must be at most {most:,}, not {value:,}")


def _words(distribution: Distribution, u: float) -> str:
    amount = distribution.quantile(u)
    unit = distribution.unit.value.replace("_", " ")
    number = f"{amount:.1f}".removesuffix(".0")
    return f"{number} {unit[:-1] if number == '1' else unit}"


def _date(ordinal: int | None) -> pendulum.Date | None:
    return None if ordinal is None else pendulum.Date.fromordinal(ordinal)
