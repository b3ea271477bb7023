"""The brain ring pad on a phone: during an open question, A, B, C and D are all on the first screen."""
import re

import pytest

from tests.browser.conftest import check_accessibility

PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("language, email", [("en", "student4@sanaly.test"), ("ru", "student5@sanaly.test"),
                                             ("kk", "student6@sanaly.test")])
def test_the_answer_pad_fits_a_phone_screen_without_scrolling(page_for, language, email):
    host = page_for("curator@sanaly.test", width=1280)
    host.goto("/ring/")
    host.click("form[action$='/ring/new'] button")
    host.wait_for_url(re.compile(r".*/ring/\w+/host$"))
    code = host.url.split("/")[-2]
    phone = page_for(email)
    phone.set_viewport_size(PHONE)
    phone.goto(f"/ring/{code}")
    phone.click(f"footer button[lang={language}]")              # the header's height depends on the language
    phone.click(f"form[action$='/ring/{code}/join'] button")
    phone.wait_for_selector(".ring-pad #team")
    host.click(f"form[action$='/ring/{code}/next'] button")
    phone.wait_for_selector("button.pad", timeout=15000)          # the pad's poll brings the question
    boxes = [button.bounding_box() for button in phone.query_selector_all("button.pad")]
    width, height, scroll_width = phone.evaluate(
        "() => [innerWidth, innerHeight, document.documentElement.scrollWidth]")
    assert len(boxes) == 4
    for box in boxes:
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert scroll_width <= width                                   # no sideways scrolling either
    assert "<div" not in phone.inner_text("main")                  # markup, not escaped text
    assert not check_accessibility(phone)
