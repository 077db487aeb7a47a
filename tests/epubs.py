"""Build test EPUBs in memory: one carrying planted identifying data in every place an
EPUB can hold it, plain ones of a given size, and zip-level attacks."""

from __future__ import annotations

import io
import zipfile

from PIL import Image

from tests.documents import BODY_TEXT, PLANT, planted
from tests.images import jpeg_with_metadata, photo

OPF_PATH = "OEBPS/content.opf"


def container(opf: str = OPF_PATH) -> bytes:
    return (f'<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
            f'opendocument:xmlns:container"><rootfiles><rootfile full-path="{opf}" '
            'media-type="application/oebps-package+xml"/></rootfiles></container>').encode()


def chapter(number: int, extra: str = "") -> bytes:
    return f'''<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Chapter {number}</title>
<meta name="author" content="{planted('meta author')}"/>
<meta name="generator" content="{planted('generator')}"/>
<link rel="stylesheet" href="style.css"/>
<link rel="stylesheet" href="https://{PLANT}.example/track.css"/>
<script>var who = "{planted('script')}";</script></head>
<body onload="send('{planted('onload')}')"><!-- {planted('comment')} -->
<h1>Chapter {number}</h1><p>{BODY_TEXT}&nbsp;&mdash; chapter {number}.</p>
<p><img src="images/cover.jpg" alt="cover"/>
<img src="https://{PLANT}.example/pixel.png" alt=""/></p>
<form action="https://{PLANT}.example/form"><input name="x" value="{planted('form')}"/></form>
<p><a href="https://example.org/">a plain link</a>
<a href="javascript:alert('{planted('js link')}')">x</a></p>
{extra}</body></html>'''.encode()


def package(chapters: int, extra_items: str = "", extra_meta: str = "") -> bytes:
    items = "".join(f'<item id="{PLANT}-ch{n}" href="ch{n}.xhtml" media-type='
                    '"application/xhtml+xml" properties="scripted"/>'
                    for n in range(1, chapters + 1))
    spine = "".join(f'<itemref idref="{PLANT}-ch{n}"/>' for n in range(1, chapters + 1))
    return f'''<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid"
 xmlns:opf="http://www.idpf.org/2007/opf">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:calibre="http://calibre.kovidgoyal.net/2009/metadata">
<dc:identifier id="bookid">urn:uuid:{PLANT}-0000-1111</dc:identifier>
<dc:title>The Book of Theory</dc:title><dc:language>en</dc:language>
<dc:creator opf:file-as="{planted('file-as')}">{planted('creator')}</dc:creator>
<dc:contributor>{planted('contributor')}</dc:contributor>
<dc:date>2024-05-01</dc:date><dc:publisher>{planted('publisher')}</dc:publisher>
<dc:rights>{planted('rights')}</dc:rights><dc:description>{planted('description')}</dc:description>
<meta property="dcterms:modified">2024-05-02T12:34:56Z</meta>
<meta name="calibre:user_metadata" content="{planted('calibre')}"/>
<meta name="cover" content="cover-img"/>{extra_meta}
</metadata>
<manifest>
<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
<item id="cover-img" href="images/cover.jpg" media-type="image/jpeg" properties="cover-image"/>
<item id="js" href="app.js" media-type="application/javascript"/>
<item id="remote" href="https://{PLANT}.example/remote.css" media-type="text/css"/>
{items}{extra_items}
</manifest>
<spine toc="ncx">{spine}</spine>
<guide><reference type="cover" title="{planted('guide')}" href="ch1.xhtml"/></guide>
</package>'''.encode()


def ncx(chapters: int) -> bytes:
    points = "".join(f'<navPoint id="{PLANT}-n{n}" playOrder="{n}"><navLabel><text>Chapter {n}'
                     f'</text></navLabel><content src="ch{n}.xhtml"/></navPoint>'
                     for n in range(1, chapters + 1))
    return f'''<?xml version="1.0" encoding="utf-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head>
<meta name="dtb:uid" content="urn:uuid:{PLANT}-0000-1111"/>
<meta name="dtb:generator" content="{planted('ncx generator')}"/>
</head><docTitle><text>The Book of Theory</text></docTitle>
<docAuthor><text>{planted('ncx author')}</text></docAuthor>
<navMap>{points}</navMap></ncx>'''.encode()


def zip_members(members: list[tuple[str, bytes]], comment: bytes = b"",
                date: tuple = (2024, 5, 1, 12, 34, 56)) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype", date), b"application/epub+zip")
        for name, data in members:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.comment = planted("member comment").encode()
            archive.writestr(info, data)
        archive.comment = comment
    return out.getvalue()


def hostile_epub(chapters: int = 3) -> bytes:
    """An EPUB with identifying data in its OPF, NCX, content, images, CSS and zip."""
    css = f"/* {planted('css comment')} */ @import url(https://{PLANT}.example/a.css);\n" \
          f"body {{ background: url(https://{PLANT}.example/bg.png); color: #222 }}\n"
    members = [("META-INF/container.xml", container()),
               (OPF_PATH, package(chapters)),
               ("OEBPS/toc.ncx", ncx(chapters)),
               ("OEBPS/style.css", css.encode()),
               ("OEBPS/images/cover.jpg", jpeg_with_metadata(photo(600, 800))),
               ("OEBPS/app.js", f"send('{planted('app script')}')".encode()),
               ("META-INF/calibre_bookmarks.txt", planted("bookmarks").encode())]
    members += [(f"OEBPS/ch{n}.xhtml", chapter(n)) for n in range(1, chapters + 1)]
    return zip_members(members, comment=planted("zip comment").encode())


def plain_epub(size: int) -> bytes:
    """An EPUB of about `size` bytes: text chapters and incompressible photos."""
    members, photos, total, n = [], [], 0, 0
    while total < size:
        n += 1
        picture = io.BytesIO()
        photo(900, 700, seed=n).save(picture, "JPEG", quality=92)
        members.append((f"OEBPS/images/p{n}.jpg", picture.getvalue()))
        photos.append(n)
        body = f"<p>{BODY_TEXT} {n}. </p>" * 400 + f'<img src="images/p{n}.jpg" alt=""/>'
        members.append((f"OEBPS/ch{n}.xhtml", chapter(n, body)))
        total += len(picture.getvalue()) + 6000
    extra = "".join(f'<item id="p{k}" href="images/p{k}.jpg" media-type="image/jpeg"/>'
                    for k in photos)
    cover = Image.new("RGB", (10, 10))
    del cover
    return zip_members([("META-INF/container.xml", container()), (OPF_PATH, package(n, extra)),
                        ("OEBPS/toc.ncx", ncx(n)), ("OEBPS/style.css", b"p { margin: 0 }"),
                        ("OEBPS/images/cover.jpg", jpeg_with_metadata(photo(600, 800))),
                        *members])
