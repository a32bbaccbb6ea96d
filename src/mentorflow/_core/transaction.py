"""The one transaction path: every change of a programme is committed here.

A command is decided first (by the engine for a pair, by the policy and the deadline book for
the programme): the decision is a tuple of events numbered from `Ledger.seq` + 1, and a
function that applies them. `Ledger.commit` then, in this order and all or nothing:

1. checks the numbering (the events continue the history with no gap);
2. runs the before hooks (pair events only), which may veto: nothing has changed yet;
3. journals the events (when the programme is persisted): a failed write changes nothing;
4. applies them (the pair's state, the deadline book, the extensions);
5. records them in the history, which *is* the sequence: ``seq`` is its length;
6. tells the after hooks, whose errors are raised together once the change stands.

Nothing else appends to a history or computes a sequence number.

A *batch* (`begin` ... `write_batch`, `notify_batch`) commits several commands as one change:
each is decided and applied in turn (a later command sees the earlier ones), the journal gets
all their events in one append at the end, and the after hooks hear of them once it holds
them. If anything fails before that append, the caller undoes the batch (``Programme`` rebuilds
its state from the history before the batch: see ``programme.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NoReturn, TypeVar, overload

from .._domain.events import Event
from .._domain.older import LazyEvents
from ..exceptions import AfterHookError, Veto
from .hooks import Hooks

E = TypeVar("E", bound=Event)

logger = logging.getLogger("mentorflow")

Journal = Callable[[Sequence[Event], Mapping[int, str]], None]
"""Writes a change's events to a store before the change is made (see `persist`), with the
idempotency keys recorded by seq of their command's first event."""


class History(Sequence[Event]):
    """A read-only, live view of the programme's events, in the order they happened."""

    __slots__ = ("_events",)

    def __init__(self, events: list[Event] | LazyEvents[Event]) -> None:
        self._events = events

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if isinstance(index, slice):
            return tuple(self._events[index])
        return self._events[index]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __repr__(self) -> str:
        return f"<History of {len(self._events)} events>"


class Ledger:
    """A programme's history, hooks and journal, and the commit of every change.

    Attributes:
        events: The history, oldest first; its length is the last sequence number.
        hooks: The programme's subscriptions.
        journal: Where events are written before a change, when persisted.
        in_before_hook: True while before hooks run (commands are refused meanwhile).
    """

    __slots__ = (
        "events",
        "hooks",
        "in_before_hook",
        "journal",
        "key",
        "keyed",
        "keys",
        "name",
        "pending",
        "roll_back",
        "settle",
    )

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.events: list[Event] | LazyEvents[Event] = []
        """The history; restored from a snapshot, the events before it are read from the
        store when first asked for (`LazyEvents`)."""
        self.hooks = Hooks()
        self.journal: Journal | None = None
        self.in_before_hook = False
        self.pending: list[Event] | None = None
        """The events of the open batch, applied but not journaled yet; None outside one."""
        self.key: str | None = None
        """The idempotency key of the command being committed, if it has one."""
        self.keys: dict[str, tuple[int, int]] = {}
        """Idempotency key -> (seq of its command's first event, how many it emitted)."""
        self.keyed: dict[int, str] = {}
        """The same, by the seq of the first event (what the journal writes beside it)."""
        self.settle: Callable[[Sequence[Event]], None] | None = None
        """Given (a store that keeps a read model), the journal's transaction is still open
        after the journal: this writes the read model's rows of the applied change in it and
        commits it."""
        self.roll_back: Callable[[int], None] | None = None
        """Given with `settle`: puts the programme back as it was after the event of this
        sequence number, when `settle` fails (the change was applied, the store has none
        of it)."""

    @property
    def seq(self) -> int:
        """The sequence number of the last event (0 before the first)."""
        return len(self.events)

    def commit(
        self,
        events: tuple[E, ...],
        apply: Callable[[], object] | None = None,
        *,
        veto: Callable[[str], NoReturn] | None = None,
        undo: Callable[[], object] | None = None,
    ) -> tuple[E, ...]:
        """Commit ``events``: before hooks, journal, ``apply``, history, after hooks.

        Args:
            events: The decided events, numbered from `seq` + 1.
            apply: Makes the change (called once the journal holds the events).
            veto: Given, the before hooks are asked, and a `Veto` they raise is passed to it
                (it raises the refusal); None for facts that can't be vetoed.
            undo: Called if the journal fails, to put back what deciding took (a check's
                heap entries); nothing else needs undoing, since nothing has changed yet.

        Returns:
            ``events``.

        Raises:
            AfterHookError: after hooks raised; the change stands (``.events`` has them).
        """
        if not events:  # nothing to record; what deciding took is settled (a check's heap)
            if apply is not None:
                apply()
            return events
        if events[0].seq != len(self.events) + 1:  # pragma: no cover - a bug, not an input
            msg = f"event {events[0].seq} does not follow event {len(self.events)}"
            raise AssertionError(msg)
        hooks = self.hooks
        if veto is not None and hooks.before_count:
            self.in_before_hook = True
            try:
                hooks.run_before(events)
            except Veto as refusal:
                veto(refusal.reason)
            finally:
                self.in_before_hook = False
        batch = self.pending
        key = self.key
        if key is not None:  # recorded with the command's first event, in the journal too
            self.key = None
            self.keys[key] = (events[0].seq, len(events))
            self.keyed[events[0].seq] = key
        if self.journal is not None and batch is None:
            try:
                self.journal(events, self.keyed)
            except BaseException:
                if key is not None:
                    del self.keys[key], self.keyed[events[0].seq]
                if undo is not None:
                    undo()
                raise
        if apply is not None:
            apply()
        self.events.extend(events)
        if self.settle is not None and batch is None:
            try:
                self.settle(events)
            except BaseException:
                if self.roll_back is not None:  # applied, but not stored: undone
                    self.roll_back(events[0].seq - 1)
                raise
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: committed %s (seq %d-%d)",
                self.name,
                ", ".join(type(e).__name__ for e in events),
                events[0].seq,
                events[-1].seq,
            )
        if batch is not None:
            batch.extend(events)  # journaled and told to the after hooks when the batch ends
            return events
        if hooks.after_count:
            errors = hooks.run_after(events)
            if errors:
                error = AfterHookError(
                    f"{len(errors)} after hook(s) raised; the change stands", errors
                )
                error.events = events
                raise error
        return events

    # -- batches -------------------------------------------------------------------------

    def begin(self) -> int:
        """Open a batch; return the sequence number before it."""
        self.pending = []
        return len(self.events)

    def write_batch(self) -> None:
        """Journal the open batch's events in one append (the batch then stands)."""
        events = self.pending
        if events and self.journal is not None:
            self.journal(events, self.keyed)
            if self.settle is not None:
                self.settle(events)
        self.pending = None

    def notify_batch(self, events: Sequence[Event]) -> None:
        """Tell the after hooks of a written batch's ``events``.

        Raises:
            AfterHookError: after hooks raised; the batch stands.
        """
        if events and self.hooks.after_count:
            errors = self.hooks.run_after(events)
            if errors:
                error = AfterHookError(
                    f"{len(errors)} after hook(s) raised; the change stands", errors
                )
                error.events = tuple(events)
                raise error
