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
from typing import TYPE_CHECKING, Any

from ..exceptions import ValidationError

if TYPE_CHECKING:
    from matplotlib.figure import Figure
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
