"""Tests for extensions: the policy's clauses, decisions, and the deadlines they move."""

from __future__ import annotations

import pendulum
import pytest

from mentorflow import (
    DeadlineRule,
    ExtensionGranted,
    ExtensionPolicy,
    ExtensionRefused,
    ExtensionRequested,
    ExtensionStatus,
    Offset,
    Phase,
    PolicyViolation,
    Programme,
    Theme,
    Unit,
    ValidationError,
)
from test_deadlines import FINAL, KICKOFF, day, inclucities

from helpers import CAPACI, MECHELEN, PARTINICO

PHASES = (
    DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", months=3),
    DeadlineRule(Phase.MATCHING, after="needs_assessment.completed", weeks=6),
    DeadlineRule(Phase.STUDY_VISIT_1, after="matching.completed", months=6),
)


def with_pairs(*rules: DeadlineRule, **kwargs: object) -> Programme:
    """IncluCities with two pairs and these rules."""
    programme = inclucities(*rules, **kwargs)
    programme.add_pair("a", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=KICKOFF)
    programme.add_pair("b", mentor=MECHELEN, mentee=PARTINICO, theme=Theme.HOUSING, at=KICKOFF)
    return programme


def dues(programme: Programme) -> dict[tuple[str, str | None], pendulum.Date | None]:
    """Every deadline's date, by (name, pair)."""
    found = {(d.name, None): d.due_on for d in programme.deadlines()}
    for key in programme.pairs:
        found.update({(d.name, key): d.due_on for d in programme.deadlines(pair=key)})
    return found


class TestProgrammeExtension:
    """IncluCities: extended by three months, from 31 December 2022 to 31 March 2023."""

    def test_request_and_grant(self) -> None:
        """Granting moves the end and every deadline that depends on it, with revisions."""
        programme = with_pairs(*FINAL, *PHASES)
        before = dues(programme)
        ext = programme.request_extension(months=3, reason="Covid-19", at=day(2022, 9, 1))
        assert ("E1", ExtensionStatus.REQUESTED, Offset(amount=3, unit=Unit.MONTHS)) == (
            ext.key,
            ext.status,
            ext.offset,
        )
        assert before == dues(programme)  # a request moves nothing
        granted = programme.grant_extension("E1", by="REA", at=day(2022, 10, 10))
        assert (granted.status, granted.decided_by) == (ExtensionStatus.GRANTED, "REA")
        assert pendulum.date(2023, 3, 31) == programme.ends_on
        assert pendulum.date(2022, 12, 31) == programme.original_ends_on
        after = dues(programme)
        moved = {k for k in after if after[k] != before[k]}
        assert {("final_conference", None), ("final_report", None)} == moved
        assert pendulum.date(2023, 3, 31) == after[("final_conference", None)]
        assert pendulum.date(2023, 5, 30) == after[("final_report", None)]  # 29 May: Whit Monday
        (revision,) = programme.deadline("final_report").revisions
        assert (1, pendulum.date(2023, 2, 28), pendulum.date(2023, 5, 30), "E1") == (
            revision.revision,
            revision.previous,
            revision.due_on,
            revision.extension,
        )
        kinds = [type(e) for e in programme.history if not hasattr(e, "pair") or e.pair is None]
        assert [ExtensionRequested, ExtensionGranted] == kinds[-2:]

    def test_final_conference_held_on_time(self) -> None:
        """The conference of 28-29 March 2023 met the extended deadline."""
        programme = with_pairs(*FINAL)
        programme.request_extension(months=3, reason="Covid-19", at=day(2022, 9, 1))
        programme.grant_extension("E1", by="REA", at=day(2022, 10, 10))
        programme.reach_milestone("final_conference", at=day(2023, 3, 29, 17))
        conference = programme.deadline("final_conference")
        assert conference.status(day(2023, 4, 1)).value == "met_on_time"
        assert pendulum.date(2023, 5, 30) == programme.deadline("final_report").due_on

    def test_refuse(self) -> None:
        """A refused extension moves nothing."""
        programme = with_pairs(*FINAL)
        before = dues(programme)
        programme.request_extension(months=3, reason="Covid-19", at=day(2022, 9, 1))
        refused = programme.refuse_extension("E1", by="REA", reason="no", at=day(2022, 9, 20))
        assert (refused.status, refused.answer) == (ExtensionStatus.REFUSED, "no")
        assert before == dues(programme)
        assert pendulum.date(2022, 12, 31) == programme.ends_on
        assert isinstance(programme.history[-1], ExtensionRefused)

    def test_without_deadline_rules(self) -> None:
        """A programme without rules can still be extended."""
        programme = inclucities()
        programme.request_extension(months=3, reason="Covid-19", at=day(2022, 9, 1))
        programme.grant_extension("E1", by="REA", at=day(2022, 9, 2))
        assert pendulum.date(2023, 3, 31) == programme.ends_on


class TestPolicy:
    """Each clause of the policy refuses with its name; a refused request changes nothing."""

    def violation(self, clause: str, call: object, *args: object, **kwargs: object) -> None:
        with pytest.raises(PolicyViolation) as info:
            call(*args, **kwargs)  # type: ignore[operator]
        assert clause == info.value.clause
        assert isinstance(info.value, ValueError)

    def test_after_end(self) -> None:
        """No amendment after the end."""
        programme = inclucities(*FINAL)
        self.violation(
            "after-end", programme.request_extension, months=3, reason="late", at=day(2023, 1, 1)
        )
        assert programme.extensions == ()

    def test_request_lead(self) -> None:
        """A request must come at least a month before the end (by 30 November 2022)."""
        programme = inclucities(*FINAL)
        self.violation(
            "request-lead",
            programme.request_extension,
            months=3,
            reason="late",
            at=day(2022, 12, 1),
        )
        programme.request_extension(months=3, reason="in time", at=day(2022, 11, 30, 23))

    def test_pending(self) -> None:
        """One open request at a time."""
        programme = inclucities(*FINAL)
        programme.request_extension(months=3, reason="a", at=day(2022, 6, 1))
        self.violation(
            "pending", programme.request_extension, months=1, reason="b", at=day(2022, 6, 2)
        )

    def test_response_window(self) -> None:
        """No answer within 45 days: the request lapsed; it can't be granted or refused."""
        programme = inclucities(*FINAL)
        programme.request_extension(months=3, reason="a", at=day(2022, 6, 1))
        self.violation(
            "response-window", programme.grant_extension, "E1", by="REA", at=day(2022, 7, 17)
        )
        self.violation(
            "response-window", programme.refuse_extension, "E1", by="REA", at=day(2022, 7, 17)
        )
        assert ExtensionStatus.REQUESTED is programme.extension("E1").status
        (lapsed,) = programme.check_deadlines(at=day(2022, 7, 17))
        assert isinstance(lapsed, ExtensionRefused)
        assert (None, "no answer within 45 days (lapsed on 2022-07-16)") == (
            lapsed.by,
            lapsed.reason,
        )
        assert day(2022, 7, 17) == lapsed.at  # recorded by the check that found it
        assert ExtensionStatus.LAPSED is programme.extension("E1").status
        assert day(2022, 7, 16) == programme.extension("E1").decided_at
        assert programme.check_deadlines(at=day(2022, 7, 18)) == ()
        programme.request_extension(
            months=3, reason="again", at=day(2022, 7, 20)
        )  # no longer pending

    def test_not_pending(self) -> None:
        """A decided request can't be decided again."""
        programme = inclucities(*FINAL)
        programme.request_extension(months=3, reason="a", at=day(2022, 6, 1))
        programme.grant_extension("E1", by="REA", at=day(2022, 6, 2))
        self.violation(
            "not-pending", programme.refuse_extension, "E1", by="REA", at=day(2022, 6, 3)
        )

    def test_max_count_and_total(self) -> None:
        """At most three extensions, twelve months in all, by default."""
        programme = inclucities(*FINAL)
        for i, months in enumerate((6, 4)):
            programme.request_extension(months=months, reason=f"r{i}", at=day(2022, 6, 1 + i))
            programme.grant_extension(f"E{i + 1}", by="REA", at=day(2022, 6, 1 + i))
        self.violation(
            "max-total", programme.request_extension, months=3, reason="x", at=day(2022, 6, 5)
        )
        programme.request_extension(months=2, reason="r3", at=day(2022, 6, 5))
        programme.grant_extension("E3", by="REA", at=day(2022, 6, 5))
        self.violation(
            "max-count", programme.request_extension, days=1, reason="x", at=day(2022, 6, 6)
        )
        assert pendulum.date(2023, 12, 31) == programme.ends_on

    def test_custom_policy(self) -> None:
        """A programme can set its own policy."""
        policy = ExtensionPolicy(
            request_lead=Offset(amount=10, unit=Unit.DAYS),
            response_days=10,
            max_count=None,
            max_total=None,
        )
        programme = inclucities(*FINAL, extension_policy=policy)
        programme.request_extension(months=24, reason="long", at=day(2022, 12, 20))
        programme.grant_extension("E1", by="REA", at=day(2022, 12, 30))
        assert pendulum.date(2024, 12, 31) == programme.ends_on

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"reason": "x"}, "days"),
            ({"reason": "x", "days": 1, "months": 1}, "days"),
            ({"reason": "x", "days": 0}, "days"),
            ({"reason": "x", "months": -3}, "months"),
            ({"reason": " ", "months": 3}, "reason"),
            ({"reason": "x", "offset": Offset(amount=0)}, "days"),
            ({"reason": "x", "offset": Offset(amount=3, unit=Unit.MONTHS), "days": 1}, "offset"),
            ({"reason": "x", "offset": 3}, "offset"),
        ],
    )
    def test_bad_requests(self, kwargs: dict[str, object], field: str) -> None:
        """A malformed request names the field and records nothing."""
        programme = inclucities(*FINAL)
        with pytest.raises(ValidationError) as info:
            programme.request_extension(at=day(2022, 6, 1), **kwargs)  # type: ignore[arg-type]
        assert field == info.value.field
        assert programme.extensions == ()

    def test_offset(self) -> None:
        """An Offset asks for what days=, weeks= or months= would: a refused extension can be
        asked for again as it was, without taking it apart."""
        programme = inclucities(*FINAL)
        first = programme.request_extension(months=3, reason="Covid-19", at=day(2022, 6, 1))
        programme.refuse_extension("E1", by="REA", at=day(2022, 6, 20))
        again = programme.request_extension(
            offset=first.offset, reason=first.reason, at=day(2022, 7, 1)
        )
        assert (first.offset, "E2") == (again.offset, again.key)
        programme.grant_extension("E2", by="REA", at=day(2022, 7, 20))
        assert pendulum.date(2023, 3, 31) == programme.ends_on

    def test_bad_decisions(self) -> None:
        """Unknown keys, no decider, or a decision before the request are refused."""
        programme = inclucities(*FINAL)
        programme.request_extension(months=3, reason="a", at=day(2022, 6, 1))
        with pytest.raises(ValidationError, match="no extension with key 'E9'"):
            programme.grant_extension("E9", by="REA")
        with pytest.raises(ValidationError, match="by"):
            programme.grant_extension("E1", by="", at=day(2022, 6, 2))
        with pytest.raises(ValidationError, match="before the request"):
            programme.grant_extension("E1", by="REA", at=day(2022, 5, 1))
        assert ExtensionStatus.REQUESTED is programme.extension("E1").status


class TestPhaseExtension:
    """Phase extensions move that phase's deadline and its dependents, and nothing else."""

    def test_one_pair(self) -> None:
        """Extending one pair's needs assessment moves its later phases only."""
        programme = with_pairs(*FINAL, *PHASES)
        before = dues(programme)
        ext = programme.request_phase_extension(
            Phase.NEEDS_ASSESSMENT, pair="a", months=4, reason="Covid-19", at=day(2020, 8, 1)
        )
        assert ext.target == (Phase.NEEDS_ASSESSMENT, "a")
        programme.grant_extension(ext.key, by="CEMR", at=day(2020, 8, 5))
        after = dues(programme)
        moved = {k for k in after if after[k] != before[k]}
        assert {
            (p, "a") for p in (Phase.NEEDS_ASSESSMENT, Phase.MATCHING, Phase.STUDY_VISIT_1)
        } == moved
        assert pendulum.date(2021, 1, 18) == after[(Phase.NEEDS_ASSESSMENT, "a")]  # 17 Jan: Sunday
        assert all(
            r.extension == "E1" for r in programme.deadline(Phase.MATCHING, pair="a").revisions
        )

    def test_every_pair(self) -> None:
        """Without a pair, the phase moves for every pair (and pairs enrolled later)."""
        programme = with_pairs(*PHASES)
        programme.request_phase_extension(Phase.MATCHING, weeks=2, reason="all", at=day(2020, 8, 1))
        programme.grant_extension("E1", by="CEMR", at=day(2020, 8, 2))
        late = programme.add_pair(
            "c", mentor=CAPACI, mentee=MECHELEN, theme=Theme.HOUSING, at=KICKOFF
        )
        for key in ("a", "b", late.key):
            assert (
                pendulum.date(2020, 11, 12) == programme.deadline(Phase.MATCHING, pair=key).due_on
            )
            assert (
                pendulum.date(2020, 9, 17)
                == programme.deadline(Phase.NEEDS_ASSESSMENT, pair=key).due_on
            )

    def test_lead_is_the_deadline_itself(self) -> None:
        """By default a phase extension may be requested up to its deadline, not after."""
        programme = with_pairs(*PHASES)
        with pytest.raises(PolicyViolation) as info:
            programme.request_phase_extension(
                Phase.NEEDS_ASSESSMENT, pair="a", weeks=2, reason="late", at=day(2020, 9, 18)
            )
        assert info.value.clause == "request-lead"
        programme.request_phase_extension(
            Phase.NEEDS_ASSESSMENT,
            pair="a",
            weeks=2,
            reason="just in time",
            at=day(2020, 9, 17, 23),
        )

    def test_offset(self) -> None:
        """A phase extension takes an Offset too."""
        programme = with_pairs(*PHASES)
        ext = programme.request_phase_extension(
            Phase.MATCHING,
            pair="a",
            offset=Offset(amount=2, unit=Unit.WEEKS),
            reason="a",
            at=day(2020, 8, 1),
        )
        assert Offset(amount=2, unit=Unit.WEEKS) == ext.offset

    def test_separate_targets(self) -> None:
        """A pending request for one pair doesn't block another pair's."""
        programme = with_pairs(*PHASES)
        programme.request_phase_extension(
            Phase.MATCHING, pair="a", weeks=2, reason="a", at=day(2020, 8, 1)
        )
        programme.request_phase_extension(
            Phase.MATCHING, pair="b", weeks=2, reason="b", at=day(2020, 8, 1)
        )
        assert [e.key for e in programme.extensions] == ["E1", "E2"]

    def test_bad_targets(self) -> None:
        """Phases without a rule and unknown pairs are refused."""
        from mentorflow import UnknownPairError

        programme = with_pairs(*PHASES)
        with pytest.raises(ValidationError, match="not a phase with a deadline"):
            programme.request_phase_extension(Phase.FINAL_REVIEW, weeks=1, reason="x")
        with pytest.raises(UnknownPairError):
            programme.request_phase_extension(Phase.MATCHING, pair="z", weeks=1, reason="x")

    def test_alerts_again_after_a_move(self) -> None:
        """A moved deadline is a new revision: its alerts can fire again, once."""
        programme = with_pairs(
            DeadlineRule(Phase.NEEDS_ASSESSMENT, after="programme.start", months=3, lead_days=7)
        )
        first = programme.check_deadlines(at=day(2020, 9, 12))
        assert {("a", 0), ("b", 0)} == {(e.pair, e.revision) for e in first}  # type: ignore[attr-defined]
        programme.request_phase_extension(
            Phase.NEEDS_ASSESSMENT, pair="a", weeks=3, reason="x", at=day(2020, 9, 12)
        )
        programme.grant_extension("E1", by="CEMR", at=day(2020, 9, 13))
        missed = programme.check_deadlines(at=day(2020, 9, 18))
        assert {("b", "DeadlineMissed")} == {(e.pair, type(e).__name__) for e in missed}  # type: ignore[attr-defined]
        again = programme.check_deadlines(at=day(2020, 10, 1))
        assert {("a", 1, "DeadlineApproaching")} == {
            (e.pair, e.revision, type(e).__name__)
            for e in again  # type: ignore[attr-defined]
        }


class TestPolicyDefinition:
    """An ExtensionPolicy is checked when made."""

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"request_lead": 3}, "request_lead"),
            ({"request_lead": Offset(amount=-1)}, "request_lead"),
            ({"response_days": 0}, "response_days"),
            ({"response_days": "45"}, "response_days"),
            ({"max_count": -1}, "max_count"),
            ({"max_count": "x"}, "max_count"),
            ({"max_total": 3}, "max_total"),
            ({"max_total": Offset(amount=-1)}, "max_total"),
        ],
    )
    def test_bad_values(self, kwargs: dict[str, object], field: str) -> None:
        """Each bad value names its field."""
        with pytest.raises(ValidationError) as info:
            ExtensionPolicy(**kwargs)  # type: ignore[arg-type]
        assert field == info.value.field

    def test_exposed(self) -> None:
        """The programme's policies can be read back."""
        programme = inclucities()
        assert 45 == programme.extension_policy.response_days
        assert Offset(amount=0) == programme.phase_extension_policy.request_lead

    def test_offset_words(self) -> None:
        """Offsets read as English."""
        assert ("1 month", "3 working days", "0 days") == (
            str(Offset(amount=1, unit=Unit.MONTHS)),
            str(Offset(amount=3, unit=Unit.WORKING_DAYS)),
            str(Offset(amount=0)),
        )
