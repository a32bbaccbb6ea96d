"""A smoke test of the planted-bug benchmark (issue 19): two bugs, one seed each. The full
benchmark is ``python benchmarks/run.py --only 11`` (``benchmarks/planted_bugs.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import planted_bugs

_SMOKE = ["needs-14-days", "visit-2-length", "custom-review-from-start", "custom-review-extended"]


@pytest.mark.parametrize("name", _SMOKE)
def test_a_planted_bug_is_found_and_shrunk(name: str) -> None:
    """The shipped base finds the bug with its defaults and shrinks it to a short program."""
    (bug,) = [b for b in planted_bugs.BUGS if b.name == name]
    result = planted_bugs.run(bug, 0, 300)
    assert result.found, result
    assert result.steps is not None
    assert result.steps <= 8, result.program
    assert result.program.startswith("state = Test_")


def test_an_extension_timing_counterexample_runs() -> None:
    """The shrunk program of the extension-timing bug (a walk that asks for an extension)
    runs without Hypothesis and fails the same way."""
    (bug,) = [b for b in planted_bugs.BUGS if b.name == "custom-review-extended"]
    result = planted_bugs.run(bug, 0, 300)
    assert result.found, result
    assert "extend=Offset(" in result.program
    lines = [line for line in result.program.splitlines() if line.strip()]
    namespace: dict[str, object] = {lines[0].split("= ")[1][:-2]: planted_bugs.machine_for(bug)}
    exec("from pendulum import *\nfrom mentorflow import *", namespace)
    with pytest.raises(AssertionError, match="custom-review-extended"):
        exec("\n".join(lines), namespace)


def test_the_bugs_cover_every_phase() -> None:
    """Every phase of the default lifecycle has a bug, the custom lifecycle has some, and
    one is about extension timing."""
    default = planted_bugs.DEFAULT
    phases = {b.phase for b in planted_bugs.BUGS if b.lifecycle == default}
    assert set(default.order) == phases
    custom = [b for b in planted_bugs.BUGS if b.lifecycle == planted_bugs.CUSTOM]
    assert len(custom) >= 3
    assert len(planted_bugs.BUGS) >= 12
    assert "extension timing" in {b.kind for b in planted_bugs.BUGS}
