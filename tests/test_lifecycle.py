"""Tests for lifecycle definitions and their validation."""

from __future__ import annotations

import pytest

from mentorflow import DefinitionError, Deliverable, Lifecycle, Phase, Role, Step, ValidationError


class TestDefault:
    """Tests for Lifecycle.default."""

    def test_order(self) -> None:
        """The default order is the one of the domain brief."""
        assert Lifecycle.default().order == (
            Phase.NEEDS_ASSESSMENT,
            Phase.MATCHING,
            Phase.STUDY_VISIT_1,
            Phase.STUDY_VISIT_2,
            Phase.STUDY_VISIT_3,
            Phase.TRANSFER_WORKSHOP,
            Phase.TRAINING_ACADEMY,
            Phase.FINAL_REVIEW,
        )

    def test_rules(self) -> None:
        """Study visits need their visit; the final review needs both deliverables."""
        default = Lifecycle.default()
        assert [default.step(p).visit for p in default.order if default.step(p).visit] == [1, 2, 3]
        assert (
            frozenset({Deliverable.ACTION_PLAN, Deliverable.ONE_STOP_SHOP})
            == default.step(Phase.FINAL_REVIEW).requires
        )
        assert dict(default.visit_hosts or {}) == {Role.MENTEE: 2, Role.MENTOR: 1}

    def test_next_phase(self) -> None:
        """The last phase leads to completion."""
        default = Lifecycle.default()
        assert default.next_phase(Phase.NEEDS_ASSESSMENT) == Phase.MATCHING
        assert default.next_phase(Phase.FINAL_REVIEW) == Phase.COMPLETED

    def test_equal_definitions_are_equal_and_hashable(self) -> None:
        """Two equal definitions compare and hash equal."""
        assert Lifecycle.default() == Lifecycle.linear(*Lifecycle.default().order)
        assert hash(Lifecycle.default()) == hash(Lifecycle.linear(*Lifecycle.default().order))


class TestCustom:
    """Tests for custom lifecycles."""

    def test_reordered(self) -> None:
        """IncluCities held the transfer workshop between visits 2 and 3."""
        lifecycle = Lifecycle.linear(
            Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2, Phase.TRANSFER_WORKSHOP, Phase.STUDY_VISIT_3
        )
        assert lifecycle.next_phase(Phase.TRANSFER_WORKSHOP) == Phase.STUDY_VISIT_3

    def test_own_phase_names(self) -> None:
        """Any lower_snake_case name is a phase; known names become Phase members."""
        lifecycle = Lifecycle(steps=[Step(phase="matching"), Step(phase="local_pilot")])
        assert lifecycle.order == (Phase.MATCHING, "local_pilot")
        assert lifecycle.order[0] is Phase.MATCHING

    def test_then_skips_ahead_when_every_phase_is_reachable(self) -> None:
        """``then`` can reorder phases as long as all are reachable."""
        lifecycle = Lifecycle(
            steps=[
                Step(phase="a", then="c"),
                Step(phase="b", then=Phase.COMPLETED),
                Step(phase="c", then="b"),
            ]
        )
        assert lifecycle.order == ("a", "c", "b")

    def test_unknown_phase_lookup(self) -> None:
        """Asking for a phase the lifecycle lacks names the phase."""
        with pytest.raises(ValidationError, match="'pilot' is not a phase"):
            Lifecycle.default().step("pilot")

    def test_visit_hosts_is_read_only(self) -> None:
        """The hosting rule can't be changed after validation."""
        with pytest.raises(TypeError):
            Lifecycle.default().visit_hosts[Role.MENTOR] = 3  # type: ignore[index]


class TestValidation:
    """A definition is validated when made; each error names the problem."""

    @pytest.mark.parametrize(
        ("steps", "field", "message"),
        [
            ([], "steps", "at least one phase"),
            ([Step(phase="Needs Assessment")], "steps[0].phase", "lower_snake_case"),
            ([Step(phase="a"), Step(phase="completed")], "steps[1].phase", "reserved"),
            ([Step(phase="a"), Step(phase="suspended")], "steps[1].phase", "reserved"),
            ([Step(phase="a"), Step(phase="b"), Step(phase="a")], "steps[2].phase", "duplicate"),
            ([Step(phase="a", then="z")], "steps[0].then", "'z' is not a phase"),
            (
                [Step(phase="a", then=Phase.COMPLETED), Step(phase="b")],
                "steps[1].phase",
                "'b' is unreachable",
            ),
            ([Step(phase="a"), Step(phase="b", then="a")], "steps", "no way to complete"),
            ([Step(phase="a", then="a")], "steps", "a -> a"),
            ([Step(phase="a", visit=0)], "steps[0].visit", "not a visit number"),
            (
                [Step(phase="a", visit=1), Step(phase="b", visit=1)],
                "steps[1].visit",
                "also steps[0]",
            ),
            (["a"], "steps[0]", "must be a Step"),
        ],
    )
    def test_errors(self, steps: list[Step], field: str, message: str) -> None:
        """Each invalid definition raises DefinitionError naming the step and problem."""
        with pytest.raises(DefinitionError) as info:
            Lifecycle(steps=steps)
        assert field == info.value.field
        assert message in info.value.problem

    def test_linear_refuses_a_visit_it_cant_number(self) -> None:
        """A visit-like name of one's own is refused by linear(), naming it and how to keep
        the visit rule, rather than made a phase with no visit rule."""
        with pytest.raises(DefinitionError) as info:
            Lifecycle.linear(Phase.MATCHING, "second_visit", Phase.FINAL_REVIEW)
        assert "phases[1]" == info.value.field
        assert "Step(phase='second_visit', visit=N)" in info.value.problem

    def test_linear_keeps_a_step(self) -> None:
        """A Step given to linear() keeps its rules; names around it get the standard ones."""
        lifecycle = Lifecycle.linear(
            Phase.STUDY_VISIT_1, Step(phase="second_visit", visit=2), Phase.FINAL_REVIEW
        )
        assert [1, 2, None] == [s.visit for s in lifecycle.steps]
        assert lifecycle.step(Phase.FINAL_REVIEW).requires
        assert "second_visit" == lifecycle.order[1]

    def test_hosts_too_few(self) -> None:
        """Hosting limits that can't cover every visit are refused."""
        with pytest.raises(DefinitionError, match=r"allows 2 hosted visits but .* 3"):
            Lifecycle.linear(
                Phase.STUDY_VISIT_1,
                Phase.STUDY_VISIT_2,
                Phase.STUDY_VISIT_3,
                visit_hosts={Role.MENTEE: 1, Role.MENTOR: 1},
            )

    @pytest.mark.parametrize(
        ("hosts", "field"),
        [({"coach": 1}, "visit_hosts"), ({Role.MENTEE: -1}, "visit_hosts[mentee]")],
    )
    def test_bad_hosts(self, hosts: dict[str, int], field: str) -> None:
        """Unknown roles and negative counts are refused."""
        with pytest.raises(DefinitionError) as info:
            Lifecycle(steps=[Step(phase="a")], visit_hosts=hosts)
        assert field == info.value.field

    def test_bad_requires(self) -> None:
        """Unknown deliverables in ``requires`` are refused."""
        with pytest.raises(DefinitionError, match="requires"):
            Step(phase="a", requires=["a pony"])

    def test_hosts_rule_can_be_switched_off(self) -> None:
        """``visit_hosts=None`` switches the hosting rule off."""
        assert Lifecycle(steps=[Step(phase="a", visit=1)], visit_hosts=None).visit_hosts is None
