"""Speed and memory benchmarks for the targets of the core, deadlines, persistence, scenario and
Monte Carlo issues.

Run it with ``nox -s bench`` (a fresh venv with only the project installed) or, in a venv where
mentorflow is installed, ``python benchmarks/run.py``. Options:

``--check``
    Exit with status 1 if any target fails (the default only reports, and exits 0).
``--quick``
    Fewer repeats and pairs, for smoke-testing the script. Quick figures are not taken under
    the targets' conditions (the 100,000-pair time is extrapolated from 10,000 pairs; target 3
    runs on 10,000 pairs, not scaled; target 4 makes 300 appends; target 5 replays 100,000
    events, not 1,000,000, against a pro-rata 1 s; target 6 times 30 simulations, target 7
    3 starts of each command; target 8 times 3 repeats of 100 runs, and 2 of 600 runs on
    two workers, where the pool's start-up weighs ten times as much); don't quote them.
``--detail``
    Also print where the bytes of a pair go (tracemalloc, by source line; with target 2), where
    ``simulate()``'s time goes (cProfile; with target 6), what ``mentorflow --help`` spends
    importing, by package (``-X importtime``; with target 7), and where the time of one
    in-process Monte Carlo chunk goes (cProfile of ``run_chunk``; with target 8).
``--only N [N ...]``
    Run only the targets named (1 to 8).
``--dir DIR``
    Where targets 4 and 5 write their SQLite files (default: the system's temporary directory).
    The header names its file system: target 4's fsyncs cost what that file system makes them.

Every figure is printed beside a baseline measured in the same run, on the same machine, so the
ratio means something on any machine; the absolute time targets (2 s, 1 ms, 10 s, 50 ms, 0.5 s)
depend on the machine, and the baselines say how fast this one is. Only the standard library and
the project's own dependencies are used. A full run takes about 4 minutes on a 2-core x86_64
machine where a bare transitions trigger costs ~8-9 us (targets 1-3 about 40 s, target 4 about
12 s, target 5 about 85 s, targets 6 and 7 about 14 s, target 8 about 75 s); ``--quick`` about
25 s.

Target 1: "a lifecycle command with one after-hook costs at most 1.2x a bare transitions trigger"
    measured  ``pair.complete(phase, at=t)`` on 10,000 fresh pairs of a programme with one after
              hook (``programme.subscribe(Event, handler)``), each pair completing its first phase
              of ``Lifecycle.linear(NEEDS_ASSESSMENT, MATCHING, TRANSFER_WORKSHOP)``: a real
              state change that emits PhaseCompleted and PhaseStarted and runs the hook on both.
              ``t`` is a pendulum DateTime in the programme's timezone (``to_instant``'s fast
              path: no conversion).
    baseline  ``m.step()`` on one model of a bare ``transitions.Machine``: a 10-state ring whose
              transitions have a condition (``ok``) and whose states have an ``on_enter``
              callback (``entered``), 10,000 calls.
    info      The same command through transitions' own ``Event.trigger``
              (``Engine.execute_via_machine``, called the way ``Pair._run`` calls ``execute``);
              the same command with ``at`` a stdlib ``datetime`` in UTC, and with no ``at`` (the
              programme's SystemClock, in UTC): both are converted to the programme's timezone
              (Europe/Brussels) on every call; and a hand-written dict-dispatch state machine
              doing what the baseline does.
    how       Per call, the median of 7 repeats; the repeats interleave every variant so drift
              hits all of them alike. The garbage collector is collected, then disabled, during
              each timed loop (both sides), and the pairs are built outside the timed loop.

Target 2: "creating 100,000 pairs in one programme takes at most 2 s and at most 2 KB per pair on
top of the pair's own data"
    time      ``programme.add_pair(key, mentor=..., mentee=..., theme=..., at=t)`` 100,000 times
              into one new programme: distinct keys, the same two Partner values, ``t`` a pendulum
              DateTime in the programme's timezone, no hooks. Median of 3 repeats, garbage
              collector ENABLED (its pauses on a growing heap are part of what a user waits for).
    baselines (a) 100,000 minimal slotted objects holding the same references, stored in a dict
              by key (the least any implementation can do); (b) transitions ``Machine.add_model``
              of 10,000 models to one 10-state ring machine (defaults), per model: it slows as the
              machine grows, so 100,000 would cost more per model, not less; (c) one ``Machine``
              per model for 1,000 models, per model. (b) and (c) are info; the ratio is
              measured / baseline per pair.
    memory    A separate pass under ``tracemalloc`` (it slows the code 3-8x, so it is never timed):
              the bytes still allocated after ``gc.collect()`` once 100,000 pairs are added,
              divided by 100,000. That counts the Pair object and its containers, the two events
              each enrolment emits (held by the pair's and the programme's histories), their
              ``seq`` ints, and the growth of the programme's pair dict and history list. It does
              not count what is shared: the Partner values, the ``at`` instant, the theme, the
              compiled engine. "The pair's own data" is what the user supplies per pair, here only
              the key string: ``sys.getsizeof`` of each key, which is subtracted. The target is
              2 KB = 2,000 B (the stricter reading). Baselines: the same count for the slotted
              objects of (a) (key subtracted likewise), and, for information, bytes per model of
              ``add_model`` (1,000 models) and of one Machine per model (200 models), model
              objects included.

Target 3: "a check touches only deadlines that are due, not every pair: with 100,000 pairs and
nothing due it costs at most 1 ms"
    setup     One programme (Europe/Brussels, ``country="BE"``, a ManualClock, the lifecycle of
              target 1) with five deadline rules: phases ``needs_assessment`` (programme.start + 3
              months, warned 14 days before), ``matching`` (needs_assessment.completed + 6 weeks)
              and ``transfer_workshop`` (matching.completed + 40 working days, warned 10 days
              before); milestones ``final_conference`` (programme.end, capped, warned 30 days
              before) and ``final_report`` (final_conference + 60 days). 100,000 pairs with
              distinct keys, cycling through the 30 ordered pairings of six IncluCities partners
              (BE, FR, IT-PA, ES-MD, GR, LV), so the pairs' working-day calendars differ.
    measured  ``programme.check_deadlines(at=t)`` with ``t`` one week after the start (nothing
              is due: the first alert is needs_assessment's warning, from early September).
              Per call, the median of 7 repeats of 1,000 calls, the garbage collector collected,
              then disabled, during each timed loop. Untimed: the checks emitted nothing (the
              history did not grow).
    baseline  A naive scan of every deadline: ``for key in programme.pairs: for d in
              programme.deadlines(pair=key): counts[d.status(t)] += 1`` (and the programme's
              milestones), over all 100,000 pairs, at the same ``t``, gc disabled likewise; the
              median of 3 scans. Untimed: it found nothing due soon or overdue.
    info      Building the programme (``add_pair`` x100,000, one build, gc enabled as in target
              2) beside the same build without deadline rules. A check when every pair has
              something due: ``t`` = 10 September 2020, inside needs_assessment's warning window
              for every pair (one ``DeadlineApproaching`` each), gc enabled, timed once (it
              changes the programme) beside one naive scan at the same instant, whose count of
              due-soon and overdue deadlines is the expected number of events (asserted, and
              asserted to be one per pair); the same per event. A second check at that instant:
              each alert is sent once per deadline revision, so it emits nothing (asserted); its
              cost, timed as the first check. And the slowest of 1,000 single nothing-due checks
              with the garbage collector enabled.

Target 4: "appending to SQLite reaches at least half the throughput of raw sqlite3 inserts of the
same JSON rows (batched in transactions)"
    setup     SQLite files on a real file system (``--dir``; the header says which), each way on
              a new file per repeat, all with ``journal_mode=WAL`` and ``synchronous=FULL`` (the
              store's settings, asserted untimed on every connection): every commit fsyncs the
              WAL, and one fsync per transaction dominates every way of appending. The same 2,000
              enrolled pairs (written untimed, in one transaction) precede the timed appends.
    measured  Events per second, two ways, each a target: (a) ``pair.complete(phase, at=t)`` on
              2,000 pairs of a programme persisted in an ``SQLiteStore``: each command runs the
              engine, makes its 2 events, encodes them (``dump_event``) and journals them in one
              ``SQLiteStore.append`` (``BEGIN IMMEDIATE``, the version check, the inserts with the
              store's ``json.dumps``, the version update, ``COMMIT``) before the change is made;
              (b) ``SQLiteStore.append`` of the same events as ready documents, 2 per call.
    baseline  Plain ``sqlite3``: ``BEGIN``, ``executemany`` of ``INSERT INTO events (key, seq,
              schema, body)`` (the store's table, ``WITHOUT ROWID``, primary key (key, seq)),
              ``COMMIT``, one transaction per 2 events; its rows are the same JSON
              (``json.dumps`` of the same documents with the store's arguments, inside the timed
              loop). Untimed: all the ways wrote byte-identical rows.
    how       The median of 5 repeats; within a repeat the ways run in turn, 1/20th of the
              appends at a time, so a slow spell of the disk hits each alike. Garbage collector
              enabled (collected before each repeat).
    info      The store and the baseline with 500 events per transaction (all 8,000 documents):
              the per-event cost once the fsync is shared. And, when /dev/shm is a tmpfs, both
              targets' ways again there, where fsync costs nothing: the ratio of the CPU work
              alone (there, (a) is below 0.5x: see the README).

Target 5: "replaying a log of 1,000,000 events rebuilds the programme in at most 10 s; report
memory too"
    log       100,000 pairs (the 30 IncluCities pairings in turn) of a programme with a five-phase
              lifecycle and no deadline rules, enrolled (2 events each), then four rounds in which
              every pair completes its phase (2 events each): 1,000,000 events. A fresh process
              runs these commands (timed: the baseline) and then ``programme.persist`` writes the
              whole history to an ``SQLiteStore`` in one transaction (timed, info).
    measured  ``Programme.restore(store, key)`` in another fresh Python process (imports done,
              store opened, untimed), once, garbage collector enabled. Untimed: the restored
              programme has every event and every pair is in its fifth phase.
    baseline  Running the same commands directly (no log), timed in its fresh process as above.
    info      The same restore in a third fresh process with the garbage collector disabled
              during it (how much of restore is collection). Restore's steps, each once in this
              process with gc enabled and only its own input and output alive: ``store.read``
              (SELECT, ``json.loads`` of each row, checks) and ``load_event`` of every document
              (with ``restore``'s location strings), each beside ``json.loads`` of every stored
              row alone; ``replay`` of the loaded events into a new programme (the engine and
              the field-by-field check against the log) beside the commands run directly.
    memory    From /proc/self/status (Linux) in the fresh processes, VmHWM reset (``clear_refs``)
              before the step: the peak RSS during restore above the RSS before it, and the RSS
              still held after it (and a ``gc.collect()``), each beside the same for running the
              commands directly. Not ``ru_maxrss`` (it would include the interpreter's start).

Target 6: "simulating the IncluCities scenario takes at most 50 ms inside a process"
    setup     ``load_scenario("inclucities")`` (the shipped TOML file: four pairs, an eight-phase
              lifecycle, three deadline rules, an 18-entry script, most for every pair), once,
              then one ``simulate()`` to warm up, untimed; both are timed in a fresh process
              (below). Untimed: the timeline ends on 29 March 2023, in a programme extended to
              31 March 2023, with 32 phase spans, no refusals and no deadline missed; every
              simulation gives the same timeline.
    measured  ``scenario.simulate()``, per run: the median of 300 runs (the figure), and the
              best. Each run timed on its own, garbage collector enabled (as a user, or issue 7's
              Monte Carlo, runs it; collected once before the first run).
    baseline  The same history as direct commands: ``mentorflow._inclucities.programme()`` (the
              programme and its four pairs) and ``play()`` (every dated command in date order,
              the extension, the milestones, one deadline check at the end), per run, median and
              best. The runs interleave simulate, the baseline and the lean scenario below, so
              drift hits each alike.
    info      The same scenario without its three deadline rules (``attrs.evolve``; untimed: the
              same phases and visits), beside ``simulate()``: what the deadline watch costs.
              Runs per second (1 / median), beside the baseline's; issue 7's Monte Carlo needs
              500 per second per core (2 ms each), and a note under the table says how far off
              that is. In a fresh interpreter that has imported nothing of mentorflow's: the first
              ``load_scenario`` (building a programme checks the definition: holidays' country
              list, the lifecycle's engine) and the first ``simulate`` (the pairs' holiday
              calendars), each beside the second in the same process. ``load_scenario`` once
              warm (median of 30: reading the file, ``tomllib``, building and checking the
              values) beside ``tomllib.loads`` of the same text alone.

Target 7: "``mentorflow --help`` starts in at most 0.5 s (heavy imports deferred)"
    measured  ``python -m mentorflow --help`` and the ``mentorflow`` console script beside
              ``sys.executable`` (``mentorflow --help``), each a subprocess, output discarded,
              exit status 0, wall time from start to exit: the median of 15 starts. One warm-up
              start of every command first (the OS's file cache, any ``.pyc`` to write), then
              the starts interleave.
    baseline  ``python -c pass``: the interpreter's own start, the same way.
    info      ``python -c "import mentorflow"``, the same way: the package's import.
    imports   A target of its own, untimed: ``python -X importtime -m mentorflow --help`` must
              import none of rich, matplotlib, icalendar (the row says how many of them are
              installed: one that is not can't be imported, and proves nothing).

Target 8: "at least 500 IncluCities runs per second per core; two workers reach at least 1.7x
one worker on a two-core machine"
    setup     ``load_scenario("inclucities-plan")``, the shipped uncertain plan (IncluCities'
              programme and pairs, three-point, uniform and empirical phase durations and a
              uniform Covid-19 delay for every pair: each run draws new ones), and
              ``load_scenario("inclucities")`` (as it happened: nothing uncertain), each loaded
              once and simulated once, untimed. Untimed: the plan is uncertain and its runs
              differ; IncluCities simulates as in target 6.
    measured  (a) Runs per second of ``montecarlo(scenario, 500, seed=1, workers=1)``, in this
              process: the median run (``montecarlo`` runs it first), 500 runs each drawing from
              its own seeded generator, the tally, the forecast. The plan's rate is the target;
              IncluCities' is info. (b) Runs per second of ``montecarlo(plan, 6000, seed=1,
              workers=2)`` divided by those of ``workers=1`` on the same 6,000 runs. The target
              figure includes the pool's start-up and shut-down, as a user's call gets them: it
              runs in a fresh process of this script (``--child``; the scenario loaded and
              simulated once first, untimed), where ``montecarlo`` starts the forkserver and
              two worker processes (each imports this script, as Python 3.11's forkserver does
              not preload it, and unpickles the scenario) and shuts them down; ``workers=1``
              runs in this process. Only with 2 or more usable CPUs (``os.sched_getaffinity``):
              with fewer, (b) is not run and reads "not applicable (needs 2 cores)".
    baseline  (a) A bare loop of ``simulate(scenario)``, 500 times, on the same scenario: its
              median run, no draws, no tally; the ratio is montecarlo's own overhead. (b)
              ``workers=1``, as above.
    info      (a) The plan's 500 runs as ``simulate(plan, rng=...)`` with each run's generator
              (``mentorflow._montecarlo.rng``) and no tally, beside the bare loop: what the draws
              change (the runs' own work differs from the median run's); montecarlo less this
              is the tally and the forecast. (b) The same 6,000 runs on a pool started
              beforehand, ``ProcessPoolExecutor(2, mp_context=forkserver)`` passed as
              ``executor=`` and warmed by a montecarlo of 200 runs: the speed-up without
              start-up; and the seconds of the fresh-process call beside the warm pool's. The
              machine's own ceiling: a pure-Python loop of 5,000,000 additions, iterations per
              second of two at once on the warm pool beside one in this process (well below 2x:
              the cores are not all this script's).
              Untimed: the forecasts of ``workers=1``, of the fresh process and of the warm
              pool are identical (the same seed; SHA-256 of their repr).
    how       (a) The median of 5 repeats, the five loops interleaved in each; (b) the median of
              3 repeats, each running the fresh process, ``workers=1``, the warm pool and the
              loops in turn. Garbage collector enabled (collected before each timed call). A
              note gives the usable CPUs, the load average before and after, and the share of a
              core this process had during its own runs (CPU over wall time): another busy
              process makes every figure read low, and the 2-worker speed-up most.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import functools
import gc
import hashlib
import importlib.util
import itertools
import json
import multiprocessing
import os
import platform
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pendulum
from transitions import Machine

import mentorflow
from mentorflow import (
    Association,
    City,
    DeadlineApproaching,
    DeadlineRule,
    DeadlineStatus,
    Event,
    Lifecycle,
    ManualClock,
    Pair,
    PairStatus,
    Partner,
    Phase,
    Programme,
    SQLiteStore,
    Theme,
)
from mentorflow import _engine as engine  # private: the Event.trigger reference path
from mentorflow import (
    _inclucities as inclucities,  # private: IncluCities as a script of direct commands
)
from mentorflow._forecast import Tally  # private: a chunk's tally, for --detail
from mentorflow._montecarlo import rng as run_rng  # private: each run's generator
from mentorflow._montecarlo import run_chunk  # private: one chunk of runs, for --detail
from mentorflow._replay import replay  # private: replay alone, to split restore's time
from mentorflow.scenario import (
    Forecast,
    Scenario,
    Timeline,
    load_scenario,
    montecarlo,
    shipped,
    simulate,
)
from mentorflow.serialization import (
    SCHEMA,
    dump_definition,
    dump_event,
    load_definition,
    load_event,
)

T = TypeVar("T")
TIMEZONE = "Europe/Brussels"
LIFECYCLE = Lifecycle.linear(Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.TRANSFER_WORKSHOP)
MENTOR = Partner(
    city=City(name="Mechelen", country="BE"), association=Association(name="VVSG", country="BE")
)
MENTEE = Partner(
    city=City(name="Capaci", country="IT", subdivision="PA"),
    association=Association(name="AICCRE", country="IT"),
)
THEME = Theme.PARTICIPATION_AND_SOCIAL_INCLUSION
ENROL_AT = pendulum.datetime(2020, 6, 17, 10, tz=TIMEZONE)
COMPLETE_AT = pendulum.datetime(2020, 8, 12, 10, tz=TIMEZONE)
COMPLETE_AT_STDLIB = dt.datetime(2020, 8, 12, 8, tzinfo=dt.UTC)

TIME_LIMIT_S = 2.0
MEMORY_LIMIT_B = 2000
RATIO_LIMIT = 1.2
TARGET_PAIRS = 100_000
CHECK_LIMIT_US = 1000.0  # 1 ms
APPEND_LIMIT = 0.5  # at least half raw sqlite3's events/s
REPLAY_LIMIT_S = 10.0
REPLAY_EVENTS = 1_000_000
SIMULATE_LIMIT_MS = 50.0
MONTE_CARLO_RATE = 500  # issue 7: IncluCities runs per second per core (<= 2 ms each)
SPEED_UP_LIMIT = 1.7  # issue 7: two workers vs one, on a two-core machine
HELP_LIMIT_S = 0.5
HEAVY_MODULES = ("rich", "matplotlib", "icalendar")  # the CLI must defer these


def _partner(city: str, country: str, association: str, subdivision: str | None = None) -> Partner:
    return Partner(
        city=City(name=city, country=country, subdivision=subdivision),
        association=Association(name=association, country=country),
    )


# Target 3: six IncluCities partners (30 ordered pairings, 15 distinct pair calendars) and
# deadline rules for three phases and two milestones.
PARTNERS = (
    _partner("Mechelen", "BE", "VVSG"),
    _partner("Saint-Jean-de-la-Ruelle", "FR", "AFCCRE"),
    _partner("Capaci", "IT", "AICCRE", "PA"),
    _partner("Fuenlabrada", "ES", "FEMP", "MD"),
    _partner("Livadia", "GR", "KEDE"),
    _partner("Jelgava", "LV", "LALRG"),
)
PAIRINGS = tuple((a, b) for a in PARTNERS for b in PARTNERS if a is not b)
DEADLINE_RULES = (
    DeadlineRule("needs_assessment", after="programme.start", months=3, lead_days=14),
    DeadlineRule("matching", after="needs_assessment.completed", weeks=6),
    DeadlineRule("transfer_workshop", after="matching.completed", working_days=40, lead_days=10),
    DeadlineRule("final_conference", after="programme.end", capped=True, lead_days=30),
    DeadlineRule("final_report", after="final_conference", days=60),
)
NOTHING_DUE_AT = ENROL_AT.add(weeks=1)
ALL_DUE_AT = pendulum.datetime(2020, 9, 10, 12, tz=TIMEZONE)  # needs_assessment is due soon

# Targets 4 and 5: persistence. The replay log: every pair enrolled (2 events), then four
# rounds in which every pair completes its phase (2 events each): 10 events per pair.
STORE_KEY = "benchmark"
REPLAY_PHASES = (
    Phase.NEEDS_ASSESSMENT,
    Phase.MATCHING,
    Phase.TRANSFER_WORKSHOP,
    Phase.TRAINING_ACADEMY,
)
REPLAY_LIFECYCLE = Lifecycle.linear(*REPLAY_PHASES, Phase.FINAL_REVIEW)
REPLAY_TIMES = tuple(COMPLETE_AT.add(weeks=6 * r) for r in range(len(REPLAY_PHASES)))
EVENTS_PER_PAIR = 2 + 2 * len(REPLAY_PHASES)

NOTES: list[str] = []  # printed under the table
IMPORT_DETAIL: list[tuple[str, int]] = []  # target 7's -X importtime, for --detail


@dataclass(frozen=True)
class Config:
    command_calls: int
    command_repeats: int
    pairs: int
    pair_repeats: int
    add_model: int
    machine_per_model: int
    memory_pairs: int
    memory_add_model: int
    memory_machine_per_model: int
    deadline_pairs: int
    check_calls: int
    check_repeats: int
    naive_repeats: int
    append_commands: int
    append_repeats: int
    append_bulk: int
    append_slices: int
    replay_pairs: int
    simulate_runs: int
    profile_runs: int
    startup_runs: int
    mc_runs: int
    mc_repeats: int
    pool_runs: int
    pool_repeats: int
    chunk_runs: int


FULL = Config(
    command_calls=10_000,
    command_repeats=7,
    pairs=TARGET_PAIRS,
    pair_repeats=3,
    add_model=10_000,
    machine_per_model=1_000,
    memory_pairs=TARGET_PAIRS,
    memory_add_model=1_000,
    memory_machine_per_model=200,
    deadline_pairs=TARGET_PAIRS,
    check_calls=1_000,
    check_repeats=7,
    naive_repeats=3,
    append_commands=2_000,
    append_repeats=5,
    append_bulk=500,
    append_slices=20,
    replay_pairs=REPLAY_EVENTS // EVENTS_PER_PAIR,
    simulate_runs=300,
    profile_runs=200,
    startup_runs=15,
    mc_runs=500,
    mc_repeats=5,
    pool_runs=6_000,
    pool_repeats=3,
    chunk_runs=250,
)
QUICK = Config(
    command_calls=2_000,
    command_repeats=3,
    pairs=10_000,
    pair_repeats=2,
    add_model=1_000,
    machine_per_model=100,
    memory_pairs=10_000,
    memory_add_model=200,
    memory_machine_per_model=50,
    deadline_pairs=10_000,
    check_calls=1_000,
    check_repeats=3,
    naive_repeats=1,
    append_commands=300,
    append_repeats=3,
    append_bulk=100,
    append_slices=5,
    replay_pairs=REPLAY_EVENTS // EVENTS_PER_PAIR // 10,
    simulate_runs=30,
    profile_runs=20,
    startup_runs=3,
    mc_runs=100,
    mc_repeats=3,
    pool_runs=600,
    pool_repeats=2,
    chunk_runs=50,
)


# -- the baselines: a bare transitions machine and a hand-written one ------------------------

RING = [f"s{i}" for i in range(10)]
RING_STATES = [{"name": name, "on_enter": "entered"} for name in RING]
RING_TRANSITIONS = [
    {"trigger": "step", "source": RING[i], "dest": RING[(i + 1) % 10], "conditions": "ok"}
    for i in range(10)
]


class RingModel:
    """A transitions model: a condition that passes and an on_enter callback that counts."""

    def __init__(self) -> None:
        self.entered_count = 0

    def ok(self) -> bool:
        return True

    def entered(self) -> None:
        self.entered_count += 1


def ring_machine(model: Any) -> Machine:
    return Machine(model=model, states=RING_STATES, transitions=RING_TRANSITIONS, initial="s0")


DICT_TABLE = {"step": {RING[i]: RING[(i + 1) % 10] for i in range(10)}}


class DictModel:
    """The same ring by hand: a dict lookup, the condition, the state change, the callback."""

    __slots__ = ("entered_count", "state")

    def __init__(self) -> None:
        self.state = "s0"
        self.entered_count = 0

    def ok(self) -> bool:
        return True

    def entered(self) -> None:
        self.entered_count += 1

    def trigger(self, name: str) -> bool:
        dest = DICT_TABLE[name].get(self.state)
        if dest is None:
            raise RuntimeError(f"{name} is not possible in {self.state}")
        if not self.ok():
            return False
        self.state = dest
        self.entered()
        return True

    def step(self) -> bool:
        return self.trigger("step")


class SlottedPair:
    """The least a pair could be: the references a Pair holds, in slots."""

    __slots__ = ("at", "key", "mentee", "mentor", "programme", "state", "theme")

    def __init__(
        self, programme: object, key: str, mentor: Partner, mentee: Partner, theme: Theme, at: Any
    ) -> None:
        self.programme = programme
        self.key = key
        self.mentor = mentor
        self.mentee = mentee
        self.theme = theme
        self.state = "s0"
        self.at = at


# -- mentorflow -------------------------------------------------------------------------------


def new_programme(hook: Callable[[Event], object] | None = None) -> Programme:
    programme = Programme(
        "Benchmark",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TIMEZONE,
        lifecycle=LIFECYCLE,
    )
    if hook is not None:
        programme.subscribe(Event, hook)
    return programme


def add_pairs(programme: Programme, n: int) -> list[Pair]:
    add = programme.add_pair
    return [
        add(f"pair-{i:06d}", mentor=MENTOR, mentee=MENTEE, theme=THEME, at=ENROL_AT)
        for i in range(n)
    ]


def complete_via_machine(pair: Pair, phase: str, *, at: dt.datetime) -> tuple[Event, ...]:
    """``pair.complete(phase, at=at)``, but through ``Engine.execute_via_machine``: the body of
    ``Pair.complete`` and ``Pair._run`` with the one call swapped."""
    if not isinstance(phase, str):
        raise TypeError(phase)
    programme = pair._programme
    cmd = engine.Command(engine.COMPLETE, programme._instant(at), None, phase)
    return programme._record(pair, programme._engine.execute_via_machine(pair, cmd), cmd.at)


# -- timing helpers ---------------------------------------------------------------------------


def timed_without_gc(run: Callable[[], object]) -> float:
    """Seconds ``run()`` takes with the garbage collector collected, then disabled."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        gc.enable()


def timed_with_gc(build: Callable[[], object]) -> float:
    """Seconds ``build()`` takes with the garbage collector running as usual. What it built is
    freed after the clock stops: only building is timed."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    elapsed = time.perf_counter() - start
    del built
    return elapsed


def timed_result(build: Callable[[], T]) -> tuple[float, T]:
    """Seconds ``build()`` takes with the garbage collector running as usual (collected first),
    and what it built."""
    gc.collect()
    start = time.perf_counter()
    built = build()
    return time.perf_counter() - start, built


def traced_bytes(build: Callable[[], object]) -> tuple[int, object]:
    """Bytes still allocated after ``build()`` (and a ``gc.collect()``), and what it built."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        built = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, built


# -- the figures ------------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    measured: float | None  # None: not measured (not applicable here)
    baseline: float | None
    unit: str
    target: str = "info"
    passed: bool | None = None


def bench_command(cfg: Config) -> list[Row]:
    n = cfg.command_calls
    phase = Phase.NEEDS_ASSESSMENT
    hook_calls = itertools.count()

    def hook(event: Event) -> None:
        next(hook_calls)

    ring_model = RingModel()
    ring_machine(ring_model)
    dict_model = DictModel()

    def bare() -> None:
        m = ring_model
        for _ in range(n):
            m.step()  # type: ignore[attr-defined]  # attached by transitions

    def by_hand() -> None:
        m = dict_model
        for _ in range(n):
            m.step()

    names = ("bare", "hand", "cmd", "via", "stdlib", "clock")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(cfg.command_repeats):
        samples["bare"].append(timed_without_gc(bare) / n)
        samples["hand"].append(timed_without_gc(by_hand) / n)
        variants: list[tuple[str, Callable[[Pair], object]]] = [
            ("cmd", lambda p: p.complete(phase, at=COMPLETE_AT)),
            ("via", lambda p: complete_via_machine(p, phase, at=COMPLETE_AT)),
            ("stdlib", lambda p: p.complete(phase, at=COMPLETE_AT_STDLIB)),
            ("clock", lambda p: p.complete(phase)),
        ]
        for name, command in variants:
            programme = new_programme(hook)
            pairs = add_pairs(programme, n)
            before = next(hook_calls)

            def run(pairs: list[Pair] = pairs, command: Callable[[Pair], object] = command) -> None:
                for pair in pairs:
                    command(pair)

            samples[name].append(timed_without_gc(run) / n)
            # Not timed: every pair changed phase, and the hook saw both events of each.
            assert all(pair.phase == Phase.MATCHING for pair in pairs), name
            assert next(hook_calls) - before == 2 * n + 1, name
            del programme, pairs
    assert ring_model.entered_count == dict_model.entered_count == n * cfg.command_repeats

    us = {name: statistics.median(values) * 1e6 for name, values in samples.items()}
    bare_us = us["bare"]
    ratio = us["cmd"] / bare_us
    return [
        Row(
            "1  complete() + 1 after-hook  vs bare trigger",
            us["cmd"],
            bare_us,
            "us",
            f"<= {RATIO_LIMIT:.2f}x",
            ratio <= RATIO_LIMIT,
        ),
        Row("   same, via transitions Event.trigger", us["via"], bare_us, "us"),
        Row("   same, at= stdlib datetime in UTC", us["stdlib"], bare_us, "us"),
        Row("   same, no at= (the system clock)", us["clock"], bare_us, "us"),
        Row("   hand-written dict dispatch", us["hand"], bare_us, "us"),
    ]


def build_programme(n: int) -> Programme:
    """A programme with ``n`` new pairs."""
    programme = new_programme()
    add = programme.add_pair
    for i in range(n):
        add(f"pair-{i:06d}", mentor=MENTOR, mentee=MENTEE, theme=THEME, at=ENROL_AT)
    return programme


def build_slotted(n: int) -> dict[str, SlottedPair]:
    """``n`` minimal slotted objects holding the same references, by key."""
    owner = object()
    store: dict[str, SlottedPair] = {}
    for i in range(n):
        key = f"pair-{i:06d}"
        store[key] = SlottedPair(owner, key, MENTOR, MENTEE, THEME, ENROL_AT)
    return store


def build_add_model(n: int) -> Machine:
    """One ring machine with ``n`` models added (transitions' defaults)."""
    machine = Machine(model=None, states=RING_STATES, transitions=RING_TRANSITIONS, initial="s0")
    for _ in range(n):
        machine.add_model(RingModel())
    return machine


def build_machines(n: int) -> list[Machine]:
    """``n`` models, each with a ring machine of its own."""
    return [ring_machine(RingModel()) for _ in range(n)]


def bench_pairs(cfg: Config) -> list[Row]:
    n = cfg.pairs
    scale = TARGET_PAIRS / n
    mf_s: list[float] = []
    slot_s: list[float] = []
    for _ in range(cfg.pair_repeats):
        mf_s.append(timed_with_gc(functools.partial(build_programme, n)) * scale)
        slot_s.append(timed_with_gc(functools.partial(build_slotted, n)) * scale)
    add_model_us = [
        timed_with_gc(functools.partial(build_add_model, cfg.add_model)) / cfg.add_model * 1e6
        for _ in range(cfg.pair_repeats)
    ]
    machines_us = [
        timed_with_gc(functools.partial(build_machines, cfg.machine_per_model))
        / cfg.machine_per_model
        * 1e6
        for _ in range(cfg.pair_repeats)
    ]

    total = statistics.median(mf_s)
    per_pair_us = total / TARGET_PAIRS * 1e6
    scaled = "" if scale == 1 else " (scaled)"
    return [
        Row(
            f"2  add_pair x100,000{scaled}  vs slotted objects",
            total,
            statistics.median(slot_s),
            "s",
            f"<= {TIME_LIMIT_S:g} s",
            total <= TIME_LIMIT_S,
        ),
        Row(
            f"   per pair  vs add_model, {cfg.add_model:,} models",
            per_pair_us,
            statistics.median(add_model_us),
            "us",
        ),
        Row(
            f"   per pair  vs one Machine per model, {cfg.machine_per_model:,}",
            per_pair_us,
            statistics.median(machines_us),
            "us",
        ),
    ]


def bench_memory(cfg: Config) -> list[Row]:
    n = cfg.memory_pairs
    build_programme(1)  # warm every cache (engine, enums, hooks) before tracing

    # The programme itself (name, hooks, ...) is a few hundred bytes in all: noise at n pairs.
    mf_bytes, programme = traced_bytes(functools.partial(build_programme, n))
    assert isinstance(programme, Programme)
    assert len(programme.pairs) == n
    own = sum(sys.getsizeof(key) for key in programme.pairs) / n
    del programme
    slot_bytes, store = traced_bytes(functools.partial(build_slotted, n))
    assert isinstance(store, dict)
    slot_own = sum(sys.getsizeof(key) for key in store) / n
    del store
    model_bytes, _ = traced_bytes(functools.partial(build_add_model, cfg.memory_add_model))
    machines_bytes, _ = traced_bytes(
        functools.partial(build_machines, cfg.memory_machine_per_model)
    )

    per_pair = mf_bytes / n
    overhead = per_pair - own
    slot_overhead = slot_bytes / n - slot_own
    return [
        Row(
            "2  memory/pair over own data  vs slotted objects",
            overhead,
            slot_overhead,
            "B",
            f"<= {MEMORY_LIMIT_B:,} B",
            overhead <= MEMORY_LIMIT_B,
        ),
        Row(f"   total/pair, own data (the key) {own:.0f} B", per_pair, slot_bytes / n, "B"),
        Row(
            f"   memory/pair  vs add_model, {cfg.memory_add_model:,} models",
            overhead,
            model_bytes / cfg.memory_add_model,
            "B",
        ),
        Row(
            f"   memory/pair  vs one Machine per model, {cfg.memory_machine_per_model:,}",
            overhead,
            machines_bytes / cfg.memory_machine_per_model,
            "B",
        ),
    ]


def deadline_programme(n: int, *, rules: bool = True) -> Programme:
    """A programme with the deadline rules of target 3 (or none) and ``n`` pairs."""
    programme = Programme(
        "Benchmark",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TIMEZONE,
        lifecycle=LIFECYCLE,
        clock=ManualClock(ENROL_AT),
        country="BE",
        deadlines=DEADLINE_RULES if rules else (),
    )
    add = programme.add_pair
    pairings = PAIRINGS
    count = len(pairings)
    for i in range(n):
        mentor, mentee = pairings[i % count]
        add(f"pair-{i:06d}", mentor=mentor, mentee=mentee, theme=THEME, at=ENROL_AT)
    return programme


def naive_scan(programme: Programme, at: pendulum.DateTime) -> Counter[DeadlineStatus]:
    """Every deadline of the programme and of every pair, and its status at ``at``."""
    counts: Counter[DeadlineStatus] = Counter()
    for deadline in programme.deadlines():
        counts[deadline.status(at)] += 1
    deadlines = programme.deadlines
    for key in programme.pairs:
        for deadline in deadlines(pair=key):
            counts[deadline.status(at)] += 1
    return counts


def per_check_us(programme: Programme, at: pendulum.DateTime, calls: int, repeats: int) -> float:
    """``programme.check_deadlines(at=at)``, per call: the median of ``repeats`` loops of
    ``calls`` calls, gc disabled while timed. Asserts (untimed) that nothing was emitted."""
    check = programme.check_deadlines
    loop = range(calls)

    def run() -> None:
        for _ in loop:
            check(at=at)

    before = len(programme.history)
    samples = [timed_without_gc(run) / calls for _ in range(repeats)]
    assert len(programme.history) == before, "a check that should emit nothing emitted events"
    return statistics.median(samples) * 1e6


def bench_deadlines(cfg: Config) -> list[Row]:
    n = cfg.deadline_pairs
    deadline_programme(1)  # warm the caches (holidays, calendars, engine) outside the timing

    bare_s = timed_with_gc(functools.partial(deadline_programme, n, rules=False))
    gc.collect()
    start = time.perf_counter()
    programme = deadline_programme(n)
    build_s = time.perf_counter() - start
    assert len(programme.pairs) == n

    # Nothing due: the target, and the naive scan at the same instant.
    t = NOTHING_DUE_AT
    assert programme.check_deadlines(at=t) == ()
    check_us = per_check_us(programme, t, cfg.check_calls, cfg.check_repeats)
    counts: Counter[DeadlineStatus] = Counter()
    naive_s: list[float] = []
    for _ in range(cfg.naive_repeats):
        naive_s.append(timed_without_gc(lambda: counts.update(naive_scan(programme, t))))
    naive_us = statistics.median(naive_s) * 1e6
    seen = counts.total() // cfg.naive_repeats
    assert counts[DeadlineStatus.DUE_SOON] + counts[DeadlineStatus.OVERDUE] == 0, counts
    assert seen == n * 3 + 2, seen  # three phase deadlines per pair, two milestones

    # The slowest single nothing-due check, gc enabled (any O(n) pause would show here).
    gc.collect()
    check = programme.check_deadlines
    worst_us = 0.0
    for _ in range(cfg.check_calls):
        call_start = time.perf_counter()
        check(at=t)
        worst_us = max(worst_us, (time.perf_counter() - call_start) * 1e6)

    # Everything due: one alert per pair. The naive scan says how many to expect.
    t = ALL_DUE_AT
    due_counts: Counter[DeadlineStatus] = Counter()
    naive_due_s = timed_without_gc(lambda: due_counts.update(naive_scan(programme, t)))
    expected = due_counts[DeadlineStatus.DUE_SOON] + due_counts[DeadlineStatus.OVERDUE]
    assert expected == n, due_counts
    gc.collect()
    start = time.perf_counter()
    events = programme.check_deadlines(at=t)
    due_s = time.perf_counter() - start
    assert len(events) == expected, (len(events), expected)
    assert all(
        isinstance(e, DeadlineApproaching) and e.deadline == "needs_assessment" for e in events
    )
    assert len({e.pair for e in events}) == n
    del events
    assert programme.check_deadlines(at=t) == ()  # idempotent: each alert once per revision
    again_us = per_check_us(programme, t, cfg.check_calls, cfg.check_repeats)

    return [
        Row(
            f"3  check, nothing due, {n:,} pairs  vs naive scan",
            check_us,
            naive_us,
            "us",
            f"<= {CHECK_LIMIT_US / 1000:g} ms",
            check_us <= CHECK_LIMIT_US,
        ),
        Row(f"   same, slowest of {cfg.check_calls:,} calls, gc enabled", worst_us, None, "us"),
        Row(
            f"   check, every pair due ({n:,} events)  vs naive scan",
            due_s * 1e6,
            naive_due_s * 1e6,
            "us",
        ),
        Row(
            "   same, per event  vs naive scan per pair",
            due_s / n * 1e6,
            naive_due_s / n * 1e6,
            "us",
        ),
        Row(
            "   second check, same instant (emits nothing)  vs naive",
            again_us,
            naive_due_s * 1e6,
            "us",
        ),
        Row(
            f"   add_pair x{n:,}, 5 deadline rules  vs no rules",
            build_s,
            bare_s,
            "s",
        ),
    ]


# -- persistence (targets 4 and 5) -------------------------------------------------------------

RAW_TABLE = """
    CREATE TABLE events (
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        schema INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (key, seq)
    ) WITHOUT ROWID
"""
RAW_INSERT = "INSERT INTO events (key, seq, schema, body) VALUES (?, ?, ?, ?)"
ROWS = "SELECT seq, schema, body FROM events WHERE key = ? ORDER BY seq"


def json_row(document: object) -> str:
    """An event document as the stores write it (``_stores._dumps``): the same bytes."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def remove_db(path: str) -> None:
    """Remove an SQLite file and its WAL, if they exist."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(path + suffix)


def fresh_db(directory: str, name: str) -> str:
    """The path of a new SQLite file in ``directory`` (any earlier one removed)."""
    path = os.path.join(directory, f"{name}.db")
    remove_db(path)
    return path


def file_system(path: str) -> str:
    """The type of the file system ``path`` is on (Linux: from /proc/mounts)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "file system unknown"
    real = os.path.realpath(path)
    best, kind = "", "file system unknown"
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def check_pragmas(db: sqlite3.Connection) -> None:
    """Untimed: the connection writes a WAL with synchronous=FULL (2)."""
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2


def stored_rows(path: str) -> list[tuple[int, int, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(ROWS, (STORE_KEY,)).fetchall()
    finally:
        db.close()


class ProgrammeAppends:
    """``pair.complete(phase, at=t)`` on pairs of a programme persisted in an SQLiteStore at
    ``path``: each command journals one append of 2 events. The pairs are enrolled and the
    programme persisted (one write of the 2n enrolment events) untimed."""

    def __init__(self, path: str, n: int) -> None:
        self.programme = new_programme()
        self.pairs = add_pairs(self.programme, n)
        self.store = SQLiteStore(path)
        check_pragmas(self.store._db)
        self.programme.persist(self.store, STORE_KEY)
        self.batches = n

    def run(self, start: int, stop: int) -> int:
        phase = Phase.NEEDS_ASSESSMENT
        for pair in self.pairs[start:stop]:
            pair.complete(phase, at=COMPLETE_AT)
        return 2 * (stop - start)

    def close(self) -> None:
        assert self.store.version(STORE_KEY) == 4 * self.batches
        self.store.close()


class StoreAppends:
    """``SQLiteStore.append`` of ready event documents, one call per batch. The ``first``
    documents are written untimed, with the definition."""

    def __init__(
        self, path: str, definition: dict[str, Any], first: list[Any], batches: list[list[Any]]
    ) -> None:
        self.store = SQLiteStore(path)
        check_pragmas(self.store._db)
        self.store.create(STORE_KEY, definition, first)
        self.version = len(first)
        self.documents = batches
        self.batches = len(batches)
        self.expected = len(first) + sum(map(len, batches))

    def run(self, start: int, stop: int) -> int:
        append = self.store.append
        version = before = self.version
        for batch in self.documents[start:stop]:
            version = append(STORE_KEY, batch, expected_version=version)
        self.version = version
        return version - before

    def close(self) -> None:
        assert self.store.version(STORE_KEY) == self.version == self.expected
        self.store.close()


class RawAppends:
    """The baseline: plain sqlite3 inserts of the same JSON rows (``json_row``) into the
    store's table shape, one ``BEGIN`` ... ``COMMIT`` per batch, with the store's PRAGMAs. The
    ``first`` rows are written untimed."""

    def __init__(self, path: str, first: list[Any], batches: list[list[Any]]) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        check_pragmas(self.db)
        self.db.execute(RAW_TABLE)
        if first:
            self.write(first)
        self.documents = batches
        self.batches = len(batches)

    def write(self, batch: list[Any]) -> None:
        db = self.db
        db.execute("BEGIN")
        db.executemany(RAW_INSERT, [(STORE_KEY, d["seq"], SCHEMA, json_row(d)) for d in batch])
        db.execute("COMMIT")

    def run(self, start: int, stop: int) -> int:
        write = self.write
        count = 0
        for batch in self.documents[start:stop]:
            write(batch)
            count += len(batch)
        return count

    def close(self) -> None:
        self.db.close()


Appends = ProgrammeAppends | StoreAppends | RawAppends


def interleaved_rates(writers: dict[str, Appends], slices: int) -> dict[str, float]:
    """Events per second of each writer, run a slice at a time in turn (so a slow spell of the
    disk hits every writer alike), gc enabled (collected once, before the first slice)."""
    seconds = dict.fromkeys(writers, 0.0)
    events = dict.fromkeys(writers, 0)
    gc.collect()
    for part in range(slices):
        for name, writer in writers.items():
            start = writer.batches * part // slices
            stop = writer.batches * (part + 1) // slices
            began = time.perf_counter()
            events[name] += writer.run(start, stop)
            seconds[name] += time.perf_counter() - began
    return {name: events[name] / seconds[name] for name in writers}


def append_documents(cfg: Config) -> tuple[dict[str, Any], list[Any]]:
    """The definition and the documents the programme path journals, made once: ``n``
    enrolments (2 events each), then ``n`` completions (2 events each)."""
    model = new_programme()
    for pair in add_pairs(model, cfg.append_commands):
        pair.complete(Phase.NEEDS_ASSESSMENT, at=COMPLETE_AT)
    return dump_definition(model), [dump_event(e) for e in model.history]


def append_rates(cfg: Config, directory: str) -> dict[str, float]:
    """Events per second of each way of appending, in ``directory``: the median of the
    repeats, the ways interleaved in slices within each repeat, every way on a new file."""
    n = cfg.append_commands
    definition, docs = append_documents(cfg)
    enrolment = docs[: 2 * n]
    twos = [docs[i : i + 2] for i in range(2 * n, 4 * n, 2)]
    bulk = [docs[i : i + cfg.append_bulk] for i in range(0, len(docs), cfg.append_bulk)]

    names = ("programme", "store", "raw", "store_bulk", "raw_bulk")
    samples: dict[str, list[float]] = {name: [] for name in names}
    for repeat in range(cfg.append_repeats):
        paths = {name: fresh_db(directory, name) for name in names}
        small: dict[str, Appends] = {
            "programme": ProgrammeAppends(paths["programme"], n),
            "store": StoreAppends(paths["store"], definition, enrolment, twos),
            "raw": RawAppends(paths["raw"], enrolment, twos),
        }
        large: dict[str, Appends] = {
            "store_bulk": StoreAppends(paths["store_bulk"], definition, [], bulk),
            "raw_bulk": RawAppends(paths["raw_bulk"], [], bulk),
        }
        for writers in (small, large):
            slices = min(cfg.append_slices, *(w.batches for w in writers.values()))
            for name, rate in interleaved_rates(writers, slices).items():
                samples[name].append(rate)
            for writer in writers.values():
                writer.close()
        if repeat == 0:  # untimed: every way wrote the very same rows
            rows = [stored_rows(paths[name]) for name in names]
            assert len(rows[0]) == 4 * n
            assert all(other == rows[0] for other in rows[1:])
        for path in paths.values():
            remove_db(path)
    return {name: statistics.median(values) for name, values in samples.items()}


def tmpfs() -> str | None:
    """/dev/shm if it is a writable tmpfs (where fsync costs nothing), else None."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK) and file_system(shm) == "tmpfs":
        return shm
    return None


def bench_appends(cfg: Config, directory: str) -> list[Row]:
    n = cfg.append_commands
    rate = append_rates(cfg, directory)
    rows = [
        Row(
            f"4  SQLite: complete() x{n:,}, 2 events each  vs raw sqlite3",
            rate["programme"],
            rate["raw"],
            "ev/s",
            f">= {APPEND_LIMIT:.2f}x",
            rate["programme"] / rate["raw"] >= APPEND_LIMIT,
        ),
        Row(
            "4  SQLiteStore.append, 2 ready documents  vs raw sqlite3",
            rate["store"],
            rate["raw"],
            "ev/s",
            f">= {APPEND_LIMIT:.2f}x",
            rate["store"] / rate["raw"] >= APPEND_LIMIT,
        ),
        Row(
            f"   same, {cfg.append_bulk:,} per append ({4 * n:,} events)  vs raw",
            rate["store_bulk"],
            rate["raw_bulk"],
            "ev/s",
        ),
    ]
    shm = tmpfs()
    if shm is not None and file_system(directory) != "tmpfs":
        with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=shm) as memory:
            free = append_rates(cfg, memory)
        raw = free["raw"]
        rows += [
            Row("   complete(), in tmpfs (fsync is free)  vs raw", free["programme"], raw, "ev/s"),
            Row("   SQLiteStore.append, 2, in tmpfs  vs raw", free["store"], raw, "ev/s"),
        ]
    return rows


def replay_programme(n: int) -> Programme:
    """The programme of target 5, built by running its commands: ``n`` pairs enrolled, then
    four rounds in which every pair completes its phase (10 events per pair)."""
    programme = Programme(
        "Benchmark",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TIMEZONE,
        lifecycle=REPLAY_LIFECYCLE,
    )
    add = programme.add_pair
    pairings = itertools.cycle(PAIRINGS)
    pairs = [
        add(f"pair-{i:06d}", mentor=mentor, mentee=mentee, theme=THEME, at=ENROL_AT)
        for i, (mentor, mentee) in zip(range(n), pairings, strict=False)
    ]
    for phase, at in zip(REPLAY_PHASES, REPLAY_TIMES, strict=True):
        for pair in pairs:
            pair.complete(phase, at=at)
    return programme


def memory_status() -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of this process, in bytes; empty off Linux."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return {}
    status = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            status[name] = int(value.split()[0]) * 1024
    return status


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux 4.0+), so the peak is this measurement's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def child_build(path: str, n: int) -> dict[str, Any]:
    """In a fresh process: build the programme by its commands (timed; peak and kept memory),
    then persist it to a new SQLiteStore at ``path`` (one append of the whole history)."""
    gc.collect()
    reset_peak()
    before = memory_status()
    seconds, programme = timed_result(functools.partial(replay_programme, n))
    peak = memory_status()
    gc.collect()
    after = memory_status()
    store = SQLiteStore(path)
    persist_s, _ = timed_result(lambda: programme.persist(store, STORE_KEY))
    assert store.version(STORE_KEY) == n * EVENTS_PER_PAIR
    store.close()
    return {
        "seconds": seconds,
        "persist": persist_s,
        "before": before,
        "peak": peak,
        "after": after,
    }


def child_restore(path: str, n: int, *, collect: bool = True) -> dict[str, Any]:
    """In a fresh process: ``Programme.restore`` from the SQLiteStore at ``path`` (timed; peak
    and kept memory), with the garbage collector enabled (as a user runs it) or disabled."""
    store = SQLiteStore(path)
    gc.collect()
    reset_peak()
    before = memory_status()
    if not collect:
        gc.disable()
    try:
        seconds, programme = timed_result(lambda: Programme.restore(store, STORE_KEY))
    finally:
        gc.enable()
    peak = memory_status()
    gc.collect()
    after = memory_status()
    # Untimed: the whole log replayed, every pair in its fifth phase.
    assert len(programme.history) == n * EVENTS_PER_PAIR
    assert len(programme.pairs) == n
    assert all(pair.phase == Phase.FINAL_REVIEW for pair in programme.pairs.values())
    store.close()
    return {"seconds": seconds, "before": before, "peak": peak, "after": after}


CHILDREN: dict[str, Callable[[str, int], dict[str, Any]]] = {
    "build": child_build,
    "restore": child_restore,
    "restore-nogc": functools.partial(child_restore, collect=False),
}


def run_child(mode: str, path: str, n: int) -> dict[str, Any]:
    """``CHILDREN[mode](path, n)`` in a fresh Python process running this script."""
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", mode, path, str(n)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def peak_growth(result: dict[str, Any]) -> float | None:
    """How far the peak RSS rose above the RSS before the measured step."""
    if "VmHWM" not in result["peak"] or "VmRSS" not in result["before"]:
        return None
    return float(result["peak"]["VmHWM"] - result["before"]["VmRSS"])


def kept(result: dict[str, Any]) -> float | None:
    """How much more RSS the process holds after the step (and a ``gc.collect()``)."""
    if "VmRSS" not in result["after"] or "VmRSS" not in result["before"]:
        return None
    return float(result["after"]["VmRSS"] - result["before"]["VmRSS"])


def parse_all(bodies: list[str]) -> list[Any]:
    """``json.loads`` of every stored event."""
    loads = json.loads
    return [loads(body) for body in bodies]


def load_all(documents: list[Any]) -> list[Event]:
    """``load_event`` of every document, as ``restore`` calls it (with where it is)."""
    key = STORE_KEY
    return [load_event(doc, f"{key}.events[seq {i}]") for i, doc in enumerate(documents, 1)]


def bench_replay(cfg: Config, directory: str) -> list[Row]:
    n = cfg.replay_pairs
    count = n * EVENTS_PER_PAIR
    path = fresh_db(directory, "replay")
    built = run_child("build", path, n)

    # The steps of restore, in this process, each once, gc enabled (as restore runs it), each
    # with only its own input and output alive.
    store = SQLiteStore(path)
    read_s, log = timed_result(functools.partial(store.read, STORE_KEY))
    assert len(log.events) == count
    definition = log.definition
    del log
    store.close()
    db = sqlite3.connect(path)
    bodies = [row[2] for row in db.execute(ROWS, (STORE_KEY,))]
    db.close()
    assert len(bodies) == count
    loads_s, docs = timed_result(functools.partial(parse_all, bodies))
    del bodies
    load_s, events = timed_result(functools.partial(load_all, docs))
    del docs
    programme = Programme(**load_definition(definition))
    replay_s, _ = timed_result(functools.partial(replay, programme, events))
    assert len(programme.history) == count
    del programme, events
    gc.collect()

    restored = run_child("restore", path, n)
    unmanaged = run_child("restore-nogc", path, n)
    remove_db(path)

    limit = REPLAY_LIMIT_S * count / REPLAY_EVENTS
    pro_rata = "" if count == REPLAY_EVENTS else " pro rata"
    build_s = built["seconds"]
    rows = [
        Row(
            f"5  Programme.restore, {count:,} events  vs the commands run",
            restored["seconds"],
            build_s,
            "s",
            f"<= {limit:g} s{pro_rata}",
            restored["seconds"] <= limit,
        ),
        Row("   same, gc disabled during restore", unmanaged["seconds"], build_s, "s"),
        Row("   store.read (SELECT, json.loads)  vs json.loads alone", read_s, loads_s, "s"),
        Row(f"   load_event x{count:,}  vs json.loads alone", load_s, loads_s, "s"),
        Row("   replay (events loaded)  vs the commands run", replay_s, build_s, "s"),
        Row(f"   persist: one append of {count:,} events", built["persist"], None, "s"),
    ]
    peak, base_peak = peak_growth(restored), peak_growth(built)
    held, base_held = kept(restored), kept(built)
    if peak is not None and base_peak is not None:
        rows.append(Row("   restore: peak RSS growth  vs the commands run", peak, base_peak, "MB"))
    if held is not None and base_held is not None:
        rows.append(Row("   restore: RSS kept after  vs the commands run", held, base_held, "MB"))
    return rows


# -- scenarios (target 6) and the command line's start (target 7) -----------------------------

SCENARIO = "inclucities"
IMPORT_LINE = "import time:"


def lean(scenario: Scenario) -> Scenario:
    """The same scenario without its deadline rules: no deadline watch (an info row)."""
    return attrs.evolve(scenario, programme=attrs.evolve(scenario.programme, deadlines=()))


def play_inclucities() -> Programme:
    """IncluCities as direct commands: ``programme()`` and ``play()`` (the baseline)."""
    programme = inclucities.programme()
    inclucities.play(programme)
    return programme


def check_timeline(timeline: Timeline) -> None:
    """Untimed: the simulation ran IncluCities as it happened."""
    assert timeline.completed_on == pendulum.date(2023, 3, 29), timeline.completed_on
    assert timeline.ends_on == pendulum.date(2023, 3, 31), timeline.ends_on
    assert not timeline.refusals, timeline.refusals
    assert not timeline.missed, timeline.missed
    assert len(timeline.phases) == 4 * 8  # four pairs, eight phases each


def check_played(programme: Programme) -> None:
    """Untimed: the direct commands ran IncluCities to its end, extended."""
    assert programme.ends_on == pendulum.date(2023, 3, 31), programme.ends_on
    assert len(programme.pairs) == 4
    assert all(p.status is PairStatus.COMPLETED for p in programme.pairs.values())


# In a fresh interpreter that has imported nothing of mentorflow's (this script's own module
# constants would warm the caches: its Partner values load holidays' country list): the import,
# the first ``load_scenario`` and ``simulate`` (they warm the caches), then a second of each.
COLD_SCENARIO = """
import json, time
clock = time.perf_counter
t0 = clock()
from mentorflow.scenario import load_scenario
t1 = clock()
scenario = load_scenario("inclucities")
t2 = clock()
first = scenario.simulate()
t3 = clock()
scenario = load_scenario("inclucities")
t4 = clock()
second = scenario.simulate()
t5 = clock()
assert second == first
print(json.dumps({
    "import": t1 - t0, "first_load": t2 - t1, "first_run": t3 - t2,
    "second_load": t4 - t3, "second_run": t5 - t4, "completed_on": str(first.completed_on),
}))
"""


def cold_scenario() -> dict[str, Any]:
    """``COLD_SCENARIO`` in a fresh interpreter: seconds of each step."""
    done = subprocess.run(
        [sys.executable, "-c", COLD_SCENARIO], check=True, capture_output=True, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    assert result["completed_on"] == "2023-03-29", result
    return result


def per_call(calls: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Seconds of each call, ``runs`` times, interleaved (so drift hits every call alike), the
    garbage collector enabled as a user runs it (collected once, before the first call)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    gc.collect()
    clock = time.perf_counter
    for _ in range(runs):
        for name, call in calls.items():
            start = clock()
            call()
            samples[name].append(clock() - start)
    return samples


def bench_scenario(cfg: Config) -> list[Row]:
    n = cfg.simulate_runs
    cold = cold_scenario()

    # Load once and warm up once, untimed (see the fresh-process rows for the first run).
    scenario = load_scenario(SCENARIO)
    timeline = scenario.simulate()
    check_timeline(timeline)
    check_played(play_inclucities())
    no_rules = lean(scenario)
    lean_timeline = no_rules.simulate()
    assert lean_timeline.phases == timeline.phases  # the same work, less the deadline watch
    assert lean_timeline.visits == timeline.visits
    assert not lean_timeline.deadlines

    runs = per_call(
        {"simulate": scenario.simulate, "direct": play_inclucities, "lean": no_rules.simulate},
        n,
    )
    assert scenario.simulate() == timeline  # deterministic
    ms = {name: statistics.median(values) * 1e3 for name, values in runs.items()}
    best = {name: min(values) * 1e3 for name, values in runs.items()}

    text = shipped()[SCENARIO].read_text(encoding="utf-8")
    loads = max(5, n // 10)
    load = per_call(
        {"load": functools.partial(load_scenario, SCENARIO), "toml": lambda: tomllib.loads(text)},
        loads,
    )
    load_ms = {name: statistics.median(values) * 1e3 for name, values in load.items()}

    rate, need = 1e3 / ms["simulate"], MONTE_CARLO_RATE
    rules = len(scenario.programme.deadlines)
    how_far = f"{need / rate:.2f}x too slow" if rate < need else f"{rate / need:.2f}x the need"
    NOTES.append(
        f"Target 6: issue 7's Monte Carlo needs >= {need} IncluCities runs/s per core "
        f"(<= {1e3 / need:g} ms each): simulate() does {rate:,.0f}/s ({ms['simulate']:.2f} ms), "
        f"{how_far}; without its {rules} deadline rules {1e3 / ms['lean']:,.0f}/s. "
        "`--detail` profiles simulate()."
    )
    return [
        Row(
            f"6  simulate() IncluCities, median of {n}  vs programme()+play()",
            ms["simulate"],
            ms["direct"],
            "ms",
            f"<= {SIMULATE_LIMIT_MS:g} ms",
            ms["simulate"] <= SIMULATE_LIMIT_MS,
        ),
        Row(
            f"   same, best of {n}  vs best of programme()+play()",
            best["simulate"],
            best["direct"],
            "ms",
        ),
        Row(
            f"   same, without its {rules} deadline rules  vs simulate()",
            ms["lean"],
            ms["simulate"],
            "ms",
        ),
        Row(
            "   runs/s per core (1/median)  vs programme()+play()",
            rate,
            1e3 / ms["direct"],
            "/s",
            f"issue 7: >= {need}/s",
        ),
        Row(
            "   first simulate(), fresh process  vs its second",
            cold["first_run"] * 1e3,
            cold["second_run"] * 1e3,
            "ms",
        ),
        Row(
            "   first load_scenario(), fresh process  vs its second",
            cold["first_load"] * 1e3,
            cold["second_load"] * 1e3,
            "ms",
        ),
        Row(
            f"   load_scenario(), warm, median of {loads}  vs tomllib.loads",
            load_ms["load"],
            load_ms["toml"],
            "ms",
        ),
    ]


def console_script() -> str | None:
    """The ``mentorflow`` console script installed beside this interpreter, if there is one."""
    folder = Path(sys.executable).parent
    for name in ("mentorflow", "mentorflow.exe"):
        if (folder / name).is_file():
            return str(folder / name)
    return None


def startup_s(argv: list[str]) -> float:
    """Seconds from starting ``argv`` to its exit (which must be 0), output discarded."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


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


def bench_startup(cfg: Config) -> list[Row]:
    n = cfg.startup_runs
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
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(n):  # interleaved
        for name, argv in commands.items():
            samples[name].append(startup_s(argv))
    s = {name: statistics.median(values) for name, values in samples.items()}

    modules = help_imports()
    heavy = sorted({p for name, _ in modules for p in HEAVY_MODULES if is_in(name, p)})
    installed = [p for p in HEAVY_MODULES if importlib.util.find_spec(p) is not None]
    IMPORT_DETAIL[:] = modules
    if heavy:
        NOTES.append(f"Target 7: `mentorflow --help` imports {', '.join(heavy)}.")
    if script is None:
        NOTES.append(f"Target 7: no `mentorflow` console script beside {python}; not timed.")
    rows = [
        Row(
            f"7  python -m mentorflow --help, median of {n}  vs python -c pass",
            s["module"],
            s["pass"],
            "s",
            f"<= {HELP_LIMIT_S:g} s",
            s["module"] <= HELP_LIMIT_S,
        )
    ]
    if script is not None:
        rows.append(
            Row(
                "7  mentorflow --help (console script)  vs python -c pass",
                s["script"],
                s["pass"],
                "s",
                f"<= {HELP_LIMIT_S:g} s",
                s["script"] <= HELP_LIMIT_S,
            )
        )
    rows += [
        Row('   python -c "import mentorflow"  vs python -c pass', s["import"], s["pass"], "s"),
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


# -- Monte Carlo (target 8) -------------------------------------------------------------------

PLAN = "inclucities-plan"  # uncertain: every run draws its durations and the Covid-19 delay
MC_SEED = 1
WARM_UP_RUNS = 200  # the warm pool's untimed first montecarlo: both workers start, unpickle
SPIN = 5_000_000  # iterations of the machine's own parallel ceiling (~0.3 s)


def usable_cpus() -> int:
    """The CPUs this process may run on (what ``montecarlo``'s default ``workers`` uses)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity outside Linux
        return os.cpu_count() or 1


def load_average() -> str:
    try:
        return "/".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def digest(forecast: Forecast) -> str:
    """A forecast's fingerprint, to compare forecasts made in different processes."""
    return hashlib.sha256(repr(forecast).encode()).hexdigest()


def simulate_loop(scenario: Scenario, runs: int) -> None:
    """The baseline: ``runs`` bare simulations (the median run: no draws, no tally)."""
    for _ in range(runs):
        simulate(scenario)


def drawn_loop(scenario: Scenario, runs: int, seed: int) -> None:
    """What montecarlo's runs simulate, without the tally: each run with its own generator."""
    for run in range(runs):
        simulate(scenario, rng=run_rng(seed, run))


def spin(n: int) -> int:
    """A pure-Python CPU-bound loop: on 2 processes beside 1, how parallel the machine is."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def child_montecarlo(name: str, runs: int) -> dict[str, Any]:
    """In a fresh process: ``montecarlo(load_scenario(name), runs, seed=1, workers=2)``, timed
    with the pool's start-up and shut-down, as a user's first call gets them (the forkserver
    too); the scenario is loaded and simulated once first, untimed, as in this process."""
    scenario = load_scenario(name)
    simulate(scenario)
    seconds, forecast = timed_result(lambda: montecarlo(scenario, runs, seed=MC_SEED, workers=2))
    assert forecast.done == runs
    return {"seconds": seconds, "forecast": digest(forecast)}


CHILDREN["montecarlo"] = child_montecarlo


def core_share(run: Callable[[], T]) -> tuple[T, float]:
    """``run()``'s result, and the share of a core this process had while it ran: its CPU time
    over the wall time (well below 1 when other processes compete for the cores)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, (time.process_time() - cpu) / (time.perf_counter() - wall)


def rates(calls: dict[str, Callable[[], object]], runs: int, repeats: int) -> dict[str, float]:
    """Runs per second of each call (each does ``runs`` runs): the median of ``repeats``
    repeats, interleaved, gc enabled (collected before each call)."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            samples[name].append(runs / timed_with_gc(call))
    return {name: statistics.median(values) for name, values in samples.items()}


def bench_montecarlo(cfg: Config) -> list[Row]:
    n, cpus = cfg.mc_runs, usable_cpus()
    before = load_average()
    plan, happened = load_scenario(PLAN), load_scenario(SCENARIO)
    assert plan.uncertain
    assert not happened.uncertain
    check_timeline(simulate(happened))
    simulate(plan)  # warm up, untimed
    drawn = [simulate(plan, rng=run_rng(MC_SEED, run)) for run in range(20)]
    assert len({t.completed_on for t in drawn}) > 1, "the plan's runs should differ"

    # (a) in this process, one core
    a, share = core_share(
        lambda: rates(
            {
                "plan": lambda: montecarlo(plan, n, seed=MC_SEED, workers=1),
                "plan-simulate": lambda: simulate_loop(plan, n),
                "plan-drawn": lambda: drawn_loop(plan, n, MC_SEED),
                "happened": lambda: montecarlo(happened, n, seed=MC_SEED, workers=1),
                "happened-simulate": lambda: simulate_loop(happened, n),
            },
            n,
            cfg.mc_repeats,
        )
    )
    rate, need = a["plan"], MONTE_CARLO_RATE
    rows = [
        Row(
            f"8  montecarlo({PLAN}, {n}, workers=1) runs/s  vs simulate() loop",
            rate,
            a["plan-simulate"],
            "/s",
            f">= {need}/s",
            rate >= need,
        ),
        Row(
            "   same runs, drawn durations, no tally  vs simulate() loop",
            a["plan-drawn"],
            a["plan-simulate"],
            "/s",
        ),
        Row(
            f"   montecarlo({SCENARIO}, {n}, workers=1) (nothing uncertain)  vs simulate() loop",
            a["happened"],
            a["happened-simulate"],
            "/s",
        ),
    ]

    # (b) two local worker processes against one, on the same runs
    m = cfg.pool_runs
    speed_up = f">= {SPEED_UP_LIMIT:g}x"
    if cpus < 2:
        NOTES.append(f"Target 8: {cpus} usable CPU; the two-worker target needs 2: not run.")
        rows.append(
            Row(
                f"8  montecarlo({PLAN}, {m:,}, workers=2) runs/s  vs workers=1",
                None,
                None,
                "/s",
                f"{speed_up}: not applicable (needs 2 cores)",
            )
        )
        NOTES.append(
            f"Target 8: load average {before} before, {load_average()} after; this process "
            f"had {share:.0%} of a core during the in-process runs."
        )
        return rows

    seconds: dict[str, list[float]] = {"cold": [], "one": [], "warm": [], "spin": [], "spin2": []}
    shares: list[float] = []  # of a core, during the workers=1 runs
    forecasts: set[str] = set()
    forkserver = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=forkserver) as pool:
        forecast = montecarlo(plan, WARM_UP_RUNS, seed=MC_SEED, executor=pool)
        assert forecast.done == WARM_UP_RUNS
        for _ in range(cfg.pool_repeats):  # interleaved
            cold = run_child("montecarlo", PLAN, m)
            seconds["cold"].append(cold["seconds"])
            forecasts.add(cold["forecast"])
            for name, kwargs in (("one", {"workers": 1}), ("warm", {"executor": pool})):
                (took, forecast), got = core_share(
                    functools.partial(
                        timed_result,
                        functools.partial(montecarlo, plan, m, seed=MC_SEED, **kwargs),
                    )
                )
                seconds[name].append(took)
                if name == "one":
                    shares.append(got)
                forecasts.add(digest(forecast))
            seconds["spin"].append(timed_with_gc(functools.partial(spin, SPIN)))
            seconds["spin2"].append(timed_with_gc(lambda: list(pool.map(spin, [SPIN, SPIN]))))
    # Untimed: the same seed gives the same forecast, whoever ran the runs.
    assert len(forecasts) == 1, "the forecasts differ between workers=1, 2 and the warm pool"
    s = {name: statistics.median(values) for name, values in seconds.items()}
    per_s = {name: m / value for name, value in s.items()}
    ratio = per_s["cold"] / per_s["one"]
    ceiling = 2 * s["spin"] / s["spin2"]
    rows += [
        Row(
            f"8  montecarlo({PLAN}, {m:,}, workers=2), pool start-up in  vs workers=1",
            per_s["cold"],
            per_s["one"],
            "/s",
            speed_up,
            ratio >= SPEED_UP_LIMIT,
        ),
        Row(
            "   same, on a warm pool of 2 (executor=)  vs workers=1",
            per_s["warm"],
            per_s["one"],
            "/s",
        ),
        Row(
            f"   same, {m:,} runs on 2 workers, pool started  vs warm pool",
            s["cold"],
            s["warm"],
            "s",
        ),
        Row(
            "   the machine: a pure-Python loop, iterations/s on the warm pool  vs here",
            2 * SPIN / s["spin2"],
            SPIN / s["spin"],
            "/s",
        ),
    ]
    NOTES.append(
        f"Target 8: {cpus} usable CPUs; load average (1/5/15 min) {before} before, "
        f"{load_average()} after; this process had {share:.0%} of a core during the "
        f"in-process runs, {statistics.median(shares):.0%} during the workers=1 runs (another "
        "busy process makes every figure read low, and the 2-worker speed-up most). "
        f"Pool start-up and shut-down cost ~{s['cold'] - s['warm']:.2f} s a call; "
        f"2 workers on a warm pool: {per_s['warm'] / per_s['one']:.2f}x one, where a pure-Python "
        f"loop reaches {ceiling:.2f}x (the machine's own ceiling, as busy as it was)."
    )
    return rows


def where(key: tuple[str, int, str]) -> str:
    """A profiler entry's function, with a short path."""
    file, line, function = key
    if file == "~":
        return function  # a built-in
    for marker in ("site-packages/", "/src/"):
        if marker in file:
            file = file.rsplit(marker, 1)[1]
            break
    else:
        file = os.path.basename(file)
    return f"{file}:{line} {function}"


def print_simulate_profile(runs: int) -> None:
    """Where ``simulate()``'s time goes: cProfile over ``runs`` simulations of IncluCities (it
    slows function calls, so the shares are a guide, not a measurement)."""
    scenario = load_scenario(SCENARIO)
    scenario.simulate()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        scenario.simulate()
    profiler.disable()
    # mentorflow's own functions, less the two simulate() wrappers
    print_profile(profiler, runs, "simulate()", wrappers=2)


def print_chunk_profile(runs: int) -> None:
    """Where an in-process Monte Carlo chunk's time goes: cProfile over ``run_chunk`` of
    ``runs`` runs of the uncertain IncluCities plan (a guide, as for simulate())."""
    scenario = load_scenario(PLAN)
    simulate(scenario)
    tally = Tally()
    profiler = cProfile.Profile()
    profiler.enable()
    run_chunk(scenario, MC_SEED, 0, runs, tally)
    profiler.disable()
    assert tally.runs == runs
    # less run_chunk and the two simulate() wrappers
    print_profile(profiler, runs, "a montecarlo chunk (run_chunk)", wrappers=3)


def print_profile(profiler: cProfile.Profile, runs: int, what: str, *, wrappers: int) -> None:
    """The top functions of ``profiler``, per run: by own time, and (less the first
    ``wrappers``, which contain everything) by time with callees, mentorflow only."""
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]  # {key: (cc, nc, tt, ct, callers)}
    total = sum(entry[2] for entry in entries.values())
    print(
        f"Where {what}'s time goes (cProfile, {runs} runs, {total / runs * 1e3:.2f} ms per "
        "run profiled; per run: own time, with callees, the share of the total, calls):"
    )
    for title, column in (("own time", 2), ("time with callees, mentorflow only", 3)):
        print(f"  by {title}:")
        chosen = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)
        if column == 3:
            chosen = [item for item in chosen if "mentorflow" in item[0][0]][wrappers:]
        for key, entry in chosen[:12]:
            calls, own, cumulative = entry[1], entry[2], entry[3]
            print(
                f"    {own / runs * 1e3:6.3f} ms {cumulative / runs * 1e3:6.3f} ms "
                f"{entry[column] / total:4.0%} {calls / runs:7.1f}  {where(key)}"
            )


def print_import_detail(modules: list[tuple[str, int]]) -> None:
    """Where ``mentorflow --help``'s imports spend their time, by top-level package."""
    by_package: Counter[str] = Counter()
    for name, own_us in modules:
        by_package[name.partition(".")[0]] += own_us
    total = sum(by_package.values())
    print(f"Imports of `python -X importtime -m mentorflow --help`: {total / 1e3:.0f} ms in all")
    for package, own_us in by_package.most_common(10):
        print(f"  {own_us / 1e3:6.1f} ms {own_us / total:4.0%}  {package}")


def print_memory_detail(n: int) -> None:
    """Where the bytes of a pair go, by the source line that allocated them."""
    programme = new_programme()
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.take_snapshot()
        add_pairs(programme, n)
        gc.collect()
        end = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    print(f"Bytes per pair by allocating line ({n:,} pairs, tracemalloc):")
    total = 0.0
    for stat in end.compare_to(start, "lineno"):
        per_pair = stat.size_diff / n
        total += per_pair
        if abs(per_pair) >= 1:
            frame = stat.traceback[0]
            where = f"{os.path.relpath(frame.filename)}:{frame.lineno}"
            print(f"  {per_pair:7.1f} B  {stat.count_diff / n:5.2f} blocks  {where}")
    print(f"  {total:7.1f} B  in all (the key string is the benchmarks/run.py line)")


# -- report -----------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "us":
        if value >= 100_000:
            return f"{value / 1e6:,.3f} s"
        return f"{value:,.2f} us" if value < 100 else f"{value:,.0f} us"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:,.2f} ms"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "modules":
        return f"{value:.0f}"
    if unit == "ev/s":
        return f"{value:,.0f} ev/s"
    if unit == "MB":
        return f"{value / 1e6:,.0f} MB"
    return f"{value:,.0f} B"


def fmt_ratio(row: Row) -> str:
    if not row.baseline or row.measured is None:
        return "-"
    ratio = row.measured / row.baseline
    if ratio < 0.001:
        return f"1/{1 / ratio:,.0f}"
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.3f}x"


def print_table(rows: Sequence[Row]) -> None:
    header = ("figure", "measured", "baseline", "ratio", "target", "result")
    cells = [
        (
            row.figure,
            fmt(row.measured, row.unit),
            fmt(row.baseline, row.unit),
            fmt_ratio(row),
            row.target,
            "-" if row.passed is None else ("PASS" if row.passed else "FAIL"),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(values[1:5], widths[1:5], strict=True)]
        return "  ".join([first, *rest, values[5].ljust(widths[5])]).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for values in cells:
        print(line(values))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if any target fails")
    parser.add_argument("--quick", action="store_true", help="smoke test: fewer repeats, pairs")
    parser.add_argument(
        "--detail",
        action="store_true",
        help="where a pair's bytes go; simulate()'s and a montecarlo chunk's profiles; "
        "--help's imports",
    )
    parser.add_argument(
        "--only", nargs="+", type=int, choices=range(1, 9), metavar="N", help="run targets N only"
    )
    parser.add_argument(
        "--dir", help="where targets 4 and 5 write their SQLite files (default: the temp dir)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # mode, path, pairs
    args = parser.parse_args(argv)
    if args.child:
        mode, path, pairs = args.child
        print(json.dumps(CHILDREN[mode](path, int(pairs))))
        return 0
    cfg = QUICK if args.quick else FULL
    only = set(args.only or range(1, 9))

    print(
        f"mentorflow {mentorflow.__version__}, transitions {version('transitions')}, "
        f"pendulum {version('pendulum')}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"({usable_cpus()} usable)"
    )
    if args.quick:
        print(
            "QUICK RUN: fewer repeats and pairs; the figures are a smoke test, NOT taken under"
            " the targets' conditions."
        )
    print(
        f"Target 1: per call, median of {cfg.command_repeats} interleaved repeats of "
        f"{cfg.command_calls:,} calls, gc disabled while timed. Target 2 time: median of "
        f"{cfg.pair_repeats} repeats of {cfg.pairs:,} pairs, gc enabled. Memory: tracemalloc, "
        f"{cfg.memory_pairs:,} pairs, a separate untimed pass. Target 3: per check, median of "
        f"{cfg.check_repeats} repeats of {cfg.check_calls:,} calls, gc disabled; naive scan: "
        f"median of {cfg.naive_repeats}, {cfg.deadline_pairs:,} pairs. Target 4: events/s, "
        f"median of {cfg.append_repeats} interleaved repeats of {cfg.append_commands:,} "
        f"appends, gc enabled. Target 5: {cfg.replay_pairs * EVENTS_PER_PAIR:,} events, "
        "each figure once, gc enabled; restore and memory in fresh processes. Target 6: per "
        f"run, median of {cfg.simulate_runs} interleaved runs, gc enabled; first runs in a "
        f"fresh process. Target 7: median of {cfg.startup_runs} interleaved starts of each "
        f"command, after one warm-up start. Target 8: runs/s, median of {cfg.mc_repeats} "
        f"interleaved repeats of {cfg.mc_runs:,} runs in this process; 2 workers: median of "
        f"{cfg.pool_repeats} interleaved repeats of {cfg.pool_runs:,} runs, the pool started "
        "in a fresh process; gc enabled."
    )

    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="mentorflow-bench-", dir=args.dir) as directory:
        if only & {4, 5}:
            print(f"SQLite files in {directory} ({file_system(directory)}).")
        print()
        if 1 in only:
            rows += bench_command(cfg)
        if 2 in only:
            rows += bench_pairs(cfg)
            rows += bench_memory(cfg)
        if 3 in only:
            rows += bench_deadlines(cfg)
        if 4 in only:
            rows += bench_appends(cfg, directory)
        if 5 in only:
            rows += bench_replay(cfg, directory)
    if 6 in only:
        rows += bench_scenario(cfg)
    if 7 in only:
        rows += bench_startup(cfg)
    if 8 in only:
        rows += bench_montecarlo(cfg)
    print_table(rows)
    if NOTES:
        print()
        for note in NOTES:
            print(note)
    if args.detail and 2 in only:
        print()
        print_memory_detail(min(cfg.memory_pairs, 20_000))
    if args.detail and 6 in only:
        print()
        print_simulate_profile(cfg.profile_runs)
    if args.detail and 8 in only:
        print()
        print_chunk_profile(cfg.chunk_runs)
    if args.detail and IMPORT_DETAIL:
        print()
        print_import_detail(IMPORT_DETAIL)

    failed = [row.figure.strip() for row in rows if row.passed is False]
    targets = sum(row.passed is not None for row in rows)
    which = f": {'; '.join(failed)}" if failed else ""
    took = time.perf_counter() - started
    print(f"\n{len(failed)} of {targets} targets failed{which}. Ran in {took:.0f} s.")
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
