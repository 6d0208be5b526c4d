"""The GitHub Actions workflow: make test with PostgreSQL, make test-mongo on a replica set."""

from pathlib import Path

import pytest
import yaml

from tests.mongo_server import REAL_MONGO_DRIVERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jobs() -> dict:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    return workflow["jobs"]


def commands(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_the_test_job_runs_ci_run_with_a_postgres_service(jobs):
    job = jobs["test"]
    assert "bash .ci/run" in commands(job)
    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert job["env"]["POSTGRES_URL"].startswith("postgresql://")


def test_ruff_and_mypy_run_on_the_core(jobs):
    assert "make lint typecheck" in commands(jobs["lint"])
    makefile = (ROOT / "Makefile").read_text()
    assert "ruff check" in makefile
    assert "$(BIN)/mypy" in makefile


def test_the_mongo_job_covers_every_python_and_both_drivers(jobs):
    matrix = jobs["mongo"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.11", "3.12", "3.13"]
    # both drivers are legs of the suite itself (mongo = PyMongo async, mongo-motor = Motor),
    # so every cell runs both; a driver axis in the matrix would only run everything twice
    assert "driver" not in matrix and "MONGODB_DRIVER" not in jobs["mongo"]["env"]
    assert REAL_MONGO_DRIVERS == {"mongo": "pymongo", "mongo-motor": "motor"}


def test_the_mongo_job_runs_make_test_mongo_on_a_replica_set_and_may_not_skip(jobs):
    job = jobs["mongo"]
    script = commands(job)
    assert "--replSet rs0" in script
    assert "--setParameter enableTestCommands=1" in script  # the fault tests' failpoints
    assert "init_replica_set_js" in script
    assert "make test-mongo" in script
    assert job["env"]["MONGODB_REQUIRED"] == "1"


def test_make_test_mongo_selects_the_mongo_marker():
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ntest-mongo:", 1)[1].split("\n\n", 1)[0]
    assert "pytest -m mongo" in target
