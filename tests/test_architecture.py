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
    submodules = {"testing", "serialization", "scenario", "matching", "aio", "tracing"}
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


@pytest.mark.parametrize(
    "name", ["mentorflow.matching", "mentorflow.scenario", "mentorflow.serialization"]
)
def test_topic_modules_all(name: str) -> None:
    """The public topic modules' ``__all__`` lists their public names, sorted."""
    import importlib

    module = importlib.import_module(name)
    public = {n for n in dir(module) if not n.startswith(("_", "@"))}
    assert sorted(public, key=str.upper) == sorted(module.__all__, key=str.upper)
    assert sorted(module.__all__) == module.__all__


# -- the layers: no cycles, and privates stay private ---------------------------------------


def _private_names(tree: ast.Module) -> set[str]:
    """The private names a module defines: functions, classes, attributes, slots, arguments."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)
            and isinstance(node.value, ast.Tuple | ast.List)
        ):
            names.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    return {n for n in names if isinstance(n, str) and n.startswith("_")}


def private_accesses() -> list[str]:
    """Every use of another module's private member: ``obj._name`` where no ``_name`` is
    defined in the module itself (``self`` and ``cls`` aside), and ``from x import _name``."""
    found: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        own = _private_names(tree)
        where = path.relative_to(SRC).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
                if node.attr.startswith("__") or node.attr in own:
                    continue
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    continue
                found.append(f"{where}: {ast.unparse(node)}")
            elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
                found.extend(
                    f"{where}: import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                )
    return found


ALLOWED_PRIVATE_ACCESSES = {
    # the hypothesis entry point registers strategies from its sibling private module
    "testing/_register.py: import _strategies",
}


def test_private_members_stay_in_their_module() -> None:
    """At most 10 uses of another module's private members, each one allowed and justified
    above (there were 67 before the core rework)."""
    found = private_accesses()
    assert len(found) <= 10
    assert set(found) <= ALLOWED_PRIVATE_ACCESSES, sorted(set(found) - ALLOWED_PRIVATE_ACCESSES)


def test_no_import_cycles() -> None:
    """No module imports, directly or through others, a module that imports it back
    (``TYPE_CHECKING`` imports included)."""
    import grimp

    graph = grimp.build_graph("mentorflow")
    cycles = [
        (module, other)
        for module in graph.modules
        for other in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=other, imported=module)
    ]
    assert [] == cycles


def test_layers_contract_is_configured() -> None:
    """pyproject.toml holds a layers contract of at least five layers (run by lint-imports in
    the lint session), TYPE_CHECKING imports included."""
    import tomllib

    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text())["tool"]
    (layers,) = [c for c in config["importlinter"]["contracts"] if c["type"] == "layers"]
    assert len(layers["layers"]) >= 5
    assert not layers.get("exclude_type_checking_imports", False)
