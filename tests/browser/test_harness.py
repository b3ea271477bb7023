"""The browser harness itself: a check made straight after a click reads the page the click opened, whole."""
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Response


def _slow_page(environ, start_response):
    """A form; its answer sends half a page, waits, then the rest (as a busy server may)."""
    if environ["REQUEST_METHOD"] == "GET":
        return Response("<form method=post><button>Save</button><input id=q></form>",
                        content_type="text/html")(environ, start_response)

    def body():
        yield b"<html><body>" + b"<p>...</p>" * 2000
        time.sleep(0.4)
        yield b"<p class=flash>Saved</p></body></html>"
    return Response(body(), content_type="text/html")(environ, start_response)


def test_a_click_returns_once_the_page_it_opened_has_loaded(browser):
    server = make_server("127.0.0.1", 0, _slow_page, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = browser.new_page()
        base = f"http://127.0.0.1:{server.server_port}/"
        for act in (lambda: page.click("button"), lambda: page.locator("button").click(),
                    lambda: page.query_selector("button").click(), lambda: page.press("#q", "Enter")):
            page.goto(base)
            act()
            assert page.locator(".flash", has_text="Saved").is_visible()
        page.close()
    finally:
        server.shutdown()
