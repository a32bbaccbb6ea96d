"""`Outbox`: a named consumer of every programme's events in a store, at least once, in order.

An after hook runs in the process that made the change, once: a process killed between the
store's commit and the hook loses the notification. An outbox reads the *log* instead. Its
consumer has a position per programme (the ``seq`` of the last event its handler took),
kept by the store itself beside the logs; a pass hands the handler every event after it, in
order, and moves the position on after each one the handler returned from. A crash anywhere
leaves the position at the last event handled: the next pass (in this process or another)
delivers from there, so an event is delivered at least once, and twice only if the process
died after the handler returned and before its position was stored.

Several processes may feed one consumer: each programme is delivered by one of them at a
time, the holder of the consumer's *lease* on it (`Store.outbox_claim`: a row lock and a lease
in SQLite and PostgreSQL, a lock file for JSON Lines, a lock in memory). The others skip that
programme in that pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from .._core.persist import read_after
from .._domain.events import Event
from .._domain.validate import show
from .._storage.base import check_consumer, new_holder
from .._storage.stores import Store
from ..exceptions import (
    DeliveryError,
    LeaseLost,
    StoreError,
    UnknownProgrammeError,
    ValidationError,
)
from . import tracing

logger = logging.getLogger("mentorflow")

Handler = Callable[[str, Event], object]
"""What an outbox hands each event to: ``handler(programme_key, event)``."""


class Outbox:
    """A named consumer of the events of every programme in ``store``.

    Args:
        store: The store whose logs are read and which keeps the consumer's positions.
        consumer: The consumer's name (``"mailer"``): positions are kept per name, so two
            outboxes of one name share them (and take turns), two names are independent.
        handler: Called as ``handler(programme_key, event)`` for each event, in the log's
            order. It returns when the event is handled; if it raises, the position stays
            before that event, which is delivered again on the next pass.
        lease: Seconds a pass may hold a programme before another process may take it over
            (renewed by each delivery): longer than the handler ever takes. A holder that was
            killed on this host is taken over at once.

    Raises:
        ValidationError: a bad store, name, handler or lease.

    Examples:
        >>> import pendulum
        >>> from mentorflow import DeadlineRule, MemoryStore, Outbox, Programme
        >>> store = MemoryStore()
        >>> programme = Programme("P", starts_on=pendulum.date(2020, 6, 17),
        ...     ends_on=pendulum.date(2022, 12, 31),
        ...     deadlines=[DeadlineRule("report", on=pendulum.date(2020, 9, 1))])
        >>> programme.persist(store, "p")
        >>> _ = programme.check_deadlines(at=pendulum.datetime(2020, 9, 2, tz="UTC"))
        >>> seen = []
        >>> outbox = Outbox(store, "mailer",
        ...     lambda key, event: seen.append((key, event.seq, type(event).__name__)))
        >>> outbox.deliver(), seen, outbox.positions()
        (1, [('p', 1, 'DeadlineMissed')], {'p': 1})
        >>> outbox.deliver()  # nothing new
        0
    """

    def __init__(
        self, store: Store, consumer: str, handler: Handler, *, lease: float = 30.0
    ) -> None:
        if not isinstance(store, Store):
            raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
        try:
            check_consumer(consumer)
        except StoreError as err:
            raise ValidationError("consumer", str(err)) from None
        if not callable(handler):
            raise ValidationError("handler", f"{show(handler)} is not callable")
        if isinstance(lease, bool) or not isinstance(lease, int | float) or not lease > 0:
            raise ValidationError("lease", f"must be a number of seconds > 0, not {show(lease)}")
        self.store = store
        self.consumer = consumer
        self.handler = handler
        self.lease = float(lease)
        self.holder = new_holder()
        """This outbox's name as a lease holder (host, process and a token)."""

    def deliver(
        self, *, keys: Iterable[str] | None = None, stop: Callable[[], bool] | None = None
    ) -> int:
        """Hand the handler every event it has not taken yet, programme by programme; return
        how many it took.

        Args:
            keys: Only these programmes (default: every programme in the store).
            stop: Asked before each event; True ends the pass there (the event being handled
                is finished first: a worker's SIGTERM).

        Raises:
            DeliveryError: the handler raised (for one event per programme at most: that
                programme's delivery stopped there; the others went on).
        """
        delivered = 0
        failed: list[tuple[str, int, Exception]] = []
        # positions are read first (no lease, no write): a programme with nothing new is
        # not claimed, so idle passes of several workers don't queue for the store's lock
        positions = self.store.outbox_positions(self.consumer)
        for key in self.store.keys() if keys is None else keys:
            if stop is not None and stop():
                break
            try:
                if self.store.version(key) <= positions.get(key, 0):
                    continue
            except UnknownProgrammeError:  # deleted since the keys were listed
                continue
            done, error = self._deliver_one(key, stop)
            delivered += done
            if error is not None:
                failed.append((key, *error))
        if failed:
            error_ = DeliveryError(
                f"{self.consumer}: the handler raised for {len(failed)} programme(s); "
                "their positions stay before the events it raised for",
                [err for _, _, err in failed],
            )
            error_.failed = tuple((key, seq) for key, seq, _ in failed)
            error_.delivered = delivered
            raise error_
        return delivered

    def _deliver_one(
        self, key: str, stop: Callable[[], bool] | None
    ) -> tuple[int, tuple[int, Exception] | None]:
        """Deliver ``key``'s new events under the lease; (how many, the failure if any)."""
        store, consumer, holder = self.store, self.consumer, self.holder
        try:
            position = store.outbox_claim(consumer, key, holder, self.lease)
        except UnknownProgrammeError:  # deleted since the keys were listed
            return 0, None
        if position is None:
            return 0, None  # another process is delivering it
        done = 0
        try:
            if store.version(key) <= position:
                return 0, None
            for event in read_after(store, key, position):
                if stop is not None and stop():
                    break
                try:
                    with tracing.span(
                        "outbox.deliver",
                        programme=key,
                        consumer=consumer,
                        seq=event.seq,
                        event=type(event).__name__,
                    ):
                        self.handler(key, event)
                except Exception as err:
                    logger.warning(
                        "%s: %s's handler raised on event %d: %r", key, consumer, event.seq, err
                    )
                    return done, (event.seq, err)
                store.outbox_advance(consumer, key, holder, event.seq, self.lease)
                done += 1
        except LeaseLost as lost:
            logger.warning("%s: %s", key, lost)
        except UnknownProgrammeError:
            pass
        finally:
            store.outbox_release(consumer, key, holder)
        if done:
            logger.debug("%s: %s took %d events", key, consumer, done)
        return done, None

    def positions(self) -> dict[str, int]:
        """The consumer's position on each programme (the ``seq`` of the last event its
        handler took), as stored."""
        return self.store.outbox_positions(self.consumer)

    def lag(self) -> dict[str, int]:
        """How many events each programme has that the consumer has not taken yet."""
        positions = self.positions()
        found: dict[str, int] = {}
        keys = self.store.keys()
        for key in keys:
            behind = self.store.version(key) - positions.get(key, 0)
            if behind:
                found[key] = behind
        return found

    def __repr__(self) -> str:
        return f"<Outbox {self.consumer!r} on {type(self.store).__name__}>"
