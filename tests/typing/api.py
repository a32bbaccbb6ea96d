"""Type-checked only (mypy --strict): the documented API in use, as a user would write it."""

from __future__ import annotations

import pendulum

from mentorflow import (
    AfterHookError,
    Association,
    City,
    CommandRefused,
    Deliverable,
    Event,
    Lifecycle,
    ManualClock,
    Pair,
    PairStatus,
    Partner,
    Phase,
    PhaseCompleted,
    PhaseStarted,
    Programme,
    Role,
    Step,
    StudyVisit,
    Subscription,
    Theme,
    Veto,
    VisitMode,
    VisitRecorded,
)

clock = ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))
programme = Programme(
    "IncluCities",
    starts_on=pendulum.date(2020, 6, 17),
    ends_on=pendulum.date(2022, 12, 31),
    timezone="Europe/Brussels",
    lifecycle=Lifecycle.linear(Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.STUDY_VISIT_1),
    clock=clock,
)
custom: Lifecycle = Lifecycle(steps=[Step(phase="pilot", visit=1), Step(phase=Phase.FINAL_REVIEW)])
mechelen = Partner(
    city=City(name="Mechelen", country="BE"), association=Association(name="VVSG", country="BE")
)
capaci = Partner(
    city=City(name="Capaci", country="IT", subdivision="PA"),
    association=Association(name="AICCRE", country="IT"),
)
pair: Pair = programme.add_pair(
    "mechelen-capaci", mentor=mechelen, mentee=capaci, theme=Theme.HOUSING
)


def on_started(event: PhaseStarted) -> None:
    phase: str = event.phase
    print(phase)


def on_visit(event: VisitRecorded) -> None:
    if event.visit.mode is VisitMode.ONLINE:
        raise Veto("in person only")


def on_any(event: Event) -> None:
    seq: int = event.seq
    at: pendulum.DateTime = event.at
    print(seq, at)


subs: list[Subscription] = [
    programme.subscribe(PhaseStarted, on_started),
    programme.subscribe(VisitRecorded, on_visit, before=True),
    programme.subscribe(Event, on_any),
    programme.on_enter(Phase.MATCHING, on_started),
    programme.on_leave(Phase.MATCHING, lambda e: print(e.phase)),
]
subs[0].cancel()

events: tuple[Event, ...] = pair.complete(Phase.NEEDS_ASSESSMENT, at=clock.advance(days=30))
completed = events[0]
assert isinstance(completed, PhaseCompleted)
try:
    pair.record_visit(
        StudyVisit(
            number=1,
            host=Role.MENTEE,
            mode=VisitMode.ONLINE,
            starts_on=pendulum.date(2021, 5, 11),
            ends_on=pendulum.date(2021, 5, 12),
        )
    )
except CommandRefused as refusal:
    rule: str = refusal.rule
except AfterHookError as errors:
    raised: tuple[Event, ...] = errors.events
pair.register_deliverable(Deliverable.ACTION_PLAN, reference="https://example.org/plan")
status: PairStatus = pair.status
now: pendulum.DateTime = programme.now()

# -- deadlines and extensions ----------------------------------------------------------------
from mentorflow import (  # noqa: E402
    CalendarBasis,
    Deadline,
    DeadlineMissed,
    DeadlineRule,
    DeadlineStatus,
    Extension,
    ExtensionPolicy,
    Offset,
    PolicyViolation,
    Unit,
)

scheduled = Programme(
    "IncluCities",
    starts_on=pendulum.date(2020, 6, 17),
    ends_on=pendulum.date(2022, 12, 31),
    timezone="Europe/Brussels",
    country="BE",
    deadlines=[
        DeadlineRule("final_conference", after="programme.end", capped=True, lead_days=30),
        DeadlineRule("final_report", after="final_conference", days=60),
        DeadlineRule(
            Phase.MATCHING, after="needs_assessment.completed", weeks=6, calendar=CalendarBasis.PAIR
        ),
    ],
    extension_policy=ExtensionPolicy(request_lead=Offset(amount=1, unit=Unit.MONTHS)),
    clock=clock,
)
report: Deadline = scheduled.deadline("final_report")
due: pendulum.Date | None = report.due_on
state: DeadlineStatus = report.status(scheduled.now())
for alert in scheduled.check_deadlines():
    if isinstance(alert, DeadlineMissed):
        missed_pair: str | None = alert.pair
try:
    request: Extension = scheduled.request_extension(months=3, reason="Covid-19")
    scheduled.grant_extension(request.key, by="REA")
except PolicyViolation as violation:
    clause: str = violation.clause

# -- persistence -----------------------------------------------------------------------------
from mentorflow import (  # noqa: E402
    ConcurrencyError,
    JsonLinesStore,
    MemoryStore,
    SQLiteStore,
    Store,
)
from mentorflow.serialization import dump_event, load_event  # noqa: E402

store: Store = SQLiteStore(":memory:")
scheduled.persist(store, "inclucities")
try:
    again: Programme = Programme.restore(store, "inclucities", clock=clock)
except ConcurrencyError as conflict:
    behind: int = conflict.expected
document: dict[str, object] = dump_event(scheduled.history[0])
first: Event = load_event(document)
others: list[Store] = [MemoryStore(), JsonLinesStore("logs")]

# -- commands as values and definitions ------------------------------------------------------
from mentorflow import (  # noqa: E402
    CheckDeadlines,
    Command,
    Complete,
    Definition,
    Enrol,
    GrantExtension,
    RequestExtension,
)
from mentorflow.serialization import dump_command, load_command  # noqa: E402

definition: Definition = scheduled.definition
copy: Programme = Programme.from_definition(definition, clock=clock)
queued: list[Command] = [
    Enrol(pair="p", mentor=mechelen, mentee=capaci, theme=Theme.HOUSING),
    Complete(pair="p", phase=Phase.NEEDS_ASSESSMENT),
    RequestExtension(reason="Covid-19", offset=Offset(amount=3, unit=Unit.MONTHS)),
    GrantExtension(extension="E1", by="REA"),
    CheckDeadlines(),
]
for command in queued:
    emitted: tuple[Event, ...] = copy.execute(command)
    stored: Command = load_command(dump_command(command))
version: int = copy.version
restored_fast: Programme = Programme.restore(store, "inclucities", pause_gc=True)

# -- versions and migrations ---------------------------------------------------------------
import attrs  # noqa: E402

from mentorflow import (  # noqa: E402
    DeadlineMove,
    DefinitionDrift,
    Migrate,
    MigrationPlan,
    MigrationRefused,
    PairPlan,
)
from mentorflow.serialization import fingerprint  # noqa: E402

v2: Definition = attrs.evolve(definition, version=2)
try:
    checked: Programme = Programme.restore(store, "inclucities", definition=v2)
except DefinitionDrift as drift:
    differences: tuple[str, ...] = drift.changes
plan: MigrationPlan = copy.plan_migration(v2, phases={"study_visit_3": "transfer_workshop"})
rows: tuple[PairPlan, ...] = plan.pairs
moves: tuple[DeadlineMove, ...] = rows[0].deadlines
by: int | None = moves[0].days
try:
    done: MigrationPlan = copy.migrate(v2, phases={}, note="v2")
except MigrationRefused as refused:
    why: tuple[str, ...] = refused.refusals
migration: tuple[Event, ...] = copy.execute(Migrate(definition=v2))
print_of: str = fingerprint(v2)
again_extension = scheduled.request_extension(
    reason="again", offset=Offset(amount=3, unit=Unit.MONTHS)
)
