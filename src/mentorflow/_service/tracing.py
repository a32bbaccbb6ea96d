"""OpenTelemetry spans of the service layer, when ``opentelemetry-api`` is installed (the
``mentorflow[otel]`` extra); nothing otherwise.

Spans (tracer ``mentorflow``), each with the programme as ``mentorflow.programme`` (its key in
the store; for an `AsyncProgramme`'s command, its name):

* ``mentorflow.worker.pass``: one pass of a `Worker` (``mentorflow.alerts``,
  ``mentorflow.delivered``, ``mentorflow.conflicts``);
* ``mentorflow.check_deadlines``: a worker's check of one programme (``mentorflow.alerts``,
  ``mentorflow.conflicts``);
* ``mentorflow.outbox.deliver``: one event handed to an outbox's handler
  (``mentorflow.consumer``, ``mentorflow.seq``, ``mentorflow.event``); an exception the handler
  raised is recorded on it;
* ``mentorflow.command``: a command of an `AsyncProgramme` (``mentorflow.command``,
  ``mentorflow.events``); ``mentorflow.restore``: an `AsyncProgramme.restore`.

Which tracer provider receives them is the application's choice (OpenTelemetry's global one).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

try:
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - the otel extra is installed in the tests
    _trace = None  # type: ignore[assignment]


class _Span:
    """A span's attributes, set whether or not OpenTelemetry is there."""

    __slots__ = ("span",)

    def __init__(self, span: Any) -> None:
        self.span = span

    def set(self, name: str, value: str | int) -> None:
        if self.span is not None:
            self.span.set_attribute(f"mentorflow.{name}", value)


@contextlib.contextmanager
def span(name: str, **attributes: str | int) -> Iterator[_Span]:
    """A span ``mentorflow.<name>`` (with ``mentorflow.<key>`` attributes), or nothing."""
    if _trace is None:
        yield _Span(None)
        return
    tracer = _trace.get_tracer("mentorflow")
    with tracer.start_as_current_span(
        f"mentorflow.{name}", attributes={f"mentorflow.{k}": v for k, v in attributes.items()}
    ) as current:
        yield _Span(current)
