"""What a PDF keeps of a page: its boxes, its content, its resources and plain web links.

Everything here works on objects already copied into the new document (see ``pdf``): keys
that can carry metadata, active content or references out of the file are deleted wherever
they are found under a page; JPEG and JPEG 2000 images are decoded and re-encoded, so
nothing of the camera or editor (EXIF, XMP, quantisation tables) stays inside them.
"""

from __future__ import annotations

import io
import zlib

import pikepdf
from PIL import Image

from leftbook.media.types import PdfLimits
from leftbook.refusal import Refusal

PAGE_KEYS = frozenset({"/Type", "/Parent", "/Resources", "/MediaBox", "/CropBox", "/BleedBox",
                       "/TrimBox", "/ArtBox", "/Contents", "/Rotate", "/Group", "/Annots",
                       "/UserUnit"})
# keys deleted from every dictionary under a page: metadata, application data, thumbnails,
# actions and scripts, attachments, references to other files, structure back-pointers
DROPPED_KEYS = frozenset({
    "/Metadata", "/PieceInfo", "/LastModified", "/OPI", "/Thumb", "/AA", "/A", "/JS",
    "/JavaScript", "/EmbeddedFile", "/EmbeddedFiles", "/AF", "/Ref", "/Alternates", "/ID",
    "/StructParent", "/StructParents", "/OC", "/Measure", "/PtData", "/Name", "/URI",
    "/Launch", "/SpiderInfo", "/Collection", "/Perms",
})
LINK_SCHEMES = ("http://", "https://")
JPEG_QUALITY = 85
REENCODED = {"/DCTDecode", "/JPXDecode"}
TOO_MANY_OBJECTS = "This document has too many objects to be processed."
IMAGE_TOO_LARGE = "An image inside this document is too large once decoded."
IMAGE_BROKEN = "An image inside this document cannot be read."


INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
MAX_TREE_DEPTH = 64


def inherit(page: pikepdf.Dictionary) -> None:
    """Copy onto the page what it inherits from the page tree (it leaves the tree behind)."""
    for key in INHERITED:
        node, depth = page, 0
        while key not in node and depth < MAX_TREE_DEPTH:
            parent = node.get("/Parent")
            if not isinstance(parent, pikepdf.Dictionary):
                break
            node, depth = parent, depth + 1
        if key not in page and key in node:
            page[key] = node[key]


def page_dict(page: pikepdf.Dictionary) -> None:
    """Keep only a page's own keys and its plain links (a new array of new annotations)."""
    links = [link for link in map(_plain_link, _items(page.get("/Annots"))) if link]
    for key in list(page.keys()):
        if key not in PAGE_KEYS:
            del page[key]
    if links:
        page.Annots = pikepdf.Array(links)
    elif "/Annots" in page:
        del page.Annots


def _items(value: object) -> list:
    return list(value) if isinstance(value, pikepdf.Array) else []


def _plain_link(annot: object) -> pikepdf.Dictionary | None:
    """A link annotation to a web address, rebuilt from its rectangle and address only;
    every other annotation (notes, their authors, widgets of forms, popups) is dropped."""
    if not isinstance(annot, pikepdf.Dictionary) or annot.get("/Subtype") != pikepdf.Name.Link:
        return None
    action, rect = annot.get("/A"), annot.get("/Rect")
    if not isinstance(action, pikepdf.Dictionary) or action.get("/S") != pikepdf.Name.URI:
        return None
    uri = action.get("/URI")
    if not isinstance(uri, pikepdf.String) or not isinstance(rect, pikepdf.Array) or len(rect) != 4:
        return None
    address = bytes(uri).decode("latin-1")
    if not address.lower().startswith(LINK_SCHEMES) or not address.isprintable():
        return None
    try:
        corners = [float(value) for value in rect]
    except (TypeError, ValueError):
        return None
    return pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array(corners),
        Border=pikepdf.Array([0, 0, 0]),
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(address)))


class Scrubber:
    """Walks everything a page refers to (never up through /Parent), once per object."""

    def __init__(self, limits: PdfLimits) -> None:
        self.limits = limits
        self.seen: set[tuple[int, int]] = set()
        self.visits = 0
        self.pixels = 0

    def page(self, page: pikepdf.Dictionary) -> None:
        # /Annots holds only the links ``page_dict`` built; /Parent leads to other pages
        stack: list[object] = [page[key] for key in list(page.keys())
                               if key not in ("/Parent", "/Annots")]
        while stack:
            item = stack.pop()
            if isinstance(item, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
                if not self._first_visit(item):
                    continue
                stack.extend(self._children(item))

    def _first_visit(self, item: pikepdf.Object) -> bool:
        self.visits += 1
        if self.visits > 8 * self.limits.max_objects:
            raise Refusal(TOO_MANY_OBJECTS, 413)
        if item.is_indirect:
            if item.objgen in self.seen:
                return False
            self.seen.add(item.objgen)
            if len(self.seen) > self.limits.max_objects:
                raise Refusal(TOO_MANY_OBJECTS, 413)
        return True

    def _children(self, item: pikepdf.Object) -> list[object]:
        if isinstance(item, pikepdf.Array):
            return list(item)
        if isinstance(item, pikepdf.Stream) and item.get("/Subtype") == pikepdf.Name.Image:
            self._image(item)
        for key in list(item.keys()):
            if key in DROPPED_KEYS or key.startswith("/PTEX."):
                del item[key]
        return [item[key] for key in list(item.keys()) if key != "/Parent"]

    def _image(self, stream: pikepdf.Stream) -> None:
        width, height = stream.get("/Width", 0), stream.get("/Height", 0)
        if not isinstance(width, int) or not isinstance(height, int) or width * height > \
                self.limits.max_image_pixels:
            raise Refusal(IMAGE_TOO_LARGE, 413)
        filters = stream.get("/Filter")
        names = [str(f) for f in (filters if isinstance(filters, pikepdf.Array) else [filters])]
        if set(names) & REENCODED:
            self.pixels += width * height
            if self.pixels > self.limits.max_total_pixels:
                raise Refusal(IMAGE_TOO_LARGE, 413)
            _reencode(stream, names, width * height)


def _compressed_picture(stream: pikepdf.Stream, filters: list[str], pixels: int) -> bytes:
    """The JPEG or JPEG 2000 bytes of an image stream, under any Flate layers (the only
    other filter such a stream takes in practice)."""
    *outer, last = filters
    if last not in REENCODED or any(name != "/FlateDecode" for name in outer):
        raise Refusal(IMAGE_BROKEN, 415)
    data = stream.read_raw_bytes()
    for _ in outer:  # a compressed picture is never larger than its pixels
        inflater = zlib.decompressobj()
        data = inflater.decompress(data, 4 * pixels + 65536)
        if inflater.unconsumed_tail:
            raise Refusal(IMAGE_TOO_LARGE, 413)
    return data


def _reencode(stream: pikepdf.Stream, filters: list[str], pixels: int) -> None:
    """Decode the picture and write it again as a plain JPEG with the site's settings."""
    jpx = filters[-1] == "/JPXDecode"
    try:
        raw = _compressed_picture(stream, filters, pixels)
        with Image.open(io.BytesIO(raw), formats=["JPEG2000" if jpx else "JPEG"]) as picture:
            if picture.width * picture.height > stream.Width * stream.Height * 4:
                raise Refusal(IMAGE_TOO_LARGE, 413)
            picture.load()
            mode = picture.mode
            if mode == "CMYK" and _inverted(stream):
                picture = Image.eval(picture, lambda value: 255 - value)
            keep_colours = mode == "L" or (mode == "RGB" and not jpx)
            pixels = picture if keep_colours else picture.convert("L" if mode in (
                "L", "LA", "I;16", "1") else "RGB")
            pixels.info = {}
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    except Refusal:
        raise
    except (OSError, ValueError, SyntaxError, pikepdf.PdfError, Image.DecompressionBombError,
            EOFError, IndexError, KeyError, ZeroDivisionError, zlib.error) as exc:
        raise Refusal(IMAGE_BROKEN, 400) from exc
    stream.write(out.getvalue(), filter=pikepdf.Name.DCTDecode)
    stream.Width, stream.Height, stream.BitsPerComponent = pixels.width, pixels.height, 8
    for key in ("/DecodeParms", "/SMaskInData"):
        if key in stream:
            del stream[key]
    if not keep_colours:
        stream.ColorSpace = pikepdf.Name.DeviceGray if pixels.mode == "L" else \
            pikepdf.Name.DeviceRGB
        if "/Decode" in stream:
            del stream.Decode


def _inverted(stream: pikepdf.Stream) -> bool:
    """An Adobe CMYK JPEG whose /Decode array inverts it (as Photoshop's PDFs do)."""
    decode = stream.get("/Decode")
    return isinstance(decode, pikepdf.Array) and len(decode) >= 2 and \
        float(decode[0]) == 1 and float(decode[1]) == 0
