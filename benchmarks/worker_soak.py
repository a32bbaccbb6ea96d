"""The worker's reliability soak (issue 14): ``mentorflow worker`` processes killed by SIGKILL
at random points, hundreds of times, then four workers at once.

    python benchmarks/worker_soak.py [--kills 200] [--workers 4] [--seed 14] [--dir DIR]

Each round adds a programme whose deadlines are all past, starts two workers (checks every
10 ms, the outbox to a handler that appends a line per delivery and fsyncs it) on an SQLite
store, and kills each a random 0 to 0.8 s after it says it runs (it restores the programmes,
checks them, commits alerts and delivers events: it dies in any of these). After the rounds,
one pass runs to completion. Then ``--workers`` workers run side by side while programmes are
added, and are stopped by SIGTERM. The script prints what the logs, positions and deliveries
say, and exits 1 if an outbox delivery was lost or out of order, an alert was committed twice
for one revision, or a position was left behind. (The driver is ``tests/worker_chaos.py``;
the test suite runs a few rounds of it.)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from worker_chaos import Chaos, Verdict  # noqa: E402


def report(title: str, verdict: Verdict, seconds: float) -> bool:
    bad = (verdict.lost, verdict.out_of_order, verdict.duplicate_alerts, verdict.behind)
    print(
        f"{title}: {verdict.events:,} events ({verdict.alerts:,} alerts) in {seconds:.0f} s; "
        f"lost {verdict.lost}, out of order {verdict.out_of_order}, alerts twice in one "
        f"revision {verdict.duplicate_alerts}, behind {verdict.behind}; delivered again after "
        f"a kill {verdict.redelivered}: {'PASS' if not any(bad) else 'FAIL'}"
    )
    return not any(bad)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--dir", default=None, help="where the store goes (default: a temp dir)")
    args = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory(prefix="mentorflow-soak-", dir=args.dir) as tmp:
        killed = Path(tmp) / "killed"
        killed.mkdir()
        chaos = Chaos(killed)
        began = time.perf_counter()
        rounds = (args.kills + 1) // 2
        killed = chaos.kill_rounds(rounds, random.Random(args.seed), wait=(0.0, 0.8), together=2)
        delivered, events = chaos.progress()
        print(f"by the killed workers: {delivered:,} of {events:,} events delivered")
        chaos.finish()
        ok &= report(
            f"{killed} workers killed (SIGKILL)", chaos.verify(), time.perf_counter() - began
        )
        side = Path(tmp) / "side"
        side.mkdir()
        chaos = Chaos(side)
        began = time.perf_counter()
        codes = chaos.side_by_side(args.workers, programmes=20, seconds=5.0)
        chaos.finish()
        verdict = chaos.verify()
        ok &= report(
            f"{args.workers} workers at once (exit codes {codes})",
            verdict,
            time.perf_counter() - began,
        )
        ok &= verdict.redelivered == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
