"""Exports open right in a spreadsheet and never run what a person typed as a formula."""
import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from app.core.exports import csv_bytes, neutralise, xlsx_bytes
from app.plan.service import current_plan

HOSTILE_NAMES = ["=HYPERLINK(\"http://evil.test\",\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                 "\tTab", "\rReturn"]


@pytest.mark.parametrize("text", HOSTILE_NAMES)
def test_a_text_cell_a_spreadsheet_would_evaluate_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("Айгерім Сәдуақасова") == "Айгерім Сәдуақасова"
    assert neutralise(-3) == -3 and neutralise(12.5) == "12.5"


def test_csv_is_utf8_with_a_byte_order_mark_and_keeps_cyrillic():
    body = csv_bytes(["Студент", "E-mail"], [["Әлия Нұрланқызы", "=1+1"]])
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["Студент", "E-mail"], ["Әлия Нұрланқызы", "'=1+1"]]


def test_xlsx_types_text_as_text_and_numbers_as_numbers():
    book = load_workbook(io.BytesIO(xlsx_bytes(["name", "percent"], [[HOSTILE_NAMES[0], 12.5], ["Ұлан", None]])))
    sheet = book.active
    assert sheet["A2"].value == HOSTILE_NAMES[0] and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 12.5 and sheet["B2"].data_type == "n"
    assert sheet["A3"].value == "Ұлан" and sheet["B3"].value is None


@pytest.fixture
def group_with_a_hostile_name(app, runner, make_group, make_user, setup_cli):
    assert setup_cli("load-content").exit_code == 0
    app.config["NOW_FUNCTION"] = lambda: datetime(2025, 3, 1, 9, 0)         # a day of the plan's year
    group = make_group()
    curator = make_user("curator@uni.test", roles=("curator",))
    group.curators.append(curator)
    make_user("evil@uni.test", group=group, name=HOSTILE_NAMES[0])
    make_user("aliya@uni.test", group=group, name="Әлия Нұрланқызы")
    return group


def test_the_group_export_in_both_formats(group_with_a_hostile_name, client, auth):
    group = group_with_a_hostile_name
    auth.login("curator@uni.test")
    plan = current_plan(date(2025, 3, 1))
    as_csv = client.get(f"/coverage/groups/{group.id}.csv?plan={plan.slug}&as_of=2025-03-01")
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv" and as_csv.data.startswith(b"\xef\xbb\xbf")
    text = as_csv.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "Әлия Нұрланқызы" in text
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())
    as_xlsx = client.get(f"/coverage/groups/{group.id}.xlsx?plan={plan.slug}&as_of=2025-03-01")
    assert as_xlsx.status_code == 200 and as_xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    names = {row[0].value: row[0].data_type for row in sheet.iter_rows(min_row=2)}
    assert names == {HOSTILE_NAMES[0]: "s", "Әлия Нұрланқызы": "s"}
    assert client.get(f"/coverage/groups/{group.id}.pdf").status_code == 404


def test_every_export_of_the_acs_comes_in_both_formats(group_with_a_hostile_name, client, auth, make_user):
    make_user("acs@uni.test", roles=("admin",))
    auth.login("acs@uni.test")
    for url in ("/admin/coverage", "/admin/quizzes/integrity-hour/items"):
        as_csv, as_xlsx = client.get(url + ".csv"), client.get(url + ".xlsx")
        assert as_csv.status_code == 200 and as_csv.data.startswith(b"\xef\xbb\xbf"), url
        sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
        header = next(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
        assert as_xlsx.status_code == 200 and [cell.value for cell in sheet[1]] == header, url


def test_an_export_link_without_a_format_is_csv(app):
    from flask import url_for

    with app.test_request_context():
        assert url_for("coverage.group_csv", group_id=1).endswith(".csv")
        assert url_for("coverage.university_csv").endswith(".csv")
        assert url_for("quizzes.items_csv", slug="x").endswith(".csv")
        assert url_for("coverage.group_csv", group_id=1, fmt="xlsx").endswith(".xlsx")


def test_each_pages_export_buttons_lead_to_the_format_they_name(group_with_a_hostile_name, client, auth, make_user):
    group = group_with_a_hostile_name
    make_user("acs@uni.test", roles=("admin",))
    expected = {"CSV": "text/csv", "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    for email, page in (("curator@uni.test", f"/coverage/groups/{group.id}?as_of=2025-03-01"),
                        ("acs@uni.test", "/admin/coverage/?as_of=2025-03-01"),
                        ("acs@uni.test", "/admin/quizzes/integrity-hour/items")):
        auth.login(email)
        html = client.get(page).get_data(as_text=True)
        buttons = re.findall(r'href="([^"]+)">(?:Export|Download) (CSV|XLSX)</a>', html)
        assert {kind for _href, kind in buttons} == {"CSV", "XLSX"}, page
        for href, kind in buttons:
            assert client.get(href.replace("&amp;", "&")).mimetype == expected[kind], (page, href)
        auth.logout()
