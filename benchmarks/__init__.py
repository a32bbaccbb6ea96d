"""mentorflow's speed and memory benchmarks: each figure beside a baseline measured in the same
run (see README.md here).

Layout:

``run.py``, ``__main__.py``, `cli`
    The command line (``python benchmarks/run.py``, ``python -m benchmarks``).
`targets`
    One module per target, ``t1_command`` to ``t9_matching``; each module's docstring says
    exactly what it counts and how (repeats, medians, the garbage collector).
`timing`
    How figures are taken: the garbage collector's state, interleaved repeats and their
    medians, fresh processes, resident memory.
`report`
    The rows and tables: one run's, and ``--against``'s side by side.
`against`
    ``--against REV``: a temporary git worktree of REV, and every target run per tree in fresh
    processes, alternating, round after round.
`programmes`, `inclucities`, `sqlite_files`, `profiling`
    What several targets share: programmes and partners, IncluCities as direct commands, the
    SQLite files, ``--detail``'s profiles.

Only mentorflow's public API is used (no ``mentorflow._*`` module), so any two revisions of the
library can be measured by the same benchmark code.
"""
