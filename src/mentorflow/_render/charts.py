"""What the charts share: their formats, look, month axis and deterministic saving.

matplotlib is imported only by `require_matplotlib` (and under ``TYPE_CHECKING``), so importing
this module costs nothing. Every chart is drawn on a `matplotlib.figure.Figure` of its own,
outside pyplot, under ``matplotlib.rc_context(RC)``, and saved by `save`: the same input gives
byte-identical PNG and SVG files.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation, Text
    from matplotlib.typing import RcKeyType

FORMATS = (".png", ".svg")
"""The suffixes the charts are written as."""
DPI = 100
"""The resolution of PNG charts (SVG charts are vector graphics)."""

INK = "#333333"
"""Text and neutral marks."""
MISSED = "#d62728"
"""Red: misses, lateness and the programme's end; nothing else is red."""

RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "mentorflow",  # stable SVG ids
    "svg.fonttype": "path",  # no dependence on the reader's fonts
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "font.size": 9,
    "hatch.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
"""The settings every chart is drawn under (in a `matplotlib.rc_context`)."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def target(path: str | os.PathLike[str], what: str) -> tuple[pathlib.Path, str]:
    """``path`` and its lower-case suffix, if it is one of `FORMATS`.

    Raises:
        ValidationError: the suffix is not one of `FORMATS` (``what`` names the chart).
    """
    where = pathlib.Path(path)
    suffix = where.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError(
            str(where),
            f"can't draw {what} as {where.suffix or 'a file without a suffix'!r}: "
            f"use one of {', '.join(FORMATS)}",
        )
    return where, suffix


def require_matplotlib(what: str) -> None:
    """Import matplotlib, or say which extra installs it (``what`` names the chart).

    Raises:
        ImportError: matplotlib is not installed.
    """
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError as err:
        raise ImportError(f'{what} needs matplotlib: pip install "mentorflow[charts]"') from err


def save(figure: Figure, where: pathlib.Path, suffix: str, title: str | None = None) -> None:
    """Write ``figure`` to ``where`` with no date and no software version in its metadata."""
    metadata: dict[str, Any] = {"Date": None} if suffix == ".svg" else {"Software": None}
    if title is not None:
        metadata["Title"] = title
    figure.savefig(where, format=suffix[1:], dpi=DPI, metadata=metadata)


def x_of(day: dt.date) -> float:
    """A day on the x axis: its proleptic ordinal (day 1 is 1 January of year 1)."""
    return float(day.toordinal())


def month_ticks(first: dt.date, last: dt.date) -> tuple[list[float], list[str], list[float]]:
    """Major ticks (positions, labels) every 1, 2, 3, 6 or 12 months, and monthly minor ticks."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((s for s, limit in ((1, 12), (2, 24), (3, 48), (6, 96)) if months <= limit), 12)
    major: list[float] = []
    labels: list[str] = []
    minor: list[float] = []
    year, month = first.year, first.month
    while dt.date(year, month, 1) <= last:
        day = dt.date(year, month, 1)
        if day >= first:
            if (month - 1) % step == 0:
                major.append(x_of(day))
                name = _MONTHS[month - 1]
                labels.append(f"{name}\n{year}" if month == 1 or not labels else name)
            else:
                minor.append(x_of(day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return major, labels, minor


HAlign = Literal["left", "center", "right"]
VAlign = Literal["top", "center", "bottom"]
Candidate = tuple[float, float, HAlign, VAlign]
"""Where a label may go, from the point it names: an offset in points (x, y) and its
horizontal and vertical alignment."""


def beside(gap: float, step: float, levels: int, *, right: bool = False) -> list[Candidate]:
    """Candidates left then right of a mark (``right``: right then left), on its line, then
    ``step`` points lower, and so on for ``levels`` lines."""
    sides: tuple[tuple[float, HAlign], ...] = ((-gap, "right"), (gap, "left"))
    sides = sides[::-1] if right else sides
    return [(dx, -step * level, ha, "center") for level in range(levels) for dx, ha in sides]


def below(gap: float, step: float, levels: int) -> list[Candidate]:
    """Candidates under a mark: centred, then starting at it, then ending at it; then
    ``step`` points lower, and so on for ``levels`` lines."""
    sides: tuple[tuple[float, HAlign], ...] = ((0.0, "center"), (0.0, "left"), (0.0, "right"))
    return [(dx, -gap - step * level, ha, "top") for level in range(levels) for dx, ha in sides]


def place_labels(figure: Figure, labels: Sequence[tuple[Annotation, Sequence[Candidate]]]) -> None:
    """Move each label to the first of its candidates where it touches no other text of the
    figure (those placed before it included) and stays inside its axes; with no such place,
    to the one that overlaps least.

    The labels take no part in the layout (so moving them moves nothing else); the layout is
    run first, as the figure will be drawn.
    """
    if not labels:
        return
    for label, _ in labels:
        label.set_in_layout(False)
    figure.draw_without_rendering()
    renderer = _renderer(figure)
    moving = {id(label) for label, _ in labels}
    placed = [t.get_window_extent(renderer) for t in drawn_texts(figure) if id(t) not in moving]
    for label, candidates in labels:
        bounds = label.axes.bbox if label.axes is not None else figure.bbox
        best: tuple[float, Any] | None = None
        for dx, dy, ha, va in candidates:
            label.xyann = (dx, dy)
            label.set_horizontalalignment(ha)
            label.set_verticalalignment(va)
            box = label.get_window_extent(renderer)
            outside = max(0.0, bounds.x0 - box.x0) + max(0.0, box.x1 - bounds.x1)
            outside += max(0.0, bounds.y0 - box.y0) + max(0.0, box.y1 - bounds.y1)
            cost = 10 * outside + sum(_overlap(box, other) for other in placed)
            if best is None or cost < best[0]:
                best = (cost, (dx, dy, ha, va))
            if cost == 0:
                break
        assert best is not None
        dx, dy, ha, va = best[1]
        label.xyann = (dx, dy)
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        placed.append(label.get_window_extent(renderer))


def _overlap(a: Any, b: Any, pad: float = 1.0) -> float:
    """The area two boxes share, each grown by ``pad`` pixels."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0) + 2 * pad
    height = min(a.y1, b.y1) - max(a.y0, b.y0) + 2 * pad
    return width * height if width > 0 and height > 0 else 0.0


def _renderer(figure: Figure) -> Any:
    """The renderer PNG files are drawn with (text extents as in the files)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = figure.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(figure)
    return canvas.get_renderer()  # type: ignore[no-untyped-call]


def drawn_texts(figure: Figure) -> list[Text]:
    """Every visible, non-empty text the figure draws (titles, tick labels, annotations,
    legends); tick labels only of ticks inside their axis's view."""
    found: list[Text] = [*figure.texts]  # the suptitle among them
    for legend in figure.legends:
        found += legend.get_texts()
    for ax in figure.axes:
        found += ax.texts
        for name in ("title", "_left_title", "_right_title"):  # its centre, left, right titles
            title = getattr(ax, name, None)
            if title is not None:
                found.append(title)
        own = ax.get_legend()
        if own is not None:
            found += own.get_texts()
        if not ax.axison:
            continue
        for axis, limits in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = sorted(limits)
            found.append(axis.label)
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if tick.label1.get_visible() and low <= tick.get_loc() <= high:
                    found.append(tick.label1)
    return [t for t in dict.fromkeys(found) if t.get_visible() and t.get_text().strip()]
