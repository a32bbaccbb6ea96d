"""The ``mentorflow`` command line.

Heavy libraries (rich, matplotlib, icalendar) load only inside the command that needs them, so
``mentorflow --help`` starts fast. A bad file or argument gets one line on stderr naming the
file, the key or line, and the problem, and exit code 1; never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ._simulation.montecarlo import Progress
    from ._simulation.scenario import Timeline

FORMATS = ("table", "csv", "json", "ics")


class _Formatter(argparse.HelpFormatter):
    """argparse's help, wrapped without breaking names at their hyphens
    (``urbact-transfer-network`` stays one word)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


def _parser() -> argparse.ArgumentParser:
    from . import __version__
    from ._simulation.files import shipped

    names = ", ".join(shipped())
    parser = argparse.ArgumentParser(
        prog="mentorflow",
        formatter_class=_Formatter,
        description="City-to-city mentoring programmes as state machines: simulate scenarios, "
        "compare them, and export timelines, calendars and charts.",
        epilog=f"Shipped scenarios (give a name wherever a FILE goes): {names}. "
        "Start your own with: mentorflow init my-scenario.toml",
    )
    parser.add_argument("--version", action="version", version=f"mentorflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scenario = f"a scenario file (TOML), or the name of a shipped one: {names}"

    demo = commands.add_parser(
        "demo",
        help="simulate IncluCities 2020-2023: a table, and a Gantt chart saved to a file",
        description="Simulate the IncluCities programme as it happened, print its timeline "
        "and what would have been missed without its three-month extension, how likely an "
        "extension was from the plan of 2020 (1,000 Monte Carlo runs), and save a Gantt chart.",
    )
    demo.add_argument(
        "--chart",
        default="inclucities-gantt.png",
        metavar="PATH",
        help="where to save the chart (.png or .svg; default: %(default)s)",
    )

    simulate = commands.add_parser(
        "simulate",
        help="simulate a scenario and print or save its timeline",
        description="Simulate a scenario on the real lifecycle, deadline and extension rules.",
    )
    simulate.add_argument("file", metavar="FILE", help=scenario)
    simulate.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    simulate.add_argument("--output", metavar="PATH", help="write to PATH instead of the terminal")

    compare = commands.add_parser(
        "compare",
        help="compare a variant scenario with a baseline",
        description="For every milestone: its date in each scenario and the slip; deadlines "
        "that become missed; the change of the programme's end.",
    )
    compare.add_argument("base", metavar="BASE", help=scenario)
    compare.add_argument("variant", metavar="VARIANT", help=scenario)
    compare.add_argument("--format", choices=("table", "csv", "json"), default="table")
    compare.add_argument("--output", metavar="PATH", help="write to PATH instead of the terminal")
    compare.add_argument(
        "--runs",
        type=int,
        metavar="N",
        help="compare the two as plans: N Monte Carlo runs each, the same seed (plan A: BASE, "
        "plan B: VARIANT): completion percentiles, odds of an extension, the differences",
    )
    compare.add_argument(
        "--seed", type=int, default=0, metavar="S", help="with --runs: the seed (default: 0)"
    )
    compare.add_argument(
        "--workers", type=int, metavar="W", help="with --runs: local worker processes"
    )

    gantt = commands.add_parser(
        "gantt",
        help="save a Gantt chart of a scenario (PNG or SVG)",
        description="Save a Gantt chart of a scenario's timeline (needs mentorflow[charts]).",
    )
    gantt.add_argument("file", metavar="FILE", help=scenario)
    gantt.add_argument("--output", metavar="PATH", required=True, help="a .png or .svg file")

    montecarlo = commands.add_parser(
        "montecarlo",
        help="simulate an uncertain scenario many times: percentiles, odds, extension needed",
        description="Simulate a scenario RUNS times, its uncertain durations and delays drawn "
        "afresh each time, and report per pair and milestone the P10/P50/P90 dates, the odds "
        "of missing each deadline and of breaching the programme's end, and the extension "
        "needed. The same seed gives the same report, whatever the workers. Ctrl-C stops and "
        "reports the runs done so far as partial (exit code 130).",
    )
    montecarlo.add_argument("file", metavar="FILE", help=scenario)
    montecarlo.add_argument(
        "--runs", type=int, default=1000, metavar="N", help="how many runs (default: %(default)s)"
    )
    montecarlo.add_argument(
        "--seed", type=int, default=0, metavar="S", help="the random seed (default: %(default)s)"
    )
    where = montecarlo.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        metavar="W",
        help="local worker processes (default: one per CPU; 1: no subprocesses)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs mentorflow[dask])",
    )
    montecarlo.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="default: table"
    )
    montecarlo.add_argument(
        "--output", metavar="PATH", help="write to PATH instead of the terminal"
    )
    montecarlo.add_argument(
        "--plot", metavar="PATH", help="also save the completion dates' distributions (.png/.svg)"
    )
    montecarlo.add_argument(
        "--no-progress", action="store_true", help="no progress bar (none unless on a terminal)"
    )

    report = commands.add_parser(
        "report",
        help="write a shareable HTML report of a scenario (needs mentorflow[charts])",
        description="Write one self-contained HTML file (charts inline as SVG, no script, "
        "nothing fetched from the network) with the scenario's summary, extension advice, "
        "Gantt chart, deadlines, timeline, extension requests, refused actions and, when the "
        "scenario is uncertain, a Monte Carlo forecast.",
    )
    report.add_argument("file", metavar="FILE", help=scenario)
    report.add_argument("-o", "--output", metavar="PATH", required=True, help="an .html file")
    report.add_argument(
        "--runs",
        type=int,
        default=1000,
        metavar="N",
        help="Monte Carlo runs (default: %(default)s)",
    )
    report.add_argument(
        "--seed", type=int, default=0, metavar="S", help="the random seed (default: %(default)s)"
    )
    report.add_argument(
        "--workers", type=int, metavar="W", help="local worker processes (default: one per CPU)"
    )
    report.add_argument(
        "--no-progress", action="store_true", help="no progress bar (none unless on a terminal)"
    )

    validate = commands.add_parser(
        "validate",
        help="check a scenario file",
        description="Check a scenario file and say what it holds.",
    )
    validate.add_argument("file", metavar="FILE", help=scenario)

    diagram = commands.add_parser(
        "diagram",
        help="print a lifecycle as a mermaid state diagram",
        description="Print the lifecycle of a scenario (default: mentorflow's default "
        "lifecycle) as a mermaid state diagram.",
    )
    diagram.add_argument("file", metavar="FILE", nargs="?", help=scenario)
    _match_parser(commands)
    _analysis_parsers(commands, scenario)
    _worker_parser(commands)
    return parser


def _analysis_parsers(commands: Any, scenario: str) -> None:
    """The analysts' questions: sensitivity, bottleneck, slip; and init."""
    init = commands.add_parser(
        "init",
        help="write a commented starter scenario file",
        description="Write a commented starter scenario (two pairs, uncertain durations, a "
        "delay, deadlines, closure days) that validates and simulates as it is; edit it from "
        "there.",
    )
    init.add_argument(
        "path",
        metavar="PATH",
        nargs="?",
        default="my-scenario.toml",
        help="where to write it (default: %(default)s)",
    )
    init.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    forms = ("table", "csv", "json")

    def common(command: Any, runs: int, what: str) -> None:
        command.add_argument("file", metavar="FILE", help=scenario)
        command.add_argument(
            "--runs", type=int, default=runs, metavar="N", help=f"{what} (default: %(default)s)"
        )
        command.add_argument(
            "--seed", type=int, default=0, metavar="S", help="the random seed (default: 0)"
        )
        command.add_argument("--format", choices=forms, default="table", help="default: table")
        command.add_argument(
            "--output", metavar="PATH", help="write to PATH instead of the terminal"
        )

    sensitivity = commands.add_parser(
        "sensitivity",
        help="which uncertain duration or delay moves the completion and the odds most",
        description="Pin each uncertain amount of a scenario at its P10 and P90, one at a "
        "time, the same luck in every other amount (common random numbers), and report how "
        "the programme's P50 and P90 completion and the odds of an extension move, the largest "
        "swing first. The baseline is mentorflow montecarlo's forecast of the same seed.",
    )
    common(sensitivity, 1000, "runs per variant")
    sensitivity.add_argument(
        "--chart", metavar="PATH", help="also save a tornado chart (.png/.svg)"
    )
    for side, default in (("low", 0.1), ("high", 0.9)):
        sensitivity.add_argument(
            f"--{side}",
            type=float,
            default=default,
            metavar="Q",
            help=f"the quantile each amount is pinned at for its {side} side (default: {default})",
        )
    sensitivity.add_argument(
        "--metric",
        choices=("p90", "p50", "odds"),
        default="p90",
        help="what the tornado chart shows (default: p90)",
    )
    bottleneck = commands.add_parser(
        "bottleneck",
        help="which pair and phase set the programme's end; every pair's slack",
        description="The pair that completes last (the bottleneck), its critical path, and "
        "every pair's slack against the programme's end (days and working days of its "
        "cities), its float against the bottleneck, and every phase's slack against its "
        "deadline. With --runs, also how often each pair completes last over that many Monte "
        "Carlo runs.",
    )
    common(bottleneck, 0, "Monte Carlo runs for each pair's odds of completing last")
    slip = commands.add_parser(
        "slip",
        help="the extension needed as a function of a phase's slip",
        description="Delay one phase (of one pair or of every pair) by each amount of "
        "--slips and report when the programme completes and the months of extension it "
        "needs; with --runs, the odds of an extension too (the same luck for every slip).",
    )
    common(slip, 0, "Monte Carlo runs per slip")
    slip.add_argument("--phase", required=True, help="the phase that slips")
    slip.add_argument("--pair", default="*", help="the pair whose phase slips (default: all)")
    slip.add_argument(
        "--slips",
        default="0,1,2,3,4,5,6",
        metavar="A,B,...",
        help="the slips to try, in --unit (default: %(default)s)",
    )
    slip.add_argument(
        "--unit",
        choices=("months", "weeks", "days", "working_days"),
        default="months",
        help="default: months",
    )


def _worker_parser(commands: Any) -> None:
    worker = commands.add_parser(
        "worker",
        help="check every programme's deadlines on a schedule and feed an outbox's handler",
        description="Check the deadlines of every programme in STORE every --every seconds, "
        "and hand every event to --handler (at least once, in order, its position kept in the "
        "store). Several workers may share a store. SIGTERM or Ctrl-C: the delivery under way "
        "is finished, then the worker exits.",
    )
    worker.add_argument(
        "store",
        metavar="STORE",
        help="an SQLite file, a directory of JSON Lines files, or a postgresql:// URI",
    )
    worker.add_argument("--every", type=float, default=60.0, metavar="SECONDS", help="default: 60")
    worker.add_argument(
        "--handler", metavar="MODULE:FUNCTION", help="called as function(programme_key, event)"
    )
    worker.add_argument(
        "--consumer", metavar="NAME", help="the outbox's name (default: the handler's)"
    )
    worker.add_argument("--lease", type=float, default=30.0, metavar="SECONDS", help="default: 30")
    worker.add_argument(
        "--schema", default="mentorflow", help="PostgreSQL schema (default: mentorflow)"
    )
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument("--no-check", action="store_true", help="feed the outbox only")


def _match_parser(commands: Any) -> None:
    match = commands.add_parser(
        "match",
        help="propose mentor-mentee pairs from a candidates file (needs mentorflow[matching])",
        description="Score every mentor-mentee pair of a candidates file, propose the pairs "
        "(one optimisation over the whole pool by default) and print them with each score's "
        "breakdown and what a greedy pairing would lose.",
    )
    match.add_argument(
        "file", metavar="FILE", help="a candidates file (TOML), or a shipped one: inclucities"
    )
    match.add_argument(
        "--method",
        choices=("optimal", "greedy", "stable"),
        default="optimal",
        help="default: optimal",
    )
    match.add_argument("--format", choices=("table", "csv", "json"), default="table")
    match.add_argument("--output", metavar="PATH", help="write to PATH instead of the terminal")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``mentorflow`` command line; return its exit code."""
    from .exceptions import MentorflowError

    args = _parser().parse_args(argv)
    stdout = out or sys.stdout
    try:
        return _run(args, stdout)
    except BrokenPipeError:  # `mentorflow demo | head`: the reader has gone, nothing is wrong
        _silence_stdout()
        return 0
    except KeyboardInterrupt:  # outside a Monte Carlo run's loop (which reports partial results)
        print("mentorflow: interrupted", file=sys.stderr)
        return 130
    except MentorflowError as err:
        _say(str(err))
    except ImportError as err:
        _say(str(err))
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        _say(f"{where}{err.strerror or err}")
    return 1


def _say(problem: str) -> None:
    """The one line a failure prints: a message's own line breaks (a name, a TOML error)
    become spaces, and a lone surrogate is written as its escape rather than failing."""
    line = " ".join(problem.split())
    print(
        f"mentorflow: {line}".encode("utf-8", "backslashreplace").decode("utf-8"), file=sys.stderr
    )


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit doesn't fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (embedded, captured): nothing to silence
        pass


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from ._render import exports as x
    from ._simulation.scenario_file import load_scenario

    if args.command == "demo":
        return _demo(args.chart, out)
    if args.command == "simulate":
        scenario = load_scenario(args.file)
        if scenario.uncertain:
            print(
                f"mentorflow: note: {args.file} has uncertain durations or delays; simulate "
                "takes each one's median (mentorflow montecarlo samples them)",
                file=sys.stderr,
            )
        timeline = scenario.simulate()
        _emit(_format(timeline, args.format), args.output, out)
    elif args.command == "compare" and args.runs is not None:
        return _plans(args, out)
    elif args.command == "compare":
        from ._simulation.compare import compare

        result = compare(
            load_scenario(args.base).simulate(), load_scenario(args.variant).simulate()
        )
        render = {"csv": x.comparison_csv, "json": x.comparison_json}
        _emit(render.get(args.format, x.comparison_table)(result), args.output, out)
    elif args.command == "gantt":
        from ._render.gantt import gantt

        written = gantt(load_scenario(args.file).simulate(), args.output)
        out.write(f"saved {written}\n")
    elif args.command == "montecarlo":
        return _montecarlo(args, out)
    elif args.command == "report":
        from ._render.report import report

        scenario = load_scenario(args.file)
        with _progress(not args.no_progress and scenario.uncertain) as progress:
            written = report(
                scenario,
                args.output,
                runs=args.runs,
                seed=args.seed,
                workers=args.workers,
                progress=progress,
            )
        out.write(f"saved {written}\n")
    elif args.command == "worker":
        return _worker(args, out)
    elif args.command == "match":
        _emit(_match(args.file, args.method, args.format), args.output, out)
    elif args.command == "validate":
        scenario = load_scenario(args.file)
        counts = (
            _count(len(scenario.pairs), "pair"),
            _count(len(scenario.programme.lifecycle.order), "phase"),
            _count(len(scenario.script), "action"),
        )
        out.write(f"{args.file}: a valid scenario, {scenario.name!r}: {', '.join(counts)}\n")
    elif args.command == "init":
        return _init(args.path, args.force, out)
    elif args.command in ("sensitivity", "bottleneck", "slip"):
        return _analysis(args, out)
    elif args.command == "diagram":
        from ._domain.lifecycle import Lifecycle

        lifecycle = (
            load_scenario(args.file).programme.lifecycle if args.file else Lifecycle.default()
        )
        out.write(x.mermaid(lifecycle))
    return 0


def _analysis(args: argparse.Namespace, out: TextIO) -> int:
    from ._render import analysis as a
    from ._simulation.scenario_file import load_scenario
    from .exceptions import ValidationError

    scenario = load_scenario(args.file)
    if args.command == "sensitivity":
        from ._simulation.sensitivity import sensitivity

        if args.chart and Path(args.chart).suffix.lower() not in (".png", ".svg"):
            raise ValidationError("--chart", f"{args.chart!r}: the chart is a .png or .svg file")
        from ._simulation.schedule import plan_only

        if not plan_only(scenario):
            print(
                f"mentorflow: note: the script of {args.file} does more than delay phases, so "
                "every run drives the programme: this takes about 25 times longer than for a "
                "plan of delays only",
                file=sys.stderr,
            )
        found = sensitivity(scenario, args.runs, seed=args.seed, low=args.low, high=args.high)
        _emit(a.sensitivity_export(found, args.format), args.output, out)
        if args.chart:
            from ._render.tornado import tornado

            out.write(f"saved {tornado(found, args.chart, metric=args.metric)}\n")
    elif args.command == "bottleneck":
        from ._simulation.critical import bottleneck

        found_b = bottleneck(scenario, runs=args.runs, seed=args.seed)
        _emit(a.bottleneck_export(found_b, args.format), args.output, out)
    else:
        from ._simulation.whatif import slip_sweep

        try:
            slips = tuple(int(part) for part in args.slips.split(","))
        except ValueError:
            raise ValidationError(
                "--slips", f"{args.slips!r} is not whole numbers separated by commas"
            ) from None
        found_s = slip_sweep(
            scenario,
            args.phase,
            pair=args.pair,
            slips=slips,
            unit=args.unit,
            runs=args.runs,
            seed=args.seed,
        )
        who = "every pair" if args.pair == "*" else args.pair
        title = f"{scenario.name}: {args.phase} of {who} slips"
        _emit(a.slip_export(found_s, args.format, title=title), args.output, out)
    return 0


def _init(path: str, force: bool, out: TextIO) -> int:
    from ._simulation.files import starter
    from .exceptions import ValidationError

    target = Path(path)
    if target.exists() and not force:
        raise ValidationError(path, "exists already: give another path, or --force to overwrite")
    target.write_text(starter(), encoding="utf-8")
    out.write(
        f"wrote {target}: a starter scenario. Try: mentorflow simulate {target} "
        f"(and validate, montecarlo, sensitivity, bottleneck)\n"
    )
    return 0


def _plans(args: argparse.Namespace, out: TextIO) -> int:
    """``compare --runs N``: two plans' forecasts side by side."""
    from ._render.analysis import plan_export
    from ._simulation.montecarlo import montecarlo
    from ._simulation.scenario_file import load_scenario
    from ._simulation.whatif import compare_forecasts

    plans = [load_scenario(args.base), load_scenario(args.variant)]
    with _progress(True) as progress:
        a, b = (
            montecarlo(p, args.runs, seed=args.seed, workers=args.workers, progress=progress)
            for p in plans
        )
    _emit(plan_export(compare_forecasts(a, b), args.format), args.output, out)
    return 0


def _worker(args: argparse.Namespace, out: TextIO) -> int:
    import logging
    import signal
    import threading

    from ._service.outbox import Outbox
    from ._service.worker import Worker, load_handler, open_store

    if args.handler is None and args.no_check:
        _say("worker: --no-check needs a --handler (there is nothing else to do)")
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    store = open_store(args.store, schema=args.schema)
    outbox = None
    if args.handler is not None:
        handler = load_handler(args.handler)
        consumer = args.consumer or args.handler.replace(":", ".")
        outbox = Outbox(store, consumer, handler, lease=args.lease)
    worker = Worker(store, outbox=outbox, check=not args.no_check)
    if args.once:
        done = worker.run_once()
        out.write(f"{done.alerts} alert(s), {done.delivered} event(s) delivered\n")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logging.getLogger("mentorflow").info(
        "worker: %s every %s s%s",
        "checking deadlines" if worker.checking else "delivering",
        args.every,
        f", outbox {outbox.consumer!r}" if outbox is not None else "",
    )
    worker.run(every=args.every, stop=stop)
    logging.getLogger("mentorflow").info("worker: stopped")
    return 0


def _match(path: str, method: str, form: str) -> str:
    from ._matching.file import load_pool
    from ._matching.proposal import propose
    from ._render import matching as m

    proposal = propose(load_pool(path), method)
    render = {"csv": m.proposal_csv, "json": m.proposal_json, "table": m.proposal_table}
    return render[form](proposal)


def _montecarlo(args: argparse.Namespace, out: TextIO) -> int:
    from ._render import forecast_exports as fx
    from ._simulation.montecarlo import montecarlo
    from ._simulation.scenario_file import load_scenario
    from .exceptions import ValidationError

    scenario = load_scenario(args.file)
    if not scenario.uncertain:
        print(
            f"mentorflow: note: nothing in {args.file} is uncertain, so every run is the same "
            "(make a duration or a delay a distribution: see the scenario file reference)",
            file=sys.stderr,
        )
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        # fail now, not after the runs
        raise ValidationError("--plot", f"{args.plot!r}: the plot is a .png or .svg file")
    with _progress(not args.no_progress) as progress, _executor(args.scheduler) as executor:
        forecast = montecarlo(
            scenario,
            args.runs,
            seed=args.seed,
            workers=args.workers,
            executor=executor,
            progress=progress,
        )
    render = {"csv": fx.forecast_csv, "json": fx.forecast_json, "table": fx.forecast_table}
    _emit(render[args.format](forecast), args.output, out)
    if args.plot:
        from ._render.forecast_plot import plot

        out.write(f"saved {plot(forecast, args.plot)}\n")
    if forecast.partial:
        print(
            f"mentorflow: interrupted: {forecast.done} of {forecast.runs} runs done; "
            "the report is partial",
            file=sys.stderr,
        )
        return 130
    return 0


@contextlib.contextmanager
def _progress(wanted: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr, if it is a terminal."""
    if not wanted or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
        console=Console(stderr=True),
    )
    task = bar.add_task("runs", total=None)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextlib.contextmanager
def _executor(address: str | None) -> Iterator[Executor | None]:
    """The executor of the Dask cluster at ``address`` (None: local processes)."""
    if address is None:
        yield None
        return
    try:
        import distributed
    except ImportError as err:
        raise ImportError(
            '--scheduler needs dask.distributed: pip install "mentorflow[dask]"'
        ) from err
    dask: Any = distributed  # untyped
    try:
        client = dask.Client(address, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise OSError(f"can't reach the Dask scheduler at {address}: {err}") from None
    with client:
        yield client.get_executor()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _format(timeline: Timeline, form: str) -> str | bytes:
    from ._render import exports as x

    if form == "csv":
        return x.to_csv(timeline)
    if form == "json":
        return x.to_json(timeline)
    if form == "ics":
        from ._render.ics import to_ics

        return to_ics(timeline)
    return x.timeline_table(timeline)


def _emit(content: str | bytes, path: str | None, out: TextIO) -> None:
    if path is None:
        out.write(content.decode() if isinstance(content, bytes) else content)
        return
    target = Path(path)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    out.write(f"saved {target}\n")


def _demo(chart: str, out: TextIO) -> int:
    from ._render import exports as x
    from ._simulation.compare import compare
    from ._simulation.scenario_file import load_scenario

    happened = load_scenario("inclucities").simulate()
    without = load_scenario("inclucities-without-extension").simulate()
    out.write(x.timeline_table(happened))
    out.write("\nWithout its three-month extension, IncluCities would have missed:\n")
    for row in compare(happened, without).newly_missed:
        who = row.pair or "programme"
        out.write(f"  {row.name} ({who}): due {row.due_on}, {row.days_late} days late\n")
    out.write(
        f"The last pair completed on {without.completed_on}, {without.breach_days} days after "
        f"the planned end; the smallest extension that avoids it: {without.smallest_extension} "
        "(IncluCities got three months).\n"
    )
    from ._simulation.montecarlo import montecarlo

    odds = montecarlo(load_scenario("inclucities-plan"), 1000, seed=1, workers=1)
    out.write(
        f"\nWas it foreseeable? From the plan of 2020 with uncertain durations "
        f"(inclucities-plan, {odds.done} runs, seed {odds.seed}): an extension was needed in "
        f"{odds.extension_probability:.0%} of runs, {odds.extension_for(0.5)} months in half "
        f"of them, and {odds.extension_for(0.9)} months covered 90% "
        "(mentorflow montecarlo inclucities-plan).\n"
    )
    try:
        from ._render.gantt import gantt

        written = gantt(happened, chart)
    except ImportError as err:
        out.write(f"\nNo chart: {err}\n")
    else:
        out.write(f"\nGantt chart saved to {written}\n")
    return 0
