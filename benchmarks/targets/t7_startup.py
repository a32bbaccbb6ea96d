"""Target 7: "``mentorflow --help`` starts in at most 0.5 s (heavy imports deferred)".

measured  ``python -m mentorflow --help`` and the ``mentorflow`` console script beside
          ``sys.executable`` (``mentorflow --help``), each a subprocess, output discarded, exit
          status 0, wall time from start to exit: the median of 15 starts. One warm-up start of
          every command first (the OS's file cache, any ``.pyc`` to write), then the starts
          interleave.
baseline  ``python -c pass``: the interpreter's own start, the same way.
info      ``python -c "import mentorflow"``, the same way: the package's import.
imports   A target of its own, untimed: ``python -X importtime -m mentorflow --help`` must import
          none of rich, matplotlib, icalendar (the row says how many of them are installed: one
          that is not can't be imported, and proves nothing).
detail    ``--detail``: the import time of ``--help`` by package (``-X importtime``, self times).
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..report import Context, Row
from ..timing import interleaved, medians, startup_s

HELP_LIMIT_S = 0.5
HEAVY_MODULES = ("rich", "matplotlib", "icalendar")  # the CLI must defer these
IMPORT_LINE = "import time:"


@dataclass(frozen=True)
class Sizes:
    starts: int


FULL = Sizes(starts=15)
QUICK = Sizes(starts=3)


def method(s: Sizes) -> str:
    return (
        f"Target 7: median of {s.starts} interleaved starts of each command, after one "
        "warm-up start."
    )


def console_script() -> str | None:
    """The ``mentorflow`` console script installed beside this interpreter, if there is one."""
    folder = Path(sys.executable).parent
    for name in ("mentorflow", "mentorflow.exe"):
        if (folder / name).is_file():
            return str(folder / name)
    return None


def help_imports() -> list[tuple[str, int]]:
    """The modules ``python -X importtime -m mentorflow --help`` imports, with each one's own
    import time in microseconds (untimed here: ``-X importtime`` slows the start)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mentorflow", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("usage: mentorflow"), done.stdout[:200]
    modules = []
    for line in done.stderr.splitlines():
        fields = line.removeprefix(IMPORT_LINE).split("|")
        if not line.startswith(IMPORT_LINE) or len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header, or anything else on stderr
        modules.append((fields[2].strip(), int(fields[0])))
    assert modules, "no -X importtime lines"
    return modules


def is_in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.starts
    python = sys.executable
    commands: dict[str, list[str]] = {
        "pass": [python, "-c", "pass"],
        "module": [python, "-m", "mentorflow", "--help"],
        "import": [python, "-c", "import mentorflow"],
    }
    script = console_script()
    if script is not None:
        commands["script"] = [script, "--help"]
    for argv in commands.values():  # warm up: the OS's file cache, any .pyc left to write
        startup_s(argv)
    starts = {name: functools.partial(startup_s, argv) for name, argv in commands.items()}
    seconds = medians(interleaved(starts, n))

    modules = help_imports()
    heavy = sorted({p for name, _ in modules for p in HEAVY_MODULES if is_in(name, p)})
    installed = [p for p in HEAVY_MODULES if importlib.util.find_spec(p) is not None]
    if context.detail:
        context.details.append(functools.partial(print_import_detail, modules))
    if heavy:
        context.notes.append(f"Target 7: `mentorflow --help` imports {', '.join(heavy)}.")
    if script is None:
        context.notes.append(
            f"Target 7: no `mentorflow` console script beside {python}; not timed."
        )
    rows = [
        Row(
            f"7  python -m mentorflow --help, median of {n}  vs python -c pass",
            seconds["module"],
            seconds["pass"],
            "s",
            f"<= {HELP_LIMIT_S:g} s",
            seconds["module"] <= HELP_LIMIT_S,
            independent=True,
        )
    ]
    if script is not None:
        rows.append(
            Row(
                "7  mentorflow --help (console script)  vs python -c pass",
                seconds["script"],
                seconds["pass"],
                "s",
                f"<= {HELP_LIMIT_S:g} s",
                seconds["script"] <= HELP_LIMIT_S,
                independent=True,
            )
        )
    rows += [
        Row(
            '   python -c "import mentorflow"  vs python -c pass',
            seconds["import"],
            seconds["pass"],
            "s",
            independent=True,
        ),
        Row(
            f"7  --help imports {', '.join(HEAVY_MODULES)} ({len(installed)} installed)",
            len(heavy),
            None,
            "modules",
            "none",
            not heavy,
        ),
    ]
    return rows


def print_import_detail(modules: list[tuple[str, int]]) -> None:
    """Where ``mentorflow --help``'s imports spend their time, by top-level package."""
    by_package: Counter[str] = Counter()
    for name, own_us in modules:
        by_package[name.partition(".")[0]] += own_us
    total = sum(by_package.values())
    print(f"Imports of `python -X importtime -m mentorflow --help`: {total / 1e3:.0f} ms in all")
    for package, own_us in by_package.most_common(10):
        print(f"  {own_us / 1e3:6.1f} ms {own_us / total:4.0%}  {package}")
