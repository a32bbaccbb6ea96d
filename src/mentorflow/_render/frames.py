"""pandas DataFrames of timelines, comparisons and forecasts, with typed columns.

pandas is imported only when a frame is built (install it with ``pip install
"mentorflow[pandas]"``). Every frame has the same columns and dtypes whatever it holds (an
empty timeline gives an empty frame with the same columns), so code written against one
scenario runs on any other:

- days are timezone-aware ``datetime64`` values at midnight in the programme's timezone (an
  absent day is ``NaT``);
- kinds, statuses and visit modes are categoricals with every possible value as a category
  (in the library's order), so a count of them lists the statuses no row has, too;
- numbers that may be absent (days late, a visit's number) are nullable ``Int64``;
- names and pairs are ``string`` (a programme's own row has ``<NA>`` as its pair).

The ``wide`` forms have one row per thing; the ``long`` forms are tidy (one row per thing and
date), so they plot directly (``seaborn``, ``plotly.express``, ``DataFrame.plot``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._core.book import DeadlineStatus
from .._domain.extensions import ExtensionStatus
from .._domain.model import VisitMode
from .._domain.validate import show
from .._domain.views import register_frame
from .._simulation.compare import Comparison
from .._simulation.forecast import Forecast, Spread
from .._simulation.scenario import Timeline
from ..exceptions import ValidationError
from .forecast_exports import COLUMNS

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("phase", "visit", "deadline", "extension")
"""The kinds of a timeline's rows, in order."""
PHASE_STATUSES = ("completed", "migrated", "withdrawn", "suspended", "unfinished")
"""What a phase's span can end as (see `PhaseSpan.status`)."""
STATUSES = (
    *PHASE_STATUSES,
    "held",
    *(s.value for s in DeadlineStatus),
    *(s.value for s in ExtensionStatus),
)
"""Every status a timeline's row can have: of phases, visits (``held``), deadlines and
extensions."""
MODES = tuple(m.value for m in VisitMode)
"""How a visit can be held."""
POINTS = ("start", "end", "due", "met")
"""The dated points of the long timeline frame: a phase's, visit's and extension's start and
end (an extension's request and decision), a deadline's due and met day."""
FORECAST_KINDS = ("completion", "phase", "deadline")
"""The kinds of a forecast's rows, in order."""

TIMELINE_COLUMNS = (
    "kind",
    "pair",
    "name",
    "phase",
    "visit",
    "host",
    "mode",
    "start",
    "end",
    "status",
    "projected",
    "days_late",
    "revisions",
    "detail",
)
"""The columns of a timeline's wide frame. ``phase``: the phase of a phase's span (or of a
phase's extension); ``visit``, ``host``, ``mode``: a visit's number, host city and mode;
``start``/``end``: a phase's or visit's first and last day, a deadline's due day (as
``end``), an extension's request and decision; ``revisions``: how many times a deadline moved;
``detail``: how it moved, or an extension's offset and reason."""


def require_pandas() -> None:
    """Import pandas, or say which extra installs it.

    Raises:
        ImportError: pandas is not installed.
    """
    try:
        import pandas  # noqa: F401
    except ImportError as err:
        raise ImportError('DataFrames need pandas: pip install "mentorflow[pandas]"') from err


def _days(values: Iterable[dt.date | None], tz: str) -> pd.Series[Any]:
    """``values`` as timezone-aware datetimes at midnight in ``tz`` (None: NaT)."""
    import pandas as pd

    naive = pd.to_datetime(
        pd.Series([None if v is None else v.isoformat() for v in values], dtype="object"),
        format="%Y-%m-%d",
    ).dt.as_unit("us")  # the same unit whatever the values (pandas guesses it from them)
    # midnight never falls in a DST gap in Europe; elsewhere a missing midnight moves to 01:00
    return naive.dt.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")


def _build(
    columns: Sequence[str],
    data: Mapping[str, Sequence[Any]],
    dtypes: Mapping[str, Any],
    days: Iterable[str],
    tz: str,
) -> pd.DataFrame:
    """A frame of ``data`` with ``columns`` in order: ``days`` as datetimes in ``tz``, the rest
    as ``dtypes`` says."""
    import pandas as pd

    series: dict[str, Any] = {}
    for column in days:
        series[column] = _days(data[column], tz)
    for column, dtype in dtypes.items():
        series[column] = pd.Series(list(data[column]), dtype=dtype)
    return pd.DataFrame({c: series[c] for c in columns})


def _category(values: Sequence[str]) -> Any:
    import pandas as pd

    return pd.CategoricalDtype(list(values))


def _check(form: str, forms: Sequence[str]) -> None:
    if form not in forms:
        raise ValidationError("form", f"{show(form)} is not one of {', '.join(forms)}")


# -- timelines ------------------------------------------------------------------------------


def _timeline_records(timeline: Timeline) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    blank = dict.fromkeys(TIMELINE_COLUMNS)
    for span in timeline.phases:
        rows.append(
            blank
            | {
                "kind": "phase",
                "pair": span.pair,
                "name": span.phase,
                "phase": span.phase,
                "start": span.started_on,
                "end": span.ended_on,
                "status": span.status,
                "projected": span.projected,
            }
        )
    for visit in timeline.visits:
        rows.append(
            blank
            | {
                "kind": "visit",
                "pair": visit.pair,
                "name": f"study visit {visit.number}",
                "visit": visit.number,
                "host": visit.host,
                "mode": visit.mode.value,
                "start": visit.starts_on,
                "end": visit.ends_on,
                "status": "held",
                "projected": visit.projected,
            }
        )
    for row in timeline.deadlines:
        rows.append(
            blank
            | {
                "kind": "deadline",
                "pair": row.pair,
                "name": row.name,
                "end": row.due_on,
                "status": row.status.value,
                "projected": False,
                "days_late": row.days_late,
                "revisions": len(row.revisions),
                "detail": "; ".join(
                    f"{r.previous} -> {r.due_on} ({r.extension or 'progress'})"
                    for r in row.revisions
                )
                or None,
                "met": row.met_on,
            }
        )
    for ext in timeline.extensions:
        rows.append(
            blank
            | {
                "kind": "extension",
                "pair": ext.pair,
                "name": ext.key,
                "phase": ext.phase,
                "start": ext.requested_at.date(),
                "end": None if ext.decided_at is None else ext.decided_at.date(),
                "status": ext.status.value,
                "projected": False,
                "detail": f"{ext.offset}: {ext.reason}",
            }
        )
    return rows


def _timeline_dtypes() -> dict[str, Any]:
    return {
        "kind": _category(KINDS),
        "pair": "string",
        "name": "string",
        "phase": "string",
        "visit": "Int64",
        "host": "string",
        "mode": _category(MODES),
        "status": _category(STATUSES),
        "projected": "bool",
        "days_late": "Int64",
        "revisions": "Int64",
        "detail": "string",
    }


def timeline_frame(timeline: Timeline, form: str = "wide") -> pd.DataFrame:
    """``timeline`` as a DataFrame: ``"wide"`` (`TIMELINE_COLUMNS`) or ``"long"`` (see
    `Timeline.to_pandas`).

    Raises:
        ImportError: pandas is not installed.
        ValidationError: ``form`` is neither.
    """
    _check(form, ("wide", "long"))
    require_pandas()
    records = _timeline_records(timeline)
    if form == "long":
        return _timeline_long(records, timeline.timezone)
    data = {c: [r[c] for r in records] for c in TIMELINE_COLUMNS}
    return _build(TIMELINE_COLUMNS, data, _timeline_dtypes(), ("start", "end"), timeline.timezone)


def _timeline_long(records: list[dict[str, Any]], tz: str) -> pd.DataFrame:
    columns = ("kind", "pair", "name", "status", "projected", "point", "day")
    rows: list[dict[str, Any]] = []
    for record in records:
        deadline = record["kind"] == "deadline"
        points = (("due", record["end"]), ("met", record["met"])) if deadline else None
        for point, day in points or (("start", record["start"]), ("end", record["end"])):
            if day is not None:
                rows.append(record | {"point": point, "day": day})
    data = {c: [r[c] for r in rows] for c in columns}
    dtypes = {c: _timeline_dtypes()[c] for c in ("kind", "pair", "name", "status", "projected")}
    dtypes["point"] = _category(POINTS)
    return _build(columns, data, dtypes, ("day",), tz)


# -- comparisons ----------------------------------------------------------------------------


def comparison_frame(comparison: Comparison, form: str = "wide") -> pd.DataFrame:
    """``comparison`` as a DataFrame: ``"wide"`` or ``"long"`` (see `Comparison.to_pandas`).

    Raises:
        ImportError: pandas is not installed.
        ValidationError: ``form`` is neither.
    """
    _check(form, ("wide", "long"))
    require_pandas()
    slips = comparison.slips
    tz = comparison.timezone
    if form == "wide":
        columns: tuple[str, ...] = ("milestone", "pair", "baseline", "variant", "slip_days")
        data: dict[str, list[Any]] = {
            "milestone": [s.milestone for s in slips],
            "pair": [s.pair for s in slips],
            "baseline": [s.baseline for s in slips],
            "variant": [s.variant for s in slips],
            "slip_days": [s.days for s in slips],
        }
        dtypes = {"milestone": "string", "pair": "string", "slip_days": "Int64"}
        return _build(columns, data, dtypes, ("baseline", "variant"), tz)
    names = (comparison.baseline, comparison.variant)
    rows = [
        (s.milestone, s.pair, name, day)
        for s in slips
        for name, day in zip(names, (s.baseline, s.variant), strict=True)
    ]
    columns = ("milestone", "pair", "scenario", "day")
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    dtypes = {
        "milestone": "string",
        "pair": "string",
        "scenario": _category(list(dict.fromkeys(names))),
    }
    return _build(columns, data, dtypes, ("day",), tz)


# -- forecasts ------------------------------------------------------------------------------


def forecast_frame(forecast: Forecast, form: str = "wide") -> pd.DataFrame:
    """``forecast`` as a DataFrame: ``"wide"``, ``"long"`` or ``"extensions"`` (see
    `Forecast.to_pandas`).

    Raises:
        ImportError: pandas is not installed.
        ValidationError: ``form`` is none of these.
    """
    _check(form, ("wide", "long", "extensions"))
    require_pandas()
    tz = forecast.timezone
    if form == "extensions":
        columns: tuple[str, ...] = ("months", "runs", "share")
        data: dict[str, list[Any]] = {
            "months": [m for m, _ in forecast.extensions],
            "runs": [round(s * forecast.done) for _, s in forecast.extensions],
            "share": [s for _, s in forecast.extensions],
        }
        return _build(
            columns, data, {"months": "Int64", "runs": "Int64", "share": "Float64"}, (), tz
        )
    if form == "long":
        per = max(forecast.done, 1)
        rows = [
            (spread.pair, day, n, n / per)
            for spread in (forecast.programme, *forecast.pairs)
            for day, n in spread.histogram
        ]
        columns = ("pair", "day", "runs", "share")
        data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
        return _build(
            columns, data, {"pair": "string", "runs": "Int64", "share": "Float64"}, ("day",), tz
        )
    late = dict(forecast.pair_breach_probability)
    entries: list[tuple[str, Spread, float | None, int | None, int | None]] = [
        ("completion", forecast.programme, forecast.breach_probability, None, None),
        *(("completion", s, late.get(s.pair or ""), None, None) for s in forecast.pairs),
        *(("phase", s, None, None, None) for s in forecast.phases),
        *(
            ("deadline", d.due, d.miss_probability, d.days_late_p50, d.days_late_p90)
            for d in forecast.deadlines
        ),
    ]
    columns = COLUMNS[: COLUMNS.index("days_late_p90") + 1]
    pick: dict[str, Callable[[tuple[str, Spread, Any, Any, Any]], Any]] = {
        "kind": lambda e: e[0],
        "pair": lambda e: e[1].pair,
        "name": lambda e: e[1].name,
        "p10": lambda e: e[1].p10,
        "p50": lambda e: e[1].p50,
        "p90": lambda e: e[1].p90,
        "runs": lambda e: e[1].runs,
        "probability": lambda e: e[2],
        "days_late_p50": lambda e: e[3],
        "days_late_p90": lambda e: e[4],
    }
    data = {c: [pick[c](e) for e in entries] for c in columns}
    dtypes = {
        "kind": _category(FORECAST_KINDS),
        "pair": "string",
        "name": "string",
        "runs": "Int64",
        "probability": "Float64",
        "days_late_p50": "Int64",
        "days_late_p90": "Int64",
    }
    return _build(columns, data, dtypes, ("p10", "p50", "p90"), tz)


register_frame(Timeline, timeline_frame)
register_frame(Comparison, comparison_frame)
register_frame(Forecast, forecast_frame)
