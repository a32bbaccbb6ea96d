"""Exports of Monte Carlo forecasts: rows, CSV, JSON and a terminal table, byte-identical for
the same forecast."""

from __future__ import annotations

import json
from typing import Any

from .._simulation.forecast import Forecast, Spread
from .exports import csv_text, render_table

COLUMNS = (
    "kind",
    "pair",
    "name",
    "p10",
    "p50",
    "p90",
    "runs",
    "probability",
    "days_late_p50",
    "days_late_p90",
    "never_probability",
)
"""The columns of `forecast_rows` (and of the CSV export).

``kind`` is ``completion`` (a pair's, or with no pair the programme's; ``probability``: of
completing after the programme's end), ``phase`` (a pair's completion of a phase), ``deadline``
(the day it was due; ``probability``: of missing it; the days late of the runs that met it late;
``never_probability``: of never meeting it, a milestone no action reached) or
``extension`` (``name``: the months needed; ``probability``: the share of runs that needed
exactly that many)."""


def _day(value: object) -> str:
    return "" if value is None else str(value)


def _row(kind: str, spread: Spread, probability: float | str = "") -> dict[str, Any]:
    return {
        "kind": kind,
        "pair": spread.pair or "",
        "name": spread.name,
        "p10": _day(spread.p10),
        "p50": _day(spread.p50),
        "p90": _day(spread.p90),
        "runs": spread.runs,
        "probability": _share(probability),
        "days_late_p50": "",
        "days_late_p90": "",
        "never_probability": "",
    }


def _share(value: float | str) -> float | str:
    # four decimals: enough for 10,000 runs, and floats that print the same everywhere
    return value if isinstance(value, str) else round(value, 4)


def forecast_rows(forecast: Forecast) -> list[dict[str, Any]]:
    """One row per completion, phase, deadline and extension length (see `COLUMNS`)."""
    rows = [_row("completion", forecast.programme, forecast.breach_probability)]
    late = dict(forecast.pair_breach_probability)
    rows += [_row("completion", spread, late[spread.pair or ""]) for spread in forecast.pairs]
    rows += [_row("phase", spread) for spread in forecast.phases]
    for odds in forecast.deadlines:
        row = _row("deadline", odds.due, odds.miss_probability)
        row.update(
            days_late_p50=_day(odds.days_late_p50),
            days_late_p90=_day(odds.days_late_p90),
            never_probability=_share(odds.never_probability),
        )
        rows.append(row)
    for months, share in forecast.extensions:
        rows.append(
            {
                "kind": "extension",
                "pair": "",
                "name": f"{months} months",
                "p10": "",
                "p50": "",
                "p90": "",
                "runs": round(share * forecast.done),
                "probability": _share(share),
                "days_late_p50": "",
                "days_late_p90": "",
                "never_probability": "",
            }
        )
    return rows


def forecast_csv(forecast: Forecast) -> str:
    """The rows of `forecast_rows` as CSV (with a header line)."""
    return csv_text(COLUMNS, forecast_rows(forecast))


def forecast_summary(forecast: Forecast) -> dict[str, Any]:
    """The headline facts of a forecast."""
    return {
        "scenario": forecast.scenario,
        "seed": forecast.seed,
        "runs": forecast.runs,
        "done": forecast.done,
        "partial": forecast.partial,
        "ends_on": _day(forecast.ends_on),
        "extended_ends_on_p50": _day(forecast.extended_end.p50),
        "completion_p50": _day(forecast.programme.p50),
        "completion_p90": _day(forecast.programme.p90),
        "breach_probability": _share(forecast.breach_probability),
        "extension_probability": _share(forecast.extension_probability),
        "extension_months_p50": forecast.extension_for(0.5) if forecast.done else None,
        "extension_months_p90": forecast.extension_for(0.9) if forecast.done else None,
        "unfinished_probability": _share(forecast.unfinished_probability),
    }


def forecast_json(forecast: Forecast) -> str:
    """The summary, every row, and the completion histograms, as indented JSON."""
    histograms = {
        spread.pair or "programme": [[str(day), runs] for day, runs in spread.histogram]
        for spread in (forecast.programme, *forecast.pairs)
    }
    document = {
        "summary": forecast_summary(forecast),
        "rows": forecast_rows(forecast),
        "completion_histograms": histograms,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _percent(value: float | str) -> str:
    return value if isinstance(value, str) else f"{100 * value:.1f}%"


def _odds(row: dict[str, Any]) -> str:
    if row["kind"] == "completion":
        return _percent(row["probability"]) + " late"
    if row["probability"] and row["probability"] == row["never_probability"]:
        return _percent(row["probability"]) + " never reached"
    return _percent(row["probability"]) + " missed"


def _lateness(row: dict[str, Any]) -> str:
    """Days late P50 / P90 of the runs that met it late; the share never met beside them."""
    late = "" if row["days_late_p50"] == "" else f"{row['days_late_p50']} / {row['days_late_p90']}"
    never = row.get("never_probability")
    if never and never != row["probability"]:
        return f"{late}; never reached in {_percent(never)}"
    return late


def forecast_table(forecast: Forecast, *, width: int | None = None) -> str:
    """A forecast as a terminal table (completions and deadlines), its headline facts under it."""
    rows = [
        (
            "programme" if not r["pair"] and r["kind"] == "completion" else r["pair"],
            r["name"].replace("_", " ") + " due" if r["kind"] == "deadline" else r["name"],
            r["p10"],
            r["p50"],
            r["p90"],
            _odds(r),
            _lateness(r),
        )
        for r in forecast_rows(forecast)
        if r["kind"] in ("completion", "deadline")
    ]
    done = (
        f"{forecast.done} runs"
        if not forecast.partial
        else (f"PARTIAL: {forecast.done} of {forecast.runs} runs (interrupted)")
    )
    table = render_table(
        f"{forecast.scenario}: {done}, seed {forecast.seed}",
        ("pair", "what", "P10", "P50", "P90", "odds", "days late P50 / P90"),
        rows,
        width=width,
    )
    facts = forecast_summary(forecast)
    needed = ", ".join(
        f"{months}: {_percent(share)}" for months, share in forecast.extensions if share
    )
    lines = [
        f"programme end: {facts['ends_on']}",
        f"an extension is needed in {_percent(forecast.extension_probability)} of runs "
        f"(months needed: {needed or 'none'})",
    ]
    if forecast.done:
        lines.append(
            f"an extension of {facts['extension_months_p90']} months covers 90% of runs, "
            f"{facts['extension_months_p50']} months half of them"
        )
    if forecast.unfinished_probability:
        lines.append(
            f"a pair never finished in {_percent(forecast.unfinished_probability)} of runs"
        )
    return table + "\n".join(lines) + "\n"
