"""Where the JWT signing secret comes from: JWT_SECRET, or (SQLite/memory only) a generated one."""

import logging
import os
import secrets
from pathlib import Path

from adapters.tokens import MIN_SECRET_BYTES
from entrypoints.settings import Backend, Settings

log = logging.getLogger(__name__)
_PROCESS: dict[str, str] = {}  # the memory store's secret: one per process


class SecretConfigError(RuntimeError):
    """A one-line, human-readable reason the service cannot start."""


def secret_path(settings: Settings) -> Path:
    """The generated secret's file, beside the SQLite database."""
    return Path(f"{settings.sqlite_path}.jwt-secret")


def jwt_secret(settings: Settings) -> str:
    """JWT_SECRET when set (>= 32 bytes, else SecretConfigError). Unset: on mongo/postgres a
    SecretConfigError (several instances must share one secret, so none is invented); on
    SQLite a random secret made at first start and kept 0600 beside the database; on memory
    a random secret for this process. Either way a warning says so."""
    if settings.jwt_secret is not None and settings.jwt_secret.get_secret_value():
        secret = settings.jwt_secret.get_secret_value()
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SecretConfigError(
                f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes; make one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return secret
    backend = settings.storage_backend
    if backend in (Backend.MONGO, Backend.POSTGRES):
        raise SecretConfigError(
            f"JWT_SECRET is not set: STORAGE_BACKEND={backend.value} needs it (>= "
            f"{MIN_SECRET_BYTES} bytes, the same on every instance); make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if backend is Backend.MEMORY:
        if "secret" not in _PROCESS:
            _PROCESS["secret"] = secrets.token_urlsafe(48)
            log.warning("JWT_SECRET is not set: using a random secret for this process only")
        return _PROCESS["secret"]
    return _file_secret(secret_path(settings))


def _file_secret(path: Path) -> str:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read(path)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    log.warning("JWT_SECRET is not set: generated one and kept it in %s (mode 0600)", path)
    return secret


def _read(path: Path) -> str:
    secret = path.read_text().strip()
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise SecretConfigError(f"{path} holds a JWT secret shorter than {MIN_SECRET_BYTES} bytes")
    return secret
