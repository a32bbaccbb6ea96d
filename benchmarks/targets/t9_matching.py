"""Target 9: "1,000 mentors x 1,000 mentees with five criteria: scores and the optimal
one-to-one assignment in at most 2 s on this machine" (the matching issue).

pool      1,000 mentor and 1,000 mentee candidates drawn with ``random.Random(9)``: ten
          countries, two of ten languages, two of the four themes, three of forty topics, a
          population from 5,000 to 500,000, capacity 1; a facilitator's affinity for 1,000 pairs;
          criteria topics 3, themes 2, language 1, size 1, affinity 1; the default constraints
          (not the same country). Built once, untimed.
measured  ``propose(pool, compare=False)``: every pair's five criteria and exclusions scored
          (numpy), then the optimal one-to-one assignment (``scipy.optimize.
          linear_sum_assignment``), and the proposal built; warm (numpy and scipy imported,
          one untimed call first), the median of the repeats, gc enabled.
baseline  ``propose(pool, "greedy", compare=False)``: the same scores, then the best pair
          first, then the best of what is left (the pairing the optimum is measured against),
          interleaved with the figure.
info      ``score_pairs(pool)`` alone; ``propose(pool)`` as a user calls it (also solving
          greedily, to report what greedy loses); the stable method (Gale-Shapley, the mentees
          proposing); and, in a fresh process, ``import mentorflow.matching`` (numpy) and the
          first ``propose`` (which imports scipy) beside the second. A note gives what the
          greedy pairing loses against the optimum on this pool.
checks    Untimed: the optimum's total is at least greedy's, every mentee is matched, the same
          pool gives the same proposal.
"""

from __future__ import annotations

import importlib.util
import random
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mentorflow import Association, City, Partner, Theme

from ..report import Context, Row
from ..timing import checkpoint, per_call, run_child, timed_result

if TYPE_CHECKING:
    from mentorflow.matching import Pool

LIMIT_S = 2.0
SEED = 9
COUNTRIES = ("BE", "FR", "IT", "ES", "GR", "LV", "DE", "NL", "PT", "PL")
LANGUAGES = ("fr", "nl", "it", "es", "el", "lv", "de", "pt", "pl", "en")
TOPICS = tuple(f"topic {k}" for k in range(40))
WEIGHTS = (("topics", 3), ("themes", 2), ("language", 1), ("size", 1), ("affinity", 1))


@dataclass(frozen=True)
class Sizes:
    side: int  # mentors, and mentees
    repeats: int
    stable: int  # runs of the stable method


FULL = Sizes(side=1000, repeats=5, stable=3)
QUICK = Sizes(side=300, repeats=3, stable=1)


def method(s: Sizes) -> str:
    return (
        f"Target 9: {s.side:,} x {s.side:,} candidates, median of {s.repeats} interleaved "
        "calls after an untimed one, gc enabled."
    )


def pool(side: int, seed: int = SEED) -> Pool:
    """``side`` mentors and ``side`` mentees with five criteria (see the module's docstring)."""
    from mentorflow.matching import Affinity, Candidate, Criterion, Pool

    rng = random.Random(seed)
    themes = list(Theme)

    def candidate(prefix: str, k: int) -> Candidate:
        country = rng.choice(COUNTRIES)
        return Candidate(
            key=f"{prefix}{k}",
            partner=Partner(
                city=City(name=f"{prefix.upper()} {k}", country=country),
                association=Association(name=f"association {country}", country=country),
            ),
            languages=rng.sample(LANGUAGES, 2),
            themes=rng.sample(themes, 2),
            topics=rng.sample(TOPICS, 3),
            population=rng.randint(5_000, 500_000),
        )

    mentors = [candidate("m", k) for k in range(side)]
    mentees = [candidate("e", k) for k in range(side)]
    affinities = [
        Affinity(mentor=f"m{rng.randrange(side)}", mentee=f"e{k}", score=rng.random())
        for k in range(side)
    ]
    return Pool(
        mentors=mentors,
        mentees=mentees,
        criteria=[Criterion(name, weight) for name, weight in WEIGHTS],
        affinities=affinities,
        name=f"{side} x {side}",
    )


def child_cold(_arg: str, side: int) -> dict[str, Any]:
    """In a fresh process: ``import mentorflow.matching``, then ``propose`` twice on a pool of
    ``side`` x ``side`` (built untimed between the import and the first call)."""
    seconds_import, matching = timed_result(lambda: importlib.import_module("mentorflow.matching"))
    candidates = pool(side)
    first, proposal = timed_result(lambda: matching.propose(candidates, compare=False))
    second, again = timed_result(lambda: matching.propose(candidates, compare=False))
    assert again == proposal
    return {"import": seconds_import, "first": first, "second": second}


CHILDREN = {"cold": child_cold}


def run(s: Sizes, context: Context) -> list[Row]:
    side = f"{s.side:,} x {s.side:,}"
    if importlib.util.find_spec("mentorflow.matching") is None:
        context.notes.append("Target 9: this tree has no mentorflow.matching; not measured.")
        return [Row(f"9  propose({side}): scores + optimal", None, None, "s", f"<= {LIMIT_S:g} s")]
    from mentorflow.matching import propose, score_pairs

    cold = run_child(9, "cold", "-", s.side)
    checkpoint()
    candidates = pool(s.side)
    optimal = propose(candidates, compare=False)  # untimed: warms numpy, scipy, the caches
    greedy = propose(candidates, "greedy", compare=False)
    assert optimal.total >= greedy.total - 1e-6
    assert len(optimal.matches) == s.side, "every mentee is matched"
    assert propose(candidates, compare=False) == optimal, "the same pool, the same proposal"

    seconds = per_call(
        {
            "optimal": lambda: propose(candidates, compare=False),
            "greedy": lambda: propose(candidates, "greedy", compare=False),
            "scores": lambda: score_pairs(candidates),
            "compared": lambda: propose(candidates),
        },
        s.repeats,
    )
    stable = per_call({"stable": lambda: propose(candidates, "stable", compare=False)}, s.stable)
    median = {name: statistics.median(values) for name, values in {**seconds, **stable}.items()}
    loss = optimal.total - greedy.total
    context.notes.append(
        f"Target 9: on the {side} pool the optimum scores {optimal.total:.2f} over "
        f"{len(optimal.matches):,} pairs, greedy {greedy.total:.2f} over "
        f"{len(greedy.matches):,}: greedy loses {loss:.2f} ({loss / optimal.total:.1%})."
    )
    return [
        Row(
            f"9  propose({side}, 5 criteria): scores + optimal  vs scores + greedy",
            median["optimal"],
            median["greedy"],
            "s",
            f"<= {LIMIT_S:g} s",
            median["optimal"] <= LIMIT_S,
        ),
        Row(
            "   score_pairs() alone  vs scores + optimal", median["scores"], median["optimal"], "s"
        ),
        Row(
            "   propose() with the greedy comparison  vs scores + optimal",
            median["compared"],
            median["optimal"],
            "s",
        ),
        Row(
            f"   stable method (Gale-Shapley), median of {s.stable}  vs scores + optimal",
            median["stable"],
            median["optimal"],
            "s",
        ),
        Row(
            "   first propose(), fresh process (imports scipy)  vs its second",
            cold["first"],
            cold["second"],
            "s",
        ),
        Row(
            "   import mentorflow.matching, fresh process (numpy)  vs second propose()",
            cold["import"],
            cold["second"],
            "s",
        ),
    ]
