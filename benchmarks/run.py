"""Run mentorflow's benchmarks: ``python benchmarks/run.py --help`` (see README.md here).

The benchmarks are the package beside this script (`benchmarks`); this file only makes it
importable when run as a script, and is what fresh processes and forkserver workers import.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: the repository root in place of this folder, so that `benchmarks` is a
    # package and none of its modules (``timing``, ``report``) can shadow another.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != _here]
    if str(_here.parent) not in sys.path:
        sys.path.insert(0, str(_here.parent))

from benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main())
