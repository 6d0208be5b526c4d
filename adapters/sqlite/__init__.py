"""The embedded default: stdlib sqlite3 in WAL mode.

Reads run inline on the event loop on a read-only connection (WAL lets them run beside the
writer and they take microseconds); every write runs on one dedicated writer thread, so the
loop never waits on an fsync.
"""
