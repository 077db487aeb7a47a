"""Finding where someone lives or drives: street addresses with a house number (English,
Spanish, Portuguese, German, French, Italian forms), postcodes next to a street, licence
plates. Finders take text already cleared of dates and times (see
`leftbook.posting.personal`), so "14h place de la République" is no address.

Names of streets are capitalised in every form here; a number that reads as a year
(1800-2099) is not taken for a house number, so "Plaza de Mayo 1977" stays history.
"""

import re
from collections.abc import Iterator

Span = tuple[int, int]

UPPER = "A-ZÁÉÍÓÚÑÇÂÊÔÃÕÀÈÌÒÙÄÖÜÉÈÊËÎÏÛŒ"
NAME = rf"[{UPPER}][\w'\u2019.-]*"
HOUSE = r"\d{1,4}(?:\s?[a-zA-Z](?![\w']))?"
MONTHS = (r"(?i:jan\w*|feb\w*|f[eé]v\w*|m[aä]r\w*|apr\w*|abr\w*|avr\w*|ma[iy]o?|mai|"
          r"jun\w*|juin|jul\w*|juil\w*|aug\w*|ago\w*|ao[uû]t|sep\w*|set\w*|o[ck]t\w*|out\w*|"
          r"nov\w*|de[cz]\w*|d[ée]c\w*|dic\w*|ene\w*|enero|gen\w*)\b")
NOT_A_UNIT = (r"(?!\s*(?:%|€|\$|£|(?i:euros?|dollars?|pounds?|uhr|h\b|km|miles?|menschen|leute|"
              r"personen|people|personas|pessoas|personnes|manifestant\w*|years?|jahre\w*|"
              r"a[ñn]os|ans|mil\b|mill\w*|thousand|tausend|mille)|(?:\.|º|ª|er)?\s*(?:de\s+|d')?"
              + MONTHS + "))")

EN_SUFFIX = (r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|"
             r"Place|Pl|Terrace|Close|Crescent|Grove|Gardens|Square|Sq|Row|Parkway|Pkwy|"
             r"Highway|Hwy|Mews|Walk|Circle|Cir|Trail|Parade|Broadway)")
EN_STOP = ("the", "a", "an", "of", "more", "less", "main", "mile", "miles", "km", "hour",
           "hours", "day", "days", "year", "years", "minute", "minutes", "lane", "new", "big")
EN_ADDRESS = re.compile(
    rf"(?<![\w.,/-])(?P<no>\d{{1,5}}[A-Za-z]?)(?:-\d{{1,5}})?,?\s+"
    rf"(?P<name>(?:{NAME}\s+){{1,4}}){EN_SUFFIX}\b"
    rf"|(?<![\w.,/-])(?P<lno>\d{{1,5}})\s+(?P<lname>(?:[a-z][a-z'-]+\s+){{1,3}})"
    r"(?:street|st|road|rd|avenue|ave|boulevard|blvd)\b(?!-)"
)
ROMANCE_KEY = (r"(?:(?i:calle|c/|avenida|avda\.?|av\.|plaza|pza\.?|paseo|p[ºo]\.|carrer|ronda|"
               r"camino|traves[ií]a|glorieta|rambla|rua|travessa|tv\.|pra[cç]a|estrada|"
               r"alameda)|R\.|Largo|Via|Viale|Piazza|Corso|Vicolo)")
LINK_WORD = r"(?:de|del|de la|de los|de las|da|do|das|dos|di|della|dei|delle|d'|e|y)"
ROMANCE_ADDRESS = re.compile(
    rf"\b{ROMANCE_KEY}\s+(?:{LINK_WORD}\s+)?{NAME}(?:\s+(?:{LINK_WORD}\s+)?{NAME}){{0,4}}"
    rf"(?<![.!?]),?\s*(?:n\.?\s?[ºo°]\.?\s*|n[úu]m\.?\s*|n[úu]mero\s+|nr\.?\s*)?(?P<no>{HOUSE})\b"
    + NOT_A_UNIT
)
FR_KEY = (r"(?i:rue|avenue|av\.|bd|boulevard|place|pl\.|impasse|all[ée]e|quai|chemin|cours|"
          r"route|square|passage|cit[ée]|villa|sentier|faubourg|rond-point)")
FR_ADDRESS = re.compile(
    rf"(?<![\w.,/:-])(?P<no>\d{{1,4}})(?:\s?(?:bis|ter|quater))?,?\s+{FR_KEY}\s+"
    rf"(?:(?:de la|de l'|des|du|de|d'|l')\s*)?[{UPPER}]"
)
DE_SUFFIX = (r"(?:stra(?:ß|ss)e|str\.|allee|weg|gasse|platz|damm|ufer|chaussee|steig|"
             r"pfad|markt|graben|kai|zeile|steg|stieg|twiete)")
DE_ADDRESS = re.compile(
    rf"\b[{UPPER}][\wäöüß-]*{DE_SUFFIX}\s+(?P<no>{HOUSE})\b{NOT_A_UNIT}"
    rf"|\b[{UPPER}][\wäöüß-]+\s+(?:Stra(?:ß|ss)e|Str\.|Allee|Weg|Gasse|Platz|Ring|Damm|Ufer|"
    rf"Chaussee)\s+(?P<no2>{HOUSE})\b{NOT_A_UNIT}"
    rf"|\b(?:Am|An der|Auf der|Unter den|Hinter der|Vor dem)\s+"
    rf"(?!(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Wochenende|Ende|"
    rf"Anfang|Tag|Abend|Morgen)\b)[{UPPER}][\wäöüß-]+\s+(?P<no3>{HOUSE})\b{NOT_A_UNIT}"
)
STREET_WORD = re.compile(
    rf"(?i:\b(?:street|road|avenue|lane|drive|boulevard|calle|avenida|avda|plaza|paseo|carrer|"
    rf"rua|travessa|largo|pra[cç]a|rue|boulevard|all[ée]e|quai|chemin|impasse|via|piazza)\b"
    rf"|(?<!\w)(?:c/|av\.|r\.|p[cç]a\.))"
    rf"|\b{NAME}?{DE_SUFFIX}\b|\b(?:St|Rd|Ave|Str)\.?(?=[\s,])"
)
POSTCODE = re.compile(
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"  # UK
    rf"|\b\d{{2}}(?!000)\d{{3}}\s+[{UPPER}][\w'-]+"  # DE, FR, ES, IT: 10117 Berlin
    r"|\b\d{4}-\d{3}\b|\b\d{5}-\d{3}\b"  # PT 1100-148, BR 01310-100
    r"|\b[A-Z]{2}\s\d{5}(?:-\d{4})?\b"  # US: NY 10001
)
STREET_REACH = 60

PLATE = re.compile(
    r"\b[A-Z]{2}\d{2}\s?[A-Z]{3}\b"  # UK: AB12 CDE
    r"|\b[A-Z]{2}-\d{3}-[A-Z]{2}\b"  # FR: AB-123-CD
    r"|\b[A-Z]{2}-\d{2}-[A-Z]{2}\b|\b\d{2}-[A-Z]{2}-\d{2}\b"  # PT: AA-00-AA, 00-AA-00
    r"|\b\d{2}-\d{2}-[A-Z]{2}\b|\b[A-Z]{2}-\d{2}-\d{2}\b"  # PT, older
    r"|\b[A-ZÄÖÜ]{1,3}-[A-Z]{1,2}\s?(?P<de>\d{1,4})[EH]?\b"  # DE: B-AB 1234
    r"|\b[A-Z]{2}\d{3}[A-Z]{2}\b"  # IT: AB123CD
    r"|\b(?P<es>\d{4})-?[BCDFGHJKLMNPRSTVWXYZ]{3}\b"  # ES: 1234-BCD (spaced: by a word)
)
PLATE_WORDS = re.compile(
    r"(?i)\b(?:plates?|licen[cs]e\s?(?:plate|number)|registration\s?(?:plate|number)|"
    r"matr[ií]cula|placa|kennzeichen|nummernschild|plaque|immatricul\w*|targa|kenteken)\b"
)
PLATE_NEAR_WORD = re.compile(r"\b(?=[A-Z0-9 -]{4,10}\b)(?=[A-Z0-9 -]*\d)(?=[A-Z0-9 -]*[A-Z])"
                             r"[A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4}){1,3}\b")


def _year(number: str | None) -> bool:
    return bool(number) and number.isdigit() and len(number) == 4 and 1800 <= int(number) <= 2099


def _en(match: re.Match) -> bool:
    number = match["no"] or match["lno"]
    names = (match["name"] or match["lname"] or "").split()
    return not _year(number) and not any(n.lower() in EN_STOP for n in names)


def addresses(text: str) -> Iterator[Span]:
    for match in EN_ADDRESS.finditer(text):
        if _en(match):
            yield match.span()
    for pattern in (ROMANCE_ADDRESS, FR_ADDRESS, DE_ADDRESS):
        for match in pattern.finditer(text):
            number = next((v for k, v in match.groupdict().items() if k.startswith("no") and v),
                          None)
            if not _year(number):
                yield match.span()
    for match in POSTCODE.finditer(text):
        start, end = match.span()
        if STREET_WORD.search(text, max(0, start - STREET_REACH), min(len(text),
                                                                      end + STREET_REACH)):
            yield match.span()


def plates(text: str) -> Iterator[Span]:
    for match in PLATE.finditer(text):
        if not _year(match["es"]) and not _year(match["de"]):
            yield match.span()
    for word in PLATE_WORDS.finditer(text):
        near = PLATE_NEAR_WORD.search(text, word.end(), min(len(text), word.end() + 25))
        if near:
            yield near.span()
