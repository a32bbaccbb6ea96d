"""The iCalendar export of a timeline: every deadline and every study visit as an all-day event.

icalendar is imported only when `to_ics` runs (install it with ``pip install
"mentorflow[ics]"``). The output is deterministic: the same timeline gives byte-identical
bytes, with UIDs derived from what each event is and a DTSTAMP derived from the programme's
start, never from the wall clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING

from .._simulation.scenario import DeadlineRow, Timeline, VisitRow

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//mentorflow//scenario timeline//EN"
"""The PRODID of every calendar mentorflow writes."""

_DOMAIN = "mentorflow"
_ONE_DAY = dt.timedelta(days=1)


def _date(day: dt.date) -> dt.date:
    """A plain `datetime.date` (not a pendulum subclass) for icalendar."""
    return dt.date(day.year, day.month, day.day)


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _line(value: str) -> str:
    """``value`` as the escaped value of one content line: backslashes and line breaks
    escaped (RFC 5545 3.3.11), other control characters (which TEXT can't hold) left out.
    icalendar writes NAME and X-WR-CALNAME as given, so a raw line break there would start a
    content line of its own (a ``BEGIN:VEVENT`` from a scenario's name)."""
    escaped = value.replace("\\", "\\\\").replace("\r\n", "\\n")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\n")
    return _CONTROLS.sub("", escaped)


def _words(value: str) -> str:
    return value.replace("_", " ")


class _Uids:
    """Deterministic UIDs: a hash of what the event is; repeats get a counter, in order."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.seen: dict[str, int] = {}

    def __call__(self, kind: str, pair: str | None, name: str) -> str:
        key = "\x1f".join((self.scenario, kind, pair or "", name))
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        if count:
            key += f"\x1f{count}"
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return f"{digest}@{_DOMAIN}"


def _deadline_summary(row: DeadlineRow) -> str:
    return f"{row.name} due ({row.pair or 'programme'})"


def _deadline_description(row: DeadlineRow, scenario: str) -> str:
    lines = [f"Status: {_words(row.status.value)}"]
    if row.met_on is not None:
        lines.append(f"Met on: {row.met_on}")
    lines.append(f"Days late: {'-' if row.days_late is None else row.days_late}")
    if row.revisions:
        lines.append("Revisions:")
        for rev in row.revisions:
            why = f"extension {rev.extension}" if rev.extension else "progress"
            lines.append(
                f"  {rev.revision}. {rev.previous or 'no date'} -> {rev.due_on or 'no date'} "
                f"({why}, on {rev.at.date()})"
            )
    else:
        lines.append("Revisions: none")
    lines.append(f"Scenario: {scenario}")
    return "\n".join(lines)


def _visit_summary(visit: VisitRow) -> str:
    text = f"{visit.pair}: study visit {visit.number} in {visit.host} ({_words(visit.mode.value)})"
    return text + (" [projected]" if visit.projected else "")


def _visit_description(visit: VisitRow, scenario: str) -> str:
    return "\n".join(
        [
            f"Pair: {visit.pair}",
            f"Study visit {visit.number}, hosted by {visit.host}",
            f"Mode: {_words(visit.mode.value)}",
            f"From {visit.starts_on} to {visit.ends_on}",
            "Projected by the simulation from the planned durations"
            if visit.projected
            else "Actual (from the scenario's script)",
            f"Scenario: {scenario}",
        ]
    )


def to_ics(timeline: Timeline) -> bytes:
    """The timeline's deadlines and study visits as an RFC 5545 calendar.

    One all-day VEVENT per deadline (on its due date; deadlines without a date yet are left
    out) and one per study visit (from its first to its last day, inclusive). Projected
    visits are marked in their summary and have STATUS:TENTATIVE. The events are ordered by
    date, then kind, pair and name.

    Raises:
        ImportError: icalendar is not installed.
    """
    try:
        from icalendar import Calendar, Event, vText
    except ImportError as err:
        raise ImportError(
            'the iCalendar export needs icalendar: pip install "mentorflow[ics]"'
        ) from err

    scenario = timeline.scenario
    start = timeline.starts_on
    stamp = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    uid = _Uids(scenario)

    entries: list[tuple[tuple[dt.date, int, str, str, int], Event]] = []
    for row in timeline.deadlines:
        if row.due_on is None:
            continue
        due = _date(row.due_on)
        event = Event()
        event.add("uid", uid("deadline", row.pair, row.name))
        event.add("dtstamp", stamp)
        event.add("dtstart", due)
        event.add("dtend", due + _ONE_DAY)
        event.add("summary", vText(_deadline_summary(row)))
        event.add("description", vText(_deadline_description(row, scenario)))
        event.add("categories", ["deadline"])
        event.add("transp", "TRANSPARENT")
        entries.append(((due, 0, row.pair or "", row.name, len(entries)), event))
    for visit in timeline.visits:
        first, last = _date(visit.starts_on), _date(visit.ends_on)
        event = Event()
        event.add("uid", uid("visit", visit.pair, f"study visit {visit.number}"))
        event.add("dtstamp", stamp)
        event.add("dtstart", first)
        event.add("dtend", max(last, first) + _ONE_DAY)  # DTEND of an all-day event is exclusive
        event.add("summary", vText(_visit_summary(visit)))
        event.add("description", vText(_visit_description(visit, scenario)))
        event.add("location", vText(visit.host))
        event.add("categories", ["study visit"])
        if visit.projected:
            event.add("status", "TENTATIVE")
        entries.append(((first, 1, visit.pair, str(visit.number), len(entries)), event))

    # every text value escaped (RFC 5545 3.3.11): a line break in a name is written as "\\n",
    # never as a content line of its own that could start a component
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", _line(scenario))
    calendar.add("x-wr-calname", _line(scenario))
    for _, event in sorted(entries, key=lambda entry: entry[0]):
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
