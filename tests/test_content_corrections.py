"""Issue 23's content rules as the spec states them: lessons, the story contest, the Clean Session survey,
and the perception survey quoting the project paper as it is."""
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.contests.loader import read_contest
from app.extensions import db
from app.plan.models import Activity, Participation
from app.surveys import service
from app.surveys.models import Survey

ROOT = Path(__file__).resolve().parent.parent
COURSES = ROOT / "courses"
ORIGINALS = sorted(p for p in COURSES.glob("*/[0-9][0-9]-*.md") if not re.search(r"\.(kk|ru)\.md$", p.name))
LANGUAGES = ("", ".kk", ".ru")
WORD = re.compile(r"\w+", re.UNICODE)
# The official domains and the two seed documents a footnote may cite (the items linter uses the same list).
OFFICIAL = ("adilet.zan.kz", "gov.kz", "un.org", "unodc.org", "kstu.kz")
SEEDS = ("Sanaly urpaq project paper", "University anti-corruption plan 2024-2025")
DRAFT_MARKERS = ("not checked", "todo", "tbd", "draft", "проверить", "тексеру керек", "not reviewed")
CASE_WORDS, DISCUSSION_WORDS = ("case", "кейс", "жағдаят"), ("discussion", "обсуждение", "талқылау")


def versions(original: Path) -> list[Path]:
    return [original.with_name(original.stem + suffix + ".md") for suffix in LANGUAGES]


def split(path: Path) -> tuple[dict, str]:
    _, front, body = path.read_text(encoding="utf-8").split("+++", 2)
    return tomllib.loads(front), body.strip()


def headings(body: str) -> list[str]:
    return [h.lower() for h in re.findall(r"^##\s+(.+)$", body, re.M)]


def section(body: str, words) -> str:
    parts = re.split(r"^##\s+", body, flags=re.M)
    return next(p for p in parts if any(w in p.splitlines()[0].lower() for w in words))


def lesson_ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


@pytest.mark.parametrize("original", ORIGINALS, ids=lesson_ids(ORIGINALS))
def test_every_lesson_has_600_words_a_case_study_and_discussion_questions_in_every_language(original):
    _, body = split(original)
    words = len(WORD.findall(body))
    assert words >= 600
    for path in versions(original):
        _, text = split(path)
        titles = headings(text)
        assert any(any(w in t for w in CASE_WORDS) for t in titles), f"{path.name}: no case study"
        assert any(any(w in t for w in DISCUSSION_WORDS) for t in titles), f"{path.name}: no discussion questions"
        assert 2 * len(WORD.findall(text)) >= words, f"{path.name}: under half the original's words"


@pytest.mark.parametrize("original", ORIGINALS, ids=lesson_ids(ORIGINALS))
def test_every_footnote_cites_an_official_source_or_a_seed_document_and_no_draft_note_ships(original):
    for path in versions(original):
        _, body = split(path)
        notes = re.findall(r"^\[\^[^\]]+\]:\s*(.+)$", body, re.M)
        assert notes, f"{path.name}: no sources"
        for note in notes:
            hosts = re.findall(r"https?://([^/\s)]+)", note)
            official = hosts and all(any(h == d or h.endswith("." + d) for d in OFFICIAL) for h in hosts)
            assert official or any(seed in note for seed in SEEDS), f"{path.name}: {note[:80]}"
        lowered = path.read_text(encoding="utf-8").lower()
        assert not [m for m in DRAFT_MARKERS if m in lowered], path.name


def test_no_lesson_rests_on_a_news_site_or_another_university_s_page():
    domain = re.compile(r"\b((?:[a-z0-9-]+\.)+(?:kz|ru|com|org|net|uz|ua|university))\b")
    for original in ORIGINALS:
        for path in versions(original):
            found = {d for d in domain.findall(path.read_text(encoding="utf-8").lower())
                     if not any(d == o or d.endswith("." + o) for o in OFFICIAL)}
            assert not found, f"{path.name}: {sorted(found)}"


def test_each_lesson_tells_its_own_case():
    """No two case studies share a title or a protagonist: a repeated story would repeat both."""
    titles, people = [], []
    for original in ORIGINALS:
        case = section(split(original)[1], CASE_WORDS)
        titles.append(case.splitlines()[0].strip().lower())
        actor = re.search(r"What ([A-Z][a-z]+) should do", case)
        if actor:
            people.append(actor.group(1))
    assert len(set(titles)) == len(titles) and len(set(people)) == len(people), (titles, people)


def test_the_academic_honesty_course_does_not_call_someone_else_s_work_plagiarism():
    """Work written by another person is contract cheating, as the Fundamentals course says."""
    honesty = [p for p in ORIGINALS if p.parent.name == "academic-honesty"]
    assert all("contract cheating" in split(p)[1] for p in honesty[:2])
    for path in honesty:
        for check in split(path)[0].get("check", []):
            if "plagiarism" in check["question"].lower():
                right = check["options"][check["answer"]].lower()
                assert not re.search(r"\bwr(?:o|i)te|written|bought|paid", right), right


@pytest.mark.parametrize("lesson", ["fundamentals-of-anti-corruption-culture/06-reporting-and-protection",
                                    "academic-honesty/04-when-someone-asks-for-a-bribe"])
def test_the_reporting_lessons_point_to_the_platform_s_channel_and_say_what_happens_to_a_report(lesson):
    said = {"": ("Report corruption", "Follow a report", "under review", "passphrase"),
            ".ru": ("Сообщить о коррупции", "Отследить сообщение", "на проверке", "кодов"),
            ".kk": ("Сыбайлас жемқорлық туралы хабарлау", "Хабарламаны қадағалау", "қаралуда", "құпия сөз тіркес")}
    for suffix, phrases in said.items():
        text = (COURSES / f"{lesson}{suffix}.md").read_text(encoding="utf-8")
        assert all(p in text for p in phrases), (suffix, [p for p in phrases if p not in text])


def test_the_legal_lesson_teaches_go_betweens_the_administrative_code_and_the_agency_s_history():
    for path in versions(COURSES / "fundamentals-of-anti-corruption-culture" / "02-legal-framework.md"):
        text = path.read_text(encoding="utf-8")
        assert "368" in text and "676" in text and "K1400000235" in text, path.name
        assert "883" in text and "U1400000883" in text, path.name       # August 2014: the Financial Police abolished
        assert "Z080000031_" in text, path.name                        # the UN Convention ratified by Law No. 31-IV


def test_the_content_gives_no_date_its_sources_do_not():
    lessons = [p.read_text(encoding="utf-8") for o in ORIGINALS for p in versions(o)]
    assert not [t for t in lessons if "3 January 2023" in t or "3 января 2023" in t or "2023 жылғы 3 қаңтар" in t]
    agents = COURSES / "fundamentals-of-anti-corruption-culture" / "07-student-as-agent-of-change"
    assert not [s for s in LANGUAGES if "2016" in Path(f"{agents}{s}.md").read_text(encoding="utf-8")]
    for path in sorted((ROOT / "quizzes").glob("perception-survey-2024-2025*.toml")):
        assert "2017" not in path.read_text(encoding="utf-8"), path.name


def test_the_survey_results_compare_with_the_project_paper_s_survey_without_dating_it(app, runner, client, make_user,
                                                                                     make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    survey = db.session.execute(select(Survey).where(Survey.slug == "perception-survey-2024-2025")).scalar_one()
    winter = survey.waves[0]
    for number in range(5):
        answers = {q["key"]: 0 if q["type"] != "multiple" else [0] for q in survey.questions if q["type"] != "text"}
        answers.update({q["key"]: 1 for q in survey.questions if q["type"] == "scale"})
        service.respond(make_user(group=make_group(f"P-{number}")), winter, answers, {}, date(2024, 12, 10))
    service.publish(winter, make_user(roles=("admin",)), datetime(2025, 1, 20))
    page = client.get(f"/surveys/{survey.slug}/results/{winter.key}").get_data(as_text=True)
    assert "project paper" in page and "2017" not in page


def test_the_story_contest_counts_for_activity_2_9_in_three_languages():
    story = read_contest(ROOT / "contests" / "story-2024-2025.toml")
    assert story["kind"] == "story" and story["activity_code"] == "2.9"
    assert set(story["translations"]) == {"kk", "ru"}
    assert story["translations"]["ru"]["title"] != story["title"] != story["translations"]["kk"]["title"]


def test_answering_the_clean_session_survey_counts_for_activity_2_10(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    survey = db.session.execute(select(Survey).where(Survey.slug == "clean-session-survey")).scalar_one()
    assert survey.activity_code == "2.10" and set(survey.translations) == {"kk", "ru"}
    wave = survey.waves[0]
    day = wave.opens_on
    answers = {q["key"]: 0 for q in survey.questions if q["type"] == "single"}
    answers.update({q["key"]: 3 for q in survey.questions if q["type"] == "scale"})
    service.respond(make_user(group=make_group()), wave, answers, {}, day)
    rows = db.session.execute(select(Participation).join(Activity).where(Activity.code == "2.10")).scalars().all()
    assert len(rows) == 1 and rows[0].source == "survey"


def test_the_demo_opens_the_story_contest_and_the_same_clean_session_wave_today_however_often_it_runs(app, runner,
                                                                                                       setup_cli):
    assert setup_cli("demo").exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0      # run again for real on what the first run left
    from app.contests import service as contests
    from app.core.clock import utcnow

    now = utcnow()
    assert contests.phase(contests.contest_by_slug("story-2024-2025"), now) == "submissions"
    survey = db.session.execute(select(Survey).where(Survey.slug == "clean-session-survey")).scalar_one()
    open_waves = [w.key for w in survey.waves if w.opens_on <= now.date() <= w.closes_on]
    assert open_waves == ["winter-session-2024-2025"]
