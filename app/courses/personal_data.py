"""The courses' personal data: lessons completed and where a person is in each course."""
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.personal import WHILE_ACCOUNT, Holding
from app.courses.models import Course, CourseProgress, Lesson, LessonCompletion
from app.extensions import db

HOLDINGS = (
    Holding("lesson_completions", ("user_id",), _l("Lessons a person completed and when"),
            _l("Course progress, certificates and the coverage of activity 2.1"), WHILE_ACCOUNT, ("self", "admin")),
    Holding("course_progress", ("user_id",), _l("Where a person is in each course"),
            _l("Letting a person continue where they stopped"), WHILE_ACCOUNT, ("self",)),
)


def personal_data_of(user_id: int) -> dict:
    """Return the person's course progress and completed lessons."""
    progress = db.session.execute(
        select(CourseProgress, Course.slug).join(Course, Course.id == CourseProgress.course_id)
        .where(CourseProgress.user_id == user_id).order_by(Course.slug)).all()
    lessons = db.session.execute(
        select(LessonCompletion, Lesson.slug, Course.slug).join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .join(Course, Course.id == Lesson.course_id).where(LessonCompletion.user_id == user_id)
        .order_by(LessonCompletion.completed_at)).all()
    return {
        "courses": [{"course": slug, "last_seen_at": row.last_seen_at.isoformat(),
                     "completed_at": row.completed_at.isoformat() if row.completed_at else None}
                    for row, slug in progress],
        "lessons_completed": [{"course": course, "lesson": lesson, "completed_at": row.completed_at.isoformat(),
                               "via": row.via} for row, lesson, course in lessons],
    }


def erase_personal_data(user_id: int, uploads: Path) -> None:
    """Keep progress rows: they hold no free text, and certificates and figures rest on them."""
