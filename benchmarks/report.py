"""The report: a row per figure (measured, baseline, ratio, target, PASS or FAIL; ``info``
rows have no target), the table of one run, and the side-by-side table of ``--against``."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HIGHER_IS_BETTER = frozenset({"/s", "ev/s"})


@dataclass
class Row:
    """One figure beside its baseline, measured in the same run."""

    figure: str
    measured: float | None  # None: not measured (not applicable here)
    baseline: float | None
    unit: str
    target: str = "info"
    passed: bool | None = None  # None: an info row, or not applicable
    independent: bool = False
    """The baseline runs none of mentorflow's code (transitions, sqlite3, plain Python, the
    interpreter's start): measured beside the figure in the same process, it says how fast the
    machine was, so ``--against`` can compare the two trees' figures over their baselines."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Row:
        return cls(**data)


@dataclass
class Context:
    """What a target gets besides its sizes: where to write files, and where to leave notes
    (printed under the table) and ``--detail`` printers (run after the table, untimed)."""

    directory: str = "."
    detail: bool = False
    notes: list[str] = field(default_factory=list)
    details: list[Callable[[], None]] = field(default_factory=list)


def independent(rows: list[Row]) -> list[Row]:
    """``rows``, each marked as having a baseline independent of mentorflow."""
    for row in rows:
        row.independent = True
    return rows


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "us":
        if value >= 100_000:
            return f"{value / 1e6:,.3f} s"
        return f"{value:,.2f} us" if value < 100 else f"{value:,.0f} us"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:,.2f} ms"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "modules":
        return f"{value:.0f}"
    if unit in ("bugs", "steps"):
        return f"{value:.0f} {unit}"
    if unit == "ev/s":
        return f"{value:,.0f} ev/s"
    if unit == "MB":
        return f"{value / 1e6:,.0f} MB"
    return f"{value:,.0f} B"


def fmt_ratio(measured: float | None, baseline: float | None) -> str:
    if not baseline or measured is None:
        return "-"
    ratio = measured / baseline
    if ratio == 0:
        return "0x"
    if ratio < 0.001:
        return f"1/{1 / ratio:,.0f}"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def result(passed: bool | None) -> str:
    return "-" if passed is None else ("PASS" if passed else "FAIL")


def print_cells(header: Sequence[str], cells: Sequence[Sequence[str]], left: set[int]) -> None:
    """A plain-text table: the columns in ``left`` aligned left, the others right."""
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.ljust(w) if i in left else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for values in cells:
        print(line(values))


def print_table(rows: Sequence[Row]) -> None:
    header = ("figure", "measured", "baseline", "ratio", "target", "result")
    cells = [
        (
            row.figure,
            fmt(row.measured, row.unit),
            fmt(row.baseline, row.unit),
            fmt_ratio(row.measured, row.baseline),
            row.target,
            result(row.passed),
        )
        for row in rows
    ]
    print_cells(header, cells, left={0, 5})


# -- side by side: the same figures of two trees, over several rounds --------------------------


@dataclass(frozen=True)
class Compared:
    """One figure of the new tree beside the old tree's, over the rounds."""

    figure: str
    unit: str
    target: str
    new: list[float]  # per round where the tree measured it
    old: list[float]
    new_baseline: list[float]
    old_baseline: list[float]
    ratios: list[float]  # new / old, per round where both trees measured it
    normalised: list[float]  # (new / its baseline) / (old / its baseline), per round, or []
    new_passed: list[bool]
    old_passed: list[bool]

    def reads(self, tolerance: float) -> str:
        """``WORSE``, ``better`` or ``same`` (within ``tolerance`` of 1), read the figure's way
        (for a rate, higher is better): the median of the rounds' ratios over the baselines
        where the baseline is independent of mentorflow (they cancel the machine's drift
        between the two trees' processes), else of the rounds' plain new/old ratios."""
        ratios = self.normalised or self.ratios
        if not ratios:
            return "-"
        ratio = statistics.median(ratios)
        cost = 1 / ratio if self.unit in HIGHER_IS_BETTER else ratio
        if cost > 1 + tolerance:
            return "WORSE"
        return "better" if cost < 1 - tolerance else "same"


def compare(new: Sequence[Sequence[Row]], old: Sequence[Sequence[Row]]) -> list[Compared]:
    """The figures of every round of both trees, matched by their text, in the new tree's
    order (figures only one tree has come last). ``new[i]`` and ``old[i]`` are round ``i``."""
    order: dict[str, Row] = {}
    for rows in [*new, *old]:
        for row in rows:
            order.setdefault(row.figure, row)
    rounds = [
        ({r.figure: r for r in n}, {r.figure: r for r in o}) for n, o in zip(new, old, strict=True)
    ]
    compared = []
    for figure, first in order.items():
        news = [n[figure] for n, _ in rounds if figure in n]
        olds = [o[figure] for _, o in rounds if figure in o]
        both = [(n[figure], o[figure]) for n, o in rounds if figure in n and figure in o]
        compared.append(
            Compared(
                figure=figure,
                unit=first.unit,
                target=first.target,
                new=[r.measured for r in news if r.measured is not None],
                old=[r.measured for r in olds if r.measured is not None],
                new_baseline=[r.baseline for r in news if r.baseline is not None],
                old_baseline=[r.baseline for r in olds if r.baseline is not None],
                ratios=[n.measured / o.measured for n, o in both if n.measured and o.measured],
                normalised=[
                    (n.measured / n.baseline) / (o.measured / o.baseline)
                    for n, o in both
                    if n.independent and n.measured and o.measured and n.baseline and o.baseline
                ],
                new_passed=[r.passed for r in news if r.passed is not None],
                old_passed=[r.passed for r in olds if r.passed is not None],
            )
        )
    return compared


def fmt_median(values: Sequence[float], unit: str) -> str:
    """The median, and the spread of the rounds around it (half the range, in percent)."""
    if not values:
        return "-"
    middle = statistics.median(values)
    if len(values) == 1 or not middle:
        return fmt(middle, unit)
    spread = (max(values) - min(values)) / 2 / abs(middle)
    return f"{fmt(middle, unit)} ±{spread:.0%}"


def fmt_ratios(ratios: Sequence[float]) -> str:
    """The median of the rounds' ratios, and their range."""
    if not ratios:
        return "-"
    middle = f"{statistics.median(ratios):.2f}x"
    return middle if len(ratios) == 1 else f"{middle} ({min(ratios):.2f}-{max(ratios):.2f})"


def fmt_results(passed: Sequence[bool]) -> str:
    if not passed:
        return "-"
    if all(passed):
        return "PASS"
    return "FAIL" if not any(passed) else f"PASS {sum(passed)}/{len(passed)}"


def print_comparison(compared: Sequence[Compared], tolerance: float) -> None:
    header = (
        "figure",
        "new",
        "old",
        "new/old",
        "over baselines",
        "new's baseline",
        "old's baseline",
        "target",
        "new",
        "old",
        "reads",
    )
    cells = [
        (
            c.figure,
            fmt_median(c.new, c.unit),
            fmt_median(c.old, c.unit),
            fmt_ratios(c.ratios),
            fmt_ratios(c.normalised),
            fmt_median(c.new_baseline, c.unit),
            fmt_median(c.old_baseline, c.unit),
            c.target,
            fmt_results(c.new_passed),
            fmt_results(c.old_passed),
            c.reads(tolerance),
        )
        for c in compared
    ]
    print_cells(header, cells, left={0, 8, 9, 10})
