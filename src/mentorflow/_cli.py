"""The ``mentorflow`` command line.

Heavy libraries (rich, matplotlib, icalendar) load only inside the command that needs them, so
``mentorflow --help`` starts fast. A bad file or argument gets one line on stderr naming the
file, the key or line, and the problem, and exit code 1; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ._scenario import Timeline

FORMATS = ("table", "csv", "json", "ics")


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="mentorflow",
        description="City-to-city mentoring programmes as state machines: simulate scenarios, "
        "compare them, and export timelines, calendars and charts.",
    )
    parser.add_argument("--version", action="version", version=f"mentorflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scenario = (
        "a scenario file (TOML), or the name of a shipped one: inclucities, "
        "inclucities-without-extension, urbact-transfer-network"
    )

    demo = commands.add_parser(
        "demo",
        help="simulate IncluCities 2020-2023: a table, and a Gantt chart saved to a file",
        description="Simulate the IncluCities programme as it happened, print its timeline "
        "and what would have been missed without its three-month extension, and save a "
        "Gantt chart.",
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
    compare.add_argument("--format", choices=("table", "json"), default="table")
    compare.add_argument("--output", metavar="PATH", help="write to PATH instead of the terminal")

    gantt = commands.add_parser(
        "gantt",
        help="save a Gantt chart of a scenario (PNG or SVG)",
        description="Save a Gantt chart of a scenario's timeline (needs mentorflow[charts]).",
    )
    gantt.add_argument("file", metavar="FILE", help=scenario)
    gantt.add_argument("--output", metavar="PATH", required=True, help="a .png or .svg file")

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
    return parser


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
    except MentorflowError as err:
        print(f"mentorflow: {err}", file=sys.stderr)
    except ImportError as err:
        print(f"mentorflow: {err}", file=sys.stderr)
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"mentorflow: {where}{err.strerror or err}", file=sys.stderr)
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit doesn't fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (embedded, captured): nothing to silence
        pass


def _run(args: argparse.Namespace, out: TextIO) -> int:
    from . import _exports as x
    from ._scenario_file import load_scenario

    if args.command == "demo":
        return _demo(args.chart, out)
    if args.command == "simulate":
        timeline = load_scenario(args.file).simulate()
        _emit(_format(timeline, args.format), args.output, out)
    elif args.command == "compare":
        from ._compare import compare

        result = compare(
            load_scenario(args.base).simulate(), load_scenario(args.variant).simulate()
        )
        text = x.comparison_json(result) if args.format == "json" else x.comparison_table(result)
        _emit(text, args.output, out)
    elif args.command == "gantt":
        from ._gantt import gantt

        written = gantt(load_scenario(args.file).simulate(), args.output)
        out.write(f"saved {written}\n")
    elif args.command == "validate":
        scenario = load_scenario(args.file)
        counts = (
            _count(len(scenario.pairs), "pair"),
            _count(len(scenario.programme.lifecycle.order), "phase"),
            _count(len(scenario.script), "action"),
        )
        out.write(f"{args.file}: a valid scenario, {scenario.name!r}: {', '.join(counts)}\n")
    elif args.command == "diagram":
        from ._lifecycle import Lifecycle

        lifecycle = (
            load_scenario(args.file).programme.lifecycle if args.file else Lifecycle.default()
        )
        out.write(x.mermaid(lifecycle))
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _format(timeline: Timeline, form: str) -> str | bytes:
    from . import _exports as x

    if form == "csv":
        return x.to_csv(timeline)
    if form == "json":
        return x.to_json(timeline)
    if form == "ics":
        from ._ics import to_ics

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
    from . import _exports as x
    from ._compare import compare
    from ._scenario_file import load_scenario

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
    try:
        from ._gantt import gantt

        written = gantt(happened, chart)
    except ImportError as err:
        out.write(f"\nNo chart: {err}\n")
    else:
        out.write(f"\nGantt chart saved to {written}\n")
    return 0
