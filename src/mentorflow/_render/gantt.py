"""The Gantt chart of a timeline (PNG or SVG), drawn with matplotlib.

matplotlib is imported only when `gantt` runs (install it with ``pip install
"mentorflow[charts]"``). The chart is drawn on a `matplotlib.figure.Figure` of its own,
outside pyplot (a PNG is rendered by Agg, an SVG by the SVG backend, whatever the selected
backend), under a local `matplotlib.rc_context`, so neither the global settings, the
backend nor pyplot's figures change.
The output is deterministic: the same timeline gives byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, overload

from .._domain.model import VisitMode
from .._simulation.scenario import PhaseSpan, Timeline
from .charts import (
    DPI,
    RC,
    Candidate,
    below,
    month_ticks,
    place_labels,
    require_matplotlib,
    save,
    target,
)
from .charts import INK as _INK
from .charts import MISSED as _MISSED
from .charts import x_of as _x

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.text import Annotation
    from matplotlib.typing import FillStyleType, LineStyleType

WIDTH = 12.0
"""The chart's width, in inches."""

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
)
"""The phases' colours, in the order the phases first appear (no red: red marks misses)."""

_PROJECTED = "#8a8a8a"
_ACTIVITY = "#3b3b3b"  # programme-wide activities: no phase colour, no red
_SHADE = 0.22
_ACTIVITY_MARK: dict[str, Any] = {
    "marker": "v",
    "markersize": 7,
    "color": _ACTIVITY,
    "markeredgecolor": "white",
    "markeredgewidth": 0.6,
}
_BEHIND: dict[str, Any] = {  # a label stays legible over a line or a bar
    "boxstyle": "square,pad=0.1",
    "facecolor": "white",
    "edgecolor": "none",
    "alpha": 0.75,
}
_BAR = 0.56  # bar height, in rows
_KEPT_MARK: dict[str, Any] = {
    "marker": "o",
    "markersize": 6.5,
    "markerfacecolor": "white",
    "markeredgecolor": _INK,
    "markeredgewidth": 1.6,
}
_MISSED_MARK: dict[str, Any] = {
    "marker": "X",
    "markersize": 10,
    "color": _MISSED,
    "markeredgecolor": "white",
    "markeredgewidth": 0.8,
}
_MARKERS: dict[VisitMode, FillStyleType] = {
    VisitMode.IN_PERSON: "full",
    VisitMode.ONLINE: "none",
    VisitMode.HYBRID: "left",
}


def height(rows: int) -> float:
    """The chart's height, in inches, for ``rows`` rows (the pairs, plus one for the programme)."""
    return 3.6 + 0.55 * rows


def _lighter(colour: str, share: float = 0.55) -> tuple[float, float, float]:
    """``colour`` mixed with ``share`` of white."""
    rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c + (1 - c) * share for c in rgb)
    return (r, g, b)


def _pairs(timeline: Timeline) -> list[str]:
    """Every pair, in the order the timeline first mentions it."""
    keys: dict[str, None] = {}
    for owner in (
        *(span.pair for span in timeline.phases),
        *(visit.pair for visit in timeline.visits),
        *(row.pair for row in timeline.deadlines),
    ):
        if owner is not None:
            keys.setdefault(owner, None)
    return list(keys)


def _horizon(timeline: Timeline) -> tuple[dt.date, dt.date]:
    """The first and last day the chart must show."""
    days: list[dt.date] = [timeline.starts_on, timeline.ends_on, timeline.original_ends_on]
    for span in timeline.phases:
        days += [span.started_on] + ([span.ended_on] if span.ended_on else [])
    for visit in timeline.visits:
        days += [visit.starts_on, visit.ends_on]
    for held in timeline.activities:
        days += [held.activity.starts_on, held.activity.ends_on]
    for row in timeline.deadlines:
        days += [d for d in (row.due_on, row.met_on) if d is not None]
    if timeline.completed_on is not None:
        days.append(timeline.completed_on)
    return min(days), max(days)


def _subtitle(timeline: Timeline) -> str:
    parts = [f"programme {timeline.starts_on} to {timeline.ends_on}"]
    if timeline.ends_on != timeline.original_ends_on:
        parts[0] += f" (extended from {timeline.original_ends_on})"
    parts.append(f"last completion {timeline.completed_on or 'none'}")
    if timeline.breach_days:
        parts.append(f"{timeline.breach_days} days past the end")
    missed = len(timeline.missed)
    parts.append(f"{missed} missed deadline{'s' if missed != 1 else ''}")
    return "; ".join(parts)


@overload
def gantt(timeline: Timeline, path: None = None) -> Figure: ...
@overload
def gantt(timeline: Timeline, path: str | os.PathLike[str]) -> pathlib.Path: ...
def gantt(timeline: Timeline, path: str | os.PathLike[str] | None = None) -> pathlib.Path | Figure:
    """Draw the timeline as a Gantt chart in ``path`` (``.png`` or ``.svg``); return the path.
    Without a path, return the chart as a `matplotlib.figure.Figure` (a notebook shows it).

    One row per pair, under a row for the programme itself. Each phase is a bar from its
    start to its end, coloured by phase: solid if the script completed it, lighter and
    hatched if the simulation projected it, outlined and dashed if it never ended (the pair
    withdrew in it, or the scenario stops before its end). Study visits are diamonds
    (filled: in person; hollow: online; half: hybrid; grey: projected), numbered. Deadlines
    are hollow circles on their due day, on the lower edge of their row's bars (a visit's
    diamond stays in sight), named under them where the name touches no other text; missed
    ones are red crosses, with a red line to the day they were met. The programme row shows
    the programme's span (and its extension) and its own deadlines; vertical lines mark the
    planned end and, if it moved, the extended end. Programme-wide activities (transnational
    meetings, the final conference) shade their days across the rows of the pairs that took
    part, with a dark triangle on the programme row.

    Raises:
        ValidationError: (a `ValueError`) ``path`` does not end in ``.png`` or ``.svg``.
        ImportError: matplotlib is not installed.
    """
    where, suffix = target(path, "a Gantt chart") if path is not None else (None, "")
    require_matplotlib("the Gantt chart")
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = draw(timeline)
        if where is None:
            return figure
        save(figure, where, suffix)
    return where


def draw(timeline: Timeline) -> Figure:
    """The Gantt chart of ``timeline`` (see `gantt`), drawn under the caller's `RC` context."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    pairs = _pairs(timeline)
    rows: dict[str | None, int] = {None: 0}
    rows.update((key, i + 1) for i, key in enumerate(pairs))
    first, last = _horizon(timeline)
    margin = max(20.0, 0.03 * (_x(last) - _x(first)))
    left, right = _x(first) - margin, _x(last) + margin

    figure = Figure(figsize=(WIDTH, height(len(rows))), dpi=DPI, layout="constrained")
    ax = figure.add_subplot()
    legend: dict[str, Artist] = {}

    _draw_programme(ax, timeline, legend, Patch)
    _draw_activities(ax, timeline, rows, (right - left) / 300, legend, Patch, Line2D)
    colours = _draw_phases(ax, timeline.phases, rows, right, legend, Patch)
    _draw_visits(ax, timeline, rows, legend, Line2D)
    names = _draw_deadlines(ax, timeline, rows, legend, Line2D)
    _draw_ends(ax, timeline, right, legend, Patch, Line2D)

    ax.set_xlim(left, right)
    ax.set_ylim(len(rows) - 0.45, -0.6)
    ax.set_yticks(list(rows.values()), ["programme", *pairs])
    major, labels, minor = month_ticks(first, last)
    ax.set_xticks(major, labels)
    ax.set_xticks(minor, minor=True)
    ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.7)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    figure.suptitle(timeline.scenario, fontsize=13, fontweight="bold")
    ax.set_title(_subtitle(timeline), fontsize=9, color=_INK)

    phase_handles = [legend[f"phase:{phase}"] for phase in colours]
    other = [(k, v) for k, v in legend.items() if not k.startswith("phase:")]
    figure.legend(
        handles=[*phase_handles, *(v for _, v in other)],
        labels=[*(p.replace("_", " ") for p in colours), *(k for k, _ in other)],
        loc="outside right upper",
        fontsize=8,
        frameon=False,
    )
    place_labels(figure, names)
    return figure


def _draw_programme(
    ax: Axes, timeline: Timeline, legend: dict[str, Artist], patch: type[Patch]
) -> None:
    start, planned, end = (
        _x(timeline.starts_on),
        _x(timeline.original_ends_on),
        _x(timeline.ends_on),
    )
    ax.barh(0, planned - start, left=start, height=_BAR * 0.5, color="#d9d9d9", linewidth=0)
    legend["programme period"] = patch(facecolor="#d9d9d9")
    if end > planned:
        ax.barh(
            0,
            end - planned,
            left=planned,
            height=_BAR * 0.5,
            facecolor="#f2f2f2",
            edgecolor="#9a9a9a",
            hatch="xx",
            linewidth=0.6,
        )
        legend["extension"] = patch(facecolor="#f2f2f2", edgecolor="#9a9a9a", hatch="xx")


def _draw_activities(
    ax: Axes,
    timeline: Timeline,
    rows: dict[str | None, int],
    least: float,
    legend: dict[str, Artist],
    patch: type[Patch],
    line: type[Line2D],
) -> None:
    """Each activity: a shade over its days (at least ``least`` wide, so a one-day meeting
    shows on a five-year axis) across the rows of the pairs that took part, over the bars
    and under the visits and deadlines, and a triangle on the top edge of the programme row."""
    for held in timeline.activities:
        start, end = _x(held.activity.starts_on), _x(held.activity.ends_on) + 1
        width = max(end - start, least)
        left = (start + end - width) / 2
        taking_part = sorted(rows[key] for key in held.pairs if key in rows)
        if taking_part:
            ax.barh(
                taking_part,
                width,
                left=left,
                height=1.0,
                color=_ACTIVITY,
                alpha=_SHADE,
                linewidth=0,
                zorder=2.5,
            )
        ax.plot([(start + end) / 2], [-_BAR / 4], linestyle="none", zorder=6, **_ACTIVITY_MARK)
    if timeline.activities:
        legend["programme-wide activity"] = line([], [], linestyle="none", **_ACTIVITY_MARK)
        legend["activity's days, its pairs"] = patch(facecolor=_ACTIVITY, alpha=_SHADE)


def _draw_phases(
    ax: Axes,
    spans: Iterable[PhaseSpan],
    rows: dict[str | None, int],
    right: float,
    legend: dict[str, Artist],
    patch: type[Patch],
) -> dict[str, str]:
    colours: dict[str, str] = {}
    kinds: dict[str, str] = {}  # each kind of bar drawn, and the colour of its first
    for span in spans:
        colour = colours.setdefault(span.phase, PALETTE[len(colours) % len(PALETTE)])
        legend.setdefault(f"phase:{span.phase}", patch(facecolor=colour, edgecolor="white"))
        start = _x(span.started_on)
        style: dict[str, Any]
        if span.ended_on is None:
            end, kind = right, "open"
            style = {
                "facecolor": _lighter(colour, 0.8),
                "edgecolor": colour,
                "linestyle": "--",
                "linewidth": 1.2,
            }
        elif span.projected:
            end, kind = _x(span.ended_on), "projected"
            style = {
                "facecolor": _lighter(colour),
                "edgecolor": colour,
                "hatch": "///",
                "linewidth": 0.8,
            }
        else:
            end, kind = _x(span.ended_on), "actual"
            style = {"facecolor": colour, "edgecolor": "white", "linewidth": 0.8}
        kinds.setdefault(kind, colour)
        ax.barh(rows[span.pair], max(end - start, 1.0), left=start, height=_BAR, **style)
    # each kind's swatch is drawn as the first bar of that kind is, so it matches a bar
    if "actual" in kinds:
        legend["phase, actual"] = patch(facecolor=kinds["actual"], edgecolor="white")
    if "projected" in kinds:
        first = kinds["projected"]
        legend["phase, projected"] = patch(facecolor=_lighter(first), edgecolor=first, hatch="///")
    if "open" in kinds:
        first = kinds["open"]
        legend["phase, never ended"] = patch(
            facecolor=_lighter(first, 0.8), edgecolor=first, linestyle="--"
        )
    return colours


def _draw_visits(
    ax: Axes,
    timeline: Timeline,
    rows: dict[str | None, int],
    legend: dict[str, Artist],
    line: type[Line2D],
) -> None:
    modes: set[VisitMode] = set()
    projected = False
    for visit in sorted(timeline.visits, key=lambda v: (rows[v.pair], v.starts_on, v.number)):
        middle = (_x(visit.starts_on) + _x(visit.ends_on)) / 2
        ink = _PROJECTED if visit.projected else "black"
        projected |= visit.projected
        modes.add(visit.mode)
        y = rows[visit.pair]
        ax.plot(
            [middle],
            [y],
            marker="D",
            markersize=8,
            fillstyle=_MARKERS[visit.mode],
            color=ink,
            markerfacecoloralt="white",
            markeredgecolor=ink,
            markeredgewidth=1.3,
            linestyle="none",
            zorder=4,
        )
        ax.annotate(
            str(visit.number),
            (middle, y - _BAR / 2),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color=ink,
            zorder=4,
        )
    names = {
        VisitMode.IN_PERSON: "in person",
        VisitMode.ONLINE: "online",
        VisitMode.HYBRID: "hybrid",
    }
    for mode in (VisitMode.IN_PERSON, VisitMode.ONLINE, VisitMode.HYBRID):
        if mode in modes:
            legend[f"study visit, {names[mode]}"] = line(
                [],
                [],
                marker="D",
                markersize=7,
                fillstyle=_MARKERS[mode],
                color="black",
                markerfacecoloralt="white",
                markeredgewidth=1.3,
                linestyle="none",
            )
    if projected:
        legend["study visit, projected"] = line(
            [], [], marker="D", markersize=7, color=_PROJECTED, linestyle="none"
        )


def _draw_deadlines(
    ax: Axes,
    timeline: Timeline,
    rows: dict[str | None, int],
    legend: dict[str, Artist],
    line: type[Line2D],
) -> list[tuple[Annotation, Sequence[Candidate]]]:
    """Mark each deadline on the lower edge of its row's bars (a visit's diamond, in the
    middle, stays in sight), with its name under it (placed later, where it touches no
    other text)."""
    kept = missed = late = False
    names: list[tuple[Annotation, Sequence[Candidate]]] = []
    for row in timeline.deadlines:
        if row.due_on is None:
            continue
        y = rows[row.pair] + (_BAR / 2 if row.pair else _BAR / 4)
        due = _x(row.due_on)
        if row.missed:
            missed = True
            if row.met_on is not None and row.met_on > row.due_on:
                late = True
                ax.plot(
                    [due, _x(row.met_on)],
                    [y] * 2,
                    color=_MISSED,
                    linewidth=2.4,
                    solid_capstyle="butt",
                    zorder=5,
                )
            ax.plot([due], [y], linestyle="none", zorder=6, **_MISSED_MARK)
        else:
            kept = True
            ax.plot([due], [y], linestyle="none", zorder=6, **_KEPT_MARK)
        label = ax.annotate(
            row.name.replace("_", " "),
            (due, y),
            xytext=(0, -6),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7 if row.pair is None else 6.5,
            color=_MISSED if row.missed else _INK,
            bbox=_BEHIND,
            zorder=6,
        )
        names.append((label, below(6, 8, 3)))
    if kept:
        legend["deadline, met or not yet due"] = line([], [], linestyle="none", **_KEPT_MARK)
    if missed:
        legend["deadline, missed"] = line([], [], linestyle="none", **_MISSED_MARK)
    if late:
        legend["late by (due to met)"] = line([], [], color=_MISSED, linewidth=2.4)
    return names


def _draw_ends(
    ax: Axes,
    timeline: Timeline,
    right: float,
    legend: dict[str, Artist],
    patch: type[Patch],
    line: type[Line2D],
) -> None:
    planned, end = _x(timeline.original_ends_on), _x(timeline.ends_on)
    ax.axvspan(end, right, color=_MISSED, alpha=0.06, linewidth=0, zorder=0)
    legend["after the programme's end"] = patch(facecolor=_MISSED, alpha=0.12)
    ends: list[tuple[float, LineStyleType, str]] = [
        (end, "-", f"programme end ({timeline.ends_on})")
    ]
    if end != planned:
        ends = [
            (planned, "--", f"planned end ({timeline.original_ends_on})"),
            (end, "-", f"extended end ({timeline.ends_on})"),
        ]
    for x, style, label in ends:
        ax.axvline(x, color=_INK, linestyle=style, linewidth=1.3, zorder=3)
        legend[label] = line([], [], color=_INK, linestyle=style, linewidth=1.3)
