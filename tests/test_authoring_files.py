"""One content model, two doors: export → load into a fresh instance gives the same content; the browser's
versions are never silently overwritten by `load-content`."""
import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.authoring import files as content_files
from app.authoring.models import BROWSER, FILE
from app.authoring.service import current_revision, record_revision
from app.brainring.models import RingSet
from app.contests.models import Contest
from app.core.clock import utcnow
from app.courses.models import Course, Lesson
from app.extensions import db
from app.loading import load_content
from app.plan.models import Plan
from app.quizzes.models import Quiz
from app.surveys.models import Survey
from tests.conftest import _empty_tables

SKIP = {"id", "source_digest", "loaded_at", "current_version_id", "course_id", "lesson_id", "quiz_id", "survey_id",
        "published_at", "published_by_id", "digest", "results"}


def _row(row) -> dict:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in SKIP}


def content_snapshot() -> dict:
    """Everything students see of the published content, without ids, digests and load times."""
    snapshot = {}
    for course in db.session.execute(select(Course).where(Course.retired.is_(False))).scalars():
        lessons = db.session.execute(select(Lesson).options(selectinload(Lesson.current)).where(
            Lesson.course_id == course.id, Lesson.retired.is_(False))).scalars()
        snapshot[f"course {course.slug}"] = _row(course) | {
            "lessons": {lesson.slug: _row(lesson) | {"current": _row(lesson.current) | {"number": None}}
                        for lesson in lessons}}
    for quiz in db.session.execute(select(Quiz).where(Quiz.retired.is_(False))).scalars():
        snapshot[f"quiz {quiz.slug}"] = _row(quiz) | {"current": _row(quiz.current) | {"number": None}}
    for survey in db.session.execute(select(Survey).where(Survey.retired.is_(False))).scalars():
        snapshot[f"survey {survey.slug}"] = _row(survey) | {
            "waves": sorted((w.key, w.title, w.opens_on, w.closes_on) for w in survey.waves)}
    for ring in db.session.execute(select(RingSet).where(RingSet.retired.is_(False))).scalars():
        snapshot[f"ring {ring.slug}"] = _row(ring)
    for contest in db.session.execute(select(Contest).where(Contest.retired.is_(False))).scalars():
        snapshot[f"contest {contest.slug}"] = _row(contest)
    for plan in db.session.execute(select(Plan)).scalars():
        snapshot[f"plan {plan.slug}"] = _row(plan) | {"activities": {
            a.code: _row(a) | {"plan_id": None, "periods": [(p.number, p.starts_on, p.ends_on) for p in a.periods]}
            for a in plan.activities if not a.retired}}
    return snapshot


def test_the_demos_whole_content_round_trips_through_export(app, runner, tmp_path, setup_cli):
    result = setup_cli("demo")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    before = content_snapshot()
    assert len([k for k in before if k.startswith("course ")]) == 3 and len(before) >= 13

    result = runner.invoke(args=["export-content", str(tmp_path / "export")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "export/courses/academic-honesty/01-why-honesty-matters.kk.md").is_file()
    assert (tmp_path / "export/quizzes/integrity-hour.ru.toml").is_file()

    _empty_tables()
    lines, problems = load_content(root=tmp_path / "export")
    assert problems == []
    db.session.expire_all()
    after = content_snapshot()
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key


def test_loading_the_export_over_the_same_instance_changes_no_content(app, tmp_path, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    before = content_snapshot()
    content_files.write_files(tmp_path, content_files.all_files())
    lines, problems = load_content(root=tmp_path)
    assert problems == []
    assert not [line for line in lines if re.search(r"new version|file removed|[1-9]\d* (changed|retired)", line)], lines
    db.session.expire_all()
    assert content_snapshot() == before


def test_every_loaded_item_records_that_its_version_came_from_a_file(app):
    load_content()
    revision = current_revision("quiz", "integrity-hour")
    assert revision.origin == FILE and revision.author_id is None and revision.number == 1
    assert "quizzes/integrity-hour.toml" in revision.files
    load_content()
    assert current_revision("quiz", "integrity-hour").number == 1, "an unchanged file makes no new revision"


def test_load_content_reports_and_keeps_an_item_changed_in_the_browser(app, runner, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    officer = make_user(roles=("admin",))
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()
    quiz.title, quiz.source_digest = "Integrity hour, written in the browser", "0" * 64
    record_revision("quiz", "integrity-hour", origin=BROWSER, author=officer, now=utcnow())
    db.session.commit()

    result = runner.invoke(args=["load-content"])
    assert result.exit_code == 0, result.output
    assert "quiz integrity-hour: not loaded: last changed in the browser by " + officer.email in result.output
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).title == "Integrity hour, written in the browser"

    result = runner.invoke(args=["load-content", "--force"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).title != "Integrity hour, written in the browser"
    revision = current_revision("quiz", "integrity-hour")
    assert revision.origin == FILE and revision.number == 3
    assert "-title = \"Integrity hour, written in the browser\"" in revision.diff


def test_an_item_created_in_the_browser_is_not_retired_for_having_no_file(app, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    officer = make_user(roles=("admin",))
    quiz = db.session.execute(select(Quiz).where(Quiz.slug == "integrity-hour")).scalar_one()
    copy = Quiz(slug="integrity-hour-copy", title="A copy", current_version_id=quiz.current_version_id)
    db.session.add(copy)
    db.session.flush()
    record_revision("quiz", "integrity-hour-copy", origin=BROWSER, author=officer, now=utcnow())
    db.session.commit()
    load_content()
    db.session.expire_all()
    assert db.session.get(Quiz, copy.id).retired is False
    load_content(force=True)
    db.session.expire_all()
    assert db.session.get(Quiz, copy.id).retired is True


def test_content_loaded_before_sources_were_kept_gets_them_on_the_next_load(app, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    contest = db.session.execute(select(Contest).where(Contest.slug == "essay-2024-2025")).scalar_one()
    brief, kk_brief = contest.brief, contest.translations["kk"]["brief"]
    contest.brief = ""
    contest.translations = {language: {k: v for k, v in text.items() if k != "brief"}
                            for language, text in contest.translations.items()}
    lesson = db.session.execute(select(Lesson).where(Lesson.slug == "why-honesty-matters")).scalar_one()
    kk_markdown = lesson.current.translations["kk"]["markdown"]
    lesson.current.translations = {language: {k: v for k, v in text.items() if k != "markdown"}
                                   for language, text in lesson.current.translations.items()}
    db.session.commit()
    load_content()
    db.session.expire_all()
    contest = db.session.get(Contest, contest.id)
    assert (contest.brief, contest.translations["kk"]["brief"]) == (brief, kk_brief)
    lesson = db.session.get(Lesson, lesson.id)
    assert lesson.current.translations["kk"]["markdown"] == kk_markdown and lesson.current.number == 1
