"""A deliverable walked from planned to accepted in a real browser, with a file of evidence, on a phone's width."""
from app.demo.deliverables import pdf_document
from browser.conftest import check_accessibility


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_deliverable_goes_from_planned_to_accepted_with_a_file_of_evidence(page_for, tmp_path):
    evidence = tmp_path / "monitoring-report.pdf"
    evidence.write_bytes(pdf_document(["Monitoring of internal regulatory documents", "42 documents checked"]))

    reporter = page_for("jury2@sanaly.test")                 # reports for "Chief of staff" in the demo
    panel = reporter.locator("section[aria-labelledby=deliverables-panel]")
    assert "4.1" in panel.inner_text()
    panel.locator(".panel-item", has_text="4.1").locator("a").click()
    assert "planned" in reporter.inner_text("dl.facts")
    assert no_sideways_scroll(reporter)
    reporter.click("button:has-text('Start work')")
    assert "in progress" in reporter.inner_text("dl.facts")

    reporter.fill("#evidence-title", "Monitoring report")
    reporter.set_input_files("#evidence-file", str(evidence))
    reporter.click("form.evidence-form button[type=submit]")
    assert "Evidence added." in reporter.inner_text("main")
    link = reporter.locator("#evidence a", has_text="Monitoring report")
    assert reporter.request.get(link.get_attribute("href")).body() == evidence.read_bytes()
    reporter.click("button:has-text('Submit to the ACS')")
    assert "submitted" in reporter.inner_text("dl.facts")
    assert reporter.locator("button:has-text('Accept')").count() == 0      # a reporter never accepts
    address = reporter.url

    acs = page_for("admin@sanaly.test")
    acs.goto("/deliverables/?status=submitted")
    assert "4.1" in acs.inner_text("main")
    assert no_sideways_scroll(acs)
    acs.goto(address)
    acs.click("button:has-text('Accept')")
    facts = acs.inner_text("dl.facts")
    assert "accepted" in facts and "Yerlan Nurpeisov" in facts
    history = acs.inner_text("ul.history")
    assert "submitted → accepted" in history and "added evidence “Monitoring report”" in history
    assert check_accessibility(acs) == []

    student = page_for("student1@sanaly.test")
    response = student.request.get(link.get_attribute("href"))
    assert response.status == 403
