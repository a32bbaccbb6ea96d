"""OpenTelemetry spans for the sync API (a public topic module; needs
``pip install "mentorflow[otel]"``).

`instrument` makes a span for every command of a `mentorflow.Programme` or `mentorflow.Pair`
(``mentorflow.command``), every restore (``mentorflow.restore``) and refresh
(``mentorflow.refresh``), sent to OpenTelemetry's global tracer provider; `uninstrument`
stops them. Until `instrument` is called the command methods are the plain ones: no cost at
all. The service layer (`mentorflow.aio`, the worker, the outbox) makes its spans whenever
OpenTelemetry is installed. The spans and their attributes are listed in the how-to "Run
mentorflow in a service".

Examples:
    >>> import pendulum
    >>> from mentorflow import ManualClock, Programme
    >>> from mentorflow import tracing
    >>> tracing.instrument()  # at start-up, once the tracer provider is set
    >>> start = pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels")
    >>> programme = Programme("P", starts_on=start.date(), ends_on=pendulum.date(2022, 12, 31),
    ...     clock=ManualClock(start))
    >>> programme.check_deadlines()  # a span "mentorflow.command" (nothing was due)
    ()
    >>> tracing.instrumented()
    True
    >>> tracing.uninstrument()
"""

try:
    import opentelemetry.trace as _otel  # noqa: F401  # the spans go there
except ImportError as _err:  # pragma: no cover - the extra is in the tests group
    raise ImportError(
        'mentorflow.tracing needs OpenTelemetry: pip install "mentorflow[otel]"'
    ) from _err

from ._service.tracing import instrument as instrument
from ._service.tracing import instrumented as instrumented
from ._service.tracing import uninstrument as uninstrument

__all__ = ["instrument", "instrumented", "uninstrument"]
