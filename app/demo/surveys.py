"""Demo data for the survey and the reporting channel.

The survey's two waves take the file's dates moved to the demo's academic year: a wave that has
closed by today gets answers from ten demo students and is published; the wave open today has
answers from eleven — all but student1, who can answer it in the demo; a later wave waits. Two
reports show the ACS's side: one answered and under review, one closed. The Clean Session survey's
waves move the same way, with the next one open today and no answers yet.
"""
import random
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.demo.plan import STAYS_OPEN
from app.extensions import db
from app.reports import service as reports
from app.reports.models import CLOSED, UNDER_REVIEW, Report
from app.surveys import service as surveys
from app.surveys.loader import read_survey
from app.surveys.models import Survey

SLUG = "perception-survey-2024-2025"
CLEAN_SESSION = "clean-session-survey"
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


def _calendar_waves(calendar, survey: Survey, spec: dict) -> None:
    """Put the survey's titles and waves in the demo's academic year (the file's dates, moved).

    When no wave holds today, the next one this year opens early (a week ago, not before the
    previous wave closed): its deadline stays the plan's, and student1 has a wave to answer.
    The wave open today stays open at least another day (STAYS_OPEN): made on its last day (by the
    university's date), the demo would see it close at midnight, so it closes tomorrow instead (and
    a wave that would open by then opens the day after)."""
    survey.title = calendar.shift(spec["title"])
    survey.translations = {language: {**table, "title": calendar.shift(table.get("title", "")),
                                      "waves": calendar.shift(table.get("waves", {}))}
                           for language, table in spec["translations"].items()}
    by_key = {w.key: w for w in survey.waves}
    previous_close = calendar.plan.starts_on - timedelta(days=1)
    for item in sorted(spec["waves"], key=lambda w: w["opens_on"]):
        wave = by_key.get(item["key"])
        if wave is None:
            continue
        wave.title = calendar.shift(item["title"])
        wave.opens_on, wave.closes_on = calendar.shift(item["opens_on"]), calendar.shift(item["closes_on"])
        previous_close = wave.closes_on if wave.closes_on < calendar.today else previous_close
    ahead = sorted((w for w in survey.waves if w.closes_on >= calendar.today), key=lambda w: w.opens_on)
    if not ahead:
        return
    current, *later = ahead
    if not current.is_open(calendar.today):
        current.opens_on = max(previous_close + timedelta(days=1), calendar.today - timedelta(days=7))
    if current.closes_on < calendar.today + STAYS_OPEN:
        current.closes_on = calendar.today + STAYS_OPEN
        for wave in later:
            if wave.opens_on <= current.closes_on:       # the next wave still opens after it has closed
                wave.opens_on = current.closes_on + timedelta(days=1)
                wave.closes_on = max(wave.closes_on, wave.opens_on)


def build(calendar, users: dict, admin) -> tuple[list[str], list[str]]:
    """Answer and publish the waves that have closed, answer the open one (all but student1), and
    file the two reports once; return steps and the summary (the reports' passphrases, first run only)."""
    survey = db.session.execute(select(Survey).where(Survey.slug == SLUG)).scalar_one_or_none()
    lines, summary = [], []
    today = calendar.today
    if survey is not None:
        _calendar_waves(calendar, survey, read_survey(Path(current_app.config["CONTENT_FOLDER"]) / "quizzes" / f"{SLUG}.toml"))
        db.session.commit()
        for index, wave in enumerate(sorted(survey.waves, key=lambda w: w.opens_on)):
            if wave.opens_on > today:
                lines.append(f"survey wave “{wave.title}”: opens {wave.opens_on}")
                continue
            closed = wave.closes_on < today
            day = min(wave.opens_on + timedelta(days=5), today) if closed else today
            takers = range(2, 12) if closed else range(2, 13)      # student1 is left to answer in the demo
            if wave.published_at is None:
                for number in takers:
                    user = users[f"student{number}@sanaly.test"]
                    if not surveys.has_answered(wave, user.id):
                        answers, _texts = _answers(survey, random.Random(100 * index + number), 0.3 + 0.7 * index)
                        texts = {"make-more-transparent": "Publish the dormitory waiting list and who got a place."} \
                            if number % 4 == 0 and not closed else {}
                        surveys.respond(user, wave, answers, texts, day)
            if closed:
                surveys.publish(wave, admin, calendar.now)
                lines.append(f"survey wave “{wave.title}”: closed {wave.closes_on}, results published")
            else:
                lines.append(f"survey wave “{wave.title}”: open until {wave.closes_on} "
                             f"({surveys.respondents(wave)} answers so far; student1 has not answered)")
                summary.append(f"Survey wave open until {wave.closes_on.isoformat()}: “{wave.title}” "
                               f"(student1 has not answered it yet)")
    for category, what, status, outcome, answer in REPORTS:
        if db.session.execute(select(Report).where(Report.what == what)).scalar_one_or_none():
            continue
        filed = reports.file_report(category=category, what=what, place="", happened="", anonymous=True, contact="",
                                    user=None, files=[], folder=None, today=today - timedelta(days=12))
        reports.officer_message(filed.report, admin, answer, internal=False, today=today - timedelta(days=9))
        reports.change_status(filed.report, admin, status, outcome or "", today - timedelta(days=8))
        summary.append(f"Report {filed.report.code} ({status}): follow it with the passphrase {filed.passphrase}")
    clean = db.session.execute(select(Survey).where(Survey.slug == CLEAN_SESSION)).scalar_one_or_none()
    if clean is not None:
        _calendar_waves(calendar, clean, read_survey(Path(current_app.config["CONTENT_FOLDER"]) / "quizzes"
                                                     / f"{CLEAN_SESSION}.toml"))
        db.session.commit()
        wave = next((w for w in clean.waves if w.is_open(today)), None)
        if wave is not None:
            lines.append(f"survey: “{wave.title}” (Clean Session) open until {wave.closes_on}")
    return lines, summary
