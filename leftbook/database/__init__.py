"""Storage: the connection, the tables, the schema's versions and migrations, export/import."""

from leftbook.database.connection import (
    BaseModel,
    bind,
    connect_for_request,
    database,
    is_sqlite,
    open_database,
    read_snapshot,
    release_after_request,
    run_compiled,
    write_transaction,
)

__all__ = ["BaseModel", "bind", "connect_for_request", "database", "is_sqlite", "open_database",
           "read_snapshot", "release_after_request", "run_compiled", "write_transaction"]
