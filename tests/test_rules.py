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


TEN = [{"key": "v", "weight": 1, "scale": 10}]


def document(points: dict, **settings) -> dict:
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
