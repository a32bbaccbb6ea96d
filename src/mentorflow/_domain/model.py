"""The domain's plain values: cities, associations, partners, benchmarks, visits, deliverables.

All are frozen attrs classes, validated when made, equal by value and hashable.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterable

import attrs
import pendulum

from ..exceptions import ValidationError
from . import validate as v
from .calendar import check_region
from .validate import show


class Role(enum.StrEnum):
    """The part a city plays in a pair."""

    MENTOR = "mentor"
    MENTEE = "mentee"

    @property
    def other(self) -> Role:
        """The other role of the pair."""
        return Role.MENTEE if self is Role.MENTOR else Role.MENTOR


_THEME_NAME = re.compile(r"[a-z][a-z0-9_]{0,79}")


def _role_name(field: str) -> Callable[[object, object, object], None]:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str) or not _THEME_NAME.fullmatch(value):
            raise ValidationError(field, f"{show(value)} is not a lower_snake_case role name")

    return check


@attrs.frozen(kw_only=True)
class Roles:
    """What a programme calls the two sides of its pairs.

    A pair always has a side that passes its practice on (the API's ``mentor``) and a side
    that takes it up (the ``mentee``); a programme names them as it does. IncluCities says
    mentor and mentee (the default); an URBACT Transfer Network says lead and transfer. The
    names are what scenario files, `Programme.partners` and the charts speak.

    Args:
        mentor: The name of the side that passes its practice on (default ``"mentor"``).
        mentee: The name of the side that takes it up (default ``"mentee"``).

    Raises:
        ValidationError: naming the field, for a name that is not ``lower_snake_case`` or
            two equal names.

    Examples:
        >>> from mentorflow import Role, Roles
        >>> urbact = Roles(mentor="lead", mentee="transfer")
        >>> urbact.name(Role.MENTOR), urbact.role("transfer", "pairs[0]")
        ('lead', <Role.MENTEE: 'mentee'>)
        >>> try:
        ...     urbact.role("mentor", "pairs[0]")
        ... except ValueError as err:
        ...     print(err)
        pairs[0]: 'mentor' is not a role of this programme: one of 'lead', 'transfer'
    """

    mentor: str = attrs.field(default="mentor", validator=_role_name("mentor"))
    mentee: str = attrs.field(default="mentee", validator=_role_name("mentee"))

    def __attrs_post_init__(self) -> None:
        if self.mentor == self.mentee:
            raise ValidationError("mentee", f"{self.mentee!r} is the mentor's name too")

    def __str__(self) -> str:
        return f"{self.mentor}, {self.mentee}"

    @property
    def names(self) -> tuple[str, str]:
        """The two names, the mentor's first."""
        return (self.mentor, self.mentee)

    def name(self, role: Role) -> str:
        """What the programme calls ``role``: the `Role` itself under the default names."""
        declared = self.mentor if role is Role.MENTOR else self.mentee
        return role if declared == role.value else declared

    def role(self, name: object, field: str) -> Role:
        """The side called ``name``.

        Raises:
            ValidationError: naming ``field``, for a name that is not one of the two.
        """
        if name == self.mentor:
            return Role.MENTOR
        if name == self.mentee:
            return Role.MENTEE
        raise ValidationError(
            field,
            f"{show(name)} is not a role of this programme: one of {self.mentor!r}, "
            f"{self.mentee!r}",
        )


DEFAULT_ROLES = Roles()
"""IncluCities' names: mentor and mentee."""


class Theme(enum.StrEnum):
    """The scheme areas named at the launch of IncluCities (the AMIF four).

    Themes are an open vocabulary: these four are the defaults, and any ``lower_snake_case``
    name is a theme of a programme's own (``"urban_food"``, ``"digital_inclusion"``). A known
    name becomes its member; see `theme_value`.
    """

    EDUCATION_AND_TRAINING = "education_and_training"
    ACCESS_TO_BASIC_SERVICES = "access_to_basic_services"
    PARTICIPATION_AND_SOCIAL_INCLUSION = "participation_and_social_inclusion"
    HOUSING = "housing"


def theme_value(value: object, field: str = "theme") -> str:
    """``value`` as a theme: a `Theme` member for the four defaults, else the name itself.

    Raises:
        ValidationError: naming ``field``, for anything but a ``lower_snake_case`` name of at
            most 80 characters.

    Examples:
        >>> from mentorflow._domain.model import theme_value
        >>> theme_value("housing"), theme_value("urban_food")
        (<Theme.HOUSING: 'housing'>, 'urban_food')
    """
    return _open_value(Theme, "theme", field, value)


def _open_value(kind: type[enum.StrEnum], noun: str, field: str, value: object) -> str:
    """A member of ``kind`` for one of its values, else a ``lower_snake_case`` name kept as it
    is (an open vocabulary with defaults)."""
    if isinstance(value, kind):
        return value
    if not isinstance(value, str) or not _THEME_NAME.fullmatch(value):
        defaults = ", ".join(repr(m.value) for m in kind)
        raise ValidationError(
            field,
            f"{show(value)} is not a {noun}: one of {defaults}, or a lower_snake_case name of "
            "your own",
        )
    try:
        return kind(value)
    except ValueError:
        return value


class VisitMode(enum.StrEnum):
    """How a study visit was held."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class Deliverable(enum.StrEnum):
    """What a pair produces. ``owner`` says which role produces it, if one does."""

    ACTION_PLAN = "action_plan"
    ONE_STOP_SHOP = "one_stop_shop"
    TOOLKIT = "toolkit"
    INFOGRAPHIC = "infographic"
    METHODOLOGICAL_GUIDE = "methodological_guide"

    @property
    def owner(self) -> Role | None:
        """The mentee produces the Action Plan, the mentor the one-stop-shop; others are shared."""
        return _OWNERS.get(self)


_OWNERS = {Deliverable.ACTION_PLAN: Role.MENTEE, Deliverable.ONE_STOP_SHOP: Role.MENTOR}


@attrs.frozen(kw_only=True)
class City:
    """A participating city.

    Args:
        name: The city's name, e.g. ``"Fuenlabrada"``.
        country: ISO 3166-1 alpha-2 code; decides the city's public holidays.
        subdivision: Optional ISO 3166-2 subdivision after the dash (``"MD"`` for ES-MD).

    Raises:
        ValidationError: naming the field, also when the ``holidays`` package has no calendar
            for the country or subdivision.
    """

    name: str = attrs.field(validator=v.text("name"))
    country: str = attrs.field(validator=v.country_code("country"))
    subdivision: str | None = attrs.field(default=None, validator=v.subdivision_code("subdivision"))

    def __attrs_post_init__(self) -> None:
        check_region(self.region)  # its public holidays must be known

    @property
    def region(self) -> str:
        """``"ES-MD"`` style code: country and subdivision, or just the country."""
        return f"{self.country}-{self.subdivision}" if self.subdivision else self.country


@attrs.frozen(kw_only=True)
class Association:
    """A national association of local and regional governments, e.g. ``VVSG`` (Belgium)."""

    name: str = attrs.field(validator=v.text("name"))
    country: str = attrs.field(validator=v.country_code("country"))


@attrs.frozen(kw_only=True)
class Partner:
    """One side of a pair: a city and the association that accompanies it, if one does.

    A partner is a value: the same city (with the same association) in several pairs is the
    same partner, as a network's lead city is in each of its pairs (`Programme.partners`).

    Args:
        city: The city.
        association: Its national association of local and regional governments; None for a
            programme without associations (an URBACT network's partners have none).
    """

    city: City = attrs.field(validator=v.instance_of("city", City))
    association: Association | None = attrs.field(
        default=None, validator=v.instance_of("association", (Association, type(None)))
    )


def _key_factors(value: Iterable[str]) -> tuple[str, ...]:
    return v.text_tuple("key_factors", value)


@attrs.frozen(kw_only=True)
class Benchmark:
    """A thematic standard for a pair, with the key factors needed to reach it."""

    title: str = attrs.field(validator=v.text("title"))
    key_factors: tuple[str, ...] = attrs.field(default=(), converter=_key_factors)


def _host(value: Role | str) -> Role:
    return v.enum_value("host", Role, value)


def _mode(value: VisitMode | str) -> VisitMode:
    return v.enum_value("mode", VisitMode, value)


def _starts_on(value: dt.date) -> pendulum.Date:
    return v.date_value("starts_on", value)


def _ends_on(value: dt.date) -> pendulum.Date:
    return v.date_value("ends_on", value)


@attrs.frozen(kw_only=True)
class StudyVisit:
    """A study visit that was held.

    Args:
        number: Which visit of the lifecycle it is (1, 2, 3 by default).
        host: The role whose city hosted it (held online, it is still hosted by one side).
        mode: Online, in person or hybrid.
        starts_on: First day of the visit.
        ends_on: Last day of the visit; not before ``starts_on``.
    """

    number: int = attrs.field(validator=v.instance_of("number", int))
    host: Role = attrs.field(converter=_host)
    mode: VisitMode = attrs.field(converter=_mode)
    starts_on: pendulum.Date = attrs.field(converter=_starts_on)
    ends_on: pendulum.Date = attrs.field(converter=_ends_on)

    @number.validator
    def _check_number(self, _attr: object, value: int) -> None:
        if isinstance(value, bool) or value < 1:
            raise ValidationError("number", f"must be a positive whole number, not {show(value)}")

    @ends_on.validator
    def _check_dates(self, _attr: object, value: pendulum.Date) -> None:
        if value < self.starts_on:
            raise ValidationError(
                "ends_on", f"{value.isoformat()} is before starts_on {self.starts_on.isoformat()}"
            )


class ActivityKind(enum.StrEnum):
    """Common kinds of programme-wide activity (an open vocabulary: any ``lower_snake_case``
    name is a kind of a programme's own)."""

    TRANSNATIONAL_MEETING = "transnational_meeting"
    NETWORK_VISIT = "network_visit"
    WORKSHOP = "workshop"
    STEERING_COMMITTEE = "steering_committee"
    TRAINING = "training"
    FINAL_CONFERENCE = "final_conference"


def _kind(value: object) -> str:
    return _open_value(ActivityKind, "kind of activity", "kind", value)


@attrs.frozen(kw_only=True)
class Activity:
    """A programme-wide activity: it involves every pair, whatever phase each is in.

    Args:
        name: What it is called (``"Transnational meeting 2, Udine"``).
        kind: An `ActivityKind`, or a ``lower_snake_case`` kind of the programme's own.
        starts_on: Its first day.
        ends_on: Its last day (default: ``starts_on``); not before it.
        mode: Online, in person or hybrid.
        place: Where it is held (a city), if in person.

    Examples:
        >>> import pendulum
        >>> from mentorflow import Activity
        >>> Activity(name="Final conference", kind="final_conference",
        ...          starts_on=pendulum.date(2023, 3, 28), ends_on=pendulum.date(2023, 3, 29),
        ...          place="Brussels").days
        2
    """

    name: str = attrs.field(validator=v.text("name"))
    kind: str = attrs.field(default=ActivityKind.TRANSNATIONAL_MEETING, converter=_kind)
    starts_on: pendulum.Date = attrs.field(converter=_starts_on)
    ends_on: pendulum.Date = attrs.field(
        default=None, converter=attrs.converters.optional(_ends_on)
    )
    mode: VisitMode = attrs.field(default=VisitMode.IN_PERSON, converter=_mode)
    place: str | None = attrs.field(default=None, validator=v.optional_text("place"))

    def __attrs_post_init__(self) -> None:
        if self.ends_on is None:
            object.__setattr__(self, "ends_on", self.starts_on)
        elif self.ends_on < self.starts_on:
            raise ValidationError(
                "ends_on",
                f"{self.ends_on.isoformat()} is before starts_on {self.starts_on.isoformat()}",
            )

    @property
    def days(self) -> int:
        """How many days it lasts."""
        return (self.ends_on - self.starts_on).days + 1
