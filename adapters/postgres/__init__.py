"""The relational production alternative: PostgreSQL through asyncpg.

One pool per process, opened lazily by the container's resource so the service starts with the
server down; a versioned schema applied at start-up; asyncpg's errors never leave this package.
"""
