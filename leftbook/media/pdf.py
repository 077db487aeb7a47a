"""The PDF cleaner: a new document built from the pages alone, and a thumbnail of page 1.

pikepdf (qpdf) opens the upload and copies each page into a new, empty document: the
catalog stays behind, and with it the document information dictionary, XMP metadata,
outlines, name trees (JavaScript, attachments, destinations), the open action, forms and
structure. ``pdfscrub`` then cleans what the pages refer to. Saving writes the whole file
anew (no incremental-update history) with a document ID computed from the new content.
pypdfium2 renders page 1 of the cleaned file for the thumbnail; text stays text.
"""

from __future__ import annotations

import io

import pikepdf
import pypdfium2

from leftbook.media.pdfscrub import TOO_MANY_OBJECTS, Scrubber, inherit, page_dict
from leftbook.media.result import cleaned
from leftbook.media.types import CleanedFile, PdfLimits
from leftbook.refusal import Refusal

MAGIC = b"%PDF-"
MALFORMED = "This PDF is damaged or malformed and cannot be read."
ENCRYPTED = ("This PDF is encrypted or password-protected; save an unprotected copy "
             "and post that.")
# what qpdf says when an object could not be read (a file cut short): what is left would be
# stored as a document with pages missing; a file with only its index damaged is mended
LOST = ("unexpected EOF", "parse error while reading object", "object has offset 0")
RENDER_SCALE_CAP = 4.0  # points to pixels, for a tiny page


def is_pdf(data: bytes) -> bool:
    """A PDF header in the first KiB (where readers look for it)."""
    return MAGIC in data[:1024]


def clean_pdf(data: bytes, limits: PdfLimits) -> CleanedFile:
    """Rebuild the document from its pages and thumbnail it; refuses (4xx) what it cannot."""
    if len(data) > limits.max_bytes:
        raise Refusal("The PDF is too large.", 413)
    try:
        cleaned_pdf, pages, size = _rebuild(data, limits)
        picture = _first_page(cleaned_pdf, limits.thumb_size)
    except pikepdf.PasswordError as exc:
        raise Refusal(ENCRYPTED, 415) from exc
    except (pikepdf.PdfError, pypdfium2.PdfiumError, ValueError, TypeError,
            RecursionError) as exc:
        raise Refusal(MALFORMED, 400) from exc
    return cleaned("pdf", ".pdf", cleaned_pdf, picture, "PDF", limits.thumb_size, size,
                   pages=pages)


def _rebuild(data: bytes, limits: PdfLimits) -> tuple[bytes, int, tuple[int, int]]:
    with pikepdf.open(io.BytesIO(data), inherit_page_attributes=False) as source:
        if source.is_encrypted:
            raise Refusal(ENCRYPTED, 415)
        declared = source.trailer.get("/Size", 0)
        if not isinstance(declared, int) or declared > limits.max_objects:
            raise Refusal(TOO_MANY_OBJECTS, 413)
        count = len(source.pages)
        if count < 1:
            raise Refusal("This PDF has no pages.", 400)
        if count > limits.max_pages:
            raise Refusal(f"The PDF has more than {limits.max_pages} pages.", 413)
        if any(sign in warning for warning in source.get_warnings() for sign in LOST):
            raise Refusal(MALFORMED, 400)  # qpdf mended a file that has lost objects
        target = pikepdf.new()
        for page in source.pages:
            inherit(page.obj)
            page_dict(page.obj)
            target.pages.append(page)
        scrubber = Scrubber(limits)
        for page in target.pages:
            scrubber.page(page.obj)
        box = target.pages[0].mediabox
        size = (round(abs(float(box[2]) - float(box[0]))),
                round(abs(float(box[3]) - float(box[1]))))
        output = io.BytesIO()
        target.save(output, deterministic_id=True, compress_streams=True,
                    object_stream_mode=pikepdf.ObjectStreamMode.generate,
                    fix_metadata_version=False, min_version=source.pdf_version)
    return output.getvalue(), count, size


def _first_page(data: bytes, box: int):
    """Page 1 of the cleaned document as a picture about twice the thumbnail's size."""
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        width, height = page.get_size()
        scale = min(RENDER_SCALE_CAP, 2 * box / max(width, height, 1))
        bitmap = page.render(scale=scale, may_draw_forms=False)
        picture = bitmap.to_pil().convert("RGB")
        bitmap.close()
        page.close()
        return picture
    finally:
        document.close()
