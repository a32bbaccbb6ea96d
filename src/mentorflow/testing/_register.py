"""Register strategies for mentorflow's public types with hypothesis (``st.from_type``).

Run by hypothesis itself when it is imported (the ``hypothesis`` entry point), and by importing
`mentorflow.testing`; registering twice is harmless. Only resolver functions are registered
here: the strategies are built when a test first asks for them, not while hypothesis starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mentorflow import DeadlineRule, Lifecycle, Programme


class _Defaults:
    """What ``st.from_type(Programme)`` and ``st.from_type(Pair)`` draw (see `register`)."""

    lifecycle: Lifecycle | None = None
    deadlines: Sequence[DeadlineRule] | None = None
    install: Callable[[Programme], object] | None = None


def _programmes() -> Any:
    """Programmes of the registered defaults, read when drawn (not when first resolved)."""
    from hypothesis import strategies as st

    from . import _strategies as s

    @st.composite
    def programmes(draw: st.DrawFn, *, pairs: bool = False) -> Programme:
        count = draw(st.integers(1, 3)) if pairs else None
        programme = draw(
            s.programmes(lifecycle=_Defaults.lifecycle, deadlines=_Defaults.deadlines, pairs=count)
        )
        if _Defaults.install is not None:
            _Defaults.install(programme)
        return programme

    return programmes


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
        m.Programme: _programmes(),
        m.Pair: lambda: _programmes()(pairs=True).flatmap(
            lambda p: st.sampled_from(list(p.pairs.values()))
        ),
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


def register(
    *,
    lifecycle: Lifecycle | None = None,
    deadlines: Sequence[DeadlineRule] | None = None,
    install: Callable[[Programme], object] | None = None,
) -> None:
    """Make ``st.from_type(T)`` work for every public mentorflow type; with options, make
    ``st.from_type(Programme)`` and ``st.from_type(Pair)`` draw programmes of yours.

    Args:
        lifecycle: The lifecycle they run (default None: a drawn one).
        deadlines: Their deadline rules (default None: drawn for the lifecycle).
        install: Called with each drawn programme, to subscribe your house rules.

    Call it again without options to go back to drawing everything (say, in a fixture's
    teardown); registering twice is harmless.

    Examples:
        >>> from hypothesis import given, settings, strategies as st
        >>> from mentorflow import Lifecycle, Pair, Phase
        >>> from mentorflow.testing import register
        >>> mine = Lifecycle.linear(Phase.MATCHING, Phase.STUDY_VISIT_1)
        >>> register(lifecycle=mine)
        >>> @settings(max_examples=5, deadline=None)
        ... @given(st.from_type(Pair))
        ... def test_mine(pair):
        ...     assert pair.programme.lifecycle == mine
        >>> test_mine()
        >>> register()  # back to drawn lifecycles
    """
    from hypothesis import strategies as st

    _Defaults.lifecycle, _Defaults.deadlines, _Defaults.install = lifecycle, deadlines, install

    for kind in public_types():
        st.register_type_strategy(kind, _resolve)
