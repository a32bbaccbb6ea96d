"""Notebook views (``_repr_html_``) of programmes, scenarios, timelines, comparisons and
forecasts: the headline facts and a short table, never every row (``to_pandas`` has those).

The pieces (`timeline_facts`, `deadline_table`, ...) are the report's too.
"""

from __future__ import annotations

from typing import Any

from .._core.programme import Programme
from .._domain.views import register_html
from .._simulation.compare import Comparison
from .._simulation.forecast import Forecast
from .._simulation.scenario import Scenario, Timeline
from .exports import summary
from .forecast_plot import percent
from .html import block, facts, items, table

ROWS = 12
"""The most rows a notebook view's table shows."""


def _who(pair: str | None) -> str:
    return pair or "programme"


def timeline_facts(timeline: Timeline) -> str:
    """The headline facts of a timeline."""
    facts_ = summary(timeline)
    period = f"{timeline.starts_on} to {timeline.ends_on}"
    if timeline.ends_on != timeline.original_ends_on:
        period += f" (planned to {timeline.original_ends_on})"
    rows: list[tuple[str, object]] = [
        ("programme", period),
        ("pairs", len({s.pair for s in timeline.phases})),
        ("last completion", facts_["completed_on"] or "none"),
        ("missed deadlines", len(timeline.missed)),
    ]
    if timeline.breach_days:
        rows.append(("past the end by", f"{timeline.breach_days} days"))
        rows.append(("smallest extension that avoids it", facts_["smallest_extension"]))
    if timeline.unfinished:
        rows.append(("never finished", ", ".join(timeline.unfinished)))
    if timeline.refusals:
        rows.append(("refused actions", len(timeline.refusals)))
    return facts(rows)


def deadline_table(
    timeline: Timeline, *, only_missed: bool = False, most: int | None = None
) -> str:
    """The deadlines (or only the missed ones): due day, status, met day, days late."""
    rows = [
        (
            d.name.replace("_", " "),
            _who(d.pair),
            d.due_on or "",
            d.status.value.replace("_", " "),
            d.met_on or "",
            "" if d.days_late is None else d.days_late,
        )
        for d in (timeline.missed if only_missed else timeline.deadlines)
    ]
    return table(
        ("deadline", "pair", "due", "status", "met", "days late"), rows, numeric=(5,), most=most
    )


def timeline_html(timeline: Timeline) -> str:
    """A timeline's notebook view: its facts, its missed deadlines and refusals."""
    parts = [timeline_facts(timeline)]
    if timeline.missed:
        parts.append("<div><b>Missed deadlines</b></div>")
        parts.append(deadline_table(timeline, only_missed=True, most=ROWS))
    if timeline.refusals:
        parts.append("<div><b>Refused</b></div>" + items(timeline.refusals[:ROWS]))
    parts.append('<div class="mf-note">every row: <code>timeline.to_pandas()</code></div>')
    return block(f"Timeline: {timeline.scenario}", *parts)


def comparison_facts(comparison: Comparison) -> str:
    """The headline facts of a comparison."""
    return facts(
        [
            ("programme end", f"{comparison.end_change_days:+d} days"),
            ("completion past the end", f"{comparison.breach_change_days:+d} days"),
            ("milestones moved", sum(1 for s in comparison.slips if s.days)),
            ("newly missed", len(comparison.newly_missed)),
            ("no longer missed", len(comparison.no_longer_missed)),
        ]
    )


def slip_table(comparison: Comparison, *, most: int | None = None) -> str:
    """The milestones whose day changed, the largest slip first."""
    moved = sorted(
        (s for s in comparison.slips if s.days != 0),
        key=lambda s: -abs(s.days) if s.days is not None else 0,
    )
    rows = [
        (s.milestone.replace("_", " "), _who(s.pair), s.baseline or "", s.variant or "", s.days)
        for s in moved
    ]
    return table(
        ("milestone", "pair", "baseline", "variant", "slip (days)"), rows, numeric=(4,), most=most
    )


def comparison_html(comparison: Comparison) -> str:
    """A comparison's notebook view: its facts and the milestones that moved most."""
    parts = [comparison_facts(comparison), slip_table(comparison, most=ROWS)]
    if comparison.newly_missed:
        missed = [f"{d.name} ({_who(d.pair)})" for d in comparison.newly_missed]
        parts.append("<div><b>Newly missed</b></div>" + items(missed))
    return block(f"{comparison.variant} against {comparison.baseline}", *parts)


def forecast_facts(forecast: Forecast) -> str:
    """The headline facts of a forecast."""
    runs = f"{forecast.done} of {forecast.runs} (partial)" if forecast.partial else forecast.runs
    rows: list[tuple[str, object]] = [("runs", runs), ("seed", forecast.seed)]
    rows.append(("programme end", forecast.ends_on))
    if forecast.done:
        p = forecast.programme
        rows += [
            ("completion P10 / P50 / P90", f"{p.p10 or '-'} / {p.p50 or '-'} / {p.p90 or '-'}"),
            ("extension needed in", f"{percent(forecast.extension_probability)} of runs"),
            ("extension that covers 90%", f"{forecast.extension_for(0.9)} months"),
        ]
    if forecast.unfinished_probability:
        rows.append(("a pair never finished in", percent(forecast.unfinished_probability)))
    return facts(rows)


def completion_table(forecast: Forecast) -> str:
    """The programme's and each pair's completion: P10, P50, P90 and the odds of lateness."""
    late = dict(forecast.pair_breach_probability)
    rows = [
        (
            _who(s.pair),
            s.p10 or "",
            s.p50 or "",
            s.p90 or "",
            percent(forecast.breach_probability if s.pair is None else late.get(s.pair, 0.0)),
        )
        for s in (forecast.programme, *forecast.pairs)
    ]
    return table(("completion", "P10", "P50", "P90", "late in"), rows, numeric=(4,))


def deadline_odds_table(forecast: Forecast, *, most: int | None = None) -> str:
    """Each deadline's median due day and the odds of missing it, the likeliest miss first."""
    odds = sorted(forecast.deadlines, key=lambda d: -d.miss_probability)
    rows = [
        (
            d.name.replace("_", " "),
            _who(d.pair),
            d.due.p50 or "",
            percent(d.miss_probability),
            "" if d.days_late_p50 is None else f"{d.days_late_p50} / {d.days_late_p90}",
        )
        for d in odds
    ]
    return table(
        ("deadline", "pair", "due (P50)", "missed in", "days late P50 / P90"),
        rows,
        numeric=(3,),
        most=most,
    )


def forecast_html(forecast: Forecast) -> str:
    """A forecast's notebook view: its facts and the completion of the programme and pairs."""
    parts = [forecast_facts(forecast), completion_table(forecast)]
    parts.append('<div class="mf-note">every row: <code>forecast.to_pandas()</code></div>')
    return block(f"Forecast: {forecast.scenario}", *parts)


def programme_html(programme: Programme) -> str:
    """A programme's notebook view: its period and its pairs where they stand."""
    rows = [
        (
            key,
            pair.mentor.city.name,
            pair.mentee.city.name,
            str(pair.theme).replace("_", " "),
            str(pair.phase).replace("_", " "),
            pair.status.value,
        )
        for key, pair in programme.pairs.items()
    ]
    period = facts(
        [
            ("period", f"{programme.starts_on} to {programme.ends_on}"),
            ("timezone", programme.timezone.name),
            ("pairs", len(rows)),
        ]
    )
    pairs = table(("pair", "mentor", "mentee", "theme", "phase", "status"), rows, most=ROWS)
    return block(f"Programme: {programme.name}", period, pairs)


def scenario_html(scenario: Scenario) -> str:
    """A scenario's notebook view: its programme, pairs and plan."""
    spec = scenario.programme
    facts_ = facts(
        [
            ("programme", f"{spec.name}: {spec.starts_on} to {spec.ends_on}"),
            ("pairs", len(scenario.pairs)),
            ("script", f"{len(scenario.script)} actions"),
            ("uncertain", "yes: use montecarlo" if scenario.uncertain else "no"),
        ]
    )
    plan = table(
        ("phase", "planned duration"),
        [(p.replace("_", " "), scenario.durations.get(p, "none")) for p in scenario.phases],
    )
    pairs = table(
        ("pair", "mentor", "mentee", "theme"),
        [
            (p.key, p.mentor.city.name, p.mentee.city.name, str(p.theme).replace("_", " "))
            for p in scenario.pairs
        ],
        most=ROWS,
    )
    return block(f"Scenario: {scenario.name}", facts_, pairs, plan)


_VIEWS: tuple[tuple[type, Any], ...] = (
    (Programme, programme_html),
    (Scenario, scenario_html),
    (Timeline, timeline_html),
    (Comparison, comparison_html),
    (Forecast, forecast_html),
)
for _kind, _view in _VIEWS:
    register_html(_kind, _view)
