"""The durable outbox: named consumers with stored positions, at least once, in order, on
every store; leases so that two consumers of one name never both deliver an event."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pendulum
import pytest

from mentorflow import (
    DeadlineMissed,
    DeliveryError,
    Event,
    JsonLinesStore,
    LeaseLost,
    MemoryStore,
    Outbox,
    Phase,
    SQLiteStore,
    Store,
    ValidationError,
)
from service_programmes import populated

Seen = list[tuple[str, int]]


def recorder(seen: Seen) -> Callable[[str, Event], None]:
    return lambda key, event: seen.append((key, event.seq))


def every_event(store: Store) -> Seen:
    keys = store.keys()
    return [(key, seq) for key in keys for seq in range(1, store.version(key) + 1)]


class TestDeliver:
    """Tests for Outbox.deliver on every store."""

    def test_every_event_once_in_order(self, make_store: Callable[[], Store]) -> None:
        """A pass delivers every event of every programme, in order; the next, nothing."""
        store = make_store()
        populated(store, "a")
        populated(store, "b", pairs=2)
        seen: Seen = []
        outbox = Outbox(store, "mailer", recorder(seen))
        assert len(every_event(store)) == outbox.deliver()
        assert every_event(store) == seen
        assert {k: store.version(k) for k in ("a", "b")} == outbox.positions()
        assert 0 == outbox.deliver()
        assert {} == outbox.lag()

    def test_positions_survive_a_new_store_object(self, make_store: Callable[[], Store]) -> None:
        """A restarted process (a new store object) delivers only what came since."""
        store = make_store()
        programme = populated(store, "a")
        Outbox(store, "mailer", lambda key, event: None).deliver()
        done = programme.version
        programme.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        seen: Seen = []
        assert {"a": programme.version - done} == Outbox(
            make_store(), "mailer", recorder(seen)
        ).lag()
        Outbox(make_store(), "mailer", recorder(seen)).deliver()
        assert [("a", seq) for seq in range(done + 1, programme.version + 1)] == seen

    def test_consumers_are_independent(self, make_store: Callable[[], Store]) -> None:
        """Two consumer names each get every event."""
        store = make_store()
        populated(store, "a")
        first: Seen = []
        second: Seen = []
        Outbox(store, "mailer", recorder(first)).deliver()
        Outbox(store, "audit", recorder(second)).deliver()
        assert every_event(store) == first == second

    def test_handler_error_keeps_the_position(self, make_store: Callable[[], Store]) -> None:
        """The event the handler raised on is delivered again next time; other programmes go on."""
        store = make_store()
        populated(store, "a")
        populated(store, "b")
        seen: Seen = []
        failing = {("a", 3)}

        def handler(key: str, event: Event) -> None:
            if (key, event.seq) in failing:
                failing.clear()
                raise RuntimeError("the mail server is down")
            seen.append((key, event.seq))

        outbox = Outbox(store, "mailer", handler)
        with pytest.raises(DeliveryError) as raised:
            outbox.deliver()
        assert (("a", 3),) == raised.value.failed
        assert 2 + store.version("b") == raised.value.delivered
        assert ["the mail server is down"] == [str(e) for e in raised.value.exceptions]
        assert 2 == outbox.positions()["a"]
        assert store.version("b") == outbox.positions()["b"]
        outbox.deliver()
        assert sorted(every_event(store)) == sorted(seen)

    def test_crash_in_an_after_hook_delivers_on_restart(
        self, make_store: Callable[[], Store]
    ) -> None:
        """A process that dies in its after hook (the change is stored) loses no delivery."""
        store = make_store()
        programme = populated(store, "a")
        outbox = Outbox(store, "mailer", lambda key, event: None)
        outbox.deliver()

        def die(event: Event) -> None:
            raise KeyboardInterrupt  # the process is going down, before any mail is sent

        programme.subscribe(DeadlineMissed, die)
        with pytest.raises(KeyboardInterrupt):
            programme.check_deadlines(at=pendulum.datetime(2021, 1, 4, tz="UTC"))
        missed: list[Event] = []
        Outbox(make_store(), "mailer", lambda key, event: missed.append(event)).deliver()
        assert missed
        assert all(isinstance(e, DeadlineMissed) for e in missed)
        assert store.version("a") == missed[-1].seq

    def test_stop_finishes_the_current_delivery(self, make_store: Callable[[], Store]) -> None:
        """``stop`` is asked before each event: the pass ends with its position stored."""
        store = make_store()
        populated(store, "a")
        seen: Seen = []
        outbox = Outbox(store, "mailer", recorder(seen))
        assert 2 == outbox.deliver(stop=lambda: len(seen) >= 2)
        assert {"a": 2} == outbox.positions()

    def test_deleted_programme_is_skipped(self, make_store: Callable[[], Store]) -> None:
        """A programme deleted since the keys were listed is not an error."""
        store = make_store()
        populated(store, "a")
        outbox = Outbox(store, "mailer", lambda key, event: None)
        assert 0 == outbox.deliver(keys=["gone"])


class TestLeases:
    """Tests for the stores' outbox leases."""

    def test_one_holder_at_a_time(self, make_store: Callable[[], Store]) -> None:
        """A held lease is refused to another holder until it is released."""
        store = make_store()
        populated(store, "a")
        assert 0 == store.outbox_claim("mailer", "a", "host:1:one", 30)
        assert None is make_store().outbox_claim("mailer", "a", "host:1:two", 30)
        with pytest.raises(LeaseLost):
            make_store().outbox_advance("mailer", "a", "host:1:two", 5, 30)
        store.outbox_advance("mailer", "a", "host:1:one", 5, 30)
        store.outbox_release("mailer", "a", "host:1:one")
        assert 5 == make_store().outbox_claim("mailer", "a", "host:1:two", 30)

    def test_killed_holder_is_taken_over(self, make_store: Callable[[], Store]) -> None:
        """The lease of a process of this host that no longer runs is free at once."""
        store = make_store()
        populated(store, "a")
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        holder = f"{os.uname().nodename}:{dead.stdout.strip()}:gone"
        if isinstance(store, JsonLinesStore):  # a lock file: a process takes it, and dies
            code = (
                "import sys; from mentorflow import JsonLinesStore; "
                "assert JsonLinesStore(sys.argv[1]).outbox_claim('mailer', 'a', 'x:1:y', 30) == 0"
            )
            subprocess.run([sys.executable, "-c", code, str(store.directory)], check=True)
        else:
            assert 0 == store.outbox_claim("mailer", "a", holder, 3600)
        assert 0 == make_store().outbox_claim("mailer", "a", "host:1:next", 30)

    @pytest.mark.parametrize("kind", ["memory", "sqlite"])
    def test_expired_lease_is_taken_over(self, kind: str, tmp_path: Path) -> None:
        """A lease not renewed in time goes to the next claimant; the old holder can't advance."""
        store: Store = MemoryStore() if kind == "memory" else SQLiteStore(tmp_path / "s.db")
        populated(store, "a")
        assert 0 == store.outbox_claim("mailer", "a", "elsewhere:1:one", 0.05)
        time.sleep(0.1)
        assert 0 == store.outbox_claim("mailer", "a", "elsewhere:1:two", 30)
        with pytest.raises(LeaseLost):
            store.outbox_advance("mailer", "a", "elsewhere:1:one", 1, 30)

    def test_concurrent_consumers_deliver_each_event_once(
        self, make_store: Callable[[], Store]
    ) -> None:
        """Four outboxes of one name, in threads, with new events coming: each event once."""
        store = make_store()
        programmes = [populated(store, f"p{n}", pairs=2) for n in range(3)]
        seen: Seen = []
        lock = threading.Lock()

        def handler(key: str, event: Event) -> None:
            time.sleep(0.001)
            with lock:
                seen.append((key, event.seq))

        outboxes = [Outbox(make_store(), "mailer", handler) for _ in range(4)]
        done = threading.Event()

        def run(outbox: Outbox) -> None:
            while not done.is_set():
                outbox.deliver()

        threads = [threading.Thread(target=run, args=(o,)) for o in outboxes]
        for thread in threads:
            thread.start()
        for programme in programmes:
            programme.pair("pair-1").complete(Phase.NEEDS_ASSESSMENT)
        time.sleep(0.2)
        done.set()
        for thread in threads:
            thread.join()
        outboxes[0].deliver()
        assert sorted(every_event(store)) == sorted(seen)
        assert len(seen) == len(set(seen))
        for key in ("p0", "p1", "p2"):
            mine = [seq for k, seq in seen if k == key]
            assert sorted(mine) == mine


class TestValidation:
    """Tests for Outbox's arguments."""

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"store": "x"}, "store"),
            ({"consumer": "no spaces"}, "consumer"),
            ({"handler": 3}, "handler"),
            ({"lease": 0}, "lease"),
            ({"lease": True}, "lease"),
        ],
    )
    def test_bad_arguments(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad argument is a ValidationError naming it."""
        arguments: dict[str, object] = {
            "store": MemoryStore(),
            "consumer": "mailer",
            "handler": print,
            **kwargs,
        }
        store, consumer, handler = (
            arguments.pop("store"),
            arguments.pop("consumer"),
            arguments.pop("handler"),
        )
        with pytest.raises(ValidationError) as raised:
            Outbox(store, consumer, handler, **arguments)  # type: ignore[arg-type]
        assert field == raised.value.field
