"""Uncertain amounts of time: a phase's duration or a delay as a distribution.

Each distribution is sampled by its inverse CDF (`Distribution.quantile`) from one uniform
draw. A Monte Carlo run draws one uniform number for every slot (every pair's every phase, every
delay) whether or not the slot is uncertain, so two variants of a scenario run with the same
seed see the same luck in every slot they share (common random numbers): their difference is
the variant's, not the dice's.

A sampled amount is a real number of the distribution's unit; `Distribution.offsets` turns it
into whole `Offset`s: 4.5 months is 4 months and 15 days (a month's fraction counts 30.44 days,
the mean Gregorian month), 2.5 weeks is 2 weeks and 4 days, days and working days round to the
nearest whole one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import ClassVar

import attrs

from ..exceptions import ValidationError
from . import validate as v
from .deadlines import Offset, Unit
from .validate import show

_MEAN_MONTH_DAYS = 365.2425 / 12


def _unit(value: Unit | str) -> Unit:
    try:
        return Unit(value)
    except ValueError:
        units = ", ".join(u.value for u in Unit)
        raise ValidationError("unit", f"{show(value)} is not one of {units}") from None


def _check_amount(name: str, value: object) -> None:
    """A finite real number, not negative (durations and delays don't run back)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(name, f"must be a number, not {show(value)}")
    if not math.isfinite(value) or value < 0:
        raise ValidationError(name, f"must be a finite number >= 0, not {show(value)}")


def _amount(instance: Distribution, attribute: attrs.Attribute[float], value: object) -> None:
    _check_amount(attribute.name, value)
    v.span(attribute.name, value, instance.unit.value)  # type: ignore[arg-type]  # checked


def _spans(instance: Empirical, _: object, values: tuple[float, ...]) -> None:
    v.span("values", values[-1], instance.unit.value)


def _round(amount: float) -> int:
    # half up, not Python's half to even: 2.5 days is 3 days, as a planner would say
    return math.floor(amount + 0.5)


def to_offsets(amount: float, unit: Unit) -> tuple[Offset, ...]:
    """``amount`` of ``unit`` as whole offsets (see the module's docstring)."""
    whole = math.floor(amount)
    if amount == whole:
        return (Offset(amount=int(whole), unit=unit),)
    if unit in (Unit.DAYS, Unit.WORKING_DAYS):
        return (Offset(amount=_round(amount), unit=unit),)
    per = _MEAN_MONTH_DAYS if unit is Unit.MONTHS else 7
    days = _round((amount - whole) * per)
    return (Offset(amount=int(whole), unit=unit), Offset(amount=days))


def _words(amount: float, unit: Unit) -> str:
    number = f"{amount:g}"
    words = unit.value.replace("_", " ")
    return f"{number} {words[:-1] if number == '1' else words}"


@attrs.frozen
class Distribution:
    """An uncertain amount of time: one of `Fixed`, `Uniform`, `Triangular`, `Empirical`."""

    kind: ClassVar[str] = ""

    unit: Unit = attrs.field(default=Unit.DAYS, converter=_unit, kw_only=True)

    def quantile(self, u: float) -> float:
        """The amount at cumulative probability ``u`` (0 <= u < 1): the inverse CDF."""
        raise NotImplementedError  # pragma: no cover - every kind overrides it

    @property
    def bounds(self) -> tuple[float, float]:
        """The smallest and the largest amount it can give."""
        raise NotImplementedError  # pragma: no cover - every kind overrides it

    @property
    def median(self) -> float:
        """The amount a single `simulate` uses: the middle of the distribution."""
        return self.quantile(0.5)

    def offsets(self, u: float) -> tuple[Offset, ...]:
        """The amount at ``u`` as whole offsets."""
        return to_offsets(self.quantile(u), self.unit)


@attrs.frozen
class Fixed(Distribution):
    """Always the same amount: ``Fixed(7, unit="months")``.

    Examples:
        >>> Fixed(7, unit="months").offsets(0.9)
        (Offset(amount=7, unit=<Unit.MONTHS: 'months'>),)
    """

    kind: ClassVar[str] = "fixed"

    value: float = attrs.field(validator=_amount)

    def quantile(self, u: float) -> float:
        return self.value

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.value, self.value)

    def __str__(self) -> str:
        return _words(self.value, self.unit)


@attrs.frozen
class Uniform(Distribution):
    """Any amount between ``low`` and ``high``, all equally likely.

    Examples:
        >>> Uniform(0, 4, unit="months").quantile(0.25)
        1.0
    """

    kind: ClassVar[str] = "uniform"

    low: float = attrs.field(validator=_amount)
    high: float = attrs.field(validator=_amount)

    def __attrs_post_init__(self) -> None:
        if self.high < self.low:
            raise ValidationError("high", f"must be >= low ({self.low}), not {self.high}")

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def __str__(self) -> str:
        return f"uniform {self.low:g} to {_words(self.high, self.unit)}"


@attrs.frozen
class Triangular(Distribution):
    """Between ``low`` and ``high``, most likely ``mode`` (the planner's three-point estimate).

    Examples:
        >>> round(Triangular(5, 7, 10, unit="months").median, 2)
        7.26
    """

    kind: ClassVar[str] = "triangular"

    low: float = attrs.field(validator=_amount)
    mode: float = attrs.field(validator=_amount)
    high: float = attrs.field(validator=_amount)

    def __attrs_post_init__(self) -> None:
        if not self.low <= self.mode:
            raise ValidationError("mode", f"must be >= low ({self.low}), not {self.mode}")
        if not self.mode <= self.high:
            raise ValidationError("high", f"must be >= mode ({self.mode}), not {self.high}")

    def quantile(self, u: float) -> float:
        low, mode, high = self.low, self.mode, self.high
        span = high - low
        if span == 0:
            return low
        if u * span < mode - low:  # u < F(mode), without dividing by span
            return low + math.sqrt(u * span * (mode - low))
        return high - math.sqrt((1 - u) * span * (high - mode))

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.low, self.high)

    def __str__(self) -> str:
        return f"triangular {self.low:g}/{self.mode:g}/{_words(self.high, self.unit)}"


def _values(value: Iterable[float]) -> tuple[float, ...]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise ValidationError("values", f"must be a list of numbers, not {show(value)}")
    values = tuple(value)
    if not values:
        raise ValidationError("values", "must have at least one observed value")
    for number in values:
        _check_amount("values", number)
    return tuple(sorted(values))


@attrs.frozen
class Empirical(Distribution):
    """One of the observed ``values``, each as likely as its share of the list.

    Examples:
        >>> Empirical([9, 6, 7, 7], unit="months").values
        (6, 7, 7, 9)
        >>> Empirical([9, 6, 7, 7], unit="months").quantile(0.3)
        7
    """

    kind: ClassVar[str] = "empirical"

    values: tuple[float, ...] = attrs.field(converter=_values, validator=_spans)

    def quantile(self, u: float) -> float:
        values = self.values
        return values[min(len(values) - 1, int(u * len(values)))]

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.values[0], self.values[-1])

    def __str__(self) -> str:
        return f"empirical {', '.join(f'{v:g}' for v in self.values)} {self.unit.value}"


KINDS: dict[str, type[Distribution]] = {
    kind.kind: kind for kind in (Fixed, Uniform, Triangular, Empirical)
}
