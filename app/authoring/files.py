"""Content as files: write what the database holds in the layout `load-content` reads, and read it back.

`item_files(kind, row)` gives an item's files ({path under the content root: text}); the loaders'
own readers turn them back into the same rows, which is what makes export → load a round trip
and lets the browser door validate through the file door's code.
"""
import tempfile
from pathlib import Path

import tomli_w
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.brainring.models import RingSet
from app.contests.models import MAX_FILE_MB, Contest
from app.core.content import TRANSLATION_LANGUAGES
from app.courses.models import EVERYONE, Course, Lesson
from app.extensions import db
from app.plan.models import REACH, Activity, Plan
from app.plan.terms import parse_term
from app.quizzes.models import Quiz
from app.surveys.models import Survey


def _toml(table: dict) -> str:
    return tomli_w.dumps({k: v for k, v in table.items() if v is not None})


def _some(table: dict, **optional) -> dict:
    """`table` plus the optional keys whose value is not empty (the readers' defaults stand for them)."""
    return {**table, **{k: v for k, v in optional.items() if v not in ("", None, [], {})}}


def lesson_text(meta: dict, markdown: str) -> str:
    """A lesson file: TOML front matter between +++ lines, then the Markdown."""
    return f"+++\n{_toml(meta)}+++\n\n{markdown.strip()}\n"


def lesson_meta(title: str, summary: str, checks: list[dict]) -> dict:
    return _some({"title": title}, summary=summary, check=[
        _some({"question": c["question"], "options": list(c["options"]), "answer": c["answer"]},
              explanation=c.get("explanation", "")) for c in checks])


def course_files(course: Course, lessons: list[Lesson], numbers: dict[int, int] | None = None) -> dict[str, str]:
    """courses/<slug>/course.toml and each lesson's NN-slug.md with its translations (numbered as `numbers` says)."""
    folder = f"courses/{course.slug}"
    top = _some({"title": course.title}, summary=course.summary, activity=course.activity_code)
    top.update({"language": course.language, "order": course.position, "xp_per_lesson": course.xp_per_lesson})
    top = _some(top, final_quiz=course.final_quiz,
                audience=course.audience if course.audience != EVERYONE else "")
    if course.translations:
        top["translations"] = {language: _some({"title": text["title"]}, summary=text.get("summary", ""))
                               for language, text in sorted(course.translations.items())}
    files = {f"{folder}/course.toml": _toml(top)}
    for lesson in lessons:
        version = lesson.current
        number = numbers[lesson.id] if numbers else lesson.position
        stem = f"{folder}/{number:02d}-{lesson.slug}"
        files[f"{stem}.md"] = lesson_text(lesson_meta(version.title, version.summary, version.checks), version.markdown)
        for language, text in sorted((version.translations or {}).items()):
            checks = [{**mine, "answer": theirs["answer"]} for mine, theirs in zip(text["checks"], version.checks)]
            files[f"{stem}.{language}.md"] = lesson_text(
                lesson_meta(text["title"], text.get("summary", ""), checks), text.get("markdown", ""))
    return files


QUESTION_ANSWER_FIELDS = ("options", "answer", "tolerance", "pairs", "items")


def _bank_translation(top: dict, questions: list[dict], fields: tuple[str, ...]) -> dict[str, dict]:
    """`<slug>.<language>.toml` tables of a quiz, survey or brain ring set."""
    tables = {}
    for language in TRANSLATION_LANGUAGES:
        if language not in top:
            continue
        table = _some({"title": top[language]["title"]}, description=top[language].get("description", ""))
        given = {}
        for question in questions:
            entry = question.get("translations", {}).get(language)
            if entry:
                given[question["key"]] = {k: entry[k] for k in fields if k in entry}
        if given:
            table["questions"] = given
        tables[language] = table
    return tables


def quiz_files(quiz: Quiz) -> dict[str, str]:
    """quizzes/<slug>.toml and its translations, from the quiz's settings and current version."""
    top = _some({"title": quiz.title}, description=quiz.description, activity=quiz.activity_code,
                audience=quiz.audience if quiz.audience != EVERYONE else "", opens=quiz.opens_at, closes=quiz.closes_at)
    top.update({"time_limit_minutes": quiz.time_limit_minutes, "attempts": quiz.attempts_allowed,
                "grading": quiz.grading, "pass_percent": quiz.pass_percent,
                "shuffle_questions": quiz.shuffle_questions, "shuffle_options": quiz.shuffle_options,
                "feedback": quiz.feedback, "xp": quiz.xp, "questions_per_page": quiz.per_page})
    questions = quiz.current.questions
    written = []
    for question in questions:
        entry = _some({"key": question["key"], "type": question["type"], "text": question["text"]},
                      category=question.get("category", ""), explanation=question.get("explanation", ""))
        entry["points"] = question.get("points", 1)
        for name in QUESTION_ANSWER_FIELDS:
            if name in question:
                entry[name] = question[name]
        if question["type"] == "short_text":
            # The loader appends each translation's own accepted answers to the original's.
            added = sum(len(t.get("accepted", [])) for t in question.get("translations", {}).values())
            entry["accepted"] = question["accepted"][:len(question["accepted"]) - added]
        written.append(entry)
    top["questions"] = written
    if quiz.current.draw:
        top["draw"] = [dict(rule) for rule in quiz.current.draw]
    files = {f"quizzes/{quiz.slug}.toml": _toml(top)}
    for language, table in _bank_translation(quiz.translations or {}, questions,
                                             ("text", "options", "pairs", "items", "explanation", "accepted")).items():
        files[f"quizzes/{quiz.slug}.{language}.toml"] = _toml(table)
    return files


def survey_files(survey: Survey) -> dict[str, str]:
    """quizzes/<slug>.toml (kind survey) with its waves, and its translations."""
    top = _some({"kind": "survey", "title": survey.title}, description=survey.description,
                activity=survey.activity_code)
    top["waves"] = [{"key": w.key, "title": w.title, "opens": w.opens_on, "closes": w.closes_on}
                    for w in sorted(survey.waves, key=lambda w: (w.opens_on, w.key))]
    written = []
    for question in survey.questions:
        entry = _some({"key": question["key"], "type": question["type"], "text": question["text"],
                       "required": question["required"]}, help=question.get("help", ""))
        for name in ("options", "points", "labels"):
            if name in question:
                entry[name] = question[name]
        if question.get("seed"):
            entry["seed"] = {"source": question["seed"]["source"],
                             "percent": [False if p is None else p for p in question["seed"]["percent"]]}
        written.append(entry)
    top["questions"] = written
    files = {f"quizzes/{survey.slug}.toml": _toml(top)}
    translations = survey.translations or {}
    for language, table in _bank_translation(translations, survey.questions,
                                             ("text", "options", "labels", "help")).items():
        waves = translations[language].get("waves") or {}
        if waves:
            table["waves"] = {key: {"title": title} for key, title in waves.items()}
        files[f"quizzes/{survey.slug}.{language}.toml"] = _toml(table)
    return files


def ring_set_files(ring: RingSet) -> dict[str, str]:
    """quizzes/<slug>.toml (kind brainring) and its translations."""
    top = _some({"kind": "brainring", "title": ring.title}, description=ring.description, activity=ring.activity_code,
                questions_per_game=ring.per_game or None)
    top["questions"] = [_some({"key": q["key"], "text": q["text"], "options": q["options"], "answer": q["answer"],
                               "seconds": q["seconds"]}, image=q.get("image", "")) for q in ring.questions]
    files = {f"quizzes/{ring.slug}.toml": _toml(top)}
    for language, table in _bank_translation(ring.translations or {}, ring.questions, ("text", "options")).items():
        files[f"quizzes/{ring.slug}.{language}.toml"] = _toml(table)
    return files


def contest_files(contest: Contest) -> dict[str, str]:
    """contests/<slug>.toml and its translations."""
    top = {"kind": contest.kind, "title": contest.title}
    top = _some(top, activity=contest.activity_code)
    top.update({"brief": contest.brief, "submissions_open": contest.submissions_open,
                "submissions_close": contest.submissions_close, "judging_close": contest.judging_close})
    top = _some(top, results_on=contest.results_on)
    top.update({"eligibility": contest.eligibility, "entries_per_person": contest.entries_per_person,
                "language": contest.language, "min_words": contest.min_words, "max_words": contest.max_words,
                "max_file_mb": None if contest.max_file_mb == MAX_FILE_MB else contest.max_file_mb,
                "jurors_per_entry": contest.jurors_per_entry, "normalisation": contest.normalisation,
                "xp": contest.xp})
    top["criteria"] = [_some({"key": c["key"], "title": c["title"]}, description=c.get("description", ""))
                       | {"weight": c["weight"], "scale": c["scale"]} for c in contest.criteria]
    if contest.places:
        top["places"] = [_some({"place": p["place"]}, prize=p.get("prize", "")) for p in contest.places]
    files = {f"contests/{contest.slug}.toml": _toml(top)}
    for language, text in sorted((contest.translations or {}).items()):
        table = _some({"title": text["title"]}, brief=text.get("brief", ""))
        if text.get("criteria"):
            table["criteria"] = {key: _some({"title": c["title"]}, description=c.get("description", ""))
                                 for key, c in text["criteria"].items()}
        if text.get("places"):
            table["places"] = {number: {"prize": prize} for number, prize in text["places"].items()}
        files[f"contests/{contest.slug}.{language}.toml"] = _toml(table)
    return files


# Plans ------------------------------------------------------------------------------------------------

# Activity attributes and the plan file's keys for them (the file says `target` and `term`).
PLAN_ACTIVITY_KEYS = {"name": "name", "target_text": "target", "form_of_completion": "form_of_completion",
                      "expected_result": "expected_result", "term_text": "term"}


def activity_table(activity: Activity, plan: Plan) -> dict:
    """One [[activities]] entry of a plan file; periods are written only where the term does not give them."""
    entry = {"code": activity.code, "section": activity.section, "name": activity.name,
             "population": activity.population}
    if activity.kind != REACH:
        entry["kind"] = activity.kind
    if activity.fed_by:
        entry["fed_by"] = activity.fed_by
    entry = _some(entry, target=activity.target_text)
    if activity.target_percent is not None:
        entry["target_percent"] = activity.target_percent
    entry = _some(entry, form_of_completion=activity.form_of_completion, expected_result=activity.expected_result,
                  responsible=list(activity.responsible or []), term=activity.term_text)
    periods = [(p.starts_on, p.ends_on) for p in activity.periods]
    try:
        parsed = parse_term(activity.term_text, plan.starts_on, plan.ends_on)
    except ValueError:
        parsed = None
    if periods and periods != parsed:
        entry["periods"] = [[start, end] for start, end in periods]
    return entry


def activity_translation(activity: Activity, language: str) -> dict:
    """`[activities."<code>"]` of a plan's translation file: what the activity's texts are in `language`."""
    text = (activity.translations or {}).get(language) or {}
    entry = {PLAN_ACTIVITY_KEYS[name]: text[name] for name in PLAN_ACTIVITY_KEYS if text.get(name)}
    if text.get("responsible"):
        entry["responsible"] = list(text["responsible"])
    return entry


def plan_header(plan: Plan, *, title: str, university: str, approved_by: str = "", approved_on=None,
                developer: str = "", abbreviations: dict | None = None) -> dict:
    """The top of a plan file: the plan's name and year, then its own texts (the optional ones only when given)."""
    top = {"slug": plan.slug, "title": title, "university": university,
           "academic_year": plan.academic_year, "starts_on": plan.starts_on, "ends_on": plan.ends_on}
    return _some(top, approved_by=approved_by, approved_on=approved_on, developer=developer,
                 abbreviations=dict(abbreviations or {}))


def plan_tables(plan: Plan, activities: list[Activity] | None = None) -> tuple[dict, dict[str, dict]]:
    """A plan as the tables of its file and of its translation files ({language: table}); retired activities are left out."""
    if activities is None:
        activities = [a for a in plan.activities if not a.retired]
    top = plan_header(plan, title=plan.title, university=plan.university, approved_by=plan.approved_by,
                      approved_on=plan.approved_on, developer=plan.developer, abbreviations=plan.abbreviations)
    top["sections"] = [{"number": int(number), "title": title}
                       for number, title in sorted(plan.sections.items(), key=lambda item: int(item[0]))]
    top["activities"] = [activity_table(activity, plan) for activity in activities]
    translations = {}
    for language in TRANSLATION_LANGUAGES:
        given = (plan.translations or {}).get(language) or {}
        table = {key: given[key] for key in ("title", "university", "approved_by") if given.get(key)}
        if given.get("sections"):
            table["sections"] = {str(number): text for number, text in sorted(given["sections"].items())}
        entries = {a.code: activity_translation(a, language) for a in activities}
        entries = {code: entry for code, entry in entries.items() if entry}
        if entries:
            table["activities"] = entries
        if table:
            translations[language] = table
    return top, translations


def plan_files_from(top: dict, translations: dict[str, dict]) -> dict[str, str]:
    """plans/<slug>.toml and its plans/<slug>.<language>.toml from their tables."""
    files = {f"plans/{top['slug']}.toml": _toml(top)}
    for language, table in sorted(translations.items()):
        files[f"plans/{top['slug']}.{language}.toml"] = _toml(table)
    return files


def plan_files(plan: Plan) -> dict[str, str]:
    """plans/<slug>.toml and its translations, from what the database holds."""
    return plan_files_from(*plan_tables(plan))


def item_files(kind: str, slug: str) -> dict[str, str] | None:
    """One published item's files, or None when there is no such item (or it is retired)."""
    if kind == "plan":
        plan = db.session.execute(select(Plan).options(selectinload(Plan.activities)).where(Plan.slug == slug)).scalar()
        return None if plan is None else plan_files(plan)
    if kind == "course":
        course = db.session.execute(select(Course).where(Course.slug == slug, Course.retired.is_(False))).scalar()
        if course is None:
            return None
        lessons = db.session.execute(select(Lesson).options(selectinload(Lesson.current)).where(
            Lesson.course_id == course.id, Lesson.retired.is_(False)).order_by(Lesson.position)).scalars().all()
        return course_files(course, lessons)
    model, write = WRITERS[kind]
    query = select(model).where(model.slug == slug, model.retired.is_(False))
    if kind == "quiz":
        query = query.options(selectinload(Quiz.current))
    elif kind == "survey":
        query = query.options(selectinload(Survey.waves))
    row = db.session.execute(query).scalar()
    return None if row is None else write(row)


WRITERS = {"quiz": (Quiz, quiz_files), "survey": (Survey, survey_files), "brainring": (RingSet, ring_set_files),
           "contest": (Contest, contest_files)}


def all_files() -> dict[str, str]:
    """Every published item's files and every plan (what `export-content` writes)."""
    files = {}
    for plan in db.session.execute(select(Plan).options(selectinload(Plan.activities)).order_by(Plan.slug)).scalars():
        files.update(plan_files(plan))
    courses = db.session.execute(select(Course).where(Course.retired.is_(False)).order_by(Course.slug)).scalars().all()
    lessons = db.session.execute(select(Lesson).options(selectinload(Lesson.current)).where(
        Lesson.retired.is_(False)).order_by(Lesson.position)).scalars().all()
    for course in courses:
        files.update(course_files(course, [lesson for lesson in lessons if lesson.course_id == course.id]))
    quizzes = select(Quiz).options(selectinload(Quiz.current))
    surveys = select(Survey).options(selectinload(Survey.waves))
    for query, write in ((quizzes, quiz_files), (surveys, survey_files), (select(RingSet), ring_set_files),
                         (select(Contest), contest_files)):
        model = query.column_descriptions[0]["entity"]
        for row in db.session.execute(query.where(model.retired.is_(False)).order_by(model.slug)).scalars():
            files.update(write(row))
    return files


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` under `root`, making folders as needed."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")


def scratch_folder() -> tempfile.TemporaryDirectory:
    """A throw-away content root where a draft is written to be read by the file door's readers."""
    return tempfile.TemporaryDirectory(prefix="sanaly-draft-")
