"""Hardening (issue 12): each reported bad input gets a library error; nothing hangs, nothing is
coerced, nothing stored changes. Each test reproduces one reported case."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pendulum
import pytest

from mentorflow import (
    City,
    CorruptStoreError,
    DeadlineMissed,
    DeadlineRule,
    DefinitionError,
    ExtensionPolicy,
    JsonLinesStore,
    Lifecycle,
    ManualClock,
    MemoryStore,
    MentorflowError,
    Offset,
    Outbox,
    PolicyViolation,
    Programme,
    ReplayError,
    SerializationError,
    SQLiteStore,
    StoreError,
    ValidationError,
)
from mentorflow._codec import chain
from mentorflow._render.exports import cell
from mentorflow._simulation.inclucities import programme as inclucities_programme
from mentorflow._simulation.montecarlo import MAX_RUNS, load_scenario_json
from mentorflow.scenario import (
    Empirical,
    ScenarioError,
    load_scenario,
    montecarlo,
    parse_scenario,
    shipped,
    simulate,
    slip_sweep,
    to_csv,
    to_ics,
)
from mentorflow.serialization import dump_definition, dump_event, load_event, read_definition

from helpers import CAPACI, MECHELEN, START, TZ, snapshot

T = TypeVar("T")
RULE = DeadlineRule("report", after="programme.start", months=3)


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``'s result, or a test failure if it has not returned after ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed back to the test's thread
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def forged(definition: Any, events: Any) -> MemoryStore:
    """A store holding ``definition`` and ``events`` under "p", with the chain of digests
    recomputed (as a forger who knows the scheme would): the checks after the chain run."""
    store = MemoryStore()
    bare = [{k: v for k, v in e.items() if k != chain.FIELD} for e in events]
    store.create("p", definition, chain.link(bare, chain.digest(definition))[0])
    return store


def _alerting(clock: ManualClock) -> Programme:
    """A programme with one pair whose needs assessment is late: a check emits a miss."""
    programme = Programme(
        "Alerts",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock,
        deadlines=[DeadlineRule("needs_assessment", after="programme.start", months=2)],
    )
    programme.add_pair("mechelen-capaci", mentor=MECHELEN, mentee=CAPACI, theme="housing")
    return programme


class TestReplayOfAlerts:
    """Item 1: replaying a deadline alert whose check now produces nothing."""

    def test_changed_definition_ends_with_replay_error(self) -> None:
        """A log whose rule moved so that the logged miss is not due on replay is refused,
        naming the event, within a second."""
        clock = ManualClock(START)
        live = _alerting(clock)
        store = MemoryStore()
        live.persist(store, "p")
        missed = live.check_deadlines(at=START.add(months=3))
        assert [DeadlineMissed] == [type(e) for e in missed]
        log = store.read("p")
        definition = dump_definition(live)
        definition["deadlines"] = [{**definition["deadlines"][0], "months": 24}]
        # as a definition written before fingerprints (0.1) would be: no version, no fingerprint
        definition.pop("fingerprint", None)
        definition.pop("version", None)
        tampered = forged(definition, log.events)
        with pytest.raises(ReplayError) as info:
            within(1.0, lambda: Programme.restore(tampered, "p"))
        assert missed[0].seq == info.value.seq
        assert "DeadlineMissed" in str(info.value)
        assert "definition" in str(info.value)


def _enrolment() -> dict[str, Any]:
    """The stored document of a `PairEnrolled` (as a store hands it back)."""
    live = _alerting(ManualClock(START))
    return json.loads(json.dumps(dump_event(live.history[0])))


class TestNoCoercionOnLoad:
    """Item 3: a stored value of the wrong type is an error naming the record and field."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("support_network", "NaN"),
            ("benchmarks", "ab"),
            ("note", {"a": 1}),
            ("note", {}),
            ("note", True),
            ("note", -1e400),
            ("note", "\ud800"),
            ("topic", ["x"]),
            ("pair", "\udcff"),
            ("seq", True),
            ("seq", 1.0),
        ],
    )
    def test_wrong_value_is_refused(self, field: str, value: object) -> None:
        """The value is refused, naming the record and the field, never coerced."""
        document = {**_enrolment(), field: value}
        with pytest.raises(SerializationError) as info:
            load_event(document, "p.events[seq 1]")
        assert f"p.events[seq 1].{field}" == info.value.field

    def test_restore_names_the_record(self) -> None:
        """Restoring a log with a string where a list belongs names the record and field."""
        live = _alerting(ManualClock(START))
        store = MemoryStore()
        live.persist(store, "p")
        log = store.read("p")
        events = [dict(e) for e in log.events]
        events[0]["support_network"] = "NaN"
        tampered = forged(log.definition, events)
        with pytest.raises(SerializationError) as info:
            Programme.restore(tampered, "p")
        assert "p.events[seq 1].support_network" == info.value.field

    def test_steps_as_a_string_are_refused(self) -> None:
        """A lifecycle whose steps are a string is refused, not read character by character."""
        definition = dump_definition(_alerting(ManualClock(START)))
        definition["lifecycle"] = {"steps": "abc", "visit_hosts": None}
        with pytest.raises(SerializationError) as info:
            read_definition(definition, "p.definition")
        assert info.value.field.startswith("p.definition.lifecycle")

    @pytest.mark.parametrize("seconds", [-1e14, 1e300, float("nan"), float("inf")])
    def test_clock_tolerance_out_of_range(self, seconds: float) -> None:
        """A stored clock tolerance no duration can hold is an error naming the field, not
        an OverflowError or ValueError (the fuzz suite found -1e14)."""
        definition = dump_definition(_alerting(ManualClock(START)))
        definition["clock_tolerance"] = seconds
        with pytest.raises(SerializationError) as info:
            read_definition(definition, "p.definition")
        assert "p.definition.clock_tolerance" == info.value.field

    def test_surrogate_in_a_name_is_refused_by_the_api(self) -> None:
        """A lone surrogate in a name is refused when it is given, whatever the store."""
        with pytest.raises(ValidationError) as info:
            City(name="Mech\ud800elen", country="BE")
        assert "name" == info.value.field


def _programme(**changes: Any) -> Programme:
    arguments: dict[str, Any] = {
        "starts_on": pendulum.date(2020, 6, 17),
        "ends_on": pendulum.date(2022, 12, 31),
        "timezone": TZ,
        "clock": ManualClock(START),
        **changes,
    }
    return Programme("T", **arguments)


def _deep(depth: int = 5_000) -> list[Any]:
    """A list nested ``depth`` deep: ``repr`` of it is a RecursionError."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


class TestApiCrashes:
    """Item 4: public calls that crashed now raise library errors, changing nothing."""

    @pytest.mark.parametrize(
        "call",
        [
            lambda: _programme(deadlines=None),
            lambda: Empirical(None),  # type: ignore[arg-type]
            lambda: _programme().check_deadlines(at=pendulum.datetime(9999, 12, 31, tz="UTC")),
            lambda: _programme(deadlines=[RULE]).check_deadlines(
                at=pendulum.datetime(9999, 12, 31, 23, tz="UTC")
            ),
            lambda: _programme().request_extension(months=185_153, reason="x"),
            lambda: _programme().request_extension(months=10**30, reason="x"),
            lambda: _programme(ends_on=pendulum.date(9999, 12, 31)),
            lambda: _programme(
                deadlines=[DeadlineRule("x", after="programme.start", months=10**6)]
            ),
            lambda: Offset(amount=10**5000),
            lambda: Programme.restore(MemoryStore(), ["x"]),  # type: ignore[arg-type]
            lambda: Lifecycle.linear({"a": 1}),  # type: ignore[arg-type]
            lambda: _programme(clock=pendulum.now()),  # a time, not a clock (fuzz suite)
            # a value too deeply nested to repr, named in the message (fuzz suite)
            lambda: Outbox(MemoryStore(), _deep(), print),  # type: ignore[arg-type]
            lambda: slip_sweep(load_scenario("inclucities-plan"), "matching", unit=_deep()),  # type: ignore[arg-type]
            lambda: MemoryStore().read(_deep()),  # type: ignore[arg-type]
            lambda: MemoryStore().read_snapshot("p", _deep()),  # type: ignore[arg-type]
            lambda: MemoryStore().read("p", after=_deep()),  # type: ignore[arg-type]
        ],
    )
    def test_library_error(self, call: Callable[[], object]) -> None:
        """A library error, never a crash of Python's own."""
        with pytest.raises(MentorflowError):
            call()

    def test_long_chain_of_offsets_is_refused(self) -> None:
        """Rules chained so far that a date could leave the calendar are refused when made."""
        rules = [DeadlineRule("m0", after="programme.start", months=1200)] + [
            DeadlineRule(f"m{i}", after=f"m{i - 1}", months=1200) for i in range(1, 12)
        ]
        with pytest.raises(DefinitionError) as info:
            _programme(deadlines=rules)
        assert info.value.field.startswith("deadlines[")

    def test_extensions_add_up_to_at_most_a_century(self) -> None:
        """An extension that would take the total past 100 years is refused, whatever the
        policy allows."""
        programme = _programme(
            extension_policy=ExtensionPolicy(max_count=None, max_total=None, response_days=90)
        )
        at = START
        for _ in range(8):
            ext = programme.request_extension(months=150, reason="x", at=at)
            programme.grant_extension(ext.key, by="funder", at=at)
        before = snapshot(programme)
        with pytest.raises(PolicyViolation):
            programme.request_extension(months=1200, reason="x", at=at)
        assert before == snapshot(programme)


PLAN = shipped()["inclucities-plan"].read_text(encoding="utf-8")


class TestScenarioFileCrashes:
    """Item 4: scenario files that crashed now raise a `ScenarioError` naming the file."""

    @pytest.mark.parametrize(
        "content",
        [
            PLAN.encode() + "# caf\u00e9".encode("latin-1"),
            b'name = "x"\npairs = [1]\n[programme]\nname = "p"\n',
            ("x = " + "[" * 100_000 + "]" * 100_000 + "\n").encode(),
            ("x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n").encode(),
            PLAN.replace("ends_on = 2022-12-31", "ends_on = 9999-12-31").encode(),
            PLAN.replace(
                '"2 months", "3 months"', '"2 months", "' + "9" * 300 + ' months"'
            ).encode(),
            PLAN.replace(
                '"2 months", "3 months"', '"2 months", "' + "9" * 5000 + ' months"'
            ).encode(),
            PLAN.replace("lead_days = 30", "lead_days = " + "9" * 5000).encode(),
            PLAN.replace("lead_days = 30", "lead_days = 30\nmonths = " + "9" * 20).encode(),
            PLAN.replace('key = "brussels-saint-jean"', 'key = ["a"]').encode(),
            PLAN.replace("lifecycle = [", "lifecycle = [{a=1},").encode(),
            (
                PLAN + '\n[[script]]\non = 2020-07-01\naction = "request_extension"\n'
                'offset = "185153 months"\nreason = "x"\n'
            ).encode(),
        ],
    )
    def test_scenario_error(self, tmp_path: Path, content: bytes) -> None:
        """A `ScenarioError` naming the file."""
        path = tmp_path / "bad.toml"
        path.write_bytes(content)
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert str(path) in str(info.value)

    @pytest.mark.parametrize(("key", "value"), [("months", None), ("capped", 1), ("after", 3)])
    def test_rule_values_are_not_coerced(self, key: str, value: object) -> None:
        """A rule's offset of None is refused, not read as "no offset" (found by the fuzz
        suite); a number for capped or after is refused too."""
        document = tomllib.loads(PLAN)
        document["programme"]["deadlines"][0][key] = value
        with pytest.raises(ScenarioError) as info:
            parse_scenario(document)
        assert f"programme.deadlines[0].{key}" in info.value.field

    @pytest.mark.parametrize("document", [[1], {"name": "x", "pairs": [1]}, {1: 2}, None])
    def test_parse_scenario_refuses_what_is_not_a_table(self, document: Any) -> None:
        """`parse_scenario` of something that is not a table of tables is a `ScenarioError`."""
        with pytest.raises(ScenarioError):
            parse_scenario(document)


def _evil(name: str, reason: str) -> Any:
    """The shipped IncluCities scenario, renamed, with an extension request's reason."""
    scenario = load_scenario("inclucities")
    script = tuple(
        attrs.evolve(a, reason=reason) if a.action == "request_extension" else a
        for a in scenario.script
    )
    return attrs.evolve(scenario, name=name, script=script)


class TestInjection:
    """Item 7: names and reasons can't inject lines into an ICS nor formulas into a CSV."""

    def test_ics_name_with_line_breaks(self) -> None:
        """A name with line breaks is one escaped line: no component of its own."""
        pytest.importorskip("icalendar")
        from icalendar import Calendar

        name = "Evil\r\nBEGIN:VEVENT\nSUMMARY:pwned\nEND:VEVENT\\"
        timeline = simulate(_evil(name, "x"))
        ics = to_ics(timeline)
        assert b"\nBEGIN:VEVENT\nSUMMARY:pwned" not in ics.replace(b"\r\n", b"\n")
        calendar = Calendar.from_ical(ics)
        dated = [row for row in timeline.deadlines if row.due_on is not None]
        assert len(dated) + len(timeline.visits) == len(calendar.walk("VEVENT"))
        names = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert "pwned" not in names
        line = next(x for x in ics.split(b"\r\n") if x.startswith(b"X-WR-CALNAME:"))
        assert b"X-WR-CALNAME:Evil\\nBEGIN:VEVENT\\nSUMMARY:pwned\\nEND:VEVENT\\\\" == line

    @pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
    def test_csv_formulas_are_neutralised(self, start: str) -> None:
        """A text cell starting like a formula gets a leading quote (OWASP)."""
        payload = start + 'HYPERLINK("http://example.invalid","x")'
        rows = list(csv.reader(io.StringIO(to_csv(simulate(_evil("x", payload))))))
        cells = [c for row in rows for c in row]
        assert "'" + payload in cells
        assert not any(c.startswith(("=", "+", "@")) for c in cells)

    def test_numbers_stay_numbers(self) -> None:
        """A negative number is not neutralised: it is a number, not text."""
        assert -3 == cell(-3)
        assert "'-3" == cell("-3")


class _Recording(ThreadPoolExecutor):
    """A thread pool that records what is submitted and how many tasks are in flight."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        self.arguments: list[tuple[object, ...]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.arguments.append(args)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: object) -> None:
        with self.lock:
            self.in_flight -= 1


class TestMonteCarloBounds:
    """Items 8 and 9: bounded work, prompt stops, and no pickle of scenarios."""

    def test_absurd_runs_are_refused_naming_the_limit(self) -> None:
        """More runs than `MAX_RUNS` is refused, naming the limit a caller can raise."""
        with pytest.raises(ValidationError) as info:
            montecarlo(load_scenario("inclucities-plan"), 1_000_000_000)
        assert "runs" == info.value.field
        assert "max_runs" in info.value.problem
        assert MAX_RUNS < 1_000_000_000

    def test_chunks_in_flight_are_bounded_and_ctrl_c_stops_at_once(self) -> None:
        """A billion runs (with the limit raised) keep at most 2 chunks per worker in flight,
        and a Ctrl-C stops them within a second with a partial forecast."""
        calls = 0
        interrupted_at = 0.0

        def progress(done: int, runs: int) -> None:
            nonlocal calls, interrupted_at
            calls += 1
            if calls == 6:
                interrupted_at = time.perf_counter()
                raise KeyboardInterrupt

        with _Recording(2) as executor:
            result = montecarlo(
                load_scenario("inclucities-plan"),
                1_000_000_000,
                max_runs=1_000_000_000,
                executor=executor,
                workers=2,
                progress=progress,
            )
            stopped = time.perf_counter() - interrupted_at
        assert stopped < 1.0
        assert result.partial
        assert executor.most_in_flight <= 2 * 2
        assert len(executor.arguments) < 20

    def test_workers_get_json_not_pickle(self) -> None:
        """A chunk's arguments are a JSON string and numbers; the forecast is the same."""
        scenario = load_scenario("inclucities-plan")
        with _Recording(2) as executor:
            spread = montecarlo(scenario, 300, seed=3, executor=executor)
        here = montecarlo(scenario, 300, seed=3, workers=1)
        assert here == spread
        for payload, *numbers in executor.arguments:
            assert isinstance(payload, str)
            assert scenario == load_scenario_json(payload)
            assert all(type(n) is int for n in numbers)


FIXTURES = Path(__file__).parent / "fixtures"


def _chained(tmp_path: Path) -> tuple[JsonLinesStore, Programme, list[str]]:
    """A JSON Lines log of a few appends, and its lines."""
    clock = ManualClock(START)
    live = _alerting(clock)
    store = JsonLinesStore(tmp_path)
    live.persist(store, "p")
    live.pair("mechelen-capaci").complete("needs_assessment", at=START.add(days=3))
    live.pair("mechelen-capaci").complete("matching", at=START.add(days=9))
    lines = (tmp_path / "p.jsonl").read_text().splitlines(keepends=True)
    return store, live, lines


class TestTamperDetection:
    """Item 5: a hash chain over the records, checked on read; expected_version."""

    def test_every_record_carries_the_digest_of_the_one_before(self, tmp_path: Path) -> None:
        """The first record carries the definition's digest, each later one its
        predecessor's."""
        store, _, _ = _chained(tmp_path)
        log = store.read("p")
        previous = chain.digest(log.definition)
        for document in log.events:
            assert previous == document["chain"]
            previous = chain.digest(document)

    @pytest.mark.parametrize(
        "document",
        [
            {"b": 1, "a": [1.5, None, True, {"z": "é", "y": "\ud800"}], "seq": 10**20},
            {"type": "PhaseStarted", "note": 'a\nb"c', "pair": "x", "chain": "0" * 32},
            {},
        ],
    )
    def test_digest_is_of_canonical_json(self, document: dict[str, Any]) -> None:
        """A digest is BLAKE2b-128 of json.dumps' canonical form (sorted keys, no spaces,
        UTF-8 as it is), however it is computed: logs written before stay valid."""
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        expected = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16)
        assert expected.hexdigest() == chain.digest(document)
        previous = document.get("chain", "")
        assert expected.hexdigest() == chain.check_after(previous, [document], 1, "$")[0]

    @pytest.mark.parametrize(
        "tamper",
        [
            lambda ls: [ls[0], ls[1], ls[2].replace('"note":null', '"note":"x"'), *ls[3:]],
            lambda ls: [ls[0].replace("Alerts", "Alarms"), *ls[1:]],
            lambda ls: [ls[0], ls[1], ls[2].replace(',"chain":"', ',"chainz":"'), *ls[3:]],
            lambda ls: [ls[0], ls[1], ls[3], ls[2]],
        ],
    )
    def test_an_edit_is_refused(
        self, tmp_path: Path, tamper: Callable[[list[str]], list[str]]
    ) -> None:
        """An edited, unchained or moved record, or an edited definition, is refused."""
        _, _, lines = _chained(tmp_path)
        (tmp_path / "p.jsonl").write_text("".join(tamper(lines)))
        with pytest.raises((CorruptStoreError, SerializationError)):
            Programme.restore(JsonLinesStore(tmp_path), "p")

    def test_records_removed_from_the_end_with_expected_version(self, tmp_path: Path) -> None:
        """A log shorter than the version the caller last saw is refused; one as long or
        longer restores."""
        _, live, lines = _chained(tmp_path)
        Programme.restore(JsonLinesStore(tmp_path), "p", expected_version=live.version)
        (tmp_path / "p.jsonl").write_text("".join(lines[:2]))
        with pytest.raises(CorruptStoreError, match="fewer than"):
            Programme.restore(JsonLinesStore(tmp_path), "p", expected_version=live.version)
        Programme.restore(JsonLinesStore(tmp_path), "p")  # without it: a crash before the write

    @pytest.mark.parametrize("bad", [-1, "3", 1.5, True])
    def test_expected_version_must_be_a_count(self, bad: object) -> None:
        """A wrong expected_version is a ValidationError naming it."""
        with pytest.raises(ValidationError) as info:
            Programme.restore(MemoryStore(), "p", expected_version=bad)  # type: ignore[arg-type]
        assert "expected_version" == info.value.field

    def test_old_logs_restore_and_go_on_chained(self, tmp_path: Path) -> None:
        """A log of mentorflow 0.1 (no digests) restores; what is appended after it is chained,
        and the whole log restores again."""
        shutil.copy(FIXTURES / "inclucities-0.1.jsonl", tmp_path / "inclucities.jsonl")
        store = JsonLinesStore(tmp_path)
        old = Programme.restore(store, "inclucities", clock=ManualClock(START))
        at = pendulum.datetime(2023, 3, 1, tz=TZ)
        old.add_pair("mechelen-capaci-2", mentor=MECHELEN, mentee=CAPACI, theme="housing", at=at)
        log = JsonLinesStore(tmp_path).read("inclucities")
        assert "chain" not in log.events[0]
        assert "chain" in log.events[-1]
        again = Programme.restore(JsonLinesStore(tmp_path), "inclucities", clock=ManualClock(START))
        assert snapshot(old) == snapshot(again)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mentorflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


BAD_FILES = {
    "latin-1": PLAN.encode() + "# caf\u00e9".encode("latin-1"),
    "nested": ("x = " + "[" * 100_000 + "]" * 100_000 + "\n").encode(),
    "year-9999": PLAN.replace("ends_on = 2022-12-31", "ends_on = 9999-12-31").encode(),
    "5000-digits": PLAN.replace(
        '"2 months", "3 months"', '"2 months", "' + "9" * 5000 + ' months"'
    ).encode(),
    "lead-5000-digits": PLAN.replace("lead_days = 30", "lead_days = " + "9" * 5000).encode(),
    "unhashable": PLAN.replace("lifecycle = [", "lifecycle = [{a=1},").encode(),
    "pairs-1": PLAN.split("[[pairs]]")[0]
    .replace("[programme]", "pairs = [1]\n[programme]", 1)
    .encode(),
    "name-with-newline": PLAN.replace(
        'name = "IncluCities as planned in 2020, uncertain"', 'name = "a\\nBEGIN:VEVENT"'
    ).encode(),
    "empty": b"",
}


class TestCommandLine:
    """The command line: one clear line and exit 1 for bad input, never a traceback."""

    @pytest.mark.parametrize("name", sorted(BAD_FILES))
    @pytest.mark.parametrize("command", ["validate", "simulate"])
    def test_bad_scenario_file(self, tmp_path: Path, name: str, command: str) -> None:
        """A bad scenario file: exit 1, one line naming the file."""
        path = tmp_path / f"{name}.toml"
        path.write_bytes(BAD_FILES[name])
        result = _cli(command, str(path))
        if name == "name-with-newline":  # a valid scenario: its name is only data
            assert 0 == result.returncode, result.stderr
            return
        assert 1 == result.returncode
        assert "Traceback" not in result.stderr
        assert 1 == len(result.stderr.splitlines()), result.stderr
        assert result.stderr.startswith(f"mentorflow: {path}")

    @pytest.mark.parametrize(
        "args",
        [
            ("montecarlo", "inclucities-plan", "--runs", "1000000000"),
            ("montecarlo", "inclucities-plan", "--runs", "0"),
            ("montecarlo", "inclucities-plan", "--seed", "-1"),
            ("montecarlo", "inclucities-plan", "--workers", "0"),
            ("montecarlo", "inclucities-plan", "--workers", "100000"),
            ("simulate", "no-such-scenario"),
            ("simulate", "."),
            ("simulate", "inclucities", "--output", "/no/such/folder/x.csv"),
        ],
    )
    def test_bad_arguments(self, args: tuple[str, ...]) -> None:
        """A bad argument value: exit 1, one line, no traceback."""
        result = _cli(*args)
        assert 1 == result.returncode, result.stderr
        assert "Traceback" not in result.stderr
        assert 1 == len(result.stderr.splitlines()), result.stderr
        assert result.stderr.startswith("mentorflow: ")

    def test_ics_of_a_name_with_line_breaks(self, tmp_path: Path) -> None:
        """The ICS export of a scenario whose name holds line breaks has no injected line."""
        pytest.importorskip("icalendar")
        path = tmp_path / "evil.toml"
        path.write_bytes(BAD_FILES["name-with-newline"])
        result = _cli("simulate", str(path), "--format", "ics")
        assert 0 == result.returncode, result.stderr
        lines = result.stdout.splitlines()
        assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT")
        assert "X-WR-CALNAME:a\\nBEGIN:VEVENT" in lines[: lines.index("BEGIN:VEVENT")]


class TestStoreReading:
    """Item 4, the stores' part: a store's reading (and appending) ends in a library error."""

    def _log(self, tmp_path: Path) -> Path:
        inclucities_programme().persist(JsonLinesStore(tmp_path), "p")
        return tmp_path / "p.jsonl"

    def test_deeply_nested_json_lines(self, tmp_path: Path) -> None:
        """A deeply nested line is a CorruptStoreError naming the line."""
        path = self._log(tmp_path)
        first = path.read_text().splitlines(keepends=True)[0]
        path.write_text(first + '{"version":1,"events":' + "[" * 100_000 + "]" * 100_000 + "}\n")
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:2: nested too deeply"):
            Programme.restore(JsonLinesStore(tmp_path), "p")

    def test_deeply_nested_json_lines_on_append(self, tmp_path: Path) -> None:
        """An append to a log whose new last line (another process's) is deeply nested is a
        CorruptStoreError naming the line, and writes nothing."""
        path = self._log(tmp_path)
        store = JsonLinesStore(tmp_path)
        version = store.version("p")
        nested = "[" * 100_000 + "]" * 100_000
        line = f'{{"version":{version + 1},"events":[{{"seq":{version + 1},"x":{nested}}}]}}'
        with path.open("a") as log:
            log.write(line + "\n")
        before = path.read_bytes()
        with pytest.raises(CorruptStoreError, match=r"p\.jsonl:\d+: nested too deeply"):
            store.append("p", [{"seq": version + 2}], expected_version=version + 1)
        assert before == path.read_bytes()

    @pytest.mark.parametrize("kind", ["memory", "jsonl", "sqlite"])
    def test_appending_a_deeply_nested_document(self, tmp_path: Path, kind: str) -> None:
        """A document too deeply nested to be written is a StoreError; nothing is written."""
        stores: dict[str, Callable[[], Any]] = {
            "memory": MemoryStore,
            "jsonl": lambda: JsonLinesStore(tmp_path),
            "sqlite": lambda: SQLiteStore(tmp_path / "s.sqlite"),
        }
        store = stores[kind]()
        store.create("p", {"name": "p"})
        nested: list[Any] = []
        for _ in range(100_000):
            nested = [nested]
        with pytest.raises(StoreError, match="nested too deeply"):
            store.append("p", [{"seq": 1, "x": nested}], expected_version=0)
        with pytest.raises(StoreError, match="nested too deeply"):
            store.create("q", {"x": nested})
        assert 0 == store.version("p")
        assert ["p"] == store.keys()

    def test_sqlite_body_as_blob(self, tmp_path: Path) -> None:
        """An event body stored as a BLOB is a CorruptStoreError."""
        path = tmp_path / "s.sqlite"
        with SQLiteStore(path) as store:
            inclucities_programme().persist(store, "p")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE events SET body = CAST(body AS BLOB) WHERE seq = 1")
        db.close()
        with SQLiteStore(path) as store, pytest.raises(CorruptStoreError):
            Programme.restore(store, "p")

    def test_sqlite_deeply_nested_body(self, tmp_path: Path) -> None:
        """A deeply nested event body is a CorruptStoreError naming the event."""
        path = tmp_path / "s.sqlite"
        with SQLiteStore(path) as store:
            inclucities_programme().persist(store, "p")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE events SET body = ? WHERE seq = 2", ("[" * 100_000 + "]" * 100_000,))
        db.close()
        with SQLiteStore(path) as store, pytest.raises(CorruptStoreError, match="event 2: nested"):
            Programme.restore(store, "p")

    def test_memory_store_unhashable_key(self) -> None:
        """An unhashable key is a StoreError."""
        with pytest.raises(StoreError):
            MemoryStore().read({})  # type: ignore[arg-type]
