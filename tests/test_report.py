"""Tests for the shareable HTML report: its content, its escaping, the CLI, and how a real
headless Chromium renders it.

The browser tests drive Debian's ``chromium`` (``/usr/bin/chromium``, or the one named by
``MENTORFLOW_CHROMIUM``) with Playwright, which never downloads a browser here. Without them
the tests skip; ``MENTORFLOW_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets) makes that a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from mentorflow._cli import main
from mentorflow._render import report as report_module
from mentorflow._render.report import Inputs, Section
from mentorflow.exceptions import ValidationError
from mentorflow.scenario import Action, Forecast, Scenario, load_scenario, montecarlo, report

pytest.importorskip("matplotlib")

CHROMIUM = os.environ.get("MENTORFLOW_CHROMIUM", "/usr/bin/chromium")
SECTIONS = ("summary", "advice", "gantt", "deadlines", "timeline", "extensions", "refusals")
EVIL = "<img src=x onerror=alert(1)> & <script>alert(2)</script>"


@pytest.fixture(scope="module")
def plan_forecast() -> Forecast:
    """60 runs of the uncertain IncluCities plan."""
    return montecarlo(load_scenario("inclucities-plan"), 60, seed=1, workers=1)


@pytest.fixture(scope="module")
def plan_page(plan_forecast: Forecast) -> str:
    """The report of the uncertain IncluCities plan."""
    return report(load_scenario("inclucities-plan"), forecast=plan_forecast)


@pytest.fixture(scope="module")
def page() -> str:
    """The report of IncluCities as it happened."""
    return report(load_scenario("inclucities"))


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of IncluCities renamed with markup, with an action the rules refuse."""
    path = tmp_path_factory.mktemp("evil") / "evil.html"
    report(attrs.evolve(refused(), name=EVIL), path)
    return path


def refused() -> Scenario:
    """IncluCities with a completion repeated five years on, which the rules refuse (the pair
    is past that phase by then)."""
    scenario = load_scenario("inclucities")
    again = next(a for a in scenario.script if a.action == "complete")
    late = attrs.evolve(again, on=again.on.add(years=5))
    return attrs.evolve(scenario, script=(*scenario.script, late))


def ids(page: str) -> list[str]:
    """The ids of the page's sections, in order."""
    return re.findall(r'<section id="([^"]+)"', page)


class TestContent:
    """Tests for report: what the page holds."""

    def test_sections_in_order(self, page: str, plan_page: str) -> None:
        """A certain scenario has the fixed sections; an uncertain one the forecast too."""
        assert list(SECTIONS) == ids(page)
        assert [*SECTIONS, "forecast"] == ids(plan_page)

    def test_self_contained(self, plan_page: str) -> None:
        """No script, no link, no external reference: two inline SVG charts and a policy
        that forbids any fetch."""
        assert "<script" not in plan_page
        assert "<link" not in plan_page
        assert "src=" not in plan_page
        assert 2 == plan_page.count("<svg ")
        assert "default-src 'none'" in plan_page
        urls = set(re.findall(r"https?://[^\"'<> ]+", plan_page))
        assert {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"} == urls

    def test_balanced(self, plan_page: str) -> None:
        """Every element opened is closed, in order (the charts' SVG included)."""
        from html.parser import HTMLParser

        void = {"meta", "br", "hr", "img", "link", "input"}
        stack: list[str] = []
        mismatched: list[str] = []

        class Tags(HTMLParser):
            def handle_starttag(self, tag: str, attrs: Any) -> None:
                if tag not in void:
                    stack.append(tag)

            def handle_endtag(self, tag: str) -> None:
                if not stack or stack.pop() != tag:
                    mismatched.append(tag)

        Tags().feed(plan_page)
        assert ([], []) == (stack, mismatched)

    def test_chart_ids_are_unique(self, plan_page: str) -> None:
        """The two charts share no element id."""
        found = re.findall(r'\bid="([^"]+)"', plan_page)
        assert len(found) == len(set(found))
        assert not [i for i in found if not re.match(r"(gantt|forecast)-|[a-z]+$", i)]

    def test_advice_when_the_end_is_breached(self) -> None:
        """Without the extension: the breach, the smallest extension, and by when to ask."""
        page = report(load_scenario("inclucities-without-extension"))
        advice = page[page.index('<section id="advice"') : page.index('<section id="gantt"')]
        assert "88 days after the programme&#x27;s end (2022-12-31)" in advice
        assert "The smallest extension that avoids the breach is 3 months." in advice
        assert "at least 1 month before the end (by 2022-11-30)" in advice
        assert "a request by 2022-10-16" in advice

    def test_advice_with_the_forecast(self, plan_page: str, plan_forecast: Forecast) -> None:
        """An uncertain scenario's advice gives the odds and the months that cover 90%."""
        odds = f"{plan_forecast.extension_probability:.0%}"
        months = plan_forecast.extension_for(0.9)
        assert f"an extension is needed in {odds} of them" in plan_page
        assert f"{months} months in 90%" in plan_page

    def test_advice_when_no_pair_finishes(self) -> None:
        """Every pair suspended for good: no advice, and the runs are said to say nothing."""
        plan = load_scenario("inclucities-plan")
        stop = Action(on=plan.programme.starts_on.add(days=10), action="suspend", pair="*")
        page = report(attrs.evolve(plan, script=(stop,)), runs=5, workers=1)
        advice = page[page.index('<section id="advice"') : page.index('<section id="gantt"')]
        assert "No pair completes in this scenario" in advice
        assert "In 100% of the runs a pair never finishes" in advice
        assert "an extension is needed in" not in advice

    def test_everything_is_escaped(self, evil: Path) -> None:
        """A scenario whose name holds markup shows it as text."""
        page = evil.read_text(encoding="utf-8")
        assert "<img" not in page
        assert "<script" not in page
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;script&gt;" in page

    def test_refusals_listed(self, evil: Path) -> None:
        """Refused script actions are listed, one item each."""
        timeline = refused().simulate()
        assert timeline.refusals
        page = evil.read_text(encoding="utf-8")
        refusals = page[page.index('<section id="refusals"') :]
        assert len(timeline.refusals) == refusals.count("<li>")

    def test_analyses_hook(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A section maker in ANALYSES gets the inputs and adds its section last."""
        seen: list[Inputs] = []

        def bottlenecks(inputs: Inputs) -> Section:
            seen.append(inputs)
            return Section(id="bottlenecks", title="Bottlenecks", body="<p>none</p>")

        monkeypatch.setattr(report_module, "ANALYSES", [bottlenecks, lambda _: None])
        page = report(load_scenario("inclucities"))
        assert [*SECTIONS, "analyses", "bottlenecks"] == ids(page)
        assert '<section id="bottlenecks"><h3>Bottlenecks</h3><p>none</p>' in page
        assert 1 == len(seen)
        assert (None, seen[0].scenario.name) == (seen[0].forecast, seen[0].timeline.scenario)

    def test_writes_a_file(self, tmp_path: Path, page: str) -> None:
        """With a path, the page is written there as UTF-8 and the path returned; the same
        page every time."""
        path = report(load_scenario("inclucities"), tmp_path / "report.html")
        assert tmp_path / "report.html" == path
        assert page == path.read_text(encoding="utf-8")

    def test_refuses_a_non_scenario(self) -> None:
        """Anything but a Scenario is refused, naming the argument."""
        with pytest.raises(ValidationError, match="scenario: must be a Scenario, not str"):
            report("inclucities")  # type: ignore[call-overload]


class TestCli:
    """Tests for mentorflow report."""

    def test_writes_the_report(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """The report is written where -o says, and the command says so."""
        target = tmp_path / "report.html"
        assert 0 == main(["report", "inclucities", "-o", str(target)])
        assert f"saved {target}\n" == capsys.readouterr().out
        assert ids(target.read_text(encoding="utf-8")) == list(SECTIONS)

    def test_needs_an_output(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without -o the command stops with a usage error."""
        with pytest.raises(SystemExit):
            main(["report", "inclucities"])
        assert "-o/--output" in capsys.readouterr().err


# -- in a real browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, driven by Playwright (never downloaded: the system's)."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install playwright)"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"no browser at {CHROMIUM} (apt-get install chromium)"
    if problem is not None:
        if os.environ.get("MENTORFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem} (MENTORFLOW_REQUIRE_BROWSER=1: required)", pytrace=False)
        pytest.skip(problem)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


class TestInChromium:
    """The report in headless Chromium: it renders, quietly, offline."""

    def open(self, browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
        """Open ``path``; return the page, its console errors and the URLs it requested."""
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        return page, problems, requests

    def test_renders_offline_without_errors(
        self, browser: Any, plan_page: str, tmp_path: Path
    ) -> None:
        """Every section and both charts are visible; no console error; nothing fetched."""
        path = tmp_path / "plan.html"
        path.write_text(plan_page, encoding="utf-8")
        page, problems, requests = self.open(browser, path)
        try:
            assert [] == problems
            assert [path.as_uri()] == requests
            for section in (*SECTIONS, "forecast"):
                assert page.locator(f"#{section}").is_visible(), section
            for chart in page.locator("svg").all():
                box = chart.bounding_box()
                assert box is not None
                assert box["width"] > 600
                assert box["height"] > 200
                assert box["width"] <= 1280  # fits the window: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            title = page.locator("h1").inner_text()
            assert "IncluCities as planned in 2020, uncertain" == title
        finally:
            page.close()

    def test_markup_in_names_stays_text(self, browser: Any, evil: Path) -> None:
        """A name holding markup shows as text: no element made of it, no script run."""
        page, problems, requests = self.open(browser, evil)
        try:
            assert [] == problems
            assert [evil.as_uri()] == requests
            assert EVIL == page.locator("h1").inner_text()
            assert 0 == page.locator("img").count()
            assert 0 == page.locator("main script").count()
        finally:
            page.close()
