"""The ``TestCase`` a machine hands to pytest: Hypothesis' own, without the explain phase.

Hypothesis' *explain* phase runs only after a failure has been shrunk: it reruns the shrunk
example many times, varying each step, to print which steps matter. It finds and shrinks
nothing, so leaving it out changes no verdict and no printed program; on the planted bugs it
made a failing run about 30 times slower. A machine's ``explain = True`` keeps it.
"""

from __future__ import annotations

from typing import Any

from hypothesis import Phase, settings
from hypothesis.stateful import RuleBasedStateMachine


class TestCaseWithoutExplain:
    """``Machine.TestCase``: Hypothesis' test case for the machine, its settings without the
    explain phase unless the machine's ``explain`` is true (the rest comes from the current
    profile, as in Hypothesis)."""

    def __get__(self, obj: object, owner: type[RuleBasedStateMachine] | None = None) -> Any:
        case = vars(RuleBasedStateMachine)["TestCase"].__get__(obj, owner)
        machine = type(obj) if obj is not None else owner
        if not getattr(machine, "explain", False):
            chosen = case.settings
            phases = [p for p in chosen.phases if p is not Phase.explain]
            case.settings = settings(chosen, phases=phases)
        return case
