"""Event hooks: who is told of which event, and in which order.

The contract (also in the docs):

* A command's events are dispatched one after the other; for each event, the handlers that
  want it run in registration order, whatever event type they subscribed to.
* A before hook must not issue commands on the programme (the change it is asked about has not
  happened yet): such a command is refused with the rule ``reentrant-command``. After hooks may
  issue commands.
* *Before* hooks see the events a command is about to emit, before anything changes. Raising
  `Veto` refuses the command (the caller gets
  `Vetoed`); any other exception propagates as it is. Either way
  the pair is left exactly as it was and no later hook runs.
* *After* hooks are told of events that have happened. If one raises, the others still run and
  the change stands; the exceptions are raised together afterwards as one
  `AfterHookError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from .._domain.events import Event
from .._domain.validate import show

Handler = Callable[[Any], object]


def is_coroutine(handler: object) -> bool:
    """Whether calling ``handler`` makes a coroutine (an ``async def`` function, a partial of
    one, or an object whose ``__call__`` is one): the sync API would never await it."""
    call = getattr(type(handler), "__call__", None)  # noqa: B004 - the class's, not the object's
    return inspect.iscoroutinefunction(handler) or (
        not inspect.isroutine(handler) and inspect.iscoroutinefunction(call)
    )


class Subscription:
    """A registered hook; `cancel` removes it."""

    __slots__ = ("_hooks", "before", "event_type", "handler", "phase")

    def __init__(
        self,
        hooks: Hooks,
        event_type: type[Event],
        handler: Handler,
        phase: str | None,
        before: bool,
    ) -> None:
        self._hooks = hooks
        self.event_type = event_type
        self.handler = handler
        self.phase = phase
        self.before = before

    def matches(self, event: Event) -> bool:
        """Whether this subscription wants ``event``."""
        return isinstance(event, self.event_type) and (
            self.phase is None or getattr(event, "phase", None) == self.phase
        )

    def cancel(self) -> None:
        """Stop calling the handler. Cancelling twice is harmless."""
        self._hooks.remove(self)

    def __repr__(self) -> str:
        when = "before" if self.before else "after"
        phase = f", phase={show(str(self.phase))}" if self.phase else ""
        return f"<Subscription {when} {self.event_type.__name__}{phase}: {show(self.handler)}>"


class Hooks:
    """The subscriptions of one programme, with a per-(type, phase) cache of who to call."""

    __slots__ = ("_cache", "_subs", "after_count", "before_count")

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self.before_count = 0
        """How many before hooks are registered (the engine skips the dispatch when 0)."""
        self.after_count = 0
        """How many after hooks are registered."""
        self._cache: dict[tuple[type[Event], object, bool], tuple[Handler, ...]] = {}

    def add(
        self, event_type: type[Event], handler: Handler, *, phase: str | None, before: bool
    ) -> Subscription:
        """Register ``handler``; it runs after every handler registered before it."""
        sub = Subscription(self, event_type, handler, phase, before)
        self._subs.append(sub)
        self._recount()
        return sub

    def remove(self, sub: Subscription) -> None:
        """Unregister ``sub`` if it is registered."""
        if sub in self._subs:
            self._subs.remove(sub)
            self._recount()

    def _recount(self) -> None:
        self._cache.clear()
        self.before_count = sum(1 for s in self._subs if s.before)
        self.after_count = len(self._subs) - self.before_count

    def _handlers(self, event: Event, before: bool) -> tuple[Handler, ...]:
        key = (type(event), getattr(event, "phase", None), before)
        found = self._cache.get(key)
        if found is None:
            found = tuple(s.handler for s in self._subs if s.before is before and s.matches(event))
            self._cache[key] = found
        return found

    def handlers(self, event: Event) -> tuple[Handler, ...]:
        """The after hooks that want ``event``, in registration order (for a runner of
        its own: `mentorflow.aio` awaits the coroutine functions among them)."""
        return self._handlers(event, False)

    def run_before(self, events: Sequence[Event]) -> None:
        """Call the before hooks of each event; the first exception stops everything."""
        for event in events:
            for handler in self._handlers(event, True):
                handler(event)

    def run_after(self, events: Sequence[Event]) -> list[Exception]:
        """Call every after hook of each event; return what they raised, in order."""
        errors: list[Exception] = []
        for event in events:
            for handler in self._handlers(event, False):
                try:
                    handler(event)
                except Exception as err:
                    errors.append(err)
        return errors
