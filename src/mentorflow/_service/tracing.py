"""OpenTelemetry spans of mentorflow, when ``opentelemetry-api`` is installed (the
``mentorflow[otel]`` extra); nothing otherwise.

Spans (tracer ``mentorflow``), each with the programme as ``mentorflow.programme`` (its key in
the store; for a command, the programme's name):

* ``mentorflow.worker.pass``: one pass of a `Worker` (``mentorflow.alerts``,
  ``mentorflow.delivered``, ``mentorflow.conflicts``);
* ``mentorflow.check_deadlines``: a worker's check of one programme (``mentorflow.alerts``,
  ``mentorflow.conflicts``);
* ``mentorflow.outbox.deliver``: one event handed to an outbox's handler
  (``mentorflow.consumer``, ``mentorflow.seq``, ``mentorflow.event``); an exception the handler
  raised is recorded on it;
* ``mentorflow.command``: a command of an `AsyncProgramme` (``mentorflow.command``,
  ``mentorflow.events``); ``mentorflow.restore``: an `AsyncProgramme.restore`.

The service layer's spans are always made (the service's own work dwarfs their cost). The sync
API's, on its hot path, are made only once `instrument` is called (`mentorflow.tracing`), as
OpenTelemetry's instrumentation libraries do: until then the command methods are the plain
ones, so a programme that is not traced pays nothing, not even a check. Instrumented:

* ``mentorflow.command`` for each command method of `Programme` and `Pair` (`COMMANDS`):
  ``mentorflow.command`` is the command's class for ``Programme.execute`` (the first, with
  ``mentorflow.batch`` the number of commands when there are several) and the method
  otherwise (``Pair.complete``), ``mentorflow.pair`` the pair's key for a `Pair` method, and
  ``mentorflow.events`` the number of events it emitted; a refusal is recorded on it as an
  error;
* ``mentorflow.restore`` for `Programme.restore` (``mentorflow.version``) and
  ``mentorflow.refresh`` for `Programme.refresh` (``mentorflow.events``).

Which tracer provider receives them is the application's choice (OpenTelemetry's global one).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from .._core.programme import Pair, Programme

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


COMMANDS: dict[type, tuple[str, ...]] = {
    Programme: (
        "execute",
        "add_pair",
        "check_deadlines",
        "reach_milestone",
        "hold_activity",
        "request_extension",
        "request_phase_extension",
        "grant_extension",
        "refuse_extension",
        "migrate",
    ),
    Pair: (
        "complete",
        "record_visit",
        "register_deliverable",
        "define_benchmarks",
        "suspend",
        "resume",
        "withdraw",
        "replace_partner",
    ),
}
"""The command methods `instrument` wraps. (``Programme``'s reporting and deliverable
methods issue their commands through ``execute``: their spans are its.)"""

_plain: dict[tuple[type, str], Any] = {}
"""The methods `instrument` replaced, as they were (what `uninstrument` puts back)."""


def instrument() -> None:
    """Make spans for the sync API's commands, restores and refreshes from now on (see the
    module's docstring); calling it again changes nothing.

    Raises:
        ImportError: OpenTelemetry is not installed (``pip install "mentorflow[otel]"``).
    """
    if _trace is None:  # pragma: no cover - the otel extra is installed in the tests
        raise ImportError('spans need OpenTelemetry: pip install "mentorflow[otel]"')
    if _plain:
        return
    for cls, names in COMMANDS.items():
        for name in names:
            _replace(cls, name, _command(cls, name, cls.__dict__[name]))
    _replace(Programme, "refresh", _refresh(Programme.__dict__["refresh"]))
    restore = Programme.__dict__["restore"]
    _replace(Programme, "restore", classmethod(_restore(restore.__func__)))


def uninstrument() -> None:
    """Put the plain methods back: no more spans for the sync API."""
    while _plain:
        (cls, name), method = _plain.popitem()
        setattr(cls, name, method)


def instrumented() -> bool:
    """Whether `instrument` is in force."""
    return bool(_plain)


def _replace(cls: type, name: str, wrapper: object) -> None:
    _plain[cls, name] = cls.__dict__[name]
    setattr(cls, name, wrapper)


def _command(cls: type, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` in a ``mentorflow.command`` span."""
    tracer = _trace.get_tracer("mentorflow")
    what = f"{cls.__name__}.{name}"

    @functools.wraps(method)
    def traced(self: Any, *args: Any, **kwargs: Any) -> Any:
        attributes: dict[str, str | int]
        if isinstance(self, Pair):
            attributes = {
                "mentorflow.programme": self.programme.name,
                "mentorflow.pair": self.key,
                "mentorflow.command": what,
            }
        else:
            attributes = {"mentorflow.programme": self.name, "mentorflow.command": what}
            if name == "execute" and args:
                attributes["mentorflow.command"] = type(args[0]).__name__
                if len(args) > 1:
                    attributes["mentorflow.batch"] = len(args)
        with tracer.start_as_current_span("mentorflow.command", attributes=attributes) as span:
            result = method(self, *args, **kwargs)
            if isinstance(result, tuple):
                span.set_attribute("mentorflow.events", len(result))
            return result

    return traced


def _refresh(method: Callable[[Programme], Any]) -> Callable[[Programme], Any]:
    @functools.wraps(method)
    def traced(self: Programme) -> Any:
        with span("refresh", programme=self.name) as current:
            events = method(self)
            current.set("events", len(events))
            return events

    return traced


def _restore(method: Callable[..., Programme]) -> Callable[..., Programme]:
    @functools.wraps(method)
    def traced(cls: type[Programme], store: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        with span("restore", programme=str(key)) as current:
            programme = method(cls, store, key, *args, **kwargs)
            current.set("version", programme.version)
            return programme

    return traced
