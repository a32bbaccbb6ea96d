"""Tests for the commands on a pair and the business rules that guard them."""

from __future__ import annotations

import pendulum
import pytest

from mentorflow import (
    CommandRefused,
    Deliverable,
    DeliverableRegistered,
    ManualClock,
    Pair,
    PairCompleted,
    PairEnrolled,
    PairResumed,
    PairStatus,
    PairSuspended,
    PairWithdrawn,
    PartnerReplaced,
    Phase,
    PhaseCompleted,
    PhaseStarted,
    Programme,
    Role,
    StudyVisit,
    Theme,
    ValidationError,
    VisitMode,
    VisitRecorded,
)

from helpers import CAPACI, MECHELEN, PARTINICO, START, advance_to, partner, snapshot, visit

LATER = START.add(days=30)


@pytest.fixture
def pair(programme: Programme) -> Pair:
    """Mechelen mentoring Capaci, just enrolled."""
    return programme.add_pair(
        "mechelen-capaci", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING, at=START
    )


def refused(pair: Pair, rule: str, command: object, *args: object, **kwargs: object) -> None:
    """Run ``command``; assert it is refused by ``rule`` and the programme is unchanged."""
    before = snapshot(pair.programme)
    with pytest.raises(CommandRefused) as info:
        command(*args, **kwargs)  # type: ignore[operator]
    assert rule == info.value.rule, info.value
    assert pair.key == info.value.pair
    assert before == snapshot(pair.programme)


class TestEnrol:
    """Tests for Programme.add_pair."""

    def test_starts_in_first_phase(self, pair: Pair) -> None:
        """A new pair is active in the first phase, with enrolment and start events."""
        assert (pair.phase, pair.status) == (Phase.NEEDS_ASSESSMENT, PairStatus.ACTIVE)
        enrolled, started = pair.history
        assert isinstance(enrolled, PairEnrolled)
        assert (enrolled.mentor, enrolled.mentee) == (MECHELEN, CAPACI)
        assert PhaseStarted(seq=2, pair=pair.key, at=START, phase=Phase.NEEDS_ASSESSMENT) == started

    def test_pair_data(self, programme: Programme) -> None:
        """The pair keeps its theme, topic, benchmarks and support network."""
        from mentorflow import Benchmark

        bench = Benchmark(title="access to education", key_factors=["resources"])
        pair = programme.add_pair(
            "p",
            mentor=MECHELEN,
            mentee=CAPACI,
            theme="housing",  # type: ignore[arg-type]
            topic="Buddies",
            benchmarks=[bench],
            support_network=["a diaspora association"],
            at=START,
        )
        assert (Theme.HOUSING, "Buddies", (bench,), ("a diaspora association",)) == (
            pair.theme,
            pair.topic,
            pair.benchmarks,
            pair.support_network,
        )
        assert pair.partner(Role.MENTOR) == MECHELEN

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"key": ""}, "key"),
            ({"key": " p"}, "key"),
            ({"mentor": "Mechelen"}, "mentor"),
            ({"mentee": MECHELEN}, "mentee"),
            ({"theme": "Culture!"}, "theme"),
            ({"topic": ""}, "topic"),
            ({"benchmarks": ["x"]}, "benchmarks[0]"),
            ({"support_network": "NGO"}, "support_network"),
            ({"at": pendulum.naive(2020, 6, 17)}, "at"),
            ({"at": "2020-06-17"}, "at"),
            ({"note": 3}, "note"),
        ],
    )
    def test_bad_input(self, programme: Programme, kwargs: dict[str, object], field: str) -> None:
        """Bad input names the field and adds nothing."""
        args: dict[str, object] = {
            "key": "p",
            "mentor": MECHELEN,
            "mentee": CAPACI,
            "theme": Theme.HOUSING,
            "at": START,
        }
        args.update(kwargs)
        key = args.pop("key")
        with pytest.raises(ValidationError) as info:
            programme.add_pair(key, **args)  # type: ignore[arg-type]
        assert field == info.value.field
        assert len(programme.history) == 0
        assert dict(programme.pairs) == {}

    def test_duplicate_key(self, programme: Programme, pair: Pair) -> None:
        """Keys are unique within a programme."""
        with pytest.raises(ValidationError, match="already exists"):
            programme.add_pair(pair.key, mentor=MECHELEN, mentee=PARTINICO, theme=Theme.HOUSING)
        assert len(programme.history) == 2


class TestComplete:
    """Tests for Pair.complete."""

    def test_moves_to_next_phase(self, pair: Pair) -> None:
        """Completing emits PhaseCompleted then PhaseStarted of the next phase."""
        events = pair.complete(Phase.NEEDS_ASSESSMENT, at=LATER, note="done")
        assert (
            PhaseCompleted(
                seq=3, pair=pair.key, at=LATER, note="done", phase=Phase.NEEDS_ASSESSMENT
            ),
            PhaseStarted(seq=4, pair=pair.key, at=LATER, note="done", phase=Phase.MATCHING),
        ) == events
        assert pair.phase == Phase.MATCHING
        assert pair.last_changed_at == LATER

    def test_wrong_phase(self, pair: Pair) -> None:
        """Only the current phase can be completed."""
        refused(pair, "wrong-phase", pair.complete, Phase.MATCHING, at=LATER)

    def test_visit_required(self, pair: Pair) -> None:
        """A study visit phase can't complete without its recorded visit."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        assert not pair.can_complete(at=LATER)
        refused(pair, "visit-required", pair.complete, Phase.STUDY_VISIT_1, at=LATER)
        pair.record_visit(visit(1, LATER), at=LATER)
        assert pair.can_complete(at=LATER)
        pair.complete(Phase.STUDY_VISIT_1, at=LATER)
        assert pair.phase == Phase.STUDY_VISIT_2

    def test_deliverables_required(self, pair: Pair) -> None:
        """The final review needs the Action Plan and the one-stop-shop."""
        advance_to(pair, Phase.FINAL_REVIEW, LATER)
        refused(pair, "deliverables-required", pair.complete, Phase.FINAL_REVIEW, at=LATER)
        pair.register_deliverable(Deliverable.ACTION_PLAN, at=LATER)
        with pytest.raises(CommandRefused, match="register one_stop_shop"):
            pair.complete(Phase.FINAL_REVIEW, at=LATER)
        pair.register_deliverable(Deliverable.ONE_STOP_SHOP, at=LATER)
        events = pair.complete(Phase.FINAL_REVIEW, at=LATER)
        assert [PhaseCompleted, PairCompleted] == [type(e) for e in events]
        assert (pair.phase, pair.status) == (Phase.COMPLETED, PairStatus.COMPLETED)

    def test_phase_must_be_a_string(self, pair: Pair) -> None:
        """A non-string phase is a ValidationError naming ``phase``."""
        with pytest.raises(ValidationError, match="phase"):
            pair.complete(3, at=LATER)  # type: ignore[arg-type]


class TestTime:
    """Timestamps: aware, converted, never backwards, clock by default."""

    def test_backwards_refused(self, pair: Pair) -> None:
        """A command dated before the pair's last change is refused."""
        pair.complete(Phase.NEEDS_ASSESSMENT, at=LATER)
        refused(pair, "timestamp-backwards", pair.complete, Phase.MATCHING, at=START)

    def test_same_instant_allowed(self, pair: Pair) -> None:
        """Timestamps may repeat (non-decreasing)."""
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        assert pair.phase == Phase.MATCHING

    def test_naive_refused(self, pair: Pair) -> None:
        """A naive datetime is a ValidationError naming ``at``."""
        with pytest.raises(ValidationError, match=r"at: .* naive"):
            pair.complete(Phase.NEEDS_ASSESSMENT, at=pendulum.naive(2020, 7, 1))

    def test_converted_to_programme_timezone(self, pair: Pair) -> None:
        """Times in other zones (stdlib or pendulum) are stored in the programme's zone."""
        import datetime as dt

        utc = dt.datetime(2020, 7, 1, 8, tzinfo=dt.UTC)
        (done, _) = pair.complete(Phase.NEEDS_ASSESSMENT, at=utc)
        assert isinstance(done.at, pendulum.DateTime)
        assert done.at.timezone_name == "Europe/Brussels"
        assert pendulum.datetime(2020, 7, 1, 10, tz="Europe/Brussels") == done.at
        assert done.at.hour == 10

    def test_clock_is_the_default(self, pair: Pair, clock: ManualClock) -> None:
        """Without ``at`` the programme's clock says when."""
        now = clock.advance(days=3)
        (done, _) = pair.complete(Phase.NEEDS_ASSESSMENT)
        assert now == done.at


class TestRecordVisit:
    """Tests for Pair.record_visit and the hosting rule."""

    def test_records(self, pair: Pair) -> None:
        """A recorded visit is kept and emitted."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        v = StudyVisit(
            number=1,
            host=Role.MENTEE,
            mode=VisitMode.ONLINE,
            starts_on=pendulum.date(2021, 5, 11),
            ends_on=pendulum.date(2021, 5, 12),
        )
        at = pendulum.datetime(2021, 5, 12, 18, tz="Europe/Brussels")
        (event,) = pair.record_visit(v, at=at)
        assert isinstance(event, VisitRecorded)
        assert (v, Phase.STUDY_VISIT_1) == (event.visit, event.phase)
        assert (v,) == pair.visits

    def test_not_a_visit_phase(self, pair: Pair) -> None:
        """Visits can only be recorded in a study visit phase."""
        refused(pair, "not-a-visit-phase", pair.record_visit, visit(1, LATER), at=LATER)

    def test_wrong_visit_number(self, pair: Pair) -> None:
        """The visit's number must be the phase's."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        refused(pair, "wrong-visit", pair.record_visit, visit(2, LATER), at=LATER)

    def test_already_recorded(self, pair: Pair) -> None:
        """A visit is recorded once."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        pair.record_visit(visit(1, LATER), at=LATER)
        refused(pair, "visit-already-recorded", pair.record_visit, visit(1, LATER), at=LATER)

    def test_not_yet_held(self, pair: Pair) -> None:
        """A visit ending after the command's date has not been held yet."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        refused(pair, "visit-not-held", pair.record_visit, visit(1, LATER.add(days=1)), at=LATER)

    def test_default_hosts_two_mentee_one_mentor(self, pair: Pair) -> None:
        """By default the mentor hosts one visit and the mentee two."""
        advance_to(pair, Phase.STUDY_VISIT_1, LATER)
        pair.record_visit(visit(1, LATER, Role.MENTOR), at=LATER)
        pair.complete(Phase.STUDY_VISIT_1, at=LATER)
        refused(pair, "visit-hosts", pair.record_visit, visit(2, LATER, Role.MENTOR), at=LATER)
        pair.record_visit(visit(2, LATER, Role.MENTEE), at=LATER)
        pair.complete(Phase.STUDY_VISIT_2, at=LATER)
        refused(pair, "visit-hosts", pair.record_visit, visit(3, LATER, Role.MENTOR), at=LATER)
        pair.record_visit(visit(3, LATER, Role.MENTEE), at=LATER)
        assert [v.host for v in pair.visits] == [Role.MENTOR, Role.MENTEE, Role.MENTEE]

    def test_mentee_cannot_host_three(self, pair: Pair) -> None:
        """The mentee may host at most two visits."""
        advance_to(pair, Phase.STUDY_VISIT_2, LATER)
        pair.record_visit(visit(2, LATER, Role.MENTEE), at=LATER)
        pair.complete(Phase.STUDY_VISIT_2, at=LATER)
        advance_to(pair, Phase.STUDY_VISIT_3, LATER)
        refused(pair, "visit-hosts", pair.record_visit, visit(3, LATER, Role.MENTEE), at=LATER)

    def test_rule_can_be_switched_off(self, clock: ManualClock) -> None:
        """With ``visit_hosts=None`` any side may host any visit."""
        from mentorflow import Lifecycle

        programme = Programme(
            "p",
            starts_on=START.date(),
            ends_on=START.date().add(years=1),
            clock=clock,
            lifecycle=Lifecycle.linear(Phase.STUDY_VISIT_1, Phase.STUDY_VISIT_2, visit_hosts=None),
        )
        pair = programme.add_pair("p", mentor=MECHELEN, mentee=CAPACI, theme=Theme.HOUSING)
        pair.record_visit(visit(1, LATER, Role.MENTOR), at=LATER)
        pair.complete(Phase.STUDY_VISIT_1, at=LATER)
        pair.record_visit(visit(2, LATER, Role.MENTOR), at=LATER)
        assert [v.host for v in pair.visits] == [Role.MENTOR, Role.MENTOR]

    def test_must_be_a_study_visit(self, pair: Pair) -> None:
        """Passing something else is a ValidationError naming ``visit``."""
        with pytest.raises(ValidationError, match="visit"):
            pair.record_visit("visit 1", at=LATER)  # type: ignore[arg-type]


class TestDeliverables:
    """Tests for Pair.register_deliverable."""

    def test_registers_and_supersedes(self, pair: Pair) -> None:
        """The latest registration of a deliverable is the one kept."""
        pair.register_deliverable(Deliverable.ACTION_PLAN, reference="v1", at=START)
        (event,) = pair.register_deliverable("action_plan", reference="v2", at=LATER)  # type: ignore[arg-type]
        assert isinstance(event, DeliverableRegistered)
        assert pair.deliverables[Deliverable.ACTION_PLAN].reference == "v2"
        assert event.phase == Phase.NEEDS_ASSESSMENT

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [({"deliverable": "report"}, "deliverable"), ({"reference": 7}, "reference")],
    )
    def test_bad_input(self, pair: Pair, kwargs: dict[str, object], field: str) -> None:
        """Unknown deliverables and non-string references name their field."""
        args: dict[str, object] = {"deliverable": Deliverable.TOOLKIT, "at": LATER}
        args.update(kwargs)
        with pytest.raises(ValidationError) as info:
            pair.register_deliverable(**args)  # type: ignore[arg-type]
        assert field == info.value.field


class TestSuspend:
    """Tests for Pair.suspend and Pair.resume."""

    def test_resumes_where_it_was(self, pair: Pair) -> None:
        """A resumed pair continues in the phase it was suspended in."""
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        (suspended,) = pair.suspend(at=LATER, note="elections")
        assert (
            PairSuspended(seq=5, pair=pair.key, at=LATER, note="elections", phase=Phase.MATCHING)
            == suspended
        )
        assert (pair.phase, pair.status) == (Phase.MATCHING, PairStatus.SUSPENDED)
        (resumed,) = pair.resume(at=LATER)
        assert isinstance(resumed, PairResumed)
        assert (pair.phase, pair.status) == (Phase.MATCHING, PairStatus.ACTIVE)

    def test_suspended_accepts_only_resume_withdraw_replace(self, pair: Pair) -> None:
        """While suspended, only resume, withdraw and replace_partner are accepted."""
        pair.suspend(at=START)
        refused(pair, "pair-suspended", pair.complete, Phase.NEEDS_ASSESSMENT, at=LATER)
        refused(pair, "pair-suspended", pair.suspend, at=LATER)
        refused(pair, "pair-suspended", pair.register_deliverable, Deliverable.TOOLKIT, at=LATER)
        refused(pair, "pair-suspended", pair.record_visit, visit(1, LATER), at=LATER)
        pair.replace_partner(Role.MENTEE, PARTINICO, at=LATER)
        assert pair.status == PairStatus.SUSPENDED

    def test_resume_when_active(self, pair: Pair) -> None:
        """An active pair can't be resumed."""
        refused(pair, "not-suspended", pair.resume, at=LATER)


class TestWithdraw:
    """Tests for Pair.withdraw."""

    def test_withdrawn_accepts_nothing(self, pair: Pair) -> None:
        """A withdrawn pair keeps its phase and refuses every command."""
        pair.complete(Phase.NEEDS_ASSESSMENT, at=START)
        (event,) = pair.withdraw(at=LATER)
        assert isinstance(event, PairWithdrawn)
        assert (pair.phase, pair.status) == (Phase.MATCHING, PairStatus.WITHDRAWN)
        for command, args in [
            (pair.complete, (Phase.MATCHING,)),
            (pair.suspend, ()),
            (pair.resume, ()),
            (pair.withdraw, ()),
            (pair.register_deliverable, (Deliverable.TOOLKIT,)),
            (pair.replace_partner, (Role.MENTEE, PARTINICO)),
        ]:
            refused(pair, "pair-closed", command, *args, at=LATER)

    def test_withdraw_while_suspended(self, pair: Pair) -> None:
        """A suspended pair can withdraw."""
        pair.suspend(at=START)
        pair.withdraw(at=LATER)
        assert pair.status == PairStatus.WITHDRAWN

    def test_completed_accepts_nothing(self, pair: Pair) -> None:
        """A completed pair refuses every command."""
        advance_to(pair, Phase.COMPLETED, LATER)
        refused(pair, "pair-closed", pair.withdraw, at=LATER)
        refused(pair, "pair-closed", pair.complete, Phase.COMPLETED, at=LATER)


class TestReplacePartner:
    """Tests for Pair.replace_partner."""

    def test_partinico_replaced_by_capaci(self, programme: Programme) -> None:
        """IncluCities: Mechelen's mentee Partinico became Capaci."""
        pair = programme.add_pair("m", mentor=MECHELEN, mentee=PARTINICO, theme=Theme.HOUSING)
        (event,) = pair.replace_partner(Role.MENTEE, CAPACI, at=LATER, note="replaced")
        assert isinstance(event, PartnerReplaced)
        assert (event.role, event.previous, event.replacement) == (Role.MENTEE, PARTINICO, CAPACI)
        assert pair.mentee == CAPACI
        assert pair.mentor == MECHELEN

    def test_same_partner(self, pair: Pair) -> None:
        """Replacing a city by itself is refused."""
        refused(pair, "same-partner", pair.replace_partner, Role.MENTEE, CAPACI, at=LATER)

    def test_other_side(self, pair: Pair) -> None:
        """The replacement can't be the other side's city."""
        refused(pair, "partner-is-other-side", pair.replace_partner, Role.MENTOR, CAPACI, at=LATER)

    def test_replaces_mentor(self, pair: Pair) -> None:
        """The mentor can be replaced too."""
        schaerbeek = partner("Schaerbeek", "BE", "Brulocalis")
        pair.replace_partner("mentor", schaerbeek, at=LATER)  # type: ignore[arg-type]
        assert schaerbeek == pair.mentor

    @pytest.mark.parametrize(
        ("args", "field"), [(("coach", CAPACI), "role"), ((Role.MENTEE, "Capaci"), "partner")]
    )
    def test_bad_input(self, pair: Pair, args: tuple[object, object], field: str) -> None:
        """Unknown roles and non-partners name their field."""
        with pytest.raises(ValidationError) as info:
            pair.replace_partner(*args, at=LATER)  # type: ignore[arg-type]
        assert field == info.value.field


class TestRefusal:
    """Tests for what a refusal carries."""

    def test_carries_pair_command_phase_reason(self, pair: Pair) -> None:
        """A refusal names the pair, the command, the phase, the status and the reason."""
        with pytest.raises(CommandRefused) as info:
            pair.complete(Phase.MATCHING, at=LATER)
        err = info.value
        assert (
            err.pair,
            err.command,
            err.phase,
            err.status,
            err.rule,
        ) == ("mechelen-capaci", "complete", Phase.NEEDS_ASSESSMENT, "active", "wrong-phase")
        assert "complete that first" in err.reason
        assert "Can't complete pair 'mechelen-capaci'" in str(err)

    def test_pickles(self, pair: Pair) -> None:
        """Refusals survive pickling (e.g. across processes)."""
        import pickle

        with pytest.raises(CommandRefused) as info:
            pair.complete(Phase.MATCHING, at=LATER)
        copy = pickle.loads(pickle.dumps(info.value))
        assert (info.value.rule, str(info.value)) == (copy.rule, str(copy))


def test_repr(pair: Pair) -> None:
    """The repr says who, where and how."""
    assert repr(pair) == "<Pair 'mechelen-capaci': Mechelen -> Capaci, needs_assessment (active)>"


class TestDefineBenchmarks:
    """Tests for Pair.define_benchmarks."""

    def test_defines_and_replaces(self, pair: Pair) -> None:
        """Benchmarks defined during matching replace those given at enrolment."""
        from mentorflow import Benchmark, BenchmarksDefined

        education = Benchmark(
            title="migrant children's access to education",
            key_factors=[
                "enough financial resources from families",
                "willingness to bring them to school",
            ],
        )
        pair.complete(Phase.NEEDS_ASSESSMENT, at=LATER)
        (event,) = pair.define_benchmarks([education], at=LATER, note="benchmarks, Oct 2020")
        assert isinstance(event, BenchmarksDefined)
        assert ((education,), Phase.MATCHING) == (event.benchmarks, event.phase)
        assert (education,) == pair.benchmarks
        pair.define_benchmarks([], at=LATER)
        assert pair.benchmarks == ()

    def test_bad_input(self, pair: Pair) -> None:
        """Something that is not a Benchmark names its index."""
        with pytest.raises(ValidationError) as info:
            pair.define_benchmarks(["access to education"], at=LATER)  # type: ignore[list-item]
        assert info.value.field == "benchmarks[0]"

    def test_refused_when_suspended(self, pair: Pair) -> None:
        """A suspended pair can't define benchmarks."""
        pair.suspend(at=START)
        refused(pair, "pair-suspended", pair.define_benchmarks, [], at=LATER)
