"""Contest rules as plain functions: jury assignment (property-based) and results arithmetic."""
import itertools
import random

import pytest
from hypothesis import given, settings, strategies as st

from app.contests import aggregate
from app.contests.assignment import EntryInfo, JurorInfo, allowed, plan_assignment


@st.composite
def scenarios(draw):
    faculties = [1, 2, 3]
    jurors = [JurorInfo(id=100 + i, group_id=draw(st.sampled_from([None, None, None, 11, 21])),
                        faculty_id=draw(st.sampled_from(faculties + [None])))
              for i in range(draw(st.integers(3, 9)))]
    entries = [EntryInfo(id=i, author_id=1000 + i, group_id=draw(st.sampled_from([11, 12, 21, 22, 31])),
                         faculty_id=None) for i in range(draw(st.integers(1, 30)))]
    entries = [EntryInfo(e.id, e.author_id, e.group_id, e.group_id // 10) for e in entries]
    k = draw(st.integers(1, 3))
    conflicts = set()
    for entry in entries:
        if draw(st.booleans()) and draw(st.booleans()):
            conflicts.add((draw(st.sampled_from(jurors)).id, entry.id))
    return entries, jurors, k, conflicts, draw(st.integers(0, 2**32))


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_assignment_rules_hold(scenario):
    entries, jurors, k, conflicts, seed = scenario
    plan = plan_assignment(entries, jurors, k, conflicts, random.Random(seed))
    by_id = {j.id: j for j in jurors}
    for entry in entries:
        chosen = plan.jurors_of[entry.id]
        possible = sum(1 for j in jurors if allowed(entry, j, conflicts))
        assert len(chosen) == min(k, possible)                  # k jurors wherever k are allowed
        assert len(set(chosen)) == len(chosen)                  # distinct
        for juror_id in chosen:
            juror = by_id[juror_id]
            assert (juror_id, entry.id) not in conflicts        # conflicts respected
            assert juror.group_id is None or juror.group_id != entry.group_id   # never own group
        same = sum(1 for j in chosen if by_id[j].faculty_id == entry.faculty_id)
        if same:                                                # own faculty only with a visible warning
            assert any(f"entry {entry.id}:" in w and "faculty" in w for w in plan.warnings)
    loads = plan.loads(by_id)
    spread = max(loads.values()) - min(loads.values())
    if all(all(allowed(e, j, conflicts) for j in jurors) for e in entries):
        assert spread <= 1                                      # always balanced when nothing forbids it
    assert (spread <= 1) == (not any("could not be balanced" in w for w in plan.warnings))


@st.composite
def small_scenarios(draw):
    jurors = [JurorInfo(id=100 + i, group_id=draw(st.sampled_from([None, None, 11])), faculty_id=None)
              for i in range(draw(st.integers(2, 4)))]
    entries = [EntryInfo(id=i, author_id=1000 + i, group_id=draw(st.sampled_from([11, 12])), faculty_id=None)
               for i in range(draw(st.integers(1, 4)))]
    conflicts = {(draw(st.sampled_from(jurors)).id, e.id) for e in entries if draw(st.booleans())}
    return entries, jurors, draw(st.integers(1, 2)), conflicts, draw(st.integers(0, 2**32))


@settings(max_examples=200, deadline=None)
@given(small_scenarios())
def test_assignment_is_as_balanced_as_any_valid_assignment(scenario):
    """Against brute force: no valid assignment with k jurors per entry has a smaller spread."""
    entries, jurors, k, conflicts, seed = scenario
    choices = []
    for entry in entries:
        pool = [j.id for j in jurors if allowed(entry, j, conflicts)]
        choices.append(list(itertools.combinations(pool, min(k, len(pool)))))
    best = min(
        (lambda loads: max(loads.values()) - min(loads.values()))(
            {j.id: sum(j.id in combo for combo in picked) for j in jurors})
        for picked in itertools.product(*choices))
    plan = plan_assignment(entries, jurors, k, conflicts, random.Random(seed))
    loads = plan.loads([j.id for j in jurors])
    assert max(loads.values()) - min(loads.values()) == best


def test_other_faculty_jurors_are_preferred():
    jurors = [JurorInfo(id=1, group_id=None, faculty_id=1), JurorInfo(id=2, group_id=None, faculty_id=2),
              JurorInfo(id=3, group_id=None, faculty_id=2)]
    entries = [EntryInfo(id=i, author_id=100 + i, group_id=10, faculty_id=1) for i in range(2)]
    plan = plan_assignment(entries, jurors, 1, rng=random.Random(3))
    assert sorted(j for js in plan.jurors_of.values() for j in js) == [2, 3] and plan.warnings == []


def test_balance_with_a_clean_pool():
    jurors = [JurorInfo(id=j, group_id=None, faculty_id=None) for j in (1, 2, 3)]
    entries = [EntryInfo(id=i, author_id=100 + i, group_id=10, faculty_id=1) for i in range(10)]
    plan = plan_assignment(entries, jurors, 2, rng=random.Random(4))
    assert sorted(plan.loads([1, 2, 3]).values()) == [6, 7, 7]
    assert plan.warnings == []


def test_a_juror_never_judges_their_own_entry():
    jurors = [JurorInfo(id=j, group_id=None, faculty_id=None) for j in (1, 2)]
    entries = [EntryInfo(id=7, author_id=1, group_id=None, faculty_id=None)]
    plan = plan_assignment(entries, jurors, 2, rng=random.Random(1))
    assert plan.jurors_of[7] == [2] and "only 1 of 2 jurors" in plan.warnings[0]


# --- results arithmetic, against figures computed by hand -------------------------------------

CRITERIA = [{"key": "idea", "weight": 2, "scale": 10}, {"key": "style", "weight": 1, "scale": 5}]


def scores(table):
    return [{"juror": j, "entry": e, "values": {"idea": i, "style": s}} for (j, e), (i, s) in table.items()]


def test_weighted_total():
    # 100 · (2·8/10 + 1·4/5) / 3 = 100 · (1.6 + 0.8) / 3 = 80
    assert aggregate.weighted_total({"idea": 8, "style": 4}, CRITERIA) == pytest.approx(80)


def test_mean_ranking_and_first_votes():
    data = {"criteria": CRITERIA, "places": 1, "scores": scores({
        ("J1", "A"): (8, 4), ("J1", "B"): (6, 3),      # A 80, B 60
        ("J2", "A"): (7, 5), ("J2", "B"): (9, 2),      # A 80, B 73.33
        ("J3", "A"): (5, 5), ("J3", "B"): (5, 5),      # A 66.67, B 66.67
    })}
    result = aggregate.compute(data)
    a, b = result["ranking"]
    assert a["entry"] == "A" and a["score"] == pytest.approx((80 + 80 + 200 / 3) / 3, abs=1e-3)
    assert b["score"] == pytest.approx((60 + 220 / 3 + 200 / 3) / 3, abs=1e-3)
    assert a["first_votes"] == 2 and b["first_votes"] == 0      # J3 scored both alike: no vote
    assert result["robust"]


def test_zscore_with_hand_computed_figures():
    # J1 totals: A 80, B 60 → mean 70, sd 10 → z = +1, −1.
    # J2 totals: A 40, B 40 → sd 0 → both become the panel mean.
    # Panel: 80, 60, 40, 40 → mean 55, population sd = sqrt((625 + 25 + 225 + 225) / 4) = sqrt(275).
    data = {"criteria": CRITERIA, "normalisation": "zscore", "places": 1, "scores": scores({
        ("J1", "A"): (8, 4), ("J1", "B"): (6, 3), ("J2", "A"): (4, 2), ("J2", "B"): (4, 2)})}
    totals = aggregate.juror_totals(data["scores"], CRITERIA, "zscore")
    sd = 275 ** 0.5
    assert totals[("J1", "A")] == pytest.approx(55 + sd)
    assert totals[("J1", "B")] == pytest.approx(55 - sd)
    assert totals[("J2", "A")] == pytest.approx(55) and totals[("J2", "B")] == pytest.approx(55)


def test_trimmed_mean_with_five_jurors():
    assert aggregate.entry_score([10, 50, 60, 70, 100]) == pytest.approx(60)
    assert aggregate.entry_score([10, 50, 60, 70]) == pytest.approx(47.5)
    assert aggregate.entry_score([10, 50, 60, 70], use_median=True) == pytest.approx(55)


def test_tie_break_by_median_then_first_votes_then_shared_place():
    totals = {("J1", "A"): 90, ("J2", "A"): 50, ("J3", "A"): 70,     # mean 70, median 70
              ("J1", "B"): 60, ("J2", "B"): 80, ("J3", "B"): 70,     # mean 70, median 70; J2's first vote
              ("J1", "C"): 70, ("J2", "C"): 70, ("J3", "C"): 70}     # mean 70, median 70
    rows = aggregate.rank(totals)
    # A has J1's first vote, B has J2's; J3 scored all three alike (no vote): A and B tie, share place 1.
    assert [(r["entry"], r["place"]) for r in rows] == [("A", 1), ("B", 1), ("C", 3)]
    totals[("J3", "A")] = 71                                          # now A: mean 70.33 → clear first
    assert [r["entry"] for r in aggregate.rank(totals)][0] == "A"


def test_a_result_that_hangs_on_one_juror_is_not_robust():
    data = {"criteria": CRITERIA, "places": 1, "scores": scores({
        ("J1", "A"): (10, 5), ("J1", "B"): (2, 1),
        ("J2", "A"): (5, 2), ("J2", "B"): (6, 3),
        ("J3", "A"): (5, 2), ("J3", "B"): (6, 3)})}
    result = aggregate.compute(data)
    assert result["ranking"][0]["entry"] == "A"
    assert not result["robust"] and result["checks"]["without juror J1"] is False


def test_a_juror_whose_top_totals_tie_once_rounded_gives_no_first_rank_vote():
    # J1's totals for A and B differ only below the published 4 decimals: a tie at the top, no vote.
    totals = {("J1", "A"): 70.00001, ("J1", "B"): 70.000014, ("J1", "C"): 40,
              ("J2", "A"): 60, ("J2", "B"): 80, ("J2", "C"): 50}
    rows = {r["entry"]: r for r in aggregate.rank(totals)}
    assert rows["A"]["totals"]["J1"] == rows["B"]["totals"]["J1"] == 70.0
    assert (rows["A"]["first_votes"], rows["B"]["first_votes"]) == (0, 1)     # only J2's vote, for B


def test_the_method_states_its_rounding_and_how_tied_top_scores_vote():
    method = " ".join(aggregate.__doc__.split())
    assert "then rounded to 4 decimal places" in method and "the ranking compares these rounded figures" in method
    assert "whose highest total is shared by two or more entries gives no first-rank vote" in method
