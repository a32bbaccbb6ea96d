"""One module per target. Each has:

``FULL`` and ``QUICK``
    Its sizes (repeats, pairs, runs) for a full run and for ``--quick``.
``method(sizes)``
    One sentence for the header: how its figures are taken.
``run(sizes, context)``
    Its rows (`benchmarks.report.Row`); notes and ``--detail`` printers go to the context.
``CHILDREN`` (optional)
    What it runs in fresh processes of ``run.py`` (``--child N MODE ARG COUNT``).

The modules are imported only when their target runs: ``--against`` runs none here (it starts
a process per tree), so it never imports mentorflow itself.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = {
    1: "t1_command",
    2: "t2_pairs",
    3: "t3_deadlines",
    4: "t4_appends",
    5: "t5_replay",
    6: "t6_scenario",
    7: "t7_startup",
    8: "t8_montecarlo",
    9: "t9_matching",
    10: "t10_postgres",
    11: "t11_sensitivity",
    12: "t12_restore",
    13: "t13_service",
    14: "t14_planted",
}


def load(number: int) -> ModuleType:
    """The module of target ``number``."""
    return importlib.import_module(f"{__name__}.{MODULES[number]}")
