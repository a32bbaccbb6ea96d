"""OpenTelemetry spans of the service layer (the ``otel`` extra), seen by the SDK's in-memory
exporter: a worker's pass, its checks, the outbox's deliveries, the async API's commands."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pendulum
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from mentorflow import Enrol, Event, ManualClock, MemoryStore, Outbox, Theme, Worker
from mentorflow.aio import AsyncProgramme
from service_programmes import START, populated
from service_programmes import programme as new_programme

from helpers import CAPACI, MECHELEN

LATER = pendulum.datetime(2021, 3, 1, 9, tz="Europe/Brussels")
EXPORTER = InMemorySpanExporter()


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


def test_async_commands(spans: InMemorySpanExporter) -> None:
    """An AsyncProgramme's command and restore are spans."""

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
