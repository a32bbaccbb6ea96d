"""mentorflow: city-to-city mentoring programmes as state machines.

Model a programme's pairs of mentor and mentee cities, drive each pair through its lifecycle
with typed commands, and subscribe to the events every change emits.

Examples:
    >>> import pendulum
    >>> from mentorflow import (
    ...     Association, City, ManualClock, Partner, Phase, Programme, Theme)
    >>> clock = ManualClock(pendulum.datetime(2020, 6, 17, 10, tz="Europe/Brussels"))
    >>> programme = Programme("IncluCities", starts_on=pendulum.date(2020, 6, 17),
    ...     ends_on=pendulum.date(2022, 12, 31), timezone="Europe/Brussels", clock=clock)
    >>> pair = programme.add_pair("mechelen-capaci",
    ...     mentor=Partner(city=City(name="Mechelen", country="BE"),
    ...                    association=Association(name="VVSG", country="BE")),
    ...     mentee=Partner(city=City(name="Capaci", country="IT", subdivision="PA"),
    ...                    association=Association(name="AICCRE", country="IT")),
    ...     theme=Theme.PARTICIPATION_AND_SOCIAL_INCLUSION)
    >>> _ = pair.complete(Phase.NEEDS_ASSESSMENT, at=clock.advance(weeks=8))
    >>> pair.phase
    <Phase.MATCHING: 'matching'>
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from . import exceptions as exceptions
from ._core.book import Deadline as Deadline
from ._core.book import DeadlineRevision as DeadlineRevision
from ._core.book import DeadlineStatus as DeadlineStatus
from ._core.hooks import Subscription as Subscription
from ._core.migration import DeadlineMove as DeadlineMove
from ._core.migration import MigrationPlan as MigrationPlan
from ._core.migration import PairPlan as PairPlan
from ._core.programme import Pair as Pair
from ._core.programme import Programme as Programme
from ._core.snapshot import SnapshotPolicy as SnapshotPolicy
from ._core.transaction import History as History
from ._domain.calendar import Closure as Closure
from ._domain.clock import Clock as Clock
from ._domain.clock import ManualClock as ManualClock
from ._domain.clock import SystemClock as SystemClock
from ._domain.commands import CheckDeadlines as CheckDeadlines
from ._domain.commands import Command as Command
from ._domain.commands import Complete as Complete
from ._domain.commands import DeclareDeliverable as DeclareDeliverable
from ._domain.commands import DefineBenchmarks as DefineBenchmarks
from ._domain.commands import DraftDeliverable as DraftDeliverable
from ._domain.commands import Enrol as Enrol
from ._domain.commands import GrantExtension as GrantExtension
from ._domain.commands import HoldActivity as HoldActivity
from ._domain.commands import Migrate as Migrate
from ._domain.commands import MoveDeliverableDue as MoveDeliverableDue
from ._domain.commands import PairCommand as PairCommand
from ._domain.commands import PlanReporting as PlanReporting
from ._domain.commands import ReachMilestone as ReachMilestone
from ._domain.commands import RecordVisit as RecordVisit
from ._domain.commands import RefuseExtension as RefuseExtension
from ._domain.commands import RegisterDeliverable as RegisterDeliverable
from ._domain.commands import ReplacePartner as ReplacePartner
from ._domain.commands import RequestExtension as RequestExtension
from ._domain.commands import Resume as Resume
from ._domain.commands import ReviewDeliverable as ReviewDeliverable
from ._domain.commands import SubmitDeliverable as SubmitDeliverable
from ._domain.commands import SubmitReport as SubmitReport
from ._domain.commands import Suspend as Suspend
from ._domain.commands import Withdraw as Withdraw
from ._domain.commands import command_of as command_of
from ._domain.deadlines import CalendarBasis as CalendarBasis
from ._domain.deadlines import DeadlineRule as DeadlineRule
from ._domain.deadlines import Offset as Offset
from ._domain.deadlines import Unit as Unit
from ._domain.definition import Definition as Definition
from ._domain.events import ActivityHeld as ActivityHeld
from ._domain.events import BenchmarksDefined as BenchmarksDefined
from ._domain.events import DeadlineApproaching as DeadlineApproaching
from ._domain.events import DeadlineMissed as DeadlineMissed
from ._domain.events import DefinitionMigrated as DefinitionMigrated
from ._domain.events import DeliverableDeclared as DeliverableDeclared
from ._domain.events import DeliverableDrafted as DeliverableDrafted
from ._domain.events import DeliverableDueMoved as DeliverableDueMoved
from ._domain.events import DeliverableRegistered as DeliverableRegistered
from ._domain.events import DeliverableReviewed as DeliverableReviewed
from ._domain.events import DeliverableSubmitted as DeliverableSubmitted
from ._domain.events import Event as Event
from ._domain.events import ExtensionGranted as ExtensionGranted
from ._domain.events import ExtensionRefused as ExtensionRefused
from ._domain.events import ExtensionRequested as ExtensionRequested
from ._domain.events import MilestoneReached as MilestoneReached
from ._domain.events import PairCompleted as PairCompleted
from ._domain.events import PairEnrolled as PairEnrolled
from ._domain.events import PairEvent as PairEvent
from ._domain.events import PairMigrated as PairMigrated
from ._domain.events import PairResumed as PairResumed
from ._domain.events import PairSuspended as PairSuspended
from ._domain.events import PairWithdrawn as PairWithdrawn
from ._domain.events import PartnerReplaced as PartnerReplaced
from ._domain.events import PhaseCompleted as PhaseCompleted
from ._domain.events import PhaseStarted as PhaseStarted
from ._domain.events import ReportingPlanned as ReportingPlanned
from ._domain.events import ReportSubmitted as ReportSubmitted
from ._domain.events import VisitRecorded as VisitRecorded
from ._domain.extensions import Extension as Extension
from ._domain.extensions import ExtensionPolicy as ExtensionPolicy
from ._domain.extensions import ExtensionStatus as ExtensionStatus
from ._domain.lifecycle import Lifecycle as Lifecycle
from ._domain.lifecycle import PairStatus as PairStatus
from ._domain.lifecycle import Phase as Phase
from ._domain.lifecycle import Step as Step
from ._domain.model import Activity as Activity
from ._domain.model import ActivityKind as ActivityKind
from ._domain.model import Association as Association
from ._domain.model import Benchmark as Benchmark
from ._domain.model import City as City
from ._domain.model import Deliverable as Deliverable
from ._domain.model import Partner as Partner
from ._domain.model import Role as Role
from ._domain.model import Roles as Roles
from ._domain.model import StudyVisit as StudyVisit
from ._domain.model import Theme as Theme
from ._domain.model import VisitMode as VisitMode
from ._domain.reporting import DeliverableRecord as DeliverableRecord
from ._domain.reporting import DeliverableStatus as DeliverableStatus
from ._domain.reporting import ReportingPeriod as ReportingPeriod
from ._service.outbox import Outbox as Outbox
from ._service.readmodel import OverdueDeadline as OverdueDeadline
from ._service.readmodel import ReadModel as ReadModel
from ._service.worker import Worker as Worker
from ._storage.stores import JsonLinesStore as JsonLinesStore
from ._storage.stores import MemoryStore as MemoryStore
from ._storage.stores import PostgresStore as PostgresStore
from ._storage.stores import SQLiteStore as SQLiteStore
from ._storage.stores import Store as Store
from ._storage.stores import StoreChange as StoreChange
from ._storage.stores import StoredLog as StoredLog
from ._storage.stores import StoreWatch as StoreWatch
from .exceptions import AfterHookError as AfterHookError
from .exceptions import ArchivedProgrammeError as ArchivedProgrammeError
from .exceptions import CommandRefused as CommandRefused
from .exceptions import ConcurrencyError as ConcurrencyError
from .exceptions import CorruptStoreError as CorruptStoreError
from .exceptions import DefinitionDrift as DefinitionDrift
from .exceptions import DefinitionError as DefinitionError
from .exceptions import DeliveryError as DeliveryError
from .exceptions import LeaseLost as LeaseLost
from .exceptions import MentorflowError as MentorflowError
from .exceptions import MigrationRefused as MigrationRefused
from .exceptions import PolicyViolation as PolicyViolation
from .exceptions import ReplayError as ReplayError
from .exceptions import SerializationError as SerializationError
from .exceptions import SnapshotError as SnapshotError
from .exceptions import StoreError as StoreError
from .exceptions import StoreSchemaError as StoreSchemaError
from .exceptions import StoreUnavailableError as StoreUnavailableError
from .exceptions import UnknownPairError as UnknownPairError
from .exceptions import UnknownProgrammeError as UnknownProgrammeError
from .exceptions import ValidationError as ValidationError
from .exceptions import Veto as Veto
from .exceptions import Vetoed as Vetoed

try:
    __version__ = _version("mentorflow")
except _PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = [
    "Activity",
    "ActivityHeld",
    "ActivityKind",
    "AfterHookError",
    "ArchivedProgrammeError",
    "Association",
    "Benchmark",
    "BenchmarksDefined",
    "CalendarBasis",
    "CheckDeadlines",
    "City",
    "Clock",
    "Closure",
    "Command",
    "CommandRefused",
    "Complete",
    "ConcurrencyError",
    "CorruptStoreError",
    "Deadline",
    "DeadlineApproaching",
    "DeadlineMissed",
    "DeadlineMove",
    "DeadlineRevision",
    "DeadlineRule",
    "DeadlineStatus",
    "DeclareDeliverable",
    "DefineBenchmarks",
    "Definition",
    "DefinitionDrift",
    "DefinitionError",
    "DefinitionMigrated",
    "Deliverable",
    "DeliverableDeclared",
    "DeliverableDrafted",
    "DeliverableDueMoved",
    "DeliverableRecord",
    "DeliverableRegistered",
    "DeliverableReviewed",
    "DeliverableStatus",
    "DeliverableSubmitted",
    "DeliveryError",
    "DraftDeliverable",
    "Enrol",
    "Event",
    "Extension",
    "ExtensionGranted",
    "ExtensionPolicy",
    "ExtensionRefused",
    "ExtensionRequested",
    "ExtensionStatus",
    "GrantExtension",
    "History",
    "HoldActivity",
    "JsonLinesStore",
    "LeaseLost",
    "Lifecycle",
    "ManualClock",
    "MemoryStore",
    "MentorflowError",
    "Migrate",
    "MigrationPlan",
    "MigrationRefused",
    "MilestoneReached",
    "MoveDeliverableDue",
    "Offset",
    "Outbox",
    "OverdueDeadline",
    "Pair",
    "PairCommand",
    "PairCompleted",
    "PairEnrolled",
    "PairEvent",
    "PairMigrated",
    "PairPlan",
    "PairResumed",
    "PairStatus",
    "PairSuspended",
    "PairWithdrawn",
    "Partner",
    "PartnerReplaced",
    "Phase",
    "PhaseCompleted",
    "PhaseStarted",
    "PlanReporting",
    "PolicyViolation",
    "PostgresStore",
    "Programme",
    "ReachMilestone",
    "ReadModel",
    "RecordVisit",
    "RefuseExtension",
    "RegisterDeliverable",
    "ReplacePartner",
    "ReplayError",
    "ReportSubmitted",
    "ReportingPeriod",
    "ReportingPlanned",
    "RequestExtension",
    "Resume",
    "ReviewDeliverable",
    "Role",
    "Roles",
    "SQLiteStore",
    "SerializationError",
    "SnapshotError",
    "SnapshotPolicy",
    "Step",
    "Store",
    "StoreChange",
    "StoreError",
    "StoreSchemaError",
    "StoreUnavailableError",
    "StoreWatch",
    "StoredLog",
    "StudyVisit",
    "SubmitDeliverable",
    "SubmitReport",
    "Subscription",
    "Suspend",
    "SystemClock",
    "Theme",
    "Unit",
    "UnknownPairError",
    "UnknownProgrammeError",
    "ValidationError",
    "Veto",
    "Vetoed",
    "VisitMode",
    "VisitRecorded",
    "Withdraw",
    "Worker",
    "__version__",
    "command_of",
    "exceptions",
]
