"""A corrupt or locked SQLite file at start-up: the server exits with ONE error line naming
the file and the reason, not a traceback."""

import json
import os
import sqlite3
import subprocess
import sys

from tests.live.server import ROOT, free_port

SERVE = (sys.executable, "-c", "from entrypoints.cli import app; app()", "serve")


def serve_until_exit(db_path, **env) -> tuple[int, str]:
    values = {
        "STORAGE_BACKEND": "sqlite",
        "SQLITE_PATH": str(db_path),
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",  # one JSON object per log line: the error lines are exact
        **env,
    }
    run = subprocess.run(
        [*SERVE, "--port", str(free_port())],
        env={**os.environ, **values},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return run.returncode, run.stdout + run.stderr


def error_lines(output: str) -> list[str]:
    """The messages of the error-level log lines (the server logs JSON lines here)."""
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [r["event"] for r in records if r.get("level") == "error"]


def test_a_corrupt_database_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an SQLite database, just some bytes\n" * 200)
    code, output = serve_until_exit(path)
    assert code != 0
    assert "Traceback" not in output, output
    errors = error_lines(output)
    assert errors[0] == (
        f"SQLite database {path}: the file is corrupt or not an SQLite database"
        " (file is not a database)"
    ), output
    assert errors[1:] == ["Application startup failed. Exiting."]


def test_a_locked_database_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the file (rollback journal)
    try:
        code, output = serve_until_exit(path, SQLITE_BUSY_TIMEOUT_MS="300")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code != 0
    assert "Traceback" not in output, output
    errors = error_lines(output)
    assert errors[0].startswith(f"SQLite database {path}: it is locked"), output
    assert len(errors) == 2
