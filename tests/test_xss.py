"""Common XSS payloads typed into text fields come back escaped, and Markdown comes back sanitised."""
import pytest

from app.core import markdown
from app.extensions import db
from app.people import service as people

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "\"><script>alert(document.cookie)</script>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<body onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_output_never_carries_script(payload):
    html, _toc = markdown.render(f"Text {payload} more\n\n[link](javascript:alert(1))\n\n{payload}")
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg", "<img", "<style"):
        assert bad not in lowered


def test_names_from_a_roster_are_escaped_on_every_page(app, client, make_user, auth):
    make_user("boss@uni.test", roles=("admin",))
    rows = "\n".join(f"x{i}@uni.test,{p.replace(',', ' ')},Faculty,G-1,student" for i, p in enumerate(PAYLOADS))
    people.import_roster("email,full_name,faculty,group,roles\n" + rows, actor=None)
    auth.login("boss@uni.test")
    for url in ("/admin/people", "/admin/groups", "/admin/groups/1"):
        page = client.get(url).get_data(as_text=True)
        for raw in ("<script>alert", "<img src=x", "<svg/onload", "<iframe src", "<body onload"):
            assert raw not in page
        assert "&lt;script&gt;" in page or url == "/admin/groups"


def test_a_contest_title_is_escaped_for_jurors_and_the_public(app, client, make_user, auth, runner, tmp_path, setup_cli):
    from datetime import datetime

    from app.contests import service
    assert setup_cli("load-content").exit_code == 0
    author = make_user("a@uni.test")
    contest = service.contest_by_slug("essay-2024-2025")
    outcome = service.save_entry(author, contest, None, service.EntryDraft(
        title="<script>alert(1)</script>", body=" ".join(["word"] * 450) + " <img src=x onerror=alert(1)>"),
        None, datetime(2024, 11, 1), submit=True, confirm_identity=True, upload_folder=tmp_path)
    assert not outcome.problems
    auth.login("a@uni.test")
    app.config["NOW_FUNCTION"] = lambda: datetime(2024, 11, 1)
    page = client.get(f"/contests/entries/{outcome.entry.code}/edit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror=alert" not in outcome.entry.body_html
    db.session.remove()
