"""`storefront serve` as users start it, on a free port, for tests that need a real server
(raw sockets, the server's own limits, schemathesis)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL, ADMIN_USERNAME, ADMIN_PASSWORD = "admin@example.com", "admin", "admin-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def admin_token(self) -> str:
        """A bearer token of the first admin (created at start-up from FIRST_ADMIN_*)."""
        response = httpx.post(
            f"{self.url}/api/auth/token",
            data={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD},
            headers={"host": "localhost"},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def rss_kib(self) -> int:
        """The server process's resident memory (Linux /proc), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


@contextmanager
def live_server(tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    """Serve the app (SQLite in tmp_path unless env says otherwise) until the block ends."""
    port = free_port()
    log = tmp_path / "server.log"
    values = {
        "STORAGE_BACKEND": "sqlite",
        "SQLITE_PATH": str(tmp_path / "live.db"),
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_ENABLED": "false",  # these servers take bursts from one address
        "JWT_SECRET": "live-server-test-secret-" + "x" * 32,
        "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
        "FIRST_ADMIN_USERNAME": ADMIN_USERNAME,
        "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from entrypoints.cli import app; app()",
                "serve",
                "--port",
                str(port),
            ],
            env={**os.environ, **values},
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(url, process, log)
        yield LiveServer(url, port, process, log)
    finally:
        stop(process, signal.SIGINT, 10)


def wait_until_live(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    """Poll `GET {url}/health/live` until it answers 200; AssertionError with the tail of
    `log` when the process exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def stop(process: subprocess.Popen, sig: signal.Signals, seconds: float) -> None:
    """Send `sig` to a still-running `process`, wait `seconds` for it to exit, then kill it."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
