"""The scenario files that come with mentorflow, and the starter file `mentorflow init` writes.

Light on purpose: the command line lists the shipped scenarios in its ``--help`` from here
without importing the scenario reader.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped() -> dict[str, Path]:
    """The scenarios that come with mentorflow, by name."""
    folder = resources.files("mentorflow") / "scenarios"
    found = {
        entry.name.removesuffix(".toml"): Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }
    return dict(sorted(found.items()))


def starter() -> str:
    """The commented starter scenario that ``mentorflow init`` writes."""
    return (resources.files("mentorflow") / "templates" / "starter.toml").read_text("utf-8")
