"""Rules of learning: progress, lesson and course completion, and what completion writes."""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, func, select, update

from app.certificates import service as certificates
from app.core import events
from app.core.cache import immutables
from app.core.clock import local_date
from app.core.db_helpers import insert_ignoring_duplicates
from app.core.localize import language, tr
from app.courses.models import (
    EVERYONE, STUDENTS_AUDIENCE, Course, CourseProgress, Lesson, LessonCompletion, LessonVersion,
)
from app.extensions import db
from app.people.access import audiences_of
from app.people.models import User
from app.plan import service as plan_service
from app.quizzes import service as quizzes  # a course's final quiz: the quizzes feature owns grades and pass marks

logger = logging.getLogger(__name__)


def active_lessons(course_id: int) -> list[Lesson]:
    """The course's current lessons in order, with their current version loaded."""
    return db.session.execute(
        select(Lesson).where(Lesson.course_id == course_id, Lesson.retired.is_(False))
        .order_by(Lesson.position).options(db.joinedload(Lesson.current))
    ).scalars().all()


@dataclass(frozen=True)
class LessonText:
    """A lesson version as the reader sees it: the original's fields and the reader's language's translation.

    Read-only and shared between requests (versions never change once loaded); `translations`
    holds only the reader's language, which is all that `tr` and `is_translated` look at.
    """

    id: int
    lesson_id: int
    title: str
    summary: str
    html: str = ""
    toc_html: str = ""
    word_count: int = 0
    checks: list = field(default_factory=list)   # with the answers: never sent as is
    translations: dict = field(default_factory=dict)


def lesson_text(version_id: int) -> LessonText:
    """The whole text of a lesson version in the reader's language, decoded once per process and language."""
    lang = language()

    def load():
        row = db.session.execute(select(
            LessonVersion.id, LessonVersion.lesson_id, LessonVersion.title, LessonVersion.summary, LessonVersion.html,
            LessonVersion.toc_html, LessonVersion.word_count, LessonVersion.checks, LessonVersion.translations,
        ).where(LessonVersion.id == version_id)).one()
        mine = (row.translations or {}).get(lang)
        return LessonText(row.id, row.lesson_id, row.title, row.summary, row.html, row.toc_html, row.word_count,
                          row.checks or [], {lang: mine} if mine else {})

    return immutables().get(("lesson-version", version_id, lang), load)


def lesson_headings(version_ids) -> dict[int, LessonText]:
    """Titles and summaries of lesson versions in the reader's language (no text), kept per process and language.

    What is not kept yet is read in one query.
    """
    lang, kept = language(), immutables()
    found = {vid: kept.peek(("lesson-heading", vid, lang)) for vid in version_ids}
    missing = [vid for vid, heading in found.items() if heading is None]
    if missing:
        for vid, lesson_id, title, summary, translations in db.session.execute(select(
                LessonVersion.id, LessonVersion.lesson_id, LessonVersion.title, LessonVersion.summary,
                LessonVersion.translations).where(LessonVersion.id.in_(missing))):
            mine = (translations or {}).get(lang) or {}
            short = {key: mine[key] for key in ("title", "summary") if mine.get(key)}
            found[vid] = kept.get(("lesson-heading", vid, lang), lambda: LessonText(
                vid, lesson_id, title, summary, translations={lang: short} if short else {}))
    return found


@dataclass(frozen=True)
class OutlineLesson:
    """One lesson of a course's outline: what links to it and its heading (`current`)."""

    id: int
    slug: str
    position: int
    current_version_id: int
    current: LessonText


# The statements a lesson page runs, built at their first use and reused: SQLAlchemy then keeps their cache
# keys and compiled forms instead of working them out again on every request (a tenth of the page's time).

@cache
def _open_course_statement():
    return select(Course).where(Course.slug == bindparam("slug"), Course.retired.is_(False))


@cache
def _outline_statement():
    return (select(Lesson.id, Lesson.slug, Lesson.position, Lesson.current_version_id)
            .where(Lesson.course_id == bindparam("course_id"), Lesson.retired.is_(False),
                   Lesson.current_version_id.is_not(None))
            .order_by(Lesson.position))


@cache
def _completed_statement():
    return select(LessonCompletion.lesson_id).join(Lesson).where(
        LessonCompletion.user_id == bindparam("user_id"), Lesson.course_id == bindparam("course_id"))


@cache
def _last_visit_statement():
    return select(CourseProgress.last_lesson_id, CourseProgress.last_seen_at).where(
        CourseProgress.user_id == bindparam("user_id"), CourseProgress.course_id == bindparam("course_id"))


def open_course(slug: str) -> Course | None:
    """The course with this slug, unless it is retired."""
    return db.session.execute(_open_course_statement(), {"slug": slug}).scalar_one_or_none()


def outline(course_id: int) -> list[OutlineLesson]:
    """The course's current lessons in order with their titles: one light query (headings come from memory)."""
    rows = db.session.execute(_outline_statement(), {"course_id": course_id}).all()
    headings = lesson_headings([row.current_version_id for row in rows])
    return [OutlineLesson(row.id, row.slug, row.position, row.current_version_id, headings[row.current_version_id])
            for row in rows]


def completed_lesson_ids(user_id: int, course_id: int) -> set[int]:
    return set(db.session.execute(_completed_statement(), {"user_id": user_id, "course_id": course_id}).scalars())


def progress_for(user_id: int, course_id: int) -> CourseProgress | None:
    return db.session.execute(select(CourseProgress).where(
        CourseProgress.user_id == user_id, CourseProgress.course_id == course_id)).scalar_one_or_none()


def can_see_course(user, course: Course) -> bool:
    """Whether the course is for this person (its audience), so that it is listed and opened for them."""
    return course.audience in audiences_of(user)


@dataclass
class CatalogueEntry:
    course: Course
    total: int
    done: int
    completed_at: datetime | None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def catalogue(user, audiences: tuple[str, ...] | None = None) -> list[CatalogueEntry]:
    """Every open course meant for the person (or for `audiences`) with their progress, in four queries."""
    user_id = user.id
    courses = db.session.execute(select(Course).where(
        Course.retired.is_(False), Course.audience.in_(audiences or audiences_of(user)))
        .order_by(Course.position, Course.title)).scalars().all()
    totals = dict(db.session.execute(select(Lesson.course_id, func.count()).where(
        Lesson.retired.is_(False)).group_by(Lesson.course_id)).all())
    done = dict(db.session.execute(
        select(Lesson.course_id, func.count()).join(LessonCompletion, LessonCompletion.lesson_id == Lesson.id)
        .where(LessonCompletion.user_id == user_id, Lesson.retired.is_(False)).group_by(Lesson.course_id)).all())
    completed = dict(db.session.execute(select(CourseProgress.course_id, CourseProgress.completed_at).where(
        CourseProgress.user_id == user_id)).all())
    return [CatalogueEntry(c, totals.get(c.id, 0), done.get(c.id, 0), completed.get(c.id)) for c in courses]


def resume_lesson(lessons: list[Lesson], done: set[int], progress: CourseProgress | None) -> Lesson | None:
    """Where to continue: the last lesson opened if unfinished, else the first unfinished one."""
    if progress is not None and progress.last_lesson_id and progress.last_lesson_id not in done:
        for lesson in lessons:
            if lesson.id == progress.last_lesson_id:
                return lesson
    return next((lesson for lesson in lessons if lesson.id not in done), None)


@dataclass
class FinalQuizStanding:
    quiz: object                    # the Quiz (its title is translated in the page)
    grade: float | None             # the final grade so far this academic year, if any attempt was graded
    passed: bool


@dataclass
class CoursePath:
    """Where a person stands on a course's path: lessons → final quiz → certificate."""

    total: int
    done: int
    resume: Lesson | None           # the lesson to continue with; None once every lesson is done
    final_quiz: FinalQuizStanding | None
    completed_at: datetime | None
    certificate: object | None

    @property
    def lessons_done(self) -> bool:
        return self.done >= self.total

    @property
    def next_step(self) -> str:
        """What comes next: "lesson", "quiz" or "certificate" (to collect, or to wait for)."""
        if not self.lessons_done and self.resume is not None:
            return "lesson"
        if self.final_quiz is not None and not self.final_quiz.passed and self.completed_at is None:
            return "quiz"
        return "certificate"


def course_path(user_id: int, course: Course, lessons: list[Lesson], done: set[int],
                progress: CourseProgress | None, now: datetime) -> CoursePath:
    """The person's path through the course: lessons done, the final quiz's standing, the certificate."""
    standing = None
    if course.final_quiz:
        quiz = quizzes.quiz_by_slug(course.final_quiz)
        if quiz is not None:
            activity = quizzes.activity_for(quiz, now)
            grade = quizzes.final_grade(quizzes.attempts_for(user_id, quiz, activity.id if activity else None),
                                        quiz.grading)
            standing = FinalQuizStanding(quiz, grade, grade is not None and grade >= quiz.pass_percent)
    completed_at = progress.completed_at if progress is not None else None
    certificate = certificates.held(user_id, kind="course", subject_ref=f"course:{course.id}") if completed_at else None
    return CoursePath(len(lessons), len({l.id for l in lessons} & done), resume_lesson(lessons, done, progress),
                      standing, completed_at, certificate)


def record_visit(user_id: int, course_id: int, lesson_id: int, now: datetime) -> None:
    """Remember the lesson a person opened last in its course.

    Reopening the lesson one was on within VISIT_RESOLUTION writes nothing: reading lessons must
    not turn into a stream of writes that queue behind each other.
    """
    last = db.session.execute(_last_visit_statement(), {"user_id": user_id, "course_id": course_id}).first()
    if last is not None and last.last_lesson_id == lesson_id and last.last_seen_at >= now - VISIT_RESOLUTION:
        return
    db.session.execute(insert_ignoring_duplicates(CourseProgress, dict(
        user_id=user_id, course_id=course_id, last_lesson_id=lesson_id, last_seen_at=now)))
    db.session.execute(update(CourseProgress).where(
        CourseProgress.user_id == user_id, CourseProgress.course_id == course_id,
    ).values(last_lesson_id=lesson_id, last_seen_at=now))
    db.session.commit()


VISIT_RESOLUTION = timedelta(minutes=10)


@dataclass
class CheckResult:
    all_correct: bool
    correct: dict[int, bool] = field(default_factory=dict)  # question index -> right or not


def grade_checks(version: LessonVersion | LessonText, answers: dict[int, int | None]) -> CheckResult:
    """Compare the chosen options with the lesson's check questions."""
    correct = {index: answers.get(index) == check["answer"] for index, check in enumerate(version.checks)}
    return CheckResult(all(correct.values()) and bool(correct), correct)


@dataclass
class Completion:
    lesson_new: bool = False
    course_completed: bool = False
    certificate_code: str | None = None


def complete_lesson(user: User, lesson: Lesson, *, via: str, now: datetime) -> Completion:
    """Mark a lesson complete (once), pay its XP, and complete the course when nothing is left."""
    result = Completion()
    new_id = db.session.execute(insert_ignoring_duplicates(LessonCompletion, dict(
        user_id=user.id, lesson_id=lesson.id, version_id=lesson.current_version_id, via=via, completed_at=now,
    ))).scalar_one_or_none()
    result.lesson_new = new_id is not None
    course = db.session.get(Course, lesson.course_id)
    if result.lesson_new:
        events.announce(events.lesson_completed, "courses", user_id=user.id, lesson_id=lesson.id, course_id=course.id,
                        xp=course.xp_per_lesson, at=now)
        events.announce(events.xp_earned, "courses", user_id=user.id, amount=course.xp_per_lesson,
                        reason=f"Lesson: {lesson.current.title if lesson.current else lesson.slug}",
                        source_type="lesson", source_ref=str(lesson.id), at=now)
        logger.info("user %s completed lesson %s", user.id, lesson.id)
    remaining = {l.id for l in active_lessons(course.id)} - completed_lesson_ids(user.id, course.id)
    if not remaining and final_quiz_passed(user.id, course):
        result.course_completed, result.certificate_code = _complete_course(user, course, now)
    db.session.commit()
    return result


def final_quiz_passed(user_id: int, course: Course) -> bool:
    """A course that names a final quiz is complete only when the person has passed it."""
    if not course.final_quiz:
        return True
    return quizzes.has_passed(user_id, course.final_quiz)


@certificates.subject_title("course")
def _course_title(course_id: int) -> str | None:
    course = db.session.get(Course, course_id)
    return tr(course, "title") if course is not None else None


@events.quiz_passed.connect
def _quiz_passed(_sender, *, user_id: int, quiz_slug: str, at: datetime, **_data) -> None:
    """A passed quiz may be the last thing a course was waiting for."""
    final_quiz_passed_event(db.session.get(User, user_id), quiz_slug, at)


def final_quiz_passed_event(user: User, quiz_slug: str, now: datetime) -> None:
    """Complete every course whose final quiz this is, if the person has finished its lessons."""
    for course in db.session.execute(select(Course).where(
            Course.final_quiz == quiz_slug, Course.retired.is_(False))).scalars().all():
        remaining = {l.id for l in active_lessons(course.id)} - completed_lesson_ids(user.id, course.id)
        if not remaining and final_quiz_passed(user.id, course):
            _complete_course(user, course, now)


def _complete_course(user: User, course: Course, now: datetime) -> tuple[bool, str | None]:
    """Record the course as completed exactly once; write participation, XP and the certificate."""
    db.session.execute(insert_ignoring_duplicates(CourseProgress, dict(
        user_id=user.id, course_id=course.id, last_seen_at=now)))
    changed = db.session.execute(update(CourseProgress).where(
        CourseProgress.user_id == user.id, CourseProgress.course_id == course.id,
        CourseProgress.completed_at.is_(None)).values(completed_at=now)).rowcount
    if changed != 1:
        return False, None
    activity = plan_service.activity_at(now, course.activity_code) if course.activity_code else None
    if activity is not None and plan_service.belongs_to_population(user, activity.population):
        plan_service.record_participation(user.id, activity, source="course", source_ref=f"course:{course.id}", when=now)
    events.announce(events.course_completed, "courses", user_id=user.id, course_id=course.id, xp=course.xp_per_lesson * 2,
                    at=now)
    events.announce(events.xp_earned, "courses", user_id=user.id, amount=course.xp_per_lesson * 2,
                    reason=f"Course completed: {course.title}", source_type="course", source_ref=str(course.id), at=now)
    certificate = certificates.issue(user, kind="course", subject_ref=f"course:{course.id}",
                                     title=course.title, issued_on=local_date(now))
    logger.info("user %s completed course %s", user.id, course.id)
    return True, certificate.code


@dataclass
class GroupRow:
    student: User
    done: dict[int, int]  # course id -> lessons completed
    completed: dict[int, datetime]  # course id -> when the course was completed


def group_progress(group_id: int) -> tuple[list[Course], dict[int, int], list[GroupRow]]:
    """Students of a group × the courses for students: lessons done and completion dates, in four queries."""
    courses = db.session.execute(select(Course).where(Course.retired.is_(False),
                                                      Course.audience.in_((STUDENTS_AUDIENCE, EVERYONE)))
                                 .order_by(Course.position, Course.title)).scalars().all()
    totals = dict(db.session.execute(select(Lesson.course_id, func.count()).where(
        Lesson.retired.is_(False)).group_by(Lesson.course_id)).all())
    students = db.session.execute(select(User).where(User.group_id == group_id, User.active.is_(True))
                                  .order_by(User.full_name)).scalars().all()
    done: dict[int, dict[int, int]] = {}
    for user_id, course_id, count in db.session.execute(
        select(LessonCompletion.user_id, Lesson.course_id, func.count())
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .join(User, User.id == LessonCompletion.user_id)
        .where(User.group_id == group_id, Lesson.retired.is_(False))
        .group_by(LessonCompletion.user_id, Lesson.course_id)
    ):
        done.setdefault(user_id, {})[course_id] = count
    completed: dict[int, dict[int, datetime]] = {}
    for user_id, course_id, when in db.session.execute(
        select(CourseProgress.user_id, CourseProgress.course_id, CourseProgress.completed_at)
        .join(User, User.id == CourseProgress.user_id)
        .where(User.group_id == group_id, CourseProgress.completed_at.is_not(None))
    ):
        completed.setdefault(user_id, {})[course_id] = when
    rows = [GroupRow(s, done.get(s.id, {}), completed.get(s.id, {})) for s in students]
    return courses, totals, rows
