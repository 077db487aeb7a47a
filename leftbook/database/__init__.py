"""Storage: the connection, the tables, the schema's versions and migrations, export/import."""

from leftbook.database.connection import (
    BaseModel,
    bind,
    bound_to,
    connect_for_request,
    database,
    is_sqlite,
    open_database,
    open_read_only,
    read_snapshot,
    release_after_request,
    run_compiled,
    write_transaction,
)

__all__ = ["BaseModel", "bind", "bound_to", "connect_for_request", "database", "is_sqlite",
           "open_database", "open_read_only", "read_snapshot", "release_after_request",
           "run_compiled", "write_transaction"]
