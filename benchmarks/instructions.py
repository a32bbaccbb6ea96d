"""The hot paths' CPU instructions per operation, this tree beside another revision: a figure
that a busy machine does not blur.

Timings on a shared machine swing by ±30% from one sample to the next (see the ± columns of
``run.py --against``); the number of instructions the interpreter executes for an operation
does not. This script counts them with valgrind (``cachegrind --cache-sim=no``, the ``I refs``
total) for each operation below, in a fresh interpreter per count, as the difference between a
run doing the operation ``n`` times and one doing it 0 times (so start-up and set-up cancel
out), divided by ``n``. Instructions are not time (a cache miss costs more than an add), but
for the same Python code paths on the same interpreter, fewer instructions is faster.

    $ python benchmarks/instructions.py --against 6d94940   # needs valgrind; ~3 min

operations  ``complete``: ``pair.complete(phase, at=t)`` with one after hook (target 1);
            ``add_pair``: enrolment without deadline rules (target 2); ``add_pair, rules``:
            with target 3's five rules; ``check, nothing due``: target 3's check a week after
            the start, 3,000 pairs; ``simulate, set-up`` and ``simulate, run``: the shipped
            IncluCities scenario's simulation, its programme built, then its queue run
            (target 6).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, n): each operation's driver is below, in DRIVER, run as ``python -c DRIVER name n``
OPERATIONS = (
    ("complete", 10_000),
    ("add_pair", 10_000),
    ("add_pair, rules", 5_000),
    ("check, nothing due", 20_000),
    ("simulate, set-up", 20),
    ("simulate, run", 20),
)

DRIVER = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.programmes import COMPLETE_AT, add_pairs, new_programme
from mentorflow import Event, Phase
what, n = sys.argv[1], int(sys.argv[2])
if what == "complete":
    p = new_programme(hook=lambda e: None)
    pairs = add_pairs(p, 10_000)
    for pair in pairs[:n]:
        pair.complete(Phase.NEEDS_ASSESSMENT, at=COMPLETE_AT)
elif what == "add_pair":
    add_pairs(new_programme(hook=lambda e: None), n)
elif what in ("add_pair, rules", "check, nothing due"):
    from benchmarks.targets.t3_deadlines import NOTHING_DUE_AT, deadline_programme
    if what == "add_pair, rules":
        deadline_programme(n)
    else:
        p = deadline_programme(3000)
        for _ in range(n):
            p.check_deadlines(at=NOTHING_DUE_AT)
else:
    import mentorflow.scenario
    from mentorflow.scenario import load_scenario
    module = sys.modules.get("mentorflow._simulation.scenario") or sys.modules.get(
        "mentorflow._scenario"
    )
    scenario = load_scenario("inclucities")
    scenario.simulate()
    runs = [module._Run(scenario, None) for _ in range(n)]  # the set-up
    if what == "simulate, run":
        for run in runs:
            run.run()
"""

_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count(tree: Path, operation: str, n: int) -> int:
    """Instructions of a fresh interpreter running ``operation`` ``n`` times on ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONHASHSEED": "0"}
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-c",
        DRIVER.format(root=str(ROOT)),
        operation,
        str(n),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{operation} on {tree}: {done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_operation(tree: Path, operation: str, n: int) -> float:
    """Instructions per operation: (a run of ``n`` - a run of 0) / ``n``."""
    return (count(tree, operation, n) - count(tree, operation, 0)) / n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the revision to compare with")
    parser.add_argument("--jobs", type=int, default=2, help="counts run at once (default 2)")
    parser.add_argument(
        "--only", nargs="+", metavar="OPERATION", help="only these operations (their names)"
    )
    args = parser.parse_args(argv)
    chosen = [(op, n) for op, n in OPERATIONS if not args.only or op in args.only]
    if not chosen:
        print(f"no such operation; the operations: {[op for op, _ in OPERATIONS]}", file=sys.stderr)
        return 1
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), args.against],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            jobs = [(tree, op, n) for op, n in chosen for tree in (ROOT, old)]
            with ThreadPoolExecutor(args.jobs) as pool:
                figures = list(pool.map(lambda job: per_operation(*job), jobs))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False
            )
    print(f"instructions per operation: new = {ROOT} (working tree), old = {args.against}")
    print(f"{'operation':<22}{'new':>14}{'old':>14}{'new/old':>10}")
    for (op, _n), new, was in zip(chosen, figures[0::2], figures[1::2], strict=True):
        print(f"{op:<22}{new:>14,.0f}{was:>14,.0f}{new / was:>9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
