"""The EPUB cleaner: a new book from the old one's readable content.

The package document is written anew with a title, a language, a fresh identifier (derived
from the cleaned content, so one book always gives one file) and a fixed modification date;
every other metadata element (authors, contributors, dates, publisher, rights, calibre's
fields, the guide) stays behind, as do manifest items the site does not take (scripts,
audio, video, unknown types) and META-INF's other files. Manifest ids are renumbered; the
NCX is rebuilt with the new identifier and its navigation labels only. Content goes through
``epubxml``; images are re-encoded like uploads (so their EXIF is gone); fonts are kept.
The zip is written by ``epubzip`` with fixed dates and no comments.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

from leftbook.media.encode import EXTENSIONS, reencode
from leftbook.media.epubxml import clean_css, clean_document, parse
from leftbook.media.epubzip import Members, resolve, write
from leftbook.media.probe import PILLOW_INPUT_ERRORS, probe
from leftbook.media.result import cleaned
from leftbook.media.types import CleanedFile, EpubLimits, FileLimits
from leftbook.refusal import Refusal

OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
ENCRYPTION = "{http://www.w3.org/2001/04/xmlenc#}"
FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
MODIFIED = "2000-01-01T00:00:00Z"
PROPERTIES = {"cover-image", "nav", "svg", "mathml"}
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}")
IMAGE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
               ".webp": "image/webp"}
FONT_TYPES = ("font/", "application/font-", "application/x-font-", "application/vnd.ms-opentype")
NO_CONTENT = "This EPUB has no readable content."


@dataclass
class Item:
    path: str
    href: str
    media_type: str
    properties: str
    data: bytes


def is_cover(item: Item, cover_id: str | None, item_id: str) -> bool:
    return "cover-image" in item.properties.split() or item_id == cover_id


def clean_epub(data: bytes, limits: EpubLimits) -> CleanedFile:
    """Rebuild the book and thumbnail its cover; refuses (4xx) what it cannot."""
    if len(data) > limits.max_bytes:
        raise Refusal("The EPUB is too large.", 413)
    members = Members(data, limits)
    if "META-INF/rights.xml" in members:
        raise Refusal("This EPUB is encrypted (DRM); post a copy without protection.", 415)
    obfuscated = _obfuscated_fonts(members)
    opf_path = _rootfile(members)
    base = posixpath.dirname(opf_path)
    package = parse(members.read(opf_path))
    version = "3.0" if (package.get("version") or "").startswith("3") else "2.0"
    metadata = package.find(f"{OPF}metadata")
    title = _first_text(metadata, f"{DC}title") or "Untitled"
    language = _first_text(metadata, f"{DC}language") or "und"
    cover_id = next((m.get("content") for m in (metadata if metadata is not None else [])
                     if m.tag == f"{OPF}meta" and m.get("name") == "cover"), None)
    items, cover, pixels = {}, None, [0]
    for entry in package.iterfind(f"{OPF}manifest/{OPF}item"):
        item = _item(members, base, entry, obfuscated, limits, pixels)
        if item is None:
            continue
        items[entry.get("id")] = item
        if cover is None and is_cover(item, cover_id, entry.get("id")) and \
                item.media_type in IMAGE_TYPES.values():
            cover = item
    spine_entry = package.find(f"{OPF}spine")
    spine = [ref.get("idref") for ref in (spine_entry if spine_entry is not None else [])
             if items.get(ref.get("idref")) is not None and items[ref.get("idref")].media_type
             in ("application/xhtml+xml", "image/svg+xml")]
    if not spine:
        raise Refusal(NO_CONTENT, 400)
    digest = hashlib.sha256(b"".join(i.path.encode() + i.data for i in items.values()))
    identifier = f"urn:uuid:{uuid.UUID(bytes=digest.digest()[:16], version=4)}"
    toc = spine_entry.get("toc") if spine_entry is not None else None
    numbers = {old: f"item{n}" for n, old in enumerate(items, 1)}
    for item in items.values():
        if item.media_type == "application/x-dtbncx+xml":
            item.data = _ncx(item.data, identifier, title)
    opf = _package(version, identifier, title, language, items, numbers, spine,
                   numbers.get(toc) if toc in items else None,
                   next((numbers[o] for o, i in items.items() if i is cover), None))
    new_opf = posixpath.join(base, "content.opf")
    if new_opf in {i.path for i in items.values()}:
        raise Refusal(NO_CONTENT, 400)
    book = write([("META-INF/container.xml", _container(new_opf)), (new_opf, opf),
                  *((i.path, i.data) for i in items.values())])
    picture = _picture(cover.data) if cover is not None else None
    return cleaned("epub", ".epub", book, picture, "EPUB", limits.thumb_size,
                   picture.size if picture is not None else (0, 0), pages=len(spine))


def _first_text(parent, tag: str) -> str:
    found = parent.find(tag) if parent is not None else None
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text[:500]


def _rootfile(members: Members) -> str:
    container = parse(members.read("META-INF/container.xml"))
    for rootfile in container.iterfind(f"{CONTAINER}rootfiles/{CONTAINER}rootfile"):
        path = resolve("", rootfile.get("full-path") or "")
        if path and path in members:
            return path
    raise Refusal("This EPUB names no package document.", 400)


def _obfuscated_fonts(members: Members) -> set[str]:
    """Fonts obfuscated as the EPUB standard allows (dropped: readers fall back to their
    own fonts); any other encryption is refused."""
    if "META-INF/encryption.xml" not in members:
        return set()
    fonts = set()
    for entry in parse(members.read("META-INF/encryption.xml")).iter(f"{ENCRYPTION}EncryptedData"):
        method = entry.find(f"{ENCRYPTION}EncryptionMethod")
        reference = entry.find(f"{ENCRYPTION}CipherData/{ENCRYPTION}CipherReference")
        if method is None or method.get("Algorithm") not in FONT_OBFUSCATION or reference is None:
            raise Refusal("This EPUB is encrypted (DRM); post a copy without protection.", 415)
        fonts.add(resolve("", unquote(reference.get("URI") or "")) or "")
    return fonts


def _item(members: Members, base: str, entry, obfuscated: set[str], limits: EpubLimits,
          pixels: list[int]) -> Item | None:
    """One manifest entry cleaned, or None when the site leaves it out."""
    media_type = (entry.get("media-type") or "").strip().lower()
    path = resolve(base, unquote(entry.get("href") or ""))
    if path is None or path not in members or path in obfuscated or not entry.get("id"):
        return None
    properties = " ".join(p for p in (entry.get("properties") or "").split() if p in PROPERTIES)
    if media_type in ("application/xhtml+xml", "text/html"):
        data, media_type = clean_document(members.read(path)), "application/xhtml+xml"
    elif media_type == "image/svg+xml":
        data = clean_document(members.read(path), svg=True)
    elif media_type == "text/css":
        data = clean_css(members.read(path).decode("utf-8", "replace")).encode()
    elif media_type in IMAGE_TYPES.values():
        data, media_type = _image(members.read(path), limits, pixels)
    elif media_type == "application/x-dtbncx+xml" or media_type.startswith(FONT_TYPES):
        data = members.read(path)
    else:
        return None
    href = quote(posixpath.relpath(path, base or "."))
    return Item(path, href, media_type, properties, data)


def _image(data: bytes, limits: EpubLimits, pixels: list[int]) -> tuple[bytes, str]:
    image_limits = FileLimits(max_bytes=limits.max_member_bytes,
                              max_pixels=limits.max_image_pixels,
                              max_decoded_bytes=4 * limits.max_image_pixels)
    checked = probe(data, image_limits)
    pixels[0] += checked.width * checked.height * checked.frames
    if pixels[0] > limits.max_total_pixels:
        raise Refusal("The images in this EPUB are too large together.", 413)
    try:
        encoded = reencode(checked, len(data))
    except PILLOW_INPUT_ERRORS as exc:
        raise Refusal("An image inside this EPUB cannot be read.", 400) from exc
    finally:
        checked.image.close()
    return encoded.data, IMAGE_TYPES[EXTENSIONS[checked.kind]]


def _picture(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _package(version: str, identifier: str, title: str, language: str, items: dict,
             numbers: dict, spine: list, toc: str | None, cover: str | None) -> bytes:
    language = language if LANGUAGE.fullmatch(language) else "und"
    meta = [f'<dc:identifier id="uid">{identifier}</dc:identifier>',
            f"<dc:title>{escape(title)}</dc:title>", f"<dc:language>{language}</dc:language>"]
    if version == "3.0":
        meta.append(f'<meta property="dcterms:modified">{MODIFIED}</meta>')
    if cover:
        meta.append(f'<meta name="cover" content="{cover}"/>')
    manifest = [f'<item id="{numbers[old]}" href={quoteattr(i.href)} media-type='
                f'{quoteattr(i.media_type)}' + (f' properties="{i.properties}"' if
                                                 i.properties and version == "3.0" else "")
                + "/>" for old, i in items.items()]
    refs = [f'<itemref idref="{numbers[old]}"/>' for old in spine]
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<package xmlns="http://www.idpf.org/2007/opf"'
            f' version="{version}" unique-identifier="uid"><metadata xmlns:dc='
            f'"http://purl.org/dc/elements/1.1/">{"".join(meta)}</metadata><manifest>'
            f'{"".join(manifest)}</manifest><spine{f" toc={chr(34)}{toc}{chr(34)}" if toc else ""}>'
            f'{"".join(refs)}</spine></package>\n').encode()


def _container(opf: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<container version="1.0" xmlns='
            '"urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
            f'full-path={quoteattr(opf)} media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>\n").encode()


def _ncx(data: bytes, identifier: str, title: str) -> bytes:
    """The NCX anew: the new identifier, the title, and the navigation map's labels and
    targets in reading order, one level (no author, no generator, no page list)."""
    ncx = "{http://www.daisy.org/z3986/2005/ncx/}"
    root = parse(data)
    points, order = [], 0
    stack = [(child, 0) for child in reversed(list(root.iterfind(f"{ncx}navMap/{ncx}navPoint")))]
    while stack:
        point, depth = stack.pop()
        if depth > 16:
            continue
        order += 1
        label = " ".join(point.findtext(f"{ncx}navLabel/{ncx}text", "").split())[:300]
        content = point.find(f"{ncx}content")
        src = content.get("src", "") if content is not None else ""
        if ":" in src.split("/")[0]:
            src = ""
        points.append(f'<navPoint id="np{order}" playOrder="{order}">'
                      f"<navLabel><text>{escape(label)}</text></navLabel>"
                      f"<content src={quoteattr(src)}/></navPoint>")
        children = reversed(list(point.iterfind(f"{ncx}navPoint")))
        stack.extend((child, depth + 1) for child in children)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<ncx xmlns="http://www.daisy.org/z3986/'
            '2005/ncx/" version="2005-1"><head><meta name="dtb:uid" content='
            f'{quoteattr(identifier)}/><meta name="dtb:depth" content="1"/><meta name='
            '"dtb:totalPageCount" content="0"/><meta name="dtb:maxPageNumber" content="0"/>'
            f"</head><docTitle><text>{escape(title)}</text></docTitle><navMap>"
            f'{"".join(points)}</navMap></ncx>\n').encode()
