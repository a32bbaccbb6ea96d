"""Sync code run on the event loop, its store round trips awaited there (greenlets).

`mentorflow.aio` runs a command over a `PostgresStore` through the very same sync path as
`Programme.execute` (decide, vetoes, journal, apply, record), but on the loop rather than
in a thread: the call runs in a greenlet, and when the journal's append needs the server,
`wait` hands the append's coroutine to `run` (on the loop's side), which awaits it and
resumes the call with its result or its exception. Nothing else of the call waits: deciding
and applying are CPU work, done where they were asked for, without the two thread hand-offs
a command in a thread costs. This is how SQLAlchemy's asyncio layer runs its sync core
(``greenlet_spawn`` and ``await_only``), and why it needs the ``greenlet`` package
(installed with ``mentorflow[postgres]``).

The greenlets are kept and reused (making one costs more than the rest of the hand-off); a
call suspended in `wait` holds its greenlet until it ends, so calls of several programmes
may be under way at once, each in its own.

Cancellation goes to the awaitable under way, which decides (see `run`): an append that
learns it was stored all the same returns, so the command ends as its store says.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

import greenlet

T = TypeVar("T")

KEEP = 16
"""Idle workers kept per thread (more calls at once make more; the rest are let go)."""

_DONE, _FAILED, _WAIT = 0, 1, 2
"""What a worker tells `run` when it switches back: the call returned, raised, or waits."""


class _Worker(greenlet.greenlet):  # type: ignore[misc]  # greenlet ships no type hints
    """A greenlet that runs the calls `run` gives it, one after the other.

    The call and the message sent back are lists that their receiver empties: an idle
    worker's suspended frame holds no command, result or exception of the call before."""

    def __init__(self) -> None:
        super().__init__(self._serve)

    def _serve(self, call: list[Any]) -> None:
        while True:
            context, method, args, kw = call
            call.clear()
            try:
                message: list[Any] = [_DONE, context.run(method, *args, **kw)]
            except greenlet.GreenletExit:  # collected while it waited: it ends here
                raise
            except BaseException as failed:  # handed to `run`, which raises it
                message = [_FAILED, failed]
            del context, method, args, kw
            call = self.parent.switch(message)


def _read(message: list[Any]) -> tuple[int, Any]:
    """What a worker sent (the list emptied)."""
    kind, value = message
    message.clear()
    return kind, value


class _Idle(threading.local):
    workers: list[_Worker]

    def __init__(self) -> None:
        self.workers = []


_idle = _Idle()
"""The workers of this thread with no call under way (a greenlet belongs to its thread)."""


def running() -> bool:
    """Whether the caller is a call `run` drives (its awaitables can be awaited by `wait`)."""
    return isinstance(greenlet.getcurrent(), _Worker)


def wait(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` on the loop from a call `run` drives; its result, or its
    exception raised here. Only where `running` is true."""
    current = greenlet.getcurrent()
    assert isinstance(current, _Worker), "wait() outside a call run() drives"
    return cast(T, current.parent.switch([_WAIT, awaitable]))


async def run(method: Callable[..., T], *args: Any, **kw: Any) -> T:
    """``method(*args, **kw)`` on the loop, in a copy of the caller's context (as a thread
    of `asyncio.to_thread` would be), each awaitable it passes to `wait` awaited here.

    A cancellation is delivered to the awaitable under way, as to any awaited call: if that
    raises it, the call gets it (and ends as it decides); if that finishes its work anyway
    (catches it), the call goes on, and the cancellation is raised once the call has ended.
    """
    task = asyncio.current_task()
    cancelling = task.cancelling() if task is not None else 0
    idle = _idle.workers
    worker = idle.pop() if idle else _Worker()
    kind, value = _read(worker.switch([contextvars.copy_context(), method, args, kw]))
    try:
        while kind == _WAIT:
            try:
                result = await value
            except BaseException as failed:  # the call decides what an error of its own means
                kind, value = _read(worker.throw(failed))
            else:
                kind, value = _read(worker.switch(result))
    finally:
        if not worker.dead and kind != _WAIT and len(idle) < KEEP:
            idle.append(worker)
    if kind == _FAILED:
        raise value
    if task is not None and task.cancelling() > cancelling:  # swallowed by an awaitable
        raise asyncio.CancelledError
    return cast(T, value)
