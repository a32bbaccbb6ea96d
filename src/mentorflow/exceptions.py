"""Every error mentorflow raises, under one root.

The tree:

```text
MentorflowError
├── ValidationError (ValueError)        a value is wrong: names the field and the problem
│   ├── DefinitionError                 a lifecycle or programme definition is invalid
│   │   ├── DefinitionDrift             restore was given another definition than the stored one
│   │   └── MigrationRefused            a migration's plan refuses it; nothing changed
│   ├── SerializationError              a stored document is wrong: names where in it
│   └── ScenarioError                   a scenario file is wrong: names the file and key
├── PolicyViolation (ValueError)        an extension breaks a clause of the extension policy
├── UnknownPairError (KeyError)         no pair with that key in the programme
├── CommandRefused                      a rule refused a command; the pair is unchanged
│   └── Vetoed                          a *before* hook vetoed the command
├── Veto                                raised by a before hook to veto a command
├── AfterHookError (ExceptionGroup)     after hooks raised; the change itself stands
├── DeliveryError (ExceptionGroup)      an outbox's handler raised; its position stays put
├── WorkerError (RuntimeError)          Monte Carlo worker processes failed to start or died
└── StoreError                          a store can't do what was asked; nothing was changed
    ├── ConcurrencyError                another writer appended first: reload and retry
    ├── CorruptStoreError (ValueError)  stored data is damaged: names the line or record
    ├── LeaseLost                       an outbox consumer's lease was taken by another
    ├── ReplayError                     an event log does not replay to the same events
    ├── SnapshotError                   a snapshot disagrees with its log (restore's verify)
    ├── ArchivedProgrammeError          the programme is archived: read-only
    ├── StoreSchemaError                the store's own layout is of a newer (or unknown) version
    ├── StoreUnavailableError           the store can't be reached: no such file, no server
    └── UnknownProgrammeError (KeyError) no programme with that key in the store
```

``except mentorflow.exceptions.MentorflowError`` catches everything the library raises on
purpose. Errors raised by your own *before* hooks (other than `Veto`) propagate
unchanged and leave the pair as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

__all__ = [
    "AfterHookError",
    "ArchivedProgrammeError",
    "CommandRefused",
    "ConcurrencyError",
    "CorruptStoreError",
    "DefinitionDrift",
    "DefinitionError",
    "DeliveryError",
    "LeaseLost",
    "MentorflowError",
    "MigrationRefused",
    "PolicyViolation",
    "ReplayError",
    "ScenarioError",
    "SerializationError",
    "SnapshotError",
    "StoreError",
    "StoreSchemaError",
    "StoreUnavailableError",
    "UnknownPairError",
    "UnknownProgrammeError",
    "ValidationError",
    "Veto",
    "Vetoed",
    "WorkerError",
]


class MentorflowError(Exception):
    """Root of every error mentorflow raises."""


class ValidationError(MentorflowError, ValueError):
    """A value is invalid.

    Attributes:
        field: Where the bad value is, e.g. ``"steps[2].phase"`` or ``"at"``.
        problem: What is wrong with it, in words.
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.problem))


class DefinitionError(ValidationError):
    """A lifecycle or programme definition is invalid; raised when the definition is made."""


class DefinitionDrift(DefinitionError):
    """`Programme.restore` was given a definition that differs from the one the stored
    programme runs (its stored definition, as migrated by the log).

    Attributes:
        key: The programme's key in the store.
        changes: What differs, one line each, from the stored definition to the given one.
        stored: The definition the stored programme runs (a `mentorflow.Definition`).
        given: The definition given to `restore`.
        fingerprints: The stored one's and the given one's (`serialization.fingerprint`).
    """

    def __init__(
        self,
        key: str,
        changes: Sequence[str],
        *,
        stored: Any,
        given: Any,
        fingerprints: tuple[str, str] = ("", ""),
    ) -> None:
        self.key = key
        self.changes = tuple(changes)
        self.stored, self.given, self.fingerprints = stored, given, fingerprints
        lines = "".join(f"\n  {line}" for line in self.changes)
        problem = (
            f"{key!r} runs definition version {stored.version} (fingerprint {fingerprints[0]}); "
            f"the one given is version {given.version} (fingerprint {fingerprints[1]}) and "
            f"differs:{lines}\n"
            "Restore without definition= to run the stored one; to change to the given one, "
            "restore it and migrate it (Programme.plan_migration, Programme.migrate)."
        )
        super().__init__("definition", problem)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_drift, (type(self), self.__dict__.copy()))


def _rebuild_drift(cls: type[DefinitionDrift], state: dict[str, Any]) -> DefinitionDrift:
    return cls(
        state["key"],
        state["changes"],
        stored=state["stored"],
        given=state["given"],
        fingerprints=state["fingerprints"],
    )


class MigrationRefused(DefinitionError):
    """A migration's plan refuses it (a pair would skip a phase whose rule it doesn't meet,
    or lose a completed phase, ...). Nothing changed.

    Attributes:
        plan: The `mentorflow.MigrationPlan`: pair by pair, and every refusal.
        refusals: What refused it, one line each.
    """

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.refusals: tuple[str, ...] = tuple(plan.refusals)
        lines = "".join(f"\n  {line}" for line in self.refusals)
        super().__init__(
            "migration",
            f"the migration to definition version {plan.version} is refused:{lines}",
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.plan,))


class PolicyViolation(MentorflowError, ValueError):
    """An extension request or decision breaks a clause of the extension policy.

    Attributes:
        clause: The clause's name, e.g. ``"request-lead"`` (see `mentorflow.ExtensionPolicy`).
        reason: What is wrong, in words.
        extension: The key of the extension concerned, if it exists yet.
    """

    def __init__(self, clause: str, reason: str, extension: str | None = None) -> None:
        self.clause = clause
        self.reason = reason
        self.extension = extension
        super().__init__(f"{reason} [{clause}]")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.clause, self.reason, self.extension))


class SerializationError(ValidationError):
    """A document can't be read: ``field`` says where in it (``$.events[3].at``)."""


class ScenarioError(ValidationError):
    """A scenario file is wrong: ``field`` names the file and the key, ``problem`` what is wrong."""


class StoreError(MentorflowError):
    """A store can't do what was asked. Nothing stored was changed."""


class ConcurrencyError(StoreError):
    """Another writer appended to the programme first (optimistic concurrency).

    Attributes:
        key: The programme's key in the store.
        expected: The version the append expected.
        actual: The version the store has.
    """

    def __init__(self, key: str, expected: int, actual: int) -> None:
        self.key, self.expected, self.actual = key, expected, actual
        super().__init__(
            f"programme {key!r} is at version {actual}, not {expected}: another writer "
            "appended first; refresh the programme and try again"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.key, self.expected, self.actual))


class CorruptStoreError(StoreError, ValueError):
    """Stored data is damaged; ``where`` names the file and line, or the record."""

    def __init__(self, where: str, problem: str) -> None:
        self.where, self.problem = where, problem
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.where, self.problem))


class ReplayError(StoreError):
    """An event log does not replay to the events it holds (``seq`` is the first that differs)."""

    def __init__(self, seq: int, problem: str) -> None:
        self.seq, self.problem = seq, problem
        super().__init__(f"event {seq}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.seq, self.problem))


class SnapshotError(StoreError):
    """A snapshot disagrees with the log it was taken of (found by ``Programme.restore(...,
    verify=True)``, which replays the log in full and compares), or can't be saved.

    Attributes:
        key: The programme's key in the store.
        version: The version the snapshot is of.
        where: Where in the snapshot's state the first difference is (``""`` if none).
    """

    def __init__(self, key: str, version: int, where: str, problem: str) -> None:
        self.key, self.version, self.where, self.problem = key, version, where, problem
        at = f" at {where}" if where else ""
        super().__init__(f"{key}: the snapshot of version {version}{at}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.key, self.version, self.where, self.problem))


class ArchivedProgrammeError(StoreError):
    """The programme is archived (``Store.archive``): it can be read, not changed, until it
    is unarchived."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(
            f"programme {key!r} is archived: it is read-only (Store.unarchive({key!r}) makes "
            "it writable again)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.key,))


class LeaseLost(StoreError):
    """An outbox consumer's lease on a programme was taken by another holder (it expired
    while a handler ran longer than the lease): the position was not moved, and this holder
    stops delivering that programme; the new holder delivers from the stored position."""


class StoreUnavailableError(StoreError):
    """The store can't be reached: a database file that doesn't exist (opened with
    ``create=False``), a server that refuses the connection or went away during a call.

    When the server went away during an append, the append was committed whole or not at
    all, but the store could not say which: restore (or refresh) the programme to find out.
    """


class StoreSchemaError(StoreError):
    """The store's own layout (its tables, its DDL) is of a version this mentorflow doesn't
    know: written by a newer mentorflow (upgrade mentorflow), or not a mentorflow store.

    Attributes:
        where: The file or database.
        found: The layout's version in the store.
        supported: The newest version this mentorflow knows.
    """

    def __init__(self, where: str, found: int, supported: int) -> None:
        self.where, self.found, self.supported = where, found, supported
        super().__init__(
            f"{where}: the store's layout is version {found}, newer than this mentorflow's "
            f"({supported}); upgrade mentorflow"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.where, self.found, self.supported))


class UnknownProgrammeError(StoreError, KeyError):
    """The store has no programme with this key."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"No programme with key {self.key!r} in this store."


class UnknownPairError(MentorflowError, KeyError):
    """The programme has no pair with this key."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)

    def __str__(self) -> str:
        return f"No pair with key {self.key!r} in this programme."


class CommandRefused(MentorflowError):
    """A business rule refused a command. The pair is exactly as it was before the command.

    Attributes:
        pair: The key of the pair the command was for.
        command: The command's name, e.g. ``"complete"`` or ``"record_visit"``.
        phase: The pair's phase when the command was refused.
        status: The pair's status (``"active"``, ``"suspended"``, ...) at that moment.
        rule: A stable, machine-readable name of the rule that refused, e.g. ``"visit-required"``.
        reason: What is wrong, and what to do about it, in words.
    """

    def __init__(
        self, *, pair: str, command: str, phase: str, status: str, rule: str, reason: str
    ) -> None:
        self.pair = pair
        self.command = command
        self.phase = phase
        self.status = status
        self.rule = rule
        self.reason = reason
        super().__init__(
            f"Can't {command} pair {pair!r} in phase {str(phase)!r} ({status}): {reason} [{rule}]"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_refusal, (type(self), self.__dict__.copy()))


def _rebuild_refusal(cls: type[CommandRefused], state: dict[str, Any]) -> CommandRefused:
    return cls(**{k: state[k] for k in ("pair", "command", "phase", "status", "rule", "reason")})


class Vetoed(CommandRefused):
    """A *before* hook vetoed the command (its rule is ``"vetoed"``)."""


class Veto(MentorflowError):
    """Raise this from a *before* hook to veto a command; the caller gets `Vetoed`.

    Args:
        reason: Why the change is not allowed; becomes the refusal's ``reason``.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class WorkerError(MentorflowError, RuntimeError):
    """The worker processes of a Monte Carlo run failed to start, or died.

    The usual cause: a script that calls `montecarlo` at module level, without
    ``if __name__ == "__main__":`` (each worker imports the script again). The message says
    what to do; ``__cause__`` is the executor's own error.
    """


class AfterHookError(MentorflowError, ExceptionGroup[Exception]):
    """One or more *after* hooks raised.

    The change they were notified of has happened and stands; every other after hook still ran.
    The hooks' exceptions are in ``exceptions`` (this is an `ExceptionGroup`, so
    ``except*`` works) and the events of the change in ``events``.
    """

    events: tuple[Any, ...]
    """The events of the change (`mentorflow.Event` s)."""

    def __new__(cls, message: str, exceptions: Sequence[Exception]) -> Self:
        self = super().__new__(cls, message, exceptions)
        self.events = ()
        return self

    def derive(self, excs: Sequence[Exception]) -> AfterHookError:  # type: ignore[override]
        derived = AfterHookError(self.message, excs)
        derived.events = self.events
        return derived


class DeliveryError(MentorflowError, ExceptionGroup[Exception]):
    """An outbox's handler raised (`mentorflow.Outbox.deliver`).

    The consumer's position stays at the last event the handler took (the failed event is
    delivered again on the next pass); the other programmes were still served. The handler's
    exceptions are in ``exceptions``; ``failed`` names, for each, the programme and the
    ``seq`` of the event it was given.
    """

    failed: tuple[tuple[str, int], ...]
    """(programme key, seq) of the event each exception was raised for."""
    delivered: int
    """How many events the handler took in the pass, all the same."""

    def __new__(cls, message: str, exceptions: Sequence[Exception]) -> Self:
        self = super().__new__(cls, message, exceptions)
        self.failed = ()
        self.delivered = 0
        return self

    def derive(self, excs: Sequence[Exception]) -> DeliveryError:  # type: ignore[override]
        derived = DeliveryError(self.message, excs)
        derived.failed, derived.delivered = self.failed, self.delivered
        return derived
