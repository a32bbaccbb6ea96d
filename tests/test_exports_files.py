"""Tests for the file exports of a timeline: the iCalendar file and the Gantt chart."""

from __future__ import annotations

import datetime as dt
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs
import pytest

from mentorflow._render.gantt import gantt
from mentorflow._render.ics import to_ics
from mentorflow._simulation.scenario import Timeline
from mentorflow._simulation.scenario_file import load_scenario
from mentorflow.exceptions import MentorflowError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def timeline() -> Timeline:
    """The shipped IncluCities scenario, as it happened (with its extension)."""
    return load_scenario("inclucities").simulate()


def fresh(name: str = "inclucities") -> Timeline:
    """A new simulation of a shipped scenario (for checks that two runs agree)."""
    return load_scenario(name).simulate()


class TestIcs:
    """Tests for to_ics."""

    def test_reparses_with_one_event_per_deadline_and_visit(self, timeline: Timeline) -> None:
        """The calendar re-parses, with its header and one VEVENT per dated deadline and visit."""
        icalendar = pytest.importorskip("icalendar")
        calendar = icalendar.Calendar.from_ical(to_ics(timeline))
        assert "-//mentorflow//scenario timeline//EN" == str(calendar["PRODID"])
        assert "2.0" == str(calendar["VERSION"])
        assert "IncluCities 2020-2023, as it happened" == str(calendar["X-WR-CALNAME"])
        events = calendar.walk("VEVENT")
        assert 6 == len([d for d in timeline.deadlines if d.due_on is not None])
        assert 12 == len(timeline.visits)
        assert 18 == len(events)
        for event in events:
            for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
                assert name in event, (name, event)
        uids = [str(event["UID"]) for event in events]
        assert len(uids) == len(set(uids))
        assert all(uid.endswith("@mentorflow") for uid in uids)

    def test_events_are_all_day_with_exclusive_end(self, timeline: Timeline) -> None:
        """Every event is all-day (dates, not times); DTEND is the day after the last day."""
        icalendar = pytest.importorskip("icalendar")
        calendar = icalendar.Calendar.from_ical(to_ics(timeline))
        for event in calendar.walk("VEVENT"):
            start, end = event["DTSTART"].dt, event["DTEND"].dt
            assert not isinstance(start, dt.datetime)
            assert not isinstance(end, dt.datetime)
            assert start < end
        assert b"DTSTART;VALUE=DATE:20211019" in to_ics(timeline)

    def test_one_deadline_precisely(self, timeline: Timeline) -> None:
        """Mechelen-Capaci's final review: due 31 March 2023 (moved by the extension), met."""
        icalendar = pytest.importorskip("icalendar")
        calendar = icalendar.Calendar.from_ical(to_ics(timeline))
        [event] = [
            e
            for e in calendar.walk("VEVENT")
            if str(e["SUMMARY"]) == "final_review due (mechelen-capaci)"
        ]
        assert dt.date(2023, 3, 31) == event["DTSTART"].dt
        assert dt.date(2023, 4, 1) == event["DTEND"].dt
        assert dt.datetime(2020, 6, 17, tzinfo=dt.UTC) == event["DTSTAMP"].dt
        description = str(event["DESCRIPTION"])
        assert "Status: met on time" in description
        assert "Met on: 2023-03-29" in description
        assert "Days late: 0" in description
        assert "2022-12-30 -> 2023-03-31 (extension E1" in description
        [programme] = [
            e
            for e in calendar.walk("VEVENT")
            if str(e["SUMMARY"]) == "final_report due (programme)"
        ]
        assert dt.date(2023, 5, 30) == programme["DTSTART"].dt

    def test_one_visit_precisely(self, timeline: Timeline) -> None:
        """Mechelen-Capaci's second visit: in person in Mechelen, 4-6 October 2021 (the public
        record gives the days since the scenario is per pair)."""
        icalendar = pytest.importorskip("icalendar")
        calendar = icalendar.Calendar.from_ical(to_ics(timeline))
        [event] = [
            e
            for e in calendar.walk("VEVENT")
            if str(e["SUMMARY"]).startswith("mechelen-capaci: study visit 2 ")
        ]
        assert "mechelen-capaci: study visit 2 in Mechelen (in person)" == str(event["SUMMARY"])
        assert dt.date(2021, 10, 4) == event["DTSTART"].dt
        assert dt.date(2021, 10, 7) == event["DTEND"].dt  # exclusive: the visit ends on the 6th
        assert "STATUS" not in event  # actual, not projected

    def test_projected_visits_are_marked(self, timeline: Timeline) -> None:
        """A visit the simulation projected says so in its summary, and is tentative."""
        icalendar = pytest.importorskip("icalendar")
        visit = attrs.evolve(timeline.visits[0], projected=True)
        changed = attrs.evolve(timeline, visits=(visit,), deadlines=())
        [event] = icalendar.Calendar.from_ical(to_ics(changed)).walk("VEVENT")
        assert str(event["SUMMARY"]).endswith(" [projected]")
        assert "TENTATIVE" == str(event["STATUS"])
        assert "Projected by the simulation" in str(event["DESCRIPTION"])

    def test_two_runs_give_identical_bytes(self) -> None:
        """Two simulations of the same scenario export byte-identical calendars."""
        pytest.importorskip("icalendar")
        first, second = to_ics(fresh()), to_ics(fresh())
        assert first == second
        assert first.startswith(b"BEGIN:VCALENDAR\r\n")

    def test_missing_icalendar(self, timeline: Timeline, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without icalendar, the error says which extra to install."""
        monkeypatch.setitem(sys.modules, "icalendar", None)
        with pytest.raises(ImportError, match=r'pip install "mentorflow\[ics\]"'):
            to_ics(timeline)


def png_size(data: bytes) -> tuple[int, int]:
    """The width and height in a PNG's IHDR chunk."""
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class TestGantt:
    """Tests for gantt."""

    def test_png(self, timeline: Timeline, tmp_path: Path) -> None:
        """A PNG of the expected size (12 in wide at 100 dpi; 5 rows), the same on every run."""
        pytest.importorskip("matplotlib")
        first = gantt(timeline, tmp_path / "first.png")
        second = gantt(fresh(), str(tmp_path / "second.png"))
        assert tmp_path / "first.png" == first
        assert tmp_path / "second.png" == second
        data = first.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert (1200, 635) == png_size(data)
        assert data == second.read_bytes()

    def test_svg(self, timeline: Timeline, tmp_path: Path) -> None:
        """An SVG document, the same on every run."""
        pytest.importorskip("matplotlib")
        first = gantt(timeline, tmp_path / "first.svg")
        second = gantt(fresh(), tmp_path / "second.svg")
        root = ET.parse(first).getroot()
        assert "{http://www.w3.org/2000/svg}svg" == root.tag
        assert first.read_bytes() == second.read_bytes()
        assert b"<dc:date>" not in first.read_bytes()

    def test_other_scenarios_draw(self, tmp_path: Path) -> None:
        """The other shipped scenarios draw too (missed deadlines, projected phases)."""
        pytest.importorskip("matplotlib")
        for name in ("inclucities-without-extension", "urbact-transfer-network"):
            path = gantt(fresh(name), tmp_path / f"{name}.png")
            assert path.read_bytes().startswith(PNG_SIGNATURE)

    def test_leaves_global_settings_alone(self, timeline: Timeline, tmp_path: Path) -> None:
        """Drawing changes neither matplotlib's rcParams nor its backend."""
        matplotlib = pytest.importorskip("matplotlib")
        before = dict(matplotlib.rcParams)
        gantt(timeline, tmp_path / "chart.svg")
        assert before == dict(matplotlib.rcParams)

    def test_refuses_other_formats(self, timeline: Timeline, tmp_path: Path) -> None:
        """A .pdf is refused, naming the suffix, and nothing is written."""
        pytest.importorskip("matplotlib")
        with pytest.raises(ValueError, match=r"'\.pdf'") as refused:
            gantt(timeline, tmp_path / "chart.pdf")
        assert isinstance(refused.value, MentorflowError)  # the CLI reports it in one line
        assert [] == list(tmp_path.iterdir())

    def test_missing_matplotlib(
        self, timeline: Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without matplotlib, the error says which extra to install."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        with pytest.raises(ImportError, match=r'pip install "mentorflow\[charts\]"'):
            gantt(timeline, tmp_path / "chart.png")
