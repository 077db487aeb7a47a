"""Storage: the connection, the tables, the schema's versions and migrations, export/import."""

from leftbook.database.connection import (
    BaseModel,
    bind,
    database,
    is_sqlite,
    open_database,
    read_snapshot,
    write_transaction,
)

__all__ = ["BaseModel", "bind", "database", "is_sqlite", "open_database", "read_snapshot",
           "write_transaction"]
