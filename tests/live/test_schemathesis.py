"""The schemathesis CLI against a live server (rate limits off), with the repository's
schemathesis.toml (seed, examples per operation, stateful steps, tests/live/
schemathesis_hooks.py):

- on SQLite, EVERY check (response schema and status-code conformance, content types,
  headers, negative data, positive data, auth, Allow, use-after-free, ...) over the four
  phases examples, coverage, fuzzing and stateful (following the document's OpenAPI links
  from each create to the read/update/delete of what it created): zero failures;
- on PostgreSQL, the same phases but stateful, checking only that no request makes the
  server answer 5xx.

Bounded run time: a fixed seed and a fixed number of examples per operation, so a failure
reproduces (`st replay <id>` from the output, against a server started the same way).
"""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from tests.live import schemathesis_hooks as hooks
from tests.live.server import ROOT, LiveServer, live_server

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
PHASES = "examples,coverage,fuzzing,stateful"


def run_schemathesis(
    server: LiveServer, report: Path, *args: str, dropped: Path | None = None
) -> subprocess.CompletedProcess:
    """schemathesis run against `server` as its first admin (every route, not a wall of 401s),
    from the repository root so that schemathesis.toml applies; a JSON report at `report`."""
    token = server.admin_token()
    me = httpx.get(
        f"{server.url}/api/users/me",
        headers={"Authorization": f"Bearer {token}", "host": "localhost"},
        timeout=10,
    ).json()
    return subprocess.run(
        [
            *(str(SCHEMATHESIS), "run", f"{server.url}/openapi.json"),
            *("--header", f"Authorization: Bearer {token}"),
            *("--report", "json", "--report-json-path", str(report)),
            *args,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        env={
            **os.environ,
            hooks.CALLER_ENV: me["_id"],
            **({hooks.DROPPED_LOG_ENV: str(dropped)} if dropped else {}),
        },
    )


def summary_of(run: subprocess.CompletedProcess, log: str) -> str:
    return f"{run.stdout[-6000:]}\n{run.stderr[-2000:]}\nserver log:\n{log[-3000:]}"


def assert_no_issues(run: subprocess.CompletedProcess) -> None:
    """schemathesis' last line: "No issues found in 37s", or only warnings (of operations it
    could not reach much, e.g. /api/auth/refresh without a real refresh token); a failure or
    an error would be named there."""
    last = run.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ (No issues found|\d+ warnings?) in [0-9.]+s =+", last), last


def test_schemathesis_all_checks_and_phases_find_nothing_on_sqlite(tmp_path):
    report, dropped = tmp_path / "schemathesis.json", tmp_path / "dropped.txt"
    with live_server(tmp_path) as server:
        run = run_schemathesis(
            server, report, "--checks", "all", "--phases", PHASES, dropped=dropped
        )
        log = server.log.read_text()
    print(run.stdout[-4000:])  # schemathesis' summary, for the record (pytest -s)
    # what the hooks dropped (see schemathesis_hooks.py), by operation, status and code
    lines = dropped.read_text().splitlines() if dropped.exists() else []
    for line, count in sorted(Counter(lines).items()):
        print(f"dropped {count:4d}  {line}")
    assert run.returncode == 0, summary_of(run, log)
    assert_no_issues(run)
    result = json.loads(report.read_text())
    assert result["exit_code"] == 0 and result["complete"]
    assert result["operations"]["tested"] == result["operations"]["total"] == 31
    assert {name: phase["status"] for name, phase in result["phases"].items()} == dict.fromkeys(
        PHASES.split(","), "success"
    )
    cases = result["test_cases"]
    assert cases["with_failures"] == cases["unique_failures"] == cases["errored"] == 0
    assert cases["generated"] > 1000
    # the stateful phase really walked the links: most of them, our explicit ones among them
    links = re.search(r"API Links: +(\d+) covered / \d+ selected / (\d+) total", run.stdout)
    assert links, run.stdout[-4000:]
    covered, total = int(links[1]), int(links[2])
    assert covered >= total // 2, run.stdout[-4000:]
    assert "Traceback" not in log


def test_schemathesis_finds_no_server_error_on_postgres(tmp_path, request):
    env = {
        "STORAGE_BACKEND": "postgres",
        "POSTGRES_URL": request.getfixturevalue("postgres_url"),
        "POSTGRES_SCHEMA": request.getfixturevalue("postgres_schema"),
    }
    report = tmp_path / "schemathesis.json"
    with live_server(tmp_path, **env) as server:
        run = run_schemathesis(
            server,
            report,
            *("--checks", "not_a_server_error", "--phases", "examples,coverage,fuzzing"),
            *("--max-examples", "10"),
        )
        log = server.log.read_text()
    print(run.stdout[-4000:])
    assert run.returncode == 0, summary_of(run, log)
    assert_no_issues(run)
    assert "Traceback" not in log
