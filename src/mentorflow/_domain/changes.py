"""What differs between two definitions, in lines a person can read.

Used where two definitions of one programme meet: a restore given a definition that differs
from the stored one (`DefinitionDrift`), and a migration's plan. Each line names what changed
and how: ``version: 1 -> 2``, ``lifecycle: transfer_workshop moved to after study_visit_2 (was
after study_visit_3)``, ``deadline transfer_workshop: added (2 months after
study_visit_2.completed)``.

Examples:
    >>> import pendulum
    >>> from mentorflow import Definition, DeadlineRule, Lifecycle, Phase
    >>> old = Definition(name="P", starts_on=pendulum.date(2020, 6, 17),
    ...     ends_on=pendulum.date(2022, 12, 31))
    >>> new = Definition(name="P", starts_on=pendulum.date(2020, 6, 17),
    ...     ends_on=pendulum.date(2022, 12, 31), version=2,
    ...     lifecycle=Lifecycle.linear(Phase.MATCHING, "peer_review"),
    ...     deadlines=[DeadlineRule("peer_review", after="matching.completed", months=2)])
    >>> print(*changes(old, new), sep="\\n")
    lifecycle: needs_assessment removed
    lifecycle: study_visit_1 removed
    lifecycle: study_visit_2 removed
    lifecycle: study_visit_3 removed
    lifecycle: transfer_workshop removed
    lifecycle: training_academy removed
    lifecycle: final_review removed
    lifecycle: peer_review added, after matching
    deadline peer_review: added (2 months after matching.completed)
    version: 1 -> 2
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import attrs

from .deadlines import DeadlineRule
from .definition import Definition
from .extensions import ExtensionPolicy
from .lifecycle import Lifecycle, Step


def changes(old: Definition, new: Definition) -> tuple[str, ...]:
    """Every difference from ``old`` to ``new``, one line each, in the fields' order (the
    lifecycle, then the deadline rules, then the rest); empty if they are equal."""
    lines: list[str] = []
    for field in attrs.fields(Definition):
        if not field.init:
            continue
        before, after = getattr(old, field.name), getattr(new, field.name)
        if before == after:
            continue
        if field.name == "lifecycle":
            found = lifecycle_changes(before, after)
        elif field.name == "deadlines":
            found = _rule_changes(before, after)
        elif isinstance(before, ExtensionPolicy):
            found = _policy_changes(field.name, before, after)
        else:
            found = [f"{field.name}: {_text(before)} -> {_text(after)}"]
        # equal but for the order they are listed in (rules, steps): still a difference
        lines += found or [f"{field.name}: the same, listed in another order"]
    return tuple(lines)


def lifecycle_changes(old: Lifecycle, new: Lifecycle) -> list[str]:
    """The phases removed, added and moved, the steps whose rules changed, and the hosts."""
    lines: list[str] = []
    before, after = list(old.order), list(new.order)
    kept = set(before) & set(after)
    lines += [f"lifecycle: {p} removed" for p in before if p not in kept]
    for p in after:
        if p not in kept:
            lines.append(f"lifecycle: {p} added, {_place(after, p)}")
    common_old = [p for p in before if p in kept]
    common_new = [p for p in after if p in kept]
    if common_old != common_new:
        matcher = difflib.SequenceMatcher(None, common_old, common_new, autojunk=False)
        stayed = {
            p
            for block in matcher.get_matching_blocks()
            for p in common_new[block.b : block.b + block.size]
        }
        for p in common_new:
            if p not in stayed:
                lines.append(
                    f"lifecycle: {p} moved to {_place(after, p)} (was {_place(before, p)})"
                )
    for p in after:
        if p in kept and old.step(p) != new.step(p):
            lines.append(f"lifecycle: step {p}: {_step(old.step(p))} -> {_step(new.step(p))}")
    if old.visit_hosts != new.visit_hosts:
        lines.append(f"lifecycle: visit_hosts: {_hosts(old)} -> {_hosts(new)}")
    return lines


def _place(order: list[str], phase: str) -> str:
    index = order.index(phase)
    return f"after {order[index - 1]}" if index else "first"


def _step(step: Step) -> str:
    parts = [f"visit {step.visit}" if step.visit is not None else "no visit"]
    if step.requires:
        parts.append("requires " + ", ".join(sorted(d.value for d in step.requires)))
    if step.then is not None:
        parts.append(f"then {step.then}")
    return "; ".join(parts)


def _hosts(lifecycle: Lifecycle) -> str:
    hosts = lifecycle.visit_hosts
    if hosts is None:
        return "no limit"
    return ", ".join(f"{role.value} {count}" for role, count in sorted(hosts.items()))


def _rule_changes(old: Iterable[DeadlineRule], new: Iterable[DeadlineRule]) -> list[str]:
    before = {rule.name: rule for rule in old}
    after = {rule.name: rule for rule in new}
    lines: list[str] = []
    for name, rule in before.items():
        if name not in after:
            lines.append(f"deadline {name}: removed (was {rule_text(rule)})")
        elif after[name] != rule:
            lines.append(f"deadline {name}: {rule_text(rule)} -> {rule_text(after[name])}")
    lines += [
        f"deadline {name}: added ({rule_text(rule)})"
        for name, rule in after.items()
        if name not in before
    ]
    return lines


def rule_text(rule: DeadlineRule) -> str:
    """A deadline rule in words: ``2 months after study_visit_2.completed, capped``."""
    if rule.on is not None:
        text = f"on {rule.on.isoformat()}"
    else:
        offset = rule.offset
        if offset.amount == 0:
            text = f"at {rule.after}"
        elif offset.amount < 0:
            text = f"{attrs.evolve(offset, amount=-offset.amount)} before {rule.after}"
        else:
            text = f"{offset} after {rule.after}"
    extras = []
    if rule.capped:
        extras.append("capped")
    if rule.lead_days:
        extras.append(f"warn {rule.lead_days} days before")
    if rule.calendar is not None:
        extras.append(f"{rule.calendar.value} calendar")
    return ", ".join([text, *extras])


def _policy_changes(name: str, old: ExtensionPolicy, new: ExtensionPolicy) -> list[str]:
    return [
        f"{name}.{field.name}: {_text(getattr(old, field.name))} -> "
        f"{_text(getattr(new, field.name))}"
        for field in attrs.fields(ExtensionPolicy)
        if getattr(old, field.name) != getattr(new, field.name)
    ]


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if hasattr(value, "isoformat") and not hasattr(value, "total_seconds"):
        return str(value.isoformat())
    if hasattr(value, "total_seconds"):
        return f"{value.total_seconds():g} s"
    if isinstance(value, str):
        return value
    return str(value)
