"""The file store: hash names, atomic writes, deduplication, and containment of every path."""

import os
import subprocess
import sys

import pytest

from leftbook.media import FileLimits, FileStore, process_upload
from tests.images import SECRET, jpeg_with_metadata

LIMITS = FileLimits()


@pytest.fixture
def processed():
    return process_upload(jpeg_with_metadata(), LIMITS)


def test_store_writes_file_and_thumbnail_under_hash_names_once(tmp_path, processed):
    assert FileStore(tmp_path).store(processed) is True
    source = tmp_path / "src" / f"{processed.tim}.jpg"
    thumbnail = tmp_path / "thumb" / f"{processed.tim}{processed.thumb_ext}"
    assert source.read_bytes() == processed.data
    assert thumbnail.read_bytes() == processed.thumb
    first_write = (source.stat().st_ino, source.stat().st_mtime_ns)
    again = process_upload(jpeg_with_metadata(), LIMITS)
    assert FileStore(tmp_path).store(again) is False
    assert (source.stat().st_ino, source.stat().st_mtime_ns) == first_write
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == sorted(
        [source.name, thumbnail.name]
    )


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_store_leaves_no_file_at_all(tmp_path, processed, monkeypatch, failing):
    def disk_failure(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, disk_failure)
    with pytest.raises(OSError, match="disk full"):
        FileStore(tmp_path).store(processed)
    monkeypatch.undo()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []
    assert FileStore(tmp_path).store(processed) is True  # nothing half-done blocks a retry


CRASH_BEFORE_RENAME = """
import os, sys
from pathlib import Path
from leftbook.media import FileLimits, FileStore, process_upload
image = process_upload(Path(sys.argv[1]).read_bytes(), FileLimits())
print(image.tim, image.ext, flush=True)
os.replace = lambda *args: os.kill(os.getpid(), 9)
FileStore(Path(sys.argv[2])).store(image)
"""


def test_crash_before_rename_leaves_only_an_unservable_partial_file(tmp_path):
    upload = tmp_path / "upload.bin"
    upload.write_bytes(jpeg_with_metadata())
    files = tmp_path / "files"
    child = subprocess.run(
        [sys.executable, "-c", CRASH_BEFORE_RENAME, str(upload), str(files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -9, child.stderr
    tim, ext = child.stdout.split()
    partial = [path for path in files.rglob("*") if path.is_file()]
    assert len(partial) == 1 and partial[0].name.startswith(".")
    assert FileStore(files).find("src", tim + ext) is None
    assert FileStore(files).find("thumb", partial[0].name) is None
    store = FileStore(files)
    assert store.sweep_partial_files(older_than=60) == 0  # a write may still be under way
    assert store.sweep_partial_files(older_than=0) == 1
    assert [path for path in files.rglob("*") if path.is_file()] == []


def test_remove_unlinks_both_and_tolerates_missing_files(tmp_path, processed):
    FileStore(tmp_path).store(processed)
    FileStore(tmp_path).remove(processed.tim, processed.ext, processed.thumb_ext)
    assert FileStore(tmp_path).find("src", processed.tim + processed.ext) is None
    assert FileStore(tmp_path).find("thumb", processed.tim + processed.thumb_ext) is None
    FileStore(tmp_path).remove(processed.tim, processed.ext, processed.thumb_ext)
    with pytest.raises(ValueError):
        FileStore(tmp_path).remove("../" + processed.tim[3:], processed.ext, processed.thumb_ext)


def test_stored_path_finds_only_exact_hash_names(tmp_path, processed):
    FileStore(tmp_path).store(processed)
    name = processed.tim + processed.ext
    assert FileStore(tmp_path).find("src", name) == tmp_path / "src" / name
    (tmp_path / "secret.txt").write_text(SECRET)
    hostile = [
        ("src", "../secret.txt"),
        ("src", "..%2fsecret.txt"),
        ("src", "/etc/passwd"),
        ("src", name.upper()),
        ("src", name + "\n"),
        ("src", name[1:]),
        ("src", processed.tim + ".php"),
        ("src", processed.tim + ".jpg/../../secret.txt"),
        ("thumb", processed.tim + ".gif"),
        ("../src", name),
        ("", name),
        ("src", "0" * 64 + ".jpg"),  # well formed, absent
    ]
    for kind, requested in hostile:
        assert FileStore(tmp_path).find(kind, requested) is None, (kind, requested)
