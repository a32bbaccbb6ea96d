"""Worker processes killed at random points, and workers side by side: the driver shared by
``tests/test_worker.py`` (a few rounds) and ``benchmarks/worker_soak.py`` (hundreds).

Each round adds a programme whose deadlines are all past (so a check commits alerts), starts
``mentorflow worker`` processes on an SQLite store with the handler
``service_programmes:record`` (a line per delivery, fsynced), and kills one (SIGKILL) after a
random delay. At the end one worker runs a pass to completion, and `verify` reads the logs,
the positions and the deliveries.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import attrs

from mentorflow import DeadlineApproaching, DeadlineMissed, Programme, SQLiteStore
from service_programmes import populated

ROOT = Path(__file__).resolve().parent.parent
CONSUMER = "alerts"


@attrs.frozen
class Verdict:
    """What the logs, positions and deliveries say."""

    events: int
    """Events in the store's logs."""
    alerts: int
    """Alerts among them."""
    duplicate_alerts: int
    """Alerts committed twice for one revision of one deadline (must be 0)."""
    lost: int
    """Events never delivered (must be 0)."""
    out_of_order: int
    """Deliveries of an event whose predecessor had not been delivered before (must be 0)."""
    redelivered: int
    """Deliveries beyond the first of an event (a kill between a handler and its position)."""
    behind: int
    """Events past the consumer's stored position (must be 0 after the final pass)."""


class Chaos:
    """A store, a deliveries file, and ``mentorflow worker`` processes on them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "store.db"
        self.deliveries = directory / "deliveries.txt"
        self.store = SQLiteStore(self.path)
        self.deliveries.touch()
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")]),
            "MENTORFLOW_TEST_DELIVERIES": str(self.deliveries),
        }
        self.programmes = 0

    def add_programme(self, pairs: int = 2) -> None:
        populated(self.store, f"p{self.programmes}", pairs=pairs)
        self.programmes += 1

    def worker(self, *options: str, handler: str = "record") -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "mentorflow", "worker", str(self.path)]
        command += ["--handler", f"service_programmes:{handler}", "--consumer", CONSUMER]
        return subprocess.Popen(
            [*command, *options],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill_rounds(
        self, rounds: int, rng: random.Random, *, wait: tuple[float, float], together: int = 1
    ) -> int:
        """``rounds`` times: a new programme, ``together`` workers at once, each killed
        (SIGKILL) a random delay after it said it runs (so that it dies checking, committing
        or delivering, not importing). Return how many were killed."""
        for _ in range(rounds):
            self.add_programme()
            workers = [self.worker("--every", "0.01") for _ in range(together)]
            for worker in workers:
                assert worker.stderr is not None
                assert b"worker: " in worker.stderr.readline()
            began = time.monotonic()
            for delay, worker in sorted(
                ((rng.uniform(*wait), w) for w in workers), key=lambda pair: pair[0]
            ):
                time.sleep(max(0.0, began + delay - time.monotonic()))
                worker.kill()
            for worker in workers:
                worker.wait()
                assert worker.stderr is not None
                worker.stderr.close()
        return rounds * together

    def side_by_side(self, workers: int, programmes: int, seconds: float) -> list[int]:
        """``workers`` workers at once while programmes are added; then SIGTERM to each;
        their exit codes."""
        running = [self.worker("--every", "0.1") for _ in range(workers)]
        for worker in running:  # each has said it runs: its signal handlers are in place
            assert worker.stderr is not None
            assert b"worker: " in worker.stderr.readline()
        for _ in range(programmes):
            self.add_programme()
            time.sleep(seconds / programmes)
        for worker in running:
            worker.send_signal(signal.SIGTERM)
        codes = []
        for worker in running:
            _, err = worker.communicate(timeout=60)
            if worker.returncode:
                raise AssertionError(err.decode())
            codes.append(worker.returncode)
        return codes

    def progress(self) -> tuple[int, int]:
        """(events delivered, events in the logs) so far."""
        delivered = {tuple(line.split()[:2]) for line in self.deliveries.read_text().splitlines()}
        keys = self.store.keys()
        return len(delivered), sum(self.store.version(key) for key in keys)

    def finish(self) -> None:
        """One pass to completion (checks, then every delivery)."""
        command = [sys.executable, "-m", "mentorflow", "worker", str(self.path), "--once"]
        done = subprocess.run(
            [*command, "--handler", "service_programmes:record", "--consumer", CONSUMER],
            env=self.env,
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr.decode()

    def verify(self) -> Verdict:
        lines = self.deliveries.read_text().splitlines()
        delivered = [(line.split()[0], int(line.split()[1])) for line in lines]
        seen: set[tuple[str, int]] = set()
        out_of_order = 0
        for key, seq in delivered:
            if seq > 1 and (key, seq - 1) not in seen:
                out_of_order += 1
            seen.add((key, seq))
        events = alerts = duplicates = lost = behind = 0
        positions = self.store.outbox_positions(CONSUMER)
        keys = self.store.keys()
        for key in keys:
            history = Programme.restore(self.store, key).history
            events += len(history)
            lost += sum(1 for e in history if (key, e.seq) not in seen)
            behind += len(history) - positions.get(key, 0)
            revisions = collections.Counter(
                (type(e).__name__, e.deadline, e.pair, e.revision)
                for e in history
                if isinstance(e, DeadlineApproaching | DeadlineMissed)
            )
            alerts += sum(revisions.values())
            duplicates += sum(n - 1 for n in revisions.values())
        return Verdict(
            events=events,
            alerts=alerts,
            duplicate_alerts=duplicates,
            lost=lost,
            out_of_order=out_of_order,
            redelivered=len(delivered) - len(seen),
            behind=behind,
        )
