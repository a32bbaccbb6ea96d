"""``--against REV``: the selected targets measured on two trees in one run, side by side.

The "new" tree is the one this package is in (its working tree, uncommitted changes included);
the "old" tree is a temporary ``git worktree`` of REV, removed at the end. Both are measured by
this same benchmark code, so only their ``src/`` differs: each tree's measurement is a fresh
process of ``run.py --only N --json`` with ``PYTHONPATH=<tree>/src``, which runs the target's
own method (its repeats interleave the figure with its baseline) and reports its rows.

The two processes of a round run at the same time but take turns (`benchmarks.timing.Baton`):
only one runs at any moment, and the turn passes between samples a few times a second, so a
slow spell of a shared machine hits both trees alike. Each target runs ``--rounds`` times, the
trees taking turns to go first. A figure is the median of its rounds, shown with their spread
(half the range); new/old is the median of the rounds' paired ratios, shown with their range.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import targets
from .report import Compared, Row, compare, print_comparison
from .timing import BATON, RUN_PY, usable_cpus

ROOT = RUN_PY.resolve().parent.parent


@dataclass
class Tree:
    """One side: its name, its folder, and what its runs gave, round by round."""

    name: str
    path: Path
    label: str
    rounds: dict[int, list[list[Row]]] = field(default_factory=dict)  # target -> rounds
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def environment(self) -> dict[str, str]:
        """This process's environment, with the tree's ``src`` first on ``PYTHONPATH``."""
        env = dict(os.environ)
        src = str(self.path / "src")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
        return env

    def prepare(self) -> None:
        """Compile the tree's modules and import them once, untimed, so that no measured run
        pays for writing ``.pyc`` files or reading them from disk the first time."""
        python = sys.executable
        subprocess.run([python, "-m", "compileall", "-q", str(self.path / "src")], check=True)
        env = self.environment()
        subprocess.run([python, "-c", "import mentorflow.scenario"], env=env, check=True)


def git(*args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def describe(path: Path) -> str:
    """The commit a tree has checked out, and whether its files differ from it."""
    commit = git("rev-parse", "--short", "HEAD", cwd=path)
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src", cwd=path)
    return f"{commit}{' + uncommitted changes in src/' if dirty else ''}"


def measure_round(
    trees: tuple[Tree, Tree], number: int, args: argparse.Namespace
) -> tuple[list[list[Row]], float]:
    """Target ``number`` on both trees, one process each, taking turns; ``trees[0]`` goes
    first. Each tree's rows (none if its process failed), and the seconds the round took."""
    argv = [sys.executable, str(RUN_PY), "--only", str(number), "--json"]
    if args.quick:
        argv.append("--quick")
    if args.dir:
        argv += ["--dir", args.dir]
    first_r, first_w = os.pipe()  # the first tree waits on first_r; the second writes first_w
    second_r, second_w = os.pipe()
    fds = ((first_r, second_w), (second_r, first_w))  # each tree's (read, write)
    with contextlib.ExitStack() as files:
        outputs = [
            (
                files.enter_context(tempfile.TemporaryFile("w+")),
                files.enter_context(tempfile.TemporaryFile("w+")),
            )
            for _ in trees
        ]
        processes = []
        start = time.perf_counter()
        try:
            for tree, (read_fd, write_fd), (out, err) in zip(trees, fds, outputs, strict=True):
                env = tree.environment()
                env[BATON] = f"{read_fd},{write_fd}"
                processes.append(
                    subprocess.Popen(
                        argv, env=env, stdout=out, stderr=err, pass_fds=(read_fd, write_fd)
                    )
                )
        finally:
            os.write(first_w, b".")  # the first turn
            for fd in (first_r, first_w, second_r, second_w):
                os.close(fd)  # so that a tree whose partner ends reads end-of-file
        try:
            for process in processes:
                process.wait()
        except BaseException:  # Ctrl-C: stop both before the worktree goes
            for process in processes:
                process.kill()
            raise
        results = []
        for tree, process, (out, err) in zip(trees, processes, outputs, strict=True):
            out.seek(0)
            err.seek(0)
            results.append(rows_of(tree, number, process.returncode, out.read(), err.read()))
        return results, time.perf_counter() - start


def rows_of(tree: Tree, number: int, status: int, out: str, err: str) -> list[Row]:
    """The rows a tree's process printed; its notes and failures go to the tree."""
    if status != 0:
        last = (err.strip().splitlines() or ["(no output)"])[-1]
        tree.failures.append(f"target {number}: {last}")
        return []
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    imported = Path(result["mentorflow"]).resolve()
    if not imported.is_relative_to(tree.path.resolve()):
        raise RuntimeError(f"the {tree.name} tree's run imported mentorflow from {imported}")
    tree.notes += result["notes"]
    return [Row.from_json(row) for row in result["rows"]]


def run_rounds(trees: tuple[Tree, Tree], numbers: list[int], args: argparse.Namespace) -> None:
    """Every target, ``args.rounds`` times, the trees taking turns to go first."""
    for number in numbers:
        for tree in trees:
            tree.rounds[number] = []
        for round_ in range(args.rounds):
            order = trees if round_ % 2 == 0 else (trees[1], trees[0])
            results, took = measure_round(order, number, args)
            failed = [tree.name for tree, rows in zip(order, results, strict=True) if not rows]
            for tree, rows in zip(order, results, strict=True):
                tree.rounds[number].append(rows)
            print(
                f"target {number}, round {round_ + 1}/{args.rounds} ({order[0].name} first): "
                f"{took:.0f} s{', FAILED: ' + ', '.join(failed) if failed else ''}",
                flush=True,
            )


def main(args: argparse.Namespace) -> int:
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{args.against}^{{commit}}")
    except subprocess.CalledProcessError:
        print(f"--against: {args.against!r} is not a commit of {ROOT}", file=sys.stderr)
        return 2
    numbers = sorted(set(args.only or targets.MODULES))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mentorflow-against-") as temporary:
        old_path = Path(temporary) / "tree"
        git("worktree", "add", "--detach", "--quiet", str(old_path), commit)
        try:
            new = Tree("new", ROOT, describe(ROOT))
            old = Tree("old", old_path, f"{args.against} = {commit[:10]}")
            for tree in (new, old):
                tree.prepare()
            print(
                f"Side by side: new = {new.path} ({new.label}), old = {old.label} (a temporary "
                f"worktree). {args.rounds} round(s) per target: in each, a fresh process per "
                "tree, the two taking turns between samples; "
                f"{'QUICK sizes; ' if args.quick else ''}{usable_cpus()} usable CPUs, "
                f"Python {sys.version.split()[0]}.",
                flush=True,
            )
            run_rounds((new, old), numbers, args)
        finally:
            try:
                git("worktree", "remove", "--force", str(old_path))
            except subprocess.CalledProcessError as err:
                print(f"could not remove the worktree {old_path}: {err.stderr}", file=sys.stderr)
    return report((new, old), numbers, args, time.perf_counter() - started)


def report(
    trees: tuple[Tree, Tree], numbers: list[int], args: argparse.Namespace, took: float
) -> int:
    """Print the side-by-side table, the notes, and a summary; the exit status."""
    new, old = trees
    compared: list[Compared] = []
    for number in numbers:
        compared += compare(new.rounds[number], old.rounds[number])
    print()
    print_comparison(compared, args.tolerance)
    for tree in trees:
        if tree.notes or tree.failures:
            print(f"\n{tree.name} ({tree.label}):")
        for note in tree.notes:
            print(f"  {note}")
        for failure in tree.failures:
            print(f"  FAILED {failure}")

    worse = [c for c in compared if c.reads(args.tolerance) == "WORSE"]
    worse_targets = [c for c in worse if c.target != "info"]
    lost = [c for c in compared if passes(c.old_passed) and passes(c.new_passed) is False]
    print(
        "\nnew/old: the median of the rounds' paired ratios (round i's new over round i's old) "
        "and their range; over baselines: the same for each figure over its own baseline, where "
        "the baseline runs no mentorflow code. 'reads': WORSE or better when the median (over "
        f"baselines where there is one) is beyond {args.tolerance:.0%} the figure's way (for /s "
        "and ev/s higher is better), else same."
    )
    print(
        f"{len(worse)} figure(s) read WORSE, {len(worse_targets)} of them a target's; "
        f"{len(lost)} target(s) the old tree passes and the new does not; "
        f"{len(new.failures)} failed run(s) of new, {len(old.failures)} of old. "
        f"Ran in {took:.0f} s."
    )
    for c in worse:
        print(f"  WORSE: {c.figure.strip()}")
    bad = worse_targets or lost or new.failures
    return 1 if bad and args.check else 0


def passes(results: list[bool]) -> bool | None:
    """Whether a target passed in most rounds (None: no target, or never measured)."""
    return 2 * sum(results) > len(results) if results else None
