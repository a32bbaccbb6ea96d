"""The methods a proposal can be solved by."""

from __future__ import annotations

import enum


class Method(enum.StrEnum):
    """How a proposal is solved."""

    OPTIMAL = "optimal"
    """The highest total score over the whole pool (one optimisation, capacities included)."""
    GREEDY = "greedy"
    """The best pair first, then the best of what is left: what pairing one at a time gives."""
    STABLE = "stable"
    """A stable matching from both sides' rankings (Gale-Shapley, the mentees proposing)."""
