"""50 concurrent sign-ups against a served app: server memory and liveness latency.

    .venv/bin/python bench/signup_storm.py [--signups 50] [--backend sqlite]
        [--hash-concurrency N]   # PASSWORD_HASH_CONCURRENCY for the server (default: CPU count)

Starts `storefront serve` (one uvicorn worker, production argon2id cost: t=3, 64 MiB) on a
throwaway store, measures its RSS at idle, then sends the sign-ups all at once while probing
`GET /health/live` every 10 ms. Prints the server's RSS growth over idle (peak, sampled every
10 ms from /proc; target < 200 MB) and the p50/p99 of /health/live during the storm (target
p99 < 100 ms). A figure, never a pass/fail test.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time

import httpx

from _server import BIN, ROOT, free_port, wait_ready


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.01)


async def storm(base: str, signups: int) -> dict:
    live: list[float] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=signups + 5)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                (await client.get("/health/live")).raise_for_status()
                live.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)

        async def sign_up(n: int) -> int:
            body = {"email": f"storm{n}@example.com", "username": f"storm{n}", "password": "p" * 12}
            return (await client.post("/api/users/", json=body)).status_code

        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.2)  # a few idle probes first
        started = time.perf_counter()
        codes = await asyncio.gather(*(sign_up(n) for n in range(signups)))
        seconds = time.perf_counter() - started
        done.set()
        await prober
    q = statistics.quantiles(live, n=100)
    return {
        "created": codes.count(201),
        "seconds": seconds,
        "probes": len(live),
        "p50": q[49],
        "p99": q[98],
        "max": max(live),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signups", type=int, default=50)
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "memory"])
    parser.add_argument("--hash-concurrency", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "STORAGE_BACKEND": args.backend,
            "SQLITE_PATH": f"{tmp}/storm.db",
            "LOG_LEVEL": "WARNING",
        }
        if args.hash_concurrency:
            env["PASSWORD_HASH_CONCURRENCY"] = str(args.hash_concurrency)
        port = free_port()
        proc = subprocess.Popen(
            [str(BIN / "storefront"), "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base + "/health/ready")
            # warm: one sign-up (the first argon2 hash maps its memory once) and a few reads
            httpx.post(
                base + "/api/users/",
                json={"email": "warm@example.com", "username": "warm", "password": "p" * 12},
                timeout=30,
            ).raise_for_status()
            for _ in range(20):
                httpx.get(base + "/health/live")
            time.sleep(0.5)
            idle = rss_mb(proc.pid)
            sampler = RssSampler(proc.pid)
            sampler.start()
            result = asyncio.run(storm(base, args.signups))
            sampler.running = False
            sampler.join()
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    concurrency = args.hash_concurrency or os.cpu_count()
    print(
        f"{args.signups} concurrent sign-ups on {args.backend} "
        f"(argon2id t=3 64 MiB, PASSWORD_HASH_CONCURRENCY={concurrency}, {os.cpu_count()} CPUs)"
    )
    print(f"  created {result['created']}/{args.signups} in {result['seconds']:.2f} s")
    growth = sampler.peak - idle
    print(
        f"  server RSS: idle {idle:.0f} MB, peak {sampler.peak:.0f} MB, "
        f"growth {growth:.0f} MB (target < 200)"
    )
    print(
        f"  /health/live during the storm: p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms (target < 100), max {result['max']:.1f} ms, "
        f"{result['probes']} probes"
    )


if __name__ == "__main__":
    main()
