"""What can be checked of the Dockerfile and the compose stack without a Docker engine."""

import re
from pathlib import Path

import pytest
import yaml

from tests.mongo_container import init_replica_set_js

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            pairs.append((keyword.upper(), args.strip()))
    return pairs


def args_of(keyword: str) -> list[str]:
    return [args for kw, args in dockerfile_instructions() if kw == keyword]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_dockerfile_is_multi_stage_on_a_slim_python_pinned_by_minor():
    stages = args_of("FROM")
    assert len(stages) >= 2
    default = dict(arg.split("=", 1) for arg in args_of("ARG") if "=" in arg)
    for stage in stages:
        image = stage.split()[0].replace("${PYTHON_VERSION}", default.get("PYTHON_VERSION", ""))
        assert re.fullmatch(r"python:3\.1[1-9]-slim", image), stage
    assert re.search(r"--from=build\b", " ".join(args_of("COPY")))


def test_dependencies_are_installed_from_the_pins_before_the_source_is_copied():
    steps = dockerfile_instructions()
    deps = next(
        i for i, (kw, args) in enumerate(steps) if kw == "RUN" and "-c constraints.txt" in args
    )
    source = next(
        i for i, (kw, args) in enumerate(steps) if kw == "COPY" and args.startswith("domain")
    )
    copied_before = " ".join(args for kw, args in steps[:deps] if kw == "COPY")
    assert deps < source
    assert "constraints.txt" in copied_before
    assert "domain" not in copied_before and "entrypoints" not in copied_before


def test_the_image_runs_as_a_non_root_user():
    users = args_of("USER")
    assert users, "no USER instruction"
    last = users[-1].split(":")[0]
    assert last not in {"root", "0", ""}


def test_the_image_exposes_8000_and_checks_health_live_with_the_stdlib():
    assert "8000" in " ".join(args_of("EXPOSE")).split()
    (healthcheck,) = args_of("HEALTHCHECK")
    assert "/health/live" in healthcheck
    assert "urllib.request" in healthcheck
    assert "curl" not in healthcheck and "wget" not in healthcheck


def test_the_image_serves_with_storefront_on_all_interfaces():
    (cmd,) = args_of("CMD")
    assert cmd.startswith('["storefront", "serve", "--host", "0.0.0.0"')


def test_dockerignore_lets_in_only_what_the_image_copies():
    rules = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "an allow-list keeps .git, .venv, .env and data out"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    copied = set()
    for args in args_of("COPY"):
        if "--from=" not in args:
            copied.update(args.split()[:-1])
    assert copied <= allowed, copied - allowed
    assert not allowed & {".env", ".git", ".venv", "data", "tests"}


def test_compose_runs_mongo_as_a_single_node_replica_set(compose):
    mongo = compose["services"]["mongo"]
    assert re.fullmatch(r"mongo:[89]\.\d+", mongo["image"])
    command = mongo["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[command.index("--replSet") + 1] == "rs0"
    assert "--bind_ip_all" in command


def test_compose_mongo_healthcheck_initiates_the_replica_set_idempotently(compose):
    test = compose["services"]["mongo"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "mongosh"]
    login = (
        "db.getSiblingDB('admin').auth(process.env.MONGO_INITDB_ROOT_USERNAME, "
        "process.env.MONGO_INITDB_ROOT_PASSWORD); "
    )
    assert test[-1] == login + init_replica_set_js("mongo:27017")


def test_compose_keeps_mongo_data_in_a_named_volume(compose):
    mounts = compose["services"]["mongo"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/data/db")]
    assert named and named[0] in compose["volumes"]


def test_compose_api_waits_for_a_healthy_mongo_and_uses_the_replica_set(compose):
    api = compose["services"]["api"]
    assert api["build"] == "." or api["build"]["context"] == "."
    assert api["depends_on"]["mongo"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["STORAGE_BACKEND"] == "mongo"
    assert env["MONGODB_URL"].startswith("mongodb://")
    assert "@mongo:27017/" in env["MONGODB_URL"]  # credentials first (issue 13: auth on)
    assert "replicaSet=rs0" in env["MONGODB_URL"]
    assert any(str(port).endswith(":8000") for port in api["ports"])


@pytest.mark.parametrize("service", ["api", "mongo", "postgres", "api-postgres"])
def test_compose_has_a_healthcheck_on_every_service(compose, service):
    healthcheck = compose["services"][service]["healthcheck"]
    assert healthcheck["test"][0] == "CMD"
    assert healthcheck["interval"] and healthcheck["retries"] >= 1


def test_compose_api_healthcheck_asks_health_live(compose):
    test = compose["services"]["api"]["healthcheck"]["test"]
    assert "/health/live" in test[-1]


def test_compose_postgres_profile_is_optional_and_uses_the_official_image(compose):
    services = compose["services"]
    assert "profiles" not in services["api"] and "profiles" not in services["mongo"]
    for name in ("postgres", "api-postgres"):
        assert services[name]["profiles"] == ["postgres"]
    assert re.fullmatch(r"postgres:1[4-9](\.\d+)?", services["postgres"]["image"])


def test_compose_postgres_healthcheck_is_pg_isready(compose):
    test = compose["services"]["postgres"]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "pg_isready"]


def test_compose_keeps_postgres_data_in_a_named_volume(compose):
    mounts = compose["services"]["postgres"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in compose["volumes"]


def test_compose_api_postgres_waits_for_a_healthy_server_and_uses_it(compose):
    api = compose["services"]["api-postgres"]
    assert api["build"] == "." or api["build"]["context"] == "."
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["STORAGE_BACKEND"] == "postgres"
    assert env["POSTGRES_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in env["POSTGRES_URL"]
    api_ports = {str(p).rsplit(":", 1)[0] for p in compose["services"]["api"]["ports"]}
    assert not api_ports & {str(p).rsplit(":", 1)[0] for p in api["ports"]}  # both can run
