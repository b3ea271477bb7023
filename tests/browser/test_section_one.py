"""Section 1 through a real browser: the ACS adds and maps a risk, records a hearing for 1.7, logs a media item,
corrects it, files the month's summary for 1.11 and approves the map, which submits 1.4."""
import re

from browser.conftest import check_accessibility

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_the_acs_keeps_section_one(page_for, tmp_path):
    page = page_for("admin@sanaly.test", width=1280)

    # Add a risk and find it on the map, in the cell of its rating.
    page.goto("/admin/risks/")
    assert page.locator("h1").inner_text().startswith("Corruption risks")
    before = page.locator("table.risk-table tbody tr").count()
    page.click("a:has-text('Add a risk')")
    page.select_option("#area", "procurement")
    page.fill("#business_process", "Procurement of dormitory furniture")
    page.fill("#description", "A supplier pays a kickback for an inflated price")
    page.fill("#scheme", "The price is set above the market and the difference returned in cash")
    page.select_option("#likelihood", "4")
    page.select_option("#impact", "5")
    page.fill("#owner", "Head of procurement")
    page.click("main button[type=submit]:has-text('Save')")
    page.wait_for_url(re.compile(r"/admin/risks/\?plan="))
    assert page.locator("table.risk-table tbody tr").count() == before + 1
    row = page.locator("table.risk-table tbody tr", has_text="Procurement of dormitory furniture")
    code = row.locator("td").first.inner_text().split()[0]
    assert "20 · critical" in row.inner_text()
    page.click("nav.tabs a:has-text('Risk map')")
    cell = page.locator("table.risk-grid tbody tr").nth(5 - 5).locator("td").nth(4 - 1)   # impact 5, likelihood 4
    assert code in cell.inner_text()
    assert page.locator(f"svg.risk-map-svg g.cell title:text-matches('Likelihood 4, impact 5.*{code}')").count() == 1
    assert check_accessibility(page) == []
    # Printed, the page is the map: the SVG and its table, without the menus or the buttons.
    page.emulate_media(media="print")
    assert page.locator("svg.risk-map-svg").is_visible() and page.locator("table.risk-grid").is_visible()
    assert not page.locator("nav.tabs").is_visible() and not page.locator("main a:has-text('Approve the map')").is_visible()
    assert page.pdf()[:4] == b"%PDF"
    page.emulate_media(media="screen")

    # Record a hearing for 1.7 with the minutes as a PDF.
    page.click("nav.tabs a:has-text('Hearings (1.7)')")
    share = page.locator("p.lead").inner_text()
    heard, total = (int(n) for n in re.match(r"(\d+) of (\d+)", share).groups())
    minutes = tmp_path / "minutes.pdf"
    minutes.write_bytes(PDF)
    page.select_option("#unit_id", label="Department of Mine Surveying")
    page.fill("#minutes", "Heard on hiring; decided to publish every vacancy.")
    page.set_input_files("#minutes_file", str(minutes))
    page.click("main button:has-text('Record the hearing')")
    page.wait_for_selector("text=The hearing of Department of Mine Surveying is recorded.")
    assert page.locator("p.lead").inner_text().startswith(f"{heard + 1} of {total} divisions heard (target 50%)")
    link = page.locator("table tr", has_text="Department of Mine Surveying").locator("a:has-text('Minutes file')")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.body() == PDF

    # Log a media item and see the month's summary count it.
    page.click("nav.tabs a:has-text('Media monitoring')")
    negative = int(page.locator(".media-summary li", has_text="negative").locator("strong").inner_text())
    page.fill("#source", "Facebook")
    page.fill("#link", "https://www.facebook.com/")
    page.fill("#subject", "A parent writes that a dormitory place was sold")
    page.select_option("#tone", "negative")
    page.fill("#action", "Checked with the dormitory manager")
    page.click("main button:has-text('Log the item')")
    page.wait_for_selector("text=Media item logged.")
    assert int(page.locator(".media-summary li", has_text="negative").locator("strong").inner_text()) == negative + 1
    assert page.locator(".media-summary table tr", has_text="Facebook").count() == 1
    assert "A parent writes that a dormitory place was sold" in page.locator("main").inner_text()
    assert check_accessibility(page) == []

    # Correct the item: the edit form keeps the checks, the page shows the corrected text.
    page.locator("article.media-item", has_text="A parent writes that a dormitory place was sold").locator(
        "a:has-text('Edit')").click()
    page.fill("#link", "not a link")
    page.fill("#subject", "A parent writes that a dormitory place was sold for money")
    page.click("main button:has-text('Save the item')")
    assert page.locator("#link-error").count() == 1
    assert page.input_value("#subject") == "A parent writes that a dormitory place was sold for money"
    page.fill("#link", "https://www.facebook.com/post")
    page.click("main button:has-text('Save the item')")
    page.wait_for_selector("text=Media item saved.")
    assert "sold for money" in page.locator("main").inner_text()

    # File this month's summary for 1.11: the month's period is submitted, the summary is its evidence.
    page.get_by_role("button", name="File this month's summary for 1.11").click()
    page.wait_for_selector("text=is filed to 1.11")
    assert page.locator(".media-filing a").inner_text() == "submitted"
    assert check_accessibility(page) == []
    page.locator(".media-filing a").click()
    evidence = page.locator("#evidence").inner_text()
    assert "Media monitoring summary" in evidence and "Media items" in evidence

    # Approve the map: 1.4's period is submitted with the map as evidence, and the ACS accepts it.
    page.goto("/admin/risks/map")
    page.click("main a:has-text('Approve the map')")
    assert "1.4" in page.locator("main").inner_text()           # the page says what approving submits
    page.fill("#decision", "Board of Directors, minutes No. 5")
    page.click("main button:has-text('Approve and freeze')")
    page.wait_for_selector("text=1.4, period 1: submitted with the approved map as evidence")
    filed = page.locator("ul.map-filed li", has_text="1.4")
    assert "submitted" in filed.inner_text()
    filed.locator("a").click()
    assert "Corruption risk map" in page.locator("#evidence").inner_text()
    page.click("main button:has-text('Accept')")
    page.wait_for_selector("text=Status changed: accepted.")
