"""Candidates files and ``mentorflow match``: reading, errors that name the file and key, the
command line in a subprocess, and the core without the matching extra."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mentorflow import Theme, ValidationError
from mentorflow.matching import Pairing, load_pool, parse_pool, shipped_pools

GOOD = """
name = "two and two"

[criteria]
topics = 2
size = 1

[constraints]
shared_language = true
min_score = 0.1
pinned = [{ mentor = "mechelen", mentee = "capaci", reason = "announced" }]
forbidden = [{ mentor = "brussels", mentee = "capaci" }]

[[mentors]]
key = "mechelen"
city = "Mechelen"
country = "BE"
association = "VVSG"
languages = ["nl", "it"]
topics = ["Buddies"]
population = 87000
capacity = 2

[[mentors]]
key = "brussels"
city = "City of Brussels"
country = "BE"
association = "Brulocalis"
languages = ["fr"]

[[mentees]]
key = "capaci"
city = "Capaci"
country = "IT"
subdivision = "PA"
association = "AICCRE"
languages = ["it"]
themes = ["participation_and_social_inclusion"]
topics = ["buddies"]

[[affinities]]
mentor = "brussels"
mentee = "capaci"
score = 0.5
note = "illustrative"
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mentorflow", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestLoadPool:
    """Tests for load_pool and parse_pool."""

    def test_every_key(self, tmp_path: Path) -> None:
        """Every key of the format is read into the pool."""
        path = tmp_path / "pool.toml"
        path.write_text(GOOD, encoding="utf-8")
        pool = load_pool(path)
        assert "two and two" == pool.name
        assert [("topics", 2), ("size", 1)] == [(c.name, c.weight) for c in pool.criteria]
        rules = pool.constraints
        assert (True, True, 0.1) == (
            rules.different_country,
            rules.shared_language,
            rules.min_score,
        )
        assert ((Pairing("mechelen", "capaci"),), "announced") == (
            rules.pinned,
            rules.pinned[0].reason,
        )
        mechelen, capaci = pool.mentor("mechelen"), pool.mentee("capaci")
        assert (("it", "nl"), 87000, 2) == (
            mechelen.languages,
            mechelen.population,
            mechelen.capacity,
        )
        assert ("PA", (Theme.PARTICIPATION_AND_SOCIAL_INCLUSION,)) == (
            capaci.partner.city.subdivision,
            capaci.themes,
        )
        assert 0.5 == pool.affinities[0].score

    def test_shipped(self) -> None:
        """The IncluCities file ships, by name, with its note that scores are illustrative."""
        assert "inclucities" in shipped_pools()
        pool = load_pool("inclucities")
        assert (4, 4) == (len(pool.mentors), len(pool.mentees))
        assert "illustrative" in (pool.note or "")

    @pytest.mark.parametrize(
        ("change", "field", "problem"),
        [
            (('country = "IT"', 'country = "Italy"'), "mentees[0].country", "'Italy'"),
            (("capacity = 2", 'capacity = "2"'), "mentors[0].capacity", "a whole number"),
            (("size = 1", "height = 1"), "criteria.height", "unknown key"),
            (("size = 1", "size = 0"), "criteria.size.weight", "> 0"),
            (("min_score = 0.1", "min_score = 2"), "constraints.min_score", "0 to 1"),
            (('key = "capaci"', 'key = "Capaci"'), "mentees[0].key", "'Capaci'"),
            (("score = 0.5", "score = true"), "affinities[0].score", "a number"),
            (
                ('mentee = "capaci", reason', 'mentee = "palermo", reason'),
                "constraints.pinned[0].mentee",
                "'palermo'",
            ),
            (('themes = ["', 'themes = ["parks", "'), "mentees[0].themes[0]", "'parks'"),
            (('languages = ["fr"]', 'language = ["fr"]'), "mentors[1].language", "unknown"),
        ],
    )
    def test_errors_name_the_file_and_key(
        self, tmp_path: Path, change: tuple[str, str], field: str, problem: str
    ) -> None:
        """A bad value raises ValidationError naming the file and the key."""
        path = tmp_path / "bad.toml"
        path.write_text(GOOD.replace(*change, 1), encoding="utf-8")
        with pytest.raises(ValidationError) as info:
            load_pool(path)
        assert f"{path}: {field}" == info.value.field
        assert problem in info.value.problem

    def test_not_toml(self, tmp_path: Path) -> None:
        """TOML syntax errors name the file and the line."""
        path = tmp_path / "broken.toml"
        path.write_text("[[mentors]\n", encoding="utf-8")
        with pytest.raises(ValidationError, match=r"not valid TOML.*line 1"):
            load_pool(path)

    def test_parse_names_the_source(self) -> None:
        """parse_pool names its source in errors."""
        with pytest.raises(ValidationError) as info:
            parse_pool({"mentors": [{"key": "x"}]}, "web form")
        assert "web form: mentors[0].country" == info.value.field


class TestMatchCommand:
    """Tests for ``mentorflow match``."""

    def test_table(self) -> None:
        """The shipped file's proposal is the four real pairs, with breakdowns."""
        result = run("match", "inclucities")
        assert 0 == result.returncode, result.stderr
        for line in (
            "│ brussels-saint-jean │ City of Brussels │ Saint-Jean-de-la-Ruelle │ 1.00  │ "
            "topics 0.60 + themes 0.20 + language 0.20 │",
            "│ schaerbeek-jelgava  │ Schaerbeek       │ Jelgava                 │ 0.80  │ "
            "topics 0.60 + themes 0.20 + language 0.00 │",
            "optimal 3.40 (4 pairs); greedy 3.40 (4 pairs): a greedy pairing loses 0.00",
            "note: scores are illustrative",
        ):
            assert line in result.stdout

    def test_csv_and_json(self, tmp_path: Path) -> None:
        """CSV and JSON carry the same pairs; --output writes the same bytes each time."""
        rows = list(
            csv.DictReader(io.StringIO(run("match", "inclucities", "--format", "csv").stdout))
        )
        assert "mechelen-capaci" == rows[1]["pair"]
        assert "0.6" == rows[1]["topics"]
        document = json.loads(run("match", "inclucities", "--format", "json").stdout)
        assert [r["pair"] for r in rows] == [m["pair"] for m in document["matches"]]
        assert 0.0 == document["greedy_loss"]
        target = tmp_path / "proposal.json"
        assert (
            0 == run("match", "inclucities", "--format", "json", "--output", str(target)).returncode
        )
        first = target.read_bytes()
        run("match", "inclucities", "--format", "json", "--output", str(target))
        assert first == target.read_bytes()

    def test_stable_method(self) -> None:
        """--method stable says what it loses against the optimum."""
        result = run("match", "inclucities", "--method", "stable")
        assert "this stable proposal 0.00" in result.stdout

    def test_bad_file(self, tmp_path: Path) -> None:
        """A bad file is one line on stderr naming the file and key, exit code 1."""
        path = tmp_path / "bad.toml"
        path.write_text(GOOD.replace("size = 1", "height = 1"), encoding="utf-8")
        result = run("match", str(path))
        assert 1 == result.returncode
        assert f"mentorflow: {path}: criteria.height: unknown key" in result.stderr
        assert "Traceback" not in result.stderr


BLOCKER = textwrap.dedent(
    """
    import sys

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked}:
                raise ImportError(f"No module named {{name!r}} (blocked)")
            return None

    sys.meta_path.insert(0, Blocker())
    """
)


def run_without(blocked: set[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where ``blocked`` packages can't be imported."""
    script = BLOCKER.format(blocked=sorted(blocked)) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )


class TestWithoutTheExtra:
    """The core needs neither numpy nor scipy; matching says what to install."""

    def test_core_imports_without_numpy(self) -> None:
        """import mentorflow and the CLI's help work without numpy and scipy."""
        result = run_without(
            {"numpy", "scipy"},
            """
            import mentorflow, mentorflow.scenario
            from mentorflow._cli import main
            assert "numpy" not in sys.modules and "scipy" not in sys.modules
            print("ok")
            """,
        )
        assert "ok" == result.stdout.strip(), result.stderr

    def test_matching_says_what_to_install(self) -> None:
        """Without numpy, mentorflow.matching and `mentorflow match` name the extra."""
        result = run_without(
            {"numpy", "scipy"},
            """
            try:
                import mentorflow.matching
            except ImportError as err:
                print(err)
            from mentorflow._cli import main
            raise SystemExit(main(["match", "inclucities"]))
            """,
        )
        assert 1 == result.returncode
        assert 'pip install "mentorflow[matching]"' in result.stdout
        assert 'mentorflow: matching needs numpy and scipy: pip install "mentorflow[matching]"' in (
            result.stderr
        )

    def test_optimal_needs_scipy(self) -> None:
        """With numpy but no scipy, the optimal method names the extra."""
        result = run_without(
            {"scipy"},
            """
            from mentorflow.matching import load_pool, propose
            try:
                propose(load_pool("inclucities"))
            except ImportError as err:
                print(err)
            print(len(propose(load_pool("inclucities"), "greedy", compare=False).matches))
            """,
        )
        assert [
            'the optimal matching needs scipy: pip install "mentorflow[matching]"',
            "4",
        ] == result.stdout.split("\n")[:2], result.stderr
