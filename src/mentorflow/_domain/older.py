"""A history whose older events are read from the store only when they are asked for.

A programme restored from a snapshot knows how many events came before the snapshot, but has
not read them: its history and each pair's are a `LazyEvents`, a list of the events since,
behind a count of the older ones. The first time anything asks for an older event (an index,
a slice, iteration, equality), `Older.load` reads them all from the store (checking their
chain of digests), and every lazy history of the programme takes its share; from then on
each is a plain list inside.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

import pendulum

from ..exceptions import CorruptStoreError
from .events import Event, PairEvent

E = TypeVar("E", bound=Event)


class Older:
    """The events before a snapshot, loaded once for every lazy history that waits on them.

    Args:
        load: Reads the older events from the store (their chain checked), oldest first.
    """

    __slots__ = ("_load", "_lock", "waiting")

    def __init__(self, load: Callable[[], list[Event]]) -> None:
        self._load: Callable[[], list[Event]] | None = load
        self._lock = threading.Lock()  # two threads asking at once read them once
        self.waiting: list[tuple[LazyEvents[Any], str | None]] = []
        """Each lazy history, and the pair whose events it takes (None: all of them)."""

    def load(self) -> None:
        """Read the older events and give each waiting history its share.

        Raises:
            CorruptStoreError: their chain is broken, or they are not the snapshot's.
            StoreError: the store can't be read (closed, or the programme deleted).
        """
        with self._lock:
            if self._load is not None:
                self._give(self._load())
                self._load, self.waiting = None, []

    def _give(self, events: list[Event]) -> None:
        """Give each waiting history its share of ``events``."""
        by_pair: dict[str, list[Event]] = {}
        for event in events:  # a deadline alert names a pair, but is the programme's event
            if isinstance(event, PairEvent):
                by_pair.setdefault(event.pair, []).append(event)
        shares = [
            (lazy, events if pair is None else by_pair.get(pair, [])) for lazy, pair in self.waiting
        ]
        for lazy, share in shares:
            if len(share) != lazy._older_count:
                raise CorruptStoreError(
                    "history",
                    f"{len(share)} events before the snapshot, where it counted "
                    f"{lazy._older_count}: the log is not the one it was taken of",
                )
        for lazy, share in shares:
            lazy._fill(share)


class LazyEvents(Sequence[E], Generic[E]):
    """A history: ``count`` older events still in the store, then ``tail`` (a list).

    It behaves as the list of all of them (len, indexing, slices as lists, iteration,
    equality with a list); only ``len``, ``append``/``extend`` and the events of the tail
    don't read the older ones.
    """

    __slots__ = ("_items", "_last_at", "_older", "_older_count", "pair")

    def __init__(
        self,
        older: Older,
        count: int,
        pair: str | None = None,
        last_at: pendulum.DateTime | None = None,
    ) -> None:
        self._items: list[E] = []
        self._older: Older | None = older
        self._older_count = count
        self._last_at = last_at
        self.pair = pair
        """The pair whose history this is (None: the programme's)."""
        older.waiting.append((self, pair))

    @property
    def loaded(self) -> bool:
        """Whether the older events have been read."""
        return self._older is None

    @property
    def last_at(self) -> pendulum.DateTime:
        """When the last event happened (read from the tail, or as the snapshot said)."""
        items = self._items
        if items:
            return items[-1].at
        if self._last_at is None:
            self._load()
            return self._items[-1].at
        return self._last_at

    def _fill(self, older: list[Any]) -> None:
        self._items[0:0] = older
        self._older, self._older_count = None, 0

    def _load(self) -> None:
        if self._older is not None:
            self._older.load()

    def __len__(self) -> int:
        return self._older_count + len(self._items)

    @overload
    def __getitem__(self, index: int) -> E: ...
    @overload
    def __getitem__(self, index: slice) -> list[E]: ...
    def __getitem__(self, index: int | slice) -> E | list[E]:
        base = self._older_count
        if base:
            if isinstance(index, slice):
                start, stop, step = index.indices(len(self))
                if step == 1 and stop <= start:
                    return []
                if step == 1 and start >= base:
                    return self._items[start - base : stop - base]
            else:
                i = index + len(self) if index < 0 else index
                if i >= base:
                    return self._items[i - base]
            self._load()
        return self._items[index]

    def __iter__(self) -> Iterator[E]:
        self._load()
        return iter(self._items)

    def __reversed__(self) -> Iterator[E]:
        self._load()
        return reversed(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyEvents | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def append(self, event: E) -> None:
        self._items.append(event)

    def extend(self, events: Iterable[E]) -> None:
        self._items.extend(events)

    def __repr__(self) -> str:
        return f"<LazyEvents: {self._older_count} older, {len(self._items)} since>"
