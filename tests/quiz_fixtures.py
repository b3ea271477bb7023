"""A small quiz with every question type, for tests."""
ALL_TYPES = '''
title = "Every type"
description = "One of each."
activity = "2.2"
time_limit_minutes = 10
attempts = 2
grading = "highest"
pass_percent = 60
shuffle_questions = true
shuffle_options = true
feedback = "after_attempt"
xp = 50
questions_per_page = 3

[[questions]]
key = "single-bribe"
category = "a"
type = "single"
text = "Which is a bribe?"
options = ["A receipt", "Money for a grade", "A library card"]
answer = 1
explanation = "Money for a grade is a bribe."

[[questions]]
key = "multiple-plagiarism"
category = "a"
type = "multiple"
text = "Which are plagiarism?"
options = ["Copying without quotes", "Citing a source", "Buying an essay", "Paraphrasing with a reference"]
answer = [0, 2]
explanation = "Copying and buying are plagiarism."

[[questions]]
key = "tf-giver"
category = "a"
type = "true_false"
text = "Only the person who takes a bribe commits a crime."
answer = false
explanation = "Giving a bribe is a crime too."

[[questions]]
key = "numeric-year"
category = "b"
type = "numeric"
text = "In which year did the Law come into force?"
answer = 2016
tolerance = 0
explanation = "1 January 2016."

[[questions]]
key = "short-hotline"
category = "b"
type = "short_text"
text = "The call-centre number?"
accepted = ["1424"]
explanation = "1424."

[[questions]]
key = "matching-articles"
category = "b"
type = "matching"
text = "Match."
pairs = [["Receiving a bribe", "Art. 366"], ["Giving a bribe", "Art. 367"], ["Mediation", "Art. 368"]]
explanation = "366, 367, 368."

[[questions]]
key = "ordering-report"
category = "b"
type = "ordering"
text = "Order the steps."
items = ["Refuse", "Write down the facts", "Report"]
explanation = "Refuse, record, report."
'''

# The right answer to every question of ALL_TYPES in the bank's terms (option indices, places),
# with numbers and text as a person would type them.
RIGHT = {
    "single-bribe": 1,
    "multiple-plagiarism": [0, 2],
    "tf-giver": False,
    "numeric-year": "2016",
    "short-hotline": " 1424 ",
    "matching-articles": {0: 0, 1: 1, 2: 2},
    "ordering-report": {0: 1, 1: 2, 2: 3},
}


def form_for(attempt, answers: dict, secret: str = "test-secret-key") -> dict:
    """The fields a student's browser posts for these answers in this attempt (names and values are its tokens)."""
    from app.quizzes.service import InputTokens

    tokens, form = InputTokens(attempt, secret), {}
    drawn = {entry["key"] for entry in attempt.layout}
    for key, answer in answers.items():
        if key not in drawn:
            continue
        question = attempt.version.question(key)
        value_of = {meaning: token for token, meaning in tokens.values(question).items()}
        if question["type"] in ("single", "true_false"):
            form[tokens.ref(key)] = value_of[answer]
        elif question["type"] == "multiple":
            form[tokens.ref(key)] = [value_of[index] for index in answer]
        elif question["type"] in ("numeric", "short_text"):
            form[tokens.ref(key)] = answer
        else:
            slots = tokens.slots(question)
            form.update({slots[index]: value_of[meaning] for index, meaning in answer.items()})
    return form
