"""The personal-details guard: before a post is stored, its name, subject, body and event
fields are read for what looks like a phone number, an e-mail address, a street address
(with a house number, or a postcode next to a street), precise coordinates, a bank or card
number, a licence plate or a social-media handle.

What is found refuses the post with a 422 naming the kinds (`personal_details`), so the form
comes back with a warning; the poster may remove the details, or tick `confirm_personal`
("I understand; post anyway"), which skips the guard. Nothing about a warned post is logged
or kept: the guard only reads, and the refusal happens before anything is written.

Quote links, post numbers, years, dates, times, page numbers, prices, percentages, ISBNs,
DOIs and the URLs of organisations' pages are cleared from the text before it is read, so
they never trigger it. A social-media profile URL or @handle does (it may be a person's);
in `event_link`, the organisers' page, it does not. The measured rates are in
tests/test_personal_details.py.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from leftbook.posting import personal_numbers as numbers
from leftbook.posting import personal_places as places
from leftbook.refusal import Refusal

PHONE, EMAIL, ADDRESS = "phone number", "e-mail address", "street address"
COORDINATES, BANK, CARD = "coordinates", "bank account number", "card number"
PLATE, HANDLE = "licence plate", "social-media handle"
KINDS = (PHONE, EMAIL, ADDRESS, COORDINATES, BANK, CARD, PLATE, HANDLE)
ARTICLES = {PHONE: "a", EMAIL: "an", ADDRESS: "a", COORDINATES: "", BANK: "a", CARD: "a",
            PLATE: "a", HANDLE: "a"}
GAP = " | "  # what a cleared span becomes: no pattern reads across it

URL = re.compile(r"(?i)\b(?:(?:https?://|www\.)[^\s<>\"]+|(?:mailto|tel|geo):[^\s<>\"]+"
                 r"|(?<![a-z0-9.-])[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,8}\.[a-z]{2,24}"
                 r"/[^\s<>\"]*)")
SOCIAL = {
    "twitter.com": "i intent search hash hashtag home share explore settings",
    "x.com": "i intent search hash hashtag home share explore settings",
    "instagram.com": "p reel reels explore stories tv", "facebook.com": "events groups "
    "pages watch share photo photos story.php permalink.php hashtag", "fb.com": "events",
    "tiktok.com": "tag music discover", "t.me": "joinchat addstickers share s",
    "telegram.me": "joinchat", "vk.com": "wall", "threads.net": "t", "snapchat.com": "",
    "linkedin.com": "company school jobs feed pulse", "reddit.com": "r", "bsky.app": "",
    "youtube.com": "watch playlist results shorts embed channel feed",
    "twitch.tv": "videos directory", "pinterest.com": "pin",
}
MAP_HOST = re.compile(r"(?i)(?:^|\.)(?:maps?\.|openstreetmap\.|osm\.|waze\.|here\.com)|/maps")
URL_COORDINATES = re.compile(r"-?\d{1,3}\.\d{3,}\s*(?:,|%2C|/|&m?lon=|&lng=)\s*-?\d{1,3}\.\d{3,}")

EMAIL_ADDRESS = re.compile(r"(?<![\w.@+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
HIDDEN_EMAIL = re.compile(
    r"(?i)(?<![\w.+-])[\w.+-]{2,64}\s*(?:[(\[{<]\s*(?:at|arroba|@)\s*[)\]}>])\s*[\w-]+"
    r"(?:\s*(?:[(\[{<]\s*(?:dot|punto|ponto|point|punkt)\s*[)\]}>]|\.)\s*[\w-]+)+"
)
SPOKEN_EMAIL = re.compile(
    r"(?i)(?<![\w.+-])[\w.+-]{2,64}\s+(?:at|arroba|chez|bei)\s+[\w-]+\s+(?:dot|punto|ponto|point|punkt)"
    r"\s+[a-z]{2,6}\b"
)
MAIL_WORDS = re.compile(r"(?i)\b(?:e-?mail|mail|correo|courriel|contact\w*|kontakt\w*|write|"
                        r"send|escrib\w*|escrev\w*|[ée]cri\w*|schreib\w*)\b")
MAIL_PROVIDERS = re.compile(
    r"(?i)\b(?:at|arroba|chez|bei)\s+(?:g(?:oogle)?mail|proton(?:mail)?|riseup|posteo|yahoo|"
    r"hotmail|outlook|live|gmx|web|sapo|free|orange|disroot|tuta(?:nota)?|icloud|aol|yandex|"
    r"autistici|systemli|mailbox|laposte|wanadoo|sfr)\s+(?:dot|punto|ponto|point|punkt)\b")

AT_HANDLE = re.compile(r"(?<![\w@./:-])@(?!\d{1,2}(?::\d\d)?\s?(?:am|pm|h)\b)"
                       r"(?=[\w.]*[A-Za-z])[A-Za-z0-9_][\w.]{1,29}(?:[@:][\w-]+(?:\.[\w-]+)+)?")
NAMED_HANDLE = re.compile(
    r"(?i)\b(?:insta(?:gram)?|ig|twitter|tiktok|telegram|tg|snap(?:chat)?|mastodon|bluesky|"
    r"bsky)\s*[:=]\s*@?[\w.-]{3,30}"
    r"|\b(?:discord)\s*[:=]\s*[\w.-]{2,30}#\d{4}\b"
    r"|\b(?:discord|fb|facebook|threads|signal|wire|session|matrix|x|reddit)\s*[:=]\s*@[\w.-]{2,30}"
    r"|(?<![\w/])u/[\w-]{3,20}\b"
)
EVERYONE = {"@everyone", "@here", "@all", "@channel", "@admin", "@mods", "@janitor"}

QUOTES = re.compile(r">>>?/?[a-z0-9]*/?\d+|\bNo\.\d+")
ISBN = re.compile(r"(?i)\bIS[BS]N(?:-1[03])?:?\s*[\dX][\d\- X]{7,16}[\dX]\b"
                  r"|\b97[89][- ]?(?:\d[- ]?){9}\d\b")
DOI = re.compile(r"(?i)\b(?:doi:?\s*)?10\.\d{4,9}/[^\s]+")
DATES = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b"
    r"|(?<![\d./-])\d{1,2}([./-])\d{1,2}\1(?:\d{4}|\d{2})(?![./-]?\d)"
    r"|(?<![\d-])(?:1[5-9]\d\d|20\d\d)\s?[-\u2013\u2014/]\s?(?:1[5-9]\d\d|20\d\d|\d\d)(?![-\d])"
)
TIMES = re.compile(
    r"(?i)(?<![\d.,:])\d{1,2}(?::|h)\d{2}(?:\s?(?:h|uhr|am|pm))?(?![\d:])"
    r"|(?<![\d.,])\d{1,2}\s?(?:h|am|pm|uhr|heures?|horas?|hrs?)\b|\b\d{1,2}\.\d{2}\s?uhr\b"
)
PAGES = re.compile(r"(?i)\b(?:pp?\.|pages?|p[áa]gs?\.?|S\.|seiten?|vol\.|ch\.|chap\.|"
                   r"cap\.)\s*\d+(?:\s?[-\u2013]\s?\d+)?")
AMOUNTS = re.compile(r"(?i)(?:[€$£]|R\$|US\$)\s?\d[\d.,' ]{0,20}\d?"
                     r"|(?<![\d.,'])\d[\d.,' ]{0,20}\d?\s?(?:%|€|\$|£|"
                     r"eur\b|usd\b|gbp\b|euros?\b|dollars?\b|reais\b|pesos\b|percent\b)")
HARMLESS = (QUOTES, ISBN, DOI, DATES, TIMES, PAGES, AMOUNTS)


def _clear(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` with each span replaced by GAP (spans may overlap; later ones first)."""
    for start, end in sorted(set(spans), reverse=True):
        text = text[:start] + GAP + text[end:]
    return text


def _url_kinds(url: str, handles: bool) -> Iterator[str]:
    lowered = url.lower()
    if lowered.startswith("mailto:"):
        yield EMAIL
    elif lowered.startswith("tel:"):
        yield PHONE
    elif lowered.startswith("geo:"):
        yield COORDINATES
    try:
        parts = urlsplit(url if "://" in url else "http://" + url)
        host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    except ValueError:  # not a URL after all ("http://[oops"): nothing more to read in it
        return
    if (MAP_HOST.search(host + parts.path)) and URL_COORDINATES.search(url):
        yield COORDINATES
    first = parts.path.strip("/").split("/")[0] if parts.path.strip("/") else ""
    profile = host in SOCIAL and first.lower() not in SOCIAL[host].split()
    at_name = first.startswith("@") and len(first) > 2  # Mastodon, YouTube: /@name
    if handles and first and (profile or at_name):
        yield HANDLE


def _matches(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def find(text: str, *, handles: bool = True) -> list[str]:
    """The kinds of personal details in `text`, in KINDS order (empty: none seen)."""
    text = unicodedata.normalize("NFC", text)
    found: set[str] = set()
    urls = list(URL.finditer(text))
    for url in urls:
        found.update(_url_kinds(url.group(), handles))
    text = _clear(text, [u.span() for u in urls])
    mails = _matches(EMAIL_ADDRESS, text) + _matches(HIDDEN_EMAIL, text)
    if MAIL_WORDS.search(text) or MAIL_PROVIDERS.search(text):
        mails += _matches(SPOKEN_EMAIL, text)
    found.update([EMAIL] if mails else [])
    text = _clear(text, mails)
    tags = [m.span() for m in AT_HANDLE.finditer(text) if m.group().lower() not in EVERYONE]
    tags += _matches(NAMED_HANDLE, text)
    if handles and tags:
        found.add(HANDLE)
    text = _clear(text, tags + [s for p in HARMLESS for s in _matches(p, text)])
    for kind, finder in ((COORDINATES, numbers.coordinates), (BANK, numbers.banks),
                         (CARD, numbers.cards), (PHONE, numbers.phones),
                         (ADDRESS, places.addresses), (PLATE, places.plates)):
        spans = list(finder(text))
        if spans:
            found.add(kind)
            text = _clear(text, spans)
    return [kind for kind in KINDS if kind in found]


def _named(kinds: list[str]) -> str:
    words = [f"{ARTICLES[k]} {k}".strip() for k in kinds]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def warning(kinds: list[str]) -> str:
    return (f"Your post seems to contain personal details: {_named(kinds)}. Anyone can read, "
            "copy and archive what is posted here, and details like these can lead to you or "
            "to someone else. Remove them and send again; or, if you are sure they identify "
            "no one (an organisation's public contact, say), tick \"I understand; post "
            "anyway\" and send again.")


def check_post(fields: Iterable[str], link: str | None = None) -> None:
    """Refuse (422) a post whose `fields` (name, subject, body, event place...) or event
    `link` hold personal details; the refusal names the kinds in `personal_details`."""
    found: set[str] = set()
    for text in fields:
        if text:
            found.update(find(text))
    if link:
        found.update(find(link, handles=False))
    if found:
        kinds = [kind for kind in KINDS if kind in found]
        raise Refusal(warning(kinds), 422, personal_details=kinds)
