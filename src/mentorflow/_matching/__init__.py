"""Layer 5, beside `_simulation`: matching mentors and mentees into proposed pairs.

One concept a module, in the order the work flows: `candidates` (who) and `rules` (criteria,
hard constraints) make a `pool`; `table` scores every pair of a pool at once (numpy) and
`scores` explains one; `solvers` assigns (optimal, greedy, stable); `proposal` is what a
manager reviews and publishes (as `Enrol` commands through `Programme.execute`); `rematch`
proposes the replacement for one seat; `file` reads a pool from TOML. Imports:
`mentorflow._core` and the layers below; never `_simulation`. numpy and scipy come with the
``mentorflow[matching]`` extra and are imported only here, lazily for scipy.
"""
