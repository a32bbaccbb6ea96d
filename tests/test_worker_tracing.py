"""OpenTelemetry spans (the ``otel`` extra), seen by the SDK's in-memory exporter: a worker's
pass, its checks, the outbox's deliveries, the async API's commands; the sync API's commands,
restores and refreshes once `mentorflow.tracing.instrument` is called."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pendulum
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mentorflow import (
    CommandRefused,
    Enrol,
    Event,
    ManualClock,
    MemoryStore,
    Outbox,
    Phase,
    Programme,
    Theme,
    Worker,
    tracing,
)
from mentorflow._service.tracing import COMMANDS
from mentorflow.aio import AsyncProgramme
from service_programmes import START, populated
from service_programmes import programme as new_programme

from helpers import CAPACI, MECHELEN

LATER = pendulum.datetime(2021, 3, 1, 9, tz="Europe/Brussels")
EXPORTER = InMemorySpanExporter()


def enrol(key: str) -> Enrol:
    return Enrol(pair=key, mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans ended during the test (one provider for the session: OpenTelemetry's global
    provider can be set once)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def test_worker_pass(spans: InMemorySpanExporter) -> None:
    """A pass is a span; each check and each delivery is a span inside it, with attributes."""
    store = MemoryStore()
    populated(store, "a")
    failing = {3}

    def handler(key: str, event: Event) -> None:
        if event.seq in failing:
            failing.clear()
            raise RuntimeError("down")

    worker = Worker(store, outbox=Outbox(store, "mailer", handler), clock=ManualClock(LATER))
    done = worker.run_once()
    found = {s.name: s for s in spans.get_finished_spans()}
    run = found["mentorflow.worker.pass"]
    check = found["mentorflow.check_deadlines"]
    assert check.parent is not None
    assert run.context.span_id == check.parent.span_id
    assert {
        "mentorflow.programme": "a",
        "mentorflow.alerts": done.alerts,
        "mentorflow.conflicts": 0,
    } == dict(check.attributes or {})
    deliveries = [s for s in spans.get_finished_spans() if s.name == "mentorflow.outbox.deliver"]
    assert [1, 2, 3] == [(s.attributes or {})["mentorflow.seq"] for s in deliveries]
    assert "PairEnrolled" == (deliveries[0].attributes or {})["mentorflow.event"]
    assert not deliveries[2].status.is_ok  # the handler raised: recorded on its span
    assert (run.attributes or {})["mentorflow.delivered"] == 2


def test_async_commands(instrumented: InMemorySpanExporter) -> None:
    """An AsyncProgramme's command (once instrumented: the sync method's span) and its
    restore are spans."""
    spans = instrumented

    async def main() -> None:
        store = MemoryStore()
        programme = AsyncProgramme(new_programme(ManualClock(START)))
        await programme.persist(store, "p")
        await programme.execute(
            Enrol(pair="a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        )
        await AsyncProgramme.restore(store, "p")

    asyncio.run(main())
    found = {s.name: dict(s.attributes or {}) for s in spans.get_finished_spans()}
    assert {
        "mentorflow.programme": "P",
        "mentorflow.command": "Enrol",
        "mentorflow.events": 2,
    } == found["mentorflow.command"]
    assert {"mentorflow.programme": "p", "mentorflow.version": 2} == found["mentorflow.restore"]
    assert 1 == sum(s.name == "mentorflow.command" for s in spans.get_finished_spans())


def test_async_commands_plain(spans: InMemorySpanExporter) -> None:
    """Until `instrument` is called, an AsyncProgramme's commands make no span (its restore
    does)."""

    async def main() -> None:
        programme = AsyncProgramme(new_programme(ManualClock(START)))
        await programme.persist(MemoryStore(), "p")
        await programme.execute(
            Enrol(pair="a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        )

    asyncio.run(main())
    assert [] == [s.name for s in spans.get_finished_spans() if s.name == "mentorflow.command"]


@pytest.fixture
def instrumented(spans: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    """The sync API instrumented for the test (and plain again after it)."""
    tracing.instrument()
    try:
        yield spans
    finally:
        tracing.uninstrument()


def attributes(spans: InMemorySpanExporter, name: str) -> list[dict[str, object]]:
    return [dict(s.attributes or {}) for s in spans.get_finished_spans() if s.name == name]


class TestSyncApi:
    """Tests for mentorflow.tracing: spans of the sync API's commands, restores, refreshes."""

    def test_commands(self, instrumented: InMemorySpanExporter) -> None:
        """A command value, a batch, a pair's method and a programme's method: each one
        span, with the programme, the command, the pair and the events."""
        store = MemoryStore()
        programme = new_programme(ManualClock(START))
        programme.persist(store, "p")
        programme.execute(enrol("a"))
        programme.execute(enrol("b"), enrol("c"))
        programme.pair("a").complete(Phase.NEEDS_ASSESSMENT)
        programme.check_deadlines(at=LATER)
        found = attributes(instrumented, "mentorflow.command")
        assert [
            {"mentorflow.programme": "P", "mentorflow.command": "Enrol", "mentorflow.events": 2},
            {
                "mentorflow.programme": "P",
                "mentorflow.command": "Enrol",
                "mentorflow.batch": 2,
                "mentorflow.events": 4,
            },
            {
                "mentorflow.programme": "P",
                "mentorflow.pair": "a",
                "mentorflow.command": "Pair.complete",
                "mentorflow.events": 2,
            },
        ] == found[:3]
        check = found[3]
        assert "Programme.check_deadlines" == check["mentorflow.command"]
        assert check["mentorflow.events"]

    def test_a_refusal_is_an_error_on_its_span(self, instrumented: InMemorySpanExporter) -> None:
        """A refused command's span says so, with the exception."""
        programme = new_programme(ManualClock(START))
        programme.execute(enrol("a"))
        with pytest.raises(CommandRefused):
            programme.pair("a").complete(Phase.MATCHING)
        (span,) = [
            s
            for s in instrumented.get_finished_spans()
            if (s.attributes or {}).get("mentorflow.command") == "Pair.complete"
        ]
        assert not span.status.is_ok
        assert ["exception"] == [e.name for e in span.events]

    def test_restore_and_refresh(self, instrumented: InMemorySpanExporter) -> None:
        """A restore and a refresh are spans, with the version and the new events."""
        store = MemoryStore()
        writer = new_programme(ManualClock(START))
        writer.persist(store, "p")
        reader = Programme.restore(store, "p")
        writer.execute(enrol("a"))
        assert 2 == len(reader.refresh())
        assert [{"mentorflow.programme": "p", "mentorflow.version": 0}] == attributes(
            instrumented, "mentorflow.restore"
        )
        assert [{"mentorflow.programme": "P", "mentorflow.events": 2}] == attributes(
            instrumented, "mentorflow.refresh"
        )

    def test_replay_makes_no_command_spans(self, instrumented: InMemorySpanExporter) -> None:
        """The commands a restore or a refresh replays are not the application's: no
        span each (a million-event restore made a million spans)."""
        store = MemoryStore()
        writer = new_programme(ManualClock(START))
        writer.persist(store, "p")
        writer.execute(enrol("a"), enrol("b"))
        reader = Programme.restore(store, "p")
        writer.execute(enrol("c"))
        reader.refresh()
        assert 2 == len(attributes(instrumented, "mentorflow.command"))  # the writer's
        assert ["a", "b", "c"] == list(reader.pairs)

    def test_plain_methods_until_instrumented(self, spans: InMemorySpanExporter) -> None:
        """Without `instrument` (and after `uninstrument`) the methods are the plain ones:
        no span, and not even a check on the command's path."""
        plain = {
            (cls, name): cls.__dict__[name]
            for cls, names in COMMANDS.items()
            for name in (*names, "restore", "refresh")
            if name in cls.__dict__
        }
        assert not tracing.instrumented()
        tracing.instrument()
        tracing.instrument()  # twice: still one wrapper
        assert tracing.instrumented()
        assert all(cls.__dict__[name] is not method for (cls, name), method in plain.items())
        tracing.uninstrument()
        assert all(cls.__dict__[name] is method for (cls, name), method in plain.items())
        programme = new_programme(ManualClock(START))
        programme.execute(enrol("a"))
        store = MemoryStore()
        populated(store, "x")
        Programme.restore(store, "x")
        assert () == spans.get_finished_spans()
