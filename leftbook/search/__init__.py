"""Full-text search of live posts: the query language (`query`), the two engines
(`backends`: SQLite FTS5, PostgreSQL full-text search) and the one function that pages,
ranks and excerpts (`find.search`). The index itself is `leftbook.database.fulltext`."""

from leftbook.search.find import PAGE_SIZE, Hit, Results, search
from leftbook.search.query import Query, parse

__all__ = ["PAGE_SIZE", "Hit", "Query", "Results", "parse", "search"]
