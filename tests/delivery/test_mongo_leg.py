"""The real-MongoDB legs: `pytest -m mongo` selects exactly them; with no server at all (no
MONGODB_URL, no Docker engine, the SecantusDB fallback turned off) they skip once, or fail
where they must run."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mongo_container import init_replica_set_js

ROOT = Path(__file__).resolve().parents[2]
ON_MONGO_LEG = re.compile(r"\[mongo(\]|-(?!fake))")


def run_pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pytest on the contract suite in a child process, with no MongoDB, no Docker engine and
    no SecantusDB fallback, outside CI."""
    child_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MONGODB_", "PYTEST_")) and k not in {"CI", "SECANTUSDB"}
    }
    child_env |= {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "SECANTUSDB": "0", **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "tests/contract"],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def all_ids() -> list[str]:
    result = run_pytest("--collect-only", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_mongo_marker_selects_exactly_the_mongo_leg(all_ids):
    result = run_pytest("-m", "mongo", "-v", "-ra")
    assert result.returncode == 0, result.stdout + result.stderr
    ran = {line.split(" SKIPPED")[0] for line in result.stdout.splitlines() if " SKIPPED" in line}
    expected = {node for node in all_ids if ON_MONGO_LEG.search(node)}
    assert expected, "the contract suite has no mongo leg"
    assert ran == expected


def test_an_unavailable_server_is_a_skip_whose_reason_is_printed_once():
    result = run_pytest("-m", "mongo", "-q", "-ra")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED [")]
    assert len(summary) == 1, result.stdout
    assert "real MongoDB leg skipped: MONGODB_URL is not set, no Docker engine" in summary[0]
    assert summary[0].endswith("and SECANTUSDB=0")
    skipped = re.search(r"^(\d+) skipped", result.stdout, re.MULTILINE)
    assert skipped, result.stdout
    assert summary[0].startswith(f"SKIPPED [{skipped.group(1)}] tests/mongo_server.py:")


def test_mongodb_required_turns_the_skip_into_a_failure():
    result = run_pytest("-m", "mongo", "-q", MONGODB_REQUIRED="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "MONGODB_REQUIRED is set but MONGODB_URL is not set" in result.stdout


def test_in_ci_an_unavailable_real_wire_leg_is_a_failure():
    result = run_pytest("-m", "mongo", "-q", "-k", "test_users", CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the real MongoDB legs must run in CI, but MONGODB_URL is not set" in result.stdout


def test_the_replica_set_probe_initiates_idempotently_and_waits_for_a_primary():
    script = init_replica_set_js("localhost:27017")
    assert script.startswith("try { rs.status() } catch (e) { rs.initiate(")
    assert "_id: 'rs0'" in script
    assert "host: 'localhost:27017'" in script
    assert script.endswith("quit(db.hello().isWritablePrimary ? 0 : 1)")


LEAKY_TESTS = """
import pytest

from tests.mongo_server import fresh_database_name


def test_leaves_a_database_behind(mongo_admin):
    mongo_admin[fresh_database_name() + "_leaked"]["c"].insert_one({})


@pytest.fixture
def broken_set_up(settings, mongo_admin):
    mongo_admin[settings.mongodb_database]["c"].insert_one({})  # the database exists now
    raise RuntimeError("set-up failed half way")


@pytest.mark.parametrize("leg", ["mongo"], indirect=True)
def test_whose_set_up_fails(leg, broken_set_up):
    pass
"""


def test_the_run_fails_when_a_test_database_is_left_and_drops_those_whose_set_up_failed(
    mongo_url, mongo_admin, tmp_path
):
    """A child run on this run's server: a database left behind fails the run at its end (and
    is dropped then); one whose test's set-up failed half way is dropped by its finalizer."""
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "-q", "--rootdir", str(ROOT), str(tmp_path / "test_leaky.py")],
        cwd=ROOT,
        env={**child_env, "MONGODB_URL": mongo_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "RuntimeError: set-up failed half way" in out
    left = re.search(r"test databases left on the MongoDB server after the run: \[(.*?)\]", out)
    assert left, out
    assert len(left.group(1).split(",")) == 1 and left.group(1).endswith("_leaked'"), left.group(1)
    assert not [n for n in mongo_admin.list_database_names() if n.endswith("_leaked")]
