"""Data dirs written by the first release (commit 0fc2ca8), for the upgrade tests.

Two sources, checked the same way by tests/test_upgrade.py:

- `run_first_release`: the first release's own code, taken from git with `git archive`, fills
  a data dir in a subprocess that imports nothing from this checkout (fixtures/release1/
  make_data.py);
- `replay_fixture`: what that code wrote, committed under fixtures/release1/ (the data dir's
  secrets and files, the database as a SQL dump for SQLite and for PostgreSQL, and in
  expected.json what the old site stored and showed), so that a clone without that commit (a
  shallow CI checkout) still tests the upgrade.

`python -m tests.upgrade_fixture` rebuilds the fixture from the commit; it needs PostgreSQL:
  eval "$(bash scripts/pg-test-server start)"; .venv/bin/python -m tests.upgrade_fixture
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from peewee import Database
from playhouse.db_url import connect

FIRST_RELEASE = "0fc2ca8"
REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "release1"
DB_FILE = "leftbook.db"
# pg_dump lines that tie a dump to one server version or to psql, or recreate `public`
PG_DUMP_NOISE = ("--", "\\", "SET ", "SELECT pg_catalog.set_config(", "CREATE SCHEMA public;",
                 "COMMENT ON SCHEMA public ")


def backend(database_url: str | None) -> str:
    return "postgresql" if database_url else "sqlite"


def database_url(data_dir: Path, postgres_url: str | None) -> str:
    return postgres_url or f"sqlite:///{data_dir / DB_FILE}"


def schema_signature(url: str) -> dict[str, Any]:
    """Every table's columns, indexes and foreign keys, as the database reports them."""
    db: Database = connect(url)
    with db.connection_context():
        return {table: {
            "columns": sorted([c.name, c.data_type.lower(), c.null, c.primary_key]
                              for c in db.get_columns(table)),
            "indexes": sorted([i.columns, i.unique] for i in db.get_indexes(table)),
            "foreign_keys": sorted([f.column, f.dest_table, f.dest_column]
                                   for f in db.get_foreign_keys(table)),
        } for table in sorted(db.get_tables())}


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                          check=False)


def first_release_missing() -> tuple[str, bool] | None:
    """None when this checkout holds the first release's commit; else why not, and whether
    that is expected (a shallow clone, or a copy without git history)."""
    if shutil.which("git") is None or git("rev-parse", "--git-dir").returncode != 0:
        return "this copy of Leftbook is not a git checkout", True
    if git("cat-file", "-e", f"{FIRST_RELEASE}^{{commit}}").returncode == 0:
        return None
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        return f"commit {FIRST_RELEASE} is not in this shallow clone", True
    return f"commit {FIRST_RELEASE} (the first release) is missing from this full clone", False


def first_release_code(workdir: Path) -> Path:
    """The first release's `leftbook/` and `boards/`, unpacked from git into `workdir`."""
    code = workdir / "release1"
    code.mkdir(parents=True)
    tar = workdir / "release1.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(tar), FIRST_RELEASE,
                    "leftbook", "boards"], check=True)
    subprocess.run(["tar", "-x", "-f", str(tar), "-C", str(code)], check=True)
    return code


def run_first_release(code: Path, data_dir: Path, postgres_url: str | None) -> dict:
    """Fill `data_dir` (and the PostgreSQL database, if given) with the first release's code;
    returns what it stored and showed (see make_data.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEFTBOOK_", "PYTHON"))}
    env["PYTHONPATH"] = str(code)
    result = subprocess.run(
        [sys.executable, str(FIXTURE / "make_data.py"), str(code), str(data_dir),
         *([postgres_url] if postgres_url else [])],
        cwd=code, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"the first release's code failed:\n{result.stderr}"
    return json.loads(result.stdout)


def expected() -> dict[str, dict]:
    return json.loads((FIXTURE / "expected.json").read_text())


def replay_fixture(data_dir: Path, postgres_url: str | None) -> dict:
    """Make `data_dir` (and its database) what the first release left in the fixture."""
    shutil.copytree(FIXTURE / "datadir", data_dir)
    for path in [data_dir, *data_dir.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)  # as the first release made them
    kind = backend(postgres_url)
    sql = (FIXTURE / f"{kind}.sql").read_text()
    if postgres_url:
        db = connect(postgres_url)
        with db.connection_context(), db.atomic():
            db.cursor().execute(sql)  # a raw cursor: the dump's text is not a query template
    else:
        with sqlite3.connect(data_dir / DB_FILE) as db:
            db.executescript(sql)
        db.close()
    return expected()[kind]


def _portable_pg_dump(url: str) -> str:
    dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--inserts",
                           "--schema=public", url], capture_output=True, text=True,
                          check=True).stdout
    kept = (line for line in dump.splitlines(keepends=True) if not line.startswith(PG_DUMP_NOISE))
    return "".join(kept).lstrip("\n")


def build_fixture(postgres_url: str) -> None:
    """Run the first release on SQLite, then on PostgreSQL with the same data dir (so one set
    of secrets and files serves both dumps), and write the fixture."""
    from tests.helpers import reset_test_database

    with tempfile.TemporaryDirectory() as tmp:
        code, data = first_release_code(Path(tmp)), Path(tmp) / "data"
        made = {"sqlite": run_first_release(code, data, None)}
        made["sqlite"]["schema"] = schema_signature(database_url(data, None))
        with sqlite3.connect(data / DB_FILE) as db:
            sqlite_sql = "\n".join(db.iterdump()) + "\n"
        db.close()
        reset_test_database(postgres_url)
        made["postgresql"] = run_first_release(code, data, postgres_url)
        made["postgresql"]["schema"] = schema_signature(postgres_url)
        shutil.rmtree(FIXTURE / "datadir", ignore_errors=True)
        shutil.copytree(data, FIXTURE / "datadir", ignore=shutil.ignore_patterns(DB_FILE + "*"))
    # pragmas the first release set before creating its tables (a dump does not carry them)
    header = "PRAGMA auto_vacuum = incremental;\nPRAGMA journal_mode = wal;\n"
    (FIXTURE / "sqlite.sql").write_text(header + sqlite_sql)
    (FIXTURE / "postgresql.sql").write_text(_portable_pg_dump(postgres_url))
    (FIXTURE / "expected.json").write_text(json.dumps(made, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    url = os.environ.get("LEFTBOOK_TEST_DATABASE_URL")
    if not url:
        sys.exit("set LEFTBOOK_TEST_DATABASE_URL (eval \"$(bash scripts/pg-test-server start)\")")
    build_fixture(url)
    print(f"wrote {FIXTURE.relative_to(REPO)}")
