"""The shareable report: one self-contained HTML file of a scenario.

The page holds everything it shows: its stylesheet inline, its charts as inline SVG, no script,
and a Content-Security-Policy that forbids every fetch, so it opens offline, by e-mail, from a
shared drive, and shows the same everywhere. Every piece of text is HTML-escaped (scenario
names, pair keys, reasons and refusals are the file's author's input).

Sections, in order (each an element with the ``id`` given): ``summary``, ``advice`` (the
extension advice), ``gantt`` (the chart), ``deadlines``, ``timeline`` (phases and visits),
``extensions``, ``refusals``, ``forecast`` (when the scenario is uncertain), then ``analyses``:
the sections that `ANALYSES` makes (bottleneck and slack, sensitivity; see there).
"""

from __future__ import annotations

import io
import os
import pathlib
import re
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, overload

import attrs
import pendulum

from .._domain.deadlines import Offset, Unit
from .._simulation.forecast import Forecast
from .._simulation.montecarlo import Progress, montecarlo
from .._simulation.scenario import Scenario, Timeline
from ..exceptions import ValidationError
from .charts import RC, require_matplotlib
from .html import CLASS, STYLE, esc, facts, items, table
from .notebook import (
    completion_table,
    deadline_odds_table,
    deadline_table,
    forecast_facts,
    timeline_facts,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@attrs.frozen(kw_only=True)
class Section:
    """A section of the report.

    Attributes:
        id: Its element's ``id`` (letters, digits and ``-``), for links to it.
        title: Its heading (escaped when drawn).
        body: Its content, as HTML: escape every piece of text in it (`html.esc`).
    """

    id: str = attrs.field(validator=attrs.validators.matches_re(r"[a-z][a-z0-9-]*"))
    title: str
    body: str


@attrs.frozen(kw_only=True)
class Inputs:
    """What a report is made of: the scenario, its timeline and, if uncertain, its forecast."""

    scenario: Scenario
    timeline: Timeline
    forecast: Forecast | None


ANALYSES: list[Callable[[Inputs], Section | None]] = []
"""Further analyses, drawn after the forecast, in order, each as a `Section` (None: nothing
to say for this scenario). The slot of the bottleneck and slack of every pair and phase and of
the sensitivity of the forecast to each uncertain amount (table and tornado chart): a module
that computes them appends its section maker here (``ANALYSES.append(bottlenecks)``)."""


@overload
def report(
    scenario: Scenario,
    path: None = None,
    *,
    runs: int = ...,
    seed: int = ...,
    workers: int | None = ...,
    progress: Progress | None = ...,
    forecast: Forecast | None = ...,
) -> str: ...
@overload
def report(
    scenario: Scenario,
    path: str | os.PathLike[str],
    *,
    runs: int = ...,
    seed: int = ...,
    workers: int | None = ...,
    progress: Progress | None = ...,
    forecast: Forecast | None = ...,
) -> pathlib.Path: ...
def report(
    scenario: Scenario,
    path: str | os.PathLike[str] | None = None,
    *,
    runs: int = 1000,
    seed: int = 0,
    workers: int | None = None,
    progress: Progress | None = None,
    forecast: Forecast | None = None,
) -> str | pathlib.Path:
    """The report of ``scenario``: one self-contained HTML page (no script, no network: its
    charts are inline SVG), written to ``path`` (UTF-8; the path is returned), or returned
    as text without a path.

    It holds the headline facts, the extension advice (how much, by when to ask), the Gantt
    chart, every deadline, phase, visit, extension request and refused action and, when the
    scenario is uncertain, the Monte Carlo forecast with its chart.

    Args:
        scenario: What to report on.
        path: Where to write it (None: return the page).
        runs: Monte Carlo runs for the forecast, if the scenario is uncertain.
        seed: Their seed (the same seed gives the same report).
        workers: Their local processes (see `montecarlo`).
        progress: Called as the runs finish (see `montecarlo`, `progress_bar`).
        forecast: A forecast of the scenario already made: no runs are done.

    Raises:
        ImportError: matplotlib is not installed (the charts need it).
        ValidationError: ``scenario`` is not a `Scenario`; ``runs``, ``seed`` or ``workers``
            out of range.
        OSError: ``path`` can't be written.

    Examples:
        >>> from mentorflow.scenario import load_scenario, report
        >>> page = report(load_scenario("inclucities"))
        >>> page.startswith("<!DOCTYPE html>"), "Extension advice" in page, "<script" in page
        (True, True, False)
    """
    if not isinstance(scenario, Scenario):
        raise ValidationError("scenario", f"must be a Scenario, not {type(scenario).__name__}")
    require_matplotlib("the report")
    timeline = scenario.simulate()
    if forecast is None and scenario.uncertain:
        forecast = montecarlo(scenario, runs, seed=seed, workers=workers, progress=progress)
    inputs = Inputs(scenario=scenario, timeline=timeline, forecast=forecast)
    sections = [
        _summary(inputs),
        _advice(inputs),
        Section(id="gantt", title="Timeline chart", body=_gantt(timeline)),
        _deadlines(timeline),
        _timeline(timeline),
        _extensions(timeline),
        _refusals(timeline),
    ]
    if forecast is not None:
        sections.append(_forecast(forecast))
    made = [s for s in (analysis(inputs) for analysis in ANALYSES) if s is not None]
    if made:
        inner = "".join(_section(s, level=3) for s in made)
        sections.append(Section(id="analyses", title="Bottlenecks and sensitivity", body=inner))
    page = _page(scenario, timeline, sections)
    if path is None:
        return page
    where = pathlib.Path(path)
    where.write_text(page, encoding="utf-8")
    return where


# -- the page --------------------------------------------------------------------------------

_PAGE_STYLE = """
body { margin: 0; background: #fafafa; }
main.mentorflow { max-width: 1180px; margin: 0 auto; padding: 1.5em 2em 3em; background: #fff; }
nav { font-size: 0.9em; margin: 0.6em 0 1em; }
nav a { margin-right: 1em; color: #1f5f9f; }
section { margin-bottom: 1.2em; }
.mf-advice { border-left: 4px solid #1f77b4; padding: 0.3em 1em; background: #f3f7fb; }
.mf-advice.mf-breach { border-left-color: #d62728; background: #fcf3f3; }
footer { color: #777; font-size: 0.85em; margin-top: 2em; }
"""
# no fetch of any kind: images, fonts, scripts, frames and styles from elsewhere are refused
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _section(section: Section, level: int = 2) -> str:
    return (
        f'<section id="{esc(section.id)}"><h{level}>{esc(section.title)}</h{level}>'
        f"{section.body}</section>"
    )


def _page(scenario: Scenario, timeline: Timeline, sections: Sequence[Section]) -> str:
    spec = scenario.programme
    try:
        made_with = f"mentorflow {version('mentorflow')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        made_with = "mentorflow"
    links = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in sections)
    body = "".join(_section(s) for s in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(scenario.name)}: mentorflow report</title>"
        f"<style>{STYLE}{_PAGE_STYLE}</style></head>"
        f'<body><main class="{CLASS}">'
        f"<h1>{esc(scenario.name)}</h1>"
        f'<div class="mf-note">{esc(spec.name)}: {esc(timeline.starts_on)} to '
        f"{esc(timeline.ends_on)}, {len(scenario.pairs)} pairs; timezone "
        f"{esc(timeline.timezone)}</div>"
        f"<nav>{links}</nav>{body}"
        f"<footer>Simulated by {esc(made_with)} on the programme's own lifecycle, deadline "
        "and extension rules. Days are in the programme's timezone.</footer>"
        "</main></body></html>\n"
    )


# -- the sections ----------------------------------------------------------------------------


def _summary(inputs: Inputs) -> Section:
    body = timeline_facts(inputs.timeline)
    if inputs.forecast is not None:
        body += "<h3>Over the uncertain durations</h3>" + forecast_facts(inputs.forecast)
    return Section(id="summary", title="Summary", body=body)


def _before(day: pendulum.Date, offset: Offset) -> pendulum.Date | None:
    """``offset`` before ``day`` (None for working days: they need the calendar)."""
    if offset.unit is Unit.WORKING_DAYS:
        return None
    return day.subtract(**{offset.unit.value: offset.amount})


def _advice(inputs: Inputs) -> Section:
    timeline, forecast = inputs.timeline, inputs.forecast
    policy = inputs.scenario.programme.extension_policy
    needed = timeline.smallest_extension
    lines: list[str] = []
    if needed is not None:
        lines.append(
            f"The last pair completes on {timeline.completed_on}, {timeline.breach_days} days "
            f"after the programme's end ({timeline.ends_on}). The smallest extension that "
            f"avoids the breach is {needed}."
        )
        lead = _before(timeline.ends_on, policy.request_lead)
        if lead is not None:
            ask = lead.subtract(days=policy.response_days)
            lines.append(
                f"Request it at least {policy.request_lead} before the end (by {lead}); the "
                f"funder has {policy.response_days} days to answer and no answer means "
                f"refused, so a request by {ask} leaves the whole window before that."
            )
        most = policy.max_total
        if most is not None and most.unit is needed.unit and needed.amount > most.amount:
            lines.append(
                f"That is more than the policy allows in all ({most}): the plan must change too."
            )
    elif timeline.completed_on is not None:
        spare = (timeline.ends_on - timeline.completed_on).days
        lines.append(
            f"No extension is needed: the last pair completes on {timeline.completed_on}, "
            f"{spare} days before the programme's end ({timeline.ends_on})."
        )
    else:
        lines.append("No pair completes in this scenario, so no extension can be advised.")
    if forecast is not None and forecast.unfinished_probability:
        lines.append(
            f"In {forecast.unfinished_probability:.0%} of the runs a pair never finishes "
            "(suspended and never resumed): those runs say nothing of the extension needed."
        )
    if forecast is not None and forecast.programme.runs:
        lines.append(
            f"Over {forecast.done} runs of the uncertain durations, an extension is needed in "
            f"{forecast.extension_probability:.0%} of them; {forecast.extension_for(0.5)} "
            f"months suffice in half, {forecast.extension_for(0.9)} months in 90%."
        )
    breach = needed is not None or bool(forecast and forecast.extension_probability >= 0.5)
    kind = "mf-advice mf-breach" if breach else "mf-advice"
    body = f'<div class="{kind}">' + "".join(f"<p>{esc(line)}</p>" for line in lines) + "</div>"
    return Section(id="advice", title="Extension advice", body=body)


def _deadlines(timeline: Timeline) -> Section:
    body = deadline_table(timeline) if timeline.deadlines else "<p>No deadlines.</p>"
    return Section(id="deadlines", title="Deadlines", body=body)


def _timeline(timeline: Timeline) -> Section:
    phases = table(
        ("pair", "phase", "start", "end", "status"),
        [
            (
                s.pair,
                s.phase.replace("_", " "),
                s.started_on,
                s.ended_on or "",
                s.status + (" (projected)" if s.projected else ""),
            )
            for s in timeline.phases
        ],
        caption="Phases",
    )
    visits = table(
        ("pair", "visit", "host", "mode", "start", "end", "projected"),
        [
            (
                v.pair,
                v.number,
                v.host,
                v.mode.value.replace("_", " "),
                v.starts_on,
                v.ends_on,
                "yes" if v.projected else "",
            )
            for v in timeline.visits
        ],
        caption="Study visits",
        numeric=(1,),
    )
    return Section(id="timeline", title="Timeline", body=phases + visits)


def _extensions(timeline: Timeline) -> Section:
    if not timeline.extensions:
        return Section(id="extensions", title="Extensions", body="<p>None requested.</p>")
    rows = [
        (
            e.key,
            e.pair or "programme",
            e.phase or "programme end",
            e.offset,
            e.requested_at.date(),
            e.status.value,
            "" if e.decided_at is None else e.decided_at.date(),
            e.reason,
        )
        for e in timeline.extensions
    ]
    columns = ("request", "pair", "moves", "by", "requested", "status", "decided", "reason")
    return Section(id="extensions", title="Extensions", body=table(columns, rows))


def _refusals(timeline: Timeline) -> Section:
    body = items(timeline.refusals) if timeline.refusals else "<p>None: every action ran.</p>"
    return Section(id="refusals", title="Refused actions", body=body)


def _forecast(forecast: Forecast) -> Section:
    months = table(
        ("months of extension", "share of runs"),
        [(m or "none", f"{share:.1%}") for m, share in forecast.extensions],
        numeric=(1,),
    )
    body = (
        _chart_of_forecast(forecast)
        + "<h3>Completion</h3>"
        + completion_table(forecast)
        + "<h3>Deadlines</h3>"
        + deadline_odds_table(forecast)
        + "<h3>Extension needed</h3>"
        + months
        + facts([("runs", forecast.done), ("seed", forecast.seed)])
    )
    return Section(id="forecast", title="Forecast (Monte Carlo)", body=body)


# -- charts as inline SVG --------------------------------------------------------------------


def _gantt(timeline: Timeline) -> str:
    from .gantt import draw

    return _svg(lambda: draw(timeline), "gantt", f"Gantt chart of {timeline.scenario}")


def _chart_of_forecast(forecast: Forecast) -> str:
    from .forecast_plot import draw

    return _svg(lambda: draw(forecast), "forecast", f"Forecast of {forecast.scenario}")


_XML_HEAD = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
_ID = re.compile(r'\bid="([^"]+)"')


def _svg(draw: Callable[[], Figure], prefix: str, label: str) -> str:
    """``draw()``'s figure as an inline ``<svg>`` element: no XML prologue, no metadata, and
    every id prefixed, so that two charts on one page never share one."""
    import matplotlib

    with matplotlib.rc_context(RC):
        out = io.StringIO()
        draw().savefig(out, format="svg", metadata={"Date": None})
    text = _METADATA.sub("", _XML_HEAD.sub("", out.getvalue(), count=1), count=1)
    for name in dict.fromkeys(_ID.findall(text)):
        new = f"{prefix}-{name}"
        text = (
            text.replace(f'id="{name}"', f'id="{new}"')
            .replace(f'"#{name}"', f'"#{new}"')
            .replace(f"url(#{name})", f"url(#{new})")
        )
    text = text.replace("<svg ", f'<svg role="img" aria-label="{esc(label)}" ', 1)
    return f"<figure>{text}</figure>"
