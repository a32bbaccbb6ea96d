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
from ._clock import Clock as Clock
from ._clock import ManualClock as ManualClock
from ._clock import SystemClock as SystemClock
from ._deadlines import CalendarBasis as CalendarBasis
from ._deadlines import DeadlineRule as DeadlineRule
from ._deadlines import Offset as Offset
from ._deadlines import Unit as Unit
from ._events import BenchmarksDefined as BenchmarksDefined
from ._events import DeadlineApproaching as DeadlineApproaching
from ._events import DeadlineMissed as DeadlineMissed
from ._events import DeliverableRegistered as DeliverableRegistered
from ._events import Event as Event
from ._events import ExtensionGranted as ExtensionGranted
from ._events import ExtensionRefused as ExtensionRefused
from ._events import ExtensionRequested as ExtensionRequested
from ._events import MilestoneReached as MilestoneReached
from ._events import PairCompleted as PairCompleted
from ._events import PairEnrolled as PairEnrolled
from ._events import PairEvent as PairEvent
from ._events import PairResumed as PairResumed
from ._events import PairSuspended as PairSuspended
from ._events import PairWithdrawn as PairWithdrawn
from ._events import PartnerReplaced as PartnerReplaced
from ._events import PhaseCompleted as PhaseCompleted
from ._events import PhaseStarted as PhaseStarted
from ._events import VisitRecorded as VisitRecorded
from ._extensions import Extension as Extension
from ._extensions import ExtensionPolicy as ExtensionPolicy
from ._extensions import ExtensionStatus as ExtensionStatus
from ._hooks import Subscription as Subscription
from ._lifecycle import Lifecycle as Lifecycle
from ._lifecycle import PairStatus as PairStatus
from ._lifecycle import Phase as Phase
from ._lifecycle import Step as Step
from ._model import Association as Association
from ._model import Benchmark as Benchmark
from ._model import City as City
from ._model import Deliverable as Deliverable
from ._model import Partner as Partner
from ._model import Role as Role
from ._model import StudyVisit as StudyVisit
from ._model import Theme as Theme
from ._model import VisitMode as VisitMode
from ._pair import Pair as Pair
from ._programme import History as History
from ._programme import Programme as Programme
from ._stores import JsonLinesStore as JsonLinesStore
from ._stores import MemoryStore as MemoryStore
from ._stores import SQLiteStore as SQLiteStore
from ._stores import Store as Store
from ._stores import StoredLog as StoredLog
from ._watch import Deadline as Deadline
from ._watch import DeadlineRevision as DeadlineRevision
from ._watch import DeadlineStatus as DeadlineStatus
from .exceptions import AfterHookError as AfterHookError
from .exceptions import CommandRefused as CommandRefused
from .exceptions import ConcurrencyError as ConcurrencyError
from .exceptions import CorruptStoreError as CorruptStoreError
from .exceptions import DefinitionError as DefinitionError
from .exceptions import MentorflowError as MentorflowError
from .exceptions import PolicyViolation as PolicyViolation
from .exceptions import ReplayError as ReplayError
from .exceptions import SerializationError as SerializationError
from .exceptions import StoreError as StoreError
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
    "AfterHookError",
    "Association",
    "Benchmark",
    "BenchmarksDefined",
    "CalendarBasis",
    "City",
    "Clock",
    "CommandRefused",
    "ConcurrencyError",
    "CorruptStoreError",
    "Deadline",
    "DeadlineApproaching",
    "DeadlineMissed",
    "DeadlineRevision",
    "DeadlineRule",
    "DeadlineStatus",
    "DefinitionError",
    "Deliverable",
    "DeliverableRegistered",
    "Event",
    "Extension",
    "ExtensionGranted",
    "ExtensionPolicy",
    "ExtensionRefused",
    "ExtensionRequested",
    "ExtensionStatus",
    "History",
    "JsonLinesStore",
    "Lifecycle",
    "ManualClock",
    "MemoryStore",
    "MentorflowError",
    "MilestoneReached",
    "Offset",
    "Pair",
    "PairCompleted",
    "PairEnrolled",
    "PairEvent",
    "PairResumed",
    "PairStatus",
    "PairSuspended",
    "PairWithdrawn",
    "Partner",
    "PartnerReplaced",
    "Phase",
    "PhaseCompleted",
    "PhaseStarted",
    "PolicyViolation",
    "Programme",
    "ReplayError",
    "Role",
    "SQLiteStore",
    "SerializationError",
    "Step",
    "Store",
    "StoreError",
    "StoredLog",
    "StudyVisit",
    "Subscription",
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
    "__version__",
    "exceptions",
]
