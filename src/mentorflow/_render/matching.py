"""Exports of a matching proposal: rows, a terminal table with each score's breakdown, CSV and
JSON. The same proposal gives byte-identical output."""

from __future__ import annotations

import json
from typing import Any

from .._matching.candidates import Candidate
from .._matching.method import Method
from .._matching.proposal import Proposal
from .exports import csv_text, render_table


def _round(value: float) -> float:
    return round(value, 6) + 0.0  # no -0.0


def proposal_rows(proposal: Proposal) -> list[dict[str, Any]]:
    """One row per proposed pair: its key, candidates, score, and each criterion's points
    (they add up to the score)."""
    rows = []
    for match in proposal.matches:
        row: dict[str, Any] = {
            "pair": match.key,
            "mentor": match.mentor.name,
            "mentee": match.mentee.name,
            "score": _round(match.score.total),
        }
        row.update({p.criterion: _round(p.points) for p in match.score.parts})
        row.update(
            {
                "theme": "" if match.theme is None else match.theme.value,
                "topic": match.topic or "",
                "pinned": match.pinned,
            }
        )
        rows.append(row)
    return rows


def proposal_csv(proposal: Proposal) -> str:
    """The rows of `proposal_rows` as CSV (with a header line)."""
    criteria = [c.name for c in proposal.pool.criteria]
    columns = ("pair", "mentor", "mentee", "score", *criteria, "theme", "topic", "pinned")
    return csv_text(columns, proposal_rows(proposal))


def _candidate(candidate: Candidate) -> dict[str, Any]:
    city = candidate.partner.city
    return {
        "key": candidate.key,
        "city": city.name,
        "country": city.country,
        "subdivision": city.subdivision,
        "association": (
            "" if candidate.partner.association is None else candidate.partner.association.name
        ),
    }


def proposal_json(proposal: Proposal) -> str:
    """The proposal as a JSON document: the pool's name and digest, the method, the total, what
    each method gives, every pair with its breakdown, and who is left unmatched."""
    document = {
        "pool": proposal.pool.name,
        "digest": proposal.digest,
        "note": proposal.pool.note,
        "method": proposal.method.value,
        "total": _round(proposal.total),
        "outcomes": [
            {"method": o.method.value, "total": _round(o.total), "pairs": o.pairs}
            for o in proposal.outcomes
        ],
        "greedy_loss": None if proposal.greedy_loss is None else _round(proposal.greedy_loss),
        "matches": [
            {
                "pair": m.key,
                "mentor": _candidate(m.mentor),
                "mentee": _candidate(m.mentee),
                "score": _round(m.score.total),
                "breakdown": [
                    {
                        "criterion": p.criterion,
                        "value": _round(p.value),
                        "weight": p.weight,
                        "points": _round(p.points),
                    }
                    for p in m.score.parts
                ],
                "theme": None if m.theme is None else m.theme.value,
                "topic": m.topic,
                "pinned": m.pinned,
            }
            for m in proposal.matches
        ],
        "unmatched_mentees": [c.key for c in proposal.unmatched_mentees],
        "unmatched_mentors": [c.key for c in proposal.unmatched_mentors],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def proposal_table(proposal: Proposal, *, width: int | None = None) -> str:
    """The proposal as a terminal table with each score's breakdown, and what the optimum
    gains over a greedy pairing underneath."""
    rows = [
        (
            match.key + (" (pinned)" if match.pinned else ""),
            match.mentor.name,
            match.mentee.name,
            f"{match.score.total:.2f}",
            " + ".join(f"{p.criterion} {p.points:.2f}" for p in match.score.parts),
        )
        for match in proposal.matches
    ]
    weights = ", ".join(f"{c.name} {c.weight:g}" for c in proposal.pool.criteria)
    table = render_table(
        f"{proposal.pool.name}: {proposal.method} proposal {proposal.digest}",
        ("pair", "mentor", "mentee", "score", "breakdown (points by criterion)"),
        rows,
        width=width,
    )
    count = len(proposal.pool.mentees)
    lines = [
        f"total {proposal.total:.2f} over {len(proposal.matches)} pairs; "
        f"{len(proposal.matches)} of {count} mentees matched; weights: {weights}",
    ]
    if proposal.greedy_loss is not None:
        compared = "; ".join(
            f"{o.method} {o.total:.2f} ({o.pairs} pairs)" for o in proposal.outcomes
        )
        compared += f": a greedy pairing loses {proposal.greedy_loss:.2f}"
        if proposal.method is not Method.OPTIMAL:
            best = proposal.outcome(Method.OPTIMAL).total
            compared += f", this {proposal.method} proposal {best - proposal.total:.2f}"
        lines.append(compared)
    if proposal.unmatched_mentees:
        lines.append(
            "mentees without a mentor: " + ", ".join(c.key for c in proposal.unmatched_mentees)
        )
    if proposal.unmatched_mentors:
        lines.append(
            "mentors without a mentee: " + ", ".join(c.key for c in proposal.unmatched_mentors)
        )
    if proposal.pool.note:
        lines.append(f"note: {proposal.pool.note}")
    return table + "\n".join(lines) + "\n"
