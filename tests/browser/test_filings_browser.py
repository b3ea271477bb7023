"""The ACS files a report in a real browser: writes a unit's narrative, downloads the Board's report, finds it there."""
import re
from pathlib import Path

from pypdf import PdfReader

from browser.conftest import check_accessibility

KAZAKH = "Брейн-ринг өтті: Ә Ғ Қ Ң Ө Ұ Ү Һ І"


def test_the_acs_writes_a_narrative_and_downloads_the_board_report_that_prints_it(page_for):
    page = page_for("admin@sanaly.test", width=1280)
    page.goto("/language/kk?next=/admin/filings/")
    assert check_accessibility(page) == []
    page.click("table.narratives-table tr:has(td:text-is('2.13')) a")
    assert page.input_value("#language") == "kk"                    # the reader's language first
    page.fill("#text", KAZAKH)
    assert check_accessibility(page) == []
    page.click("main form.panel button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/filings/"))
    assert "kk" in page.inner_text("table.narratives-table tr:has(td:text-is('2.13'))")
    with page.expect_download() as download:
        page.click("section.card:first-child button[formaction$='board.pdf']")
    assert download.value.suggested_filename.endswith("-kk.pdf")
    reader = PdfReader(Path(download.value.path()))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert KAZAKH in text and "Директорлар кеңесіне" in text
