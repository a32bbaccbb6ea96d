"""Tests for mentorflow.matching: candidates, scores, the three methods, review and publish."""

from __future__ import annotations

import pendulum
import pytest

from mentorflow import (
    Association,
    City,
    ManualClock,
    MemoryStore,
    PairEnrolled,
    Partner,
    PartnerReplaced,
    Programme,
    Role,
    Theme,
    ValidationError,
)
from mentorflow.matching import (
    Affinity,
    Candidate,
    Constraints,
    Criterion,
    Method,
    Pairing,
    Pool,
    Rule,
    load_pool,
    propose,
    rematch,
    score_pairs,
)

from helpers import START, TZ


def candidate(key: str, country: str = "BE", **kw: object) -> Candidate:
    """A candidate whose city is named after its key."""
    partner = Partner(
        city=City(name=key.title(), country=country),
        association=Association(name=f"assoc-{country}", country=country),
    )
    return Candidate(key=key, partner=partner, **kw)  # type: ignore[arg-type]


def affinity_pool(scores: dict[tuple[str, str], float], **kw: object) -> Pool:
    """A pool scored by the facilitator's affinities alone, every city in its own country."""
    keys = list(dict.fromkeys(k for pair in scores for k in pair))
    countries = ["BE", "FR", "IT", "ES", "GR", "LV", "DE", "NL", "PT", "PL"]
    country = dict(zip(keys, countries[: len(keys)], strict=True))
    mentors = {m: candidate(m, country[m]) for m, _ in scores}
    mentees = {e: candidate(e, country[e]) for _, e in scores}
    return Pool(
        mentors=list(mentors.values()),
        mentees=list(mentees.values()),
        criteria=[Criterion("affinity")],
        affinities=[Affinity(mentor=m, mentee=e, score=s) for (m, e), s in scores.items()],
        **kw,  # type: ignore[arg-type]
    )


# Together's automatching example: pairing the best pair first leaves a poor second pair.
TOGETHER = {("a", "x"): 0.9, ("a", "y"): 0.8, ("b", "x"): 0.7, ("b", "y"): 0.1}


@pytest.fixture
def inclucities() -> Pool:
    """The shipped IncluCities candidates."""
    return load_pool("inclucities")


@pytest.fixture
def programme() -> Programme:
    """An empty programme on a manual clock."""
    return Programme(
        "IncluCities",
        starts_on=pendulum.date(2020, 6, 17),
        ends_on=pendulum.date(2022, 12, 31),
        timezone=TZ,
        clock=ManualClock(START),
    )


class TestCandidate:
    """Tests for Candidate."""

    @pytest.mark.parametrize(
        ("kw", "field"),
        [
            ({"key": "Mechelen"}, "key"),
            ({"key": "mechelen-"}, "key"),
            ({"languages": "nl"}, "languages"),
            ({"themes": ["housing", "housing"]}, "themes[1]"),
            ({"themes": ["parks"]}, "themes[0]"),
            ({"topics": ["Buddies", "buddies"]}, "topics[1]"),
            ({"population": 0}, "population"),
            ({"capacity": 0}, "capacity"),
            ({"capacity": True}, "capacity"),
            ({"preferences": ["x", "x"]}, "preferences[1]"),
        ],
    )
    def test_bad_values_name_the_field(self, kw: dict[str, object], field: str) -> None:
        """A bad value raises ValidationError naming its field."""
        key = kw.pop("key", "mechelen")
        with pytest.raises(ValidationError) as info:
            candidate(str(key), **kw)
        assert field == info.value.field

    def test_languages_are_normalised(self) -> None:
        """Languages are kept lower-case, sorted and once each."""
        assert ("fr", "nl") == candidate("brussels", languages=["NL", "fr", "nl"]).languages


class TestPool:
    """Tests for Pool's validation and its pin/forbid."""

    def test_keys_are_unique_across_sides(self) -> None:
        """A key names one candidate in the whole pool."""
        with pytest.raises(ValidationError) as info:
            Pool(mentors=[candidate("x")], mentees=[candidate("x", "FR")])
        assert "mentees[0].key" == info.value.field

    def test_a_mentee_has_one_mentor(self) -> None:
        """A mentee's capacity is 1."""
        with pytest.raises(ValidationError) as info:
            Pool(mentors=[candidate("x")], mentees=[candidate("y", "FR", capacity=2)])
        assert "mentees[0].capacity" == info.value.field

    @pytest.mark.parametrize(
        ("constraints", "field"),
        [
            (Constraints(pinned=[("y", "y")]), "constraints.pinned[0].mentor"),
            (Constraints(forbidden=[("x", "z")]), "constraints.forbidden[0].mentee"),
            (Constraints(pinned=[("x", "y"), ("w", "y")]), "constraints.pinned[1].mentee"),
            (Constraints(pinned=[("x", "y"), ("x", "v")]), "constraints.pinned[1].mentor"),
        ],
    )
    def test_pins_and_forbids_are_checked(self, constraints: Constraints, field: str) -> None:
        """Pins and forbidden pairs name candidates of the right side; pins fit capacities."""
        with pytest.raises(ValidationError) as info:
            Pool(
                mentors=[candidate("x"), candidate("w")],
                mentees=[candidate("y", "FR"), candidate("v", "IT")],
                constraints=constraints,
            )
        assert field == info.value.field

    def test_pin_and_forbid_replace_each_other(self) -> None:
        """Pinning a forbidden pair unforbids it, and the other way round."""
        pool = affinity_pool(TOGETHER).forbid("a", "x")
        pinned = pool.pin("a", "x")
        assert ((Pairing("a", "x"),), ()) == (
            pinned.constraints.pinned,
            pinned.constraints.forbidden,
        )
        assert () == pinned.forbid("a", "x").constraints.pinned

    def test_unknown_preferences_and_affinities(self) -> None:
        """Preferences and affinities name candidates of the other side."""
        with pytest.raises(ValidationError) as info:
            Pool(mentors=[candidate("x", preferences=["x"])], mentees=[candidate("y", "FR")])
        assert "mentors[0].preferences[0]" == info.value.field
        with pytest.raises(ValidationError) as info:
            Pool(
                mentors=[candidate("x")],
                mentees=[candidate("y", "FR")],
                affinities=[Affinity(mentor="y", mentee="y", score=1)],
            )
        assert "affinities[0].mentor" == info.value.field

    def test_digest_follows_content(self) -> None:
        """Equal pools have equal digests; a changed weight changes it."""
        pool = affinity_pool(TOGETHER)
        assert affinity_pool(TOGETHER).digest == pool.digest
        other = Pool(mentors=pool.mentors, mentees=pool.mentees, criteria=[Criterion("size", 2)])
        assert other.digest != pool.digest


class TestCriterion:
    """Tests for Criterion."""

    def test_unknown_name_needs_a_function(self) -> None:
        """A criterion of your own needs score=."""
        with pytest.raises(ValidationError, match="give score="):
            Criterion("experience")

    @pytest.mark.parametrize("weight", [0, -1, True, "2"])
    def test_weight_is_positive(self, weight: object) -> None:
        """A weight is a number > 0."""
        with pytest.raises(ValidationError) as info:
            Criterion("topics", weight)  # type: ignore[arg-type]
        assert "weight" == info.value.field

    def test_own_criterion(self) -> None:
        """A function of (mentor, mentee) scores a criterion of your own."""
        pool = Pool(
            mentors=[candidate("big", population=100_000), candidate("small", population=10)],
            mentees=[candidate("y", "FR", population=5)],
            criteria=[Criterion("tiny", score=lambda m, e: float(m.population == 10))],
        )
        assert 1.0 == score_pairs(pool).of("small", "y").total

    def test_own_criterion_out_of_range(self) -> None:
        """A criterion that gives a value outside 0-1 is named."""
        pool = Pool(
            mentors=[candidate("x")],
            mentees=[candidate("y", "FR")],
            criteria=[Criterion("bad", score=lambda m, e: 2.0)],
        )
        with pytest.raises(ValidationError) as info:
            score_pairs(pool)
        assert "criteria[0].score" == info.value.field


class TestScores:
    """Tests for score_pairs() and Score: breakdowns and exclusions."""

    def test_breakdown_adds_up(self, inclucities: Pool) -> None:
        """Each criterion's points are value x weight / total weight and add up to the score."""
        s = score_pairs(inclucities).of("schaerbeek", "saint-jean")
        assert [("topics", 0.0, 0.0), ("themes", 0.0, 0.0), ("language", 1.0, 0.2)] == [
            (p.criterion, p.value, pytest.approx(p.points)) for p in s.parts
        ]
        assert pytest.approx(0.2) == s.total
        assert "0.20 = topics 0.00 + themes 0.00 + language 0.20" == s.explain()

    def test_built_in_criteria(self) -> None:
        """themes and topics: the share of the mentee's needs offered; size: the ratio."""
        mentor = candidate(
            "m",
            themes=["housing"],
            topics=["Buddies"],
            population=50_000,
            languages=["fr"],
        )
        mentee = candidate(
            "e",
            "FR",
            themes=["housing", "education_and_training"],
            topics=["buddies"],
            population=100_000,
            languages=["fr"],
        )
        criteria = [Criterion(n) for n in ("themes", "topics", "language", "size", "affinity")]
        s = score_pairs(Pool(mentors=[mentor], mentees=[mentee], criteria=criteria)).of("m", "e")
        assert [0.5, 1.0, 1.0, 0.5, 0.0] == [p.value for p in s.parts]

    def test_every_rule_explains_itself(self) -> None:
        """Each hard constraint that excludes a pair is named, with the reason."""
        twin = candidate("twin")
        pool = Pool(
            mentors=[twin, candidate("x", languages=["nl"])],
            mentees=[
                Candidate(key="twin-e", partner=twin.partner),
                candidate("y", "FR", languages=["fr"]),
            ],
            constraints=Constraints(
                shared_language=True,
                min_score=0.5,
                forbidden=[Pairing("x", "y", reason="paired in 2018")],
            ),
        )
        s = score_pairs(pool)
        assert {Rule.SAME_CITY, Rule.SAME_COUNTRY, Rule.NO_SHARED_LANGUAGE} <= {
            e.rule for e in s.of("twin", "twin-e").exclusions
        }
        excluded = {e.rule: e.reason for e in s.of("x", "y").exclusions}
        assert "paired in 2018" == excluded[Rule.FORBIDDEN]
        assert "no shared language (nl and fr)" == excluded[Rule.NO_SHARED_LANGUAGE]
        assert "scores 0.00, under the minimum 0.50" == excluded[Rule.BELOW_MIN_SCORE]
        assert not s.of("x", "y").allowed

    def test_options_rank_the_allowed_mentors(self, inclucities: Pool) -> None:
        """A mentee's options are its allowed mentors, best first."""
        options = score_pairs(inclucities).options("saint-jean")
        assert ["brussels", "schaerbeek"] == [o.mentor for o in options[:2]]


class TestPropose:
    """Tests for propose() and its three methods."""

    def test_inclucities_optimum_is_the_real_pairs(self, inclucities: Pool) -> None:
        """The shipped candidates' optimum is the four pairs of 2020."""
        proposal = propose(inclucities)
        expected = [
            "brussels-saint-jean",
            "mechelen-capaci",
            "fuenlabrada-livadia",
            "schaerbeek-jelgava",
        ]
        assert expected == [m.key for m in proposal.matches]
        assert (0.0, (), ()) == (
            proposal.greedy_loss,
            proposal.unmatched_mentees,
            proposal.unmatched_mentors,
        )

    def test_greedy_loses_what_the_optimum_keeps(self) -> None:
        """On Together's example the best pair first leaves a poor second pair."""
        proposal = propose(affinity_pool(TOGETHER))
        assert ["a-y", "b-x"] == [m.key for m in proposal.matches]
        assert pytest.approx(1.5) == proposal.total
        assert pytest.approx(1.0) == proposal.outcome("greedy").total
        assert pytest.approx(0.5) == proposal.greedy_loss
        greedy = propose(affinity_pool(TOGETHER), "greedy")
        assert ["a-x", "b-y"] == [m.key for m in greedy.matches]

    def test_capacity_lets_a_lead_city_mentor_several(self) -> None:
        """A mentor of capacity 2 takes two mentees when that scores best."""
        pool = affinity_pool({("a", "x"): 0.9, ("a", "y"): 0.8, ("b", "y"): 0.2, ("b", "z"): 0.1})
        pool = Pool(
            mentors=[attr_evolve(pool.mentors[0], capacity=2), pool.mentors[1]],
            mentees=pool.mentees,
            criteria=pool.criteria,
            affinities=pool.affinities,
        )
        proposal = propose(pool)
        assert ["a-x", "a-y", "b-z"] == [m.key for m in proposal.matches]

    def test_unmatched_when_nobody_is_allowed(self) -> None:
        """A mentee no mentor may take stays unmatched, and is listed."""
        pool = Pool(mentors=[candidate("x")], mentees=[candidate("y"), candidate("z", "FR")])
        proposal = propose(pool)
        assert (["x-z"], ["y"]) == (
            [m.key for m in proposal.matches],
            [c.key for c in proposal.unmatched_mentees],
        )

    def test_empty_pool(self) -> None:
        """No mentees, no pairs."""
        proposal = propose(Pool(mentors=[candidate("x")], mentees=[]))
        assert ((), 0.0) == (proposal.matches, proposal.total)

    def test_bad_method(self, inclucities: Pool) -> None:
        """The method is named when it is not one of the three."""
        with pytest.raises(ValidationError) as info:
            propose(inclucities, "random")
        assert "method" == info.value.field

    def test_compare_false_solves_one_method(self) -> None:
        """Without the comparison only the method runs, and the greedy loss is unknown."""
        proposal = propose(affinity_pool(TOGETHER), compare=False)
        assert ([Method.OPTIMAL], None) == (
            [o.method for o in proposal.outcomes],
            proposal.greedy_loss,
        )
        with pytest.raises(ValidationError, match="compare=True"):
            proposal.outcome("greedy")

    def test_stable_against_the_matching_package(self) -> None:
        """Our Gale-Shapley gives the matching package's resident-optimal matching."""
        from matching.games import HospitalResident

        mentee_prefs = {"x": ["a", "b"], "y": ["a", "b"], "z": ["b", "a"]}
        mentor_prefs = {"a": ["z", "y", "x"], "b": ["x", "y", "z"]}
        capacities = {"a": 1, "b": 2}
        pool = affinity_pool({(m, e): 0.5 for m in mentor_prefs for e in mentee_prefs})
        pool = Pool(
            mentors=[
                attr_evolve(c, preferences=mentor_prefs[c.key], capacity=capacities[c.key])
                for c in pool.mentors
            ],
            mentees=[attr_evolve(c, preferences=mentee_prefs[c.key]) for c in pool.mentees],
            criteria=pool.criteria,
            affinities=pool.affinities,
        )
        game = HospitalResident.create_from_dictionaries(mentee_prefs, mentor_prefs, capacities)
        expected = sorted(
            f"{hospital.name}-{resident.name}"
            for hospital, residents in game.solve(optimal="resident").items()
            for resident in residents
        )
        assert expected == sorted(m.key for m in propose(pool, "stable").matches)


def attr_evolve(candidate: Candidate, **changes: object) -> Candidate:
    """A copy of ``candidate`` with ``changes``."""
    import attrs

    return attrs.evolve(candidate, **changes)  # type: ignore[misc]


class TestReview:
    """Tests for Proposal.pin, forbid and review."""

    def test_pin_keeps_the_pair_and_resolves_the_rest(self) -> None:
        """A pinned pair is kept; the rest is solved again around it."""
        proposal = propose(affinity_pool(TOGETHER)).pin("a", "x", reason="the facilitator's call")
        assert [("a-x", True), ("b-y", False)] == [(m.key, m.pinned) for m in proposal.matches]

    def test_forbid_resolves_without_the_pair(self, inclucities: Pool) -> None:
        """A forbidden pair is never proposed."""
        proposal = propose(inclucities).forbid("brussels", "saint-jean", reason="a test")
        keys = [m.key for m in proposal.matches]
        assert "brussels-saint-jean" not in keys
        # Schaerbeek-Jelgava (0.80) beats Schaerbeek-Saint-Jean (0.20): Brussels takes nobody
        # it scores above 0 with, and Saint-Jean's only other option is taken
        assert ["saint-jean"] == [c.key for c in proposal.unmatched_mentees]
        assert "forbidden" in proposal.score("brussels", "saint-jean").explain()

    def test_pin_of_an_excluded_pair(self) -> None:
        """A pair that a hard constraint excludes can't be pinned; the error says why."""
        pool = Pool(mentors=[candidate("x")], mentees=[candidate("y")])
        with pytest.raises(ValidationError) as info:
            propose(pool).pin("x", "y")
        assert "constraints.pinned[0]" == info.value.field
        assert "both in BE [same-country]" in info.value.problem

    def test_review_findings(self) -> None:
        """A minimum score and a minimum share matched are checked."""
        pool = affinity_pool(TOGETHER)
        pool = Pool(
            mentors=pool.mentors,
            mentees=[*pool.mentees, candidate("lonely", "FI")],
            criteria=pool.criteria,
            affinities=pool.affinities,
        )
        review = propose(pool).review(min_score=0.75, min_share=0.9)
        assert not review.passed
        assert [
            "b-x scores 0.70, under the minimum 0.75",
            "2 of 3 mentees have a mentor (67%), under the minimum 90%; without one: lonely",
        ] == list(review.findings)
        assert propose(pool).review(min_score=0.5, min_share=0.6).passed


class TestPublish:
    """Tests for Proposal.enrolments and publish."""

    def test_publish_enrols_the_pairs(self, inclucities: Pool, programme: Programme) -> None:
        """Publishing enrols every pair in one batch; each note explains the decision."""
        proposal = propose(inclucities)
        events = proposal.publish(programme)
        enrolled = [e for e in events if isinstance(e, PairEnrolled)]
        assert [m.key for m in proposal.matches] == [e.pair for e in enrolled]
        first = enrolled[0]
        assert (Theme.ACCESS_TO_BASIC_SERVICES, "gender-sensitive needs assessment") == (
            first.theme,
            first.topic,
        )
        assert first.note == (
            f"proposal {proposal.digest} (optimal): score 1.00 = topics 0.60 + themes 0.20 "
            "+ language 0.20"
        )
        assert programme.pair("mechelen-capaci").mentee.city.name == "Capaci"

    def test_publishing_twice_changes_nothing(
        self, inclucities: Pool, programme: Programme
    ) -> None:
        """The enrolments carry idempotency keys: publishing again returns the same events."""
        proposal = propose(inclucities)
        first = proposal.publish(programme)
        version = programme.version
        assert first == proposal.publish(programme)
        assert version == programme.version

    def test_published_pairs_replay(self, inclucities: Pool, programme: Programme) -> None:
        """The enrolments are events in the log: restoring the programme rebuilds them."""
        store = MemoryStore()
        programme.persist(store, "inclucities")
        propose(inclucities).publish(programme)
        restored = Programme.restore(store, "inclucities", clock=ManualClock(START))
        assert [p.mentee for p in programme.pairs.values()] == [
            p.mentee for p in restored.pairs.values()
        ]

    def test_a_theme_is_needed(self, programme: Programme) -> None:
        """A pair whose candidates name no theme needs theme=."""
        proposal = propose(Pool(mentors=[candidate("x")], mentees=[candidate("y", "FR")]))
        with pytest.raises(ValidationError) as info:
            proposal.enrolments()
        assert "theme" == info.value.field
        events = proposal.publish(programme, theme=Theme.HOUSING)
        assert Theme.HOUSING == events[0].theme  # type: ignore[attr-defined]

    def test_pair_keys_are_distinct(self) -> None:
        """Candidate keys that would make the same pair key are caught before publishing."""
        pool = Pool(
            mentors=[candidate("a-b", capacity=2), candidate("a", "ES")],
            mentees=[candidate("c", "FR"), candidate("b-c", "IT")],
            constraints=Constraints(pinned=[("a-b", "c"), ("a", "b-c")]),
        )
        with pytest.raises(ValidationError, match="two pairs would have the key 'a-b-c'"):
            propose(pool).enrolments(theme=Theme.HOUSING)

    def test_nothing_to_publish(self, programme: Programme) -> None:
        """An empty proposal can't be published."""
        with pytest.raises(ValidationError) as info:
            propose(Pool(mentors=[candidate("x")], mentees=[])).publish(programme)
        assert "matches" == info.value.field


class TestRematch:
    """Tests for rematch(): one seat filled, the other pairs untouched."""

    @pytest.fixture
    def announced(self, inclucities: Pool) -> Pool:
        """The pool as announced in 2020: Partinico where Capaci ended up, Capaci not in it."""
        capaci = inclucities.mentee("capaci")
        partinico = attr_evolve(
            capaci,
            key="partinico",
            partner=Partner(
                city=City(name="Partinico", country="IT", subdivision="PA"),
                association=capaci.partner.association,
            ),
        )
        mentees = [partinico if c.key == "capaci" else c for c in inclucities.mentees]
        return attr_evolve_pool(inclucities, mentees=mentees)

    def test_partinico_replaced_by_capaci(
        self, inclucities: Pool, announced: Pool, programme: Programme
    ) -> None:
        """Mechelen's seat goes to Capaci; one PartnerReplaced, nothing else moves."""
        propose(announced).publish(programme)
        before = {k: p.history for k, p in programme.pairs.items() if k != "mechelen-partinico"}
        replacement = rematch(programme, "mechelen-partinico", Role.MENTEE, inclucities)
        assert "capaci" == replacement.best.key  # type: ignore[union-attr]
        assert ["capaci"] == [c.key for c in replacement.options]  # the others are taken
        (event,) = programme.execute(replacement.command())
        assert isinstance(event, PartnerReplaced)
        assert "Capaci" == programme.pair("mechelen-partinico").mentee.city.name
        assert before == {
            k: p.history for k, p in programme.pairs.items() if k != "mechelen-partinico"
        }

    def test_no_candidate_left(self, inclucities: Pool, programme: Programme) -> None:
        """With every other mentee busy, nobody can take the seat."""
        propose(inclucities).publish(programme)
        replacement = rematch(programme, "mechelen-capaci", "mentee", inclucities)
        assert (None, ()) == (replacement.best, replacement.options)
        with pytest.raises(ValidationError) as info:
            replacement.command()
        assert "choice" == info.value.field

    def test_mentor_seat_and_capacity(self, inclucities: Pool, programme: Programme) -> None:
        """A mentor already in a live pair qualifies only with capacity left."""
        propose(inclucities).publish(programme)
        assert () == rematch(programme, "mechelen-capaci", "mentor", inclucities).options
        roomy = attr_evolve_pool(
            inclucities,
            mentors=[
                attr_evolve(c, capacity=2) if c.key == "brussels" else c
                for c in inclucities.mentors
            ],
        )
        options = rematch(programme, "mechelen-capaci", "mentor", roomy).options
        assert ["brussels"] == [c.key for c in options]

    def test_staying_partner_must_be_in_the_pool(
        self, announced: Pool, inclucities: Pool, programme: Programme
    ) -> None:
        """The partner who stays is looked up in the pool by its city."""
        propose(announced).publish(programme)
        with pytest.raises(ValidationError) as info:
            rematch(programme, "mechelen-partinico", "mentor", inclucities)
        assert "pair" == info.value.field


def attr_evolve_pool(pool: Pool, **changes: object) -> Pool:
    """A copy of ``pool`` with ``changes``."""
    import attrs

    return attrs.evolve(pool, **changes)  # type: ignore[misc]
