"""The command line, run as a user runs it: in a subprocess, on shipped and broken files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import mentorflow
from mentorflow._simulation.scenario_file import shipped


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mentorflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.parametrize("name", sorted(shipped()))
def test_validate_and_simulate_shipped(name: str) -> None:
    """Every shipped scenario validates and simulates to a table."""
    checked = run("validate", name)
    assert 0 == checked.returncode, checked.stderr
    assert f"{name}: a valid scenario" in checked.stdout
    table = run("simulate", name)
    assert 0 == table.returncode, table.stderr
    assert "last completion:" in table.stdout


def test_formats_and_output(tmp_path: Path) -> None:
    """CSV, JSON and iCalendar go to the terminal or to a file; the same input gives the same
    bytes."""
    csv_out = run("simulate", "inclucities", "--format", "csv").stdout
    assert csv_out.startswith("kind,pair,name,start,end,status,projected,days_late,revisions\n")
    data = json.loads(run("simulate", "urbact-transfer-network", "--format", "json").stdout)
    assert 95 == data["summary"]["breach_days"]
    target = tmp_path / "inclucities.ics"
    saved = run("simulate", "inclucities", "--format", "ics", "--output", str(target))
    assert f"saved {target}" == saved.stdout.strip()
    first = target.read_bytes()
    run("simulate", "inclucities", "--format", "ics", "--output", str(target))
    assert first == target.read_bytes()
    assert first.startswith(b"BEGIN:VCALENDAR")


def test_compare() -> None:
    """compare prints the milestones that moved and what became missed."""
    result = run("compare", "inclucities", "inclucities-without-extension")
    assert 0 == result.returncode, result.stderr
    assert "programme end: -90 days" in result.stdout
    assert "newly missed: final_conference (programme)" in result.stdout
    data = json.loads(
        run("compare", "inclucities", "inclucities-without-extension", "--format", "json").stdout
    )
    assert 5 == len(data["newly_missed"])


def test_gantt_and_diagram(tmp_path: Path) -> None:
    """gantt saves a chart; diagram prints the lifecycle in mermaid."""
    chart = tmp_path / "chart.svg"
    assert 0 == run("gantt", "inclucities", "--output", str(chart)).returncode
    assert "<svg" in chart.read_text()
    diagram = run("diagram", "urbact-transfer-network").stdout
    assert "    activation --> transfer_plan: complete" in diagram
    assert run("diagram").stdout.startswith("stateDiagram-v2\n    [*] --> needs_assessment")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name = "x"\n[programme\n', "not valid TOML"),
        ('name = "x"\n', "programme: is missing"),
        (None, "partners.saint-jean.country: the holidays package has no calendar for 'XX'"),
        (None, "durations.matching: 'a while' is not an amount"),
    ],
)
def test_bad_files_get_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    """A bad file: one line naming the file, the key and the problem; exit 1; no traceback."""
    path = tmp_path / "broken.toml"
    if content is None:
        text = shipped()["inclucities"].read_text()
        text = text.replace('country = "FR"', 'country = "XX"', 1) if "XX" in message else text
        text = (
            text.replace('matching = "1 month"', 'matching = "a while"')
            if "a while" in message
            else text
        )
        path.write_text(text)
    else:
        path.write_text(content)
    for command in (["validate"], ["simulate"], ["gantt", "--output", str(tmp_path / "x.png")]):
        result = run(command[0], str(path), *command[1:])
        assert 1 == result.returncode
        lines = result.stderr.strip().splitlines()
        assert 1 == len(lines), result.stderr
        assert lines[0].startswith(f"mentorflow: {path}: ")
        assert message in lines[0]
        assert "Traceback" not in result.stderr


def test_missing_file_and_bad_output(tmp_path: Path) -> None:
    """A missing file or an unwritable output is one line too."""
    missing = run("simulate", str(tmp_path / "nope.toml"))
    assert (1, 1) == (missing.returncode, len(missing.stderr.splitlines()))
    assert "can't read it" in missing.stderr
    bad = run("gantt", "inclucities", "--output", str(tmp_path / "chart.pdf"))
    assert 1 == bad.returncode
    assert ".pdf" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_help_and_version() -> None:
    """--help on the command and each subcommand; --version."""
    assert f"mentorflow {mentorflow.__version__}" == run("--version").stdout.strip()
    for command in ("demo", "simulate", "compare", "gantt", "validate", "diagram"):
        result = run(command, "--help")
        assert 0 == result.returncode
        assert f"usage: mentorflow {command}" in result.stdout
    usage = run()
    assert 2 == usage.returncode
    assert "Traceback" not in usage.stderr


def test_piped_into_head() -> None:
    """`mentorflow demo | head` ends quietly: no error line, exit 0."""
    import shlex

    command = f"{shlex.quote(sys.executable)} -m mentorflow simulate inclucities | head -1"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=120
    )
    assert 0 == result.returncode, result.stderr
    assert "" == result.stderr


def test_broken_pipe_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    """A reader that goes away (BrokenPipeError) ends the command quietly with exit 0."""
    from mentorflow._cli import main

    class GoneReader:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    assert 0 == main(["simulate", "inclucities"], out=GoneReader())  # type: ignore[arg-type]
    assert "" == capsys.readouterr().err


class TestMontecarlo:
    """Tests for `mentorflow montecarlo`."""

    def test_table_and_formats(self) -> None:
        """A table by default; CSV and JSON on request, the same for the same seed."""
        table = run("montecarlo", "inclucities-plan", "--runs", "40", "--seed", "1")
        assert 0 == table.returncode, table.stderr
        assert "IncluCities as planned in 2020, uncertain: 40 runs, seed 1" in table.stdout
        assert "an extension is needed in" in table.stdout
        csv_out = run("montecarlo", "inclucities-plan", "--runs", "40", "--format", "csv")
        assert csv_out.stdout.startswith("kind,pair,name,p10,p50,p90,runs,probability,")
        args = ("montecarlo", "inclucities-plan", "--runs", "40", "--seed", "1", "--format", "json")
        one = run(*args, "--workers", "1").stdout
        assert one == run(*args, "--workers", "2").stdout
        summary = json.loads(one)["summary"]
        assert (40, 40, False) == (summary["runs"], summary["done"], summary["partial"])

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--runs", "0"), "runs: must be a whole number >= 1"),
            (("--workers", "0"), "workers: must be a whole number >= 1"),
            (("--plot", "chart.pdf"), "--plot: 'chart.pdf': the plot is a .png or .svg file"),
        ],
    )
    def test_bad_arguments(self, args: tuple[str, ...], message: str) -> None:
        """Bad arguments get one line naming them, and exit code 1."""
        result = run("montecarlo", "inclucities-plan", *args)
        assert 1 == result.returncode
        assert message in result.stderr
        assert 1 == len(result.stderr.strip().splitlines())

    def test_plot(self, tmp_path: Path) -> None:
        """--plot saves the completion dates' distributions beside the report."""
        target = tmp_path / "odds.png"
        result = run(
            "montecarlo",
            "inclucities-plan",
            "--runs",
            "60",
            "--workers",
            "1",
            "--plot",
            str(target),
        )
        assert 0 == result.returncode, result.stderr
        assert f"saved {target}" in result.stdout
        assert target.read_bytes().startswith(b"\x89PNG")

    def test_notes_about_uncertainty(self) -> None:
        """simulate says it takes medians; montecarlo says when nothing is uncertain."""
        simulated = run("simulate", "inclucities-plan", "--format", "csv")
        assert 0 == simulated.returncode
        assert "simulate takes each one's median" in simulated.stderr
        certain = run("montecarlo", "inclucities", "--runs", "5", "--workers", "1")
        assert 0 == certain.returncode
        assert "nothing in inclucities is uncertain" in certain.stderr
        assert "" == run("simulate", "inclucities", "--format", "csv").stderr

    def test_workers_or_scheduler(self) -> None:
        """--workers and --scheduler exclude each other."""
        result = run("montecarlo", "inclucities-plan", "--workers", "2", "--scheduler", "x:1")
        assert 2 == result.returncode
        assert "not allowed with argument" in result.stderr

    @pytest.mark.parametrize("workers", ["1", "2"])
    def test_ctrl_c_reports_the_runs_done(self, workers: str) -> None:
        """Ctrl-C stops the runs; the report has the runs done, says partial, exits 130.

        Ctrl-C comes after 5 s; on a loaded machine the workers may not have finished a run
        by then (a report of 0 runs is right, but shows nothing), so the test waits longer
        and tries again, up to three times."""
        for wait in (5, 15, 40):
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "mentorflow", "montecarlo", "inclucities-plan"),
                    *("--runs", "1000000", "--workers", workers, "--format", "json"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(wait)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
            assert 130 == process.returncode, err
            summary = json.loads(out)["summary"]
            assert summary["partial"]
            assert f"interrupted: {summary['done']} of 1000000 runs done" in err
            if summary["done"] > 0:
                break
        assert 0 < summary["done"] < 1_000_000

    def test_progress_bar_on_a_terminal(self) -> None:
        """On a terminal, stderr shows a progress bar that ends at the runs asked for."""
        import os
        import pty
        import threading

        main, child = pty.openpty()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mentorflow",
                "montecarlo",
                "inclucities-plan",
                "--runs",
                "300",
                "--workers",
                "1",
                "--format",
                "csv",
            ],
            stdout=subprocess.PIPE,
            stderr=child,
        )
        os.close(child)
        seen = bytearray()

        def read() -> None:
            while True:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # EIO: the child's end is closed
                    return
                if not chunk:
                    return
                seen.extend(chunk)

        reader = threading.Thread(target=read)
        reader.start()
        out, _ = process.communicate(timeout=120)
        reader.join(timeout=30)
        os.close(main)
        assert 0 == process.returncode
        assert out.startswith(b"kind,pair,name")
        assert b"simulating" in seen
        assert b"300/300" in seen

    def test_scheduler(self) -> None:
        """--scheduler runs on a real Dask cluster, with the same report as one process."""
        import distributed

        args = ("montecarlo", "inclucities-plan", "--runs", "60", "--seed", "5", "--format", "json")
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster:
            on_dask = run(*args, "--scheduler", cluster.scheduler_address)
        assert 0 == on_dask.returncode, on_dask.stderr
        assert run(*args, "--workers", "1").stdout == on_dask.stdout
