"""Shared bench helpers: start servers as users would, measure with wrk or httpx."""

import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from _postgres import fresh_database_sync

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 30, poll_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll_s)
    raise RuntimeError(f"{url} did not answer in {timeout} s")


class Server(str):
    """A running server's base URL (a str, as before) that also knows its process id."""

    pid: int
    ready_s: float  # from process start to the first 200 of the ready path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident set size of a process now, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@contextmanager
def serve(args: list[str], env: dict[str, str], ready_path: str = "/health/ready"):
    """Run a server process (one worker) on a free port; yields its base URL (a Server)."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [*args, "--port", str(port)],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = Server(f"http://127.0.0.1:{port}")
    base.pid = proc.pid
    try:
        wait_ready(base + ready_path, poll_s=0.01)
        base.ready_s = time.monotonic() - started
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


ADMIN_EMAIL, ADMIN_PASSWORD = "bench@example.com", "bench-admin-password"
RAISED = str(10**9)
# as deployed (Dockerfile, docker-compose.yml): JSON access lines at INFO (to /dev/null here),
# metrics and rate limits on the path; the limits are raised, not removed, since wrk sends
# everything from one address (and the bench logs thousands of users in)
PRODUCTION = {
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
    "RATE_LIMIT_ENABLED": "true",
    "RATE_LIMIT_PER_MINUTE": RAISED,
    "RATE_LIMIT_LOGIN_PER_MINUTE": RAISED,
    "RATE_LIMIT_SIGNUP_PER_MINUTE": RAISED,
    "ACCESS_TOKEN_MINUTES": "120",  # no token expires during a run
}


def admin_headers(base: str) -> dict[str, str]:
    """`Authorization: Bearer ...` of the admin every `storefront()` server starts with."""
    form = {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    response = httpx.post(f"{base}/api/auth/token", data=form, timeout=30).raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def bearer_tokens(base: str, logins: list[tuple[str, str]]) -> list[str]:
    """`Bearer <jwt>` for each (username or email, password), logged in 32 at a time."""
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one(login: str, password: str) -> str:
            form = {"username": login, "password": password}
            response = (await client.post("/api/auth/token", data=form)).raise_for_status()
            return f"Bearer {response.json()['access_token']}"

        tokens: list[str] = []
        for start in range(0, len(logins), 256):
            chunk = logins[start : start + 256]
            tokens += await asyncio.gather(*(one(*pair) for pair in chunk))
    return tokens


def wrk_authorized(url: str, requests: list[tuple[str, str]], seconds: int, connections: int):
    """wrk GETs of (path, Authorization value) pairs, round-robin: each request carries its
    own caller's token (see `wrk_script` for what is returned)."""
    listed = ",".join(f'{{"{path}","{auth}"}}' for path, auth in requests)
    script = (
        f"local reqs = {{{listed}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #reqs + 1\n"
        "  return wrk.format('GET', reqs[i][1], {['Authorization'] = reqs[i][2]})\nend\n"
    )
    return wrk_script(url, script, seconds, connections)


@contextmanager
def storefront(backend: str, **extra_env: str):
    """`storefront serve` on a backend, with a throwaway SQLite file or PostgreSQL database,
    and an admin (FIRST_ADMIN_*; see `admin_headers`)."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        env = {
            "STORAGE_BACKEND": backend,
            "SQLITE_PATH": f"{tmp}/bench.db",
            "JWT_SECRET": "bench-only-jwt-secret-0123456789abcdef",
            "FIRST_ADMIN_EMAIL": ADMIN_EMAIL,
            "FIRST_ADMIN_PASSWORD": ADMIN_PASSWORD,
            **PRODUCTION,
            **extra_env,
        }
        if backend == "postgres":
            env["POSTGRES_URL"] = stack.enter_context(fresh_database_sync())
        with serve([str(BIN / "storefront"), "serve"], env) as base:
            yield base


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def wrk_script(url: str, script: str, seconds: int, connections: int, allow_non_2xx=False):
    """Run wrk with a Lua `script`; throughput, p50/p99 latency and non-2xx answers, and, when
    `url` is a Server, the server's CPU seconds per 1,000 requests (steadier than rps on a
    shared machine: it does not count what other processes take)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    pid = getattr(url, "pid", None)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", file.name, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(file.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx and not allow_non_2xx:
        raise RuntimeError(f"non-2xx answers while benchmarking {url}:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    cpu = (cpu_seconds(pid) - cpu_before) if pid else float("nan")
    return {
        "cpu_s_per_1k": cpu / requests * 1000 if requests else float("nan"),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+(\S+)", out).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+(\S+)", out).group(1)),
        "requests": requests,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def wrk(
    url: str, paths: list[str], seconds: int, connections: int, headers: dict | None = None
) -> dict[str, float]:
    """Throughput and p50/p99 latency from wrk, requesting `paths` round-robin."""
    listed = ",".join(f'"{p}"' for p in paths)
    sets = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in (headers or {}).items())
    script = (
        f"{sets}local paths = {{{listed}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        "  return wrk.format('GET', paths[i])\nend\n"
    )
    return wrk_script(url, script, seconds, connections)


async def _httpx_load(url: str, paths: list[str], seconds: int, connections: int, headers=None):
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers) as client:

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.get(paths[i % len(paths)])
                response.raise_for_status()
                latencies.append((time.perf_counter() - started) * 1000)
                i += connections

        started = time.monotonic()
        await asyncio.gather(*(worker(n) for n in range(connections)))
        elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50_ms": q[49], "p99_ms": q[98]}


def load(
    url: str, paths: list[str], seconds: int = 5, connections: int = 64, headers=None
) -> dict[str, float]:
    """wrk when it is installed (it leaves the CPU to the server), else an httpx client."""
    if shutil.which("wrk"):
        return wrk(url, paths, seconds, connections, headers)
    return asyncio.run(_httpx_load(url, paths, seconds, min(connections, 32), headers))


def table(rows: list[dict], columns: list[str]) -> str:
    widths = [max(len(c), *(len(f"{r[c]}") for r in rows)) for c in columns]
    line = lambda values: "  ".join(f"{v}".rjust(w) for v, w in zip(values, widths, strict=True))  # noqa: E731
    return "\n".join(
        [line(columns), line(["-" * w for w in widths])]
        + [line([r[c] for c in columns]) for r in rows]
    )
