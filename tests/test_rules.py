"""The rule modules, case by case: each test pins down an edge that the feature tests leave loose.

They were written against the mutants that `python tools/mutation.py` found alive (see
docs/mutation-report.md): every one of these tests fails on some small deliberate bug.
"""
import random
import re

import pytest

from app.contests import aggregate
from app.quizzes import scoring

# --- quiz scoring (app/quizzes/scoring.py) -------------------------------------------------------

NUMERIC = {"type": "numeric", "answer": 2016}


def test_text_is_compared_trimmed_with_spaces_folded_nfkc_and_casefolded():
    assert scoring.normalise_text("  Ａ  Bribe\tTAKER ") == "a bribe taker"
    assert scoring.normalise_text(None) == "" and scoring.normalise_text("") == ""


def test_short_text_accepts_only_text():
    question = {"type": "short_text", "accepted": ["1424"]}
    assert scoring.score_short_text(question, " 1424 ") == 1.0
    assert scoring.score_short_text(question, 1424) == 0.0
    assert scoring.score_short_text(question, "   ") == 0.0


def test_multiple_choice_with_every_option_right_has_no_penalty_to_take():
    question = {"type": "multiple", "options": ["a", "b"], "answer": [0, 1]}
    assert scoring.score_multiple(question, [0, 1]) == 1.0
    assert scoring.score_multiple(question, [1]) == 0.5


def test_multiple_choice_counts_only_whole_numbers_as_ticks():
    question = {"type": "multiple", "options": ["a", "b", "c", "d"], "answer": [0, 2]}
    assert scoring.score_multiple(question, [0.0, 2.0]) == 0.0
    assert scoring.score_multiple(question, ["0", 0]) == 0.5
    assert scoring.score_multiple(question, "0,2") == 0.0


def test_multiple_choice_shares_are_kept_to_six_decimals():
    question = {"type": "multiple", "options": ["a", "b", "c", "d"], "answer": [0, 1, 2]}
    assert scoring.score_multiple(question, [0]) == 0.333333


def test_matching_and_ordering_need_a_mapping():
    assert scoring.score_matching({"type": "matching", "pairs": [["a", "1"], ["b", "2"]]}, [0, 1]) == 0.0
    assert scoring.score_ordering({"type": "ordering", "items": ["a", "b"]}, [1, 2]) == 0.0


def test_numeric_without_a_tolerance_needs_the_exact_number():
    assert scoring.score_numeric(NUMERIC, 2016) == 1.0
    assert scoring.score_numeric(NUMERIC, 2017) == 0.0
    assert scoring.score_numeric(NUMERIC, 2016.0000000001) == 1.0          # float noise is not an error


def test_numeric_accepts_exactly_the_tolerance_and_no_more():
    question = {"type": "numeric", "answer": 0, "tolerance": 0}
    assert scoring.score_numeric(question, 1e-9) == 1.0
    assert scoring.score_numeric(question, 2e-9) == 0.0
    assert scoring.score_numeric({**question, "answer": 10, "tolerance": 0.5}, 9.5) == 1.0


def test_numeric_refuses_what_is_not_a_finite_number():
    assert scoring.score_numeric({"type": "numeric", "answer": 1}, True) == 0.0
    assert scoring.score_numeric(NUMERIC, "2016") == 0.0
    assert scoring.score_numeric(NUMERIC, float("inf")) == 0.0
    assert scoring.score_numeric(NUMERIC, float("nan")) == 0.0


# --- contest aggregation and tie-breaks (app/contests/aggregate.py) -------------------------------

def ranked(totals):
    """(entry, place) of every row of the ranking, best first."""
    return [(row["entry"], row["place"]) for row in aggregate.rank(totals)]


def test_equal_scores_go_to_the_higher_median_before_first_rank_votes():
    # A: 40, 80, 90 → mean 70, median 80, no first-rank vote (C is J2's and J3's favourite).
    # B: 60, 70, 80 → mean 70, median 70, J1's first-rank vote.
    totals = {("J1", "A"): 40, ("J2", "A"): 80, ("J3", "A"): 90,
              ("J1", "B"): 60, ("J2", "B"): 70, ("J3", "B"): 80,
              ("J1", "C"): 0, ("J2", "C"): 95, ("J3", "C"): 95}
    rows = aggregate.rank(totals)
    assert [(r["entry"], r["median"], r["first_votes"]) for r in rows[:2]] == [("A", 80, 0), ("B", 70, 1)]
    assert ranked(totals)[:2] == [("A", 1), ("B", 2)]


def test_a_different_median_alone_separates_places():
    # A and B: the same mean, no first-rank votes (C takes them all), medians 80 and 70.
    totals = {("J1", "A"): 40, ("J2", "A"): 80, ("J3", "A"): 90,
              ("J1", "B"): 60, ("J2", "B"): 70, ("J3", "B"): 80,
              ("J1", "C"): 99, ("J2", "C"): 95, ("J3", "C"): 95}
    assert ranked(totals) == [("C", 1), ("A", 2), ("B", 3)]


TEN = [{"key": "v", "weight": 1, "scale": 10}]


def document(points: dict, **settings) -> dict:
    """A results document with one 0–10 criterion from {(juror, entry): points}."""
    return {"criteria": TEN, "scores": [{"juror": j, "entry": e, "values": {"v": v}} for (j, e), v in points.items()],
            **settings}


# J1..J3 score A, B, C on a 0-10 scale. Raw means put B first; per-juror z-scores put C first.
SEVERE_AND_LENIENT = {("J1", "A"): 4, ("J1", "B"): 9, ("J1", "C"): 7,
                      ("J2", "A"): 8, ("J2", "B"): 6, ("J2", "C"): 9,
                      ("J3", "A"): 0, ("J3", "B"): 7, ("J3", "C"): 3}


def test_the_documents_normalisation_is_used_for_the_ranking_and_every_robustness_check():
    raw = aggregate.compute(document(SEVERE_AND_LENIENT, places=1))
    normalised = aggregate.compute(document(SEVERE_AND_LENIENT, normalisation="zscore", places=1))
    assert raw["ranking"][0]["entry"] == "B" and normalised["ranking"][0]["entry"] == "C"
    assert normalised["checks"] == {"median instead of mean": False, "without juror J1": True,
                                    "without juror J2": False, "without juror J3": True}
    assert raw["checks"] == {"median instead of mean": True, "without juror J1": True,
                             "without juror J2": True, "without juror J3": False}
    assert not normalised["robust"] and not raw["robust"]


# Five entries: the first three places hold whoever is left out; the fourth does not.
FOURTH_PLACE_WOBBLES = {("J1", "A"): 2, ("J1", "B"): 3, ("J1", "C"): 6, ("J1", "D"): 7, ("J1", "E"): 6,
                        ("J2", "A"): 6, ("J2", "B"): 4, ("J2", "C"): 9, ("J2", "D"): 5, ("J2", "E"): 6,
                        ("J3", "A"): 0, ("J3", "B"): 4, ("J3", "C"): 10, ("J3", "D"): 7, ("J3", "E"): 4}


def test_robustness_concerns_the_prize_places_three_unless_the_contest_says_otherwise():
    assert aggregate.compute(document(FOURTH_PLACE_WOBBLES))["robust"]
    assert not aggregate.compute(document(FOURTH_PLACE_WOBBLES, places=4))["robust"]


def test_ranking_by_median_scores_each_entry_by_its_median():
    totals = {("J1", "A"): 10, ("J2", "A"): 20, ("J3", "A"): 90, ("J1", "B"): 40, ("J2", "B"): 40, ("J3", "B"): 40}
    assert [(r["entry"], r["score"]) for r in aggregate.rank(totals, use_median=True)] == [("B", 40), ("A", 20)]
    assert [(r["entry"], r["score"]) for r in aggregate.rank(totals)] == [("B", 40), ("A", 40)]   # tie: median


def test_published_figures_are_rounded_to_four_decimals():
    totals = {("J1", "A"): 200 / 3, ("J2", "A"): 100 / 3, ("J3", "A"): 100 / 7}
    row = aggregate.rank(totals)[0]
    assert row["score"] == 38.0952 and row["median"] == 33.3333
    assert row["totals"] == {"J1": 66.6667, "J2": 33.3333, "J3": 14.2857}


def test_a_juror_with_a_small_spread_still_ranks_their_entries():
    totals = aggregate.juror_totals(document({("J1", "A"): 8, ("J1", "B"): 8.15, ("J2", "A"): 5, ("J2", "B"): 2})["scores"],
                                    TEN, "zscore")
    assert totals[("J1", "B")] > totals[("J1", "A")]


def test_normalised_totals_are_clipped_to_the_scale():
    high = dict(zip("ABCDE", [10, 9.6, 9.6, 9.6, 9.6]))
    spread = dict(zip("ABCDE", [10, 10, 0, 10, 10]))
    points = {**{("J1", e): v for e, v in high.items()}, **{("J2", e): v for e, v in spread.items()}}
    totals = aggregate.juror_totals(document(points)["scores"], TEN, "zscore")
    assert totals[("J1", "A")] == 100.0 and totals[("J2", "C")] < 100
    mirrored = {key: 10 - value for key, value in points.items()}
    totals = aggregate.juror_totals(document(mirrored)["scores"], TEN, "zscore")
    assert totals[("J1", "A")] == 0.0 and totals[("J2", "C")] > 0


# --- jury assignment (app/contests/assignment.py) ------------------------------------------------

from app.contests import assignment  # noqa: E402 — grouped with its tests
from app.contests.assignment import EntryInfo, JurorInfo, Plan, plan_assignment  # noqa: E402


def test_without_jurors_every_entry_is_reported_short_and_nothing_breaks():
    entries = [EntryInfo(id=i, author_id=100 + i, group_id=10, faculty_id=1) for i in range(3)]
    plan = plan_assignment(entries, [], 2)
    assert plan.jurors_of == {0: [], 1: [], 2: []}
    assert plan.warnings == [f"entry {i}: only 0 of 2 jurors are allowed to judge it" for i in range(3)]


def test_an_assignment_without_a_seed_draws_from_the_systems_randomness():
    jurors = [JurorInfo(id=j, group_id=None, faculty_id=None) for j in (1, 2, 3)]
    entries = [EntryInfo(id=i, author_id=100 + i, group_id=10, faculty_id=1) for i in range(6)]
    plan = plan_assignment(entries, jurors, 2)
    assert sorted(plan.loads([1, 2, 3]).values()) == [4, 4, 4] and plan.warnings == []


def test_the_warning_counts_each_same_faculty_juror_once():
    jurors = [JurorInfo(id=1, group_id=None, faculty_id=1), JurorInfo(id=2, group_id=None, faculty_id=1)]
    entries = [EntryInfo(id=7, author_id=100, group_id=10, faculty_id=1)]
    plan = plan_assignment(entries, jurors, 2, rng=random.Random(1))
    assert plan.warnings == ["entry 7: 2 juror(s) from the author's faculty (the pool allows no other)"]


def test_balancing_passes_entries_along_a_chain_of_jurors():
    # Juror 1 carries entry 10, which juror 3 may not judge; juror 2 may, and gives entry 11 to juror 3.
    plan = Plan(jurors_of={10: [1], 11: [2]})
    may_take = {(2, 10), (3, 11)}
    path = assignment._augmenting_path([1], lambda juror: juror == 3, plan,
                                       lambda taker, entry, _giver: (taker, entry) in may_take, {1, 2, 3})
    assert path == [(1, 2, 10), (2, 3, 11)]


def test_balancing_moves_an_entry_to_an_other_faculty_juror_before_a_same_faculty_one():
    # All four authors are of faculty 1. Juror 1 (faculty 2) carries three entries, juror 2 (faculty 1)
    # none, juror 3 (faculty 3) one: the first entry moved goes to juror 3, although juror 2 comes first.
    jurors = {1: JurorInfo(1, None, 2), 2: JurorInfo(2, None, 1), 3: JurorInfo(3, None, 3)}
    entries = [EntryInfo(id=e, author_id=100 + e, group_id=10 + e, faculty_id=1) for e in (1, 2, 3, 4)]
    plan = Plan(jurors_of={1: [1], 2: [1], 3: [1], 4: [3]})
    loads = {1: 3, 2: 0, 3: 1}
    assignment._balance(plan, entries, jurors, set(), loads)
    assert plan.jurors_of[1] == [3] and loads == {1: 1, 2: 1, 3: 2}
    assert sum(1 for e in entries for j in plan.jurors_of[e.id] if jurors[j].faculty_id == 1) == 1


# --- plan terms and periods (app/plan/terms.py) ---------------------------------------------------

from datetime import date  # noqa: E402

from app.plan.terms import parse_term  # noqa: E402

YEAR = (date(2024, 9, 1), date(2025, 8, 31))


def test_monthly_periods_run_from_the_first_to_the_last_day_of_each_month():
    periods = parse_term("Monthly", *YEAR)
    assert periods[:2] == [(date(2024, 9, 1), date(2024, 9, 30)), (date(2024, 10, 1), date(2024, 10, 31))]
    assert periods[-1] == (date(2025, 8, 1), date(2025, 8, 31)) and len(periods) == 12


def test_a_period_starting_on_the_last_day_of_the_year_is_kept():
    assert parse_term("Monthly", date(2024, 9, 1), date(2024, 11, 1))[-1] == (date(2024, 11, 1), date(2024, 11, 1))


def test_a_deadline_without_a_year_falls_in_the_academic_year():
    assert parse_term("Till September 20", *YEAR) == [(date(2024, 9, 1), date(2024, 9, 20))]
    assert parse_term("Till December 9", *YEAR) == [(date(2024, 9, 1), date(2024, 12, 9))]
    assert parse_term("Till June 15", *YEAR) == [(date(2024, 9, 1), date(2025, 6, 15))]


def test_a_deadline_with_a_year_keeps_its_year():
    assert parse_term("Till September 1, 2025", *YEAR) == [(date(2024, 9, 1), date(2025, 9, 1))]


def test_a_month_range_over_the_new_year_starts_in_the_year_before():
    assert parse_term("December-February 2025", *YEAR) == [(date(2024, 12, 1), date(2025, 2, 28))]
    assert parse_term("May-May 2025", *YEAR) == [(date(2025, 5, 1), date(2025, 5, 31))]
    assert parse_term("October-November 2025", *YEAR) == [(date(2025, 10, 1), date(2025, 11, 30))]


# --- the XP ledger (app/gamification/service.py) ---------------------------------------------------

from app.gamification.service import improvement_xp  # noqa: E402


def test_quiz_xp_pays_the_gain_over_the_best_earlier_percent_rounded():
    assert improvement_xp(50, 42.86, 0.0) == 21
    assert improvement_xp(50, 100.0, 42.86) == 29
    assert improvement_xp(50, 57.0, 50.0) == 4            # 3.5 rounds to the even 4
    assert improvement_xp(50, 59.0, 50.0) == 4            # 4.5 rounds to the even 4


def test_quiz_xp_pays_nothing_for_an_equal_or_worse_attempt():
    assert improvement_xp(50, 60.0, 60.0) == 0
    assert improvement_xp(50, 40.0, 60.0) == 0
    assert improvement_xp(0, 100.0, 0.0) == 0


# --- coverage status (app/coverage/service.py) -----------------------------------------------------

from types import SimpleNamespace  # noqa: E402

from app.coverage import service as coverage  # noqa: E402

SEPTEMBER = SimpleNamespace(number=1, starts_on=date(2024, 9, 1), ends_on=date(2024, 9, 11))
DECEMBER = SimpleNamespace(number=2, starts_on=date(2024, 12, 1), ends_on=date(2024, 12, 31))


@pytest.mark.parametrize("participants, headcount, target, upcoming, elapsed, expected", [
    (5, 25, 20, False, 0.5, (coverage.MET, 10.0)),           # exactly the target is met
    (4, 25, 20, False, 0.5, (coverage.ON_TRACK, 10.0)),      # 16% where half the term asks 10%
    (5, 50, 20, False, 0.5, (coverage.ON_TRACK, 10.0)),      # exactly what the elapsed time asks
    (2, 25, 20, False, 0.5, (coverage.BEHIND, 10.0)),        # 8%
    (0, 25, 20, False, 0.5, (coverage.NOT_STARTED, 10.0)),
    (3, 0, 20, False, 1.0, (coverage.BEHIND, 20.0)),         # no headcount: 0%, whoever took part
    (0, 25, 0, False, 0.5, (coverage.MET, 0.0)),             # a target of 0% is met by nobody
    (1, 25, None, False, 0.5, (coverage.NO_TARGET, None)),
    (9, 25, 20, True, 0.0, (coverage.UPCOMING, 0.0)),
    (2, 25, 20, False, 0.337, (coverage.ON_TRACK, 6.7)),     # the expected share is rounded to 0.1
    (199, 1000, 20, False, 1.0, (coverage.BEHIND, 20.0)),    # 19.9% is not 20%
    (19, 200, 20, False, 0.5, (coverage.BEHIND, 10.0)),      # 9.5% where 10% is expected
    (3, 0, 1, False, 1.0, (coverage.BEHIND, 1.0)),           # no headcount counts as 0%, even against 1%
])
def test_a_figures_status_against_the_elapsed_part_of_its_term(participants, headcount, target, upcoming, elapsed,
                                                                expected):
    assert coverage.status_from(participants, headcount, target, upcoming, elapsed) == expected


def test_the_elapsed_share_of_a_period():
    assert coverage.timing(SEPTEMBER, date(2024, 8, 31)) == (True, 0.0)
    assert coverage.timing(SEPTEMBER, date(2024, 9, 1)) == (False, 0.0)
    assert coverage.timing(SEPTEMBER, date(2024, 9, 6)) == (False, 0.5)
    assert coverage.timing(SEPTEMBER, date(2024, 9, 11)) == (False, 1.0)
    assert coverage.timing(SEPTEMBER, date(2025, 1, 1)) == (False, 1.0)
    assert coverage.timing(None, date(2024, 9, 6)) == (False, 1.0)
    one_day = SimpleNamespace(number=1, starts_on=date(2024, 12, 9), ends_on=date(2024, 12, 9))
    assert coverage.timing(one_day, date(2024, 12, 9)) == (False, 1.0)          # a one-day period, on its day


def test_the_period_that_counts_on_a_day():
    activity = SimpleNamespace(periods=[SEPTEMBER, DECEMBER])
    assert coverage.period_of(activity, date(2024, 9, 11)) is SEPTEMBER
    assert coverage.period_of(activity, date(2024, 12, 1)) is DECEMBER
    assert coverage.period_of(activity, date(2024, 10, 15)) is SEPTEMBER     # between: the last that began
    assert coverage.period_of(activity, date(2025, 3, 1)) is DECEMBER
    assert coverage.period_of(activity, date(2024, 8, 1)) is SEPTEMBER       # before all: the first
    assert coverage.period_of(SimpleNamespace(periods=[]), date(2024, 9, 1)) is None


def test_status_of_measures_against_the_given_period():
    assert coverage.status_of(2, 10, 20, SEPTEMBER, date(2024, 9, 6)) == (coverage.MET, 10.0)
    assert coverage.status_of(1, 10, 20, SEPTEMBER, date(2024, 9, 6)) == (coverage.ON_TRACK, 10.0)
    assert coverage.status_of(1, 25, 20, SEPTEMBER, date(2024, 9, 6)) == (coverage.BEHIND, 10.0)
    assert coverage.status_of(1, 25, 20, DECEMBER, date(2024, 9, 6)) == (coverage.UPCOMING, 0.0)
    assert coverage.status_of(1, 25, 20, None, date(2024, 9, 6)) == (coverage.BEHIND, 20.0)


# --- sign-in throttling (app/people/throttle.py) -----------------------------------------------------

from app.people import throttle  # noqa: E402


def test_failures_count_per_account_and_per_address_separately(app):
    config = {**app.config, "LOGIN_LIMIT_PER_ACCOUNT": "2 per 5 minutes", "LOGIN_LIMIT_PER_ADDRESS": "3 per 5 minutes"}
    throttle.register_failure(config, "ann@uni.test", "address-1")
    assert not throttle.is_throttled(config, "ann@uni.test", "address-1")
    throttle.register_failure(config, "ann@uni.test", "address-2")
    assert throttle.is_throttled(config, "ann@uni.test", "address-3")          # the account: 2 of 2
    assert not throttle.is_throttled(config, "bob@uni.test", "address-1")     # the address: 1 of 3
    throttle.register_failure(config, "bob@uni.test", "address-1")
    throttle.register_failure(config, "cem@uni.test", "address-1")
    assert throttle.is_throttled(config, "dan@uni.test", "address-1")          # the address: 3 of 3
    assert not throttle.is_throttled(config, "dan@uni.test", None)             # no trusted address: account only


def test_a_success_forgets_the_accounts_failures_but_not_the_addresss(app):
    config = {**app.config, "LOGIN_LIMIT_PER_ACCOUNT": "1 per 5 minutes", "LOGIN_LIMIT_PER_ADDRESS": "1 per 5 minutes"}
    throttle.register_failure(config, "ann@uni.test", "address-1")
    throttle.clear_account(config, "ann@uni.test")
    assert not throttle.is_throttled(config, "ann@uni.test", None)
    assert throttle.is_throttled(config, "ann@uni.test", "address-1")


def test_an_accounts_key_is_a_keyed_hash_of_its_e_mail(app):
    keys = throttle._keys(app.config, "ann@uni.test", "address-1")
    other = throttle._keys({**app.config, "SECRET_KEY": "another secret"}, "ann@uni.test", None)
    assert re.fullmatch(r"[0-9a-f]{32}", keys["account"]) and "ann" not in keys["account"]
    assert keys["account"] != other["account"] and keys["address"] == "address-1" and other["address"] is None


# --- the XP ledger, in the database -------------------------------------------------------------------

import logging  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from sqlalchemy import select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.gamification import service as game  # noqa: E402
from app.gamification.models import XpEvent  # noqa: E402

MONDAY = datetime(2024, 10, 7, 12, 0)
MIDNIGHT = datetime(2024, 10, 7)


def pay(user, ref, *, kind="event", amount=15, when=MONDAY, reason="Event"):
    return game.record_xp(user.id, amount=amount, reason=reason, source_type=kind, source_ref=ref, when=when)


def test_only_a_positive_amount_is_recorded(app, make_user):
    person = make_user()
    assert not pay(person, "nothing", kind="lesson", amount=0)
    assert pay(person, "one", kind="lesson", amount=1)
    assert db.session.execute(select(XpEvent.amount).where(XpEvent.user_id == person.id)).scalars().all() == [1]
    assert game.xp_total(make_user().id) == 0                     # nobody's XP sums to 0, not to nothing


def test_the_daily_event_cap_counts_the_persons_events_of_that_day_only(app, make_user):
    person, other = make_user(), make_user()
    pay(other, "o1"), pay(other, "o2")                             # someone else's events
    pay(person, "lesson", kind="lesson", amount=20)                # a lesson is not an event
    pay(person, "late-1", when=MIDNIGHT + timedelta(days=1))       # the next day, at its first moment
    pay(person, "late-2", when=MIDNIGHT + timedelta(days=1, hours=1))
    assert pay(person, "first") and pay(person, "second")
    assert not pay(person, "third")


def test_events_at_midnight_belong_to_the_day_they_open(app, make_user):
    person = make_user()
    assert pay(person, "m1", when=MIDNIGHT) and pay(person, "m2", when=MIDNIGHT)
    assert not pay(person, "noon")


def test_reasons_and_references_are_cut_to_their_columns(app, make_user):
    person = make_user()
    pay(person, "r" * 120, kind="entry", amount=40, reason="x" * 300)
    game.reverse_xp(person.id, source_type="entry", source_ref="r" * 120, when=MONDAY)
    rows = db.session.execute(select(XpEvent).where(XpEvent.user_id == person.id).order_by(XpEvent.id)).scalars().all()
    assert [(r.reason, r.source_ref) for r in rows] == [("x" * 200, "r" * 80), ("Taken back: entry " + "r" * 80, "r" * 80)]
    assert rows[1].source_type == "entry-reversal" and rows[1].amount == -40 and rows[1].created_at == MONDAY


def test_each_xp_payment_is_logged_with_its_amount_person_and_source(app, make_user, caplog):
    person = make_user()
    with caplog.at_level(logging.INFO, logger="app.gamification.service"):
        pay(person, "7", kind="lesson", amount=20)
    assert f"xp +20 for user {person.id} (lesson 7)" in caplog.messages


def test_a_reversal_takes_back_that_persons_payment_for_that_source_only(app, make_user):
    person, other = make_user(), make_user()
    pay(person, "E-1", kind="entry", amount=40)
    pay(person, "E-2", kind="entry", amount=25)
    assert not game.reverse_xp(other.id, source_type="entry", source_ref="E-1")      # not theirs to lose
    assert not game.reverse_xp(person.id, source_type="entry", source_ref="E-9")     # nothing was paid
    assert game.reverse_xp(person.id, source_type="entry", source_ref="E-2")
    db.session.commit()
    assert game.xp_total(person.id) == 40 and game.xp_total(other.id) == 0


def test_level_progress_and_the_next_threshold(app):
    assert (game.level_for(100).xp, game.level_for(100).next_xp) == (100, 150)
    assert (game.level_for(499).progress, game.level_for(499).next_xp) == (99, 500)    # 199 of 200 points
    assert (game.level_for(600).number, game.level_for(600).next_xp) == (5, 800)      # the last level but one
    assert (game.level_for(5000).progress, game.level_for(5000).next_xp) == (100, None)


def test_a_level_can_start_at_one_point(app, tmp_path):
    (tmp_path / "game.toml").write_text('[[levels]]\nxp = 0\nname = "Zero"\n\n[[levels]]\nxp = 1\nname = "One"\n',
                                        encoding="utf-8")
    app.config["GAME_FILE"] = str(tmp_path / "game.toml")
    assert game.level_for(0).name == "Zero" and game.level_for(1).name == "One"


def test_a_streak_counts_the_persons_learning_weeks_up_to_sixty_back(app, make_user):
    person, other = make_user(), make_user()
    friday = MIDNIGHT + timedelta(days=4)
    for week in range(1, 70):          # every Friday at 00:00 for 69 weeks, but not yet this week
        pay(person, f"w{week}", kind="lesson", amount=5, when=friday - timedelta(weeks=week))
    pay(other, "now", kind="lesson", amount=5, when=friday)
    db.session.commit()
    # This week has no learning yet, so the streak ends last week; it looks back 60 weeks to the day.
    assert game.streak_weeks(person.id, friday.date()) == 60
    assert game.streak_weeks(other.id, friday.date() - timedelta(weeks=1)) == 0
