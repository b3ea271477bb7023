"""Contest results from sealed jury scores — a self-contained module (standard library only).

It is shipped inside every published results bundle, so anyone can recompute the ranking:

    python aggregate.py results.json

The method, step by step:

1. Per-juror weighted total. A juror's score for an entry is, on a 0–100 scale,
       T = 100 · Σ_c (w_c · v_c / S_c) / Σ_c w_c
   where v_c is the points given on criterion c, S_c its scale maximum and w_c its weight.
2. Normalisation (optional, "zscore"). Jurors differ in severity, so each juror's totals are
   turned into z-scores over the entries that juror scored, z = (T − mean_j) / sd_j, and rescaled
   to the whole panel's scale: T' = M + z · SD, where M and SD are the mean and the (population)
   standard deviation of all totals of all jurors, then clipped to 0–100. A juror who gives every
   entry the same total (sd_j = 0), or scores a single entry, carries no ranking information:
   each of their totals becomes M.
3. Entry score = the mean of its jurors' totals; with five or more jurors, the trimmed mean
   (the single highest and the single lowest total are left out).
4. Ranking by entry score, highest first. Ties are broken, in this order, by the higher median
   of the entry's totals, then by more first-rank votes, and otherwise the entries share the
   place (the next place is skipped: 1, 1, 3).
   Rounding: scores and medians are computed from the unrounded totals, then rounded to 4
   decimal places (Python's round(), half to even); the ranking compares these rounded figures,
   so two entries are tied when their rounded scores (and medians) are equal. The totals are
   published rounded to 4 decimals as well; pages show every figure to 2 decimals.
   First-rank votes: each juror gives one vote to the entry with their highest total, compared
   rounded to 4 decimals. A juror whose highest total is shared by two or more entries gives no
   first-rank vote at all — none of those entries gets it.
5. Robustness. The winners (every entry placed within the prizes) are recomputed (a) leaving out
   each juror in turn and (b) with the median instead of the mean. The result is "robust" only if
   the winners and their places stay the same in every case.
"""
import json
import statistics
import sys


def weighted_total(values: dict, criteria: list) -> float:
    """Step 1: one juror's 0–100 total for one entry."""
    weights = sum(c["weight"] for c in criteria)
    return 100.0 * sum(c["weight"] * values[c["key"]] / c["scale"] for c in criteria) / weights


def juror_totals(scores: list, criteria: list, normalisation: str) -> dict:
    """Steps 1–2: {(juror, entry): total} from [{"juror", "entry", "values"}]."""
    totals = {(s["juror"], s["entry"]): weighted_total(s["values"], criteria) for s in scores}
    if normalisation != "zscore" or not totals:
        return totals
    panel = list(totals.values())
    panel_mean, panel_sd = statistics.fmean(panel), statistics.pstdev(panel)
    by_juror = {}
    for (juror, entry), total in totals.items():
        by_juror.setdefault(juror, []).append(total)
    normalised = {}
    for (juror, entry), total in totals.items():
        own = by_juror[juror]
        sd = statistics.pstdev(own) if len(own) > 1 else 0.0
        z = (total - statistics.fmean(own)) / sd if sd > 1e-9 else 0.0
        normalised[(juror, entry)] = min(100.0, max(0.0, panel_mean + z * panel_sd))
    return normalised


def entry_score(values: list, use_median: bool = False) -> float:
    """Step 3: mean of the totals (trimmed with five or more), or their median."""
    if use_median:
        return statistics.median(values)
    if len(values) >= 5:
        values = sorted(values)[1:-1]
    return statistics.fmean(values)


def rank(totals: dict, use_median: bool = False) -> list:
    """Steps 3–4: [{"entry", "score", "median", "first_votes", "place", "totals"}] best first."""
    per_entry, best_of_juror = {}, {}
    for (juror, entry), total in totals.items():
        per_entry.setdefault(entry, {})[juror] = total
        total = round(total, 4)     # a tie at the top is a tie of the published (rounded) totals
        if juror not in best_of_juror or total > best_of_juror[juror][0]:
            best_of_juror[juror] = (total, [entry])
        elif total == best_of_juror[juror][0]:
            best_of_juror[juror][1].append(entry)
    first_votes = {}
    for _total, entries in best_of_juror.values():
        if len(entries) == 1:
            first_votes[entries[0]] = first_votes.get(entries[0], 0) + 1
    rows = []
    for entry, by_juror in per_entry.items():
        values = list(by_juror.values())
        rows.append({"entry": entry, "score": round(entry_score(values, use_median), 4),
                     "median": round(statistics.median(values), 4), "first_votes": first_votes.get(entry, 0),
                     "totals": {j: round(t, 4) for j, t in sorted(by_juror.items())}})
    rows.sort(key=lambda r: (-r["score"], -r["median"], -r["first_votes"], r["entry"]))
    place, previous = 0, None
    for index, row in enumerate(rows, start=1):
        key = (row["score"], row["median"], row["first_votes"])
        if key != previous:
            place, previous = index, key
        row["place"] = place
    return rows


def winners(rows: list, places: int) -> list:
    return [(row["entry"], row["place"]) for row in rows if row["place"] <= places]


def compute(data: dict) -> dict:
    """Steps 1–5 on a results document: {"criteria", "normalisation", "places", "scores"}."""
    totals = juror_totals(data["scores"], data["criteria"], data.get("normalisation", "none"))
    rows = rank(totals)
    places = data.get("places", 3)
    base = winners(rows, places)
    checks = {"median instead of mean": winners(rank(totals, use_median=True), places) == base}
    for juror in sorted({j for j, _e in totals}):
        others = [s for s in data["scores"] if s["juror"] != juror]
        without = juror_totals(others, data["criteria"], data.get("normalisation", "none"))
        checks[f"without juror {juror}"] = winners(rank(without), places) == base
    return {"ranking": rows, "robust": all(checks.values()), "checks": checks}


if __name__ == "__main__":  # pragma: no cover - a convenience for people checking a bundle
    with open(sys.argv[1], encoding="utf-8") as handle:
        document = json.load(handle)
    result = compute(document)
    for row in result["ranking"]:
        print(f"{row['place']:>3}  {row['entry']:<12} {row['score']:8.2f}  median {row['median']:.2f}  "
              f"first votes {row['first_votes']}")
    print("robust" if result["robust"] else "not robust: " + ", ".join(k for k, ok in result["checks"].items() if not ok))
