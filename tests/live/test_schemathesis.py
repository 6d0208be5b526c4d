"""The schemathesis CLI against a live server, on SQLite and on PostgreSQL: examples,
coverage and fuzzing phases over every operation of the OpenAPI document, checking that no
request makes the server answer 5xx. Bounded run time: a fixed number of examples per
operation and a fixed seed, so a failure reproduces."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.live.server import live_server

MAX_EXAMPLES = 10
SEED = 12
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_schemathesis_finds_no_server_error(backend, tmp_path, request):
    env = {"STORAGE_BACKEND": backend}
    if backend == "postgres":
        env["POSTGRES_URL"] = request.getfixturevalue("postgres_url")
        env["POSTGRES_SCHEMA"] = request.getfixturevalue("postgres_schema")
    with live_server(tmp_path, **env) as server:
        token = server.admin_token()  # as the admin: every route, not a wall of 401s
        run = subprocess.run(
            [
                *(str(SCHEMATHESIS), "run", f"{server.url}/openapi.json"),
                *("--header", f"Authorization: Bearer {token}"),
                *("--checks", "not_a_server_error", "--phases", "examples,coverage,fuzzing"),
                *("--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--warnings", "off"),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        log = server.log.read_text()
    summary = run.stdout[-4000:]
    print(summary)
    assert run.returncode == 0, f"{summary}\n{run.stderr[-2000:]}\nserver log:\n{log[-3000:]}"
    assert "No issues found" in run.stdout
    assert "Traceback" not in log
