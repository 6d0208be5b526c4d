"""The locked-down deployment: loopback-only ports, MongoDB with authentication and a keyfile,
no password in the files, required secrets, a read-only non-root API, every setting documented.

Checked on the YAML itself everywhere, and through a compose client where one is installed
(`docker compose`, else the older `docker-compose`): no Docker engine is needed for `config`.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from entrypoints.settings import Settings
from tests.delivery.test_docker_files import args_of

ROOT = Path(__file__).resolve().parents[2]
SECRET_NAME = re.compile(r"(PASSWORD|SECRET)$", re.IGNORECASE)
REFERENCE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
SENTINELS = {
    "MONGO_ROOT_PASSWORD": "sentinel-root-7f3a",
    "MONGO_APP_PASSWORD": "sentinel-app-9c2e",
    "JWT_SECRET": "sentinel-jwt-5d1b-0123456789abcdef0123",
    "POSTGRES_PASSWORD": "sentinel-pg-4e8f",
}


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (ROOT / "docker-compose.yml").read_text()


@pytest.fixture(scope="module")
def compose(compose_text) -> dict:
    return yaml.safe_load(compose_text)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def test_every_published_port_is_on_loopback(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_no_password_or_secret_is_written_in_the_compose_file(compose):
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                # a reference with no default: ${VAR:?message} or ${VAR:-} (empty)
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*|:-)\}", value), (name, key, value)
            for credentials in re.findall(r":(\$\{[^}]*\}|[^:@/\s{}]*)@", value):
                assert re.fullmatch(r"\$\{\w+(:\?[^}]*|:-)\}", credentials), (name, key)


@pytest.mark.parametrize("service", ["api", "api-postgres"])
def test_the_api_requires_jwt_secret(compose, service):
    assert environment(compose["services"][service])["JWT_SECRET"].startswith("${JWT_SECRET:?")


def test_mongo_requires_authentication_with_a_keyfile_and_an_app_user(compose):
    mongo = compose["services"]["mongo"]
    command = mongo["command"]
    key = command[command.index("--keyFile") + 1]
    assert key.startswith("/data/configdb/")
    assert any(v.endswith(":/data/configdb") for v in mongo["volumes"])  # the key persists
    script = mongo["entrypoint"][2]
    assert "chmod 400" in script and "exec docker-entrypoint.sh" in script
    env = environment(mongo)
    assert env["MONGO_INITDB_ROOT_PASSWORD"].startswith("${MONGO_ROOT_PASSWORD:?")
    init = next(v for v in mongo["volumes"] if "docker-entrypoint-initdb.d" in v)
    source = ROOT / init.split(":")[0]
    assert source.is_file()
    assert "process.env.MONGO_APP_PASSWORD" in source.read_text()
    assert 'role: "readWrite"' in source.read_text()
    url = environment(compose["services"]["api"])["MONGODB_URL"]
    assert "${MONGO_APP_PASSWORD:?" in url and "authSource=admin" in url


@pytest.mark.parametrize("service", ["api", "api-postgres"])
def test_the_api_container_is_read_only_unprivileged_and_logs_json(compose, service):
    api = compose["services"][service]
    assert api["read_only"] is True
    assert "/tmp" in api["tmpfs"]
    assert api["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in api["security_opt"]
    assert environment(api)["LOG_FORMAT"] == "${LOG_FORMAT:-json}"
    assert api["stop_grace_period"]


def test_the_image_logs_json_and_keeps_data_in_a_volume():
    env = " ".join(args_of("ENV"))
    assert "LOG_FORMAT=json" in env
    assert '"/app/data"' in " ".join(args_of("VOLUME"))


def documented(name: str, text: str) -> bool:
    return re.search(rf"^#? ?{name}=", text, re.MULTILINE) is not None


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    missing = [n.upper() for n in Settings.model_fields if not documented(n.upper(), text)]
    assert not missing, f".env.example lacks {missing}"


def test_env_example_documents_every_variable_compose_reads(compose_text):
    text = (ROOT / ".env.example").read_text()
    names = set(REFERENCE.findall(compose_text))
    names -= {"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"}  # container env
    missing = sorted(n for n in names if not documented(n, text))
    assert not missing, f".env.example lacks {missing}"


def test_env_example_holds_no_secret_value():
    for line in (ROOT / ".env.example").read_text().splitlines():
        if SECRET_NAME.search(line.split("=", 1)[0]) and "=" in line:
            assert line.split("=", 1)[1] == "", line


# --- through a compose client -----------------------------------------------------------------


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`config` of our compose file through whichever compose client is installed."""
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    docker = shutil.which("docker")
    v2 = docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
    if v2 and v2.returncode == 0:
        command = [docker, "compose", "-f", str(ROOT / "docker-compose.yml")]
    elif legacy := shutil.which("docker-compose"):
        # compose v1 rejects the top-level `name:` (the project name); everything else holds
        text = (ROOT / "docker-compose.yml").read_text()
        copy = tmp_path / "docker-compose.yml"
        copy.write_text(re.sub(r"^name: .*\n", "", text, flags=re.MULTILINE))
        command = [legacy, "-f", str(copy)]
    else:
        pytest.skip("no compose client (`docker compose` or `docker-compose`) on this machine")
    return subprocess.run(
        [*command, "--project-directory", str(ROOT), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_config_publishes_nothing_beyond_loopback_and_no_literal_secret(tmp_path):
    result = compose_config(tmp_path, SENTINELS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    for name, service in config["services"].items():
        for port in service.get("ports", []):
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            assert host_ip == "127.0.0.1", (name, port)
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert value in SENTINELS.values() or value == "", (name, key)
    rendered = result.stdout
    assert "0.0.0.0" not in rendered
    assert SENTINELS["MONGO_APP_PASSWORD"] in environment(config["services"]["api"])["MONGODB_URL"]


@pytest.mark.parametrize("missing", ["JWT_SECRET", "MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD"])
def test_compose_refuses_to_run_without_a_required_secret(tmp_path, missing):
    env = {k: v for k, v in SENTINELS.items() if k != missing}
    result = compose_config(tmp_path, env)
    assert result.returncode != 0
    assert missing in result.stderr
