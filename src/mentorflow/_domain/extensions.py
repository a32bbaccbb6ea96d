"""Extensions: amendments that move a programme's end or a phase's deadline, under a policy.

An extension is requested (when, by how much, why), then granted or refused (when, by whom).
A request the funder leaves unanswered past the response window lapses: it counts as refused.
The policy's defaults follow EU practice; each clause has a name, and a request or decision
that breaks one raises `PolicyViolation` naming it:

- `after-end`: no amendment once the programme has ended (requests dated after its end).
- `request-lead`: a request comes at least `request_lead` before the date it moves (the
  programme's end, or a pair's phase deadline); by default one month.
- `pending`: one open request at a time for the same programme, phase and pair.
- `max-count`: at most `max_count` extensions granted for the same target.
- `max-total`: the granted extensions of a target together at most `max_total`.
- `response-window`: the funder answers within `response_days` (default 45); later, the
  request has lapsed and can no longer be granted or refused.
- `not-pending`: only an open request can be granted or refused.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections.abc import Sequence

import attrs
import pendulum

from ..exceptions import PolicyViolation, ValidationError
from . import validate as v
from .calendar import WorkingCalendar, add_months, calendar_for
from .clock import earlier
from .deadlines import Offset, Unit, extend
from .validate import show


def _check_policy(policy: ExtensionPolicy) -> None:
    lead, total = policy.request_lead, policy.max_total
    if not isinstance(lead, Offset) or lead.amount < 0:
        raise ValidationError("request_lead", f"must be an Offset of 0 or more, not {show(lead)}")
    if not _whole(policy.response_days) or policy.response_days < 1:
        raise ValidationError(
            "response_days",
            f"must be a whole number of days >= 1, not {show(policy.response_days)}",
        )
    v.span("response_days", policy.response_days, "days")
    if policy.max_count is not None and (not _whole(policy.max_count) or policy.max_count < 0):
        raise ValidationError(
            "max_count", f"must be a whole number >= 0 or None, not {show(policy.max_count)}"
        )
    if total is not None and (not isinstance(total, Offset) or total.amount < 0):
        raise ValidationError(
            "max_total", f"must be an Offset of 0 or more or None, not {show(total)}"
        )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@attrs.frozen(kw_only=True)
class ExtensionPolicy:
    """What extensions are allowed.

    Args:
        request_lead: A request must come at least this long before the date it moves
            (default one month, as in EU external-action contracts).
        response_days: The funder answers within this many days of the request (default 45,
            as in the Funding & Tenders portal); no answer means refused.
        max_count: At most this many granted extensions per target (default 3); None for
            no limit.
        max_total: All granted extensions of a target together at most this long (default 12
            months); None for no limit. Measured on the calendar from the programme's original
            end date, for phase extensions too.

    Raises:
        ValidationError: naming the field, for a value of the wrong kind or out of range.
    """

    request_lead: Offset = attrs.field(factory=lambda: Offset(amount=1, unit=Unit.MONTHS))
    response_days: int = 45
    max_count: int | None = 3
    max_total: Offset | None = attrs.field(factory=lambda: Offset(amount=12, unit=Unit.MONTHS))

    def __attrs_post_init__(self) -> None:
        _check_policy(self)

    # -- the clauses: pure checks of a request or a decision against this policy ------------

    def check_request(
        self,
        *,
        at: pendulum.DateTime,
        offset: Offset,
        ends_on: pendulum.Date,
        moves: pendulum.Date | None,
        of_end: bool,
        pending: Extension | None,
        granted: Sequence[Offset],
        original_ends_on: pendulum.Date,
        calendar: WorkingCalendar,
    ) -> None:
        """Check a request dated ``at`` for ``offset`` more.

        Args:
            at: When it is requested.
            offset: By how much.
            ends_on: The programme's end as it stands.
            moves: The date the extension moves (the end, or the pair's phase deadline);
                None when there is no one date (a phase extension for every pair).
            of_end: Whether it extends the programme's end (not a phase deadline).
            pending: An open request for the same target, if any.
            granted: The offsets granted already for the same target, in order.
            original_ends_on: The programme's end before any extension (``max_total`` counts
                from it).
            calendar: The programme's working-day calendar.

        Raises:
            PolicyViolation: naming the clause: ``after-end``, ``request-lead``, ``pending``,
                ``max-count`` or ``max-total``.
        """
        if at.date() > ends_on:
            raise PolicyViolation(
                "after-end", f"the programme ended on {ends_on}; no amendment after the end"
            )
        if moves is not None:
            latest = _minus(moves, self.request_lead)
            if at.date() > latest:
                what = "the end" if of_end else "the deadline"
                raise PolicyViolation(
                    "request-lead",
                    f"request by {latest} at the latest: {self.request_lead} before "
                    f"{what} ({moves})",
                )
        if pending is not None:
            raise PolicyViolation(
                "pending", f"{pending.key} is still waiting for an answer", pending.key
            )
        if self.max_count is not None and len(granted) >= self.max_count:
            raise PolicyViolation(
                "max-count", f"{len(granted)} granted already, the most the policy allows"
            )
        total = extend(original_ends_on, [*granted, offset], calendar)
        if total > add_months(original_ends_on, v.MAX_SPAN["months"]):
            raise PolicyViolation(
                "max-total",
                "with this one the extensions would add up to more than 100 years, the most "
                "mentorflow handles",
            )
        if self.max_total is not None and total > extend(
            original_ends_on, [self.max_total], calendar
        ):
            raise PolicyViolation(
                "max-total",
                f"with this one the extensions would add up to more than {self.max_total}",
            )

    def check_decision(self, extension: Extension, at: pendulum.DateTime) -> None:
        """Check a grant or refusal of ``extension`` dated ``at``.

        Raises:
            PolicyViolation: ``not-pending`` or ``response-window``.
            ValidationError: ``at`` is before the request.
        """
        key = extension.key
        if extension.status is not ExtensionStatus.REQUESTED:
            raise PolicyViolation("not-pending", f"{key} is already {extension.status.value}", key)
        if earlier(at, extension.requested_at):
            raise ValidationError("at", f"{at.isoformat()} is before the request")
        due = extension.answer_due(self)
        if earlier(due, at):
            raise PolicyViolation(
                "response-window",
                f"{key} lapsed on {due.to_date_string()}: no answer within "
                f"{self.response_days} days means refused",
                key,
            )

    def lapse(self, extension: Extension, at: pendulum.DateTime) -> str | None:
        """Why ``extension`` has lapsed by ``at`` (no answer in the window), or None."""
        if extension.status is not ExtensionStatus.REQUESTED:
            return None
        due = extension.answer_due(self)
        if not earlier(due, at):
            return None
        return f"no answer within {self.response_days} days (lapsed on {due.to_date_string()})"


class ExtensionStatus(enum.StrEnum):
    """Where an extension request stands."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"
    LAPSED = "lapsed"
    """No answer within the response window: refused."""


@attrs.frozen(kw_only=True)
class Extension:
    """An extension request and its outcome.

    Attributes:
        key: ``"E1"``, ``"E2"``, ... in the order requested.
        phase: The phase whose deadline it moves; None for the programme's end.
        pair: For a phase extension, the pair; None means every pair.
        offset: By how much.
        reason: Why it was requested.
        requested_at: When it was requested.
        status: Requested, granted, refused or lapsed.
        decided_at: When it was granted or refused (or lapsed).
        decided_by: Who granted or refused it (None if it lapsed).
        answer: The reason given with a refusal.
    """

    key: str
    phase: str | None
    pair: str | None
    offset: Offset
    reason: str
    requested_at: pendulum.DateTime
    status: ExtensionStatus = ExtensionStatus.REQUESTED
    decided_at: pendulum.DateTime | None = None
    decided_by: str | None = None
    answer: str | None = None

    @property
    def target(self) -> tuple[str | None, str | None]:
        """What it extends: ``(phase, pair)``; ``(None, None)`` is the programme."""
        return (self.phase, self.pair)

    def answer_due(self, policy: ExtensionPolicy) -> pendulum.DateTime:
        """The last instant the funder can answer."""
        at = self.requested_at
        return _days_later(at, at.tzinfo, at.fold, policy.response_days)

    def open_at(self, at: pendulum.DateTime, policy: ExtensionPolicy) -> bool:
        """Whether the request is still waiting for an answer at ``at``."""
        return self.status is ExtensionStatus.REQUESTED and at <= self.answer_due(policy)


@functools.lru_cache(maxsize=1024)
def _days_later(
    at: pendulum.DateTime, tz: dt.tzinfo | None, fold: int, days: int
) -> pendulum.DateTime:
    """``at.add(days=days)``, remembered: every deadline check asks it of each open request,
    and pendulum's calendar arithmetic takes microseconds. Equal datetimes can be different
    wall times (another zone, or the other side of a DST fold), so the key has both."""
    return at.add(days=days)


def _minus(day: pendulum.Date, offset: Offset) -> pendulum.Date:
    """``day`` less ``offset`` (calendar arithmetic; working days count weekdays only)."""
    return Offset(amount=-offset.amount, unit=offset.unit).after(day, calendar_for(()))
