"""Matching: from candidate cities to proposed pairs, explained, optimal and reviewed.

One concept a module, in the order the work flows: `candidates` (who) and `rules` (how to
score, what is excluded) make a `pool`; `table` scores every pair of a pool at once (numpy)
and `scores` explains one; `solvers` assigns (optimal, greedy, stable); `proposal` is the
result a manager reviews and publishes; `rematch` proposes a replacement for one seat;
`file` reads a pool from TOML.

The layer sits beside `_simulation`, above `_core`: publishing enrols pairs through
`Programme.execute`. numpy and scipy come with the ``mentorflow[matching]`` extra; nothing
below this layer imports them.
"""
