"""Exports of the analysts' questions: sensitivity, bottleneck and slack, slip sweeps and two
plans side by side, each as rows, CSV, JSON and a terminal table (byte-identical for the same
input).

Every export is built from the same rows (`sensitivity_rows`, `bottleneck_rows`, `slip_rows`,
`plan_rows`): the CSV is the rows, the JSON a summary and the rows, the table a selection of
their columns.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .._simulation.critical import BottleneckReport
from .._simulation.sensitivity import SensitivityReport, Summary
from .._simulation.whatif import PlanComparison, SlipEffect
from ..exceptions import ValidationError
from .exports import csv_text, render_table

FORMS = ("table", "csv", "json")
"""The forms every export here comes in."""

SENSITIVITY_COLUMNS = (
    "amount",
    "label",
    "low",
    "high",
    "p50_low",
    "p50_high",
    "p50_swing_days",
    "p90_low",
    "p90_high",
    "p90_swing_days",
    "extension_probability_low",
    "extension_probability_high",
    "extension_probability_swing",
)
"""The columns of `sensitivity_rows`: each uncertain amount, pinned low and high."""

BOTTLENECK_COLUMNS = (
    "kind",
    "pair",
    "phase",
    "city",
    "start",
    "end",
    "days",
    "critical",
    "slack_days",
    "slack_working_days",
    "float_days",
    "criticality",
    "slack_days_p50",
    "due",
)
"""The columns of `bottleneck_rows`. ``kind`` is ``pair`` (its completion, its slack against
the programme's end, its float against the bottleneck; ``city`` the mentor and mentee) or
``phase`` (its dates, ``city`` its visit's host, its slack against its deadline ``due``)."""

SLIP_COLUMNS = (
    "slip",
    "completed_on",
    "breach_days",
    "extension_months",
    "extension_probability",
    "extension_p90_months",
    "p90",
)
"""The columns of `slip_rows`."""

PLAN_COLUMNS = ("measure", "pair", "a", "b", "difference")
"""The columns of `plan_rows`."""


def _text(value: object) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, (str, int)):
        return value
    return str(value)


def _percent(value: object) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, float) else str(value)


def sensitivity_rows(found: SensitivityReport) -> list[dict[str, Any]]:
    """One row per uncertain amount, the largest swing first (see `SENSITIVITY_COLUMNS`)."""
    return [
        {
            "amount": s.name,
            "label": s.label,
            "low": s.low,
            "high": s.high,
            "p50_low": _text(s.at_low.p50),
            "p50_high": _text(s.at_high.p50),
            "p50_swing_days": s.days("p50"),
            "p90_low": _text(s.at_low.p90),
            "p90_high": _text(s.at_high.p90),
            "p90_swing_days": s.days("p90"),
            "extension_probability_low": _text(s.at_low.extension_probability),
            "extension_probability_high": _text(s.at_high.extension_probability),
            "extension_probability_swing": _text(s.odds_points),
        }
        for s in found.swings
    ]


def _summary(summary: Summary) -> dict[str, Any]:
    return {
        "p50": _text(summary.p50),
        "p90": _text(summary.p90),
        "extension_probability": _text(summary.extension_probability),
        "extension_p90_months": summary.extension_p90,
    }


def sensitivity_export(found: SensitivityReport, form: str = "table", *, width: int = 120) -> str:
    """A sensitivity analysis as ``form``: ``table``, ``csv`` or ``json``."""
    rows = sensitivity_rows(found)
    low, high = found.quantiles
    head = {
        "scenario": found.scenario,
        "seed": found.seed,
        "runs": found.runs,
        "quantiles": [low, high],
        "ends_on": str(found.ends_on),
        "baseline": _summary(found.baseline),
        "simulated": found.simulated,
    }
    if form != "table":
        return _plain(form, SENSITIVITY_COLUMNS, rows, head)
    base = found.baseline
    table = render_table(
        f"{found.scenario}: {found.runs} runs per variant, seed {found.seed}, each amount "
        f"pinned at its P{round(100 * low)} and P{round(100 * high)}",
        ("uncertain amount", "pinned low / high", "P50 moves", "P90 moves", "extension odds"),
        [
            (
                r["label"],
                f"{r['low']} / {r['high']}",
                f"{r['p50_swing_days']:+d} days",
                f"{r['p90_swing_days']:+d} days",
                f"{_percent(r['extension_probability_low'])} to "
                f"{_percent(r['extension_probability_high'])}",
            )
            for r in rows
        ],
        width=width,
    )
    return table + (
        f"baseline (nothing pinned): P50 {base.p50}, P90 {base.p90}, an extension needed in "
        f"{_percent(base.extension_probability)} of runs ({base.extension_p90} months cover 90%); "
        f"programme end {found.ends_on}\n"
    )


def bottleneck_rows(found: BottleneckReport) -> list[dict[str, Any]]:
    """A row per pair, then a row per pair's phase (see `BOTTLENECK_COLUMNS`)."""
    rows = [
        {
            "kind": "pair",
            "pair": p.pair,
            "phase": "",
            "city": f"{p.mentor} / {p.mentee}",
            "start": "",
            "end": _text(p.completed_on),
            "days": "",
            "critical": p.critical,
            "slack_days": _text(p.slack_days),
            "slack_working_days": _text(p.slack_working_days),
            "float_days": _text(p.float_days),
            "criticality": _text(p.criticality),
            "slack_days_p50": _text(p.slack_days_p50),
            "due": "",
        }
        for p in found.pairs
    ]
    rows += [
        {
            "kind": "phase",
            "pair": s.pair,
            "phase": s.phase,
            "city": _text(s.host),
            "start": _text(s.started_on),
            "end": _text(s.ended_on),
            "days": _text(s.days),
            "critical": s.critical,
            "slack_days": _text(s.deadline_slack_days),
            "slack_working_days": _text(s.deadline_slack_working_days),
            "float_days": "",
            "criticality": "",
            "slack_days_p50": "",
            "due": _text(s.due_on),
        }
        for s in found.phases
    ]
    return rows


def bottleneck_export(found: BottleneckReport, form: str = "table", *, width: int = 120) -> str:
    """A bottleneck analysis as ``form``: ``table``, ``csv`` or ``json``."""
    rows = bottleneck_rows(found)
    head = {
        "scenario": found.scenario,
        "ends_on": str(found.ends_on),
        "completed_on": _text(found.completed_on),
        "bottleneck": {"pair": found.pair, "phase": found.phase, "host": found.host},
        "critical_path": [s.phase for s in found.path],
        "runs": found.runs,
    }
    if form != "table":
        return _plain(form, BOTTLENECK_COLUMNS, rows, head)
    odds = found.runs > 0
    columns = ["pair", "cities", "completed", "slack (days)", "slack (working days)", "float"]
    if odds:
        columns += ["last in", "median slack"]
    pair_rows = []
    for r in rows:
        if r["kind"] != "pair":
            continue
        line = [
            r["pair"] + (" *" if r["critical"] else ""),
            r["city"],
            str(r["end"]),
            str(r["slack_days"]),
            str(r["slack_working_days"]),
            str(r["float_days"]),
        ]
        if odds:
            line += [_percent(r["criticality"]), str(r["slack_days_p50"])]
        pair_rows.append(line)
    table = render_table(
        f"{found.scenario}: slack against the programme's end ({found.ends_on}); * the bottleneck",
        columns,
        pair_rows,
        width=width,
    )
    path = render_table(
        f"critical path: {found.pair or 'none'}",
        ("phase", "start", "end", "days", "host", "due", "slack (days)"),
        [
            (
                s.phase,
                str(s.started_on),
                _text(s.ended_on),
                str(_text(s.days)),
                _text(s.host),
                _text(s.due_on),
                str(_text(s.deadline_slack_days)),
            )
            for s in found.path
        ],
        width=width,
    )
    where = f" (visit hosted by {found.host})" if found.host else ""
    lines = [
        f"the programme completes on {found.completed_on}: its last pair is {found.pair}; "
        f"the longest phase on its critical path is {found.phase}{where}"
        if found.pair is not None
        else "no pair completed: there is no critical path (see the pairs' statuses)",
    ]
    if odds:
        lines.append(f"'last in': the share of {found.runs} Monte Carlo runs it completed last")
    return table + path + "\n".join(lines) + "\n"


def slip_rows(found: Sequence[SlipEffect]) -> list[dict[str, Any]]:
    """A row per slip (see `SLIP_COLUMNS`)."""
    return [
        {
            "slip": str(s.slip),
            "completed_on": _text(s.completed_on),
            "breach_days": s.breach_days,
            "extension_months": s.extension_months,
            "extension_probability": _text(s.extension_probability),
            "extension_p90_months": _text(s.extension_p90),
            "p90": _text(s.p90),
        }
        for s in found
    ]


def slip_export(
    found: Sequence[SlipEffect], form: str = "table", *, title: str = "slip", width: int = 120
) -> str:
    """A slip sweep as ``form``: ``table``, ``csv`` or ``json``."""
    rows = slip_rows(found)
    if form != "table":
        return _plain(form, SLIP_COLUMNS, rows, {"sweep": title})
    odds = any(s.extension_probability is not None for s in found)
    columns = ["slip", "completed (median run)", "days past the end", "extension needed"]
    if odds:
        columns += ["extension odds", "months for 90%", "P90 completion"]
    lines = []
    for r in rows:
        line = [
            r["slip"],
            str(r["completed_on"]),
            str(r["breach_days"]),
            _months(r["extension_months"]),
        ]
        if odds:
            line += [_percent(r["extension_probability"]), str(r["extension_p90_months"]), r["p90"]]
        lines.append(line)
    return render_table(title, columns, lines, width=width)


def _months(count: int) -> str:
    return "none" if not count else f"{count} month{'' if count == 1 else 's'}"


def plan_rows(found: PlanComparison) -> list[dict[str, Any]]:
    """A row per measure (see `PLAN_COLUMNS`)."""
    return [
        {
            "measure": r.measure,
            "pair": r.pair or "",
            "a": _text(r.a),
            "b": _text(r.b),
            "difference": _text(r.difference),
        }
        for r in found.rows
    ]


def plan_export(found: PlanComparison, form: str = "table", *, width: int = 120) -> str:
    """Two forecasts side by side as ``form``: ``table``, ``csv`` or ``json``."""
    rows = plan_rows(found)
    head = {
        "a": found.a,
        "b": found.b,
        "runs": list(found.runs),
        "seeds": list(found.seeds),
        "common_luck": found.common_luck,
    }
    if form != "table":
        return _plain(form, PLAN_COLUMNS, rows, head)

    def shown(measure: str, value: object) -> str:
        if "probability" in measure and isinstance(value, float):
            return _percent(value)
        return str(value)

    def change(measure: str, value: object) -> str:
        if value == "":
            return ""
        if "probability" in measure and isinstance(value, float):
            return f"{100 * value:+.1f} points"
        unit = " months" if "months" in measure else " days"
        return f"{value:+d}{unit}" if isinstance(value, int) else str(value)

    table = render_table(
        f"plan A: {found.a} / plan B: {found.b}",
        ("measure", "pair", "A", "B", "B - A"),
        [
            (
                r["measure"],
                r["pair"] or "programme",
                shown(r["measure"], r["a"]),
                shown(r["measure"], r["b"]),
                change(r["measure"], r["difference"]),
            )
            for r in rows
        ],
        width=width,
    )
    luck = (
        "the same seed and runs: common random numbers"
        if found.common_luck
        else "different seeds or runs: the differences include the dice's"
    )
    return (
        table
        + f"runs {found.runs[0]} / {found.runs[1]}, "
        + f"seeds {found.seeds[0]} / {found.seeds[1]} ({luck})\n"
    )


def _plain(
    form: str, columns: Sequence[str], rows: list[dict[str, Any]], head: dict[str, Any]
) -> str:
    if form == "csv":
        return csv_text(columns, rows)
    if form == "json":
        return json.dumps({**head, "rows": rows}, indent=2, ensure_ascii=False) + "\n"
    raise ValidationError("format", f"{form!r} is not one of {', '.join(FORMS)}")
