"""Development sessions: ``nox`` runs tests, lint, typing and docs; ``nox -s bench`` benchmarks,
``nox -s fuzz`` the fuzz suite at 50,000 cases per surface."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["tests", "lint", "typing", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _install(session: nox.Session, *groups: str, project: bool = True) -> None:
    deps = [dep for group in groups for dep in nox.project.dependency_groups(PYPROJECT, group)]
    if project:
        session.install("-e", ".", *deps)
    elif deps:
        session.install(*deps)


@nox.session
def tests(session: nox.Session) -> None:
    """Unit, property and end-to-end tests, and every example in the docs and docstrings; in
    CI, 2,000 cases per surface of the fuzz suite (tests/test_fuzz.py).

    The PostgreSQL tests start a throwaway server of their own when the PostgreSQL server's
    binaries are installed (or use the one named by ``MENTORFLOW_TEST_POSTGRES``), and skip
    otherwise; ``MENTORFLOW_REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets) makes that a failure.
    """
    _install(session, "tests")
    profile = "ci" if os.environ.get("CI") else "dev"
    env = {"MENTORFLOW_FUZZ_EXAMPLES": "2000"} if os.environ.get("CI") else {}
    session.run("pytest", f"--hypothesis-profile={profile}", *session.posargs, env=env)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """The fuzz suite alone, 50,000 cases per surface (hours; not a default session). Set
    MENTORFLOW_FUZZ_EXAMPLES to run another number."""
    _install(session, "tests")
    examples = os.environ.get("MENTORFLOW_FUZZ_EXAMPLES", "50000")
    session.run(
        "pytest",
        "tests/test_fuzz.py",
        *session.posargs,
        env={"MENTORFLOW_FUZZ_EXAMPLES": examples},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and the import contracts (lint-imports: the layers
    import only downwards; only the engine imports transitions)."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("lint-imports")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy --strict on the package and on tests/typing (the documented API in use)."""
    _install(session, "typing")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs with warnings as errors (their examples run in the tests session)."""
    _install(session, "docs")
    session.run("mkdocs", "build", "--strict", "--site-dir", str(session.create_tmp()) + "/site")


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory benchmarks, each figure beside a baseline measured in the same run."""
    _install(session, "bench")
    session.run("python", "benchmarks/run.py", *session.posargs)
