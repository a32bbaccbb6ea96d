"""A progress bar for Monte Carlo runs, in a notebook or a terminal.

In a Jupyter notebook (an IPython kernel) the bar is one HTML ``<progress>`` line, updated in
place through IPython's display handles (no widget library needed); elsewhere it is one line of
text on stderr, rewritten with a carriage return.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, TextIO

from .._simulation.montecarlo import Progress
from .html import esc


def _notebook() -> Any:
    """IPython's display module if this runs in a notebook's kernel, else None."""
    try:
        ipython = importlib.import_module("IPython")
    except ImportError:
        return None
    shell = ipython.get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None  # a terminal IPython: the text bar suits it
    return importlib.import_module("IPython.display")


class _Bar:
    def __init__(self, out: TextIO | None) -> None:
        self.display = None if out is not None else _notebook()
        self.out = out
        self.handle: Any = None

    def __call__(self, done: int, runs: int) -> None:
        text = f"simulating: {done:,} of {runs:,} runs ({done / max(runs, 1):.0%})"
        if self.display is not None:
            page = self.display.HTML(
                f'<progress value="{done}" max="{runs}"></progress> {esc(text)}'
            )
            if self.handle is None:
                self.handle = self.display.display(page, display_id=True)
            else:
                self.handle.update(page)
            return
        out = self.out or sys.stderr
        out.write("\r" + text + ("\n" if done >= runs else ""))
        out.flush()


def progress_bar(out: TextIO | None = None) -> Progress:
    """A progress callback for `montecarlo` that draws a bar.

    Args:
        out: Where to write a text bar. None: in a Jupyter notebook, an HTML bar updated in
            place; elsewhere, stderr.

    Examples:
        >>> import io
        >>> from mentorflow.scenario import load_scenario, montecarlo, progress_bar
        >>> out = io.StringIO()
        >>> forecast = montecarlo(load_scenario("inclucities-plan"), 50, seed=1, workers=1,
        ...                       progress=progress_bar(out))
        >>> out.getvalue().split("\\r")[-1]
        'simulating: 50 of 50 runs (100%)\\n'
    """
    return _Bar(out)
