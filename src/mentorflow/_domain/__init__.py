"""Layer 1, the bottom: domain values, rules and events.

Cities, partners, phases and lifecycles, deadline rules and calendars, extension policies,
clocks, distributions, the events (frozen records of what happened) and the commands (frozen
values of what is asked). Everything here is a value or a pure function of values: nothing
holds a programme, nothing imports ``transitions``, nothing does I/O.

Imports: only `mentorflow.exceptions` and the standard library / third-party values
(attrs, pendulum, holidays). Enforced by the import-linter contract in ``pyproject.toml``.
"""
