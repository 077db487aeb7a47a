"""Search latency (p50/p99) at N stored posts, the index's size, and the cost of erasing a
deleted thread's entries from it (SQLite's purge in the prune pass).

bench/fill.py fills the site (its insert triggers index every post as it goes), with text
drawn from a larger vocabulary than fill.py's own 51 words, so that words have realistic
frequencies (Zipf-like: a few very common, most rare). Then, in this process, it runs
`leftbook.search.search` (the domain function behind /search) for each kind of query
several times, and prints p50/p99 in ms, how many posts matched (capped at the
candidates bound) and the index's size. With --postgresql URL it copies the filled site
into that (empty) database with `leftbook import` and measures the same queries there.

    .venv/bin/python bench/search_bench.py --posts 1000000
    .venv/bin/python bench/search_bench.py --posts 1000000 --reuse \
        --postgresql postgresql://postgres@127.0.0.1:5432/leftbook_bench
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fill

from leftbook import boards as board_files
from leftbook.database import database, fulltext, open_database, write_transaction
from leftbook.database.models import Post, Thread
from leftbook.database.transfer import export_site, import_site
from leftbook.posting import markup
from leftbook.refusal import Refusal
from leftbook.retention.removal import delete_threads
from leftbook.search import find

VOCABULARY = 20_000
POOL = 20_000  # distinct bodies
RUNS = 30  # per query


def vocabulary() -> list[str]:
    """fill.py's words first (the most frequent), then made-up ones; the same every run."""
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "ve", "dor", "pi", "nel", "ga", "shu"]
    made_up = sorted({"".join(rng.choices(syllables, k=rng.randint(2, 5)))
                      for _ in range(3 * VOCABULARY)} - set(fill.WORDS))
    rng.shuffle(made_up)
    return list(fill.WORDS) + made_up[:VOCABULARY - len(fill.WORDS)]


def zipf_pool(rng: random.Random, count: int = POOL) -> list[tuple[str, str]]:
    """Bodies of 1-6 lines whose words follow a Zipf-like law over `vocabulary()`, with
    their rendered HTML (replaces fill.py's pool of 51 words)."""
    words = vocabulary()
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    pool = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(1, 6)):
            line = " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(3, 25)))
            lines.append(line.capitalize() + ".")
        body = "\n".join(lines)
        pool.append((body, markup.render(body, "theory", lambda b, n: None, bool).html))
    return pool


def queries() -> dict[str, tuple[str, str | None]]:
    """Kinds of query -> (text, board); word ranks in the Zipf law in brackets."""
    words = vocabulary()
    return {
        "very common word [1]": (words[0], None),
        "common word [20]": (words[19], None),
        "uncommon word [1000]": (words[999], None),
        "rare word [15000]": (words[14999], None),
        "two words [5, 30]": (f"{words[4]} {words[29]}", None),
        "phrase [3, 4]": (f'"{words[2]} {words[3]}"', None),
        "word -exclusion": (f"{words[9]} -{words[1]}", None),
        "common word, one board": (words[19], "soc"),
        "no match": ("zzzqqqxxx", None),
    }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(slugs: list[str]) -> dict[str, dict]:
    results = {}
    for kind, (text, board) in queries().items():
        times, matches, stopped = [], 0, 0
        for _ in range(RUNS):
            started = time.perf_counter()
            try:
                matches = find.search(text, board, 1, slugs).matches
            except Refusal:
                stopped += 1
            times.append((time.perf_counter() - started) * 1000)
        capped = matches >= find.CANDIDATES
        results[kind] = {"query": text, "board": board, "matches": matches, "more": capped,
                         "p50_ms": round(statistics.median(times), 1),
                         "p99_ms": round(percentile(times, 0.99), 1), "stopped": stopped}
        print(f"  {kind:24} {text!r:24} matches {matches:>5}{'+' if capped else ' '} "
              f" p50 {results[kind]['p50_ms']:7.1f} ms  p99 {results[kind]['p99_ms']:7.1f} ms"
              f"{f'  stopped {stopped}/{RUNS}' if stopped else ''}", flush=True)
    return results


def sqlite_index_bytes() -> int:
    total = 0
    for table, column in (("post_fts_data", "block"), ("post_fts_idx", "term"),
                          ("post_fts_docsize", "sz")):
        sql = f"SELECT sum(length({column})) FROM {table}"  # noqa: S608 (constant names)
        total += database.execute_sql(sql).fetchone()[0] or 0
    return total


def pg_index_bytes() -> dict[str, int]:
    column = database.execute_sql(
        f"SELECT sum(pg_column_size({fulltext.PG_COLUMN})) FROM post").fetchone()[0]  # noqa: S608
    gin = database.execute_sql(
        f"SELECT pg_relation_size('post_{fulltext.PG_COLUMN}')").fetchone()[0]
    return {"tsvector_column": int(column or 0), "gin_index": int(gin)}


def purge_cost() -> dict[str, float]:
    """Delete the newest thread (as a prune pass would) and time the index purge."""
    thread = Thread.select().order_by(Thread.id.desc()).first()
    posts = Post.select().where(Post.thread == thread.id).count()
    started = time.perf_counter()
    with write_transaction():
        delete_threads([thread.id])
    deleted = time.perf_counter() - started
    steps, longest = 0, 0.0
    started = time.perf_counter()
    while fulltext.purge_due():
        step = time.perf_counter()
        with write_transaction():
            more = fulltext.purge_step()
        longest = max(longest, time.perf_counter() - step)
        steps += 1
        if not more:
            break
    return {"posts_deleted": posts, "delete_s": round(deleted, 2),
            "purge_s": round(time.perf_counter() - started, 2), "purge_steps": steps,
            "longest_step_s": round(longest, 2)}


def measure_postgresql(url: str, data_dir: Path, posts: int, slugs: list[str], figures: dict,
                       imported: bool) -> None:
    from leftbook.database.schema import upgrade

    database.initialize(open_database(url))
    database.connect()
    if not imported:
        upgrade()
        started = time.monotonic()
        import_site(data_dir / "export.jsonl")
        (data_dir / "export.jsonl").unlink()
        print(f"imported into PostgreSQL in {time.monotonic() - started:.0f} s", flush=True)
    database.execute_sql("ANALYZE")
    print(f"PostgreSQL, {posts} posts:", flush=True)
    figures["postgresql"] = {"queries": measure(slugs), "index_bytes": pg_index_bytes()}
    print(f"  index {figures['postgresql']['index_bytes']}", flush=True)
    database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="use an existing filled data dir")
    parser.add_argument("--postgresql", help="also measure on this empty PostgreSQL database")
    parser.add_argument("--no-purge", action="store_true", help="skip the purge measurement")
    parser.add_argument("--postgresql-only", action="store_true",
                        help="measure only PostgreSQL, whose database already holds the site")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.gettempdir(), f"leftbook-search-{args.posts}")
    if not args.reuse:
        fill.text_pool = zipf_pool
        if data_dir.exists():
            import shutil

            if not (data_dir / "bench.json").exists():
                parser.error(f"{data_dir} exists and is not a bench data dir")
            shutil.rmtree(data_dir)
        data_dir.mkdir(parents=True, mode=0o700)
        started = time.monotonic()
        fill.fill(args.posts, data_dir)
        print(f"filled {args.posts} posts in {time.monotonic() - started:.0f} s", flush=True)
    slugs = list(board_files.load_boards(data_dir / "boards"))
    figures: dict = {"posts": args.posts}
    if not args.postgresql_only:
        database.initialize(open_database(f"sqlite:///{data_dir / 'leftbook.db'}"))
        database.connect()
        print(f"SQLite, {args.posts} posts:", flush=True)
        figures["sqlite"] = {"queries": measure(slugs), "index_bytes": sqlite_index_bytes(),
                             "file_bytes": (data_dir / "leftbook.db").stat().st_size}
        print(f"  index {figures['sqlite']['index_bytes'] / 1e6:.0f} MB of a "
              f"{figures['sqlite']['file_bytes'] / 1e6:.0f} MB database", flush=True)
        if args.postgresql:
            export_site(data_dir / "export.jsonl")
        if not args.no_purge:
            figures["sqlite"]["purge"] = purge_cost()
            print(f"  purge after deleting a thread: {figures['sqlite']['purge']}", flush=True)
        database.close()
    if args.postgresql:
        measure_postgresql(args.postgresql, data_dir, args.posts, slugs, figures,
                           imported=args.postgresql_only)
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
