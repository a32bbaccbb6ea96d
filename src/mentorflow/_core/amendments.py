"""The extensions of one programme: the requests and their outcomes, held once.

`Extensions` keeps every `Extension` in the order requested and, beside it, the offsets granted
per target (the index the deadline book computes due dates from: the same dict, not a copy).
Deciding (``request``, ``decide``, ``lapsed``) checks the policy's clauses and returns values;
only the ``apply_*`` methods change anything, and the transaction calls them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs
import pendulum

from .._domain.calendar import WorkingCalendar
from .._domain.deadlines import Offset, extend
from .._domain.extensions import Extension, ExtensionPolicy, ExtensionStatus
from .._domain.validate import show
from ..exceptions import ValidationError

Target = tuple[str | None, str | None]
"""``(phase, pair)`` of an extension; ``(None, None)`` is the programme's end."""


class Extensions:
    """Every extension of a programme, and the offsets granted per target.

    Attributes:
        granted: Target -> the offsets granted for it, in order (read by the deadline book).
    """

    __slots__ = ("_all", "granted", "open", "phase_policy", "policy")

    def __init__(self, policy: ExtensionPolicy, phase_policy: ExtensionPolicy) -> None:
        self.policy = policy
        self.phase_policy = phase_policy
        self._all: list[Extension] = []
        self.open = 0
        """How many requests are waiting for an answer (a deadline check asks every time)."""
        self.granted: dict[Target, list[Offset]] = {}

    def __iter__(self):  # type: ignore[no-untyped-def]  # an Iterator[Extension]
        return iter(self._all)

    def all(self) -> tuple[Extension, ...]:
        """Every extension requested, in order, as it stands."""
        return tuple(self._all)

    def get(self, key: str) -> Extension:
        """The extension with this key.

        Raises:
            ValidationError: if there is none.
        """
        for ext in self._all:
            if ext.key == key:
                return ext
        raise ValidationError("extension", f"no extension with key {show(key)}")

    def policy_for(
        self, ext: Extension | None = None, *, phase: str | None = None
    ) -> ExtensionPolicy:
        """The policy of ``ext`` (or of an extension of ``phase``)."""
        of_phase = ext.phase if ext is not None else phase
        return self.policy if of_phase is None else self.phase_policy

    # -- deciding ----------------------------------------------------------------------

    def request(
        self,
        *,
        phase: str | None,
        pair: str | None,
        offset: Offset,
        reason: str,
        at: pendulum.DateTime,
        ends_on: pendulum.Date,
        moves: pendulum.Date | None,
        original_ends_on: pendulum.Date,
        calendar: WorkingCalendar,
    ) -> Extension:
        """The extension a request makes, once the policy's clauses pass (nothing changes).

        Raises:
            PolicyViolation: naming the clause.
        """
        policy = self.policy_for(phase=phase)
        target = (phase, pair)
        pending = next((e for e in self._all if e.target == target and e.open_at(at, policy)), None)
        policy.check_request(
            at=at,
            offset=offset,
            ends_on=ends_on,
            moves=moves,
            of_end=phase is None,
            pending=pending,
            granted=self.granted.get(target, ()),
            original_ends_on=original_ends_on,
            calendar=calendar,
        )
        return Extension(
            key=f"E{len(self._all) + 1}",
            phase=phase,
            pair=pair,
            offset=offset,
            reason=reason,
            requested_at=at,
        )

    def decide(self, key: str, at: pendulum.DateTime) -> Extension:
        """The extension ``key``, once a decision on it at ``at`` passes the policy.

        Raises:
            ValidationError: no such extension, or ``at`` before the request.
            PolicyViolation: ``not-pending`` or ``response-window``.
        """
        ext = self.get(key)
        self.policy_for(ext).check_decision(ext, at)
        return ext

    def lapsed(self, at: pendulum.DateTime) -> list[tuple[Extension, pendulum.DateTime, str]]:
        """The open requests whose answer window has passed by ``at``: each with the instant
        it lapsed and why."""
        found = []
        for ext in self._all:
            if ext.status is not ExtensionStatus.REQUESTED:
                continue  # decided: nothing can lapse (and no need to date its window)
            policy = self.policy_for(ext)
            why = policy.lapse(ext, at)
            if why is not None:
                found.append((ext, ext.answer_due(policy), why))
        return found

    def extended_end(
        self, original: pendulum.Date, offset: Offset, calendar: WorkingCalendar
    ) -> pendulum.Date:
        """The programme's end once ``offset`` is granted on top of those granted already."""
        return extend(original, [*self.granted.get((None, None), ()), offset], calendar)

    # -- applying (the transaction calls these) ----------------------------------------

    def restore(
        self, extensions: Iterable[Extension], granted: Mapping[Target, Sequence[Offset]]
    ) -> None:
        """Give a new programme's extensions those of a snapshot: every extension as it
        stands, and the offsets granted per target."""
        restored = list(extensions)
        self._all.extend(restored)
        self.open += sum(1 for ext in restored if ext.status is ExtensionStatus.REQUESTED)
        for target, offsets in granted.items():
            self.granted[target] = list(offsets)

    def apply_request(self, ext: Extension) -> None:
        """Record a request."""
        self._all.append(ext)
        if ext.status is ExtensionStatus.REQUESTED:
            self.open += 1

    def apply_decision(
        self,
        ext: Extension,
        status: ExtensionStatus,
        by: str | None,
        answer: str | None,
        at: pendulum.DateTime,
    ) -> Extension:
        """Record a grant, a refusal or a lapse; a grant's offset joins its target's."""
        decided = attrs.evolve(ext, status=status, decided_at=at, decided_by=by, answer=answer)
        self._all[self._all.index(ext)] = decided
        if ext.status is ExtensionStatus.REQUESTED and status is not ExtensionStatus.REQUESTED:
            self.open -= 1
        if status is ExtensionStatus.GRANTED:
            self.granted.setdefault(ext.target, []).append(ext.offset)
        return decided
