"""Scenario files that build on another: ``base = "other.toml"`` plus changes.

The merge, as docs/reference/scenario-file.md#building-on-another-scenario states it:

- ``base`` names a scenario file, relative to the file that names it (or absolute), or the
  name of a shipped scenario. The base may have a base of its own (at most `MAX_DEPTH` deep;
  a file that is its own base, directly or not, is refused).
- Tables merge key by key: the top level, ``[programme]``, ``[durations]``,
  ``programme.visit_hosts`` and the extension policies. A key the file gives replaces the base's;
  a key it doesn't give keeps the base's. Any other value (a string, a date, a list such as
  ``lifecycle``, a distribution such as ``{ triangular = [...] }``, a partner) replaces the
  base's whole.
- ``ends_on`` and ``duration`` are one choice: a file that gives either drops the base's other.
- ``[[pairs]]`` merge by ``key``: a pair whose key the base has replaces that pair, in its
  place; a new key is added after the base's pairs.
- ``[[programme.deadlines]]`` merge by ``name`` the same way.
- ``[[script]]`` actions are added after the base's (on the same day, the base's first).
- ``replace = ["script", "pairs", "programme.deadlines"]`` (any of them) makes the file's
  array replace the base's instead; an array named there that the file doesn't give is
  empty (``replace = ["script"]`` alone removes the base's script).

Refused, naming the key: a pair without a ``key`` or a deadline without a ``name`` (nothing to
merge it by), a key or name given twice in the file, a table where the base has a value (or a
value where it has a table), ``replace`` naming anything else, a missing or unreadable base.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .._domain.validate import show
from ..exceptions import ScenarioError

MAX_DEPTH = 8
"""How many bases deep a scenario file may build."""
_TABLES = frozenset(
    {
        "",
        "programme",
        "durations",
        "programme.visit_hosts",
        "programme.extension_policy",
        "programme.phase_extension_policy",
        "reporting",
    }
)
"""The tables that merge key by key (by their dotted path; "" is the top level)."""
_BY_KEY = {"pairs": "key", "programme.deadlines": "name", "reporting.deliverables": "name"}
"""The arrays of tables that merge by an identifying key."""
_EXTENDED = frozenset({"script"})
"""The arrays the file's entries are added to."""
REPLACEABLE = ("pairs", "programme.deadlines", "script")
"""What ``replace`` may name."""
_ALTERNATIVES = {
    "programme.ends_on": "programme.duration",
    "programme.duration": "programme.ends_on",
}

Reader = Callable[[Path, str], Mapping[str, Any]]
"""Reads a TOML file into a document: ``read(path, what_it_is_called)``."""


def compose(
    document: Mapping[str, Any],
    source: str,
    folder: Path,
    read: Reader,
    shipped: Mapping[str, Path],
    seen: tuple[Path, ...] = (),
) -> Mapping[str, Any]:
    """``document`` merged onto its base (and the base onto its own), without ``base`` and
    ``replace``; ``document`` itself if it has no base."""
    if "base" not in document:
        if "replace" in document:
            raise ScenarioError(f"{source}: replace", "only a file with a base can replace")
        return document
    name = document["base"]
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(
            f"{source}: base", f"must be a file name or a shipped scenario, not {show(name)}"
        )
    try:
        path = (folder / name).resolve()
        if not path.exists() and name in shipped:
            path = shipped[name].resolve()
        found, folder_only = path.exists(), path.is_dir()
    except (OSError, ValueError) as err:  # a name the file system can't take (a NUL byte)
        raise ScenarioError(f"{source}: base", f"{name!r} can't be a file name ({err})") from None
    if not found:
        known = ", ".join(sorted(shipped))
        raise ScenarioError(
            f"{source}: base",
            f"{name!r} is neither a file (looked for {path}) nor a shipped scenario ({known})",
        )
    if folder_only:
        raise ScenarioError(f"{source}: base", f"{name!r} is a folder, not a scenario file")
    if path in seen:
        raise ScenarioError(f"{source}: base", f"{name!r} builds on itself ({path})")
    if len(seen) >= MAX_DEPTH:
        raise ScenarioError(
            f"{source}: base", f"more than {MAX_DEPTH} bases deep: build on fewer files"
        )
    base = compose(read(path, name), name, path.parent, read, shipped, (*seen, path))
    replace = _replace(document, source)
    changes = {k: v for k, v in document.items() if k not in ("base", "replace")}
    for name in replace:  # an array to replace that the file doesn't give: none
        table, _, key = name.rpartition(".")
        if not table:
            changes.setdefault(key, [])
            continue
        given = changes.get(table, {})
        if isinstance(given, Mapping) and key not in given:
            changes[table] = {**given, key: []}
    return _merge(base, changes, "", source, replace)


def _replace(document: Mapping[str, Any], source: str) -> set[str]:
    names = document.get("replace", [])
    if not isinstance(names, list):
        raise ScenarioError(f"{source}: replace", f"must be a list, not {show(names)}")
    for i, name in enumerate(names):
        if name not in REPLACEABLE:
            raise ScenarioError(
                f"{source}: replace[{i}]",
                f"{show(name)} is not one of {', '.join(REPLACEABLE)}",
            )
    return set(names)


def _merge(
    base: Mapping[str, Any],
    changes: Mapping[str, Any],
    where: str,
    source: str,
    replace: set[str],
) -> dict[str, Any]:
    merged = dict(base)
    for key, value in changes.items():
        path = f"{where}.{key}" if where else key
        other = _ALTERNATIVES.get(path)
        if other is not None:
            merged.pop(other.rpartition(".")[2], None)
        old = base.get(key)
        if key not in base or path in replace:
            merged[key] = value
        elif path in _BY_KEY:
            merged[key] = _by_key(old, value, path, _BY_KEY[path], source)
        elif path in _EXTENDED:
            merged[key] = [*_array(old, path, "base"), *_array(value, path, source)]
        elif path in _TABLES and isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = _merge(old, value, path, source, replace)
        else:
            if path in _TABLES:
                _kinds(old, value, path, source)
            merged[key] = value  # a value replaces the base's whole
    return merged


def _kinds(old: Any, new: Any, path: str, source: str) -> None:
    if isinstance(old, Mapping) != isinstance(new, Mapping):
        kind = "a table" if isinstance(old, Mapping) else "a value"
        raise ScenarioError(
            f"{source}: {path}",
            f"the base has {kind} here, the file {show(new)}: give the same kind to change it",
        )


def _array(value: Any, path: str, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(f"{source}: {path}", f"must be a list, not {show(value)}")
    return value


def _by_key(old: Any, new: Any, path: str, key: str, source: str) -> list[Any]:
    """The base's entries, each replaced by the file's of the same ``key``, then the new."""
    mine: dict[str, Any] = {}
    for i, entry in enumerate(_array(new, path, source)):
        ident = entry.get(key) if isinstance(entry, Mapping) else None
        if not isinstance(ident, str):
            problem = "is missing" if ident is None else f"must be a string, not {show(ident)}"
            raise ScenarioError(
                f"{source}: {path}[{i}].{key}",
                f"{problem}: a {path} entry of a file with a base is merged by its {key}",
            )
        if ident in mine:
            raise ScenarioError(f"{source}: {path}[{i}].{key}", f"{ident!r} is given twice")
        mine[ident] = entry
    merged = []
    for entry in _array(old, path, "base"):
        ident = entry.get(key) if isinstance(entry, Mapping) else None
        merged.append(mine.pop(ident) if ident in mine else entry)
    return [*merged, *mine.values()]
