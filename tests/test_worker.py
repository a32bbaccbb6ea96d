"""``mentorflow worker``: deadline checks and an outbox, with real processes killed at random
points (SIGKILL), side by side, and stopped by SIGTERM; and `Worker` in one process."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pendulum
import pytest

from mentorflow import (
    DeadlineMissed,
    Event,
    ManualClock,
    MemoryStore,
    Outbox,
    Programme,
    Store,
    ValidationError,
    Worker,
)
from mentorflow._cli import main
from mentorflow._storage.base import Document
from service_programmes import populated
from worker_chaos import Chaos

LATER = pendulum.datetime(2021, 3, 1, 9, tz="Europe/Brussels")


class RacingStore(MemoryStore):
    """A memory store that runs ``before_append`` (once) when an append is asked: another
    writer gets there first."""

    before_append: Callable[[], object] | None = None

    def append(self, key: str, events: Sequence[Document], *, expected_version: int) -> int:
        run, self.before_append = self.before_append, None
        if run is not None:
            run()
        return super().append(key, events, expected_version=expected_version)


class TestWorker:
    """Tests for Worker in one process."""

    def test_checks_then_delivers(self, make_store: Callable[[], Store]) -> None:
        """A pass commits the alerts due, then hands every event to the outbox's handler."""
        store = make_store()
        populated(store, "a")
        seen: list[tuple[str, int]] = []
        outbox = Outbox(store, "mailer", lambda key, event: seen.append((key, event.seq)))
        worker = Worker(store, outbox=outbox, clock=ManualClock(LATER))
        done = worker.run_once()
        assert done.alerts > 0
        assert store.version("a") == done.delivered == len(seen)
        again = worker.run_once()
        assert (0, 0) == (again.alerts, again.delivered)

    def test_two_workers_commit_each_alert_once(self) -> None:
        """A worker whose check loses to another's refreshes and finds nothing due."""
        store = RacingStore()
        populated(store, "a")
        first = Worker(store, clock=ManualClock(LATER))
        second = Worker(store, clock=ManualClock(LATER))
        won: list[tuple[Event, ...]] = []
        store.before_append = lambda: won.append(first.check("a")[0])
        again, conflicts = second.check("a")
        assert won[0]
        assert (0, 1) == (len(again), conflicts)
        history = Programme.restore(store, "a").history
        assert len(won[0]) == sum(isinstance(e, DeadlineMissed) for e in history)

    def test_a_failing_handler_does_not_stop_the_pass(self) -> None:
        """The handler's error is logged; the event is delivered again on the next pass."""
        store = MemoryStore()
        populated(store, "a")
        calls: list[int] = []

        def handler(key: str, event: Event) -> None:
            calls.append(event.seq)
            if len(calls) == 1:
                raise RuntimeError("down")

        worker = Worker(store, outbox=Outbox(store, "m", handler), check=False)
        assert 0 == worker.run_once().delivered
        assert store.version("a") == worker.run_once().delivered
        assert [1, 1] == calls[:2]

    def test_bad_arguments(self) -> None:
        """Bad arguments are ValidationErrors naming them."""
        with pytest.raises(ValidationError, match="store"):
            Worker("x")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="retries"):
            Worker(MemoryStore(), retries=-1)
        with pytest.raises(ValidationError, match="every"):
            Worker(MemoryStore()).run(every=0)


class TestCommandLine:
    """Tests for the ``mentorflow worker`` arguments."""

    @pytest.mark.parametrize(
        ("handler", "problem"),
        [
            ("nocolon", "not of the form module:function"),
            ("no_such_module_here:f", "can't import"),
            ("service_programmes:nothing", "has no 'nothing'"),
            ("service_programmes:TZ", "not a function"),
        ],
    )
    def test_bad_handler(
        self, handler: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A handler that can't be found is one line naming --handler, exit code 1."""
        store = Chaos(tmp_path).path
        assert 1 == main(["worker", str(store), "--handler", handler, "--once"])
        err = capsys.readouterr().err
        assert err.startswith("mentorflow: --handler: ")
        assert problem in err

    def test_missing_store(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A store that is not there is one line, exit code 1."""
        assert 1 == main(["worker", str(tmp_path / "none.db"), "--once"])
        assert "no such file" in capsys.readouterr().err


class TestProcesses:
    """Real worker processes: SIGKILL at random points, four at once, SIGTERM."""

    def test_killed_at_random_points(self, tmp_path: Path) -> None:
        """20 workers killed at random (5 at a time): no delivery lost, none out of order, no
        alert twice."""
        chaos = Chaos(tmp_path)
        assert 20 == chaos.kill_rounds(4, random.Random(14), wait=(0.0, 0.5), together=5)
        delivered, _ = chaos.progress()
        assert delivered > 0  # the killed workers did deliver (they were killed at work)
        chaos.finish()
        verdict = chaos.verify()
        assert 4 * 4 == verdict.alerts  # 4 per programme, each once
        assert (0, 0, 0, 0) == (
            verdict.lost,
            verdict.out_of_order,
            verdict.duplicate_alerts,
            verdict.behind,
        )
        assert verdict.redelivered <= 20  # at most one per kill

    def test_four_workers_at_once(self, tmp_path: Path) -> None:
        """Four workers side by side, stopped by SIGTERM: exit 0, each alert and each delivery
        once."""
        chaos = Chaos(tmp_path)
        assert [0, 0, 0, 0] == chaos.side_by_side(4, programmes=6, seconds=1.2)
        chaos.finish()
        verdict = chaos.verify()
        assert verdict.alerts > 6
        assert (0, 0, 0, 0, 0) == (
            verdict.lost,
            verdict.out_of_order,
            verdict.duplicate_alerts,
            verdict.behind,
            verdict.redelivered,
        )

    def test_sigterm_finishes_the_delivery_under_way(self, tmp_path: Path) -> None:
        """SIGTERM during a delivery: the handler finishes, its position is stored, exit 0."""
        chaos = Chaos(tmp_path)
        chaos.add_programme()
        worker = chaos.worker("--every", "0.05", "--no-check", handler="slow_record")
        started = Path(f"{chaos.deliveries}.started")
        while not started.exists():
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
        assert 0 == worker.returncode, err.decode()
        assert ["p0 1"] == started.read_text().splitlines()  # one delivery began...
        assert [("p0", 1)] == [  # ...and ended
            (line.split()[0], int(line.split()[1]))
            for line in chaos.deliveries.read_text().splitlines()
        ]
        assert {"p0": 1} == chaos.store.outbox_positions("alerts")
