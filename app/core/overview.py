"""What a signed-in student should see first: their next steps across the features."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.contests.models import Contest
from app.extensions import db


@dataclass
class Overview:
    xp: int
    level: object
    hour_grade: float | None
    hour_passed: bool
    hour_slug: str | None
    course: object | None           # the first course not yet completed, with its progress
    open_contests: list
    open_surveys: list              # (survey, wave) the student has not answered yet


def student_overview(user, now: datetime) -> Overview:
    """XP and level, the integrity hour, the course to continue, and contests open for entries."""
    from app.contests.service import phase
    from app.courses.service import catalogue
    from app.gamification.service import level_for, xp_total
    from app.quizzes import service as quizzes
    from app.surveys import service as survey_service
    from app.surveys.models import Survey

    xp = xp_total(user.id)
    hour = quizzes.quiz_by_slug("integrity-hour")
    grade = None
    if hour is not None:
        activity = quizzes.activity_for(hour, now)
        grade = quizzes.final_grade(quizzes.attempts_for(user.id, hour, activity.id if activity else None), hour.grading)
    course = next((entry for entry in catalogue(user.id) if entry.completed_at is None), None)
    contests = [c for c in db.session.execute(select(Contest).where(Contest.retired.is_(False))).scalars()
                if phase(c, now) == "submissions"]
    surveys = []
    for survey in db.session.execute(select(Survey).where(Survey.retired.is_(False))).scalars():
        wave = survey_service.open_wave(survey, now.date())
        if wave is not None and not survey_service.has_answered(wave, user.id):
            surveys.append((survey, wave))
    return Overview(xp, level_for(xp), grade, bool(hour and grade is not None and grade >= hour.pass_percent),
                    hour.slug if hour else None, course, contests, surveys)
