"""How each question type is scored. Every function returns the share of the question's points, 0 to 1.

- single, true_false: 1 for the right answer, else 0.
- multiple: partial credit with a penalty, so that ticking everything never pays:
      share = max(0, right_ticked / right_total - wrong_ticked / wrong_total)
  Ticking every option gives 1 - 1 = 0; ticking nothing gives 0.
- numeric: 1 when |response - answer| <= tolerance.
- short_text: 1 when the response, trimmed, with runs of spaces folded, Unicode-NFKC-normalised and
  case-folded, equals one of the accepted answers treated the same way.
- matching: the share of left-hand items matched to their right-hand partner.
- ordering: the share of items placed at their correct position.
"""
import math
import unicodedata


def normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())


def score_single(question: dict, response) -> float:
    return 1.0 if isinstance(response, int) and not isinstance(response, bool) and response == question["answer"] else 0.0


def score_true_false(question: dict, response) -> float:
    return 1.0 if isinstance(response, bool) and response == question["answer"] else 0.0


def score_multiple(question: dict, response) -> float:
    if not isinstance(response, list):
        return 0.0
    ticked = {r for r in response if isinstance(r, int) and 0 <= r < len(question["options"])}
    right = set(question["answer"])
    wrong = set(range(len(question["options"]))) - right
    share = len(ticked & right) / len(right) - (len(ticked & wrong) / len(wrong) if wrong else 0.0)
    return max(0.0, round(share, 6))


def score_numeric(question: dict, response) -> float:
    if isinstance(response, bool) or not isinstance(response, (int, float)) or not math.isfinite(response):
        return 0.0
    return 1.0 if abs(response - question["answer"]) <= question.get("tolerance", 0) + 1e-9 else 0.0


def score_short_text(question: dict, response) -> float:
    if not isinstance(response, str) or not response.strip():
        return 0.0
    return 1.0 if normalise_text(response) in {normalise_text(a) for a in question["accepted"]} else 0.0


def score_matching(question: dict, response) -> float:
    """`response` maps each left index (as text) to the index of the chosen right-hand text."""
    if not isinstance(response, dict):
        return 0.0
    pairs = question["pairs"]
    right = sum(1 for i in range(len(pairs)) if response.get(str(i)) == i)
    return right / len(pairs)


def score_ordering(question: dict, response) -> float:
    """`response` maps each item index (as text) to the 1-based position the person gave it."""
    if not isinstance(response, dict):
        return 0.0
    items = question["items"]
    right = sum(1 for i in range(len(items)) if response.get(str(i)) == i + 1)
    return right / len(items)


SCORERS = {
    "single": score_single,
    "multiple": score_multiple,
    "true_false": score_true_false,
    "numeric": score_numeric,
    "short_text": score_short_text,
    "matching": score_matching,
    "ordering": score_ordering,
}
TYPES = tuple(SCORERS)


def score(question: dict, response) -> float:
    """Return the share (0..1) of the question's points that `response` earns."""
    if response is None:
        return 0.0
    return SCORERS[question["type"]](question, response)
