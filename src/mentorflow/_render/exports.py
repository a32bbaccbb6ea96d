"""Exports of timelines and comparisons: rows, CSV, JSON, a terminal table, a mermaid diagram.

Every export is deterministic: the same timeline gives byte-identical output. The iCalendar
file and the Gantt chart live in their own modules (their libraries load only when used).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._domain.lifecycle import Lifecycle, Phase
from .._simulation.compare import Comparison
from .._simulation.scenario import Timeline

COLUMNS = (
    "kind",
    "pair",
    "name",
    "start",
    "end",
    "status",
    "projected",
    "days_late",
    "revisions",
)
"""The columns of the CSV export: the keys every row of `timeline_rows` has."""
VISIT_KEYS = ("visit", "host", "mode")
"""The keys `timeline_rows` adds to every row after `COLUMNS`: a visit's number, host city and
mode (``""`` on other rows). Not in the CSV export, whose columns stay `COLUMNS`; typed
columns of them all: `Timeline.to_pandas`."""
_NO_VISIT = dict.fromkeys(VISIT_KEYS, "")


def _day(value: object) -> str:
    return "" if value is None else str(value)


def timeline_rows(timeline: Timeline) -> list[dict[str, Any]]:
    """One row per phase, visit, deadline, programme-wide activity and extension, in time
    order within each kind.

    Each row has the keys `COLUMNS` then `VISIT_KEYS`; days are ISO strings and a missing
    value is ``""`` (as in the CSV). `Timeline.to_pandas` gives the same rows typed."""
    rows: list[dict[str, Any]] = []
    for span in timeline.phases:
        rows.append(
            {
                "kind": "phase",
                "pair": span.pair,
                "name": span.phase,
                "start": _day(span.started_on),
                "end": _day(span.ended_on),
                "status": span.status,
                "projected": span.projected,
                "days_late": "",
                "revisions": "",
                **_NO_VISIT,
            }
        )
    for visit in timeline.visits:
        rows.append(
            {
                "kind": "visit",
                "pair": visit.pair,
                "name": f"study visit {visit.number} in {visit.host} ({visit.mode.value})",
                "start": _day(visit.starts_on),
                "end": _day(visit.ends_on),
                "status": "held",
                "projected": visit.projected,
                "days_late": "",
                "revisions": "",
                "visit": visit.number,
                "host": visit.host,
                "mode": visit.mode.value,
            }
        )
    for row in timeline.deadlines:
        moves = "; ".join(
            f"{r.previous} -> {r.due_on} ({r.extension or 'progress'})" for r in row.revisions
        )
        rows.append(
            {
                "kind": "deadline",
                "pair": row.pair or "",
                "name": row.name,
                "start": "",
                "end": _day(row.due_on),
                "status": row.status.value,
                "projected": False,
                "days_late": "" if row.days_late is None else row.days_late,
                "revisions": moves,
                **_NO_VISIT,
            }
        )
    for held in timeline.activities:
        act = held.activity
        rows.append(
            {
                "kind": "activity",
                "pair": "",
                "name": f"{act.name} ({act.mode.value}{', ' + act.place if act.place else ''})",
                "start": _day(act.starts_on),
                "end": _day(act.ends_on),
                "status": f"held, {len(held.pairs)} pairs",
                "projected": False,
                "days_late": "",
                "revisions": "",
            }
        )
    for ext in timeline.extensions:
        rows.append(
            {
                "kind": "extension",
                "pair": ext.pair or "",
                "name": f"{ext.key}: {ext.offset} ({ext.phase or 'programme'})",
                "start": _day(ext.requested_at.date()),
                "end": _day(None if ext.decided_at is None else ext.decided_at.date()),
                "status": ext.status.value,
                "projected": False,
                "days_late": "",
                "revisions": ext.reason,
                **_NO_VISIT,
            }
        )
    return rows


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs as a formula (OWASP, "CSV Injection"): text
    starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    ``'``. Numbers stay numbers (a negative number is not text)."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """``rows`` as CSV with a header line of ``columns``, lines ending in a bare newline;
    every field quoted where CSV needs it, and text neutralised by `cell`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writerow({c: cell(c) for c in columns})
    writer.writerows({k: cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


_REFUSAL = re.compile(r"(\d{4}-\d{2}-\d{2}) (.*?) \(([^()]*)\): (.*)", re.DOTALL)


def refusal_rows(timeline: Timeline) -> list[dict[str, Any]]:
    """One row per refusal: kind ``refusal``, its pair (none: the programme's), ``start`` its
    day, ``name`` what was refused, ``revisions`` why."""
    rows = []
    for text in timeline.refusals:
        found = _REFUSAL.fullmatch(text)
        day, what, who, why = found.groups() if found else ("", text, "", "")
        rows.append(
            {
                "kind": "refusal",
                "pair": "" if who in ("", "programme") else who,
                "name": what,
                "start": day,
                "end": "",
                "status": "refused",
                "projected": False,
                "days_late": "",
                "revisions": why,
            }
        )
    return rows


def to_csv(timeline: Timeline) -> str:
    """The rows of `timeline_rows` as CSV (with a header line), then the refusals (kind
    ``refusal``), as the table and the JSON show them."""
    return csv_text(COLUMNS, timeline_rows(timeline) + refusal_rows(timeline))


def summary(timeline: Timeline) -> dict[str, Any]:
    """The headline facts of a timeline."""
    extension = timeline.smallest_extension
    return {
        "scenario": timeline.scenario,
        "starts_on": _day(timeline.starts_on),
        "ends_on": _day(timeline.ends_on),
        "original_ends_on": _day(timeline.original_ends_on),
        "completed_on": _day(timeline.completed_on),
        "breach_days": timeline.breach_days,
        "smallest_extension": None if extension is None else str(extension),
        "missed": [f"{d.name} ({d.pair or 'programme'})" for d in timeline.missed],
        "refusals": list(timeline.refusals),
    }


def to_json(timeline: Timeline) -> str:
    """The summary and every row, as indented JSON."""
    document = {"summary": summary(timeline), "rows": timeline_rows(timeline)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def comparison_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """One row per milestone: its date in the baseline and the variant, and the slip."""
    return [
        {
            "milestone": slip.milestone,
            "pair": slip.pair or "",
            "baseline": _day(slip.baseline),
            "variant": _day(slip.variant),
            "slip_days": "" if slip.days is None else slip.days,
        }
        for slip in comparison.slips
    ]


COMPARISON_COLUMNS = ("milestone", "pair", "baseline", "variant", "slip_days")
"""The columns of a comparison's CSV: `comparison_rows`, then the summary's rows (the days
past the end, the smallest extension in months, and each deadline newly or no longer missed)."""


def comparison_csv(comparison: Comparison) -> str:
    """A comparison as CSV: every milestone, then the days past the end, the smallest
    extension (months; ``slip_days`` is then the change in months) and the changed misses."""
    c = comparison
    rows = comparison_rows(c)
    rows.append(
        {
            "milestone": "days past the end",
            "pair": "",
            "baseline": c.baseline_breach_days,
            "variant": c.baseline_breach_days + c.breach_change_days,
            "slip_days": c.breach_change_days,
        }
    )
    rows.append(
        {
            "milestone": "smallest extension (months)",
            "pair": "",
            "baseline": c.baseline_extension_months,
            "variant": c.variant_extension_months,
            "slip_days": c.extension_change_months,
        }
    )
    for rows_of, before, after in (
        (c.newly_missed, "met", "missed"),
        (c.no_longer_missed, "missed", "met"),
    ):
        for d in rows_of:
            rows.append(
                {
                    "milestone": f"{d.name} {after}",
                    "pair": d.pair or "",
                    "baseline": before,
                    "variant": after,
                    "slip_days": "",
                }
            )
    return csv_text(COMPARISON_COLUMNS, rows)


def comparison_json(comparison: Comparison) -> str:
    """A comparison as indented JSON."""
    document = {
        "baseline": comparison.baseline,
        "variant": comparison.variant,
        "end_change_days": comparison.end_change_days,
        "breach_change_days": comparison.breach_change_days,
        "baseline_extension_months": comparison.baseline_extension_months,
        "variant_extension_months": comparison.variant_extension_months,
        "extension_change_months": comparison.extension_change_months,
        "newly_missed": [f"{d.name} ({d.pair or 'programme'})" for d in comparison.newly_missed],
        "no_longer_missed": [
            f"{d.name} ({d.pair or 'programme'})" for d in comparison.no_longer_missed
        ],
        "milestones": comparison_rows(comparison),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


_UNBOUNDED = 100_000  # a console wider than any table: each is as wide as its content


def render_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None = None
) -> str:
    """A table as plain text (rich, no colours), the same on every terminal.

    ``width`` None (the default): as wide as its content, so no name is cut or wrapped;
    a number: at most that many characters, rich wrapping the widest cells."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console = Console(width=width or _UNBOUNDED, record=True, file=io.StringIO(), color_system=None)
    console.print(table)
    return console.export_text()


def timeline_table(timeline: Timeline, *, width: int | None = None) -> str:
    """A timeline as a terminal table, with its headline facts underneath."""
    rows = [
        (
            r["kind"],
            r["pair"],
            r["name"],
            r["start"],
            r["end"],
            r["status"].replace("_", " ") + (" (projected)" if r["projected"] else ""),
            str(r["days_late"]),
        )
        for r in timeline_rows(timeline)
        if r["kind"] != "visit"
    ]
    table = render_table(
        timeline.scenario,
        ("kind", "pair", "what", "start", "end / due", "status", "days late"),
        rows,
        width=width,
    )
    facts = summary(timeline)
    lines = [
        f"programme: {facts['starts_on']} to {facts['ends_on']}"
        + (
            f" (planned to {facts['original_ends_on']})"
            if facts["original_ends_on"] != facts["ends_on"]
            else ""
        ),
        f"last completion: {facts['completed_on'] or 'none'}",
        f"missed deadlines: {len(facts['missed'])}",
    ]
    if timeline.breach_days:
        lines.append(
            f"the end is breached by {timeline.breach_days} days; the smallest extension "
            f"that avoids it: {facts['smallest_extension']}"
        )
    lines += [f"refused: {r}" for r in timeline.refusals]
    return table + "\n".join(lines) + "\n"


def comparison_table(comparison: Comparison, *, width: int | None = None) -> str:
    """A comparison as a terminal table (milestones whose date changed), with its summary."""
    rows = [
        (r["milestone"], r["pair"], r["baseline"], r["variant"], str(r["slip_days"]))
        for r in comparison_rows(comparison)
        if r["slip_days"] != 0
    ]
    table = render_table(
        f"{comparison.variant} against {comparison.baseline}",
        ("milestone", "pair", "baseline", "variant", "slip (days)"),
        rows,
        width=width,
    )
    lines = [
        f"programme end: {comparison.end_change_days:+d} days",
        f"completion past the end: {comparison.breach_change_days:+d} days",
        f"smallest extension: {comparison.baseline_extension_months} -> "
        f"{comparison.variant_extension_months} months "
        f"({comparison.extension_change_months:+d})",
        *(f"newly missed: {d.name} ({d.pair or 'programme'})" for d in comparison.newly_missed),
        *(
            f"no longer missed: {d.name} ({d.pair or 'programme'})"
            for d in comparison.no_longer_missed
        ),
    ]
    return table + "\n".join(lines) + "\n"


def mermaid(lifecycle: Lifecycle) -> str:
    """The lifecycle as a mermaid state diagram (``stateDiagram-v2``)."""
    lines = ["stateDiagram-v2", f"    [*] --> {lifecycle.first}"]
    for phase in lifecycle.order:
        step = lifecycle.step(phase)
        following = lifecycle.next_phase(phase)
        needs = []
        if step.visit is not None:
            needs.append(f"visit {step.visit}")
        needs += sorted(d.value for d in step.requires)
        label = "complete" + (f" [{', '.join(needs)}]" if needs else "")
        target = "completed" if following == Phase.COMPLETED else following
        lines.append(f"    {phase} --> {target}: {label}")
    lines += [
        "    completed --> [*]",
        '    state "any phase" as active',
        "    active --> suspended: suspend",
        "    suspended --> active: resume (where it was)",
        "    active --> withdrawn: withdraw",
        "    suspended --> withdrawn: withdraw",
        "    withdrawn --> [*]",
    ]
    return "\n".join(lines) + "\n"
