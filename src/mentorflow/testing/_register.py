"""Register strategies for mentorflow's public types with hypothesis (``st.from_type``).

Run by hypothesis itself when it is imported (the ``hypothesis`` entry point), and by importing
`mentorflow.testing`; registering twice is harmless. Only resolver functions are registered
here: the strategies are built when a test first asks for them, not while hypothesis starts.
"""

from __future__ import annotations

from typing import Any


def _resolve(kind: type) -> Any:
    from hypothesis import strategies as st

    import mentorflow as m
    from mentorflow._domain.distributions import KINDS, Distribution
    from mentorflow._simulation.scenario import Scenario

    from . import _strategies as s

    kinds = KINDS.values()
    from ._events import event_strategies

    builders: dict[type, Any] = {
        m.City: s.cities,
        m.Association: s.associations,
        m.Partner: s.partners,
        m.Benchmark: s.benchmarks,
        m.StudyVisit: s.study_visits,
        m.Lifecycle: s.lifecycles,
        m.Step: lambda: s.lifecycles().flatmap(lambda lc: st.sampled_from(lc.steps)),
        m.Offset: s.offsets,
        m.DeadlineRule: lambda: s.deadline_rules().filter(bool).flatmap(st.sampled_from),
        m.ExtensionPolicy: s.extension_policies,
        m.Programme: s.programmes,
        m.Pair: s.pairs,
        m.ManualClock: lambda: s.instants().map(m.ManualClock),
        Scenario: s.scenarios,
        Distribution: s.distributions,
        **{kind: lambda kind=kind: s.distributions(kinds=[kind.kind]) for kind in kinds},
    }
    if kind in builders:
        return builders[kind]()
    return event_strategies()[kind]


def public_types() -> list[type]:
    """Every public type with a registered strategy."""
    import mentorflow as m
    from mentorflow._domain import events as _events
    from mentorflow._domain.distributions import KINDS, Distribution
    from mentorflow._simulation.scenario import Scenario

    return [
        m.City,
        m.Association,
        m.Partner,
        m.Benchmark,
        m.StudyVisit,
        m.Lifecycle,
        m.Step,
        m.Offset,
        m.DeadlineRule,
        m.ExtensionPolicy,
        m.Programme,
        m.Pair,
        m.ManualClock,
        Scenario,
        Distribution,
        *KINDS.values(),
        *_events.EVENT_TYPES,
    ]


def register() -> None:
    """Make ``st.from_type(T)`` work for every public mentorflow type."""
    from hypothesis import strategies as st

    for kind in public_types():
        st.register_type_strategy(kind, _resolve)
