"""Tables and controls on a phone: the content index, a course's lessons and the coverage views show every cell within
the screen's width, stacked one block per row, while the browser still reads them as tables; a desktop keeps the
table. Buttons among links look like the links beside them. (Every control a target a thumb can hit:
test_what_a_person_sees.py, on each role's main pages.)"""
import pytest

from browser.conftest import check_accessibility

PHONE, DESKTOP = 390, 1280

TABLE_PAGES = [
    ("admin@sanaly.test", "/authoring/", ["Current version", "Came from"]),
    ("admin@sanaly.test", "/authoring/courses/academic-honesty", ["Translated", "Order"]),
    ("admin@sanaly.test", "/admin/coverage/", ["Target", "Coverage", "Status"]),
    ("admin@sanaly.test", "/admin/coverage/faculties/1", ["Group"]),
    ("curator@sanaly.test", "/coverage/groups/1", ["Student"]),
]

# Every body cell of every table in the page whose box reaches past the screen, and every table box that scrolls.
OUT_OF_SIGHT = """() => {
  const out = [];
  for (const wrap of document.querySelectorAll('main .table-wrap')) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) out.push('scrolls: ' + wrap.querySelector('th').textContent.trim());
  }
  for (const cell of document.querySelectorAll('main tbody td, main tbody th')) {
    const box = cell.getBoundingClientRect();
    if (box.left < 0 || box.right > innerWidth + 1) out.push(cell.textContent.trim().slice(0, 40));
  }
  return out;
}"""


def table_roles(page) -> dict:
    """Count the table roles in Chromium's own accessibility tree (what a screen reader is given)."""
    session = page.context.new_cdp_session(page)
    counts = {}
    for node in session.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        if role in ("table", "row", "columnheader", "rowheader", "cell") and not node.get("ignored"):
            counts[role] = counts.get(role, 0) + 1
    session.detach()
    return counts


@pytest.mark.parametrize("email, url, headers", TABLE_PAGES)
def test_on_a_phone_every_cell_of_the_tables_is_within_the_screen_and_still_a_table(page_for, email, url, headers):
    page = page_for(email, width=PHONE)
    page.goto(url)
    assert page.locator("main tbody tr").count() > 0
    assert page.evaluate(OUT_OF_SIGHT) == []
    roles = table_roles(page)
    assert roles.get("table", 0) >= 1 and roles.get("columnheader", 0) >= len(headers) and roles.get("cell", 0) > 0
    for header in headers:               # the header row is hidden from sight, not from a screen reader
        assert page.get_by_role("columnheader", name=header, exact=True).count() >= 1
    assert check_accessibility(page) == []


@pytest.mark.parametrize("email, url, headers", TABLE_PAGES)
def test_on_a_desktop_the_tables_stay_tables_with_their_header_row(page_for, email, url, headers):
    page = page_for(email, width=DESKTOP)
    page.goto(url)
    assert page.evaluate(OUT_OF_SIGHT) == []
    assert page.evaluate("() => [...document.querySelectorAll('main table')].map(t => getComputedStyle(t).display)"
                         ).count("table") == page.locator("main table").count()
    assert page.locator("main thead").first.bounding_box()["height"] > 10


def test_on_a_phone_the_dashboard_shows_each_activity_with_its_figure_and_status(page_for):
    page = page_for("admin@sanaly.test", width=PHONE)
    page.goto("/admin/coverage/")
    row = page.locator("main tbody tr").first
    code, coverage, status = (row.locator("td").nth(i).bounding_box() for i in (0, 4, 5))
    assert code["x"] >= 0 and coverage["x"] + coverage["width"] <= PHONE and status["x"] + status["width"] <= PHONE
    assert coverage["y"] > code["y"] and status["y"] > coverage["y"]       # stacked under the activity, not beside it
    label = row.locator("td").nth(5).evaluate("el => [el.dataset.label, getComputedStyle(el, '::before').content]")
    assert label[0] == "Status" and label[1] != "none"                    # its column's name shown before it


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_retire_button_looks_like_the_history_link_beside_it(page_for, width):
    page = page_for("admin@sanaly.test", width=width)
    page.goto("/authoring/")
    looks = """el => { const s = getComputedStyle(el);
      return [s.color, s.fontSize, s.fontFamily, s.textDecorationLine, s.backgroundColor]; }"""
    row = page.locator("main tbody tr").first
    link = row.locator("a", has_text="History").evaluate(looks)
    button = row.get_by_role("button", name="Retire").evaluate(looks)
    assert button[:4] == link[:4]
    assert button[4] in ("rgba(0, 0, 0, 0)", "transparent")
