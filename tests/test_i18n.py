"""The language switch and the translation catalogs."""

from app.extensions import db
from app.i18n import TRANSLATIONS, compile_catalogs
from app.people.models import User


def test_catalogs_for_kazakh_and_russian_exist():
    for language in ("kk", "ru"):
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").exists()


def test_visitor_switches_language_with_a_cookie(client):
    compile_catalogs()
    response = client.get("/language/ru?next=/login")
    assert response.status_code == 302 and response.location.endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="ru"' in page and "Войти" in page


def test_browser_language_is_used_when_nothing_was_chosen(client):
    compile_catalogs()
    page = client.get("/login", headers={"Accept-Language": "kk-KZ,kk;q=0.9"}).get_data(as_text=True)
    assert 'lang="kk"' in page


def test_signed_in_choice_is_kept_on_the_profile(client, make_user, auth):
    person = make_user("ann@uni.test")
    auth.login("ann@uni.test")
    client.post("/language/kk?next=/profile")
    assert db.session.get(User, person.id).language == "kk"
    assert client.get("/language/xx").status_code == 404


def test_language_switch_does_not_redirect_off_site(client):
    assert client.get("/language/en?next=//evil.example").location in ("/", "http://sanaly.test/")


def test_the_language_switch_returns_to_the_page_and_its_query_unless_the_query_is_absurdly_long(client):
    page = client.get("/contests/?page=2").get_data(as_text=True)
    assert "/language/kk?next=/contests/?page%3D2" in page
    page = client.get("/contests/?q=" + "a" * 3000).get_data(as_text=True)
    assert "/language/kk?next=/contests/\"" in page and "a" * 3000 not in page


def test_a_signed_in_person_without_a_choice_gets_their_browsers_language(client, make_user, auth):
    make_user("ann@uni.test")
    auth.login("ann@uni.test")
    page = client.get("/profile", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert 'lang="ru"' in page


def test_a_language_picked_before_signing_in_is_kept_on_the_profile(client, make_user, auth):
    person = make_user("bek@uni.test")
    client.get("/language/kk?next=/login")
    auth.login("bek@uni.test")
    assert db.session.get(User, person.id).language == "kk"
    assert 'lang="kk"' in client.get("/profile").get_data(as_text=True)


def test_notifications_and_badges_are_shown_in_the_readers_language(client, make_user, auth):
    from app.gamification.service import N_, notify

    person = make_user("cem@uni.test")
    notify([person.id], "badge", N_("You earned the badge “%(badge)s”."), {"badge": "first-lesson"}, "/profile")
    person.language = "ru"
    db.session.commit()
    compile_catalogs()
    auth.login("cem@uni.test")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Вы получили значок «Первый шаг»." in page
    assert "Первый шаг" in client.get("/profile").get_data(as_text=True)


def test_dates_and_numbers_are_written_the_readers_way(app):
    from datetime import date, datetime

    day, moment, num = (app.jinja_env.filters[name] for name in ("day", "moment", "num"))
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        assert day(date(2024, 12, 9)) == "09.12.2024" and moment(datetime(2024, 12, 9, 5, 5)) == "09.12.2024 10:05"   # stored UTC, shown in Almaty
        assert num(20000) == "20\xa0000" and num(1.78333) == "1,78"
    from flask_babel import refresh

    refresh()   # the test's application context outlives the request above; forget its language
    with app.test_request_context():
        assert day(date(2024, 12, 9)) == "2024-12-09" and num(20000) == "20,000"


def test_the_coverage_report_form_reads_from_and_to_as_a_date_range(client, make_user, auth, runner, app, setup_cli):
    from datetime import datetime

    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime(2025, 3, 1, 9, 0)
    compile_catalogs()
    make_user("acs@uni.test", roles=("admin",))
    auth.login("acs@uni.test")
    wanted = {"ru": ("С", "По", "Кому"), "kk": ("Басталу күні", "Аяқталу күні", "Кімге")}
    for language, (start, end, wrong) in wanted.items():
        client.get(f"/language/{language}")
        page = client.get("/admin/coverage/report").get_data(as_text=True)
        assert f'<label for="from">{start}</label>' in page and f'<label for="to">{end}</label>' in page
        assert wrong not in page
    plan_page = client.get("/admin/plan/ktu-2024-2025").get_data(as_text=True)
    assert "Мерзімі" in plan_page and "Кімге арналған" in plan_page
    assert "Семестр" not in plan_page and "Жиынтық" not in plan_page


def test_a_notification_naming_a_quiz_names_it_in_the_readers_language(client, make_user, auth):
    from types import SimpleNamespace

    from app.gamification.service import N_, notify, titles_in_every_language

    person = make_user("dan@uni.test")
    quiz = SimpleNamespace(title="Integrity hour", translations={"kk": {"title": "Адалдық сағаты"},
                                                                 "ru": {"title": "Час честности"}})
    notify([person.id], "quiz", N_("A new quiz is open: “%(title)s”."), titles_in_every_language("title", quiz),
           "/quizzes/integrity-hour/")
    db.session.commit()
    compile_catalogs()
    auth.login("dan@uni.test")
    for language, title in (("ru", "Час честности"), ("kk", "Адалдық сағаты"), ("en", "Integrity hour")):
        client.get(f"/language/{language}")
        page = client.get("/notifications").get_data(as_text=True)
        assert title in page, language
    assert "Integrity hour" in page and "Час честности" not in page


def test_template_messages_are_translated_escaped_and_formatted_as_jinja_would(app, tmp_path):
    """Templates' _(), ngettext and pgettext (app/i18n.py) keep the request's translations in the template's
    context: the same words as Flask-Babel's, escaped then %-formatted; a macro imported without the context
    (it cannot see the kept translations) is translated too."""
    from flask import render_template_string
    from flask_babel import refresh

    (tmp_path / "macro.html").write_text('{% macro sign() %}{{ _("Sign in") }}{% endmacro %}')
    app.jinja_loader.searchpath.append(str(tmp_path))
    page = ('{% from "macro.html" import sign %}{{ _("Sign in") }}|{{ sign() }}|{{ ngettext("%(num)d unread", '
            '"%(num)d unread", 5) }}|{{ pgettext("open a content item in its editor", "Edit") }}|'
            '{{ _("Sign in") ~ "%(x)s" }}|{{ _("Results: %(title)s", title="<b>") }}')
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        shown = render_template_string(page).split("|")
    refresh()
    assert shown[:4] == ["Войти", "Войти", "5 непрочитанных", "Изменить"]
    assert shown[4] == "Войти%(x)s"                  # only the message itself is formatted
    assert "&lt;b&gt;" in shown[5] and "<b>" not in shown[5]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(page).split("|")[:4] == ["Sign in", "Sign in", "5 unread", "Edit"]
    refresh()


def test_forms_take_and_show_times_on_the_configured_university_clock(app):
    from datetime import datetime

    import pytest
    from flask_babel import refresh

    from app.core.localize import from_local_input, local_input, zone_city

    with app.test_request_context():
        assert from_local_input("2024-12-09T10:00") == datetime(2024, 12, 9, 5, 0)       # Almaty: UTC+5
        assert local_input(datetime(2024, 12, 9, 5, 0)) == "2024-12-09T10:00" and local_input(None) == ""
        assert zone_city() == "Almaty"
        for typed in ("next Monday", "0001-01-01T00:00"):
            with pytest.raises(ValueError):
                from_local_input(typed)
    refresh()
    with app.test_request_context(headers={"Accept-Language": "kk"}):
        assert zone_city() == "Алматы"
    refresh()
    app.config["TIME_ZONE"] = "Europe/Berlin"                 # another university: its own zone, its own city
    with app.test_request_context():
        assert from_local_input("2024-12-09T10:00") == datetime(2024, 12, 9, 9, 0) and zone_city() == "Berlin"
