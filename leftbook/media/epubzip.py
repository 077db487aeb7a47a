"""Reading an EPUB's zip safely, and writing the new one.

Read: the member count, each member's and the total expanded size and each member's
compression ratio are checked from the central directory before anything is inflated, and
a member is inflated at most to the size it declares (a lying header cannot make it
larger). Absolute, ``..``, backslash or duplicate names and encrypted members are refused.
Written: members in a fixed order with fixed dates, fixed attributes and no comments.
"""

from __future__ import annotations

import io
import posixpath
import zipfile

from leftbook.media.types import EpubLimits
from leftbook.refusal import Refusal

MAGIC = b"PK\x03\x04"
EPUB_TYPE = b"application/epub+zip"
MALFORMED = "This EPUB is damaged or is not an EPUB (a zip file with a book inside)."
BOMB = "This EPUB expands to more than the site allows (too many files or too large)."
ENCRYPTED = "This EPUB is encrypted (DRM); post a copy without protection."
RATIO_FROM = 64 * 1024  # members smaller than this expanded are not ratio-checked
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def is_epub(data: bytes) -> bool:
    """A zip whose first member is the `mimetype` file naming EPUB (as OCF requires)."""
    return data[:4] == MAGIC and EPUB_TYPE in data[:100]


class Members:
    """The members of an uploaded EPUB, checked; `read` inflates one, bounded."""

    def __init__(self, data: bytes, limits: EpubLimits) -> None:
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as exc:
            raise Refusal(MALFORMED, 400) from exc
        if len(infos) > limits.max_members:
            raise Refusal(BOMB, 413)
        self.infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            name = info.filename
            if not _safe_name(name) or name in self.infos:
                raise Refusal("This EPUB has a file with an unsafe or repeated name: "
                              f"{name[:80]!r}.", 400)
            if info.flag_bits & 0x1:
                raise Refusal(ENCRYPTED, 415)
            total += info.file_size
            if info.file_size > limits.max_member_bytes or total > limits.max_expanded or (
                    info.file_size > RATIO_FROM
                    and info.file_size > limits.max_ratio * max(1, info.compress_size)):
                raise Refusal(BOMB, 413)
            self.infos[name] = info

    def __contains__(self, name: str) -> bool:
        return name in self.infos

    def read(self, name: str) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise Refusal(f"This EPUB refers to a file it does not contain: {name[:80]!r}.", 400)
        try:
            with self.zip.open(info) as member:
                data = member.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError,
                RuntimeError) as exc:
            raise Refusal(MALFORMED, 400) from exc
        if len(data) != info.file_size:
            raise Refusal(BOMB, 413)
        return data


def _safe_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or not name.isprintable():
        return False
    if ":" in name.split("/")[0]:
        return False  # a drive letter or a scheme
    parts = name.rstrip("/").split("/")
    return ".." not in parts and "" not in parts and "." not in parts


def resolve(base: str, href: str) -> str | None:
    """The member an href in `base` (a member's folder) names, or None when it leaves the
    book (absolute, a scheme, above the root)."""
    if not href or href.startswith("/") or "\\" in href or ":" in href.split("/")[0]:
        return None
    path = posixpath.normpath(posixpath.join(base, href))
    return None if path.startswith("..") or path.startswith("/") else path


def write(members: list[tuple[str, bytes]]) -> bytes:
    """The new EPUB: `mimetype` first and stored, then `members` deflated, all dated alike."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data, method in [("mimetype", EPUB_TYPE, zipfile.ZIP_STORED),
                                   *((n, d, zipfile.ZIP_DEFLATED) for n, d in members)]:
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = method
            info.create_system = 0
            info.external_attr = 0
            archive.writestr(info, data)
    return output.getvalue()
