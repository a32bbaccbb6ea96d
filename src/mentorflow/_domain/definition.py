"""A programme's definition: one validated value.

Everything a `Programme` is made from but its clock and its state: the name, the dates, the
timezone, the lifecycle, the country whose holidays count, the deadline rules and the extension
policies. `Programme`'s constructor, a scenario, the codec and the scenario file reader all
build this one value, so the fields and their checks live here and nowhere else.

Examples:
    >>> import pendulum
    >>> from mentorflow import Definition
    >>> definition = Definition(name="IncluCities", starts_on=pendulum.date(2020, 6, 17),
    ...     ends_on=pendulum.date(2022, 12, 31), timezone="Europe/Brussels", country="BE")
    >>> definition.region
    'BE'
    >>> Definition(name="X", starts_on=pendulum.date(2021, 1, 1), ends_on=pendulum.date(2020, 1, 1))
    Traceback (most recent call last):
    ...
    mentorflow.exceptions.DefinitionError: ends_on: 2020-01-01 is before starts_on 2021-01-01
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs
import pendulum

from ..exceptions import DefinitionError, ValidationError
from . import validate as v
from .calendar import Closure, WorkingCalendar, calendar_for, check_region
from .deadlines import DeadlineRule, Offset, Schedule, make_schedule
from .extensions import ExtensionPolicy
from .lifecycle import Lifecycle
from .model import DEFAULT_ROLES, Roles
from .validate import show

DEFAULT_TOLERANCE = dt.timedelta(seconds=5)
"""The default clock tolerance: skew between hosts that NTP keeps well inside."""

PROGRAMME_POLICY = ExtensionPolicy()
"""The default policy of programme extensions (EU practice)."""
PHASE_POLICY = ExtensionPolicy(request_lead=Offset(amount=0))
"""The default policy of phase extensions: as for the programme, but a request may come up to
the deadline itself."""


def _define(check: Any, value: object) -> None:
    try:
        check(None, None, value)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None


def _date(field: str, value: object) -> pendulum.Date:
    try:
        return v.date_value(field, value)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None


def _starts_on(value: object) -> pendulum.Date:
    return _date("starts_on", value)


def _ends_on(value: object) -> pendulum.Date:
    return _date("ends_on", value)


def _text(field: str, optional: bool = False) -> Any:
    check = v.optional_text(field) if optional else v.text(field)
    return lambda _inst, _attr, value: _define(check, value)


def _timezone(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, str):
        raise DefinitionError("timezone", f"must be an IANA name, not {type(value).__name__}")
    try:
        pendulum.timezone(value)
    except Exception:  # pendulum raises several kinds for unknown names
        raise DefinitionError("timezone", f"{show(value)} is not an IANA timezone") from None


def _lifecycle(value: object) -> Lifecycle:
    if value is None:
        return Lifecycle.default()
    if not isinstance(value, Lifecycle):
        raise DefinitionError("lifecycle", f"must be a Lifecycle, not {type(value).__name__}")
    return value


def _tolerance(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, dt.timedelta):
        raise DefinitionError("clock_tolerance", f"must be a timedelta, not {type(value).__name__}")
    if value < dt.timedelta(0) or value > dt.timedelta(hours=1):
        raise DefinitionError("clock_tolerance", f"must be between 0 and 1 hour, not {value}")


def _version(_inst: object, _attr: object, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DefinitionError("version", f"must be a whole number >= 1, not {value!r}")


def _rules(value: Iterable[DeadlineRule] | None) -> tuple[DeadlineRule, ...]:
    if value is None or isinstance(value, str | bytes | dict):
        raise DefinitionError("deadlines", f"must be a list of DeadlineRule, not {show(value)}")
    try:
        return tuple(value)
    except TypeError:
        raise DefinitionError(
            "deadlines", f"must be a list of DeadlineRule, not {type(value).__name__}"
        ) from None


def _policy(field: str, value: object, default: ExtensionPolicy) -> ExtensionPolicy:
    if value is None:
        return default
    if not isinstance(value, ExtensionPolicy):
        raise DefinitionError(field, f"must be an ExtensionPolicy, not {type(value).__name__}")
    return value


def _closures(value: Iterable[Closure] | None) -> tuple[Closure, ...]:
    if value is None or isinstance(value, str | bytes | dict):
        raise DefinitionError("closures", f"must be a list of Closure, not {show(value)}")
    found = tuple(value)
    for i, closure in enumerate(found):
        if not isinstance(closure, Closure):
            raise DefinitionError(
                f"closures[{i}]", f"must be a Closure, not {type(closure).__name__}"
            )
    # one order for one set: equal definitions, one fingerprint
    return tuple(sorted(set(found), key=lambda c: (c.on, c.region or "")))


def _roles(value: object) -> Roles:
    if value is None:
        return DEFAULT_ROLES
    if isinstance(value, Roles):
        return value
    if isinstance(value, tuple | list) and len(value) == 2:
        try:
            return Roles(mentor=value[0], mentee=value[1])
        except ValidationError as err:
            raise DefinitionError(f"roles.{err.field}", err.problem) from None
    raise DefinitionError(
        "roles", f"must be Roles or two names (the mentor's, the mentee's), not {show(value)}"
    )


def _programme_policy(value: object) -> ExtensionPolicy:
    return _policy("extension_policy", value, PROGRAMME_POLICY)


def _phase_policy(value: object) -> ExtensionPolicy:
    return _policy("phase_extension_policy", value, PHASE_POLICY)


@attrs.frozen(kw_only=True)
class Definition:
    """A programme's definition, validated when made.

    Args:
        name: The programme's name, e.g. ``"IncluCities"``.
        starts_on: First day of the programme.
        ends_on: Last day of the programme before any extension.
        timezone: IANA name; every timestamp is converted to it. Default ``"UTC"``.
        lifecycle: The pairs' lifecycle; default (or None) `Lifecycle.default`.
        country: ISO code of the programme's country (its public holidays count for
            programme milestones); None counts weekends only.
        subdivision: Optional ISO 3166-2 subdivision of ``country`` (``"MD"`` for ES-MD).
        coordinator: Who leads the programme, e.g. ``"CEMR"``.
        funding_reference: The grant, e.g. ``"AMIF-2018-AG-INTE no. 863770"``.
        deadlines: `DeadlineRule` s for phases and programme milestones.
        extension_policy: What programme extensions are allowed (None: EU practice).
        phase_extension_policy: What phase extensions are allowed (None: as for the
            programme, but a request may come up to the deadline itself).
        clock_tolerance: Clock skew between the hosts that issue commands: a pair command
            dated at most this much before the pair's last change is accepted and recorded at
            the time of that change, in order; further back it is refused
            (``timestamp-backwards``, saying how far behind it was). Default 5 seconds;
            ``timedelta(0)`` refuses any step back.
        version: Which version of the programme's definition this is (default 1). A stored
            programme keeps it with its definition; `Programme.migrate` to a new definition
            asks for a higher one, so a log says which rules were in force when.
        closures: Days offices are closed that are not public holidays (`Closure`: of every
            office, or of one region's): no working days for the deadlines that count them.
        roles: What the programme calls the two sides of its pairs: `Roles`, or two names
            (the mentor's, the mentee's), e.g. ``("lead", "transfer")``; default (or None)
            mentor and mentee.

    Raises:
        DefinitionError: naming the field and the problem.
    """

    name: str = attrs.field(validator=_text("name"))
    starts_on: pendulum.Date = attrs.field(converter=_starts_on)
    ends_on: pendulum.Date = attrs.field(converter=_ends_on)
    timezone: str = attrs.field(default="UTC", validator=_timezone)
    lifecycle: Lifecycle = attrs.field(default=None, converter=_lifecycle)
    country: str | None = None
    subdivision: str | None = None
    coordinator: str | None = attrs.field(default=None, validator=_text("coordinator", True))
    funding_reference: str | None = attrs.field(
        default=None, validator=_text("funding_reference", True)
    )
    deadlines: tuple[DeadlineRule, ...] = attrs.field(default=(), converter=_rules)
    extension_policy: ExtensionPolicy = attrs.field(default=None, converter=_programme_policy)
    phase_extension_policy: ExtensionPolicy = attrs.field(default=None, converter=_phase_policy)
    clock_tolerance: dt.timedelta = attrs.field(default=DEFAULT_TOLERANCE, validator=_tolerance)
    version: int = attrs.field(default=1, validator=_version)
    closures: tuple[Closure, ...] = attrs.field(default=(), converter=_closures)
    roles: Roles = attrs.field(default=None, converter=_roles)
    # derived once, owned by the value: programmes of one definition share them
    _regions: tuple[str, ...] = attrs.field(init=False, eq=False, repr=False)
    _schedule: Schedule = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise DefinitionError("ends_on", f"{self.ends_on} is before starts_on {self.starts_on}")
        object.__setattr__(self, "_regions", _regions(self.country, self.subdivision))
        object.__setattr__(self, "_schedule", make_schedule(self.deadlines, self.lifecycle))

    @property
    def region(self) -> str | None:
        """The country and subdivision whose holidays count (``"ES-MD"``), if any."""
        return self._regions[0] if self._regions else None

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions whose holidays count for programme milestones (none or one)."""
        return self._regions

    def calendar(self, regions: tuple[str, ...]) -> WorkingCalendar:
        """The working days of ``regions``, closed on the closure days that close them."""
        return calendar_for(regions, self.closures)

    @property
    def schedule(self) -> Schedule:
        """The deadline rules, validated against the lifecycle and put in dependency order."""
        return self._schedule


def _regions(country: str | None, subdivision: str | None) -> tuple[str, ...]:
    if country is None:
        if subdivision is not None:
            raise DefinitionError("subdivision", "give the country too")
        return ()
    _define(v.country_code("country"), country)
    _define(v.subdivision_code("subdivision"), subdivision)
    region = f"{country}-{subdivision}" if subdivision else country
    try:
        check_region(region)
    except ValidationError as err:
        raise DefinitionError(err.field, err.problem) from None
    return (region,)
