"""The tornado chart of a sensitivity analysis: one bar per uncertain amount, the widest on top.

Each bar runs from the metric with the amount pinned low to the metric pinned high, drawn
against the baseline (nothing pinned) as a vertical line: days from the baseline's P50 or P90
completion, or percentage points of the odds of an extension. The low side is light, the high
side dark; the amounts pinned are written at the bars' ends.
"""

from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING

from .._simulation.sensitivity import SensitivityReport, Summary, Swing
from ..exceptions import ValidationError
from .charts import DPI, INK, RC, require_matplotlib, save, target

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRICS = ("p90", "p50", "odds")
"""What a tornado chart can show: the P90 or P50 completion (days), or the odds of an
extension (percentage points)."""
_LOW, _HIGH = "#9ecae1", "#2171b5"
_TITLES = {
    "p90": "P90 completion, days from the baseline's",
    "p50": "P50 completion, days from the baseline's",
    "odds": "odds of an extension, points from the baseline's",
}


def _value(summary: Summary, base: Summary, metric: str) -> float:
    if metric == "odds":
        return 100 * (summary.extension_probability - base.extension_probability)
    here, there = getattr(summary, metric), getattr(base, metric)
    if here is None or there is None:
        return 0.0
    return float((here - there).days)


def tornado(
    found: SensitivityReport, path: str | os.PathLike[str] | None = None, *, metric: str = "p90"
) -> pathlib.Path | Figure:
    """Draw ``found`` as a tornado chart of ``metric`` (one of `METRICS`).

    Args:
        found: A `sensitivity` analysis.
        path: Where to save it (``.png`` or ``.svg``); None: return the figure instead.
        metric: ``"p90"`` (default), ``"p50"`` or ``"odds"``.

    Returns:
        The path written, or the `matplotlib.figure.Figure` if no path was given.

    Raises:
        ValidationError: ``metric`` is not one of `METRICS`, or ``path`` is not .png or .svg.
        ImportError: matplotlib is not installed.
    """
    if not isinstance(found, SensitivityReport):
        raise ValidationError("found", f"must be a SensitivityReport, not {type(found).__name__}")
    if metric not in METRICS:
        raise ValidationError("metric", f"{metric!r} is not one of {', '.join(METRICS)}")
    where = None if path is None else target(path, "a tornado chart")
    require_matplotlib("the tornado chart")
    import matplotlib
    from matplotlib.figure import Figure

    base = found.baseline
    swings: list[tuple[Swing, float, float]] = [
        (s, _value(s.at_low, base, metric), _value(s.at_high, base, metric)) for s in found.swings
    ]
    swings.sort(key=lambda t: abs(t[2] - t[1]))  # the widest at the top
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(10, 1.4 + 0.45 * len(swings)), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        span = max([1.0, *(abs(v) for _, low, high in swings for v in (low, high))])
        for row, (swing, low, high) in enumerate(swings):
            axes.barh(row, low, color=_LOW, height=0.6)
            axes.barh(row, high, color=_HIGH, height=0.6)
            for value, words in ((low, swing.low), (high, swing.high)):
                ha = "left" if value >= 0 else "right"
                nudge = 0.02 * span if value >= 0 else -0.02 * span
                axes.text(value + nudge, row, words, va="center", ha=ha, color=INK, fontsize=8)
        axes.set_yticks(range(len(swings)), [s.label for s, _, _ in swings])
        axes.axvline(0, color=INK, linewidth=1)
        axes.set_xlim(-1.35 * span, 1.35 * span)
        axes.set_xlabel(_TITLES[metric])
        low_q, high_q = found.quantiles
        figure.suptitle(found.scenario, fontsize=11, fontweight="bold", color=INK)
        axes.set_title(
            f"each amount pinned at its P{round(100 * low_q)} (light) and "
            f"P{round(100 * high_q)} (dark); {found.runs} runs each, seed {found.seed}",
            color=INK,
            fontsize=8,
        )
        if where is None:
            return figure
        save(figure, where[0], where[1], title=f"{found.scenario}: sensitivity")
    return where[0]
