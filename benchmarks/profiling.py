"""``--detail``'s profiles: where a call's time goes, by function (cProfile). Profiling slows
every function call, so the shares are a guide, not a measurement."""

from __future__ import annotations

import cProfile
import os
import pstats

WRAPPER_SHARE = 0.9  # a mentorflow function holding this much of the total is a wrapper


def where(key: tuple[str, int, str]) -> str:
    """A profiler entry's function, with a short path."""
    file, line, function = key
    if file == "~":
        return function  # a built-in
    for marker in ("site-packages/", "/src/"):
        if marker in file:
            file = file.rsplit(marker, 1)[1]
            break
    else:
        file = os.path.basename(file)
    return f"{file}:{line} {function}"


def print_profile(profiler: cProfile.Profile, runs: int, what: str) -> None:
    """The top functions of ``profiler``, per run: by own time, and by time with callees,
    mentorflow's only, less the wrappers that hold nearly all of it (the public call itself,
    ``simulate()`` or ``montecarlo()``, and what only passes it on)."""
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]  # {key: (cc, nc, tt, ct, callers)}
    total = sum(entry[2] for entry in entries.values())
    print(
        f"Where {what}'s time goes (cProfile, {runs} runs, {total / runs * 1e3:.2f} ms per "
        "run profiled; per run: own time, with callees, the share of the total, calls):"
    )
    for title, column in (("own time", 2), ("time with callees, mentorflow only", 3)):
        print(f"  by {title}:")
        chosen = sorted(entries.items(), key=lambda item: item[1][column], reverse=True)
        if column == 3:
            chosen = [
                item
                for item in chosen
                if "mentorflow" in item[0][0] and item[1][3] < WRAPPER_SHARE * total
            ]
        for key, entry in chosen[:12]:
            calls, own, cumulative = entry[1], entry[2], entry[3]
            print(
                f"    {own / runs * 1e3:6.3f} ms {cumulative / runs * 1e3:6.3f} ms "
                f"{entry[column] / total:4.0%} {calls / runs:7.1f}  {where(key)}"
            )
