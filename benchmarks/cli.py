"""The command line: ``python benchmarks/run.py [--check] [--quick] [--detail] [--only N ...]
[--dir DIR] [--against REV [--rounds N] [--tolerance T]]``.

Without ``--against`` the selected targets run in this process, against whatever
``import mentorflow`` finds (set ``PYTHONPATH=<tree>/src`` to choose a tree). With it, every
target runs in fresh processes, once per tree and round (see `benchmarks.against`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import version

from . import targets, timing
from .report import Context, Row, print_table
from .sqlite_files import file_system
from .timing import usable_cpus

ALL = range(1, len(targets.MODULES) + 1)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="mentorflow's speed and memory targets, each figure beside a baseline "
        "measured in the same run.",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if any target fails")
    parser.add_argument("--quick", action="store_true", help="smoke test: fewer repeats, pairs")
    parser.add_argument(
        "--detail",
        action="store_true",
        help="where a pair's bytes go; simulate()'s and montecarlo()'s profiles; --help's imports",
    )
    parser.add_argument(
        "--only", nargs="+", type=int, choices=ALL, metavar="N", help="run targets N only"
    )
    parser.add_argument(
        "--dir", help="where targets 4 and 5 write their SQLite files (default: the temp dir)"
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also measure git revision REV (a temporary worktree), side by side, and print "
        "both trees' figures and new/old; with --check, exit 1 if a target's figure reads worse",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        metavar="N",
        help="with --against: runs of each target per tree, alternating (default 3; 5 with "
        "--quick)",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        metavar="T",
        help="with --against: a figure reads worse (better) when new/old is beyond 1+T (1-T), "
        "the figure's way (default 0.05)",
    )
    # Internal: print the rows as JSON (each run of --against); run a target's fresh process.
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)  # target, mode, arg, count
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.child:
        number, mode, arg, count = args.child
        module = targets.load(int(number))
        print(json.dumps(module.CHILDREN[mode](arg, int(count))))
        return 0
    if args.against:
        if args.detail:
            parser().error("--detail profiles one tree: run it without --against")
        if args.rounds is None:
            args.rounds = 5 if args.quick else 3
        if args.rounds < 1:
            parser().error("--rounds must be at least 1")
        from . import against

        return against.main(args)
    if not args.json:
        return run_here(args)
    timing.take_turns()  # a process of --against: it may run beside the other tree's
    try:
        return run_here(args)
    finally:
        timing.end_turns()


def run_here(args: argparse.Namespace) -> int:
    """Run the selected targets in this process; print the table (or, ``--json``, the rows)."""
    import mentorflow

    selected = sorted(set(args.only or ALL))
    modules = {number: targets.load(number) for number in selected}
    sizes = {n: (m.QUICK if args.quick else m.FULL) for n, m in modules.items()}
    print(
        f"mentorflow {mentorflow.__version__} ({os.path.dirname(mentorflow.__file__)}), "
        f"transitions {version('transitions')}, pendulum {version('pendulum')}, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs ({usable_cpus()} usable)"
    )
    if args.quick:
        print(
            "QUICK RUN: fewer repeats and pairs; the figures are a smoke test, NOT taken under"
            " the targets' conditions."
        )
    print(" ".join(modules[n].method(sizes[n]) for n in selected))

    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=args.dir) as directory:
        if {4, 5} & set(selected):
            print(f"SQLite files in {directory} ({file_system(directory)}).")
        print(flush=True)
        context = Context(directory=directory, detail=args.detail)
        for number in selected:
            rows += modules[number].run(sizes[number], context)
    if args.json:
        result = {
            "rows": [row.to_json() for row in rows],
            "notes": context.notes,
            "mentorflow": os.path.dirname(mentorflow.__file__),
        }
        print(json.dumps(result))
        return 0
    print_table(rows)
    if context.notes:
        print()
        for note in context.notes:
            print(note)
    for detail in context.details:
        print()
        detail()

    failed = [row.figure.strip() for row in rows if row.passed is False]
    count = sum(row.passed is not None for row in rows)
    which = f": {'; '.join(failed)}" if failed else ""
    took = time.perf_counter() - started
    print(f"\n{len(failed)} of {count} targets failed{which}. Ran in {took:.0f} s.")
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
