"""Target 1: "a lifecycle command with one after-hook costs at most 1.2x a bare transitions
trigger".

measured  ``pair.complete(phase, at=t)`` on 10,000 fresh pairs of a programme with one after
          hook (``programme.subscribe(Event, handler)``), each pair completing its first phase
          of ``Lifecycle.linear(NEEDS_ASSESSMENT, MATCHING, TRANSFER_WORKSHOP)``: a real state
          change that emits PhaseCompleted and PhaseStarted and runs the hook on both. ``t`` is
          a pendulum DateTime in the programme's timezone (no conversion).
baseline  ``m.step()`` on one model of a bare ``transitions.Machine``: a 10-state ring whose
          transitions have a condition (``ok``) and whose states have an ``on_enter`` callback
          (``entered``), 10,000 calls.
info      The same command with ``at`` a stdlib ``datetime`` in UTC, and with no ``at`` (the
          programme's default SystemClock, which reads the time in the programme's zone): the
          first is converted to the programme's timezone
          (Europe/Brussels) on every call; and a hand-written dict-dispatch state machine doing
          what the baseline does. (The row "same, via transitions Event.trigger" is gone: it
          called the engine's private ``execute_via_machine``.)
how       Per call, the median of 7 repeats; the repeats interleave every variant so drift hits
          all of them alike. The garbage collector is collected, then disabled, during each
          timed loop (both sides), and the pairs are built outside the timed loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from mentorflow import Event, Pair, Phase

from ..programmes import COMPLETE_AT, COMPLETE_AT_STDLIB, add_pairs, new_programme
from ..report import Context, Row
from ..timing import interleaved, medians, timed_without_gc

RATIO_LIMIT = 1.2


@dataclass(frozen=True)
class Sizes:
    calls: int
    repeats: int


FULL = Sizes(calls=10_000, repeats=7)
QUICK = Sizes(calls=2_000, repeats=3)


def method(s: Sizes) -> str:
    return (
        f"Target 1: per call, median of {s.repeats} interleaved repeats of {s.calls:,} calls, "
        "gc disabled while timed."
    )


# -- the baselines: a bare transitions machine and a hand-written one (target 2 uses them too)

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


def run(s: Sizes, context: Context) -> list[Row]:
    n = s.calls
    phase = Phase.NEEDS_ASSESSMENT
    hook_calls = itertools.count()

    def hook(event: Event) -> None:
        next(hook_calls)

    ring_model = RingModel()
    ring_machine(ring_model)
    dict_model = DictModel()

    def bare() -> float:
        m = ring_model

        def loop() -> None:
            for _ in range(n):
                m.step()  # type: ignore[attr-defined]  # attached by transitions

        return timed_without_gc(loop) / n

    def by_hand() -> float:
        m = dict_model

        def loop() -> None:
            for _ in range(n):
                m.step()

        return timed_without_gc(loop) / n

    def commands(name: str, command: Callable[[Pair], object]) -> Callable[[], float]:
        def sample() -> float:
            programme = new_programme(hook)
            pairs = add_pairs(programme, n)
            before = next(hook_calls)

            def loop() -> None:
                for pair in pairs:
                    command(pair)

            seconds = timed_without_gc(loop)
            # Not timed: every pair changed phase, and the hook saw both events of each.
            assert all(pair.phase == Phase.MATCHING for pair in pairs), name
            assert next(hook_calls) - before == 2 * n + 1, name
            return seconds / n

        return sample

    samples = interleaved(
        {
            "bare": bare,
            "hand": by_hand,
            "cmd": commands("cmd", lambda p: p.complete(phase, at=COMPLETE_AT)),
            "stdlib": commands("stdlib", lambda p: p.complete(phase, at=COMPLETE_AT_STDLIB)),
            "clock": commands("clock", lambda p: p.complete(phase)),
        },
        s.repeats,
    )
    assert ring_model.entered_count == dict_model.entered_count == n * s.repeats

    us = {name: value * 1e6 for name, value in medians(samples).items()}
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
            independent=True,
        ),
        Row("   same, at= stdlib datetime in UTC", us["stdlib"], bare_us, "us", independent=True),
        Row("   same, no at= (the system clock)", us["clock"], bare_us, "us", independent=True),
        Row("   hand-written dict dispatch", us["hand"], bare_us, "us", independent=True),
    ]
