"""The rule modules, case by case: each test pins down an edge that the feature tests leave loose.

They were written against the mutants that `python tools/mutation.py` found alive (see
docs/mutation-report.md): every one of these tests fails on some small deliberate bug.
"""
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
