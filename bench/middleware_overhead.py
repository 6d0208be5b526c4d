"""What our middleware stack costs per request: the same app with and without it, under wrk.

Usage: python bench/middleware_overhead.py [--seconds 5] [--connections 64] [--rounds 2]
Variants (memory store, one uvicorn worker, access lines on at INFO into /dev/null as JSON):
  bare      the app with our wrapping removed (no request id, access line, metrics, limits)
  observe   + ObserveMiddleware (request id, access line, HTTP metrics)
  limited   + RateLimitMiddleware on the in-process storage (a limit never reached)
  redis     + RateLimitMiddleware on Redis (REDIS_URL, default the local server)
Routes: GET /health/live (no store) and GET /api/products/{id} (a store read, 404).
Figures, never pass/fail; rounds alternate the variants so machine noise spreads evenly.

Then the same variants in process (ASGI calls, no sockets, no wrk): microseconds per request,
best of the rounds, which is steadier than wrk on a busy machine.
"""

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import types
import uuid

from entrypoints.http.app import create_app
from entrypoints.settings import Settings

from _server import BIN, serve

NEVER = 10**9
DEVNULL = open(os.devnull, "w")  # noqa: SIM115 - the access lines of the in-process runs


def _app(**overrides):
    values = {"storage_backend": "memory", "log_format": "json", "rate_limit_per_minute": NEVER}
    return create_app(Settings(_env_file=None, **(values | overrides)))


def bare():
    app = _app(rate_limit_enabled=False)
    app.build_middleware_stack = types.MethodType(type(app).build_middleware_stack, app)
    return app


def observe():
    return _app(rate_limit_enabled=False)


def limited():
    return _app()


def redis():
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    return _app(redis_url=url, rate_limit_key_prefix=f"bench-{uuid.uuid4().hex[:8]}")


VARIANTS = ["bare", "observe", "limited", "redis"]
ROUTES = ["/health/live", "/api/products/" + "0" * 24]


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx and "/api/products/" not in url:
        raise RuntimeError(f"{non2xx[1]} errors from {url}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])


async def in_process(variant: str, path: str, n: int) -> float:
    """Microseconds per request of `variant` answering `path`, called directly (ASGI)."""
    from asgi_lifespan import LifespanManager

    from entrypoints.logs import configure_logging

    app = globals()[variant]()
    configure_logging("INFO", "json", stream=DEVNULL)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    async with LifespanManager(app) as manager:
        for _ in range(500):
            await manager.app(dict(scope), receive, send)
        started = time.process_time()  # CPU time: other processes' load does not count
        for _ in range(n):
            await manager.app(dict(scope), receive, send)
        return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--in-process-only", action="store_true")
    args = parser.parse_args()
    if args.in_process_only:
        report_in_process(args.rounds)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    results: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            command = [
                str(BIN / "uvicorn"), f"middleware_overhead:{variant}", "--factory",
                "--app-dir", os.path.dirname(__file__), "--no-access-log",
                "--log-level", "warning",
            ]  # fmt: skip
            with serve(command, {}, ready_path="/health/live") as base:
                for route in ROUTES:
                    rps = wrk(base + route, args.seconds, args.connections)
                    results.setdefault((variant, route), []).append(rps)
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, best of {args.rounds} rounds")
    print(f"{'variant':<10}" + "".join(f"{route[:28]:>32}" for route in ROUTES))
    for variant in VARIANTS:
        row = ""
        for route in ROUTES:
            best = max(results[(variant, route)])
            base = max(results[("bare", route)])
            row += f"{best:>14,.0f} rps ({(best / base - 1) * 100:+5.1f}%)".rjust(32)
        print(f"{variant:<10}{row}")
    report_in_process(args.rounds)


def report_in_process(rounds: int) -> None:
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for variant in VARIANTS:
            for route in ROUTES:
                us = asyncio.run(in_process(variant, route, 5000))
                timings.setdefault((variant, route), []).append(us)
    print(f"in process (ASGI calls), CPU microseconds per request, best of {rounds} rounds")
    print(f"{'variant':<10}" + "".join(f"{route[:28]:>32}" for route in ROUTES))
    for variant in VARIANTS:
        row = ""
        for route in ROUTES:
            best = min(timings[(variant, route)])
            base = min(timings[("bare", route)])
            row += f"{best:>12.1f} us ({best - base:+6.1f} us)".rjust(32)
        print(f"{variant:<10}{row}")


if __name__ == "__main__":
    main()
