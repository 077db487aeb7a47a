"""End to end: a real `leftbook serve` driven by headless Chromium with JavaScript disabled."""

import base64
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
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


def fill_and_submit(driver, body: str, subject: str | None = None, **fields: str) -> str:
    """Fill the page's post form (`fields`: more inputs by name, e.g. event_start) and
    submit it; returns the URL the browser was on."""
    box = driver.find_element(By.CSS_SELECTOR, "details.formbox")
    if box.get_dom_attribute("open") is None:  # folded away until asked for, as a person would
        box.find_element(By.TAG_NAME, "summary").click()
    form = driver.find_element(By.CSS_SELECTOR, "form.postform")
    if subject is not None:
        form.find_element(By.NAME, "subject").send_keys(subject)
    for name, value in fields.items():
        form.find_element(By.NAME, name).send_keys(value)
    form.find_element(By.NAME, "body").send_keys(body)
    before = driver.current_url
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(staleness_of(form))
    return before


def staleness_of(element):
    """Wait condition: `element`'s page has been replaced. Chromedriver reports a node of an
    old document either as stale or, now and then, as not belonging to the document."""

    def gone(_driver) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:
            return True
        return False

    return gone


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


def submit_button(driver, css: str = "form.postform button[type=submit]"):
    return driver.find_element(By.CSS_SELECTOR, css)


def click_and_wait(driver, element) -> str:
    """Click `element` and wait for the next page; returns the URL that was left."""
    before = driver.current_url
    html = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, PAGE_LOAD_SECONDS).until(staleness_of(html))
    return before


def test_every_flow_ends_on_a_page_that_says_what_happened(server, browser, tmp_path):
    from tests.serving import LEFTBOOK, server_env

    not_a_picture = tmp_path / "flyer.png"
    not_a_picture.write_bytes(b"this is text, not a picture " * 40)
    too_big = tmp_path / "photo.png"
    too_big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(9 * 1024 * 1024))

    browser.get(f"{server}/{BOARD}/")
    form = browser.find_element(By.CSS_SELECTOR, "form.postform")
    form.find_element(By.NAME, "name").send_keys("Clara#zetkin")
    form.find_element(By.NAME, "subject").send_keys("A union meeting")
    form.find_element(By.NAME, "body").send_keys("Public, at the library.")
    form.find_element(By.NAME, "file").send_keys(str(not_a_picture))
    click_and_wait(browser, submit_button(browser))
    refusal = browser.find_element(By.CSS_SELECTOR, ".refusal").text
    assert "Not posted" in refusal and "attach it again" in refusal
    form = browser.find_element(By.CSS_SELECTOR, "form.postform")
    assert form.find_element(By.NAME, "name").get_attribute("value") == "Clara#zetkin"
    assert form.find_element(By.NAME, "subject").get_attribute("value") == "A union meeting"
    assert form.find_element(By.NAME, "body").get_attribute("value") == "Public, at the library."

    form.find_element(By.NAME, "file").send_keys(str(too_big))
    click_and_wait(browser, submit_button(browser))
    refusal = browser.find_element(By.CSS_SELECTOR, ".refusal").text
    assert "larger than 8" in refusal, refusal
    form = browser.find_element(By.CSS_SELECTOR, "form.postform")
    assert form.find_element(By.NAME, "body").get_attribute("value") == "Public, at the library."

    left = click_and_wait(browser, submit_button(browser))
    opened = wait_for_url(browser, rf"/{BOARD}/res/(\d+)\.html#p(\d+)$", leaving=left)
    thread_no = int(opened.group(1))
    assert browser.find_elements(By.CSS_SELECTOR, 'link[rel=alternate][href$=".atom"]')

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#p{thread_no} a.reportlink"))
    details = browser.find_element(By.NAME, "text")
    details.send_keys("an address in the photo")
    html = browser.find_element(By.TAG_NAME, "html")
    details.send_keys("\n")  # Enter in the details box files the report
    WebDriverWait(browser, PAGE_LOAD_SECONDS).until(staleness_of(html))
    assert f"Reported No.{thread_no}. Thank you" in browser.find_element(
        By.CSS_SELECTOR, ".flash").text

    grant = subprocess.run([LEFTBOOK, "janitor", "grant", "--all"], capture_output=True,
                           text=True, env=server_env(tmp_path / "data"), cwd=tmp_path,
                           check=True)
    link = re.search(r"/janitor/\S+", grant.stdout).group(0)
    browser.get(server + link)
    assert "an address in the photo" in browser.page_source
    report = browser.find_element(By.CSS_SELECTOR, "form.jactions")
    dismiss = report.find_element(By.CSS_SELECTOR, f'button[value="dismiss:{thread_no}"]')
    click_and_wait(browser, dismiss)
    assert browser.current_url.endswith("/janitor/")
    assert f"Dismissed the report on No.{thread_no}." in browser.find_element(
        By.CSS_SELECTOR, ".flash").text
    browser.get(f"{server}/janitor/")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='logout'] button"))

    browser.get(f"{server}/{BOARD}/res/{thread_no}.html")
    browser.find_element(By.CSS_SELECTOR, f"#p{thread_no} input[name=post]").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".postactions button"))
    assert browser.current_url.endswith(f"/{BOARD}/"), "not the 404 of the deleted thread"
    assert f"Deleted No.{thread_no}." in browser.find_element(By.CSS_SELECTOR, ".flash").text

    feed = browser.find_element(By.LINK_TEXT, "Feed")
    feed.click()
    wait_for_url(browser, rf"/{BOARD}/index\.atom$", leaving=f"{server}/{BOARD}/")
    assert "new threads" in browser.page_source and "A union meeting" not in browser.page_source


def wait_for_download(folder: Path, name: str) -> Path:
    deadline = time.monotonic() + PAGE_LOAD_SECONDS
    path = folder / name
    while time.monotonic() < deadline:
        if path.exists() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    pytest.fail(f"{name} was not downloaded; the folder holds {sorted(folder.iterdir())}")


def test_start_an_event_see_it_first_and_download_its_ics(server, browser, tmp_path):
    """The server runs on the real clock: the events are a few weeks from today (UTC)."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    today = datetime.now(UTC).date()
    later, sooner = (today + timedelta(days=40)).isoformat(), (today + timedelta(days=9))
    browser.get(f"{server}/events/")
    board_url = fill_and_submit(browser, "An open assembly on housing.", "Housing assembly",
                                event_start=later, event_place="Porto",
                                event_link="https://example.org/assembly")
    wait_for_url(browser, r"/events/res/(\d+)\.html#p\d+$", leaving=board_url)

    browser.get(f"{server}/events/")
    board_url = fill_and_submit(browser, "Bring banners.", "May Day march",
                                event_start=f"{sooner.isoformat()} 14:30",
                                event_end=f"{sooner.isoformat()} 18:00", event_place="Lisbon",
                                event_link="https://example.org/mayday")
    no = int(wait_for_url(browser, r"/events/res/(\d+)\.html#p\d+$", leaving=board_url)[1])
    event = browser.find_element(By.ID, f"p{no}").find_element(By.CLASS_NAME, "event")
    assert "14:30" in event.text and "18:00" in event.text and "Lisbon" in event.text
    assert event.find_element(By.PARTIAL_LINK_TEXT, "example.org/mayday")

    browser.get(f"{server}/events/")
    threads = browser.find_elements(By.CSS_SELECTOR, "section.thread")
    assert threads[0].get_dom_attribute("id") == f"t{no}", "the sooner event is listed first"
    assert browser.find_element(By.CSS_SELECTOR, "h2.eventgroup").text == "Upcoming events"
    threads[0].find_element(By.CSS_SELECTOR, "a.ics").click()
    ics = wait_for_download(downloads, f"events-{no}.ics")
    (vevent,) = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert vevent.decoded("DTSTART") == datetime.fromisoformat(f"{sooner.isoformat()}T14:30")
    assert str(vevent["LOCATION"]) == "Lisbon" and str(vevent["SUMMARY"]) == "May Day march"


def test_a_phone_number_is_warned_then_posted_once_confirmed(server, browser):
    body = "Reading group at mine on Sunday, call 0612 345 678 for the way."
    browser.get(f"{server}/{BOARD}/")
    board_url = fill_and_submit(browser, body, subject="Reading group")
    assert "a phone number" in browser.find_element(By.TAG_NAME, "main").text
    form = browser.find_element(By.CSS_SELECTOR, "form.postform")
    assert form.find_element(By.NAME, "body").get_property("value") == body
    form.find_element(By.NAME, "confirm_personal").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    opened = wait_for_url(browser, rf"/{BOARD}/res/(\d+)\.html#p(\d+)$", leaving=board_url)
    assert body.splitlines()[0] in browser.find_element(By.ID, f"p{opened[2]}").text


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


def test_a_pdf_and_a_video_in_one_post_show_thumbnails_the_warning_and_a_player(
        browser, tmp_path):
    """On a board that takes documents and video: one post with both, without JavaScript."""
    import shutil
    import urllib.request

    from tests.documents import simple_pdf
    from tests.media_files import FFMPEG, hostile_video
    from tests.serving import running_site

    if FFMPEG is None:
        pytest.skip("needs Debian's ffmpeg")
    boards = tmp_path / "boards"
    shutil.copytree(Path(__file__).resolve().parent.parent / "boards", boards)
    soc = boards / "20-soc.toml"
    soc.write_text(soc.read_text().replace('kinds = ["image", "video", "audio"]',
                                           'kinds = ["image", "pdf", "video", "audio"]'))
    paper = tmp_path / "pamphlet.pdf"
    paper.write_bytes(simple_pdf(3, images=True))
    film = tmp_path / "talk.mp4"
    film.write_bytes(hostile_video(tmp_path, "mp4"))
    with running_site(tmp_path, LEFTBOOK_BOARDS_DIR=str(boards)) as site:
        browser.get(f"{site.base}/{BOARD}/")
        form = browser.find_element(By.CSS_SELECTOR, "form.postform")
        upload = form.find_element(By.NAME, "file")
        assert upload.get_dom_attribute("multiple") is not None
        upload.send_keys(f"{paper}\n{film}")
        form.find_element(By.NAME, "body").send_keys("A pamphlet and the talk about it")
        left = click_and_wait(browser, submit_button(browser))
        opened = wait_for_url(browser, rf"/{BOARD}/res/(\d+)\.html#p(\d+)$", leaving=left)
        post = browser.find_element(By.ID, f"p{opened.group(2)}")
        save_full_page(browser, tmp_path / "pdf-and-video.png")
        document = post.find_element(By.CSS_SELECTOR, ".file.pdf img.thumb")
        player = post.find_element(By.CSS_SELECTOR, ".file.video video")
        assert player.get_dom_attribute("controls") is not None
        assert player.get_dom_attribute("preload") == "none"
        assert "Open documents in Tor Browser" in post.find_element(
            By.CSS_SELECTOR, ".file.pdf .docwarning").text
        assert "PDF, 3 pages" in post.text and "MP4 video, 0:02, 320" in post.text
        for url in (document.get_attribute("src"), player.get_attribute("poster")):
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.headers["Content-Type"] == "image/jpeg"
                assert answer.read(3) == b"\xff\xd8\xff", "a raster thumbnail"
        source = player.find_element(By.TAG_NAME, "source")
        assert source.get_dom_attribute("type") == "video/mp4"
        request = urllib.request.Request(source.get_attribute("src"),
                                         headers={"Range": "bytes=0-99"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 206 and len(answer.read()) == 100
