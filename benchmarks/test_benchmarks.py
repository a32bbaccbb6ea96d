"""Tests of the benchmarks' own machinery (cheap: no target runs). ``python -m pytest
benchmarks/test_benchmarks.py`` (with ``PYTHONPATH=src`` to use this tree's mentorflow)."""

from __future__ import annotations

import os

import pytest

from mentorflow import PhaseCompleted
from mentorflow.scenario import load_scenario

from . import inclucities, timing
from .report import Row, compare, fmt_ratios, fmt_results


def row(measured: float, baseline: float = 10.0, unit: str = "us", **kw: object) -> Row:
    return Row("1  figure", measured, baseline, unit, **kw)  # type: ignore[arg-type]


class TestCompare:
    """Tests for report.compare and Compared.reads."""

    def test_pairs_rounds(self) -> None:
        """new/old is taken round by round, and the median of those ratios decides."""
        compared = compare([[row(11)], [row(9)], [row(12)]], [[row(10)], [row(10)], [row(10)]])
        [c] = compared
        assert [1.1, 0.9, 1.2] == pytest.approx(c.ratios)
        assert [] == c.normalised
        assert "WORSE" == c.reads(0.05)
        assert "same" == c.reads(0.15)

    def test_rates_read_the_other_way(self) -> None:
        """For a rate, a higher new figure is better."""
        [c] = compare([[row(12, unit="/s")]], [[row(10, unit="/s")]])
        assert "better" == c.reads(0.05)

    def test_independent_baselines_cancel_drift(self) -> None:
        """Where the baseline runs no mentorflow code, the figures over it decide."""
        # The new tree's process ran on a machine 20% slower: figure and baseline alike.
        [c] = compare([[row(12, 12, independent=True)]], [[row(10, 10, independent=True)]])
        assert [1.2] == pytest.approx(c.ratios)
        assert [1.0] == pytest.approx(c.normalised)
        assert "same" == c.reads(0.05)

    def test_figures_one_tree_lacks(self) -> None:
        """A figure only one tree measured is kept, without a ratio."""
        [c, only_old] = compare([[row(1)]], [[row(1), Row("   other", 2.0, None, "s")]])
        assert "1  figure" == c.figure
        assert ([], [2.0], "-") == (only_old.new, only_old.old, only_old.reads(0.05))

    def test_formats(self) -> None:
        """Ratios show their median and range; results count the rounds that passed."""
        assert "1.00x (0.90-1.20)" == fmt_ratios([0.9, 1.0, 1.2])
        assert ("PASS", "FAIL", "PASS 2/3") == (
            fmt_results([True, True]),
            fmt_results([False]),
            fmt_results([True, False, True]),
        )


class TestBaton:
    """Tests for timing.Baton."""

    def test_alone_when_the_other_process_has_ended(self) -> None:
        """A closed pipe (the other tree's process ended) lets this one run on alone."""
        read_fd, write_fd = os.pipe()
        os.close(write_fd)
        baton = timing.Baton(read_fd, read_fd)
        baton.take()
        assert baton.alone
        baton.checkpoint()  # returns at once
        os.close(read_fd)

    def test_turns_pass_through_the_pipe(self) -> None:
        """Giving the turn writes a byte to the other process; taking it reads one back."""
        mine_r, theirs_w = os.pipe()
        theirs_r, mine_w = os.pipe()
        baton = timing.Baton(mine_r, mine_w)
        os.write(theirs_w, b".")
        baton.take()
        baton.give()
        assert b"." == os.read(theirs_r, 1)
        for fd in (mine_r, theirs_w, theirs_r, mine_w):
            os.close(fd)


def test_inclucities_commands_match_the_scenario() -> None:
    """The baseline's direct commands complete the phases simulate() completes, extend the
    programme to the same end and finish on the same day (the pairs' days within a month
    differ: the script staggers them, the scenario file does not)."""
    programme = inclucities.programme()
    inclucities.play(programme)
    completed = [e for e in programme.history if isinstance(e, PhaseCompleted)]
    timeline = load_scenario("inclucities").simulate()
    assert {(p.pair, p.phase) for p in timeline.phases} == {(e.pair, e.phase) for e in completed}
    assert (timeline.ends_on, timeline.completed_on) == (
        programme.ends_on,
        max(e.at.date() for e in completed),
    )


def test_matching_pool_is_seeded() -> None:
    """Target 9's pool is the same for the same seed, and every mentee gets a mentor."""
    from mentorflow.matching import propose

    from .targets import t9_matching

    first, again = t9_matching.pool(30), t9_matching.pool(30)
    assert first.digest == again.digest
    assert 30 == len(propose(first, compare=False).matches)
