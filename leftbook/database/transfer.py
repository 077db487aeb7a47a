"""`leftbook export` / `leftbook import`: move a whole site to another database (e.g. PostgreSQL).

The dump is JSON lines: a header naming the format and version, then for every table of
`models.MODELS` (in that order, so rows are inserted after the rows they refer to) a line
naming the table and its columns followed by one JSON array per row, then an end line with
the row count of every table, so a truncated dump is refused. Blob values are base64.
Files are not in the dump: they are copied separately (rsync the `files/` directory).
"""

import base64
import gzip
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from peewee import AutoField, BlobField, Field, IntegrityError, Model, fn

from leftbook import clock
from leftbook.database import database, is_sqlite
from leftbook.database.models import MODELS
from leftbook.refusal import Refusal

FORMAT = "leftbook-export"
VERSION = 1
READ_BATCH = 2000
INSERT_BATCH = 500



def _open(path: Path, mode: str, name: Path | None = None) -> IO[str]:
    """A text stream on `path`, gzip-compressed when `name` (default `path`) ends in `.gz`."""
    if (name or path).suffix == ".gz":
        return gzip.open(path, mode + "t", encoding="utf-8")
    return path.open(mode, encoding="utf-8")


def _encode(field: Field, value: Any) -> Any:
    if value is not None and isinstance(field, BlobField):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(field: Field, value: Any) -> Any:
    if value is not None and isinstance(field, BlobField):
        return base64.b64decode(value, validate=True)
    return value


def _rows(model: type[Model]) -> Iterator[list[Any]]:
    """Every row of `model` in primary-key order, read in bounded batches (keyset paging)."""
    fields = model._meta.sorted_fields
    key = model._meta.primary_key
    position = fields.index(key)
    last = None
    while True:
        query = model.select(*fields).order_by(key).limit(READ_BATCH)
        if last is not None:
            query = query.where(key > last)
        batch = list(query.tuples())
        for row in batch:
            yield [_encode(field, value) for field, value in zip(fields, row, strict=True)]
        if len(batch) < READ_BATCH:
            return
        last = batch[-1][position]


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction, so the dump is a consistent picture of a live site."""
    if is_sqlite():
        with database.atomic():
            yield
    else:
        with database.atomic(isolation_level="REPEATABLE READ"):
            yield


def _write_line(out: IO[str], value: Any) -> None:
    out.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n")


def export_site(path: Path) -> dict[str, int]:
    """Write every row of the database to `path` (mode 0600, atomically); rows per table.

    Needs an open connection. The dump holds posts and password hashes: keep it private
    and delete it once imported (pruning cannot reach it).
    """
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when a leftover partial file had another mode
    os.close(fd)
    counts: dict[str, int] = {}
    try:
        with _open(partial, "w", path) as out, _snapshot():
            _write_line(out, {"format": FORMAT, "version": VERSION, "created": clock.now(),
                              "tables": [m._meta.table_name for m in MODELS]})
            for model in MODELS:
                name = model._meta.table_name
                _write_line(out, {"table": name,
                                  "columns": [f.name for f in model._meta.sorted_fields]})
                counts[name] = 0
                for row in _rows(model):
                    _write_line(out, row)
                    counts[name] += 1
            _write_line(out, {"end": True, "rows": counts})
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return counts


def non_empty_tables() -> list[str]:
    """Tables of the connected database that hold rows (an import needs none)."""
    return [m._meta.table_name for m in MODELS if m.select().exists()]


def _parse(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise Refusal(f"line {number} of the dump is not JSON ({exc.msg}).") from exc


def _check_header(header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise Refusal("this is not a Leftbook export (its first line names no format).")
    if header.get("version") != VERSION:
        raise Refusal(
            f"this dump has format version {header.get('version')}; this Leftbook reads "
            f"version {VERSION}. Import it with the Leftbook version that wrote it."
        )


def _table_fields(section: dict, models: dict[str, type[Model]]) -> tuple[type[Model], list]:
    model = models.get(section["table"])
    if model is None:
        raise Refusal(f"the dump has a table this Leftbook does not know: "
                      f"{section['table']!r}.")
    known = model._meta.fields
    unknown = [c for c in section["columns"] if c not in known]
    if unknown:
        raise Refusal(f"table {section['table']!r} in the dump has columns this "
                      f"Leftbook does not know: {', '.join(unknown)}.")
    return model, [known[c] for c in section["columns"]]


class _Loader:
    """Inserts the rows of one table section after another, a bounded batch at a time."""

    def __init__(self) -> None:
        self.models = {m._meta.table_name: m for m in MODELS}
        self.counts: dict[str, int] = {}
        self.model: type[Model] | None = None
        self.fields: list[Field] = []
        self.pending: list[list[Any]] = []

    def start_table(self, section: dict) -> None:
        self.flush()
        self.model, self.fields = _table_fields(section, self.models)
        self.counts[section["table"]] = 0

    def add(self, row: list[Any], number: int) -> None:
        if self.model is None or len(row) != len(self.fields):
            raise Refusal(f"line {number} of the dump is a row outside a table section "
                          "or with the wrong number of columns.")
        self.pending.append([_decode(f, v) for f, v in zip(self.fields, row, strict=True)])
        self.counts[self.model._meta.table_name] += 1
        if len(self.pending) >= INSERT_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending and self.model is not None:
            self.model.insert_many(self.pending, fields=self.fields).execute()
        self.pending = []


def _load(lines: Iterable[str]) -> dict[str, int]:
    loader = _Loader()
    numbered = enumerate(lines, start=1)
    first = next(numbered, None)
    if first is None:
        raise Refusal("the dump is empty.")
    _check_header(_parse(first[1], 1))
    for number, line in numbered:
        item = _parse(line, number)
        if isinstance(item, list):
            loader.add(item, number)
        elif isinstance(item, dict) and "table" in item:
            loader.start_table(item)
        elif isinstance(item, dict) and item.get("end"):
            loader.flush()
            if item.get("rows") != loader.counts:
                raise Refusal("the dump's row counts do not match its rows; "
                              "it is damaged. Export again.")
            return loader.counts
        else:
            raise Refusal(f"line {number} of the dump is neither a table nor a row.")
    raise Refusal("the dump ends before its end line: it is truncated. Export again.")


def reset_sequences() -> None:
    """Point PostgreSQL's id sequences past the imported ids, so new rows do not collide."""
    if is_sqlite():
        return
    for model in MODELS:
        key = model._meta.primary_key
        if not isinstance(key, AutoField):
            continue
        sequence = fn.pg_get_serial_sequence(f'"{model._meta.table_name}"', key.column_name)
        highest = fn.MAX(key)
        model.select(fn.setval(sequence, fn.COALESCE(highest, 1), highest.is_null(False))).scalar()


def import_site(path: Path) -> dict[str, int]:
    """Load a dump into the connected, empty database in one transaction; rows per table.

    Refuses a database that holds any row, and any damaged or truncated dump (then
    nothing is stored).
    """
    occupied = non_empty_tables()
    if occupied:
        raise Refusal(
            "the database is not empty (rows in: " + ", ".join(occupied) + "). "
            "Import only into a new, empty database; nothing was changed."
        )
    try:
        with _open(path, "r") as lines, database.atomic():
            counts = _load(lines)
            reset_sequences()
    except Refusal as exc:
        raise Refusal(f"{exc} Nothing was imported.") from exc
    except IntegrityError as exc:
        raise Refusal(f"the dump's rows do not fit together ({exc}). "
                      "Nothing was imported.") from exc
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, KeyError, ValueError) as exc:
        raise Refusal(f"the dump cannot be read ({exc!r}). Nothing was imported.") from exc
    return counts


def describe(counts: dict[str, int]) -> str:
    """`1234 rows (post=1200 thread=30 ...)`: counts only, for the CLI."""
    tables = " ".join(f"{name}={count}" for name, count in counts.items() if count)
    return f"{sum(counts.values())} rows ({tables or 'no rows'})"
