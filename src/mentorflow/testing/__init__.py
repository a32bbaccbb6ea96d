"""Property-based testing of process rules: hypothesis strategies, invariants, a stateful base.

For your own test suites (install ``mentorflow[testing]``)::

    from hypothesis import given, strategies as st
    from mentorflow import Pair, Programme
    from mentorflow.testing import ProgrammeStateMachine, programmes

    @given(programmes(pairs=2))
    def test_my_rule(programme: Programme) -> None: ...

    @given(st.from_type(Pair))          # every public type is registered
    def test_any_pair(pair: Pair) -> None: ...

    class MyMachine(ProgrammeStateMachine):
        lifecycle = my_lifecycle
        timezone = "Europe/Riga"

        def install(self, programme): ...      # your house rules
        def on_outcome(self, outcome): ...     # your model of them

    TestMyMachine = MyMachine.TestCase
    assert_covered(MyMachine.coverage())       # every phase and transition was reached

Every option of a strategy defaults to ``None``: "let hypothesis choose". The pytest plugin
(registered automatically) adds the fixtures ``manual_clock``, ``inclucities``,
``programme_factory`` and ``time_travel``, and prints each machine's coverage at the end.
"""

from .._domain.clock import ManualClock as ManualClock
from ._commands import Command as Command
from ._commands import ExtensionRequest as ExtensionRequest
from ._commands import command_sequences as command_sequences
from ._commands import commands as commands
from ._commands import extension_requests as extension_requests
from ._coverage import DEADLINE_OUTCOMES as DEADLINE_OUTCOMES
from ._coverage import Coverage as Coverage
from ._coverage import assert_covered as assert_covered
from ._invariants import Snapshot as Snapshot
from ._invariants import assert_deadlines_on_working_days as assert_deadlines_on_working_days
from ._invariants import assert_follows_lifecycle as assert_follows_lifecycle
from ._invariants import assert_never_earlier as assert_never_earlier
from ._invariants import assert_programme_invariants as assert_programme_invariants
from ._invariants import assert_replays as assert_replays
from ._invariants import assert_rules_respected as assert_rules_respected
from ._invariants import assert_unchanged as assert_unchanged
from ._invariants import deadline_dates as deadline_dates
from ._invariants import snapshot as snapshot
from ._pretty import register_printers as _register_printers
from ._register import register as register
from ._stateful import Outcome as Outcome
from ._stateful import ProgrammeStateMachine as ProgrammeStateMachine
from ._strategies import associations as associations
from ._strategies import benchmarks as benchmarks
from ._strategies import cities as cities
from ._strategies import command_values as command_values
from ._strategies import countries as countries
from ._strategies import dates as dates
from ._strategies import deadline_rules as deadline_rules
from ._strategies import deliverables as deliverables
from ._strategies import distributions as distributions
from ._strategies import extension_policies as extension_policies
from ._strategies import instants as instants
from ._strategies import invalid_lifecycles as invalid_lifecycles
from ._strategies import lifecycles as lifecycles
from ._strategies import offsets as offsets
from ._strategies import pairs as pairs
from ._strategies import partners as partners
from ._strategies import programmes as programmes
from ._strategies import scenarios as scenarios
from ._strategies import study_visits as study_visits
from ._strategies import time_steps as time_steps

register()
_register_printers()

__all__ = [
    "Command",
    "Coverage",
    "DEADLINE_OUTCOMES",
    "ExtensionRequest",
    "ManualClock",
    "Outcome",
    "ProgrammeStateMachine",
    "Snapshot",
    "assert_covered",
    "assert_deadlines_on_working_days",
    "assert_follows_lifecycle",
    "assert_never_earlier",
    "assert_programme_invariants",
    "assert_replays",
    "assert_rules_respected",
    "assert_unchanged",
    "associations",
    "benchmarks",
    "cities",
    "command_sequences",
    "command_values",
    "commands",
    "countries",
    "dates",
    "deadline_dates",
    "deadline_rules",
    "deliverables",
    "distributions",
    "extension_policies",
    "extension_requests",
    "instants",
    "invalid_lifecycles",
    "lifecycles",
    "offsets",
    "pairs",
    "partners",
    "programmes",
    "register",
    "scenarios",
    "snapshot",
    "study_visits",
    "time_steps",
]
