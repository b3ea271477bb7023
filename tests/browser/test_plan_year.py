"""The plan year through a real browser, as an ACS officer with no files touched: prepares 2025-2026 from
2024-2025, edits an activity with its Kazakh text, records a headcount for the new year, closes 2024-2025 (whose
dashboard then says so), and edits the plan's own title in Kazakh."""
from sqlalchemy import select

from app.extensions import db
from app.people.models import Headcount
from app.plan.models import Plan
from browser.conftest import check_accessibility


def test_an_officer_prepares_next_year_edits_it_records_a_headcount_and_closes_the_old_year(page_for, live_server):
    app, _base = live_server
    page = page_for("admin@sanaly.test", width=1400)
    page.goto("/admin/plan/ktu-2024-2025")
    assert check_accessibility(page) == []
    page.click("text=Prepare next year")
    assert page.input_value("#slug") == "ktu-2025-2026"
    assert page.input_value("#starts_on") == "2025-09-01"
    assert page.input_value("[id='term-1.3']") == "May-June 2026"
    assert check_accessibility(page) == []

    page.fill("[id='term-2.2']", "Till Febuary 15")              # a typo: the term cannot be read
    page.click("button[value=create]")
    assert page.locator("[id='term-2.2-error']").is_visible()
    assert page.input_value("[id='term-2.2']") == "Till Febuary 15", "nothing typed is lost"
    page.fill("[id='term-2.2']", "Till February 15")
    page.click("button[value=check]")
    assert page.locator("tr", has_text="Organizing a single hour").locator("ol.periods li").inner_text().endswith(
        "2026-02-15")
    page.click("button[value=create]")
    page.wait_for_url("**/admin/plan/ktu-2025-2026")
    assert page.locator(".flash", has_text="Plan 2025-2026 created").is_visible()

    page.click("a:text-is('2.2')")
    page.click("text=Edit the activity")
    page.fill("#name-kk", "Адалдық сағаты 2025-2026")
    page.fill("#target_percent", "95")
    assert check_accessibility(page) == []
    page.click("button[value=save]")
    page.wait_for_url("**/admin/plan/ktu-2025-2026/2.2")
    assert page.locator(".flash", has_text="Activity 2.2 saved").is_visible()

    page.goto("/admin/plan/ktu-2025-2026")
    page.click("text=Headcounts for this year")
    assert check_accessibility(page) == []
    first = page.locator("input[name^='g-']").first
    group_field = first.get_attribute("name")
    first.fill("31")
    page.click("text=Record the headcounts")
    assert page.locator(".flash", has_text="1 headcounts recorded").is_visible()

    page.goto("/admin/plan/ktu-2024-2025")
    page.click("text=Close this year")
    page.click("button:has-text('Close the year')")
    page.wait_for_url("**/admin/plan/ktu-2024-2025")
    assert page.locator("h2", has_text="Figures at closing").is_visible()
    assert page.locator("text=Close this year").count() == 0
    assert check_accessibility(page) == []
    page.goto("/admin/coverage/?plan=ktu-2024-2025")
    assert page.locator(".closed-note", has_text="figures as of then").is_visible()

    with app.app_context():
        new = db.session.execute(select(Plan).where(Plan.slug == "ktu-2025-2026")).scalar_one()
        activity = next(a for a in new.activities if a.code == "2.2")
        assert activity.translations["kk"]["name"] == "Адалдық сағаты 2025-2026" and activity.target_percent == 95
        assert activity.term_text == "Till February 15"
        headcount = db.session.execute(select(Headcount).where(
            Headcount.group_id == int(group_field[2:])).order_by(Headcount.id.desc())).scalars().first()
        assert (headcount.value, headcount.effective_from) == (31, new.starts_on)
        old = db.session.execute(select(Plan).where(Plan.slug == "ktu-2024-2025")).scalar_one()
        assert old.closed and old.closed_figures["activities"]
        db.session.remove()


def test_an_officer_edits_the_plan_title_in_kazakh_and_sees_it_on_the_plan_page_in_kazakh(page_for, live_server):
    app, _base = live_server
    with app.app_context():
        slug = db.session.execute(select(Plan.slug).where(Plan.closed_at.is_(None)).order_by(Plan.starts_on)).scalar()
        db.session.remove()
    page = page_for("admin@sanaly.test", width=1400)
    page.goto(f"/admin/plan/{slug}")
    page.click("text=Edit the plan's texts")
    assert check_accessibility(page) == []
    page.fill("#title-kk", "")
    page.fill("#title", "")                                       # a mistake: the title is required
    page.fill("#section-new-number", "5")
    page.fill("#section-new-title", "Monitoring of the plan")
    page.click("button[value=save]")
    assert page.locator("#title-error").is_visible()
    assert page.input_value("#section-new-title") == "Monitoring of the plan", "nothing typed is lost"
    page.fill("#title", "Plan of the main anti-corruption activities")
    page.fill("#title-kk", "Сыбайлас жемқорлыққа қарсы іс-шаралардың жаңа жоспары")
    page.click("button[value=save]")
    page.wait_for_url(f"**/admin/plan/{slug}")
    assert page.locator(".flash", has_text="The plan's texts are saved").is_visible()
    assert page.locator("h2", has_text="Monitoring of the plan").count() == 0, "an empty section shows no table"

    page.locator("footer").get_by_text("Қазақша").click()
    page.goto(f"/admin/plan/{slug}")
    assert page.locator("p.lead").inner_text() == "Сыбайлас жемқорлыққа қарсы іс-шаралардың жаңа жоспары"
    with app.app_context():
        plan = db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one()
        assert plan.sections["5"] == "Monitoring of the plan"
        assert plan.translations["kk"]["title"] == "Сыбайлас жемқорлыққа қарсы іс-шаралардың жаңа жоспары"
        db.session.remove()


def test_the_plan_year_pages_fit_a_phone(page_for, live_server):
    app, _base = live_server
    with app.app_context():
        slug = db.session.execute(select(Plan.slug).where(Plan.closed_at.is_(None)).order_by(Plan.starts_on)).scalar()
        db.session.remove()
    page = page_for("admin@sanaly.test", width=390)
    for path in (f"/admin/plan/{slug}", f"/admin/plan-year/{slug}/next", f"/admin/plan-year/{slug}/activities/2.2",
                 f"/admin/plan-year/{slug}/headcounts", "/admin/plan-year/upload", f"/admin/plan-year/{slug}/texts",
                 "/admin/plan/ktu-2024-2025", "/admin/coverage/?plan=ktu-2024-2025"):
        page.goto(path)
        assert page.url.endswith(path), path
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
