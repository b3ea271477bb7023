"""The plan in Kazakh and Russian: translation files beside the plan, checked, loaded and shown everywhere."""
import shutil
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from app.cli import check_content
from app.core.content import ContentError
from app.demo.plan import plan_for_year
from app.extensions import db
from app.i18n import compile_catalogs
from app.people.service import record_headcount
from app.plan.service import ACTIVITY_TEXTS, activity_by_code, current_plan, load_plans, read_plan, record_participation

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "plans" / "ktu-2024-2025.toml"
AS_OF = date(2025, 3, 1)


def translation_file(language: str) -> dict:
    return tomllib.loads((ROOT / "plans" / f"ktu-2024-2025.{language}.toml").read_text(encoding="utf-8"))


@pytest.fixture
def plan_copy(tmp_path):
    """A content folder holding only the shipped plan and its two translations."""
    folder = tmp_path / "plans"
    folder.mkdir()
    for path in SHIPPED.parent.glob("ktu-2024-2025*.toml"):
        shutil.copy(path, folder / path.name)
    return tmp_path


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_shipped_plan_is_translated_in_full(language):
    spec = read_plan(SHIPPED)
    translated = spec.translations[language]
    assert set(translated) == {"title", "university", "approved_by", "sections"}
    assert set(translated["sections"]) == set(spec.sections)
    for activity in spec.activities:
        texts = activity.translations[language]
        for key, attribute in ACTIVITY_TEXTS.items():
            original = getattr(activity, attribute)
            assert bool(texts.get(attribute)) == bool(original), (activity.code, key)
            assert texts.get(attribute, "") != original or not original, (activity.code, key)
        assert len(texts["responsible"]) >= 1
    # every activity of the file is in the translation, and nothing else
    assert set(translation_file(language)["activities"]) == {a.code for a in spec.activities}


def test_the_content_check_passes_the_shipped_plan(plan_copy):
    findings, problems = check_content(plan_copy)
    assert (findings, problems) == ([], [])


def test_the_content_check_reports_a_missing_activity_and_a_missing_file(plan_copy):
    kk = plan_copy / "plans" / "ktu-2024-2025.kk.toml"
    text = kk.read_text(encoding="utf-8")
    start = text.index('[activities."2.2"]')
    kk.write_text(text[:start] + text[text.index("[activities.", start + 5):], encoding="utf-8")
    (plan_copy / "plans" / "ktu-2024-2025.ru.toml").unlink()
    findings, _problems = check_content(plan_copy)
    assert [str(f) for f in findings] == [
        "plans/ktu-2024-2025.kk.toml: activity 2.2: no Kazakh version [translation]",
        "plans/ktu-2024-2025.toml: has no Russian version (plans/ktu-2024-2025.ru.toml) [translation]",
    ]


@pytest.mark.parametrize("addition, key", [
    ('\n[activities."9.9"]\nname = "Нет такого"\n', "activities.9.9"),
    ('\n[sections]\n7 = "Нет такого"\n', "sections"),
    ('\n[activities."2.2"]\nnmae = "опечатка"\n', "activities"),
])
def test_a_translation_naming_what_the_plan_does_not_have_is_refused(plan_copy, addition, key):
    ru = plan_copy / "plans" / "ktu-2024-2025.ru.toml"
    text = ru.read_text(encoding="utf-8")
    if "[sections]" in addition or '"2.2"' in addition:   # TOML forbids a table twice: replace it
        head = addition.strip().splitlines()[0]
        start = text.index(head)
        end = text.index("\n\n", start)
        text = text[:start] + text[end:]
    ru.write_text(text + addition, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_plans(plan_copy / "plans")
    assert caught.value.path == "ktu-2024-2025.ru.toml" and caught.value.key.startswith(key)


def test_loading_keeps_the_translations_and_a_changed_translation_reloads_the_plan(app, plan_copy):
    first = load_plans(plan_copy / "plans")[0]
    assert first.created == 30
    plan = current_plan(AS_OF)
    assert plan.translations["ru"]["sections"]["2"] == "Антикоррупционное обучение и воспитание обучающихся"
    assert activity_by_code(plan, "2.2").translations["kk"]["term_text"].startswith("2024 жылғы қыркүйек")
    ru = plan_copy / "plans" / "ktu-2024-2025.ru.toml"
    ru.write_text(ru.read_text(encoding="utf-8").replace("Организация единого часа", "Проведение единого часа"),
                  encoding="utf-8")
    again = load_plans(plan_copy / "plans")[0]
    assert not again.unchanged and again.created == 0
    assert activity_by_code(plan, "2.2").translations["ru"]["name"].startswith("Проведение единого часа")


def test_the_demos_copy_of_the_plan_carries_the_translations_moved_to_its_year():
    spec = read_plan(SHIPPED)
    moved = plan_for_year(spec, date(2026, 9, 1))
    by_code = {a.code: a for a in moved.activities}
    assert by_code["2.11"].translations["ru"]["term_text"] == "До 9 декабря 2026 года"
    assert by_code["2.11"].translations["kk"]["term_text"] == "2026 жылғы 9 желтоқсанға дейін"
    assert "2026-2027" in moved.translations["kk"]["title"] and "2026-2027" in by_code["2.5"].translations["ru"]["name"]
    assert spec.activities[0].translations["ru"]["term_text"] == "Ежеквартально"   # the seed's spec is untouched


@pytest.fixture
def loaded(app, runner, make_user, make_group, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime.combine(AS_OF, datetime.min.time())
    compile_catalogs()
    plan = current_plan(AS_OF)
    group = make_group()
    record_headcount(group, 10, date(2024, 9, 1), None)
    record_participation(make_user(group=group).id, activity_by_code(plan, "2.2"), source="manual",
                         when=datetime(2024, 9, 10, 9, 0))
    db.session.commit()
    make_user("acs@uni.test", roles=("admin",))
    make_user("cur@uni.test", roles=("curator",))
    return plan, group


SHOWN = {
    "ru": ("Раздел 2. Антикоррупционное обучение и воспитание обучающихся",
           "Организация единого часа, посвящённого вопросам добропорядочности и академической честности",
           "Сентябрь 2024 года (с 1 по 15 число)", "Час честности"),
    "kk": ("2-бөлім. Білім алушыларды сыбайлас жемқорлыққа қарсы оқыту және тәрбиелеу",
           "Адалдық және академиялық адалдық мәселелеріне арналған бірыңғай сағат өткізу",
           "2024 жылғы қыркүйек (1-інен 15-іне дейін)", "Адалдық сағаты"),
}


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_coverage_pages_and_the_printable_report_show_the_plan_in_the_readers_language(loaded, client, auth, language):
    section, activity, term, _quiz = SHOWN[language]
    auth.login("acs@uni.test")
    client.get(f"/language/{language}")
    for url in ("/admin/coverage/?as_of=2025-03-01", "/admin/coverage/report", "/admin/plan/ktu-2024-2025",
                "/admin/plan/ktu-2024-2025/2.2"):
        page = client.get(url).get_data(as_text=True)
        assert activity in page and term in page, url
        assert "Organizing a single hour" not in page and "September 2024 (from 01 to 15)" not in page, url
        if "/2.2" not in url:
            assert section in page and "Anti-corruption training and education of the students" not in page, url


def test_a_curators_group_page_names_the_activities_in_russian(loaded, client, auth):
    _plan, group = loaded
    from app.people.models import User

    curator = db.session.execute(db.select(User).where(User.email == "cur@uni.test")).scalar_one()
    group.curators.append(curator)
    db.session.commit()
    auth.login("cur@uni.test")
    client.get("/language/ru")
    page = client.get(f"/coverage/groups/{group.id}?as_of=2025-03-01").get_data(as_text=True)
    assert f'title="{SHOWN["ru"][1]}"' in page or SHOWN["ru"][1] in page


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_staff_pages_show_quiz_titles_in_the_readers_language(loaded, client, auth, language):
    auth.login("acs@uni.test")
    client.get(f"/language/{language}")
    page = client.get("/admin/quizzes").get_data(as_text=True)
    assert SHOWN[language][3] in page and ">Integrity hour<" not in page
    items = client.get("/admin/quizzes/integrity-hour/items").get_data(as_text=True)
    assert items.count(SHOWN[language][3]) >= 2 and "Integrity hour" not in items   # the heading and the tab's title


def test_the_api_gives_the_plans_translations_beside_the_original(loaded, client, runner):
    from app.coverage.models import ApiToken  # noqa: F401  (the token table is the API's)

    output = runner.invoke(args=["api-token", "create", "reader"]).output
    token = output.strip().splitlines()[-1].split()[-1]
    body = client.get("/api/v1/plan?plan=ktu-2024-2025", headers={"Authorization": f"Bearer {token}"}).get_json()
    hour = next(a for a in body["activities"] if a["code"] == "2.2")
    assert hour["name"].startswith("Organizing a single hour")
    assert hour["translations"]["ru"]["term"] == "Сентябрь 2024 года (с 1 по 15 число)"
    assert body["translations"]["kk"]["sections"]["1"] == "Жалпы сипаттағы іс-шаралар"


def test_dates_and_targets_read_the_readers_way_on_the_report_and_the_activity_page(loaded, client, auth):
    auth.login("acs@uni.test")
    client.get("/language/kk")
    assert "студенттердің 10%" in client.get("/admin/plan/ktu-2024-2025/2.11").get_data(as_text=True)
    client.get("/language/ru")
    assert "10% студентов" in client.get("/admin/plan/ktu-2024-2025/2.11").get_data(as_text=True)
    report = client.get("/admin/coverage/report?from=2024-12-01&to=2024-12-31").get_data(as_text=True)
    sheet = report.split("<article", 1)[1].split("</article>", 1)[0]
    assert "01.12.2024 – 31.12.2024" in sheet and "2024-12-01" not in sheet
    dashboard = client.get("/admin/coverage/?as_of=2025-03-01").get_data(as_text=True)
    assert "(установлено 01.09.2024)" in dashboard
