"""Print mentorflow's enums as code (``Role.MENTEE``) in Hypothesis' falsifying examples.

A `StrEnum` member's repr (``<Role.MENTEE: 'mentee'>``) can't be pasted back into Python;
Hypothesis' printer takes a printer per type, registered here when `mentorflow.testing` is
imported, so a printed counterexample is a program that runs.
"""

from __future__ import annotations

import enum
from typing import Any


def _member(obj: enum.Enum, printer: Any, cycle: bool) -> None:
    printer.text(f"{type(obj).__name__}.{obj.name}")


def register_printers() -> None:
    """Register the printers of mentorflow's public enums with Hypothesis."""
    from hypothesis.vendor.pretty import for_type_by_name

    from .._domain.deadlines import Unit
    from .._domain.extensions import ExtensionStatus
    from .._domain.lifecycle import PairStatus, Phase
    from .._domain.model import Deliverable, Role, Theme, VisitMode

    for kind in (Deliverable, ExtensionStatus, PairStatus, Phase, Role, Theme, Unit, VisitMode):
        for_type_by_name(kind.__module__, kind.__name__, _member)
