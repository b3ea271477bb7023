"""No query parameter and no id in a URL turns into a server error or a redirect to another site.

Every GET route of the policy matrix (tests/test_policy.py) is called, as each kind of person (an
anonymous visitor, a student, a curator, a juror, an officer), with every query parameter name the
application reads set to hostile values — one of each kind on every page the person may open (a
different one from page to page, so that each value meets many pages), every one of them on the pages
that read the most of the query — and with ids beyond any integer type in the URL. A page the policy
refuses the person (a 403, or the way to sign in for a visitor) answers from the same refusal whatever
the page, before its view reads the query: it gets one value, turning from page to page, so that every
value meets the refusals too, and must still answer with that refusal.
"""
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.routing import IntegerConverter

from test_policy import ACCOUNTS, WHO, demo, policy, post_policy  # noqa: F401  (demo is a fixture)

APP = Path(__file__).resolve().parent.parent / "app"
READERS = re.compile(r"""(?:request\.(?:args|values)\.get(?:list)?|int_arg|date_arg|page_arg)\(\s*["']([a-z_]+)["']"""
                     r"""|request\.args\[["']([a-z_]+)["']\]""")
HOSTILE_KINDS = {
    "beyond any integer": ["99999999999999999999999", "-99999999999999999999999", "9223372036854775808", "1e309"],
    "at the edge": ["-1", "0"],
    "empty": ["null", "", " ", "\t"],
    "another site": ["/%09/evil.com", "/\t/evil.com", "//evil.com", "/\\evil.com", "https://evil.com", "/\n/x"],
    "a header": ["%0d%0aSet-Cookie:x=1"],
    "not a date": ["2024-13-45", "2025-01-01T00:00"],
    "other digits and letters": ["٣", "Ｐ"],
    "SQL": ["' OR 1=1 --"],
    "too long": ["a" * 3000],
}
HOSTILE = [value for values in HOSTILE_KINDS.values() for value in values]
# The pages that read the most of the query (filters, periods, paging, a way back) get every value.
EVERY_VALUE = ("/login", "/language/kk", "/admin/people", "/admin/coverage/", "/admin/coverage/report", "/admin/audit/",
               "/leaderboard", "/api/v1/coverage")


def hostile_values(index: int, url: str) -> list[str]:
    """Every hostile value for the pages of EVERY_VALUE; for the others one of each kind, turning with the page."""
    if url.split("?")[0] in EVERY_VALUE:
        return HOSTILE
    return [values[index % len(values)] for values in HOSTILE_KINDS.values()]


@cache
def parameter_names() -> list[str]:
    """Every query parameter name the application reads, found in its source (read once a run)."""
    names = set()
    for path in APP.rglob("*.py"):
        for match in READERS.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    # Also the names that links built from the query could clash with: url_for's switches and path arguments.
    link_names = {"_external", "_scheme", "_anchor", "_method", "fmt", "group_id", "faculty_id", "user_id", "slug",
                  "event_id", "code", "key", "endpoint", "values"}
    return sorted(names | link_names | {"page", "next", "q", "faculty", "group", "role", "from", "to", "as_of"})


FORM_READERS = re.compile(r"""(?:request\.(?:form|values)\.get(?:list)?|int_field)\(\s*["']([a-z_]+)["']|request\.form\[["']([a-z_]+)["']\]""")


def form_field_names() -> list[str]:
    """Every form field name the application reads by hand, found in its source."""
    names = set()
    for path in APP.rglob("*.py"):
        for match in FORM_READERS.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return sorted(names)


def test_the_parameter_list_is_found():
    names = parameter_names()
    assert {"next", "page", "from", "to", "group", "activity", "since", "season", "code"} <= set(names)


def sign_in(client, who):
    if who != "anonymous":
        assert client.post("/login", data={"email": ACCOUNTS[who], "password": "demo-password"}).status_code == 302


def pages(d) -> list[tuple[str, dict]]:
    """The policy's GET pages for this demo with who gets what, listed once: listing keeps a cover, a row and a
    file, each time."""
    if "pages" not in d:
        d["pages"] = [case for endpoint, cases in policy(d).items() if endpoint != "static" for case in cases]
    return d["pages"]


def urls(d) -> list[str]:
    return [url for url, _expected in pages(d)]


def refused(expected: dict, who: str) -> bool:
    """Whether the policy refuses `who` the page: a 403, or (for a visitor) the way to sign in to a page that
    answers people who are signed in."""
    status = expected[who]
    return status == 403 or (who == "anonymous" and status == 302 and set(expected.values()) != {302})


def leaves_the_site(response) -> bool:
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    return bool(location) and (location.startswith("//") or "\\" in location or (parts.netloc and parts.netloc != "sanaly.test"))


@cache
def every_parameter_set_to(value: str) -> str:
    """The query that sets every parameter name to `value` (the same for every page: encoded once a run)."""
    return urlencode({name: value for name in parameter_names()})


@pytest.mark.parametrize("who", WHO)
def test_hostile_values_in_every_parameter_of_every_page(app, demo, client, who):
    sign_in(client, who)
    failures = []
    assert set(EVERY_VALUE) <= {url.split("?")[0] for url in urls(demo)}
    assert 20 <= sum(not refused(expected, who) for _url, expected in pages(demo))
    for index, (url, expected) in enumerate(pages(demo)):
        values = [HOSTILE[index % len(HOSTILE)]] if refused(expected, who) else hostile_values(index, url)
        for value in values:
            response = client.get(f"{url}?{every_parameter_set_to(value)}")
            if (response.status_code >= 500 or leaves_the_site(response)
                    or (refused(expected, who) and response.status_code != expected[who])):
                failures.append((url, value[:30], response.status_code, response.headers.get("Location")))
    assert failures == []


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_ids_beyond_any_integer_are_not_found(app, demo, client, who):
    sign_in(client, who)
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.arguments:
            continue
        numeric = {name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)}
        if not numeric:
            continue
        checked += 1
        for huge in ("99999999999999999999999", "9223372036854775808", "2147483648"):
            values = {name: (huge if name in numeric else "x") for name in rule._converters}
            path = rule.rule
            for name, value in values.items():
                path = re.sub(rf"<[^>]*:?{name}>", value, path)
            response = client.get(path)
            if response.status_code >= 500:
                failures.append((path, response.status_code))
    assert checked >= 20 and failures == []


def test_the_language_switch_never_leaves_the_site(client):
    for target in ("/%09/evil.com", "/%0a/x", "//evil.com", "/\\evil.com", "https://evil.com", "/%5Cevil.com"):
        response = client.get(f"/language/en?next={target}")
        assert response.status_code == 302 and not leaves_the_site(response), target
        assert urlsplit(response.headers["Location"]).path in ("/", "") or response.headers["Location"].startswith("/")
    assert client.get("/language/en?next=/contests/").headers["Location"].endswith("/contests/")


def signed_in(app, d, who):
    """A client signed in as `who`, one per person for the demo `d` (hypothesis's examples share the fixtures)."""
    clients = d.setdefault("clients", {})
    if who not in clients:
        clients[who] = app.test_client()
        sign_in(clients[who], who)
    return clients[who]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_queries_on_random_pages(app, demo, data):
    client = signed_in(app, demo, data.draw(st.sampled_from(WHO)))
    url = data.draw(st.sampled_from(urls(demo)))
    query = data.draw(st.dictionaries(st.sampled_from(parameter_names()),
                                      st.one_of(st.sampled_from(HOSTILE), st.integers().map(str),
                                                st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                                                        max_size=40)),
                                      max_size=6))
    response = client.get(f"{url}?{urlencode(query)}")
    assert response.status_code < 500 and not leaves_the_site(response), (url, query, response.status_code)


@pytest.mark.parametrize("who", ["student", "admin"])
def test_hostile_values_in_every_form_field_of_every_form(app, demo, client, who):
    sign_in(client, who)
    names = form_field_names()
    assert {"activity", "officer", "assignment", "juror", "question", "option"} <= set(names)
    failures = []
    for endpoint, (url, _expected) in post_policy(demo, 1).items():
        if endpoint in ("auth.logout", "auth.login"):
            continue
        for value in ("99999999999999999999999", "-99999999999999999999999", "2147483648", "1e309", "٣", "/\t/evil.com"):
            response = client.post(url, data={name: value for name in names})
            if response.status_code >= 500 or leaves_the_site(response):
                failures.append((url, value, response.status_code))
    assert failures == []
