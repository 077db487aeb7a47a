"""The hostile corpus through the site: every document or media file that is encrypted,
truncated, a zip or decompression bomb, a recursive or huge object graph, a playlist posing
as a video, or absurd in size, length or rate is refused with a 4xx within bounded time,
nothing is stored, and the site goes on serving and posting."""

import io
import time
import zlib

import pikepdf
import pytest

from leftbook import create_app
from leftbook.database.models import File, Post
from leftbook.media import PoolLimits, WorkerPool
from tests.test_av import hostile_media
from tests.test_documents import broken_pdfs, hostile_epubs
from tests.test_media_workers import assert_still_serving

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Duplicate name")]
SECONDS = 45  # the pool's wall clock (40 s) plus the time to send and answer


def content_bomb(gigabytes: float = 1.5) -> bytes:
    """A one-page PDF whose content stream is 2.7 MB deflated and 1.5 GB inflated."""
    deflate = zlib.compressobj(9)
    chunk = b"0 0 m\n" * (1 << 20)
    raw = b"".join(deflate.compress(chunk) for _ in range(int(gigabytes * 1024 / 6)))
    pdf = pikepdf.new()
    pdf.add_blank_page()
    stream = pikepdf.Stream(pdf, b"")
    stream.write(raw + deflate.flush(), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Contents = stream
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def deep_pdf(depth: int = 100_000) -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids"
            b"[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]"
            b"/Resources<</X " + b"[" * depth + b"]" * depth + b">>>>endobj\n"
            b"trailer<</Root 1 0 R/Size 4>>\n%%EOF\n")


def encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(broken_pdfs()["cyclic graph"])) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="u"))
    return out.getvalue()


def test_the_hostile_corpus_is_refused_and_the_site_goes_on(settings, tmp_path, board_files):
    pool = WorkerPool(PoolLimits(workers=1))
    app = create_app({**settings, "MEDIA_WORKERS": pool, "LEFTBOOK_BOARDS_DIR": board_files})
    client = app.test_client()
    corpus = {f"pdf: {name}": data for name, data in broken_pdfs().items()
              if name != "cyclic graph"}
    corpus |= {"pdf: encrypted": encrypted_pdf(), "pdf: decompression bomb": content_bomb(),
               "pdf: deeply nested": deep_pdf()}
    corpus |= {f"epub: {name}": data for name, (data, _status) in hostile_epubs().items()}
    corpus |= {f"media: {name}": data
               for name, (data, _status) in hostile_media(tmp_path).items()}
    token = client.get("/soc/").get_data(as_text=True).split(
        'name="csrf_token" value="', 1)[1].split('"', 1)[0]
    try:
        for name, data in corpus.items():
            started = time.monotonic()
            response = client.post("/soc/post", data={
                "csrf_token": token, "body": name, "file": (io.BytesIO(data), "upload")},
                headers={"Accept": "application/json"}, content_type="multipart/form-data")
            assert 400 <= response.status_code < 500, (name, response.get_json())
            assert time.monotonic() - started < SECONDS, name
        with app.app_context():
            assert Post.select().count() == 0 and File.select().count() == 0
        assert_still_serving(app, client)
    finally:
        pool.close()


@pytest.fixture
def board_files(tmp_path) -> str:
    """The shipped boards, with /soc/ taking every kind (and audio of 30 s at most)."""
    import shutil
    from pathlib import Path

    boards = tmp_path / "boards"
    shutil.copytree(Path(__file__).resolve().parent.parent / "boards", boards)
    soc = boards / "20-soc.toml"
    soc.write_text(soc.read_text().replace(
        'kinds = ["image", "video", "audio"]', 'kinds = ["image", "pdf", "epub", "video", "audio"]'
    ).replace('max_audio_duration = "2h"', 'max_audio_duration = "30s"'))
    return str(boards)
