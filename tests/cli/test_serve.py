"""`storefront serve` as a real process: metrics summed over workers, graceful shutdown."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.live.server import free_port, stop, wait_until_live

STOREFRONT = str(Path(sys.executable).parent / "storefront")


@contextmanager
def serving(tmp_path: Path, *args: str, **env: str) -> Iterator[tuple[subprocess.Popen, str]]:
    """`storefront serve` on a free port in `tmp_path` (no .env), until it answers."""
    port = free_port()
    environ = {
        **os.environ,
        "LOG_FORMAT": "json",
        "RATE_LIMIT_ENABLED": "false",
        **env,
    }
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [STOREFRONT, "serve", "--port", str(port), *args],
        cwd=tmp_path,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(url, proc, tmp_path / "serve.log")
        yield proc, url
    finally:
        stop(proc, signal.SIGTERM, 30)
        log.close()


def requests_in_file(path: Path) -> float:
    """http_requests_total of one worker's counter file, /metrics scrapes left out."""
    total = 0.0
    for metric in MultiProcessCollector.merge([str(path)]):
        for sample in metric.samples:
            if sample.name == "http_requests_total" and sample.labels["route"] != "/metrics":
                total += sample.value
    return total


def scraped_requests(text: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith("http_requests_total{") and 'route="/metrics"' not in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_two_workers_metrics_totals_equal_the_requests_sent(tmp_path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale file of an earlier run")
    with serving(
        tmp_path,
        "--workers",
        "2",
        STORAGE_BACKEND="memory",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    ) as (_, url):
        assert not (metrics_dir / "counter_999999.db").exists()  # emptied at start
        # probes before the count (readiness) are counted too: start from the scrape
        before = scraped_requests(httpx.get(f"{url}/metrics").text)
        sent = 0
        # a new connection per request, until both workers have answered some
        while sent < 400:
            for path in ("/health/live", "/api/products/", f"/api/products/{'0' * 24}"):
                with httpx.Client(headers={"Connection": "close"}) as client:
                    client.get(f"{url}{path}")
                sent += 1
            files = list(metrics_dir.glob("counter_*.db"))
            if sent >= 60 and sum(requests_in_file(f) > 0 for f in files) >= 2:
                break
        workers_that_served = [f for f in metrics_dir.glob("counter_*.db") if requests_in_file(f)]
        assert len(workers_that_served) == 2
        scraped = scraped_requests(httpx.get(f"{url}/metrics").text)
        assert scraped - before == sent
        assert "http_requests_in_flight" in httpx.get(f"{url}/metrics").text
    log = (tmp_path / "serve.log").read_text()
    assert 'HTTP/1.1" 200' not in log  # no uvicorn access line: ours only, one per request
    access = [line for line in log.splitlines() if '"logger":"storefront.access"' in line]
    assert len(access) >= sent


def test_serve_makes_and_removes_its_own_metrics_directory(tmp_path):
    before = {p.name for p in Path("/tmp").glob("storefront-metrics-*")}
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
        with serving(tmp_path, "--workers", "2", STORAGE_BACKEND="memory") as (_, url):
            made = {p.name for p in Path("/tmp").glob("storefront-metrics-*")} - before
            assert len(made) == 1
            assert httpx.get(f"{url}/metrics").status_code == 200
    assert not ({p.name for p in Path("/tmp").glob("storefront-metrics-*")} - before)


async def test_sigterm_lets_requests_in_flight_finish_and_the_sqlite_writer_drain(tmp_path):
    db = tmp_path / "store.db"
    # real argon2 cost, so the sign-ups are still being hashed when SIGTERM arrives
    with serving(tmp_path, STORAGE_BACKEND="sqlite", SQLITE_PATH=str(db)) as (proc, url):
        done_at: list[float] = []

        async def sign_up(client: httpx.AsyncClient, n: int):
            body = {"username": f"late{n}", "email": f"l{n}@example.com", "password": "pw-1234567"}
            try:
                response = await client.post(f"{url}/api/users/", json=body, timeout=30)
            except httpx.TransportError as exc:
                return exc
            done_at.append(time.monotonic())
            return response

        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=100)) as client:
            tasks = [asyncio.create_task(sign_up(client, n)) for n in range(24)]
            await asyncio.sleep(0.4)
            signalled = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            results = await asyncio.gather(*tasks)
        assert await asyncio.to_thread(proc.wait, 30) in (0, -signal.SIGTERM)

    created = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 201]
    others = [r for r in results if isinstance(r, httpx.Response) and r.status_code != 201]
    assert not others, [(r.status_code, r.text) for r in others]
    assert any(t > signalled for t in done_at), "no request was in flight at SIGTERM"
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM users").fetchone()
    assert stored == len(created)  # every acknowledged write is there, none half-done
    log = (tmp_path / "serve.log").read_text()
    events = [json.loads(line).get("event") for line in log.splitlines() if line.startswith("{")]
    assert "Application shutdown complete." in events


async def test_sigterm_closes_the_postgres_pool(tmp_path, postgres_url, postgres_schema):
    name = f"storefront-shutdown-{postgres_schema}"
    with serving(
        tmp_path,
        STORAGE_BACKEND="postgres",
        POSTGRES_URL=postgres_url,
        POSTGRES_SCHEMA=postgres_schema,
        POSTGRES_APPLICATION_NAME=name,
        POSTGRES_MIN_POOL_SIZE="2",
        JWT_SECRET="x" * 40,
    ) as (proc, url):
        async with httpx.AsyncClient() as client:
            for _ in range(5):
                assert (await client.get(f"{url}/api/products/")).status_code == 200
        admin = await asyncpg.connect(postgres_url)
        try:
            query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
            assert await admin.fetchval(query, name) >= 1
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 30) in (0, -signal.SIGTERM)
            for _ in range(50):  # the server may take a moment to see a closed connection go
                if await admin.fetchval(query, name) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await admin.fetchval(query, name) == 0
        finally:
            await admin.close()
