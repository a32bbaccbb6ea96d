"""Matching mentors and mentees: candidates, explained scores, one optimisation, a review,
then enrolment (a public topic module; needs ``pip install "mentorflow[matching]"``).

The four steps of every mentoring platform: hard constraints filter the pairs (`Constraints`,
and each mentor's capacity); a weighted score over criteria ranks them, with a breakdown
(`Criterion`, `Score`); one optimisation over the whole pool proposes the pairs (`propose`:
optimal, greedy or stable), showing what a greedy pairing would lose; a manager reviews,
pins or forbids pairs and solves again, then publishes: the pairs are enrolled as commands
(`Proposal.publish`). `rematch` fills one seat after a partner leaves, the other pairs
untouched.

Examples:
    >>> from mentorflow.matching import load_pool, propose
    >>> proposal = propose(load_pool("inclucities"))
    >>> [match.key for match in proposal.matches]
    ['brussels-saint-jean', 'mechelen-capaci', 'fuenlabrada-livadia', 'schaerbeek-jelgava']
    >>> proposal.matches[1].score.explain()
    '0.80 = topics 0.60 + themes 0.20 + language 0.00'
"""

try:
    import numpy as _numpy  # noqa: F401  # the scores are matrices
except ImportError as _err:  # pragma: no cover - the extra is in the tests group
    raise ImportError(
        'mentorflow.matching needs numpy and scipy: pip install "mentorflow[matching]"'
    ) from _err

from ._matching.candidates import Affinity as Affinity
from ._matching.candidates import Candidate as Candidate
from ._matching.file import load_pool as load_pool
from ._matching.file import parse_pool as parse_pool
from ._matching.file import shipped_pools as shipped_pools
from ._matching.method import Method as Method
from ._matching.pool import Pool as Pool
from ._matching.proposal import Match as Match
from ._matching.proposal import Outcome as Outcome
from ._matching.proposal import Proposal as Proposal
from ._matching.proposal import Review as Review
from ._matching.proposal import propose as propose
from ._matching.proposal import score_pairs as score_pairs
from ._matching.rematch import Replacement as Replacement
from ._matching.rematch import rematch as rematch
from ._matching.rules import BUILT_IN as BUILT_IN
from ._matching.rules import DEFAULT_CRITERIA as DEFAULT_CRITERIA
from ._matching.rules import Constraints as Constraints
from ._matching.rules import Criterion as Criterion
from ._matching.rules import Measure as Measure
from ._matching.rules import Pairing as Pairing
from ._matching.rules import Rule as Rule
from ._matching.scores import Contribution as Contribution
from ._matching.scores import Exclusion as Exclusion
from ._matching.scores import Score as Score
from ._matching.table import Scores as Scores
from ._render.matching import proposal_csv as proposal_csv
from ._render.matching import proposal_json as proposal_json
from ._render.matching import proposal_rows as proposal_rows
from ._render.matching import proposal_table as proposal_table

__all__ = [
    "Affinity",
    "BUILT_IN",
    "Candidate",
    "Constraints",
    "Contribution",
    "Criterion",
    "DEFAULT_CRITERIA",
    "Exclusion",
    "Match",
    "Measure",
    "Method",
    "Outcome",
    "Pairing",
    "Pool",
    "Proposal",
    "Replacement",
    "Review",
    "Rule",
    "Score",
    "Scores",
    "load_pool",
    "parse_pool",
    "proposal_csv",
    "proposal_json",
    "proposal_rows",
    "proposal_table",
    "propose",
    "rematch",
    "score_pairs",
    "shipped_pools",
]
