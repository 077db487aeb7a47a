"""End to end: a real `leftbook serve` driven by headless Chromium with JavaScript disabled."""

import base64
import re
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from tests.serving import running_site

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SERVER_START_SECONDS = 30
PAGE_LOAD_SECONDS = 20
DESKTOP = (1280, 900)
PHONE = (390, 844)
BOARD = "soc"

# A page whose inline script would rename it; with JavaScript off the <noscript> text shows.
SCRIPT_PROBE = (
    "data:text/html,<title>script did not run</title>"
    "<noscript><p id='noscript'>JavaScript is off</p></noscript>"
    "<script>document.title='script ran'</script>"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason=f"needs Debian's chromium ({CHROMIUM}) and chromium-driver ({CHROMEDRIVER})",
    ),
]


@pytest.fixture
def server(tmp_path):
    """A `leftbook serve` subprocess on a free loopback port; yields its base URL."""
    with running_site(tmp_path) as site:
        yield site.base


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium with JavaScript disabled, through Debian's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(PAGE_LOAD_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def fill_and_submit(driver, body: str, subject: str | None = None) -> str:
    """Fill the page's post form and submit it; returns the URL the browser was on."""
    box = driver.find_element(By.CSS_SELECTOR, "details.formbox")
    if box.get_dom_attribute("open") is None:  # folded away until asked for, as a person would
        box.find_element(By.TAG_NAME, "summary").click()
    form = driver.find_element(By.CSS_SELECTOR, "form.postform")
    if subject is not None:
        form.find_element(By.NAME, "subject").send_keys(subject)
    form.find_element(By.NAME, "body").send_keys(body)
    before = driver.current_url
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(staleness_of(form))
    return before


def save_full_page(driver, path: Path) -> None:
    """A PNG of the whole page, not only the viewport (through DevTools, not page scripts)."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def overflow_width(driver) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    return metrics["cssContentSize"]["width"] - metrics["cssLayoutViewport"]["clientWidth"]


def wait_for_url(driver, pattern: str, leaving: str) -> re.Match:
    """Wait until the browser has left the URL `leaving` for one matching `pattern`."""
    deadline = time.monotonic() + PAGE_LOAD_SECONDS
    while time.monotonic() < deadline:
        match = re.search(pattern, driver.current_url)
        if match and driver.current_url != leaving:
            return match
        time.sleep(0.1)
    pytest.fail(f"the browser did not reach {pattern!r}; it is at {driver.current_url}")


def test_post_reply_and_follow_a_quote_without_javascript(server, browser, tmp_path):
    browser.get(SCRIPT_PROBE)
    assert browser.title == "script did not run"
    assert browser.find_element(By.ID, "noscript").text == "JavaScript is off"

    browser.get(f"{server}/{BOARD}/")
    assert browser.find_elements(By.CSS_SELECTOR, "article.post") == []
    board_url = fill_and_submit(browser, "What are you reading this week?",
                                subject="Reading group")
    opened = wait_for_url(browser, rf"/{BOARD}/res/(\d+)\.html#p(\d+)$", leaving=board_url)
    thread_no = int(opened.group(1))
    assert int(opened.group(2)) == thread_no
    op = browser.find_element(By.ID, f"p{thread_no}")
    assert "What are you reading this week?" in op.text
    assert "Reading group" in op.find_element(By.CLASS_NAME, "subject").text

    op_url = fill_and_submit(browser, f">>{thread_no}\nCapital, volume one, slowly.")
    replied = wait_for_url(browser, rf"/{BOARD}/res/{thread_no}\.html#p(\d+)$", leaving=op_url)
    reply_no = int(replied.group(1))
    assert reply_no > thread_no
    reply = browser.find_element(By.ID, f"p{reply_no}")
    assert "Capital, volume one, slowly." in reply.text

    quote = reply.find_element(By.CSS_SELECTOR, ".body a.quotelink")
    assert quote.text == f">>{thread_no}"
    reply_url = browser.current_url
    quote.click()
    wait_for_url(browser, rf"/{BOARD}/res/{thread_no}\.html#p{thread_no}$", leaving=reply_url)

    op = browser.find_element(By.ID, f"p{thread_no}")
    backlinks = op.find_elements(By.CSS_SELECTOR, ".backlinks a")
    assert [a.text for a in backlinks] == [f">>{reply_no}"]
    reply_anchor = f"/{BOARD}/res/{thread_no}.html#p{reply_no}"
    assert backlinks[0].get_dom_attribute("href").endswith(reply_anchor)
    assert "Capital, volume one, slowly." in browser.find_element(By.ID, f"p{reply_no}").text

    for width, height in (DESKTOP, PHONE):
        browser.set_window_size(width, height)
        for page in (f"{BOARD}/", f"{BOARD}/res/{thread_no}.html"):
            browser.get(f"{server}/{page}")
            shot = tmp_path / f"{page.replace('/', '-').strip('-')}-{width}px.png"
            save_full_page(browser, shot)
            assert shot.read_bytes().startswith(b"\x89PNG")
            assert overflow_width(browser) <= 0, f"/{page} is wider than {width} px"


def post_as_another_reader(server: str, thread: int, body: str) -> int:
    """A reply from another browser (its own session and CSRF token), through the form."""
    import requests

    session = requests.Session()
    page = session.get(f"{server}/{BOARD}/res/{thread}.html", timeout=PAGE_LOAD_SECONDS).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(f"{server}/{BOARD}/post", timeout=PAGE_LOAD_SECONDS,
                          data={"csrf_token": token, "thread": str(thread), "body": body},
                          headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.text
    return answer.json()["no"]


def generated_content(driver, css_selector: str) -> str:
    """The `content` of an element's ::after, read through DevTools (no page script runs)."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]
    node_id = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root["nodeId"],
                                                          "selector": css_selector})["nodeId"]
    assert node_id, f"no element matches {css_selector}"
    stack = [root]
    while stack:
        node = stack.pop()
        if node.get("nodeId") == node_id:
            for pseudo in node.get("pseudoElements", []):
                if pseudo.get("pseudoType") == "after":
                    style = driver.execute_cdp_cmd("CSS.getComputedStyleForNode",
                                                   {"nodeId": pseudo["nodeId"]})
                    return next(p["value"] for p in style["computedStyle"]
                                if p["name"] == "content")
            return ""
        stack.extend(node.get("children", []))
    return ""


def test_search_watch_and_you_without_javascript(server, browser):
    browser.get(f"{server}/{BOARD}/")
    board_url = fill_and_submit(browser, "Our cooperative bakery needs a name.",
                                subject="Naming the bakery")
    opened = wait_for_url(browser, rf"/{BOARD}/res/(\d+)\.html#p(\d+)$", leaving=board_url)
    thread_no = int(opened.group(1))

    browser.get(f"{server}/search")
    form = browser.find_element(By.CSS_SELECTOR, "form.searchform")
    form.find_element(By.NAME, "q").send_keys('"cooperative bakery"')
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, PAGE_LOAD_SECONDS).until(staleness_of(form))
    hit = browser.find_element(By.CSS_SELECTOR, "li.hit")
    assert hit.find_element(By.TAG_NAME, "mark").text.lower() == "cooperative bakery"
    search_url = browser.current_url
    hit.find_element(By.CSS_SELECTOR, "a.hitlink").click()
    wait_for_url(browser, rf"/{BOARD}/res/{thread_no}\.html#p{thread_no}$", leaving=search_url)
    assert "bakery needs a name" in browser.find_element(By.ID, f"p{thread_no}").text

    watch_button = browser.find_element(By.CSS_SELECTOR, ".watchform button[value=watch]")
    watch_button.click()
    WebDriverWait(browser, PAGE_LOAD_SECONDS).until(staleness_of(watch_button))
    assert browser.find_elements(By.CSS_SELECTOR, ".watchform button[value=unwatch]")

    reply_no = post_as_another_reader(server, thread_no, f">>{thread_no}\nThe Daily Loaf?")
    browser.get(f"{server}/watched")
    entry = browser.find_element(By.CSS_SELECTOR, "li.watchedthread")
    assert "Naming the bakery" in entry.text and "1 new reply" in entry.text

    entry.find_element(By.TAG_NAME, "a").click()
    wait_for_url(browser, rf"/{BOARD}/res/{thread_no}\.html$", leaving=f"{server}/watched")
    quote = f'#p{reply_no} a.quotelink[href$="#p{thread_no}"]'
    assert browser.find_element(By.CSS_SELECTOR, quote).text == f">>{thread_no}"
    assert generated_content(browser, quote) == '" (You)"'
    assert generated_content(browser, f"#p{thread_no} .name") == '" (You)"'
    assert generated_content(browser, f"#p{reply_no} .name") in ("", "none", "normal")
    browser.get(f"{server}/watched")
    assert "nothing new" in browser.find_element(By.CSS_SELECTOR, "li.watchedthread").text
