"""`storefront create-admin` and the start-up messages of `storefront serve`."""

import sqlite3

from typer.testing import CliRunner

from entrypoints.cli import app

runner = CliRunner()


def test_create_admin_takes_the_password_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    monkeypatch.setenv("STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("SQLITE_PATH", str(path))
    monkeypatch.setenv("PASSWORD_HASH_TIME_COST", "1")
    monkeypatch.setenv("PASSWORD_HASH_MEMORY_KIB", "1024")
    monkeypatch.setenv("STOREFRONT_ADMIN_PASSWORD", "a long admin password")
    result = runner.invoke(
        app, ["create-admin", "--email", "Boss@Example.com", "--username", "boss"]
    )
    assert result.exit_code == 0, result.output
    assert "admin created: boss <boss@example.com>" in result.output
    row = sqlite3.connect(path).execute("SELECT role, password_hash FROM users").fetchone()
    assert row[0] == "admin" and row[1].startswith("$argon2id$")
    assert "a long admin password" not in result.output

    again = runner.invoke(
        app, ["create-admin", "--email", "boss@example.com", "--username", "boss2"]
    )
    assert again.exit_code == 1
    assert "email is already taken" in again.output
    again = runner.invoke(app, ["create-admin", "--email", "b2@example.com", "--username", "boss"])
    assert again.exit_code == 1 and "username is already taken" in again.output


def test_create_admin_prompts_for_a_hidden_password(tmp_path, monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "memory")
    monkeypatch.delenv("STOREFRONT_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(
        app,
        ["create-admin", "--email", "a@example.com", "--username", "adm"],
        input="prompted password\nprompted password\n",
    )
    assert result.exit_code == 0, result.output
    assert "prompted password" not in result.output  # hidden input is not echoed


def test_serve_without_a_secret_on_postgres_is_one_line_and_exit_1(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "postgres")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "JWT_SECRET is not set" in result.output
    assert "Traceback" not in result.output


def test_serve_says_how_to_get_the_first_admins_token():
    from pydantic import SecretStr

    from entrypoints.cli import token_hint
    from entrypoints.settings import Settings

    base = "http://127.0.0.1:8000"
    unset = token_hint(Settings(_env_file=None), base)
    assert "FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD" in unset and "create-admin" in unset
    assert f"curl -s -X POST {base}/api/auth/token" in unset
    configured = Settings(
        _env_file=None, first_admin_email="a@example.com", first_admin_password=SecretStr("x" * 9)
    )
    hint = token_hint(configured, base)
    assert "-d username=a@example.com" in hint and '"$FIRST_ADMIN_PASSWORD"' in hint
    assert "x" * 9 not in hint  # never the password itself
