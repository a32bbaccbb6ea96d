"""Stores shared between threads: 8 threads on one store object, nothing lost or duplicated."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from mentorflow import ConcurrencyError, Store

THREADS = 8
DEFINITION = {"schema": 2, "name": "test"}


@pytest.fixture(autouse=True)
def switch_often() -> Iterator[None]:
    """Make the interpreter switch threads as often as it can, so races show up."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_threads(target: Callable[[int], None], count: int = THREADS) -> None:
    """Run ``target(i)`` in ``count`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]


def append_retrying(store: Store, key: str, writer: int, count: int) -> int:
    """Append ``count`` events one by one, each retried on a conflict; return the conflicts."""
    conflicts = 0
    done = 0
    while done < count:
        version = store.version(key)
        event = {"seq": version + 1, "type": "Test", "writer": writer, "n": done}
        try:
            store.append(key, [event], expected_version=version)
        except ConcurrencyError:
            conflicts += 1
            continue
        done += 1
    return conflicts


def test_threads_append_to_one_programme(make_store: Callable[[], Store]) -> None:
    """8 threads append to one programme through one store object, retrying on conflicts:
    every event is there once, in order, and each writer's events in its own order."""
    store = make_store()
    store.create("p", DEFINITION)
    count = 60
    run_threads(lambda i: append_retrying(store, "p", i, count))
    log = store.read("p")
    assert list(range(1, THREADS * count + 1)) == [e["seq"] for e in log.events]
    for writer in range(THREADS):
        assert list(range(count)) == [e["n"] for e in log.events if e["writer"] == writer]


def test_threads_blind_appends_one_winner(make_store: Callable[[], Store]) -> None:
    """8 threads append at the same expected version at once: exactly one wins, the others
    get a ConcurrencyError, and the log holds the winner's event once."""
    store = make_store()
    store.create("p", DEFINITION)
    for round_ in range(20):
        outcome: list[str] = []

        def attempt(writer: int, version: int = round_, outcome: list[str] = outcome) -> None:
            event = {"seq": version + 1, "type": "Test", "writer": writer, "n": 0}
            try:
                store.append("p", [event], expected_version=version)
            except ConcurrencyError:
                outcome.append("conflict")
            else:
                outcome.append("won")

        run_threads(attempt)
        assert ["won"] == [o for o in outcome if o == "won"]
        assert THREADS - 1 == outcome.count("conflict")
    assert list(range(1, 21)) == [e["seq"] for e in store.read("p").events]


def test_threads_read_while_others_append(make_store: Callable[[], Store]) -> None:
    """Readers in 4 threads always see a whole log (a prefix, never a torn batch) while
    4 threads append batches of 3."""
    store = make_store()
    store.create("p", DEFINITION)
    seen: list[int] = []

    def work(index: int) -> None:
        if index % 2:
            append_batches(store, 40)
            return
        for _ in range(40):
            log = store.read("p")
            seqs = [e["seq"] for e in log.events]
            assert list(range(1, len(seqs) + 1)) == seqs
            assert 0 == len(seqs) % 3
            seen.append(len(seqs))

    run_threads(work)
    assert THREADS // 2 * 40 * 3 == store.version("p")
    assert seen


def append_batches(store: Store, count: int) -> None:
    """Append ``count`` batches of 3 events, retrying on conflicts."""
    done = 0
    while done < count:
        version = store.version("p")
        batch = [{"seq": version + i, "type": "Test"} for i in (1, 2, 3)]
        try:
            store.append("p", batch, expected_version=version)
        except ConcurrencyError:
            continue
        done += 1
