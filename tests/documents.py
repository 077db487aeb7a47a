"""Build test documents in memory (PDF here, EPUB in ``epubs``), each carrying planted
identifying strings in every place the issue lists, and scan results for them."""

from __future__ import annotations

import io
import re
import zlib

import pikepdf
from PIL import Image

from tests.images import jpeg_with_metadata, photo

# every planted string starts with this word, so one scan finds them all
PLANT = "Plantedsecret"
BODY_TEXT = "Workers of the world unite"
OLD_AUTHOR = f"{PLANT} Old Author"


def planted(place: str) -> str:
    return f"{PLANT} {place}"


WORDS = (PLANT, "Leica", "SN-8841", "Jane Doe")  # planted here and by tests.images


def leaks(data: bytes, words: tuple[str, ...] = WORDS) -> list[str]:
    """Every planted word found in `data`: raw, UTF-16 (both orders), PDF hex strings,
    and inside every zlib stream (a PDF's or a zip's deflated data)."""
    found = []
    layers = [data, *_inflated(data)]
    for word in words:
        forms = [word.encode(), word.encode("utf-16-le"), word.encode("utf-16-be")]
        forms += [f.hex().encode() for f in forms[::2]]
        forms += [f.upper() for f in forms[3:]]
        if any(form in layer for layer in layers for form in forms):
            found.append(word)
    return found


def _inflated(data: bytes) -> list[bytes]:
    """The output of every zlib or raw-deflate stream that decodes from some offset."""
    out = []
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            out.append(zlib.decompressobj().decompress(data[match.end():], 50_000_000))
        except zlib.error:
            continue
    return out


def _content(text: str) -> bytes:
    return (f"BT /F1 24 Tf 72 700 Td ({text}) Tj ET\n"
            "q 200 0 0 150 72 400 cm /Im1 Do Q q /Fx1 Do Q\n").encode()


def _font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))


def _xmp(place: str) -> bytes:
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{planted(place)}">'
        f'<dc:creator><rdf:Seq><rdf:li>{planted(place + " creator")}</rdf:li></rdf:Seq>'
        '</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _page(pdf: pikepdf.Pdf, number: int) -> pikepdf.Dictionary:
    font = _font(pdf)
    jpeg = jpeg_with_metadata(photo(320, 240, seed=number))
    size = Image.open(io.BytesIO(jpeg)).size
    image = pikepdf.Stream(pdf, jpeg, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                           Width=size[0], Height=size[1], ColorSpace=pikepdf.Name.DeviceRGB,
                           BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode,
                           Metadata=pdf.make_stream(_xmp("image XMP")))
    form = pikepdf.Stream(pdf, b"0 0 1 rg 10 10 50 50 re f", Type=pikepdf.Name.XObject,
                          Subtype=pikepdf.Name.Form, BBox=[0, 0, 100, 100],
                          PieceInfo=pikepdf.Dictionary(App=pikepdf.Dictionary(
                              Private=pikepdf.String(planted("form PieceInfo")))),
                          Metadata=pdf.make_stream(_xmp("form XMP")))
    form["/PTEX.FileName"] = pikepdf.String(f"/home/{PLANT}/figure.pdf")
    resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font),
                                   XObject=pikepdf.Dictionary(Im1=image, Fx1=form))
    note = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=[100, 100, 120, 120],
        T=pikepdf.String(planted("annotation author")),
        Contents=pikepdf.String(planted("annotation text")), M=pikepdf.String("D:20240501"))
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                JS=pikepdf.String(f"app.alert('{planted('link script')}')"))
    links = [
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                           Rect=[72, 650, 300, 670], A=pikepdf.Dictionary(
                               S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/"))),
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                           Rect=[72, 600, 300, 620], A=script),
        pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                           Rect=[72, 550, 300, 570], A=pikepdf.Dictionary(
                               S=pikepdf.Name.Launch,
                               F=pikepdf.String(f"/home/{PLANT}/run.sh"))),
    ]
    widget = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx,
        T=pikepdf.String("name"), V=pikepdf.String(planted("form field value")),
        Rect=[72, 500, 300, 520]))
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
        Contents=pdf.make_stream(_content(f"{BODY_TEXT} page {number}")),
        Annots=pikepdf.Array([pdf.make_indirect(note), *map(pdf.make_indirect, links), widget]),
        Metadata=pdf.make_stream(_xmp("page XMP")),
        PieceInfo=pikepdf.Dictionary(Editor=pikepdf.Dictionary(
            Private=pikepdf.String(planted("page PieceInfo")))),
        Thumb=pdf.make_stream(planted("page thumbnail").encode()),
        AA=pikepdf.Dictionary(O=script),
    )
    return page, widget


def hostile_pdf(pages: int = 2) -> bytes:
    """A PDF with identifying data everywhere a PDF can hold it, and an incremental update
    whose older revision still holds an author name."""
    pdf = pikepdf.new()
    widgets = []
    for number in range(1, pages + 1):
        page, widget = _page(pdf, number)
        pdf.pages.append(pikepdf.Page(page))
        widgets.append(widget)
    info = {"/Author": OLD_AUTHOR, "/Creator": planted("creator tool"),
            "/Producer": planted("producer"), "/Title": planted("title"),
            "/Subject": planted("subject"), "/Keywords": planted("keywords"),
            "/CreationDate": "D:20240501123456+02'00'", "/ModDate": "D:20240502123456+02'00'"}
    pdf.trailer.Info = pdf.make_indirect(pikepdf.Dictionary(info))
    pdf.Root.Metadata = pdf.make_stream(_xmp("document XMP"))
    pdf.Root.PieceInfo = pikepdf.Dictionary(App=pikepdf.Dictionary(
        Private=pikepdf.String(planted("document PieceInfo"))))
    attachment = pikepdf.AttachedFileSpec(pdf, planted("attachment body").encode() * 10,
                                          filename=f"{PLANT}-notes.txt")
    pdf.attachments[f"{PLANT}-notes.txt"] = attachment
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript,
                                JS=pikepdf.String(f"app.alert('{planted('open script')}')"))
    pdf.Root.OpenAction = script
    pdf.Root.Names.JavaScript = pikepdf.Dictionary(Names=pikepdf.Array(
        [pikepdf.String("start"), pdf.make_indirect(script)]))
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(widgets))
    pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(
        Title=pikepdf.String(planted("outline"))))
    pdf.trailer.ID = pikepdf.Array([pikepdf.String(planted("doc ID").encode()),
                                    pikepdf.String(planted("doc ID 2").encode())])
    base = io.BytesIO()
    pdf.save(base, static_id=False, fix_metadata_version=False)
    return incremental_update(base.getvalue(), "/Author", planted("new author"))


def incremental_update(data: bytes, key: str, value: str) -> bytes:
    """Append a revision that gives the document a new Info dictionary (as exiftool does):
    the old one stays in the file, only hidden."""
    start = int(data.rsplit(b"startxref", 1)[1].split()[0])
    with pikepdf.open(io.BytesIO(data)) as pdf:
        size = int(pdf.trailer.Size)
        root = pdf.Root.objgen
    number = size
    obj = f"{number} 0 obj\n<< {key} ({value}) >>\nendobj\n".encode()
    offset = len(data)
    xref_at = offset + len(obj)
    xref = f"xref\n{number} 1\n{offset:010d} 00000 n \n".encode()
    trailer = (f"trailer\n<< /Size {size + 1} /Root {root[0]} {root[1]} R /Info {number} 0 R "
               f"/Prev {start} >>\nstartxref\n{xref_at}\n%%EOF\n").encode()
    return data + obj + xref + trailer


def simple_pdf(pages: int = 1, text: str = BODY_TEXT, images: bool = False) -> bytes:
    """A plain PDF of `pages` text pages (with a photo on each when `images`)."""
    pdf = pikepdf.new()
    font = _font(pdf)
    image = None
    if images:
        jpeg = io.BytesIO()
        photo(800, 600).save(jpeg, "JPEG", quality=80)
        image = pikepdf.Stream(pdf, jpeg.getvalue(), Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Image, Width=800, Height=600,
                               ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                               Filter=pikepdf.Name.DCTDecode)
    for number in range(1, pages + 1):
        lines = "".join(f"BT /F1 11 Tf 72 {760 - 14 * row} Td ({text} {number}.{row}) Tj ET\n"
                        for row in range(40))
        drawing = "q 300 0 0 225 150 80 cm /Im1 Do Q\n" if image is not None else ""
        resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        if image is not None:
            resources.XObject = pikepdf.Dictionary(Im1=image)
        pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
            Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
            Contents=pdf.make_stream((lines + drawing).encode()))))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()
