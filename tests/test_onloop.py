"""The greenlet bridge `mentorflow.aio` runs commands over PostgreSQL with: sync code on the
loop, whose awaitables are awaited there (`mentorflow._service.onloop`)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from mentorflow._service import onloop


class Thing:
    """Something a weak reference can point at."""


async def later(value: Any, seconds: float = 0.0) -> Any:
    await asyncio.sleep(seconds)
    if isinstance(value, BaseException):
        raise value
    return value


async def cancelled_while_waiting(call: Callable[[], object]) -> None:
    """Run ``call`` through `onloop.run` in a task of its own, cancel it while it waits, and
    check that the cancellation is what the run raises."""
    task = asyncio.create_task(onloop.run(call))
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


class TestRun:
    """Tests for onloop.run and onloop.wait."""

    def test_a_call_with_no_wait(self) -> None:
        """A call that awaits nothing returns its value; its error is raised as it is."""

        def boom() -> None:
            raise KeyError("k")

        async def main() -> None:
            assert 3 == await onloop.run(lambda a, b: a + b, 1, b=2)
            with pytest.raises(KeyError, match="k"):
                await onloop.run(boom)

        asyncio.run(main())

    def test_waits_on_the_loop(self) -> None:
        """`wait` returns the awaitable's value; its error is raised in the call, which may
        catch it; `running` says where it is."""

        def call() -> list[Any]:
            seen: list[Any] = [onloop.running(), onloop.wait(later(1, 0.01))]
            try:
                onloop.wait(later(ValueError("no")))
            except ValueError as err:
                seen.append(str(err))
            seen.append(onloop.wait(later(2)))
            return seen

        async def main() -> None:
            assert not onloop.running()
            assert [True, 1, "no", 2] == await onloop.run(call)

        asyncio.run(main())

    def test_context_variables_are_the_callers(self) -> None:
        """The call sees the caller's context variables (a copy: as `asyncio.to_thread`)."""
        import contextvars

        var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="none")

        async def main() -> str:
            var.set("caller's")
            return await onloop.run(var.get)

        assert "caller's" == asyncio.run(main())

    def test_calls_wait_at_once(self) -> None:
        """Several calls suspended at the same time, each in its own greenlet, all finish."""

        def call(n: int) -> int:
            return int(onloop.wait(later(n, 0.05))) * 10

        async def main() -> list[int]:
            return list(await asyncio.gather(*(onloop.run(call, n) for n in range(5))))

        assert [0, 10, 20, 30, 40] == asyncio.run(main())

    def test_a_cancellation_goes_to_the_awaitable(self) -> None:
        """Cancelled while it waits: the awaitable gets the cancellation and raises it, so
        does `wait` in the call (which may clean up), and the run raises it."""
        seen: list[str] = []

        def call() -> None:
            try:
                onloop.wait(later(None, 1.0))
            except asyncio.CancelledError:
                seen.append("cancelled in the call")
                raise
            seen.append("not here")

        asyncio.run(cancelled_while_waiting(call))
        assert ["cancelled in the call"] == seen

    def test_an_awaitable_that_finishes_anyway(self) -> None:
        """An awaitable that catches the cancellation and finishes its work: the call goes
        on to its end (its effect stands), then the cancellation is raised."""
        done: list[str] = []

        async def finishing() -> str:
            try:
                await asyncio.sleep(1.0)
            except asyncio.CancelledError:
                return "finished"
            return "slept"

        def call() -> None:
            done.append(onloop.wait(finishing()))
            done.append(onloop.wait(later("and on")))

        asyncio.run(cancelled_while_waiting(call))
        assert ["finished", "and on"] == done

    def test_workers_are_reused_and_hold_nothing(self) -> None:
        """One worker serves calls one after the other; once a call is over its worker holds
        neither its arguments nor its result nor its error."""
        made: list[weakref.ref[Thing]] = []

        def call(thing: Thing) -> Thing:
            onloop.wait(later(None))
            result = Thing()
            made.append(weakref.ref(result))
            return result

        def fail(thing: Thing) -> None:
            error = RuntimeError("x")
            error.thing = thing  # type: ignore[attr-defined]
            raise error

        idle = onloop._idle.workers
        idle.clear()

        async def main() -> weakref.ref[Thing]:
            argument = Thing()
            kept = weakref.ref(argument)
            for _ in range(3):
                await onloop.run(call, argument)
            with pytest.raises(RuntimeError):
                await onloop.run(fail, argument)
            return kept

        kept = asyncio.run(main())
        gc.collect()
        assert [None, None, None] == [ref() for ref in made]
        assert kept() is None
        assert 1 == len(idle)

    def test_idle_workers_are_bounded(self) -> None:
        """A burst of calls at once leaves at most `KEEP` idle workers behind."""

        def call() -> None:
            onloop.wait(later(None, 0.01))

        async def main() -> None:
            await asyncio.gather(*(onloop.run(call) for _ in range(onloop.KEEP * 3)))

        asyncio.run(main())
        assert onloop.KEEP == len(onloop._idle.workers)
