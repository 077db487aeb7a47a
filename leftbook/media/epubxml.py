"""The content of an EPUB made harmless: XHTML and SVG without scripts, forms, event
handlers or remote references; CSS without imports, remote URLs or comments.

XML is parsed with defusedxml (no entity definitions, no external entities or DTDs are
fetched); HTML's named character references, which XHTML files often use without their
DTD, are turned into numeric ones first. Comments and processing instructions are dropped
by the parser; the tree is walked without recursion.
"""

from __future__ import annotations

import html.entities
import re
import xml.etree.ElementTree as ET  # serialising only: defusedxml parses

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from leftbook.refusal import Refusal

XHTML_NS = "http://www.w3.org/1999/xhtml"
XHTML_PREFIXED = f' xmlns:html="{XHTML_NS}"'  # ElementTree's own prefix for XHTML
NAMESPACES = {"html": XHTML_NS, "epub": "http://www.idpf.org/2007/ops", "svg": "http://www.w3.org/2000/svg",
              "xlink": "http://www.w3.org/1999/xlink", "m": "http://www.w3.org/1998/Math/MathML"}
DROPPED_ELEMENTS = frozenset({
    "script", "noscript", "form", "input", "button", "select", "textarea", "option", "iframe",
    "frame", "frameset", "object", "embed", "applet", "param", "base", "audio", "video",
    "source", "track", "foreignObject", "handler", "listener", "set", "animate",
    "animateMotion", "animateTransform", "animateColor", "portal", "dialog",
})
URL_ATTRIBUTES = frozenset({
    "href", "src", "poster", "data", "action", "formaction", "background", "cite", "longdesc",
    "usemap", "codebase", "dynsrc", "lowsrc", "profile", "manifest", "altimg", "base",
})
ALWAYS_DROPPED_ATTRIBUTES = frozenset({"srcset", "base", "ping", "integrity", "nonce"})
SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*:|//|\\\\)")
LINK_SCHEMES = ("http:", "https:", "mailto:")
ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.S)
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\([^0-9a-fA-F\n])")
CSS_IMPORT = re.compile(r"@import[^;]*(;|$)", re.I)
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
CSS_ACTIVE = re.compile(r"expression\s*\(|behavior\s*:|-moz-binding\s*:|javascript:", re.I)
MALFORMED = "A file inside this EPUB is not well-formed XML."

for _prefix, _uri in NAMESPACES.items():
    ET.register_namespace(_prefix, _uri)


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _numeric_entities(data: bytes) -> bytes:
    def numeric(match: re.Match) -> bytes:
        name = match.group(1)
        if name in XML_ENTITIES:
            return match.group(0)
        point = html.entities.name2codepoint.get(name.decode())
        return f"&#{point};".encode() if point is not None else b""

    return ENTITY.sub(numeric, data)


def parse(data: bytes) -> ET.Element:
    """An XML document from an EPUB, safely; refuses (400) what is not well-formed."""
    try:
        return SafeET.fromstring(_numeric_entities(data), forbid_dtd=False,
                                 forbid_entities=True, forbid_external=True)
    except (ET.ParseError, ValueError, DefusedXmlException, RecursionError) as exc:
        raise Refusal(MALFORMED, 400) from exc


def _is_remote(value: str) -> bool:
    return bool(SCHEME.match(value))


def clean_css(css: str) -> str:
    """Style sheet text without comments, imports, remote or scheme URLs or active content."""
    css = CSS_ESCAPE.sub(_css_unescape, CSS_COMMENT.sub("", css))
    css = CSS_IMPORT.sub("", css)
    css = CSS_URL.sub(lambda m: "none" if _is_remote(m.group(2)) else m.group(0), css)
    return CSS_ACTIVE.sub("", css)


def _css_unescape(match: re.Match) -> str:
    """Escapes of letters and digits are only ever used to hide a word: decode them."""
    character = chr(int(match.group(1), 16)) if match.group(1) else match.group(2)
    if character.isascii() and (character.isalnum() or character in "():/@"):
        return character
    return match.group(0)


def clean_tree(root: ET.Element) -> None:
    """Remove active and remote things from an XHTML or SVG tree, in place."""
    stack = [root]
    while stack:
        parent = stack.pop()
        for element in list(parent):
            if not isinstance(element.tag, str) or _local(element.tag) in DROPPED_ELEMENTS \
                    or _dropped_meta(element):
                _remove(parent, element)
                continue
            _clean_attributes(element)
            if _local(element.tag) == "style" and element.text:
                element.text = clean_css(element.text)
            stack.append(element)
    _clean_attributes(root)


def _dropped_meta(element: ET.Element) -> bool:
    """<meta> other than the character set or viewport (author, generator, refresh ...);
    <link> other than a style sheet in the book."""
    name = _local(element.tag)
    if name == "meta":
        return not ("charset" in element.attrib or element.get("name") == "viewport")
    if name == "link":
        return "stylesheet" not in (element.get("rel") or "").lower() or \
            _is_remote(element.get("href") or "")
    return False


def _remove(parent: ET.Element, element: ET.Element) -> None:
    """Remove `element`, keeping the text that followed it."""
    if element.tail and element.tail.strip():
        index = list(parent).index(element)
        if index:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _clean_attributes(element: ET.Element) -> None:
    plain_link = _local(element.tag) == "a"
    for name in list(element.attrib):
        local, value = _local(name), element.attrib[name]
        if local.lower().startswith("on") or local in ALWAYS_DROPPED_ATTRIBUTES \
                or name == "{http://www.w3.org/XML/1998/namespace}base":
            del element.attrib[name]
        elif local == "style":
            element.attrib[name] = clean_css(value)
        elif local in URL_ATTRIBUTES and _is_remote(value) and not (
                plain_link and local == "href"
                and value.strip().lower().startswith(LINK_SCHEMES)):
            del element.attrib[name]


def clean_document(data: bytes, svg: bool = False) -> bytes:
    """An XHTML or SVG file of the book, cleaned and written anew as UTF-8."""
    root = parse(data)
    clean_tree(root)
    try:
        body = ET.tostring(root, encoding="unicode")
    except RecursionError as exc:
        raise Refusal(MALFORMED, 400) from exc
    if XHTML_PREFIXED in body:  # XHTML as the default namespace, as reading systems expect
        body = body.replace("<html:", "<").replace("</html:", "</").replace(
            XHTML_PREFIXED, f' xmlns="{XHTML_NS}"')
    doctype = "" if svg else "<!DOCTYPE html>\n"
    return f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}{body}'.encode()
