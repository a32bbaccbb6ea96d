"""Scenario files (TOML): reading them into `Scenario`, with errors that name the key.

The format is documented in docs/reference/scenario-file.md; the shipped scenarios are in
``mentorflow/scenarios/``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pendulum

from .._domain.calendar import Closure, calendar_for
from .._domain.commands import DeclareDeliverable, PlanReporting
from .._domain.deadlines import DeadlineRule, Offset, Unit
from .._domain.distributions import KINDS, Distribution, Empirical, Fixed, Triangular, Uniform
from .._domain.extensions import ExtensionPolicy
from .._domain.lifecycle import Lifecycle
from .._domain.model import (
    DEFAULT_ROLES,
    Activity,
    Association,
    City,
    Deliverable,
    Partner,
    Role,
    Roles,
    StudyVisit,
)
from .._domain.validate import show
from ..exceptions import MentorflowError, ScenarioError, ValidationError
from .compose import compose
from .files import shipped
from .scenario import (
    ACTIONS,
    REPORTING_ACTIONS,
    Action,
    PairSpec,
    ProgrammeSpec,
    ReportingSpec,
    Scenario,
    VisitPlan,
)

T = TypeVar("T")
_OFFSET = re.compile(r"\s*(-?\d+)\s+(day|week|month|working day)s?\s*")
_AMOUNT = re.compile(r"\s*(\d+(?:\.\d+)?)\s+(day|week|month|working day)s?\s*")
_SHAPES = {
    "fixed": "'7 months'",
    "uniform": "[low, high]",
    "triangular": "[low, mode, high]",
    "empirical": "[observed, ...]",
}
_FIELD_KINDS: dict[str, type] = {
    "period": int,
    "justification": str,
    "name": str,
    "accepted": bool,
    "by": str,
    "reason": str,
    "due_on": dt.date,
}
"""The kind of each field of a reporting action's table."""
_ARITY = {"uniform": 2, "triangular": 3}  # how many amounts each listed kind takes
_DIGITS = 6  # more digits than any amount within 100 years (36,525 days) has
MAX_FILE_BYTES = 16 * 1024 * 1024
"""The largest scenario file `load_scenario` reads (16 MiB)."""


def load_scenario(path: str | Path) -> Scenario:
    """The scenario in TOML file ``path`` (or the name of a shipped scenario).

    A file may build on another (``base = "other.toml"`` or a shipped scenario's name) and
    give only its changes: see the scenario file reference.

    Raises:
        ScenarioError: naming the file, the key (or the line, for TOML syntax) and the problem.
    """
    source = Path(path)
    if not source.exists() and str(path) in shipped():
        source = shipped()[str(path)]
    document = read_document(source, str(path))
    merged = compose(document, str(path), source.parent, read_document, shipped())
    return parse_scenario(merged, str(path))


def read_document(source: Path, path: str) -> dict[str, Any]:
    """The TOML document of file ``source`` (called ``path`` in errors)."""
    try:
        data = source.read_bytes()
    except OSError as err:
        raise ScenarioError(str(path), f"can't read it ({err.strerror})") from None
    except ValueError as err:  # a NUL byte
        raise ScenarioError(str(path), f"can't be a file name ({err})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            str(path), f"{len(data)} bytes is more than a scenario file may have ({MAX_FILE_BYTES})"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            str(path), f"not UTF-8 text (byte {err.start} is {data[err.start]:#04x})"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(str(path), f"not valid TOML: {err}") from None
    except RecursionError:
        raise ScenarioError(str(path), "not valid TOML: nested too deeply") from None
    except ValueError as err:  # an integer of more than 4,300 digits
        raise ScenarioError(str(path), f"not valid TOML: {err}") from None


def parse_scenario(document: Mapping[str, Any], source: str = "scenario") -> Scenario:
    """The scenario of a parsed TOML ``document``.

    Raises:
        ScenarioError: naming ``source``, the key and the problem.
    """
    if not isinstance(source, str):
        raise ScenarioError("source", f"must be a string, not {type(source).__name__}")
    reader = _Reader(source)
    document = reader.table(document, "")
    if "base" in document:  # relative to the working directory
        document = compose(document, source, Path.cwd(), read_document, shipped())
    return reader.scenario(reader.table(document, ""))


_MIGRATION_KEYS = {
    "phases",
    "version",
    "lifecycle",
    "visit_hosts",
    "deadlines",
    "ends_on",
    "country",
    "subdivision",
    "coordinator",
    "funding_reference",
    "extension_policy",
    "phase_extension_policy",
}
"""What a ``migrate`` action may say besides ``on`` and ``note``: the mapping, and the
programme's keys it changes."""


_PAIR_KEYS = frozenset({"key", "theme", "topic"})
"""A pair's keys besides its two roles."""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.closures: list[Closure] = []
        """The partners' closure days, read with the pairs (of their city's region)."""
        self.definition: ProgrammeSpec | None = None
        """The definition in force as the script is read: the programme's, then each
        ``migrate`` action's, in the file's order."""
        self.partners: dict[str, Partner] = {}
        """The partners of ``[partners]``, by key: a pair or an action names one by its key."""
        self.roles = DEFAULT_ROLES
        """The programme's names for the two sides of a pair (``programme.roles``)."""

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {key}", problem)

    def get(
        self, table: Mapping[str, Any], key: str, where: str, kind: type[T], default: Any = ...
    ) -> T:
        if key not in table:
            if default is ...:
                raise self.fail(f"{where}{key}", "is missing")
            return default  # type: ignore[no-any-return]
        value = table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(f"{where}{key}", f"must be {_kind(kind)}, not {show(value)}")
        return value

    def table(self, value: Any, where: str) -> Mapping[str, Any]:
        """``value`` if it is a table (with string keys), else the error naming ``where``."""
        if not isinstance(value, Mapping):
            raise self.fail(where or "(document)", f"must be a table, not {show(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.fail(
                    where or "(document)", f"has a key that is not a string: {show(key)}"
                )
        return value

    def check_keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        extra = sorted(set(table) - allowed)
        if extra:
            raise self.fail(
                f"{where}{extra[0]}", f"unknown key (expected one of: {', '.join(sorted(allowed))})"
            )

    def build(self, where: str, make: Callable[[], T]) -> T:
        """Call ``make``; mentorflow's own validation errors are named by ``where``."""
        try:
            return make()
        except ScenarioError:
            raise
        except MentorflowError as err:
            field = getattr(err, "field", "")
            problem = getattr(err, "problem", str(err))
            path = ".".join(part for part in (where, field) if part)
            raise self.fail(path, problem) from None

    # -- the parts -----------------------------------------------------------------------

    def scenario(self, doc: Mapping[str, Any]) -> Scenario:
        self.check_keys(
            doc,
            "",
            {
                "name",
                "programme",
                "partners",
                "pairs",
                "durations",
                "visits",
                "reporting",
                "script",
            },
        )
        programme = self.programme(self.table(self.get(doc, "programme", "", dict), "programme"))
        self.definition = programme
        for key, table in self.table(self.get(doc, "partners", "", dict, {}), "partners").items():
            self.partners[key] = self.partner(table, f"partners.{key}.")
        pairs = tuple(
            self.pair(self.table(p, f"pairs[{i}]"), f"pairs[{i}].")
            for i, p in enumerate(self.get(doc, "pairs", "", list))
        )
        if self.closures:
            closures = (*programme.closures, *self.closures)
            programme = self.build("pairs", lambda: attrs.evolve(programme, closures=closures))
            self.definition = programme
        durations = {
            phase: self.uncertain(text, f"durations.{phase}")
            for phase, text in self.table(
                self.get(doc, "durations", "", dict, {}), "durations"
            ).items()
        }
        script = tuple(
            self.action(self.table(a, f"script[{i}]"), f"script[{i}].")
            for i, a in enumerate(self.get(doc, "script", "", list, []))
        )
        visits = tuple(
            self.visit_plan(number, table, f"visits.{number}")
            for number, table in self.table(self.get(doc, "visits", "", dict, {}), "visits").items()
        )
        reporting = self.reporting(
            self.table(self.get(doc, "reporting", "", dict, {}), "reporting")
        )
        name = self.get(doc, "name", "", str)
        return self.build(
            "",
            lambda: _file_keys(
                script,
                lambda: Scenario(
                    name=name,
                    programme=programme,
                    pairs=pairs,
                    durations=durations,
                    script=script,
                    visits=visits,
                    reporting=reporting,
                ),
            ),
        )

    def reporting(self, table: Mapping[str, Any]) -> ReportingSpec:
        """``[reporting]``: ``period_months`` and ``report_days`` plan the periodic reports,
        ``deliverables`` (name and due date each) are declared; all on the first day."""
        w = "reporting."
        self.check_keys(table, w, {"period_months", "report_days", "deliverables"})
        plan = None
        if "period_months" in table:
            kwargs: dict[str, Any] = {"period_months": self.get(table, "period_months", w, int)}
            if "report_days" in table:
                kwargs["report_days"] = self.get(table, "report_days", w, int)
            plan = self.build("reporting", lambda: PlanReporting(**kwargs))
        elif "report_days" in table:
            raise self.fail(f"{w}report_days", "give period_months too: it plans the reports")
        declared = []
        for i, raw in enumerate(self.get(table, "deliverables", w, list, [])):
            where = f"{w}deliverables[{i}]"
            item = self.table(raw, where)
            self.check_keys(item, f"{where}.", {"name", "due_on"})
            name = self.get(item, "name", f"{where}.", str)
            due_on = self.date(item, "due_on", f"{where}.")
            declared.append(
                self.build(where, functools.partial(DeclareDeliverable, name=name, due_on=due_on))
            )
        return self.build("reporting", lambda: ReportingSpec(plan=plan, deliverables=declared))

    def visit_plan(self, number: str, table: Any, where: str) -> VisitPlan:
        if not number.isdigit() or number.startswith("0") or len(number) > 3:
            raise self.fail(where, "is not a visit number like 1, 2 or 3")
        table = self.table(table, where)
        w = f"{where}."
        self.check_keys(table, w, {"days", "mode", "host"})
        kwargs: dict[str, Any] = {"number": int(number), "days": self.get(table, "days", w, int, 1)}
        if "mode" in table:
            kwargs["mode"] = self.get(table, "mode", w, str)
        if "host" in table:
            kwargs["host"] = self.role(table, "host", w)
        return self.build(where, lambda: VisitPlan(**kwargs))

    def programme(self, table: Mapping[str, Any]) -> ProgrammeSpec:
        w = "programme."
        self.check_keys(
            table,
            w,
            {
                "name",
                "starts_on",
                "ends_on",
                "duration",
                "timezone",
                "lifecycle",
                "visit_hosts",
                "country",
                "subdivision",
                "coordinator",
                "funding_reference",
                "deadlines",
                "extension_policy",
                "phase_extension_policy",
                "closures",
                "roles",
            },
        )
        self.roles = self.programme_roles(table, w)
        phases = self.get(table, "lifecycle", w, list, None)
        hosts = self.hosts(table, w)
        if phases is None and hosts is not None:
            phases = list(Lifecycle.default().order)  # the default order, with these hosts
        lifecycle = (
            Lifecycle.default()
            if phases is None
            else self.build(
                f"{w}lifecycle",
                lambda: Lifecycle.linear(
                    *phases, **({} if hosts is None else {"visit_hosts": hosts})
                ),
            )
        )
        rules = tuple(
            self.rule(self.table(r, f"{w}deadlines[{i}]"), f"{w}deadlines[{i}].")
            for i, r in enumerate(self.get(table, "deadlines", w, list, []))
        )
        return self.build(
            "programme",
            lambda: ProgrammeSpec(
                name=self.get(table, "name", w, str),
                starts_on=self.date(table, "starts_on", w),
                ends_on=self.ends_on(table, w),
                timezone=self.get(table, "timezone", w, str, "UTC"),
                lifecycle=lifecycle,
                country=self.get(table, "country", w, str, None),
                subdivision=self.get(table, "subdivision", w, str, None),
                coordinator=self.get(table, "coordinator", w, str, None),
                funding_reference=self.get(table, "funding_reference", w, str, None),
                deadlines=rules,
                extension_policy=self.policy(table, "extension_policy", w),
                phase_extension_policy=self.policy(table, "phase_extension_policy", w),
                closures=[Closure(on=day) for day in self.days(table, "closures", w)],
                roles=self.roles,
            ),
        )

    def programme_roles(self, table: Mapping[str, Any], w: str) -> Roles:
        """``roles = { mentor = "lead", mentee = "transfer" }``: the names pairs, hosts and
        partner replacements use instead of mentor and mentee."""
        raw = self.get(table, "roles", w, dict, None)
        if raw is None:
            return DEFAULT_ROLES
        where = f"{w}roles"
        self.check_keys(self.table(raw, where), f"{where}.", {"mentor", "mentee"})
        names = {key: self.get(raw, key, f"{where}.", str) for key in ("mentor", "mentee")}
        for key, name in names.items():
            if name in _PAIR_KEYS:
                raise self.fail(f"{where}.{key}", f"{name!r} names a pair's {name}, not a role")
        return self.build(where, lambda: Roles(**names))

    def role(self, table: Mapping[str, Any], key: str, w: str) -> Role:
        """The side ``table[key]`` names, by the programme's name for it."""
        name = self.get(table, key, w, str)
        return self.build(f"{w}{key}", lambda: self.roles.role(name, ""))

    def hosts(self, table: Mapping[str, Any], w: str) -> dict[Role, int] | None:
        """``visit_hosts``, keyed by the programme's names of the roles."""
        raw = self.get(table, "visit_hosts", w, dict, None)
        if raw is None:
            return None
        where = f"{w}visit_hosts."
        return {
            self.build(f"{where}{name}", functools.partial(self.roles.role, name, "")): count
            for name, count in self.table(raw, where.rstrip(".")).items()
        }

    def policy(self, table: Mapping[str, Any], key: str, w: str) -> ExtensionPolicy | None:
        raw = self.get(table, key, w, dict, None)
        if raw is None:
            return None
        self.table(raw, f"{w}{key}")
        where = f"{w}{key}."
        self.check_keys(raw, where, {"request_lead", "response_days", "max_count", "max_total"})
        kwargs: dict[str, Any] = {}
        for name in ("request_lead", "max_total"):
            if name in raw:
                kwargs[name] = self.offset(raw[name], f"{where}{name}")
        for name in ("response_days", "max_count"):
            if name in raw:
                kwargs[name] = self.get(raw, name, where, int)
        return self.build(f"{w}{key}", lambda: ExtensionPolicy(**kwargs))

    def rule(self, table: Mapping[str, Any], w: str) -> DeadlineRule:
        self.check_keys(
            table,
            w,
            {
                "name",
                "on",
                "after",
                "days",
                "weeks",
                "months",
                "working_days",
                "capped",
                "lead_days",
                "calendar",
                "month_end",
            },
        )
        kwargs: dict[str, Any] = {
            key: self.get(table, key, w, bool if key in ("capped", "month_end") else int)
            for key in table
            if key not in ("name", "on", "calendar", "after")
        }
        if "after" in table:
            kwargs["after"] = self.get(table, "after", w, str)
        if "on" in table:
            kwargs["on"] = self.date(table, "on", w)
        if "calendar" in table:
            kwargs["calendar"] = self.get(table, "calendar", w, str)
        name = self.get(table, "name", w, str)
        return self.build(w.rstrip("."), lambda: DeadlineRule(name, **kwargs))

    def partner(self, table: Any, w: str) -> Partner:
        if isinstance(table, str) and table in self.partners:
            return self.partners[table]  # a partner of [partners], by its key
        if not isinstance(table, dict):
            known = f" or one of the keys of [partners] ({', '.join(self.partners)})"
            raise self.fail(
                w.rstrip("."),
                "must be a table like { city = ..., country = ..., association = ... }"
                + (known if self.partners else ""),
            )
        self.table(table, w.rstrip("."))
        self.check_keys(table, w, {"city", "country", "subdivision", "association", "closures"})
        country = self.get(table, "country", w, str)
        region = country
        if "subdivision" in table:
            region = f"{country}-{self.get(table, 'subdivision', w, str)}"
        for day in self.days(table, "closures", w):
            self.closures.append(
                self.build(f"{w}closures", functools.partial(Closure, day, region))
            )
        association = self.get(table, "association", w, str, None)
        return self.build(
            w.rstrip("."),
            lambda: Partner(
                city=City(
                    name=self.get(table, "city", w, str),
                    country=country,
                    subdivision=self.get(table, "subdivision", w, str, None),
                ),
                association=(
                    None if association is None else Association(name=association, country=country)
                ),
            ),
        )

    def pair(self, table: Mapping[str, Any], w: str) -> PairSpec:
        lead, taker = self.roles.names
        for key in table:
            if key not in _PAIR_KEYS:  # a role of the programme's, or the error saying which are
                self.build(f"{w}{key}", functools.partial(self.roles.role, key, ""))
        mentor = self.partner(table.get(lead), f"{w}{lead}.")
        mentee = self.partner(table.get(taker), f"{w}{taker}.")
        theme = self.get(table, "theme", w, str)
        return self.build(
            w.rstrip("."),
            lambda: PairSpec(
                key=self.get(table, "key", w, str),
                mentor=mentor,
                mentee=mentee,
                theme=theme,
                topic=self.get(table, "topic", w, str, None),
            ),
        )

    def action(self, table: Mapping[str, Any], w: str) -> Action:
        kind = self.get(table, "action", w, str)
        if kind not in ACTIONS:
            raise self.fail(f"{w}action", f"{show(kind)} is not one of {', '.join(ACTIONS)}")
        if kind == "migrate":
            return self.migration(table, w)
        if kind in REPORTING_ACTIONS:
            return self.reporting_action(table, w, kind)
        self.check_keys(
            table,
            w,
            {
                "on",
                "action",
                "pair",
                "phase",
                "by",
                "reason",
                "milestone",
                "note",
                "visit",
                "deliverable",
                "role",
                "partner",
                "offset",
                "activity",
            },
        )
        kwargs: dict[str, Any] = {
            key: self.get(table, key, w, str, None)
            for key in ("pair", "phase", "by", "reason", "milestone", "note")
        }
        if "offset" in table:
            if kind != "delay" and isinstance(table["offset"], dict):
                raise self.fail(
                    f"{w}offset", f"only a delay can be uncertain; a {kind} takes an amount"
                )
            kwargs["offset"] = (
                self.uncertain(table["offset"], f"{w}offset")
                if kind == "delay"
                else self.offset(table["offset"], f"{w}offset")
            )
        if "deliverable" in table:
            kwargs["deliverable"] = self.enum(table, "deliverable", w, Deliverable)
        if "role" in table:
            kwargs["role"] = self.role(table, "role", w)
        if "partner" in table:
            kwargs["partner"] = self.partner(table["partner"], f"{w}partner.")
        if "visit" in table:
            visit = self.table(self.get(table, "visit", w, dict), f"{w}visit")
            vw = f"{w}visit."
            self.check_keys(visit, vw, {"number", "host", "mode", "starts_on", "ends_on"})
            kwargs["visit"] = self.build(
                vw.rstrip("."),
                lambda: StudyVisit(
                    number=self.get(visit, "number", vw, int),
                    host=self.role(visit, "host", vw),
                    mode=self.get(visit, "mode", vw, str),
                    starts_on=self.date(visit, "starts_on", vw),
                    ends_on=self.date(visit, "ends_on", vw),
                ),
            )
        if "activity" in table:
            kwargs["activity"] = self.activity(table["activity"], f"{w}activity")
        on = self.date(table, "on", w)
        return self.build(w.rstrip("."), lambda: Action(on=on, action=kind, **kwargs))

    def reporting_action(self, table: Mapping[str, Any], w: str, kind: str) -> Action:
        """A reporting action: its command's fields in one table, ``report`` (for a report)
        or ``deliverable``, dated by ``on``."""
        key = _reporting_key(kind)
        self.check_keys(table, w, {"on", "action", "note", key})
        where = f"{w}{key}"
        given = self.table(self.get(table, key, w, dict), where)
        fields = REPORTING_ACTIONS[kind][1]
        self.check_keys(given, f"{where}.", set(fields))
        kwargs: dict[str, Any] = {
            name: self.date(given, name, f"{where}.")
            if _FIELD_KINDS[name] is dt.date
            else self.get(given, name, f"{where}.", _FIELD_KINDS[name])
            for name in fields
            if name in given
        }
        on = self.date(table, "on", w)
        note = self.get(table, "note", w, str, None)
        return self.build(where, lambda: Action(on=on, action=kind, note=note, **kwargs))

    def activity(self, value: Any, where: str) -> Activity:
        table = self.table(value, where)
        w = f"{where}."
        self.check_keys(table, w, {"name", "kind", "starts_on", "ends_on", "mode", "place"})
        kwargs: dict[str, Any] = {
            key: self.get(table, key, w, str) for key in ("kind", "mode", "place") if key in table
        }
        kwargs["name"] = self.get(table, "name", w, str)  # required: its absence is named
        kwargs["starts_on"] = self.date(table, "starts_on", w)
        if "ends_on" in table:
            kwargs["ends_on"] = self.date(table, "ends_on", w)
        return self.build(where, lambda: Activity(**kwargs))

    def migration(self, table: Mapping[str, Any], w: str) -> Action:
        """A ``migrate`` action: the definition in force with the keys it gives changed (the
        version one higher unless it says), and the mapping of changed phases."""
        self.check_keys(table, w, {"on", "action", "note", *_MIGRATION_KEYS})
        base = self.definition
        assert base is not None  # the programme is read first
        changes: dict[str, Any] = {}
        order = self.get(table, "lifecycle", w, list, None)
        hosts = self.hosts(table, w)
        if order is not None or hosts is not None:
            phases = order if order is not None else list(base.lifecycle.order)
            kept = base.lifecycle.visit_hosts
            limits = hosts if hosts is not None else (None if kept is None else dict(kept))
            changes["lifecycle"] = self.build(
                f"{w}lifecycle", lambda: Lifecycle.linear(*phases, visit_hosts=limits)
            )
        if "deadlines" in table:
            changes["deadlines"] = tuple(
                self.rule(r, f"{w}deadlines[{i}].")
                for i, r in enumerate(self.get(table, "deadlines", w, list))
            )
        if "ends_on" in table:
            changes["ends_on"] = self.date(table, "ends_on", w)
        for key in ("country", "subdivision", "coordinator", "funding_reference"):
            if key in table:
                changes[key] = self.get(table, key, w, str)
        for key in ("extension_policy", "phase_extension_policy"):
            if key in table:
                changes[key] = self.policy(table, key, w)
        changes["version"] = self.get(table, "version", w, int, base.version + 1)
        definition = self.build(w.rstrip("."), lambda: attrs.evolve(base, **changes))
        mapping = self.get(table, "phases", w, dict, {})
        for old, new in mapping.items():
            if not isinstance(new, str):
                raise self.fail(f"{w}phases.{old}", f"must be a phase name, not {new!r}")
        self.definition = definition
        on = self.date(table, "on", w)
        note = self.get(table, "note", w, str, None)
        return self.build(
            w.rstrip("."),
            lambda: Action(
                on=on, action="migrate", definition=definition, phases=mapping, note=note
            ),
        )

    # -- values --------------------------------------------------------------------------

    def ends_on(self, table: Mapping[str, Any], w: str) -> pendulum.Date:
        """``ends_on``, or the last day of ``duration`` from ``starts_on``: exactly one."""
        given = [key for key in ("ends_on", "duration") if key in table]
        if len(given) != 1:
            problem = "give one of them, not both" if given else "is missing"
            raise self.fail(
                f"{w}ends_on", f"{problem} (ends_on = 2022-12-31 or duration = '30 months')"
            )
        if given == ["ends_on"]:
            return self.date(table, "ends_on", w)
        length = self.offset(table["duration"], f"{w}duration")
        if length.unit is Unit.WORKING_DAYS or length.amount < 1:
            raise self.fail(
                f"{w}duration", f"must be some days, weeks or months (1 or more), not {length}"
            )
        return last_day(self.date(table, "starts_on", w), length)

    def date(self, table: Mapping[str, Any], key: str, w: str) -> pendulum.Date:
        return self.as_date(self.get(table, key, w, dt.date), f"{w}{key}")

    def as_date(self, value: Any, where: str) -> pendulum.Date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.fail(where, f"must be a date like 2020-06-17, not {show(value)}")
        return pendulum.Date(value.year, value.month, value.day)

    def days(self, table: Mapping[str, Any], key: str, w: str) -> list[pendulum.Date]:
        """A list of dates (none if the key is missing)."""
        values = self.get(table, key, w, list, [])
        return [self.as_date(value, f"{w}{key}[{i}]") for i, value in enumerate(values)]

    def offset(self, text: Any, where: str) -> Offset:
        match = _OFFSET.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise self.fail(
                where,
                f"{show(text)} is not an amount like '3 months', '6 weeks', '10 working days'",
            )
        unit = match[2].replace(" ", "_") + "s"
        if len(match[1].lstrip("-")) > _DIGITS:
            raise self.fail(where, f"{show(text)} is more than 100 years")
        amount = int(match[1])
        return self.build(where, lambda: Offset(amount=amount, unit=Unit(unit)))

    def uncertain(self, value: Any, where: str) -> Offset | Distribution:
        """An amount that may be uncertain: ``"7 months"``, ``"7.5 months"``, or a one-key
        table naming a distribution: ``{ triangular = ["5 months", "7 months", "10 months"] }``.
        """
        if isinstance(value, str):
            if _OFFSET.fullmatch(value):
                return self.offset(value, where)
            amount, unit = self.amount(value, where)
            return self.build(where, lambda: Fixed(amount, unit=unit))
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in KINDS:
            shapes = ", ".join(f"{{ {k} = {v} }}" for k, v in _SHAPES.items())
            raise self.fail(
                where, f"{show(value)} is not an amount like '3 months' nor one of {shapes}"
            )
        ((name, raw),) = value.items()
        where = f"{where}.{name}"
        texts = [raw] if name == "fixed" else raw
        if not isinstance(texts, list) or (name == "fixed" and not isinstance(raw, str)):
            raise self.fail(where, f"must be {_SHAPES[name]}, not {show(raw)}")
        if name in _ARITY and len(texts) != _ARITY[name]:
            raise self.fail(where, f"must be {_SHAPES[name]}, not {show(raw)}")
        amounts = [self.amount(text, f"{where}[{i}]") for i, text in enumerate(texts)]
        units = {unit for _, unit in amounts}
        if len(units) > 1:
            raise self.fail(
                where, f"mixes units ({', '.join(sorted(u.value for u in units))}); use one"
            )
        numbers = [number for number, _ in amounts]
        unit = amounts[0][1] if amounts else Unit.DAYS
        kinds: dict[str, Callable[[], Distribution]] = {
            "fixed": lambda: Fixed(numbers[0], unit=unit),
            "uniform": lambda: Uniform(*numbers, unit=unit),
            "triangular": lambda: Triangular(*numbers, unit=unit),
            "empirical": lambda: Empirical(numbers, unit=unit),
        }
        return self.build(where, kinds[name])

    def amount(self, text: Any, where: str) -> tuple[float, Unit]:
        match = _AMOUNT.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise self.fail(
                where,
                f"{show(text)} is not an amount like '3 months', '4.5 weeks', '10 working days'",
            )
        if len(match[1].partition(".")[0]) > _DIGITS:
            raise self.fail(where, f"{show(text)} is more than 100 years")
        number = float(match[1])
        return (int(number) if number.is_integer() else number), Unit(
            match[2].replace(" ", "_") + "s"
        )

    def enum(self, table: Mapping[str, Any], key: str, w: str, kind: type[T]) -> T:
        value = self.get(table, key, w, str)
        try:
            return kind(value)  # type: ignore[call-arg]
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in kind)  # type: ignore[attr-defined]
            raise self.fail(f"{w}{key}", f"{show(value)} is not one of {allowed}") from None


def last_day(starts_on: pendulum.Date, length: Offset) -> pendulum.Date:
    """The last day of a programme of ``length`` from ``starts_on`` (the first day counted):
    the day before the same day ``length`` later; in months, when that month has no such day,
    its last day (30 months from 2023-09-01: 2026-02-28; 6 months from 2023-08-31: 2024-02-29)."""
    after = length.after(starts_on, calendar_for(()))
    if length.unit is Unit.MONTHS and after.day < starts_on.day:
        return after  # no such day that month: it ends with the month
    return pendulum.Date.fromordinal(after.toordinal() - 1)


def _kind(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        list: "a list",
        dict: "a table",
        dt.date: "a date",
    }.get(kind, kind.__name__)


_ABOUT = re.compile(r"script\[(\d+)\]\.(\w+)")


def _reporting_key(action: str) -> str:
    """The table a reporting action's fields are in."""
    return "report" if action == "report" else "deliverable"


def _file_keys(script: tuple[Action, ...], make: Callable[[], Scenario]) -> Scenario:
    """``make()``; an error about a field of a scripted reporting action is named by the key
    the file gives it in (``script[3].report.period``, ``script[4].deliverable.name``)."""
    try:
        return make()
    except ValidationError as err:
        match = _ABOUT.match(err.field)
        if match is None:
            raise
        kind = script[int(match[1])].action
        if kind not in REPORTING_ACTIONS or match[2] not in REPORTING_ACTIONS[kind][1]:
            raise
        field = f"script[{match[1]}].{_reporting_key(kind)}.{err.field[match.start(2) :]}"
        raise ValidationError(field, err.problem) from None
