"""Two what-ifs analysts ask of a plan: plan A against plan B as forecasts, and the extension
a slip would need.

`compare_forecasts` sets two `Forecast`s side by side. Made with the same seed and runs, two
plans of the same shape (the same pairs, phases and delays) see the same luck in every slot
(common random numbers), so their differences are the plans', not the dice's.

`slip_sweep` delays one phase (of one pair, or of every pair) by 0, 1, 2, ... months and says,
for each slip, when the programme completes and how many months of extension it needs; with
``runs``, the odds of an extension and the months that suffice in 90% of the runs too.
"""

from __future__ import annotations

import attrs
import pendulum

from .._domain.deadlines import Offset, Unit
from .._domain.validate import show
from ..exceptions import ValidationError
from .forecast import Forecast
from .scenario import Action, Scenario
from .schedule import Runner, luck_of, totals
from .sensitivity import MAX_SENSITIVITY_RUNS, Batch, Summary, check_runs

MAX_SLIPS = 100
"""The most slips a sweep tries."""


@attrs.frozen(kw_only=True)
class PlanRow:
    """One measure of two forecasts.

    Attributes:
        measure: What it is: ``"completion p50"``, ``"extension probability"``, ...
        pair: The pair, for a pair's measure (None: the programme's).
        a: Plan A's value (a date, a share, or months).
        b: Plan B's value.
        difference: ``b - a``: days for dates, a share for odds, months for extensions
            (None where either is missing).
    """

    measure: str
    pair: str | None
    a: pendulum.Date | float | int | None
    b: pendulum.Date | float | int | None
    difference: float | int | None


@attrs.frozen(kw_only=True)
class PlanComparison:
    """Two forecasts side by side (see `compare_forecasts`)."""

    a: str
    b: str
    runs: tuple[int, int]
    seeds: tuple[int, int]
    rows: tuple[PlanRow, ...]

    @property
    def common_luck(self) -> bool:
        """Whether both were made with the same seed and runs (common random numbers)."""
        return self.runs[0] == self.runs[1] and self.seeds[0] == self.seeds[1]

    def row(self, measure: str, pair: str | None = None) -> PlanRow:
        """The row of ``measure`` (of ``pair``).

        Raises:
            ValidationError: no such row.
        """
        for row in self.rows:
            if row.measure == measure and row.pair == pair:
                return row
        known = ", ".join(dict.fromkeys(r.measure for r in self.rows))
        raise ValidationError("measure", f"no row {show(measure)}; there are: {known}")


Value = pendulum.Date | float | int | None


def _row(measure: str, pair: str | None, a: Value, b: Value) -> PlanRow:
    difference: float | int | None = None
    if isinstance(a, pendulum.Date) and isinstance(b, pendulum.Date):
        difference = (b - a).days
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        difference = b - a
    return PlanRow(measure=measure, pair=pair, a=a, b=b, difference=difference)


def compare_forecasts(a: Forecast, b: Forecast) -> PlanComparison:
    """Plan A's forecast beside plan B's: completion percentiles, odds of an extension, the
    extension needed, and each pair's (the pairs of both), with the differences ``b - a``.

    Raises:
        ValidationError: either is not a `Forecast`.

    Examples:
        >>> from mentorflow.scenario import compare_forecasts, load_scenario, montecarlo
        >>> plan = load_scenario("inclucities-plan")
        >>> a = montecarlo(plan, 200, seed=1, workers=1)
        >>> result = compare_forecasts(a, a)
        >>> result.row("extension probability").difference
        0.0
    """
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, Forecast):
            raise ValidationError(name, f"must be a Forecast, not {type(value).__name__}")
    rows = [
        _row("completion p10", None, a.programme.p10, b.programme.p10),
        _row("completion p50", None, a.programme.p50, b.programme.p50),
        _row("completion p90", None, a.programme.p90, b.programme.p90),
        _row("extension probability", None, a.extension_probability, b.extension_probability),
        _row("extension p50 (months)", None, a.extension_for(0.5), b.extension_for(0.5)),
        _row("extension p90 (months)", None, a.extension_for(0.9), b.extension_for(0.9)),
        _row("unfinished probability", None, a.unfinished_probability, b.unfinished_probability),
    ]
    breach_a, breach_b = dict(a.pair_breach_probability), dict(b.pair_breach_probability)
    theirs = {s.pair: s for s in b.pairs}
    for spread in a.pairs:
        other = theirs.get(spread.pair)
        if other is None or spread.pair is None:
            continue
        rows.append(_row("completion p50", spread.pair, spread.p50, other.p50))
        rows.append(_row("completion p90", spread.pair, spread.p90, other.p90))
        rows.append(
            _row(
                "breach probability",
                spread.pair,
                breach_a.get(spread.pair),
                breach_b.get(spread.pair),
            )
        )
    return PlanComparison(
        a=a.scenario,
        b=b.scenario,
        runs=(a.done, b.done),
        seeds=(a.seed, b.seed),
        rows=tuple(rows),
    )


@attrs.frozen(kw_only=True)
class SlipEffect:
    """What one slip does to the programme's end.

    Attributes:
        slip: How much longer the phase took.
        completed_on: When the last pair completed (the median run).
        breach_days: How many days after the programme's end that was (0: not after).
        extension_months: The fewest months of extension it needed (0: none).
        extension_probability: With runs: the share of the runs that needed an extension.
        extension_p90: With runs: the months of extension enough in 90% of the runs.
        p90: With runs: the day by which 90% of the runs had completed.
    """

    slip: Offset
    completed_on: pendulum.Date | None
    breach_days: int
    extension_months: int
    extension_probability: float | None = None
    extension_p90: int | None = None
    p90: pendulum.Date | None = None


def slip_sweep(
    scenario: object,
    phase: str,
    *,
    pair: str = "*",
    slips: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6),
    unit: str = "months",
    runs: int = 0,
    seed: int = 0,
) -> tuple[SlipEffect, ...]:
    """The extension needed as a function of a slip of ``phase``.

    Each slip is a delay of ``phase`` (for ``pair``; ``"*"``: every pair) added at the end of
    the script on the programme's first day, and the scenario simulated with it.

    Args:
        scenario: The `Scenario`.
        phase: The phase that slips.
        pair: The pair whose phase slips, or ``"*"`` for every pair.
        slips: The amounts to try (whole numbers of ``unit``, 0 or more).
        unit: ``"months"``, ``"weeks"``, ``"days"`` or ``"working_days"``.
        runs: With more than 0, also the odds over that many Monte Carlo runs per slip (the
            same luck in every slip: common random numbers).
        seed: The Monte Carlo seed.

    Raises:
        ValidationError: naming the argument that is wrong.

    Examples:
        >>> from mentorflow.scenario import load_scenario, slip_sweep
        >>> plan = load_scenario("urbact-transfer-network")
        >>> [(str(s.slip), s.extension_months) for s in slip_sweep(plan, "sharing", slips=(0, 2))]
        [('0 months', 4), ('2 months', 6)]
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError("scenario", f"must be a Scenario, not {type(scenario).__name__}")
    if phase not in scenario.phases:
        raise ValidationError(
            "phase", f"{show(phase)} is not a phase of the scenario: {', '.join(scenario.phases)}"
        )
    keys = [p.key for p in scenario.pairs]
    if pair != "*" and pair not in keys:
        raise ValidationError(
            "pair", f"{show(pair)} is not a pair of the scenario (or '*'): {', '.join(keys)}"
        )
    if not isinstance(slips, (tuple, list)) or not slips or len(slips) > MAX_SLIPS:
        raise ValidationError("slips", f"must be 1 to {MAX_SLIPS} whole numbers, not {show(slips)}")
    for amount in slips:
        check_runs(amount, None, "slips", 0)
    try:
        kind = Unit(unit if isinstance(unit, str) else None)
    except ValueError:
        raise ValidationError(
            "unit", f"{show(unit)} is not one of {', '.join(u.value for u in Unit)}"
        ) from None
    check_runs(runs, MAX_SENSITIVITY_RUNS, least=0)
    check_runs(seed, None, "seed", 0)

    def variant(amount: int) -> Scenario:
        delay = Action(
            on=scenario.programme.starts_on,
            action="delay",
            pair=pair,
            phase=phase,
            offset=Offset(amount=amount, unit=kind),
            note=f"slip of {amount} {kind.value}",
        )
        return attrs.evolve(scenario, script=(*scenario.script, delay))

    odds: list[Summary | None] = [None] * len(slips)
    if runs:
        odds = list(_odds(variant(0), [Offset(amount=n, unit=kind) for n in slips], runs, seed))
    found = []
    for amount, summary in zip(slips, odds, strict=True):
        timeline = variant(amount).simulate()
        extension = timeline.smallest_extension
        found.append(
            SlipEffect(
                slip=Offset(amount=amount, unit=kind),
                completed_on=timeline.completed_on,
                breach_days=timeline.breach_days,
                extension_months=0 if extension is None else extension.amount,
                extension_probability=None if summary is None else summary.extension_probability,
                extension_p90=None if summary is None else summary.extension_p90,
                p90=None if summary is None else summary.p90,
            )
        )
    return tuple(found)


def _odds(base: Scenario, slips: list[Offset], runs: int, seed: int) -> list[Summary]:
    """Each slip's summary over the same runs: the slip's delay is the last slot."""
    runner = Runner(base)
    slot = len(runner.slots) - 1
    batch = [luck_of(base, seed, run) for run in range(runs)]
    runner.check(batch)
    if runner.fast:
        runs_of = Batch(runner, batch)
        return [Summary.of(runs_of.with_values({slot: totals((s,))})) for s in slips]
    found = []
    for slip in slips:
        script = list(base.script)
        script[-1] = attrs.evolve(script[-1], offset=slip)
        slow = Runner(attrs.evolve(base, script=tuple(script)))
        found.append(Summary.of([slow.simulated(luck) for luck in batch]))
    return found
