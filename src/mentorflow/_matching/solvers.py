"""The assignments, on a score matrix: optimal (Hungarian), greedy, and stable (Gale-Shapley).

Each solver takes the scores (mentors x mentees), which pairs are allowed, and each mentor's
capacity, and returns the (mentor, mentee) index pairs it assigns, sorted. Every allowed pair
adds its score; an unmatched candidate adds nothing. Pins are the caller's: it removes the
pinned mentees and the capacity they use before calling.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .method import Method
from .table import Scores

Pairs = list[tuple[int, int]]
PAIR_BONUS = 1e-9
"""What each allowed pair adds to the optimal method's objective besides its score: it breaks
ties towards more pairs, and moves the optimum's total by less than 1e-9 a pair."""
Matrix = NDArray[np.float64]
Mask = NDArray[np.bool_]
Counts = NDArray[np.int64]


def _assignment() -> Callable[..., Any]:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError as err:
        raise ImportError(
            'the optimal matching needs scipy: pip install "mentorflow[matching]"'
        ) from err
    return linear_sum_assignment  # type: ignore[no-any-return]


def optimal(total: Matrix, allowed: Mask, capacity: Counts) -> Pairs:
    """The assignment of the highest total score.

    One-to-one is the assignment problem (`scipy.optimize.linear_sum_assignment`, a
    Hungarian-type method). With capacities each mentor becomes as many rows as the mentees it
    can take, which is the same min-cost flow (mentees of supply 1, mentors of capacity c)
    written as an assignment problem; a forbidden pair weighs 0, what leaving both unmatched
    adds, and is dropped from the result. An allowed pair weighs its score plus `PAIR_BONUS`,
    so that of two assignments scoring the same the one matching more mentees wins (a pair
    that scores 0 is still a mentor for someone).
    """
    rows = np.repeat(np.arange(total.shape[0]), np.minimum(capacity, total.shape[1]))
    if rows.size == 0 or total.shape[1] == 0:
        return []
    weights = np.where(allowed, total + PAIR_BONUS, 0.0)
    chosen, mentees = _assignment()(weights[rows], maximize=True)
    mentors = rows[chosen]
    keep = allowed[mentors, mentees]
    return sorted(zip(mentors[keep].tolist(), mentees[keep].tolist(), strict=True))


def greedy(total: Matrix, allowed: Mask, capacity: Counts) -> Pairs:
    """The best pair first, then the best of what is left, and so on (ties in the pool's
    order): what pairing one at a time gives, the baseline the optimum is measured against."""
    m = total.shape[1]
    count = int(allowed.sum())
    if count == 0:
        return []
    order = _best_first(np.where(allowed, total, -1.0).ravel())[:count]
    left = [int(c) for c in capacity]
    free = [True] * m
    room = np.array(left) > 0
    open_ = np.ones(m, dtype=bool)
    most = min(m, sum(left))
    pairs: Pairs = []
    step = max(m, 1024)
    for start in range(0, count, step):
        # most of the sorted pairs have a full mentor or a taken mentee: skip them in numpy
        rows, cols = np.divmod(order[start : start + step], m)
        keep = room[rows] & open_[cols]
        for i, j in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True):
            if left[i] and free[j]:
                left[i] -= 1
                free[j] = False
                room[i] = left[i] > 0
                open_[j] = False
                pairs.append((i, j))
        if len(pairs) == most:
            break
    return sorted(pairs)


def stable(
    total: Matrix,
    allowed: Mask,
    capacity: Counts,
    mentor_lists: Sequence[Sequence[int] | None],
    mentee_lists: Sequence[Sequence[int] | None],
) -> Pairs:
    """The mentee-optimal stable matching (hospitals and residents: Gale-Shapley with the
    mentees proposing, each mentor holding its best ``capacity`` offers).

    A side without a list ranks the allowed pairs by score. A pair is acceptable when it is
    allowed and each ranks the other; no mentor and mentee that are not paired would both
    rather be together than with what they have.
    """
    n, m = total.shape
    unranked = n * m + 1
    rank = np.full((n, m), unranked, dtype=np.int64)
    for i in range(n):
        ranking = _ranking(total[i], allowed[i], mentor_lists[i])
        rank[i, ranking] = np.arange(len(ranking))
    ranks = rank.tolist()
    proposals = [
        [i for i in _ranking(total[:, j], allowed[:, j], mentee_lists[j]) if ranks[i][j] < unranked]
        for j in range(m)
    ]
    held: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # heaps of (-rank, mentee)
    seats = [int(c) for c in capacity]
    following = [0] * m
    waiting = deque(range(m))
    while waiting:
        j = waiting.popleft()
        while following[j] < len(proposals[j]):
            i = proposals[j][following[j]]
            following[j] += 1
            heapq.heappush(held[i], (-ranks[i][j], j))
            if len(held[i]) <= seats[i]:
                break
            _, dropped = heapq.heappop(held[i])  # the mentor's least wanted offer
            if dropped != j:
                waiting.append(dropped)
                break
    return sorted((i, j) for i in range(n) for _, j in held[i])


def _ranking(scores: Matrix, allowed: Mask, explicit: Sequence[int] | None) -> list[int]:
    """The other side's indices in order of preference, allowed ones only."""
    if explicit is not None:
        return [k for k in explicit if allowed[k]]
    ok = np.flatnonzero(allowed)
    ranked: list[int] = ok[np.argsort(-scores[ok], kind="stable")].tolist()
    return ranked


def solve(method: Method, scores: Scores, pins: Sequence[tuple[int, int]]) -> Pairs:
    """The pairs ``method`` assigns on ``scores``, the pinned ones included, sorted."""
    pool = scores.pool
    allowed = scores.allowed
    capacity = np.array([c.capacity for c in pool.mentors], dtype=np.int64)
    if pins:
        allowed = allowed.copy()
        for i, j in pins:
            allowed[:, j] = False  # a pinned mentee is nobody else's
            capacity[i] -= 1
    if method is Method.OPTIMAL:
        found = optimal(scores.total, allowed, capacity)
    elif method is Method.GREEDY:
        found = greedy(scores.total, allowed, capacity)
    else:
        mentors = {c.key: i for i, c in enumerate(pool.mentors)}
        mentees = {c.key: j for j, c in enumerate(pool.mentees)}
        found = stable(
            scores.total,
            allowed,
            capacity,
            [[mentees[k] for k in c.preferences] or None for c in pool.mentors],
            [[mentors[k] for k in c.preferences] or None for c in pool.mentees],
        )
    return sorted([*pins, *found])


def _best_first(values: Matrix) -> NDArray[np.intp]:
    """The indices of ``values``, highest value first, equal values in index order.

    The same as a stable argsort of ``-values``, about twice as fast on a million pairs: a
    quicksort, then a stable sort by (run of equal values, index), which is nearly sorted
    already and so cheap for timsort."""
    order = np.argsort(-values)
    ranked = values[order]
    run = np.zeros(order.size, dtype=np.int64)
    np.cumsum(ranked[1:] != ranked[:-1], out=run[1:])
    tie_broken: NDArray[np.intp] = order[np.argsort(run * order.size + order, kind="stable")]
    return tie_broken
