"""Tests of the package's shape: the public surface, and the one module that knows transitions."""

from __future__ import annotations

import ast
import pathlib

import pytest

import mentorflow
from mentorflow import exceptions

SRC = pathlib.Path(mentorflow.__file__).parent


def imported_modules(path: pathlib.Path) -> set[str]:
    """Top-level names of every module ``path`` imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_engine_imports_transitions() -> None:
    """transitions is imported by the engine's machine module and nowhere else."""
    importers = sorted(
        p.relative_to(SRC).as_posix()
        for p in SRC.rglob("*.py")
        if "transitions" in imported_modules(p)
    )
    assert ["_engine/machine.py"] == importers


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` lists every public name, sorted, and each one exists."""
    # pytest rewrites asserts in plugin packages ("@py_builtins"); `testing` and
    # `serialization` are imported on their own (they are heavier), never through `mentorflow.*`
    submodules = {"testing", "serialization", "scenario"}
    public = {n for n in dir(mentorflow) if not n.startswith(("_", "@")) and n not in submodules}
    public.add("__version__")
    assert sorted(public) == mentorflow.__all__
    for name in mentorflow.__all__:
        assert hasattr(mentorflow, name), name


def test_exceptions_all_complete() -> None:
    """Every error class of mentorflow.exceptions is exported from it."""
    errors = {
        name
        for name, value in vars(exceptions).items()
        if isinstance(value, type)
        and issubclass(value, Exception)
        and not name.startswith("_")
        and value.__module__ == exceptions.__name__
    }
    assert sorted(errors) == exceptions.__all__


def test_every_error_has_one_root() -> None:
    """Every error class derives from MentorflowError."""
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), exceptions.MentorflowError), name


def test_public_modules_are_typed() -> None:
    """The package ships py.typed."""
    assert (SRC / "py.typed").exists()


def test_version() -> None:
    """``__version__`` comes from the installed metadata."""
    from importlib.metadata import version

    assert version("mentorflow") == mentorflow.__version__


def test_testing_all_is_sorted_and_complete() -> None:
    """``mentorflow.testing.__all__`` lists its public names, sorted."""
    import mentorflow.testing as testing

    public = {n for n in dir(testing) if not n.startswith(("_", "@")) and n != "pytest_plugin"}
    assert sorted(public) == testing.__all__


@pytest.mark.parametrize("name", ["mentorflow.scenario", "mentorflow.serialization"])
def test_topic_modules_all(name: str) -> None:
    """The public topic modules' ``__all__`` lists their public names, sorted."""
    import importlib

    module = importlib.import_module(name)
    public = {n for n in dir(module) if not n.startswith(("_", "@"))}
    assert sorted(public, key=str.upper) == sorted(module.__all__, key=str.upper)
    assert sorted(module.__all__) == module.__all__
