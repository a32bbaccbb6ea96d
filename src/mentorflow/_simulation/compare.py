"""Comparing two timelines: what slipped, what became missed, how the end moved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import attrs
import pendulum

from .._domain.views import frame, html
from .scenario import DeadlineRow, Timeline

if TYPE_CHECKING:
    import pandas as pd


@attrs.frozen(kw_only=True)
class Slip:
    """One milestone in a baseline and a variant.

    Attributes:
        milestone: What it is: ``"programme end"``, ``"completion"``, ``"<phase> completed"``
            or ``"<deadline> due"``.
        pair: The pair, for a pair's milestone.
        baseline: Its date in the baseline (None where it has none).
        variant: Its date in the variant (None where it has none).
    """

    milestone: str
    pair: str | None
    baseline: pendulum.Date | None
    variant: pendulum.Date | None

    @property
    def days(self) -> int | None:
        """``variant - baseline`` in days (positive: later in the variant)."""
        if self.baseline is None or self.variant is None:
            return None
        return (self.variant - self.baseline).days


@attrs.frozen(kw_only=True)
class Comparison:
    """A variant against a baseline."""

    baseline: str
    variant: str
    slips: tuple[Slip, ...]
    newly_missed: tuple[DeadlineRow, ...]
    """Deadlines missed in the variant but not in the baseline."""
    no_longer_missed: tuple[DeadlineRow, ...]
    """Deadlines missed in the baseline but not in the variant."""
    end_change_days: int
    """How many days later the variant's programme ends (after extensions)."""
    breach_change_days: int
    """How many more days the variant's completion is past its end than the baseline's."""
    timezone: str = "UTC"
    """The baseline programme's timezone (an IANA name): the one its days are in."""
    baseline_breach_days: int = 0
    """How many days the baseline's completion is past its end."""
    baseline_extension_months: int = 0
    """The baseline's smallest extension, in months (0: none needed)."""
    variant_extension_months: int = 0
    """The variant's smallest extension, in months (0: none needed)."""

    def __repr__(self) -> str:
        moved = sum(1 for s in self.slips if s.days)
        return (
            f"<Comparison {self.variant!r} against {self.baseline!r}: end "
            f"{self.end_change_days:+d} days, {moved} milestones moved, "
            f"{len(self.newly_missed)} newly missed>"
        )

    def _repr_html_(self) -> str:
        return html(self)

    def to_pandas(self, form: Literal["wide", "long"] = "wide") -> pd.DataFrame:
        """The comparison as a pandas DataFrame (needs ``mentorflow[pandas]``).

        ``"wide"``: one row per milestone, its day in the baseline and the variant as
        timezone-aware datetimes and the slip in days as a nullable integer. ``"long"``:
        one row per milestone and scenario, tidy for plotting one against the other.

        Raises:
            ImportError: pandas is not installed.
            ValidationError: ``form`` is neither.
        """
        result: pd.DataFrame = frame(self, form)
        return result

    @property
    def extension_change_months(self) -> int:
        """How many more months of extension the variant needs than the baseline."""
        return self.variant_extension_months - self.baseline_extension_months


def _milestones(timeline: Timeline) -> dict[tuple[str, str | None], pendulum.Date | None]:
    found: dict[tuple[str, str | None], pendulum.Date | None] = {
        ("programme end", None): timeline.ends_on,
        ("completion", None): timeline.completed_on,
    }
    for span in timeline.phases:
        key = (f"{span.phase} completed", span.pair)
        if span.status == "completed" or key not in found:  # left by a migration: not done
            found[key] = span.ended_on if span.status == "completed" else None
    for row in timeline.deadlines:
        found[(f"{row.name} due", row.pair)] = row.due_on
    return found


def compare(baseline: Timeline, variant: Timeline) -> Comparison:
    """Every milestone of either timeline, with its date in each and the slip."""
    before, after = _milestones(baseline), _milestones(variant)
    keys = list(before) + [k for k in after if k not in before]
    missed_before = {(d.name, d.pair) for d in baseline.missed}
    missed_after = {(d.name, d.pair) for d in variant.missed}
    return Comparison(
        baseline=baseline.scenario,
        variant=variant.scenario,
        slips=tuple(
            Slip(
                milestone=name,
                pair=pair,
                baseline=before.get((name, pair)),
                variant=after.get((name, pair)),
            )
            for name, pair in keys
        ),
        newly_missed=tuple(d for d in variant.missed if (d.name, d.pair) not in missed_before),
        no_longer_missed=tuple(d for d in baseline.missed if (d.name, d.pair) not in missed_after),
        end_change_days=(variant.ends_on - baseline.ends_on).days,
        breach_change_days=variant.breach_days - baseline.breach_days,
        timezone=baseline.timezone,
        baseline_breach_days=baseline.breach_days,
        baseline_extension_months=_months(baseline),
        variant_extension_months=_months(variant),
    )


def _months(timeline: Timeline) -> int:
    extension = timeline.smallest_extension
    return 0 if extension is None else extension.amount
