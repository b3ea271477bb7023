"""The brain ring pad on a phone: during an open question, A, B, C and D are all on the first screen."""
import re

import pytest

from browser.conftest import check_accessibility

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


def test_a_new_screen_never_swallows_the_press_under_way(page_for):
    """The host presses "Start the game" just as a player joins: the screen's poll brings the new lobby while the
    button is held, and replacing the screen then would put the release on another button (the click lost, the
    game not started). The new screen waits for the release; the press starts the game."""
    host = page_for("curator@sanaly.test", width=1280)
    host.goto("/ring/")
    host.click("form[action$='/ring/new'] button")
    host.wait_for_url(re.compile(r".*/ring/\w+/host$"))
    code = host.url.split("/")[-2]
    phone = page_for("student4@sanaly.test")
    phone.goto(f"/ring/{code}")
    start = host.locator(f"form[action$='/ring/{code}/next'] button")
    box = start.bounding_box()
    host.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    host.mouse.down()
    with host.expect_response(lambda response: "/board" in response.url and response.status == 200, timeout=15000):
        phone.click(f"form[action$='/ring/{code}/join'] button")   # the lobby changes: one player
    with host.expect_request(lambda request: "/board" in request.url):
        pass   # the next poll is sent once the page has dealt with the new screen
    assert "1 player" not in host.inner_text(".ring-screen")       # held back while the button is down
    host.mouse.up()
    host.wait_for_url(re.compile(rf".*/ring/{code}/host$"))
    phone.wait_for_selector("button.pad", timeout=15000)          # the press started the game: the question is on
