"""Demo data for the survey and the reporting channel.

The winter wave gets answers from ten demo students and is published; the spring wave is moved
to be open now, with answers from eleven students — all but student1, who can answer it in the
demo. Two reports show the ACS's side: one answered and under review, one closed. The Clean
Session survey's winter-session wave is open around today, with no answers yet.
"""
import random
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.people.models import utcnow
from app.reports import service as reports
from app.reports.models import CLOSED, UNDER_REVIEW, Report
from app.surveys import service as surveys
from app.surveys.models import Survey

SLUG = "perception-survey-2024-2025"
CLEAN_SESSION, CLEAN_SESSION_WAVE = "clean-session-survey", "winter-session-2024-2025"
REPORTS = [
    ("exam", "A teacher of the second-year statistics course said that students who buy his printed lecture notes "
             "for 15,000 tenge will get the exam questions in advance.", UNDER_REVIEW, None,
     "Thank you for the report. We have opened a review and will not reveal who reported it."),
    ("dormitory", "Places in dormitory 3 were given to students who paid the warden, while others on the waiting "
                  "list with priority were told there was no room.", CLOSED, "confirmed, measures taken",
     "The review confirmed it. The warden has been dismissed and the places re-allocated by the published list."),
]


def _answers(survey: Survey, rng: random.Random, mood: float) -> tuple[dict, dict]:
    answers, texts = {}, {}
    for question in survey.questions:
        if question["type"] == "single":
            weights = [1 + mood * (len(question["options"]) - i) for i in range(len(question["options"]))]
            answers[question["key"]] = rng.choices(range(len(question["options"])), weights)[0]
        elif question["type"] == "multiple":
            answers[question["key"]] = sorted(rng.sample(range(len(question["options"]) - 1), rng.randint(1, 2)))
        elif question["type"] == "scale":
            answers[question["key"]] = min(question["points"], max(1, round(rng.gauss(2.5 + mood, 1))))
    return answers, texts


def build(users: dict, admin) -> list[str]:
    survey = db.session.execute(select(Survey).where(Survey.slug == SLUG)).scalar_one_or_none()
    lines = []
    if survey is not None and len(survey.waves) >= 2:
        winter, spring = survey.waves[0], survey.waves[1]
        if winter.published_at is None:
            day = winter.opens_on + timedelta(days=5)
            for number in range(2, 12):
                user = users[f"student{number}@sanaly.test"]
                if not surveys.has_answered(winter, user.id):
                    surveys.respond(user, winter, *_answers(survey, random.Random(number), 0.3), day)
            surveys.publish(winter, admin, utcnow())
        today = utcnow().date()
        spring.opens_on, spring.closes_on = today - timedelta(days=7), today + timedelta(days=30)
        db.session.commit()
        if spring.published_at is None:
            for number in range(2, 13):
                user = users[f"student{number}@sanaly.test"]
                if not surveys.has_answered(spring, user.id):
                    answers, _texts = _answers(survey, random.Random(100 + number), 1.0)
                    texts = {"make-more-transparent": "Publish the dormitory waiting list and who got a place."} \
                        if number % 4 == 0 else {}
                    surveys.respond(user, spring, answers, texts, today)
        lines.append(f"survey: “{winter.title}” published; “{spring.title}” open until {spring.closes_on} "
                     f"({surveys.respondents(spring)} answers so far; student1 has not answered)")
    today = utcnow().date()
    for category, what, status, outcome, answer in REPORTS:
        if db.session.execute(select(Report).where(Report.what == what)).scalar_one_or_none():
            continue
        filed = reports.file_report(category=category, what=what, place="", happened="", anonymous=True, contact="",
                                    user=None, files=[], folder=None, today=today - timedelta(days=12))
        reports.officer_message(filed.report, admin, answer, internal=False, today=today - timedelta(days=9))
        reports.change_status(filed.report, admin, status, outcome or "", today - timedelta(days=8))
        lines.append(f"report {filed.report.code} ({status}): follow it with the passphrase {filed.passphrase}")
    clean = db.session.execute(select(Survey).where(Survey.slug == CLEAN_SESSION)).scalar_one_or_none()
    wave = next((w for w in clean.waves if w.key == CLEAN_SESSION_WAVE), None) if clean is not None else None
    if wave is not None:           # by key, not position: moving it changes the waves' order
        wave.opens_on, wave.closes_on = today - timedelta(days=3), today + timedelta(days=21)
        db.session.commit()
        lines.append(f"survey: “{wave.title}” (Clean Session) open until {wave.closes_on}")
    return lines
