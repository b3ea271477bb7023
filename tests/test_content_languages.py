"""Content in several languages: translated lessons, quizzes and surveys; progress belongs to the original."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core.content import ContentError
from app.courses.loader import read_course
from app.courses.models import LessonCompletion
from app.extensions import db
from app.quizzes.loader import read_quiz

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "courses" / "fundamentals-of-anti-corruption-culture"


@pytest.fixture
def content(runner, setup_cli):
    assert setup_cli("load-content").exit_code == 0


def test_a_reader_gets_the_lesson_in_their_language_and_progress_counts_for_the_lesson(content, client, auth, make_user):
    person = make_user("ann@uni.test")
    person.language = "ru"
    db.session.commit()
    auth.login("ann@uni.test")
    page = client.get("/courses/fundamentals-of-anti-corruption-culture/what-is-corruption").get_data(as_text=True)
    russian = (COURSE / "01-what-is-corruption.ru.md").read_text(encoding="utf-8").split("+++")[1]
    title = next(line for line in russian.splitlines() if line.startswith("title")).split('"')[1]
    assert title in page and "пока не переведён на ваш язык" not in page   # the note, as a Russian reader sees it
    assert "Основы антикоррупционной культуры" in client.get("/courses/").get_data(as_text=True)
    answers = {f"q{i}": str(a) for i, a in enumerate([1, 2, 0])}
    client.post("/courses/fundamentals-of-anti-corruption-culture/what-is-corruption/check", data=answers)
    assert db.session.execute(select(LessonCompletion).where(LessonCompletion.user_id == person.id)).scalar_one()


def test_without_a_translation_the_original_is_shown_with_a_note(app, runner, client, auth, make_user, tmp_path):
    for folder in ("courses", "quizzes", "contests", "plans"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "courses" / "academic-honesty" / "01-why-honesty-matters.kk.md").unlink()
    app.config["CONTENT_FOLDER"] = str(tmp_path)
    assert runner.invoke(args=["load-content"]).exit_code == 0
    person = make_user("bek@uni.test")
    person.language = "kk"
    db.session.commit()
    auth.login("bek@uni.test")
    page = client.get("/courses/academic-honesty/why-honesty-matters").get_data(as_text=True)
    assert "Why honesty" in page and "сіздің тіліңізге аударылмаған" in page
    translated = client.get("/courses/academic-honesty/plagiarism-and-citation").get_data(as_text=True)
    assert "сіздің тіліңізге аударылмаған" not in translated


def test_a_translation_must_keep_the_answers(tmp_path):
    folder = tmp_path / "courses" / COURSE.name
    shutil.copytree(COURSE, folder)
    (tmp_path / "quizzes").mkdir()
    shutil.copy(ROOT / "quizzes" / "fundamentals-final.toml", tmp_path / "quizzes")
    translated = folder / "01-what-is-corruption.ru.md"
    translated.write_text(translated.read_text(encoding="utf-8").replace("answer = 1", "answer = 2", 1), encoding="utf-8")
    with pytest.raises(ContentError, match="answer"):
        read_course(folder)
    (folder / "09-no-such-lesson.kk.md").write_text("+++\ntitle = \"x\"\n+++\ntext", encoding="utf-8")
    translated.unlink()
    with pytest.raises(ContentError, match="needs its lesson"):
        read_course(folder)


def test_a_quiz_translation_file_is_checked_against_the_quiz(tmp_path):
    shutil.copy(ROOT / "quizzes" / "fundamentals-final.toml", tmp_path / "quiz.toml")
    (tmp_path / "quiz.ru.toml").write_text('title = "Тест"\n[questions.no-such-question]\ntext = "?"\n', encoding="utf-8")
    with pytest.raises(ContentError, match="no-such-question"):
        read_quiz(tmp_path / "quiz.toml")
    original = read_quiz(ROOT / "quizzes" / "fundamentals-final.toml")
    first = original["questions"][0]
    options = "" if "options" not in first else "options = [" + ", ".join('"вариант"' for _ in first["options"]) + "]\n"
    (tmp_path / "quiz.ru.toml").write_text(f'title = "Тест"\n[questions.{first["key"]}]\ntext = "Вопрос"\n{options}',
                                           encoding="utf-8")
    spec = read_quiz(tmp_path / "quiz.toml")
    assert spec["translations"]["ru"]["title"] == "Тест"
    assert spec["questions"][0]["translations"]["ru"]["text"] == "Вопрос"
    assert spec["digest"] != original["digest"]


def test_the_survey_speaks_the_readers_language(content, client, auth, make_user, make_group, app):
    from datetime import datetime

    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 12, 10, 10, 0)
    person = make_user("cem@uni.test", group=make_group())
    person.language = "kk"
    db.session.commit()
    auth.login("cem@uni.test")
    page = client.get("/surveys/perception-survey-2024-2025/").get_data(as_text=True)
    translated = (ROOT / "quizzes" / "perception-survey-2024-2025.kk.toml")
    if translated.exists():
        import tomllib

        text = tomllib.loads(translated.read_text(encoding="utf-8"))["questions"]["corruption-at-universities"]["text"]
        assert text in page
    else:
        assert "Kazakhstan" in page


def test_contests_and_certificates_speak_the_readers_language(content, client, auth, make_user):
    import tomllib

    person = make_user("dana@uni.test")
    person.language = "kk"
    db.session.commit()
    auth.login("dana@uni.test")
    kazakh = tomllib.loads((ROOT / "contests" / "essay-2024-2025.kk.toml").read_text(encoding="utf-8"))
    page = client.get("/contests/essay-2024-2025/").get_data(as_text=True)
    assert kazakh["criteria"]["argument"]["title"] in page
    assert kazakh["title"].replace("«", "&#171;")[:10] in page or kazakh["title"][:10] in page
    from app.certificates.models import Certificate
    from app.certificates.service import display_title
    from app.courses.models import Course

    course = db.session.execute(select(Course).where(Course.slug == COURSE.name)).scalar_one()
    certificate = Certificate(code="X", user_id=person.id, kind="course", subject_ref=f"course:{course.id}",
                              title=course.title, holder_name="D", issued_on=__import__("datetime").date(2025, 1, 1))
    with client.application.test_request_context(headers={"Accept-Language": "kk"}):
        assert display_title(certificate) == "Сыбайлас жемқорлыққа қарсы мәдениет негіздері"
