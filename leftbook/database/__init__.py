"""Storage: the connection, the tables, the schema's versions and migrations, export/import."""

from leftbook.database.connection import (
    BaseModel,
    bind,
    bound_to,
    database,
    is_sqlite,
    open_database,
    open_read_only,
    read_snapshot,
    write_transaction,
)

__all__ = ["BaseModel", "bind", "bound_to", "database", "is_sqlite", "open_database",
           "open_read_only", "read_snapshot", "write_transaction"]
