"""Finding personal details written with digits: phone numbers, card and bank numbers,
coordinates. Each finder takes text already cleared of what is known to be harmless (URLs,
quote links, ISBNs, dates, times: see `leftbook.posting.personal`) and returns the spans it
recognised, so that one detail is reported once.

Every pattern is linear (no nested unbounded repetition), so hostile text costs little.
"""

import re
from collections.abc import Iterator

Span = tuple[int, int]

# A run of digit groups with the separators people type inside phone numbers.
PHONE_RUN = re.compile(
    r"(?<![\w+@#/.,-])(?:\+|00)?\(?\d{1,12}\)?"
    r"(?:(?:[ \t.\-/]{1,2}|(?<=\)))\(?\d{1,8}\)?){0,7}(?![\w%€$£])"
)
PLUS_RUN = re.compile(r"\+\s?\d")
PHONE_WORDS = re.compile(
    r"(?i)\b(?:phone|telephone|tel|tlf|tfno|mobile|cell|cellphone|whats\s?app|signal|sms|"
    r"call|ring|text|fax|hotline|tel[eé]fono|m[oó]vil|celular|llam\w*|telefone|telem[oó]vel|"
    r"liga|ligue|ligar|zap|whats|telefon|handy|mobil|anruf\w*|ruf|t[eé]l[eé]phone|t[eé]l|"
    r"portable|appel\w*|joindre)\b"
)
# Words that often stand before other numbers too (laws, issues): only for longer numbers.
WEAK_PHONE_WORDS = re.compile(r"(?i)\b(?:n[uú]mero|nummer|num[eé]ro|number|contact[oe]?|"
                              r"contato|kontakt|erreichbar|unter)\b")
ZIP_PLUS_4 = re.compile(r"\d{5}-\d{4}")  # a US postcode (the address finder reads it)
WORD_WINDOW = 30  # characters before a number where one of PHONE_WORDS makes it a phone

CARD_RUN = re.compile(r"(?<![\w.,])\d{4}(?:[ \-]?\d{2,6}){2,4}(?![\w.,]\d)")
CARD_WORDS = re.compile(r"(?i)\b(?:card|tarjeta|cart[aã]o|karte|carte|visa|mastercard|amex)\b")
IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
BANK_WORDS = re.compile(
    r"(?i)\b(?:iban|bic|swift|sort\s?code|account\s?(?:number|no\.?|nr\.?|#)|acct|a/c|"
    r"routing|cuenta|ccc|conta|nib|kontonummer|konto|blz|bankverbindung|compte|rib|"
    r"clabe|cbu|pix)\b"
)
BANK_NUMBER = re.compile(r"(?<![\w.])\d[\d \-]{4,30}\d(?![\w.]\d)")

LAT = r"[-+]?\d{1,2}\.\d{3,}"
LON = r"[-+]?\d{1,3}\.\d{3,}"
DECIMAL_PAIR = re.compile(
    rf"(?<![\w.])(?P<ns1>[NS]\s?)?(?P<lat>{LAT})\s?°?\s?(?P<ns2>[NS])?\s?[,;/ ]\s{{0,2}}"
    rf"(?P<ew1>[EWO]\s?)?(?P<lon>{LON})\s?°?\s?(?P<ew2>[EWO])?(?![\w.]\d)"
)
MINUTE, SECOND = r"['\u2032\u2019]", r"(?:\"|\u2033|''|\u2019\u2019)"
DMS = re.compile(
    rf"\b\d{{1,3}}\s?°\s?\d{{1,2}}(?:[.,]\d+\s?{MINUTE}|\s?{MINUTE}\s?\d{{1,2}}(?:[.,]\d+)?\s?"
    rf"{SECOND})"
    r"\s?[NSEWO]\b"
    r"|\b[NSEWO]\s?\d{1,3}\s?°\s?\d{1,2}[.,]\d{2,}"
)
COORDINATE_WORDS = re.compile(
    r"(?i)\b(?:coord\w*|koordinaten|gps|lat(?:itude)?|lon(?:g(?:itude)?)?|location|"
    r"ubicaci[oó]n|localiza[cç][aã]o|standort|position)\b"
)
PLUS_CODE = re.compile(r"\b[23456789CFGHJMPQRVWX]{4,8}\+[23456789CFGHJMPQRVWX]{2,3}\b")
WHAT3WORDS = re.compile(r"(?<![\w/])///[a-z]{2,}\.[a-z]{2,}\.[a-z]{2,}\b")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _groups(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_valid(text: str) -> bool:
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _near(words: re.Pattern, text: str, start: int, window: int = WORD_WINDOW) -> bool:
    return bool(words.search(text, max(0, start - window), start))


def _round(digits: str) -> bool:
    """A round figure (a population, a sum) rather than a number someone dials."""
    return digits.endswith("0000") or len(set(digits)) <= 2


def _bracketed_late(run: str) -> bool:
    """A bracket after the first group ("600 000 (2022)") is an aside, not an area code."""
    start = run.find("(")
    if start <= 0:
        return False
    head = run[:start].strip()
    return not (head.startswith("+") or head.startswith("00")) or len(_groups(head)) > 1


def _looks_like_phone(run: str, digits: str) -> bool:
    """Phone shapes that need no word around them."""
    n, groups = len(digits), _groups(run)
    if _bracketed_late(run):
        return False
    if PLUS_RUN.match(run) or run.startswith("00"):
        return 8 <= n <= 15 and not _round(digits[2:])
    if digits.startswith("0"):  # UK, DE, FR, IT... national numbers
        return 9 <= n <= 12 and not _round(digits)
    if n == 10 and digits[0] in "23456789" and [len(g) for g in groups] in ([3, 3, 4], [10]):
        return len(groups) > 1 or "(" in run  # US: (415) 555-0134, 415-555-0134
    if n == 11 and digits[0] == "1" and [len(g) for g in groups] == [1, 3, 3, 4]:
        return True  # 1-800-555-0199
    if n == 9 and digits[0] in "6789" + "2":  # ES and PT
        shapes = ([9], [3, 3, 3], [3, 2, 2, 2], [2, 3, 2, 2], [2, 3, 4])
        return [len(g) for g in groups] in shapes and not _round(digits)
    return False


def phones(text: str) -> Iterator[Span]:
    for match in PHONE_RUN.finditer(text):
        run = match.group().strip()
        digits = _digits(run)
        if len(digits) < 6 or len(digits) > 15:
            continue
        if _round(digits) or _bracketed_late(run) or ZIP_PLUS_4.fullmatch(run):
            continue
        worded = ((_near(PHONE_WORDS, text, match.start()) and len(digits) >= 7)
                  or (_near(WEAK_PHONE_WORDS, text, match.start()) and len(digits) >= 9))
        if worded or _looks_like_phone(run, digits):
            yield match.span()


def cards(text: str) -> Iterator[Span]:
    for match in CARD_RUN.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and (
                (luhn(digits) and not _round(digits)) or _near(CARD_WORDS, text, match.start())):
            yield match.span()


def banks(text: str) -> Iterator[Span]:
    for match in IBAN.finditer(text):
        if iban_valid(match.group()):
            yield match.span()
    for match in BANK_NUMBER.finditer(text):
        digits = _digits(match.group())
        if 6 <= len(digits) <= 30 and _near(BANK_WORDS, text, match.start()):
            yield match.span()


def _coordinate_pair(match: re.Match, text: str) -> bool:
    lat, lon = float(match["lat"]), float(match["lon"])
    if abs(lat) > 90 or abs(lon) > 180:
        return False
    marked = any(match[g] for g in ("ns1", "ns2", "ew1", "ew2")) or "°" in match.group()
    if marked or _near(COORDINATE_WORDS, text, match.start(), 40):
        return True
    decimals = min(len(match["lat"].split(".")[1]), len(match["lon"].split(".")[1]))
    return decimals >= 4 and max(abs(lat), abs(lon)) >= 1


def coordinates(text: str) -> Iterator[Span]:
    for match in DECIMAL_PAIR.finditer(text):
        if _coordinate_pair(match, text):
            yield match.span()
    for pattern in (DMS, PLUS_CODE, WHAT3WORDS):
        for match in pattern.finditer(text):
            yield match.span()
