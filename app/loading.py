"""Every content file at once: load them all (`load-content`, the demo, `seed-scale`) or check them all.

Each feature reads its own files (plans, quizzes, surveys, brain-ring sets, contests, courses);
this module only walks the content folder in the order they depend on each other.
"""
from pathlib import Path

from flask import current_app

from app.authoring.service import FileDoor
from app.brainring.loader import load_ring_sets, read_ring_set
from app.contests.loader import load_contests
from app.core import lint
from app.core.content import TRANSLATION_LANGUAGES, ContentError, content_files, is_translation_file
from app.core.uploads import LESSON_IMAGE_FOLDER
from app.courses.loader import load_courses, read_course
from app.plan.service import load_plans, read_plan
from app.quizzes.loader import load_quizzes, read_quiz
from app.surveys.loader import load_surveys


def _content_folder() -> Path:
    return Path(current_app.config["CONTENT_FOLDER"])


def lesson_images_folder() -> Path:
    """Where lesson pictures are kept (re-encoded), under the upload folder."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / LESSON_IMAGE_FOLDER


def load_content(*, force: bool = False, root: Path | None = None) -> tuple[list[str], list[ContentError]]:
    """Load every content file; return a summary and the problems of files that did not load.

    Plans load all-or-nothing (a broken plan raises ContentError); each course loads
    whole or not at all, and a broken course does not stop the others. An item whose current
    version came from the browser is reported and left alone unless `force`.
    """
    root = root or _content_folder()
    guard = FileDoor(force=force, root=root, images=lesson_images_folder())
    lines = []
    for result in load_plans(root / "plans", guard):
        if result.held:
            lines.append(f"plan {result.slug}: {result.held}")
        elif result.unchanged:
            lines.append(f"plan {result.slug}: unchanged")
        else:
            lines.append(f"plan {result.slug}: {result.created} activities created, "
                         f"{result.updated} updated, {result.retired} retired")
    quiz_lines, problems = load_quizzes(root / "quizzes", guard)
    lines.extend(quiz_lines)
    survey_lines, survey_problems = load_surveys(root / "quizzes", guard)
    lines.extend(survey_lines)
    problems.extend(survey_problems)
    ring_lines, ring_problems = load_ring_sets(root / "quizzes", guard)
    lines.extend(ring_lines)
    problems.extend(ring_problems)
    contest_lines, contest_problems = load_contests(root / "contests", guard)
    lines.extend(contest_lines)
    problems.extend(contest_problems)
    courses, course_problems = load_courses(root / "courses", guard)
    problems.extend(course_problems)
    for result in courses:
        if result.held:
            lines.append(f"course {result.slug}: {result.held}")
        elif result.unchanged:
            lines.append(f"course {result.slug}: unchanged")
        else:
            lines.append(f"course {result.slug}: {'created' if result.created else 'updated'}, "
                         f"{result.lessons_added} lessons added, {result.lessons_changed} changed, "
                         f"{result.lessons_retired} retired")
    return lines, problems


def _bank_words(questions: list[dict], top: dict, language: str | None) -> int:
    """Count the words of a bank's texts in the original (language None) or in one translation."""
    texts = list(top.values())
    for question in questions:
        source = question if language is None else question.get("translations", {}).get(language, {})
        for name in lint.TRANSLATED_FIELDS:
            value = source.get(name)
            texts.extend([value] if isinstance(value, str) else [t for item in value or [] for t in
                                                                   (item if isinstance(item, list) else [item])])
    return sum(lint.word_count(text) for text in texts if isinstance(text, str))


def _check_bank(where: str, spec: dict, single_answers: list[dict]) -> list[lint.Finding]:
    """Run the bank rules on one quiz or brain ring set: option lengths in each language, translations."""
    findings = []
    for language in (None, *TRANSLATION_LANGUAGES):
        items = []
        for question in single_answers:
            options = question["options"] if language is None else (
                question.get("translations", {}).get(language, {}).get("options"))
            if options:
                items.append((options, question["answer"]))
        label = where if language is None else f"{where} ({lint.LANGUAGE_NAMES[language]})"
        findings += lint.option_length_bias(label, items)
    top_fields = {"title": spec["title"], "description": spec.get("description", "")}
    findings += lint.missing_translations(where, spec.get("translations", {}), top_fields, spec["questions"])
    original = _bank_words(spec["questions"], top_fields, None)
    for language, top in spec.get("translations", {}).items():
        findings += lint.short_translation(where, language, original, _bank_words(spec["questions"], top, language))
    return findings


def _check_plans(folder: Path, problems: list) -> list[lint.Finding]:
    """Read every plan with its translations and report the texts left untranslated."""
    findings = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        if is_translation_file(path):
            continue
        try:
            spec = read_plan(path)
        except ContentError as error:
            problems.append(error)
            continue
        original = {"title": spec.title, "university": spec.university, "approved_by": spec.approved_by,
                    "sections": spec.sections}
        activities = [(a.code, {"name": a.name, "target_text": a.target_text,
                                "form_of_completion": a.form_of_completion, "expected_result": a.expected_result,
                                "responsible": a.responsible, "term_text": a.term_text}, a.translations)
                      for a in spec.activities]
        findings += lint.missing_plan_translations(f"plans/{path.name}", original, activities, spec.translations)
    return findings


def check_content(root: Path | None = None) -> tuple[list[lint.Finding], list[ContentError]]:
    """Read every question bank, lesson and plan (writing nothing) and run the linter's rules on them.

    Returns the findings and the files that could not be read at all. What a bank counts for is
    its plan activity, else the course that names it as its final quiz (its activity, else the
    course itself): banks of different purposes must not share items.
    """
    root = root or _content_folder()
    findings, problems, banks, lessons = [], [], [], []
    courses = []
    for folder in sorted((root / "courses").iterdir()) if (root / "courses").is_dir() else []:
        if folder.is_dir():
            try:
                courses.append(read_course(folder))
            except ContentError as error:
                problems.append(error)
    final_of = {course.final_quiz: course for course in courses if course.final_quiz}
    for path in content_files(root / "quizzes", skip=("survey", "brainring")):
        try:
            spec = read_quiz(path)
        except ContentError as error:
            problems.append(error)
            continue
        where, course = f"quizzes/{path.name}", final_of.get(path.stem)
        purpose = spec["activity_code"] or (course and (course.activity_code or f"the course {course.slug}")) or where
        purpose = f"plan activity {purpose}" if purpose and purpose[0].isdigit() else purpose
        banks.append((where, purpose, spec["questions"]))
        findings += _check_bank(where, spec, [q for q in spec["questions"] if q["type"] == "single"])
        findings += lint.fresh_retakes(where, spec)
    for path in content_files(root / "quizzes", only="brainring"):
        try:
            spec = read_ring_set(path)
        except ContentError as error:
            problems.append(error)
            continue
        where = f"quizzes/{path.name}"
        code = spec["activity_code"]
        banks.append((where, f"plan activity {code}" if code else where, spec["questions"]))
        findings += _check_bank(where, spec, spec["questions"])
    findings += lint.duplicate_items(banks)
    findings += _check_plans(root / "plans", problems)
    for course in courses:
        for lesson in course.lessons:
            where = f"courses/{course.slug}/{lesson.number:02d}-{lesson.slug}.md"
            lessons.append(where)
            findings += lint.lesson_words(where, lesson.markdown)
            findings += lint.missing_lesson_translations(where, set(lesson.translations))
            original = lint.word_count(lesson.markdown)
            for language, markdown in [(None, lesson.markdown)] + [
                    (language, text["markdown"]) for language, text in sorted(lesson.translations.items())]:
                version = where if language is None else where[:-3] + f".{language}.md"
                findings += lint.lesson_sections(version, markdown)
                findings += lint.footnote_sources(version, markdown)
                findings += lint.draft_markers(version, markdown)
                if language:
                    findings += lint.short_translation(version, language, original, lint.word_count(markdown))
    return findings, problems
