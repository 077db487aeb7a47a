"""Fill a fresh Leftbook data dir with N stored posts, fast, for bench/pages.py.

The site keeps at most `pages * threads_per_page` threads per board, so a million posts
only fit in live threads of a big site: the bench boards are the shipped ones with
100 pages of 10 threads (1 000 threads per board) and 1 000 replies at most. Threads
hold 1-439 posts (220 on average, bump limit 300), spread over the five boards; the
first thread of /theory/ has exactly 300 replies. A quarter of the replies quote an
earlier post of their thread (so backlinks exist); no files.

    .venv/bin/python bench/fill.py --posts 1000000 --data-dir /tmp/leftbook-bench-1m
"""

import argparse
import json
import random
import secrets
import shutil
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

from leftbook import boards
from leftbook.database import database, fulltext, open_database
from leftbook.database.models import Backlink, BoardState, Post, Thread
from leftbook.database.schema import upgrade
from leftbook.posting import markup

SHIPPED_BOARDS = Path(__file__).resolve().parent.parent / "boards"
BENCH_LIMITS = {"pages": 100, "threads_per_page": 10, "bump_limit": 300,
                "max_replies": 1000, "thread_ttl": "365d"}
MEAN_THREAD_POSTS = 220
BIG_THREAD_REPLIES = 300
ROWS_PER_INSERT = 1000
ROWS_PER_TRANSACTION = 5000
QUOTE_SHARE = 0.25
SAGE_SHARE = 0.05
SPAN_SECONDS = 30 * 86400
WORDS = (
    "the", "workers", "union", "strike", "wage", "rent", "housing", "theory", "capital",
    "labour", "value", "history", "class", "struggle", "reading", "group", "pamphlet",
    "library", "council", "commons", "cooperative", "solidarity", "mutual", "aid", "bread",
    "roses", "dialectics", "material", "conditions", "surplus", "profit", "ecology", "climate",
    "transit", "public", "health", "care", "organising", "meeting", "zine", "archive",
    "source", "chapter", "volume", "critique", "analysis", "argument", "evidence", "data",
    "question", "answer")

POST_FIELDS = [Post.id, Post.board, Post.no, Post.thread, Post.thread_no, Post.time,
               Post.name, Post.poster_id, Post.subject, Post.body, Post.html, Post.sage,
               Post.spoiler]
THREAD_FIELDS = [Thread.id, Thread.board, Thread.no, Thread.salt, Thread.created,
                 Thread.bumped, Thread.last_modified, Thread.replies, Thread.images,
                 Thread.sticky, Thread.locked]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    raise ValueError(f"bench/fill.py cannot write {value!r} as TOML")


def write_bench_boards(target: Path) -> dict[str, boards.Board]:
    """The shipped board files with BENCH_LIMITS, written to `target` and loaded back."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(SHIPPED_BOARDS.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data.setdefault("limits", {}).update(BENCH_LIMITS)
        lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
        for table, values in data.items():
            if isinstance(values, dict):
                lines += ["", f"[{table}]", *(f"{k} = {toml_value(v)}" for k, v in values.items())]
        (target / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return boards.load_boards(target)


def plan_threads(total: int, slugs: list[str], rng: random.Random) -> list[tuple[str, int]]:
    """(board, number of posts) per thread; the first is /theory/'s 300-reply thread."""
    sizes = [BIG_THREAD_REPLIES + 1]
    remaining = total - sizes[0]
    while remaining > 0:
        sizes.append(min(remaining, rng.randint(1, 2 * MEAN_THREAD_POSTS - 1)))
        remaining -= sizes[-1]
    return [(slugs[i % len(slugs)], size) for i, size in enumerate(sizes)]


def text_pool(rng: random.Random, count: int = 400) -> list[tuple[str, str]]:
    """Bodies of 1-6 lines (some greentext), with their rendered HTML."""
    pool = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(1, 6)):
            line = " ".join(rng.choices(WORDS, k=rng.randint(3, 25)))
            lines.append(f">{line}" if rng.random() < 0.15 else line.capitalize() + ".")
        body = "\n".join(lines)
        pool.append((body, markup.render(body, "theory", lambda b, n: None, bool).html))
    return pool


class Filler:
    """Builds rows board by board (post numbers follow time) and inserts them in batches."""

    def __init__(self, boards: dict[str, boards.Board], rng: random.Random) -> None:
        self.boards = boards
        self.rng = rng
        self.pool = text_pool(rng)
        self.next_post_id = 1
        self.next_thread_id = 1
        self.now = int(time.time())

    def board_rows(self, slug: str, sizes: list[int]) -> tuple[list, list, list]:
        board, rng, now = self.boards[slug], self.rng, self.now
        events = []
        for index, size in enumerate(sizes):
            created = now - rng.randint(3600, SPAN_SECONDS)
            events.append((created, 0, index))
            events += [(rng.randint(created, now), 1, index) for _ in range(size - 1)]
        events.sort()
        thread_ids = list(range(self.next_thread_id, self.next_thread_id + len(sizes)))
        self.next_thread_id += len(sizes)
        earlier: list[list[int]] = [[] for _ in sizes]  # post numbers so far, per thread
        stats = [[0, 0, 0, 0, 0] for _ in sizes]  # thread no, replies, bumped, last, created
        posters = [[secrets.token_urlsafe(6) for _ in range(1 + s // 4)] for s in sizes]
        posts, links, post_ids = [], [], {}
        for no, (when, is_reply, index) in enumerate(events, start=1):
            post_id = self.next_post_id
            self.next_post_id += 1
            post_ids[no] = post_id
            body, html = rng.choice(self.pool)
            if not is_reply:
                stats[index] = [no, 0, when, when, when]
            thread_no = stats[index][0]
            sage = is_reply and rng.random() < SAGE_SHARE
            if is_reply and earlier[index] and rng.random() < QUOTE_SHARE:
                target = rng.choice(earlier[index])
                body = f">>{target}\n{body}"
                html = markup.render(body, slug, lambda b, n, t=thread_no: t, bool).html
                links.append((post_id, post_ids[target]))
            if is_reply:
                stats[index][1] += 1
                if not sage and stats[index][1] <= board.bump_limit:
                    stats[index][2] = when
                stats[index][3] = when
            earlier[index].append(no)
            posts.append((
                post_id, slug, no, thread_ids[index], thread_no, when, board.default_name,
                rng.choice(posters[index]) if board.ids else None,
                None if is_reply or rng.random() < 0.5 else " ".join(rng.choices(WORDS, k=4)),
                body, html, sage, False,
            ))
        threads = [
            (thread_ids[i], slug, no, secrets.token_bytes(32), created, bumped, last, replies,
             0, False, False)
            for i, (no, replies, bumped, last, created) in enumerate(stats)
        ]
        return threads, posts, links


def batches(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def insert(model, fields: list, rows: list) -> None:
    for transaction in batches(rows, ROWS_PER_TRANSACTION):
        with database.atomic():
            for chunk in batches(transaction, ROWS_PER_INSERT):
                model.insert_many(chunk, fields=fields).execute()


def fill(total: int, data_dir: Path, seed: int = 1, database_url: str | None = None) -> dict:
    """Create `data_dir` with a database of `total` posts and the bench board files; the
    database is a SQLite file in it, or the empty PostgreSQL database `database_url`."""
    rng = random.Random(seed)
    boards = write_bench_boards(data_dir / "boards")
    slugs = list(boards)
    if "theory" in slugs:
        slugs.insert(0, slugs.pop(slugs.index("theory")))
    plan = plan_threads(total, slugs, rng)
    for slug in slugs:
        threads = sum(1 for s, _ in plan if s == slug)
        if threads > boards[slug].capacity:
            raise SystemExit(f"{total} posts need {threads} threads on /{slug}/, "
                             f"more than its {boards[slug].capacity}")
    database.initialize(open_database(database_url or f"sqlite:///{data_dir / 'leftbook.db'}"))
    database.connect()
    if database_url is None:
        database.execute_sql("PRAGMA synchronous=OFF")
    upgrade()
    for trigger in fulltext.SQLITE_TRIGGERS:  # the search index is built once, at the end
        database.execute_sql(f"DROP TRIGGER {trigger}")
    filler = Filler(boards, rng)
    summary: dict = {"posts": total, "boards_dir": str(data_dir / "boards"), "threads": {}}
    for slug in slugs:
        threads, posts, links = filler.board_rows(slug, [n for s, n in plan if s == slug])
        insert(Thread, THREAD_FIELDS, threads)
        insert(Post, POST_FIELDS, posts)
        insert(Backlink, [Backlink.source, Backlink.target], links)
        BoardState.insert(slug=slug, last_no=len(posts), version=1).execute()
        summary["threads"][slug] = [t[2] for t in threads]
        print(f"/{slug}/: {len(threads)} threads, {len(posts)} posts, {len(links)} quotes",
              flush=True)
    started = time.monotonic()
    with database.atomic():
        fulltext.ensure_index()  # the triggers again, and every post indexed
    print(f"search index built in {time.monotonic() - started:.0f} s", flush=True)
    summary["big_thread"] = {"board": slugs[0], "no": summary["threads"][slugs[0]][0],
                             "replies": BIG_THREAD_REPLIES}
    if database_url is None:
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:  # rows were given their ids: move the sequences past them
        for model in (Thread, Post, Backlink):
            table = model._meta.table_name
            sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                   f"(SELECT max(id) FROM {table}))")  # table names from the models
            database.execute_sql(sql)
        database.execute_sql("ANALYZE")
        summary["database_url"] = database_url
    database.close()
    (data_dir / "bench.json").write_text(json.dumps(summary))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--data-dir", type=Path, help="default /tmp/leftbook-bench-<posts>")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="fill this empty PostgreSQL database instead "
                        "of a SQLite file (bench/pages.py then copies it per checkout)")
    args = parser.parse_args()
    if args.posts <= BIG_THREAD_REPLIES:
        parser.error(f"--posts must be more than {BIG_THREAD_REPLIES}")
    data_dir = args.data_dir or Path(tempfile.gettempdir(), f"leftbook-bench-{args.posts}")
    if data_dir.exists():
        if not (data_dir / "bench.json").exists():
            parser.error(f"{data_dir} exists and is not a bench data dir; pick another")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, mode=0o700)
    started = time.monotonic()
    try:
        summary = fill(args.posts, data_dir, args.seed, args.database_url)
    except BaseException:
        shutil.rmtree(data_dir)
        raise
    big = summary["big_thread"]
    print(f"{args.posts} posts in {time.monotonic() - started:.1f}s into {data_dir}; "
          f"300-reply thread /{big['board']}/res/{big['no']}.html")


if __name__ == "__main__":
    main()
