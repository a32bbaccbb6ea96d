"""The chart of a Monte Carlo forecast (PNG or SVG): when the programme and each pair finish.

Drawn like the Gantt chart (see `_charts`): matplotlib is imported only when `plot` runs, on a
`matplotlib.figure.Figure` of its own under a local `matplotlib.rc_context`, so neither the
global settings, the backend nor pyplot's figures change, and the same forecast gives
byte-identical files.
"""

from __future__ import annotations

import math
import os
import pathlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, overload

import pendulum

from .._simulation.forecast import DeadlineOdds, Forecast, Spread
from .charts import (
    DPI,
    INK,
    MISSED,
    RC,
    Candidate,
    HAlign,
    beside,
    month_ticks,
    place_labels,
    require_matplotlib,
    save,
    target,
    x_of,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

WIDTH = 12.0
"""The chart's width, in inches."""

_ON_TIME = "#1f77b4"  # the Gantt chart's first colour
_LATE_ALPHA = 0.7  # late bars: the red of misses, lighter
_FAINT = "#8a8a8a"  # percentiles
_GRID = "#dddddd"
_DEADLINE_MARK: dict[str, Any] = {
    "marker": "o",
    "markersize": 6.5,
    "markerfacecolor": "white",
    "markeredgecolor": INK,
    "markeredgewidth": 1.6,
    "linestyle": "none",
}
_BINS = ((7, "week"), (14, "2 weeks"), (28, "4 weeks"))
_BEHIND: dict[str, Any] = {
    "boxstyle": "square,pad=0.15",
    "facecolor": "white",
    "edgecolor": "none",
    "alpha": 0.8,
}
_MAX_BINS = 60
_MOST_MONTHS = 8  # months of extension named on their axis at most


def height(pairs: int) -> float:
    """The chart's height, in inches, for ``pairs`` pair panels under the programme's."""
    return 4.6 + 1.45 * pairs


@overload
def plot(forecast: Forecast, path: None = None) -> Figure: ...
@overload
def plot(forecast: Forecast, path: str | os.PathLike[str]) -> pathlib.Path: ...
def plot(forecast: Forecast, path: str | os.PathLike[str] | None = None) -> pathlib.Path | Figure:
    """Draw ``forecast`` in ``path`` (``.png`` or ``.svg``); return the path. Without a
    path, return the chart as a `matplotlib.figure.Figure` (a notebook shows it).

    The top panel is a histogram of the programme's completion day (its last pair's) over
    the runs, one bar per week (or 2 or 4 weeks for wider spreads), as a share of the runs:
    blue up to the programme's end, red after it, with the end a red line and the P10, P50
    and P90 days dotted grey lines. Beside it, the months of extension needed, as shares of
    the runs. Below, one smaller panel per pair on the same axis, with the median due day of
    each of the pair's deadlines (a hollow circle, named). The axis spans the completions
    and the programme's end: deadlines before or after it are counted at its edge, with the
    worst odds of missing them. Labels go where they touch no other text. Each panel's title
    gives the share of
    runs late (completion after the programme's end, as extended by the script in the median
    run, if it extends it); the subtitle the
    runs, the seed, the odds of an extension and the months that cover 90% of the runs.

    Raises:
        ValidationError: (a `ValueError`) ``path`` does not end in ``.png`` or ``.svg``.
        ImportError: matplotlib is not installed.
    """
    where, suffix = target(path, "a forecast chart") if path is not None else (None, "")
    require_matplotlib("the forecast chart")
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = draw(forecast)
        if where is None:
            return figure
        save(figure, where, suffix, title=forecast.scenario)
    return where


def draw(forecast: Forecast) -> Figure:
    """The chart of ``forecast`` (see `plot`), drawn under the caller's `RC` context."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    spreads = (forecast.programme, *forecast.pairs)
    first, last = _horizon(forecast)
    width, unit = _bin_width(last - first + 1)
    # bins end on the programme's end, so none straddles it: a bar is all on time or all late
    end = _end(forecast).toordinal() + 1
    low = end - width * math.ceil((end - first) / width)
    high = end + width * max(0, math.ceil((last + 1 - end) / width))
    margin = max(7.0, 0.02 * (high - low))
    limits = (low - margin, high + margin)

    figure = Figure(figsize=(WIDTH, height(len(forecast.pairs))), dpi=DPI, layout="constrained")
    grid = figure.add_gridspec(
        2 + len(forecast.pairs),
        2,
        width_ratios=(4.2, 1),
        height_ratios=(0.12, 2.4, *(1.0 for _ in forecast.pairs)),
    )
    header = figure.add_subplot(grid[0, :])
    header.axis("off")
    header.text(0.5, 0.5, _subtitle(forecast), ha="center", va="center", color=INK)
    figure.suptitle(forecast.scenario, fontsize=13, fontweight="bold")

    top = figure.add_subplot(grid[1, 0])
    panels = [top]
    for row in range(len(forecast.pairs)):
        share_y = panels[1] if row else None
        panels.append(figure.add_subplot(grid[2 + row, 0], sharex=top, sharey=share_y))
    per = max(forecast.done, 1)
    names: list[tuple[Annotation, Sequence[Candidate]]] = []
    for ax, spread in zip(panels, spreads, strict=True):
        odds = [d for d in forecast.deadlines if d.pair == spread.pair and d.due.p50]
        mark_at = 0.8 if ax is top else 0.88
        _draw_spread(ax, spread, forecast, per, (low, end, high, width), odds, mark_at)
        names += _name_deadlines(ax, odds, limits, mark_at)
        ax.yaxis.set_major_formatter(FuncFormatter(_tick_percent))
        ax.set_title(_heading(spread, forecast), loc="left", fontsize=9, color=INK)
    top.set_title(
        _heading(forecast.programme, forecast), loc="left", fontsize=10, fontweight="bold"
    )
    top.set_ylabel(f"share of runs, per {unit}")
    lines = _name_lines(top, forecast.programme, forecast)

    top.set_xlim(*limits)
    major, labels, minor = month_ticks(_day(math.ceil(limits[0])), _day(int(limits[1])))
    for ax in panels:
        ax.set_xticks(major, labels)
        ax.set_xticks(minor, minor=True)
        ax.grid(axis="x", which="major", color=_GRID, linewidth=0.7)
        ax.set_axisbelow(True)
    for ax in panels[1:-1]:
        ax.tick_params(axis="x", which="both", labelbottom=False)

    _draw_extensions(figure.add_subplot(grid[1, 1]), forecast)

    legend: dict[str, Artist] = {
        "completed on time": Patch(facecolor=_ON_TIME),
        "completed late": Patch(facecolor=MISSED, alpha=_LATE_ALPHA),
        "programme end": Line2D([], [], color=MISSED, linewidth=1.6),
        "P10, P50 (median), P90": Line2D([], [], color=_FAINT, linestyle=":", linewidth=1.2),
    }
    if any(d.due.p50 for d in forecast.deadlines):
        legend["deadline, median due day"] = Line2D([], [], **_DEADLINE_MARK)
    if forecast.pairs:
        box = figure.add_subplot(grid[2:, 1])
        box.axis("off")
        box.legend(legend.values(), legend.keys(), loc="upper left", fontsize=8, frameon=False)
    else:
        top.legend(legend.values(), legend.keys(), loc="upper left", fontsize=8)
    place_labels(figure, [*lines, *names])
    return figure


def _day(ordinal: int) -> pendulum.Date:
    return pendulum.Date.fromordinal(ordinal)


def _horizon(forecast: Forecast) -> tuple[int, int]:
    """The first and last day (ordinals) the chart must show."""
    days = [_end(forecast).toordinal()]
    for spread in (forecast.programme, *forecast.pairs):
        days += [day.toordinal() for day, _ in spread.histogram]
    # not the deadlines: an early one would stretch the axis over the years before any
    # completion and squeeze the histograms (those outside are counted at the panel's edge)
    return min(days), max(days)


def _bin_width(days: int) -> tuple[int, str]:
    """The width of a bar, in days, and its name: as narrow as keeps the bars few enough."""
    return next(((w, u) for w, u in _BINS if days <= w * _MAX_BINS), _BINS[-1])


def percent(share: float) -> str:
    """``share`` as a whole percentage, never rounded to a misleading 0% or 100%."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{share:.0%}"


def _tick_percent(share: float, _: object) -> str:
    """A y tick: "6%", "0.5%" (as many decimals as the tick has, none more)."""
    return f"{round(share * 100, 6):g}%"


def _short(day: pendulum.Date, *, year: bool = False) -> str:
    return day.format("D MMM YYYY" if year else "D MMM", locale="en")


def _subtitle(forecast: Forecast) -> str:
    runs = f"{forecast.runs} runs"
    if forecast.partial:
        runs = f"partial: {forecast.done} of {forecast.runs} runs"
    head = f"{runs}, seed {forecast.seed}"
    if not forecast.done:
        return f"{head}: no run finished"
    months = forecast.extension_for(0.9)
    cover = f"{months} month{'s' if months != 1 else ''} cover 90%" if months else "none in 90%"
    return (
        f"{head}: an extension needed in {percent(forecast.extension_probability)} of runs; {cover}"
    )


def _end(forecast: Forecast) -> pendulum.Date:
    """The programme's end the chart marks: as extended, in the median run, if the scenario's
    script extends it (so the late bars agree with the extension needed); else as defined."""
    return forecast.extended_end.p50 or forecast.ends_on


def _late(spread: Spread, forecast: Forecast) -> int:
    """How many runs completed after the programme's end."""
    return sum(n for day, n in spread.histogram if day > _end(forecast))


def _heading(spread: Spread, forecast: Forecast) -> str:
    name = spread.pair or "Programme completion (its last pair's)"
    if not forecast.done:
        return name
    if not spread.runs:
        return f"{name}: never completed"
    parts = [f"{name}: late in {percent(_late(spread, forecast) / forecast.done)} of runs"]
    if spread.runs < forecast.done:
        never = (forecast.done - spread.runs) / forecast.done
        parts.append(f"never completed in {percent(never)}")
    return "; ".join(parts)


def _draw_spread(
    ax: Axes,
    spread: Spread,
    forecast: Forecast,
    per: int,
    bins: tuple[int, int, int, int],
    odds: Sequence[DeadlineOdds],
    mark_at: float,
) -> None:
    low, end, high, width = bins
    counts = [0] * ((high - low) // width)
    for day, n in spread.histogram:
        counts[(day.toordinal() - low) // width] += n
    lefts = [low + i * width for i, n in enumerate(counts) if n]
    shares = [n / per for n in counts if n]
    late = [left >= end for left in lefts]
    for is_late in (False, True):
        chosen = [i for i, flag in enumerate(late) if flag == is_late]
        if chosen:
            ax.bar(
                [lefts[i] for i in chosen],
                [shares[i] for i in chosen],
                width=width,
                align="edge",
                color=MISSED if is_late else _ON_TIME,
                alpha=_LATE_ALPHA if is_late else 1.0,
                edgecolor="white",
                linewidth=0.6,
                zorder=2,
            )
    ax.axvspan(end, high + width * 10, color=MISSED, alpha=0.05, linewidth=0, zorder=0)
    ax.axvline(end, color=MISSED, linewidth=1.6, zorder=4)
    for percentile in (spread.p10, spread.p50, spread.p90):
        if percentile is not None:
            ax.axvline(x_of(percentile) + 0.5, color=_FAINT, linestyle=":", linewidth=1.2, zorder=3)
    if not spread.runs:
        ax.text(0.5, 0.5, "no run completed", transform=ax.transAxes, ha="center", color=_FAINT)
    top = max(shares, default=0.0)
    ax.set_ylim(0, max(top * 1.35, 0.01))
    # room above the bars for the marks, but no tick above the tallest bar (no "120%")
    ax.set_yticks([t for t in ax.get_yticks() if t <= top * 1.05] if top else [])
    ax.tick_params(axis="y", labelsize=7)


def _odds(row: DeadlineOdds) -> str:
    """How often a deadline was missed: a milestone nothing reached is "never reached", not
    missed by 0 days; both, when some runs met it late and others never."""
    never = row.never_probability
    if not never:
        return f"missed in {percent(row.miss_probability)}"
    if never >= row.miss_probability:
        return f"never reached in {percent(never)}"
    return f"missed in {percent(row.miss_probability)} (never reached in {percent(never)})"


def _name_deadlines(
    ax: Axes, odds: Sequence[DeadlineOdds], limits: tuple[float, float], mark_at: float
) -> list[tuple[Annotation, Sequence[Candidate]]]:
    """Mark each deadline's median due day; name it beside its mark (placed later, where it
    touches no other text). Deadlines off the axis are counted at its edge instead."""
    transform = ax.get_xaxis_transform()
    names: list[tuple[Annotation, Sequence[Candidate]]] = []
    before: list[DeadlineOdds] = []
    after: list[DeadlineOdds] = []
    for row in odds:
        if row.due.p50 is None:
            continue
        due = x_of(row.due.p50) + 0.5
        if not limits[0] <= due <= limits[1]:
            (before if due < limits[0] else after).append(row)
            continue
        ax.plot([due], [mark_at], transform=transform, zorder=5, **_DEADLINE_MARK)
        label = ax.annotate(
            f"{row.name.replace('_', ' ')} due {_short(row.due.p50)}, {_odds(row)}",
            (due, mark_at),
            xycoords=transform,
            xytext=(-8, 0),
            bbox=_BEHIND,
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=7,
            color=INK,
            zorder=5,
        )
        names.append((label, beside(8, 11, 5)))
    edges: tuple[tuple[list[DeadlineOdds], str, float, HAlign], ...] = (
        (before, "before", 0.0, "left"),
        (after, "after", 1.0, "right"),
    )
    for off, side, x, align in edges:
        if not off:
            continue
        worst = percent(max(row.miss_probability for row in off))
        count = f"{len(off)} deadline{'s' if len(off) != 1 else ''}"
        # all of them milestones nothing reached, in every run that missed them: say so
        never = all(row.never_probability >= row.miss_probability for row in off)
        text = (
            f"{count} {side} this axis, {'never reached' if never else 'missed'} in up to {worst}"
        )
        label = ax.annotate(
            f"\u2190 {text}" if side == "before" else f"{text} \u2192",
            (x, mark_at),
            xycoords="axes fraction",
            xytext=(2 if side == "before" else -2, 0),
            textcoords="offset points",
            ha=align,
            va="center",
            fontsize=7,
            color=INK,
            bbox=_BEHIND,
            zorder=5,
        )
        gap = 2.0 if side == "before" else -2.0
        names.append((label, [(gap, -11.0 * level, align, "center") for level in range(5)]))
    return names


def _name_lines(
    ax: Axes, spread: Spread, forecast: Forecast
) -> list[tuple[Annotation, Sequence[Candidate]]]:
    """Name the programme's end and its percentiles in the top panel (placed later, where
    they touch no other text)."""
    placed: list[tuple[Annotation, Sequence[Candidate]]] = []
    transform = ax.get_xaxis_transform()
    names: dict[pendulum.Date, list[str]] = {}  # one label for percentiles on the same day
    for day, name in ((spread.p10, "P10"), (spread.p50, "P50"), (spread.p90, "P90")):
        if day is not None:
            names.setdefault(day, []).append(name)
    for day, same in names.items():
        label = ax.annotate(
            f"{', '.join(same)}\n{_short(day)}",
            (x_of(day) + 0.5, 1.0),
            xycoords=transform,
            xytext=(0, -2),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            color=_FAINT,
            bbox=_BEHIND,
            zorder=5,
        )
        # under the top of its line, a level lower when it would touch a neighbour's
        placed.append((label, [(0.0, -2.0 - 21.0 * level, "center", "top") for level in range(4)]))
    end = ax.annotate(
        f"programme end{' (extended)' if _end(forecast) != forecast.ends_on else ''}\n"
        f"{_short(_end(forecast), year=True)}",
        (_end(forecast).toordinal() + 1, 0.72),
        xycoords=transform,
        xytext=(4, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=8,
        color=MISSED,
        fontweight="bold",
        bbox=_BEHIND,
        zorder=5,
    )
    placed.append((end, beside(4, 12, 6, right=True)))
    return placed


def _draw_extensions(ax: Axes, forecast: Forecast) -> None:
    """The months of extension needed, as shares of the runs."""
    months = [m for m, _ in forecast.extensions]
    shares = [s for _, s in forecast.extensions]
    ax.bar(
        months,
        shares,
        width=0.75,
        color=[MISSED if m else _ON_TIME for m in months],
        alpha=None,
        edgecolor="white",
        zorder=2,
    )
    for bar in ax.patches[1:]:
        bar.set_alpha(_LATE_ALPHA)
    # with many lengths, every n-th is named (and its share written), so none touch
    every = max(1, math.ceil(len(months) / _MOST_MONTHS))
    for m, share in zip(months, shares, strict=True):
        if share and m % every == 0:
            ax.annotate(
                percent(share),
                (m, share),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color=INK,
            )
    named = months[::every]
    ax.set_xticks(named, ["none", *(str(m) for m in named[1:])])
    ax.set_xticks(months, minor=True)
    ax.set_xlim(-0.6, max([*months, 3]) + 0.6)  # a lone "none" bar stays a bar's width
    ax.set_ylim(0, max(max(shares, default=0.0) * 1.25, 0.01))
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("months of extension needed", fontsize=8)
    needed = percent(forecast.extension_probability) if forecast.done else "?"
    ax.set_title(f"Extension needed in {needed}", loc="left", fontsize=10, fontweight="bold")
