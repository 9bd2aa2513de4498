"""Every page, as a reviewer and as the owner, in Debian's chromium at 1366x768: the
language, one h1, headings that do not skip a level, every control named (by chromium's
accessibility tree), no two fields with one name, no horizontal scrolling, and the Tab key
reaching every control with a visible focus ring.  Screenshots: test-artifacts/web/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.web.a11y import page_problems, tab_stops
from tests.web.conftest import PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    "/",
    "/screen",
    "/screen?stage=full_text",
    "/conflicts",
    "/conflicts?stage=full_text",
    "/fulltext",
    "/appraisal",
    "/appraisal/form?tool=rob2&record_id=1",
    "/appraisal/form?tool=jbi-rct&record_id=1",
    "/extraction",
    "/extraction/r1",
    "/exports",
]
TRIAL = (
    "Nineteen patients with ALS were enrolled. The ALSFRS-R score declined from "
    "38.2 ± 4.1 to 33.0 ± 5.2 at 6 months (mean ± SD)."
)


@pytest.fixture
def reviewed(login):
    """Records 1 and 4 at full text (record 1 with a full text, study r1), records 2 and 3
    in conflict, the title/abstract stage unblinded."""
    rita, ravi = login("rita"), login("ravi")
    votes = [(1, "include", "include"), (4, "include", "include")]
    votes += [(2, "include", "exclude"), (3, "exclude", "include")]
    for rid, a, b in votes:
        assert rita.vote(rid, a).status_code == 201
        assert ravi.vote(rid, b).status_code == 201
    r = rita.post("/fulltext/1/upload", files={"file": ("t.txt", TRIAL.encode(), "text/plain")})
    assert r.status_code == 200  # followed the redirect to the page
    assert login("olivia").post("/api/stages/title_abstract/unblind").status_code == 200


@pytest.mark.parametrize("who", ["rita", "olivia"])
def test_every_page_passes_the_basic_accessibility_checks(browser_page, shots, reviewed, who):
    page = browser_page(who)
    for url in PAGES:
        page.goto(url)
        assert page_problems(page) == [], url
        stops = tab_stops(page, 40)
        assert stops[0]["text"] == "Skip to content", url
        assert [s for s in stops if s["outline"] == "none"] == [], url  # focus always shown
        shots(page, url.strip("/").replace("/", "_").replace("?", "_") or "dashboard")
    # the owner's controls are on the owner's pages only
    page.goto("/conflicts")
    resolve = page.get_by_role("button", name="Resolve record 2")
    assert resolve.count() == (1 if who == "olivia" else 0)
    assert page.errors == [], page.errors


def test_login_page_and_the_skip_link(browser_page, live):
    page = browser_page()
    page.goto("/login")
    assert page_problems(page) == []
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus: type at once
    page.keyboard.type("rita")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORDS["rita"])
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/")
    page.goto("/exports")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the page, past the navigation
    expect(page.get_by_role("link", name="RIS")).to_be_focused()
