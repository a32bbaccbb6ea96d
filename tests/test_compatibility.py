"""Event logs written by mentorflow 0.1 (before the core rework) restore unchanged.

``tests/fixtures/*-0.1.*`` were written by the release before typed commands and the one
transaction path: the IncluCities programme as played, and a programme that uses every kind of
event (deadline alerts, suspensions, a withdrawal, granted, refused and lapsed extensions).
``restored-0.1.json`` is what that release restored from them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mentorflow import JsonLinesStore, Programme, SQLiteStore

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "restored-0.1.json").read_text())


def summary(p: Programme) -> dict[str, Any]:
    """What a restore must reproduce: the history's kinds, pairs, extensions and deadlines."""
    return {
        "events": len(p.history),
        "kinds": [type(e).__name__ for e in p.history],
        "ends_on": p.ends_on.isoformat(),
        "pairs": {
            k: [
                str(x.phase),
                x.status.value,
                x.mentor.city.name,
                x.mentee.city.name,
                [v.number for v in x.visits],
                sorted(str(d) for d in x.deliverables),
                [b.title for b in x.benchmarks],
            ]
            for k, x in p.pairs.items()
        },
        "extensions": [[e.key, e.status.value, e.phase, e.pair] for e in p.extensions],
        "deadlines": [
            [d.name, d.due_on.isoformat() if d.due_on else None, d.revision] for d in p.deadlines()
        ]
        + [
            [k, d.name, d.due_on.isoformat() if d.due_on else None, d.revision]
            for k in p.pairs
            for d in p.deadlines(pair=k)
        ],
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
class TestRestoreOldLogs:
    """Tests for Programme.restore on logs written before the core rework."""

    def test_json_lines(self, name: str, tmp_path: Path) -> None:
        """A JSON Lines log of 0.1 restores to what 0.1 restored."""
        shutil.copy(FIXTURES / f"{name}.jsonl", tmp_path)
        programme = Programme.restore(JsonLinesStore(tmp_path), name)
        assert EXPECTED[name] == summary(programme)

    def test_sqlite(self, name: str, tmp_path: Path) -> None:
        """An SQLite log of 0.1 restores to what 0.1 restored."""
        shutil.copy(FIXTURES / f"{name}.sqlite", tmp_path)
        programme = Programme.restore(SQLiteStore(tmp_path / f"{name}.sqlite"), name)
        assert EXPECTED[name] == summary(programme)

    def test_history_is_the_log(self, name: str, tmp_path: Path) -> None:
        """The restored history is the stored log, event for event, and it goes on."""
        shutil.copy(FIXTURES / f"{name}.jsonl", tmp_path)
        store = JsonLinesStore(tmp_path)
        programme = Programme.restore(store, name)
        assert len(store.read(name).events) == len(programme.history)
        again = Programme.restore(JsonLinesStore(tmp_path), name)
        assert list(programme.history) == list(again.history)
