"""Commands as data: what a random test sends to a pair, and how to send it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from .._core.programme import Pair, Programme
from .._domain import commands as c
from .._domain.deadlines import Offset, Unit
from .._domain.events import PairEvent
from .._domain.extensions import Extension
from .._domain.lifecycle import Lifecycle, Phase
from .._domain.model import Benchmark, Deliverable, Role, StudyVisit, VisitMode
from ..exceptions import CommandRefused, PolicyViolation, ValidationError
from ._moves import next_move
from ._strategies import benchmarks, partners


@attrs.frozen
class Command:
    """A command to send to a pair, as data.

    Attributes:
        name: One of the pair's command methods (``"complete"``, ``"record_visit"``, ...), or
            ``"advance"``: the pair's valid next move (resume it, record the visit or register
            the deliverable its phase needs, or complete its phase).
        hours: When, in hours after the pair's last change; negative tries to go back in time.
        args: The command's arguments; for ``complete`` and ``record_visit`` a ``None`` in
            place of the phase or visit number means "the pair's current one"; a visit's
            arguments are ``(number, host, mode, ends_in_days, days)``, ``days`` (its length,
            default 1) optional.
    """

    name: str
    hours: int = 0
    args: tuple[Any, ...] = ()

    def run(self, pair: Pair) -> tuple[PairEvent, ...] | CommandRefused:
        """Send the command to ``pair``; return its events, or the refusal it raised."""
        at = pair.last_changed_at.add(hours=self.hours)
        try:
            return self._send(pair, at)
        except CommandRefused as refusal:
            return refusal

    def _send(self, pair: Pair, at: pendulum.DateTime) -> tuple[PairEvent, ...]:
        # a pair command emits pair events
        return pair.programme.execute(self.command_for(pair, at))  # type: ignore[return-value]

    def command_for(self, pair: Pair, at: pendulum.DateTime) -> c.PairCommand:
        """The command value this sends to ``pair`` at ``at`` (placeholders filled in)."""
        key, lifecycle = pair.key, pair.programme.lifecycle
        if self.name == "advance":
            return next_move(pair, at) or c.Complete(pair=key, phase=pair.phase, at=at)
        if self.name == "complete":
            (phase,) = self.args
            return c.Complete(pair=key, phase=pair.phase if phase is None else phase, at=at)
        if self.name == "record_visit":
            number, host, mode, ends_in, *length = self.args
            if number is None:
                held = lifecycle.step(pair.phase).visit if pair.phase in lifecycle.order else None
                number = held or 1
            ends = at.date().add(days=ends_in)
            starts = ends.subtract(days=(length[0] if length else 1) - 1)
            visit = StudyVisit(number=number, host=host, mode=mode, starts_on=starts, ends_on=ends)
            return c.RecordVisit(pair=key, visit=visit, at=at)
        if self.name == "register_deliverable":
            return c.RegisterDeliverable(pair=key, deliverable=self.args[0], at=at)
        if self.name == "define_benchmarks":
            return c.DefineBenchmarks(pair=key, benchmarks=self.args[0], at=at)
        if self.name == "replace_partner":
            role, partner = self.args
            return c.ReplacePartner(pair=key, role=role, partner=partner, at=at)
        kinds: dict[str, type[c.PairCommand]] = {
            "suspend": c.Suspend,
            "resume": c.Resume,
            "withdraw": c.Withdraw,
        }
        return kinds[self.name](pair=key, at=at)

    def __str__(self) -> str:
        args = ", ".join(map(str, self.args))
        return f"{self.name}({args}) +{self.hours}h"


# weighted towards progress; shrinks towards completing the current phase
_KINDS = (
    ["complete"] * 6
    + ["record_visit"] * 4
    + ["register_deliverable"] * 2
    + ["resume"] * 2
    + ["complete_any", "suspend", "replace_partner", "define_benchmarks", "withdraw"]
)


@st.composite
def commands(
    draw: st.DrawFn, lifecycle: Lifecycle | None = None, *, progress: float | None = None
) -> Command:
    """Any command a user could send to a pair of ``lifecycle``, valid or not.

    Args:
        lifecycle: The pairs' lifecycle (default: the default lifecycle).
        progress: The share of commands that are the pair's valid next move (``"advance"``),
            from 0 to 1; None (default) weights the kinds towards progress (completing the
            current phase, recording its visit) without looking at the pair.

    One in ten is dated before the pair's last change; visits last one to five days.

    Raises:
        ValidationError: a ``progress`` outside 0 to 1.
    """
    lifecycle = lifecycle or Lifecycle.default()
    if progress is not None and not 0 <= progress <= 1:
        raise ValidationError("progress", f"must be from 0 to 1, not {progress!r}")
    backwards = draw(st.integers(0, 9)) == 0
    hours = draw(st.integers(-72, -1) if backwards else st.integers(0, 24 * 30))
    if progress is not None and draw(st.integers(0, 19)) < round(progress * 20):
        return Command("advance", hours)
    kind = draw(st.sampled_from(_KINDS))
    if kind == "complete":
        return Command("complete", hours, (None,))
    if kind == "complete_any":
        phase = draw(st.sampled_from([*lifecycle.order, Phase.COMPLETED]))
        return Command("complete", hours, (phase,))
    if kind == "record_visit":
        number = draw(st.sampled_from([None, None, None, 1, 2, 3, 4]))
        host = draw(st.sampled_from(Role))
        mode = draw(st.sampled_from(VisitMode))
        ends_in = draw(st.sampled_from([0, -1, -2, 1]))
        return Command(kind, hours, (number, host, mode, ends_in, draw(st.integers(1, 5))))
    if kind == "register_deliverable":
        return Command(kind, hours, (draw(st.sampled_from(Deliverable)),))
    if kind == "define_benchmarks":
        chosen: list[Benchmark] = draw(st.lists(benchmarks(), max_size=2))
        return Command(kind, hours, (tuple(chosen),))
    if kind == "replace_partner":
        return Command(kind, hours, (draw(st.sampled_from(Role)), draw(partners())))
    return Command(kind, hours)


def command_sequences(
    lifecycle: Lifecycle | None = None, *, min_size: int = 1, max_size: int = 60
) -> st.SearchStrategy[list[Command]]:
    """Lists of `commands` for one pair."""
    return st.lists(commands(lifecycle), min_size=min_size, max_size=max_size)


@attrs.frozen
class ExtensionRequest:
    """An extension request, as data: of the programme (``phase`` None) or of a phase, for one
    pair or (``pair`` None) every pair."""

    offset: Offset
    phase: str | None = None
    pair: str | None = None
    reason: str = "a test"

    def submit(self, programme: Programme, at: pendulum.DateTime) -> Extension | PolicyViolation:
        """Request it of ``programme`` at ``at``; return the extension, or the violation."""
        unit, amount = self.offset.unit, self.offset.amount
        days = amount if unit is Unit.DAYS else None
        weeks = amount if unit is Unit.WEEKS else None
        months = amount if unit is Unit.MONTHS else None
        try:
            if self.phase is None:
                return programme.request_extension(
                    reason=self.reason, at=at, days=days, weeks=weeks, months=months
                )
            return programme.request_phase_extension(
                self.phase,
                pair=self.pair,
                reason=self.reason,
                at=at,
                days=days,
                weeks=weeks,
                months=months,
            )
        except PolicyViolation as violation:
            return violation


@st.composite
def extension_requests(
    draw: st.DrawFn,
    *,
    phases: Sequence[str] | None = None,
    pairs: Sequence[str] | None = None,
) -> ExtensionRequest:
    """Extension requests of the programme, or of one of ``phases`` for one of ``pairs`` or
    all (by default: programme extensions only)."""
    offset = draw(extension_offsets())
    phase = draw(st.none() | st.sampled_from(list(phases))) if phases else None
    pair = draw(st.none() | st.sampled_from(list(pairs))) if phase and pairs else None
    return ExtensionRequest(offset, phase, pair)


@st.composite
def extension_offsets(draw: st.DrawFn) -> Offset:
    """How much longer an extension request asks for: 1 to 90 days, 1 to 12 weeks or 1 to 6
    months."""
    unit = draw(st.sampled_from([Unit.DAYS, Unit.WEEKS, Unit.MONTHS]))
    amount = draw(st.integers(1, {Unit.DAYS: 90, Unit.WEEKS: 12, Unit.MONTHS: 6}[unit]))
    return Offset(amount=amount, unit=unit)
