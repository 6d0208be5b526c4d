"""CORS from CORS_ORIGINS; one clear line per bad setting; `storefront --version`."""

from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from entrypoints.cli import app as cli
from entrypoints.container import build_container
from entrypoints.http.app import create_app
from tests.conftest import make_settings, make_storage
from tests.http.conftest import open_client

ORIGIN = "https://shop.example.com"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "if-match, content-type",
}


async def client_with(tmp_path, **overrides):
    settings = make_settings("memory", tmp_path, **overrides)
    app = create_app(settings, build_container(settings, make_storage("memory", settings)))
    async for client in open_client(app):
        yield client


@pytest.fixture
async def cors_client(tmp_path):
    async for client in client_with(tmp_path, cors_origins=f"{ORIGIN}, https://admin.example.com"):
        yield client


@pytest.fixture
async def plain_client(tmp_path):
    async for client in client_with(tmp_path):
        yield client


async def test_a_preflight_from_an_allowed_origin_is_answered(cors_client):
    response = await cors_client.options("/api/users/", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert "if-match" in response.headers["Access-Control-Allow-Headers"].lower()
    simple = await cors_client.get("/health/live", headers={"Origin": ORIGIN})
    assert simple.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = simple.headers["Access-Control-Expose-Headers"]
    assert "ETag" in exposed and "Link" in exposed and "X-Total-Count" in exposed
    assert "Access-Control-Allow-Credentials" not in simple.headers


async def test_another_origin_gets_no_cors_headers(cors_client):
    headers = PREFLIGHT | {"Origin": "https://evil.example.net"}
    response = await cors_client.options("/api/users/", headers=headers)
    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers
    simple = await cors_client.get("/health/live", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in simple.headers


async def test_cors_is_off_by_default(plain_client):
    response = await plain_client.options("/api/users/", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response.headers
    simple = await plain_client.get("/health/live", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in simple.headers


runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("STORAGE_BACKEND", "bogus", "'memory', 'sqlite', 'mongo' or 'postgres'"),
        ("LOG_LEVEL", "bogus", "CRITICAL, ERROR, WARNING, INFO, DEBUG"),
        ("CORS_ORIGINS", "shop.example.com", "is not an origin"),
        ("POSTGRES_MAX_POOL_SIZE", "zero", "valid integer"),
        ("SQLITE_SYNCHRONOUS", "sometimes", "'OFF', 'NORMAL', 'FULL' or 'EXTRA'"),
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["create-indexes"]])
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(monkeypatch, name, value, says, command):
    monkeypatch.setenv(name, value)
    result = runner.invoke(cli, command)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"storefront: invalid setting {name}=") and says in lines[0]
    assert "Traceback" not in result.output


def test_a_secret_is_never_printed(monkeypatch):
    monkeypatch.setenv("CURSOR_SECRET", "short-secret")
    result = runner.invoke(cli, ["create-indexes"])
    assert result.exit_code == 2
    assert "CURSOR_SECRET" in result.output and "short-secret" not in result.output


def test_version_comes_from_the_package_metadata():
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"storefront {version('storefront')}"
