"""`Worker`: deadline checks for every programme in a store, and an outbox, on a schedule.

What ``mentorflow worker`` runs. Each pass (`run_once`):

1. for every programme in the store, brings its copy up to date (restored the first time,
   refreshed after) and checks its deadlines: a `CheckDeadlines` command through the one
   transaction path. Several workers may check one programme at once: the store's optimistic
   concurrency lets one append win; a loser gets `ConcurrencyError` (nothing of its check is
   kept), refreshes, which replays the winner's alerts, and checks again, finding nothing
   due. So an alert is committed once per revision of its deadline, however many workers run;
2. drives the outbox (if one is given): every event not yet taken, to its handler, at least
   once and in order (see `Outbox`).

`run` repeats passes every ``every`` seconds until ``stop`` is set (the command line sets it on
SIGTERM and SIGINT): the delivery under way is finished, then the worker returns.
"""

from __future__ import annotations

import importlib
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import attrs

from .._core.programme import Programme
from .._domain.clock import Clock
from .._domain.events import Event
from .._domain.validate import show
from .._storage.stores import JsonLinesStore, PostgresStore, SQLiteStore, Store
from ..exceptions import (
    ConcurrencyError,
    DeliveryError,
    MentorflowError,
    StoreUnavailableError,
    UnknownProgrammeError,
    ValidationError,
)
from . import tracing
from .outbox import Outbox

logger = logging.getLogger("mentorflow")


@attrs.frozen
class Pass:
    """What one pass of a `Worker` did.

    Attributes:
        alerts: The alerts this worker committed (`DeadlineApproaching`, `DeadlineMissed`,
            `ExtensionRefused` for lapsed requests), across every programme.
        delivered: How many events the outbox's handler took.
        conflicts: How many checks lost to another writer and were made again.
    """

    alerts: int
    delivered: int
    conflicts: int


class Worker:
    """Checks the deadlines of every programme in ``store``, and drives ``outbox``.

    Args:
        store: The programmes' store.
        outbox: The outbox to drive after each round of checks (None: checks only).
        check: Whether to check deadlines (False: drive the outbox only).
        clock: The programmes' clock (default: the system clock, each in its own timezone).
        retries: How many times a check that lost to another writer is made again (with a
            random back-off, doubling from 5 ms) before the programme waits for the next pass.

    Raises:
        ValidationError: a bad argument.
    """

    def __init__(
        self,
        store: Store,
        *,
        outbox: Outbox | None = None,
        check: bool = True,
        clock: Clock | None = None,
        retries: int = 8,
    ) -> None:
        if not isinstance(store, Store):
            raise ValidationError("store", f"must be a Store, not {type(store).__name__}")
        if outbox is not None and not isinstance(outbox, Outbox):
            raise ValidationError("outbox", f"must be an Outbox, not {type(outbox).__name__}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValidationError("retries", f"must be a whole number >= 0, not {show(retries)}")
        self.store = store
        self.outbox = outbox
        self.checking = check
        self.clock = clock
        self.retries = retries
        self._programmes: dict[str, Programme] = {}

    def _programme(self, key: str) -> Programme:
        """``key``'s programme, up to date with the store."""
        programme = self._programmes.get(key)
        if programme is not None:
            try:
                programme.refresh()
                return programme
            except MentorflowError as err:  # deleted and made again, say: read it afresh
                logger.info("%s: restored again (%s)", key, err)
        programme = Programme.restore(self.store, key, clock=self.clock)
        self._programmes[key] = programme
        return programme

    def check(self, key: str) -> tuple[tuple[Event, ...], int]:
        """Check programme ``key``'s deadlines now; return the alerts committed, and how many
        times the check lost to another writer."""
        with tracing.span("check_deadlines", programme=key) as span:
            alerts, conflicts = self._check(key)
            span.set("alerts", len(alerts))
            span.set("conflicts", conflicts)
        return alerts, conflicts

    def _check(self, key: str) -> tuple[tuple[Event, ...], int]:
        programme = self._programme(key)
        conflicts = 0
        while True:
            try:
                return programme.check_deadlines(), conflicts
            except ConcurrencyError:
                conflicts += 1
                if conflicts > self.retries:
                    logger.warning("%s: the check lost %d times; next pass", key, conflicts)
                    return (), conflicts
                time.sleep(random.uniform(0, 0.005 * 2 ** min(conflicts, 8)))
                programme.refresh()

    def run_once(self, stop: Callable[[], bool] | None = None) -> Pass:
        """One pass: check every programme, then drive the outbox. A programme that can't be
        read or checked is logged and skipped (the next pass tries again); so is a handler
        that raised (its events are delivered again next time)."""
        with tracing.span("worker.pass") as span:
            done = self._pass(stop)
            span.set("alerts", done.alerts)
            span.set("delivered", done.delivered)
            span.set("conflicts", done.conflicts)
        return done

    def _pass(self, stop: Callable[[], bool] | None) -> Pass:
        alerts = conflicts = 0
        if self.checking:
            keys = self.store.keys()
            for key in keys:
                if stop is not None and stop():
                    break
                try:
                    found, lost = self.check(key)
                except UnknownProgrammeError:
                    self._programmes.pop(key, None)
                    continue
                except StoreUnavailableError:
                    raise
                except MentorflowError as err:
                    logger.error("%s: can't check its deadlines: %s", key, err)
                    self._programmes.pop(key, None)
                    continue
                alerts += len(found)
                conflicts += lost
                if found:
                    logger.info("%s: %d alert(s)", key, len(found))
        delivered = 0
        if self.outbox is not None and not (stop is not None and stop()):
            try:
                delivered = self.outbox.deliver(stop=stop)
            except DeliveryError as err:
                delivered = err.delivered
                for (key, seq), error in zip(err.failed, err.exceptions, strict=True):
                    logger.error("%s: the handler failed on event %d: %r", key, seq, error)
        return Pass(alerts, delivered, conflicts)

    def run(self, *, every: float, stop: threading.Event | None = None) -> None:
        """Make passes every ``every`` seconds until ``stop`` is set (the pass under way stops
        after the event being delivered). A store that can't be reached is logged and tried
        again at the next pass."""
        if isinstance(every, bool) or not isinstance(every, int | float) or not every > 0:
            raise ValidationError("every", f"must be a number of seconds > 0, not {show(every)}")
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                done = self.run_once(stop.is_set)
            except StoreUnavailableError as err:
                logger.error("the store can't be reached: %s", err)
            else:
                logger.debug("pass: %s", done)
            stop.wait(every)


def open_store(spec: str, *, schema: str = "mentorflow") -> Store:
    """The store a command line names: a PostgreSQL URI (``postgresql://...``), a directory
    of JSON Lines files, or an SQLite file (which must exist).

    Raises:
        StoreUnavailableError: nothing there.
    """
    if spec.startswith(("postgresql://", "postgres://")) or "dbname=" in spec:
        return PostgresStore(spec, schema=schema, create=False)
    if os.path.isdir(spec):
        return JsonLinesStore(spec)
    return SQLiteStore(spec, create=False)


def load_handler(name: str) -> Callable[[str, Event], Any]:
    """The function ``module:function`` names (the current directory is searched first, as
    by ``python -m``).

    Raises:
        ValidationError: not of that form, no such module or function, or not callable.
    """
    module_name, colon, attribute = name.partition(":")
    if not colon or not module_name or not attribute:
        raise ValidationError("--handler", f"{name!r} is not of the form module:function")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as err:
        raise ValidationError("--handler", f"can't import {module_name!r}: {err}") from None
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ValidationError("--handler", f"{module_name} has no {attribute!r}") from None
    if not callable(found):
        raise ValidationError("--handler", f"{name} is {show(found)}, not a function")
    handler: Callable[[str, Event], Any] = found
    return handler
