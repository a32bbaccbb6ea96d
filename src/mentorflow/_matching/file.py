"""Candidates files (TOML): reading them into a `Pool`, with errors that name the file and key.

The format is in docs/how-to/matching.md; the shipped files are in ``mentorflow/candidates/``
(``mentorflow match inclucities``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from .._domain.model import Association, City, Partner
from ..exceptions import MentorflowError, ValidationError
from .candidates import Affinity, Candidate
from .pool import Pool
from .rules import BUILT_IN, Constraints, Criterion, Pairing

T = TypeVar("T")

_CANDIDATE_KEYS = {
    "key",
    "city",
    "country",
    "subdivision",
    "association",
    "languages",
    "themes",
    "topics",
    "population",
    "capacity",
    "preferences",
}
_KINDS = {
    str: "a string",
    int: "a whole number",
    list: "a list",
    dict: "a table",
    bool: "true or false",
}


def shipped_pools() -> dict[str, Path]:
    """The candidates files that come with mentorflow, by name."""
    folder = resources.files("mentorflow") / "candidates"
    return {
        entry.name.removesuffix(".toml"): Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def load_pool(path: str | Path) -> Pool:
    """The pool in the candidates file ``path`` (or the name of a shipped one).

    Raises:
        ValidationError: naming the file, the key (or the line, for TOML syntax) and the
            problem, e.g. ``candidates.toml: mentees[2].country: 'Italy' is not ...``.
    """
    source = Path(path)
    if not source.exists() and str(path) in shipped_pools():
        source = shipped_pools()[str(path)]
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as err:
        raise ValidationError(str(path), f"can't read it ({err.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValidationError(str(path), f"not valid TOML: {err}") from None
    return parse_pool(document, str(path))


def parse_pool(document: Mapping[str, Any], source: str = "candidates") -> Pool:
    """The pool of a parsed TOML ``document``; errors name ``source`` and the key."""
    return _Reader(source).pool(document)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ValidationError:
        return ValidationError(f"{self.source}: {key}" if key else self.source, problem)

    def get(
        self, table: Mapping[str, Any], key: str, where: str, kind: type[T], default: Any = ...
    ) -> T:
        if key not in table:
            if default is ...:
                raise self.fail(f"{where}{key}", "is missing")
            return default  # type: ignore[no-any-return]
        value = table[key]
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        if not ok:
            what = "a number" if kind is float else _KINDS.get(kind, kind.__name__)
            raise self.fail(f"{where}{key}", f"must be {what}, not {value!r}")
        return value  # type: ignore[no-any-return]

    def check_keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(
                f"{where}{extra[0]}", f"unknown key (expected one of: {', '.join(sorted(allowed))})"
            )

    def build(self, where: str, make: Callable[[], T]) -> T:
        """Call ``make``; mentorflow's own errors are named by ``where`` and their field."""
        try:
            return make()
        except MentorflowError as err:
            field = getattr(err, "field", "")
            if field.startswith(f"{self.source}: "):
                raise
            problem = getattr(err, "problem", str(err))
            raise self.fail(".".join(p for p in (where, field) if p), problem) from None

    def tables(self, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        items = self.get(doc, key, "", list, [])
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", f"must be a table, not {item!r}")
        return items

    # -- the parts ---------------------------------------------------------------------

    def pool(self, doc: Mapping[str, Any]) -> Pool:
        self.check_keys(
            doc,
            "",
            {"name", "note", "criteria", "constraints", "mentors", "mentees", "affinities"},
        )
        mentors = [
            self.candidate(t, f"mentors[{i}].") for i, t in enumerate(self.tables(doc, "mentors"))
        ]
        mentees = [
            self.candidate(t, f"mentees[{i}].") for i, t in enumerate(self.tables(doc, "mentees"))
        ]
        affinities = [
            self.affinity(t, f"affinities[{i}].")
            for i, t in enumerate(self.tables(doc, "affinities"))
        ]
        kwargs: dict[str, Any] = {}
        if "criteria" in doc:
            kwargs["criteria"] = self.criteria(self.get(doc, "criteria", "", dict))
        if "constraints" in doc:
            kwargs["constraints"] = self.constraints(self.get(doc, "constraints", "", dict))
        name = self.get(doc, "name", "", str, "candidates")
        note = self.get(doc, "note", "", str, None)
        return self.build(
            "",
            lambda: Pool(
                mentors=mentors,
                mentees=mentees,
                affinities=affinities,
                name=name,
                note=note,
                **kwargs,
            ),
        )

    def candidate(self, table: Mapping[str, Any], w: str) -> Candidate:
        self.check_keys(table, w, _CANDIDATE_KEYS)
        country = self.get(table, "country", w, str)
        partner = self.build(
            w.rstrip("."),
            lambda: Partner(
                city=City(
                    name=self.get(table, "city", w, str),
                    country=country,
                    subdivision=self.get(table, "subdivision", w, str, None),
                ),
                association=Association(
                    name=self.get(table, "association", w, str), country=country
                ),
            ),
        )
        lists = {
            name: self.get(table, name, w, list, [])
            for name in ("languages", "themes", "topics", "preferences")
        }
        return self.build(
            w.rstrip("."),
            lambda: Candidate(
                key=self.get(table, "key", w, str),
                partner=partner,
                population=self.get(table, "population", w, int, None),
                capacity=self.get(table, "capacity", w, int, 1),
                **lists,
            ),
        )

    def criteria(self, table: Mapping[str, Any]) -> tuple[Criterion, ...]:
        w = "criteria."
        self.check_keys(table, w, set(BUILT_IN))
        criteria = []
        for name in table:
            weight = self.get(table, name, w, float)
            criteria.append(self.build(f"{w}{name}", lambda: Criterion(name, weight)))  # noqa: B023
        return tuple(criteria)

    def constraints(self, table: Mapping[str, Any]) -> Constraints:
        w = "constraints."
        self.check_keys(
            table, w, {"different_country", "shared_language", "min_score", "pinned", "forbidden"}
        )
        kwargs: dict[str, Any] = {}
        for name in ("different_country", "shared_language"):
            if name in table:
                kwargs[name] = self.get(table, name, w, bool)
        if "min_score" in table:
            kwargs["min_score"] = self.get(table, "min_score", w, float)
        for name in ("pinned", "forbidden"):
            kwargs[name] = [
                self.pairing(item, f"{w}{name}[{i}].")
                for i, item in enumerate(self.get(table, name, w, list, []))
            ]
        return self.build("constraints", lambda: Constraints(**kwargs))

    def pairing(self, table: Any, w: str) -> Pairing:
        if not isinstance(table, dict):
            raise self.fail(
                w.rstrip("."),
                f"must be a table like {{ mentor = ..., mentee = ... }}, not {table!r}",
            )
        self.check_keys(table, w, {"mentor", "mentee", "reason"})
        return self.build(
            w.rstrip("."),
            lambda: Pairing(
                self.get(table, "mentor", w, str),
                self.get(table, "mentee", w, str),
                reason=self.get(table, "reason", w, str, None),
            ),
        )

    def affinity(self, table: Mapping[str, Any], w: str) -> Affinity:
        self.check_keys(table, w, {"mentor", "mentee", "score", "note"})
        return self.build(
            w.rstrip("."),
            lambda: Affinity(
                mentor=self.get(table, "mentor", w, str),
                mentee=self.get(table, "mentee", w, str),
                score=self.get(table, "score", w, float),
                note=self.get(table, "note", w, str, None),
            ),
        )
