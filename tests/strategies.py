"""Hypothesis strategies for mentorflow's own tests; ``None`` means "let hypothesis choose"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from mentorflow import (
    Deliverable,
    Lifecycle,
    Phase,
    Role,
    VisitMode,
)

STANDARD = [p for p in Phase if p is not Phase.COMPLETED]
OWN = ["local_pilot", "peer_review", "policy_lab"]


@st.composite
def lifecycles(draw: st.DrawFn, *, hosts_rule: bool | None = None) -> Lifecycle:
    """Valid lifecycles: some standard and own phases in any order, hosting rule on or off."""
    phases = draw(st.lists(st.sampled_from(STANDARD + OWN), min_size=1, max_size=9, unique=True))
    visits = sum(
        p in (Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2, Phase.STUDY_VISIT_3) for p in phases
    )
    use_rule = draw(st.booleans()) if hosts_rule is None else hosts_rule
    hosts = None
    if use_rule:
        mentee = draw(st.integers(0, visits))
        mentor = draw(st.integers(visits - mentee, visits))
        hosts = {Role.MENTEE: mentee, Role.MENTOR: mentor}
    return Lifecycle.linear(*phases, visit_hosts=hosts)


@attrs.frozen
class Cmd:
    """One command to try on a pair: its name, arguments and how far the clock moves."""

    name: str
    hours: int
    args: tuple[Any, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}{self.args} +{self.hours}h"


CURRENT = "<current>"

# weighted towards progress; shrinks towards the first entries
_KINDS = (
    ["complete"] * 6
    + ["record_visit"] * 4
    + ["register_deliverable"] * 2
    + ["resume"] * 2
    + ["complete_any", "suspend", "replace_partner", "define_benchmarks", "withdraw"]
)


@st.composite
def commands(draw: st.DrawFn, lifecycle: Lifecycle) -> Cmd:
    """Any command a user could send, valid or not; ``CURRENT`` stands for the current phase.

    One command in ten is dated before the pair's last change.
    """
    kind = draw(st.sampled_from(_KINDS))
    backwards = draw(st.integers(0, 9)) == 0
    hours = draw(st.integers(-72, -1) if backwards else st.integers(0, 24 * 30))
    if kind == "complete":
        return Cmd("complete", hours, (CURRENT,))
    if kind == "complete_any":
        phase = draw(st.sampled_from([*lifecycle.order, Phase.COMPLETED]))
        return Cmd("complete", hours, (phase,))
    if kind == "record_visit":
        number = draw(st.sampled_from([CURRENT, CURRENT, CURRENT, 1, 2, 3, 4]))
        host = draw(st.sampled_from(Role))
        mode = draw(st.sampled_from(VisitMode))
        ends_in = draw(st.sampled_from([0, -1, -2, 1]))
        return Cmd("record_visit", hours, (number, host, mode, ends_in))
    if kind == "register_deliverable":
        return Cmd(kind, hours, (draw(st.sampled_from(Deliverable)),))
    if kind == "define_benchmarks":
        return Cmd(kind, hours, (draw(st.integers(0, 2)),))
    if kind == "replace_partner":
        return Cmd(kind, hours, (draw(st.sampled_from(Role)), draw(st.integers(0, 2))))
    return Cmd(kind, hours)


def day(instant: pendulum.DateTime, offset: int) -> pendulum.Date:
    """The date ``offset`` days from ``instant``'s date."""
    return instant.date().add(days=offset)


def hours_after(start: pendulum.DateTime, hours: int) -> dt.datetime:
    """``start`` moved by ``hours``."""
    return start.add(hours=hours)
