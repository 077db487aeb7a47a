"""PDF and EPUB uploads are rebuilt from their content: every planted identifying string is
gone from the stored file and its thumbnail (parsed, and scanned raw, in UTF-16 and inside
every compressed stream), the text stays text, and hostile documents are refused with a 4xx."""

from __future__ import annotations

import io
import zipfile

import pikepdf
import pypdfium2
import pytest
from PIL import Image

from leftbook.media.epub import clean_epub
from leftbook.media.pdf import clean_pdf
from leftbook.media.types import EpubLimits, PdfLimits
from leftbook.refusal import Refusal
from tests.documents import (
    BODY_TEXT,
    OLD_AUTHOR,
    PLANT,
    hostile_pdf,
    incremental_update,
    leaks,
    planted,
    simple_pdf,
)
from tests.epubs import OPF_PATH, chapter, container, hostile_epub, ncx, package, zip_members

PDF_LIMITS, EPUB_LIMITS = PdfLimits(), EpubLimits()
pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name")  # zips built to be hostile
ALLOWED_PAGE_KEYS = {"/Type", "/Parent", "/Resources", "/MediaBox", "/Contents", "/Annots"}
ACTIVE = (b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"/EmbeddedFile",
          b"/AcroForm", b"/Metadata", b"/PieceInfo", b"/Thumb", b"/PTEX")


def refusal(clean, data: bytes, limits) -> Refusal:
    with pytest.raises(Refusal) as refused:
        clean(data, limits)
    assert 400 <= refused.value.status < 500
    return refused.value


def pdf_objects(data: bytes) -> list:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [(obj.objgen, dict(obj.items()) if isinstance(obj, pikepdf.Dictionary) else
                 dict(obj.stream_dict.items()) if isinstance(obj, pikepdf.Stream) else None)
                for obj in pdf.objects]


def test_the_hostile_pdf_really_carries_everything():
    data = hostile_pdf()
    assert leaks(data) and OLD_AUTHOR.encode() in data, "the old revision is in the file"
    assert data.count(b"startxref") == 2, "an incremental update"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Author"]) == planted("new author")
        assert pdf.attachments and "/JavaScript" in pdf.Root.Names


def test_a_pdf_keeps_its_pages_and_text_and_nothing_identifying():
    result = clean_pdf(hostile_pdf(pages=3), PDF_LIMITS)
    assert leaks(result.data) == [] and leaks(result.thumb) == []
    assert result.kind == "pdf" and result.ext == ".pdf" and result.pages == 3
    assert (result.w, result.h) == (612, 792) and result.phash
    assert result.data.count(b"startxref") == 1 and result.data.count(b"%%EOF") == 1
    for marker in ACTIVE:
        assert marker not in result.data, marker
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        assert "/Info" not in pdf.trailer and set(pdf.Root.keys()) == {"/Type", "/Pages"}
        assert bytes(pdf.trailer.ID[0]) != planted("doc ID").encode()
        assert not pdf.attachments
        for page in pdf.pages:
            assert set(page.obj.keys()) <= ALLOWED_PAGE_KEYS
            links = list(page.obj.get("/Annots", []))
            assert [str(link.A.URI) for link in links] == ["https://example.org/"]
            image = page.Resources.XObject.Im1
            jpeg = image.read_raw_bytes()
            assert b"Exif" not in jpeg and b"http://ns.adobe.com" not in jpeg
            picture = Image.open(io.BytesIO(jpeg))
            assert not picture.getexif() and picture.size == (320, 240)
    document = pypdfium2.PdfDocument(result.data)
    for number in range(3):
        text = document[number].get_textpage().get_text_range()
        assert f"{BODY_TEXT} page {number + 1}" in text
    Image.open(io.BytesIO(result.thumb)).verify()


def test_the_same_pdf_is_stored_as_the_same_bytes():
    data = simple_pdf(2, images=True)
    assert clean_pdf(data, PDF_LIMITS).tim == clean_pdf(data, PDF_LIMITS).tim


@pytest.mark.parametrize("user", ["", "secret"])
def test_an_encrypted_pdf_is_refused(user):
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(simple_pdf())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user=user))
    refused = refusal(clean_pdf, out.getvalue(), PDF_LIMITS)
    assert refused.status == 415 and "encrypted" in refused.message


def broken_pdfs() -> dict[str, bytes]:
    data = simple_pdf(3)
    huge_image = pikepdf.new()
    stream = pikepdf.Stream(huge_image, b"\xff\xd8\xff\xd9", Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Image, Width=100_000, Height=100_000,
                            BitsPerComponent=8, ColorSpace=pikepdf.Name.DeviceRGB,
                            Filter=pikepdf.Name.DCTDecode)
    huge_image.add_blank_page()
    huge_image.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im=stream))
    out = io.BytesIO()
    huge_image.save(out)
    loop = pikepdf.new()
    loop.add_blank_page()
    cycle = loop.make_indirect(pikepdf.Dictionary())
    cycle.Next = pikepdf.Array([cycle] * 50)
    loop.pages[0].Resources = pikepdf.Dictionary(Cycle=cycle)
    looped = io.BytesIO()
    loop.save(looped)
    return {
        "truncated": data[:300],  # a PDF cut short but with pages left is rebuilt from them
        "garbage": b"%PDF-1.7\n" + bytes(range(256)) * 40,
        "huge object count": data.replace(b"/Size ", b"/Size 99999999", 1).replace(
            b"/Size 99999999", b"/Size 99999999 ", 1),
        "absurd image": out.getvalue(),
        "cyclic graph": looped.getvalue(),
    }


@pytest.mark.parametrize("name", ["truncated", "garbage", "huge object count", "absurd image"])
def test_broken_or_absurd_pdfs_are_refused(name):
    refusal(clean_pdf, broken_pdfs()[name], PDF_LIMITS)


def test_a_cyclic_object_graph_is_walked_once():
    assert clean_pdf(broken_pdfs()["cyclic graph"], PDF_LIMITS).pages == 1


def test_page_and_object_caps():
    assert "pages" in refusal(clean_pdf, simple_pdf(5), PdfLimits(max_pages=4)).message
    assert refusal(clean_pdf, simple_pdf(5), PdfLimits(max_objects=5)).status == 413


def test_an_incremental_update_alone_is_history_too():
    data = incremental_update(simple_pdf(), "/Author", planted("update only"))
    assert PLANT.encode() in data
    assert leaks(clean_pdf(data, PDF_LIMITS).data) == []


# --- EPUB -------------------------------------------------------------------------------

def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return {info.filename: book.read(info) for info in book.infolist()}


def test_an_epub_keeps_title_language_and_content_only():
    data = hostile_epub()
    assert any(leaks(body) for body in members(data).values())
    result = clean_epub(data, EPUB_LIMITS)
    assert result.kind == "epub" and result.pages == 3 and result.phash, "cover thumbnail"
    assert leaks(result.data) == [] and leaks(result.thumb) == []
    book = members(result.data)
    for name, body in book.items():
        assert leaks(body) == [], name
    assert next(iter(book)) == "mimetype" and book["mimetype"] == b"application/epub+zip"
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        assert archive.comment == b""
        assert archive.infolist()[0].compress_type == zipfile.ZIP_STORED
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0) and not info.comment
            assert not info.extra
    assert set(book) == {"mimetype", "META-INF/container.xml", "OEBPS/content.opf",
                         "OEBPS/toc.ncx", "OEBPS/style.css", "OEBPS/images/cover.jpg",
                         "OEBPS/ch1.xhtml", "OEBPS/ch2.xhtml", "OEBPS/ch3.xhtml"}
    opf = book["OEBPS/content.opf"].decode()
    identifier = opf.split('<dc:identifier id="uid">')[1].split("<")[0]
    assert identifier.startswith("urn:uuid:") and PLANT not in identifier
    assert f'content="{identifier}"' in book["OEBPS/toc.ncx"].decode(), "NCX uid matches"
    assert "<dc:title>The Book of Theory</dc:title>" in opf and "<dc:language>en<" in opf
    assert "2000-01-01T00:00:00Z" in opf and "creator" not in opf and "guide" not in opf
    for number in (1, 2, 3):
        page = book[f"OEBPS/ch{number}.xhtml"].decode()
        assert BODY_TEXT in page and "<script" not in page and "onload" not in page
        assert "<form" not in page and "javascript:" not in page and "<!--" not in page
        assert 'href="https://example.org/"' in page, "plain links stay"
        assert PLANT.lower() not in page.lower()
    assert "url(" not in book["OEBPS/style.css"].decode()
    cover = Image.open(io.BytesIO(book["OEBPS/images/cover.jpg"]))
    assert not cover.getexif() and cover.size == (600, 800)


def epub_with(*extra: tuple[str, bytes], opf: bytes | None = None, spine: int = 1) -> bytes:
    return zip_members([("META-INF/container.xml", container()),
                        (OPF_PATH, opf or package(spine)), ("OEBPS/toc.ncx", ncx(spine)),
                        *((f"OEBPS/ch{n}.xhtml", chapter(n)) for n in range(1, spine + 1)),
                        *extra])


def raw_zip(entries: list[tuple[str, bytes]], flag_bits: int = 0) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip")
        for name, body in entries:
            archive.writestr(name, body)
    data = bytearray(out.getvalue())
    if flag_bits:  # mark every member after the mimetype as encrypted
        for signature in (b"PK\x03\x04", b"PK\x01\x02"):
            at = data.find(signature, 1 if signature == b"PK\x03\x04" else 0)
            while at != -1:
                offset = 6 if signature == b"PK\x03\x04" else 8
                if data[at + (30 if signature == b"PK\x03\x04" else 46):][:8] != b"mimetype":
                    data[at + offset] |= flag_bits
                at = data.find(signature, at + 4)
    return bytes(data)


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
          b'<package xmlns="http://www.idpf.org/2007/opf">&lol2;</package>')
AES = (b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
       b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod'
       b' Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/><enc:CipherData>'
       b'<enc:CipherReference URI="OEBPS/ch1.xhtml"/></enc:CipherData></enc:EncryptedData>'
       b"</encryption>")


def hostile_epubs() -> dict[str, tuple[bytes, int]]:
    many = [(f"OEBPS/x{n}.txt", b"x") for n in range(EPUB_LIMITS.max_members + 1)]
    return {
        "zip bomb (ratio)": (epub_with(("OEBPS/zeros.xhtml", b"\0" * (20 << 20))), 413),
        "too many members": (epub_with(*many), 413),
        "too large expanded": (epub_with(*((f"OEBPS/r{n}.bin", bytes(range(256)) * 65536)
                                           for n in range(9))), 413),
        "parent path": (epub_with(("OEBPS/../../etc/passwd", b"x")), 400),
        "absolute path": (epub_with(("/etc/passwd", b"x")), 400),
        "backslash path": (epub_with(("OEBPS\\..\\evil", b"x")), 400),
        "duplicate names": (epub_with(("OEBPS/ch1.xhtml", b"<x/>")), 400),
        "encrypted members": (raw_zip([("META-INF/container.xml", container())], 0x1), 415),
        "DRM encryption.xml": (epub_with(("META-INF/encryption.xml", AES)), 415),
        "entity expansion": (epub_with(opf=LAUGHS), 400),
        "no package document": (raw_zip([("META-INF/container.xml", container("none.opf"))]),
                                400),
        "truncated": (hostile_epub()[:5000], 400),
        "nothing to read": (epub_with(opf=package(0)), 400),
    }


HOSTILE_EPUBS = ("zip bomb (ratio)", "too many members", "too large expanded", "parent path",
                 "absolute path", "backslash path", "duplicate names", "encrypted members",
                 "DRM encryption.xml", "entity expansion", "no package document", "truncated",
                 "nothing to read")


def test_the_hostile_epub_list_is_complete():
    assert set(hostile_epubs()) == set(HOSTILE_EPUBS)


@pytest.mark.parametrize("name", HOSTILE_EPUBS)
def test_hostile_epubs_are_refused(name):
    data, status = hostile_epubs()[name]
    assert refusal(clean_epub, data, EPUB_LIMITS).status == status


def test_a_member_that_inflates_past_its_declared_size_is_refused():
    opf = package(1, '<item id="big" href="big.css" media-type="text/css"/>')
    data = bytearray(epub_with(("OEBPS/big.css", b"a" * 50_000), opf=opf))
    central = data.rfind(b"OEBPS/big.css") - 46  # its central directory entry
    data[central + 24:central + 28] = (100).to_bytes(4, "little")  # says 100 bytes expanded
    assert refusal(clean_epub, bytes(data), EPUB_LIMITS).status in (400, 413)
