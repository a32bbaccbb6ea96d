"""Programmes for the service tests (outbox, worker, read model, asyncio), and the handler the
worker's process tests name on its command line (``service_programmes:record``)."""

from __future__ import annotations

import os
import time

import pendulum

from mentorflow import DeadlineRule, Event, ManualClock, Phase, Programme, Store, Theme

from helpers import CAPACI, MECHELEN

TZ = "Europe/Brussels"
START = pendulum.datetime(2020, 6, 17, 10, tz=TZ)
RULES = (
    DeadlineRule("needs_assessment", after="needs_assessment.started", weeks=8, lead_days=7),
    DeadlineRule("matching", after="matching.started", weeks=6),
    DeadlineRule("final_report", on=pendulum.date(2022, 6, 30), lead_days=30),
)


def programme(clock: ManualClock | None = None, *, name: str = "P") -> Programme:
    """A programme of 2020-2022 with phase and milestone deadlines, on a manual clock."""
    return Programme(
        name,
        starts_on=START.date(),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=clock or ManualClock(START),
        deadlines=RULES,
    )


def populated(store: Store, key: str, pairs: int = 3, *, completed: int = 1) -> Programme:
    """A programme of ``pairs`` pairs, the first ``completed`` past their needs assessment,
    persisted in ``store`` under ``key`` (in one write: the store has it whole or not at all)."""
    clock = ManualClock(START)
    made = programme(clock, name=key)
    for n in range(pairs):
        made.add_pair(f"pair-{n}", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
    clock.advance(weeks=4)
    for n in range(completed):
        made.pair(f"pair-{n}").complete(Phase.NEEDS_ASSESSMENT)
    made.persist(store, key)
    return made


def record(key: str, event: Event) -> None:
    """A handler for the worker's process tests: one line per delivery, appended with one
    write to the file named by MENTORFLOW_TEST_DELIVERIES (O_APPEND: whole lines, even from
    several processes), and flushed to disk before it returns."""
    line = f"{key} {event.seq} {type(event).__name__}\n".encode()
    fd = os.open(os.environ["MENTORFLOW_TEST_DELIVERIES"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def slow_record(key: str, event: Event) -> None:
    """`record`, taking half a second, with a line when it starts (a delivery under way when
    SIGTERM comes must be finished)."""
    path = os.environ["MENTORFLOW_TEST_DELIVERIES"]
    with open(path + ".started", "a") as started:
        started.write(f"{key} {event.seq}\n")
    time.sleep(0.5)
    record(key, event)
