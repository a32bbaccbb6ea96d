"""What many runs of a scenario found: spreads of dates, odds of misses, the extension needed.

A `Tally` counts a batch of runs: for every date it watches, how many runs put it on each day.
Tallies add up exactly, in any order, so the `Forecast` built from them is the same however the
runs were split between workers. Percentiles are nearest-rank (the smallest day on which at
least that share of the runs had happened), so every percentile is a day some run gave.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs
import pendulum

from .._domain.validate import show
from .._domain.views import frame, html
from ..exceptions import UnknownPairError, ValidationError
from .scenario import Timeline

if TYPE_CHECKING:
    import pandas as pd

K = TypeVar("K")
_PROGRAMME = (None, None)  # the key of the programme's completion among the dates


@attrs.define
class Tally:
    """Counts of a batch of runs (as JSON by `to_json`, and summed by `add`)."""

    runs: int = 0
    dates: dict[tuple[str | None, str | None], Counter[int]] = attrs.field(factory=dict)
    """(pair, phase) -> ordinal -> runs. (pair, None) is the pair's completion, (None, None)
    the programme's (its last pair's)."""
    due: dict[tuple[str, str | None], Counter[int]] = attrs.field(factory=dict)
    """(deadline, pair) -> the ordinal it was due on -> runs."""
    late: dict[tuple[str, str | None], Counter[int]] = attrs.field(factory=dict)
    """(deadline, pair) -> days late -> runs, for the runs that met it late."""
    never: Counter[tuple[str, str | None]] = attrs.field(factory=Counter)
    """(deadline, pair) -> runs in which it was missed and never met (a milestone never
    reached): no days late to count."""
    ends: Counter[int] = attrs.field(factory=Counter)
    """The programme's last day (ordinal), as extended in the run -> runs."""
    breaches: Counter[str] = attrs.field(factory=Counter)
    """Pair -> runs in which it completed after the programme's end (as extended in the run)."""
    extensions: Counter[int] = attrs.field(factory=Counter)
    """Months of extension needed -> runs (0: none needed)."""
    unfinished: int = 0
    """Runs in which a pair never finished (suspended and never resumed)."""

    def count(self, timeline: Timeline) -> None:
        """Count one run."""
        self.runs += 1
        dates = self.dates
        last: dict[str, int] = {}
        stopped: set[str] = set()  # withdrawn, suspended or unfinished: no completion
        for span in timeline.phases:
            if span.ended_on is None:
                stopped.add(span.pair)
                continue
            day = span.ended_on.toordinal()
            _add(dates, (span.pair, span.phase), day)
            last[span.pair] = max(day, last.get(span.pair, day))
        end = timeline.ends_on.toordinal()
        self.ends[end] += 1
        for pair, day in last.items():
            if pair not in stopped:
                _add(dates, (pair, None), day)
                if day > end:
                    self.breaches[pair] += 1
        if timeline.completed_on is not None:
            _add(dates, _PROGRAMME, timeline.completed_on.toordinal())
        for row in timeline.deadlines:
            key = (row.name, row.pair)
            if row.due_on is not None:
                _add(self.due, key, row.due_on.toordinal())
            if row.missed:
                if row.met_on is None:
                    self.never[key] += 1
                else:
                    _add(self.late, key, row.days_late or 0)
        extension = timeline.smallest_extension
        self.extensions[0 if extension is None else extension.amount] += 1
        self.unfinished += bool(timeline.unfinished)

    def add(self, other: Tally) -> None:
        """Add ``other``'s counts to these."""
        self.runs += other.runs
        _merge(self.dates, other.dates)
        _merge(self.due, other.due)
        _merge(self.late, other.late)
        self.never.update(other.never)
        self.ends.update(other.ends)
        self.breaches.update(other.breaches)
        self.extensions.update(other.extensions)
        self.unfinished += other.unfinished

    def to_json(self) -> str:
        """The counts as JSON (what a worker sends back: no pickle)."""

        def table(counts: dict[Any, Counter[int]]) -> list[Any]:
            return [[*key, sorted(c.items())] for key, c in counts.items()]

        return json.dumps(
            {
                "runs": self.runs,
                "dates": table(self.dates),
                "due": table(self.due),
                "late": table(self.late),
                "never": [[*key, n] for key, n in self.never.items()],
                "ends": sorted(self.ends.items()),
                "breaches": sorted(self.breaches.items()),
                "extensions": sorted(self.extensions.items()),
                "unfinished": self.unfinished,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Tally:
        """The tally of a `to_json` string."""
        doc = json.loads(text)

        def table(rows: list[Any]) -> dict[Any, Counter[int]]:
            return {(a, b): Counter(dict(map(tuple, pairs))) for a, b, pairs in rows}

        return cls(
            runs=doc["runs"],
            dates=table(doc["dates"]),
            due=table(doc["due"]),
            late=table(doc["late"]),
            never=Counter({(a, b): n for a, b, n in doc.get("never", [])}),
            ends=Counter(dict(map(tuple, doc["ends"]))),
            breaches=Counter(dict(map(tuple, doc["breaches"]))),
            extensions=Counter(dict(map(tuple, doc["extensions"]))),
            unfinished=doc["unfinished"],
        )


def _add(into: dict[K, Counter[int]], key: K, value: int) -> None:
    counter = into.get(key)
    if counter is None:
        counter = into[key] = Counter()
    counter[value] += 1


def _merge(into: dict[K, Counter[int]], other: dict[K, Counter[int]]) -> None:
    for key, counts in other.items():
        into.setdefault(key, Counter()).update(counts)


def percentile(counts: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile of ``counts`` (value -> how many): the smallest value with
    at least ``share`` of the total at or below it."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(share * total - 1e-9))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to the total")  # pragma: no cover


def _date(ordinal: int | None) -> pendulum.Date | None:
    return None if ordinal is None else pendulum.Date.fromordinal(ordinal)


@attrs.frozen(kw_only=True)
class Spread:
    """How a date spread over the runs.

    Attributes:
        pair: The pair, or None for the programme.
        name: ``"completion"`` (the pair's, or the programme's: its last pair's), a phase (its
            completion), a deadline (the day it was due), or ``"extended end"`` (the
            programme's last day after any extension the script granted).
        p10: The day by which 10% of the runs had it (None if no run did).
        p50: The median day.
        p90: The day by which 90% of the runs had it.
        runs: How many runs had it at all (a withdrawn pair never completes).
        histogram: Each day some run had it, and how many runs did.
    """

    pair: str | None
    name: str
    p10: pendulum.Date | None
    p50: pendulum.Date | None
    p90: pendulum.Date | None
    runs: int
    histogram: tuple[tuple[pendulum.Date, int], ...] = attrs.field(repr=False)

    @classmethod
    def of(cls, pair: str | None, name: str, counts: Mapping[int, int]) -> Spread:
        """The spread of ``counts`` (ordinal -> runs)."""
        return cls(
            pair=pair,
            name=name,
            p10=_date(percentile(counts, 0.1)),
            p50=_date(percentile(counts, 0.5)),
            p90=_date(percentile(counts, 0.9)),
            runs=sum(counts.values()),
            histogram=tuple((pendulum.Date.fromordinal(d), counts[d]) for d in sorted(counts)),
        )

    def by(self, day: pendulum.Date) -> float:
        """The share of the runs that had it on or before ``day``, of those that had it."""
        if not self.runs:
            return 0.0
        return sum(n for d, n in self.histogram if d <= day) / self.runs


@attrs.frozen(kw_only=True)
class DeadlineOdds:
    """A deadline over the runs.

    Attributes:
        name: The deadline.
        pair: Its pair, or None for a programme deadline.
        due: The spread of the day it was due (it moves with what it is anchored to).
        miss_probability: The share of the runs in which it was met late or never.
        days_late_p50: Among the runs that met it late, the median days late (None: none did).
        days_late_p90: Among them, the 90th percentile.
        never_probability: The share of the runs in which it was never met (a milestone no
            action reached): part of ``miss_probability``, with no days late to count.
    """

    name: str
    pair: str | None
    due: Spread
    miss_probability: float
    days_late_p50: int | None
    days_late_p90: int | None
    never_probability: float = 0.0


@attrs.frozen(kw_only=True)
class Forecast:
    """What a Monte Carlo run of a scenario found.

    Attributes:
        scenario: The scenario's name.
        seed: The seed: the same seed gives the same forecast, whatever the workers.
        runs: The runs asked for.
        done: The runs simulated (fewer than ``runs`` if interrupted: see ``partial``).
        ends_on: The programme's last day as the scenario defines it (before any extension).
        extended_end: The spread of the programme's last day as extended in each run: every run's is
            ``ends_on`` unless the script extends the programme. Breaches and the extension
            needed are counted from each run's own end.
        programme: The spread of the programme's completion (its last pair's).
        pairs: The spread of each pair's completion.
        phases: The spread of each pair's completion of each phase.
        deadlines: Every deadline's odds.
        breach_probability: The share of the runs whose last completion was after the
            programme's end (as extended in that run, if the script extends it).
        pair_breach_probability: For each pair, the share of the runs in which it completed
            after the programme's end.
        extensions: Months of extension needed, and the share of the runs that needed that
            many, from 0 (none needed) up.
        unfinished_probability: The share of the runs in which a pair never finished.
        timezone: The programme's timezone (an IANA name): the one its days are in.
    """

    scenario: str
    seed: int
    runs: int
    done: int
    ends_on: pendulum.Date
    extended_end: Spread
    programme: Spread
    pairs: tuple[Spread, ...]
    phases: tuple[Spread, ...]
    deadlines: tuple[DeadlineOdds, ...]
    breach_probability: float
    pair_breach_probability: tuple[tuple[str, float], ...]
    extensions: tuple[tuple[int, float], ...]
    unfinished_probability: float
    timezone: str = "UTC"

    def __repr__(self) -> str:
        runs = f"{self.done} of {self.runs} runs" if self.partial else f"{self.runs} runs"
        return (
            f"<Forecast {self.scenario!r}: {runs}, seed {self.seed}, completion P50 "
            f"{self.programme.p50 or 'none'}, P90 {self.programme.p90 or 'none'}, "
            f"extension needed in {self.extension_probability:.0%}>"
        )

    def _repr_html_(self) -> str:
        return html(self)

    def to_pandas(self, form: Literal["wide", "long", "extensions"] = "wide") -> pd.DataFrame:
        """The forecast as a pandas DataFrame (needs ``mentorflow[pandas]``).

        ``"wide"``: one row per completion, phase and deadline, its P10, P50 and P90 days as
        timezone-aware datetimes, the odds as floats and days late as nullable integers.
        ``"long"``: the completion histograms, tidy: one row per pair (none for the
        programme) and day some run completed on, with the runs and their share.
        ``"extensions"``: the months of extension needed and the share of runs.

        Raises:
            ImportError: pandas is not installed.
            ValidationError: ``form`` is none of these.
        """
        result: pd.DataFrame = frame(self, form)
        return result

    @property
    def partial(self) -> bool:
        """Whether it was stopped before all its runs were done."""
        return self.done < self.runs

    @property
    def extension_probability(self) -> float:
        """The share of the runs that needed an extension: those that breached the end."""
        return self.breach_probability

    def pair(self, key: str) -> Spread:
        """The spread of pair ``key``'s completion.

        Raises:
            UnknownPairError: no such pair.
        """
        for spread in self.pairs:
            if spread.pair == key:
                return spread
        raise UnknownPairError(key)

    def deadline(self, name: str, pair: str | None = None) -> DeadlineOdds:
        """The odds of deadline ``name`` (of ``pair``; None: the programme's).

        Raises:
            ValidationError: no such deadline.
        """
        for odds in self.deadlines:
            if odds.name == name and odds.pair == pair:
                return odds
        known = ", ".join(sorted({f"{d.name} ({d.pair or 'programme'})" for d in self.deadlines}))
        raise ValidationError(
            "name",
            f"no deadline {show(name)} of {pair or 'the programme'}; there are: {known or 'none'}",
        )

    def extension_for(self, confidence: float) -> int:
        """The fewest months of extension that suffice in at least ``confidence`` of the runs.

        Examples:
            >>> from mentorflow.scenario import load_scenario, montecarlo
            >>> forecast = montecarlo(load_scenario("inclucities-plan"), 200, seed=1, workers=1)
            >>> forecast.extension_for(0.0)
            0
        """
        covered = 0.0
        for months, share in self.extensions:
            covered += share
            if covered >= confidence - 1e-9:
                return months
        return self.extensions[-1][0]


def forecast(
    tally: Tally,
    *,
    scenario: str,
    seed: int,
    runs: int,
    ends_on: pendulum.Date,
    pairs: Iterable[str],
    phases: Iterable[str],
    deadlines: Iterable[tuple[str, str | None]],
    timezone: str = "UTC",
) -> Forecast:
    """The forecast of ``tally``, its rows in the order of ``pairs``, ``phases``, ``deadlines``."""
    done = tally.runs
    share = (lambda n: n / done) if done else (lambda n: 0.0)
    pairs, phases = list(pairs), list(phases)
    empty: Counter[int] = Counter()
    odds = []
    for name, pair in deadlines:
        late = tally.late.get((name, pair), empty)
        never = tally.never.get((name, pair), 0)
        odds.append(
            DeadlineOdds(
                name=name,
                pair=pair,
                due=Spread.of(pair, name, tally.due.get((name, pair), empty)),
                miss_probability=share(sum(late.values()) + never),
                days_late_p50=percentile(late, 0.5),
                days_late_p90=percentile(late, 0.9),
                never_probability=share(never),
            )
        )
    most = max(tally.extensions, default=0)
    return Forecast(
        scenario=scenario,
        seed=seed,
        runs=runs,
        done=done,
        ends_on=ends_on,
        extended_end=Spread.of(None, "extended end", tally.ends),
        programme=Spread.of(None, "completion", tally.dates.get(_PROGRAMME, empty)),
        pairs=tuple(Spread.of(p, "completion", tally.dates.get((p, None), empty)) for p in pairs),
        phases=tuple(
            Spread.of(p, phase, tally.dates.get((p, phase), empty))
            for p in pairs
            for phase in phases
        ),
        deadlines=tuple(odds),
        breach_probability=share(done - tally.extensions.get(0, 0)),
        pair_breach_probability=tuple((p, share(tally.breaches.get(p, 0))) for p in pairs),
        extensions=tuple((m, share(tally.extensions.get(m, 0))) for m in range(most + 1)),
        unfinished_probability=share(tally.unfinished),
        timezone=timezone,
    )
