"""A MongoDB server dies under a running app and comes back: the app answers 503 (within the
server selection timeout) while it is gone, recovers by itself when the server returns on the
same port and storage, and every write it acknowledged is there. The server is SecantusDB in a
process of its own, killed with SIGKILL (no clean shutdown), on both drivers.

The URL asks for journaled writes (`journal=true`, i.e. writeConcern j: true). A mongod replica
set journals acknowledged writes by default (default write concern w: "majority", with
writeConcernMajorityJournalDefault true); SecantusDB 0.7.0b3 does not: without j: true it
acknowledged writes that a SIGKILL then lost (observed here: a user answered 201 was gone
after the restart). j: true is MongoDB's documented way to ask for that acknowledgment."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entrypoints.http.app import create_app
from tests.conftest import REAL_MONGO_LEGS, make_settings
from tests.http.conftest import FIRST_ADMIN, open_client
from tests.mongo_server import SECANTUS_REPLICA_SET, _mongo_unavailable

pytestmark = pytest.mark.mongo
ROOT = Path(__file__).resolve().parents[2]
SELECTION_TIMEOUT_MS = 800
UNAVAILABLE = {"detail": "Database connection unavailable", "code": "unavailable"}


class ServerProcess:
    """SecantusDB in a child process: `start` (on a port, or a new one), `kill` (SIGKILL)."""

    def __init__(self, storage: Path) -> None:
        self.storage, self.port, self.process = storage, 0, None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.secantus_process", str(self.storage), str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.port = int(self.process.stdout.readline())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(params=list(REAL_MONGO_LEGS))
def leg(request) -> str:
    try:
        import secantus  # noqa: F401
    except ImportError as exc:
        _mongo_unavailable(f"the outage test needs SecantusDB to kill and restart ({exc})")
    return request.param


@pytest.fixture
def server(tmp_path):
    server = ServerProcess(tmp_path / "secantusdb")
    server.start()
    yield server
    server.kill()


async def timed(call) -> tuple[float, object]:
    started = time.monotonic()
    response = await call
    return time.monotonic() - started, response


async def test_the_app_rides_out_a_server_outage(leg, server, tmp_path):
    settings = make_settings(
        leg,
        tmp_path,
        mongodb_url=(
            f"mongodb://127.0.0.1:{server.port}/?replicaSet={SECANTUS_REPLICA_SET}&journal=true"
        ),
        mongodb_server_selection_timeout_ms=SELECTION_TIMEOUT_MS,
        mongodb_connect_timeout_ms=500,
        mongodb_socket_timeout_ms=3000,
        **FIRST_ADMIN,
    )
    limit = SELECTION_TIMEOUT_MS / 1000 + 1.0  # the selection timeout, plus a margin
    acknowledged: list[str] = []
    refused = 0
    async for client in open_client(create_app(settings), as_admin=True):

        async def create_user(n: int, client=client) -> None:
            nonlocal refused
            body = {"email": f"u{n}@example.com", "username": f"user{n}", "password": "x" * 8}
            response = await client.post("/api/users/", json=body)
            if response.status_code == 201:
                acknowledged.append(response.json()["_id"])
            else:
                assert (response.status_code, response.json()) == (503, UNAVAILABLE)
                refused += 1

        product = (
            await client.post("/api/products/", json={"sku": "P", "name": "P", "price": 2})
        ).json()
        await client.put(f"/api/inventory/{product['_id']}", json={"quantity": 100})
        user = (
            await client.post(
                "/api/users/",
                json={"email": "o@example.com", "username": "orderer", "password": "x" * 8},
            )
        ).json()
        acknowledged.append(user["_id"])
        order = {"user_id": user["_id"], "items": [{"product_id": product["_id"], "quantity": 3}]}
        placed = await client.post("/api/orders/", json=order)
        assert placed.status_code == 201, placed.text
        for n in range(20):
            await create_user(n)

        # writes in flight while the server dies
        writers = [asyncio.create_task(create_user(n)) for n in range(100, 140)]
        await asyncio.sleep(0)
        await asyncio.to_thread(server.kill)
        await asyncio.gather(*writers)

        took, ready = await timed(client.get("/health/ready"))
        assert ready.status_code == 503 and took < limit, (ready.status_code, took)
        answers = await asyncio.gather(
            timed(client.get("/api/users/")),
            timed(client.get(f"/api/products/{product['_id']}")),
            timed(client.post("/api/orders/", json=order)),
        )
        for took, response in answers:
            assert (response.status_code, response.json()) == (503, UNAVAILABLE)
            assert took < limit, took
        health = (await client.get("/health")).json()
        assert health["database"] == {"status": "down", "latency_ms": None}

        await asyncio.to_thread(server.start)  # same port, same storage
        deadline = time.monotonic() + 15
        while (await client.get("/health/ready")).status_code != 200:
            assert time.monotonic() < deadline, "the app did not recover within 15 s"
            await asyncio.sleep(0.1)

        for user_id in acknowledged:
            response = await client.get(f"/api/users/{user_id}")
            assert response.status_code == 200, (user_id, response.text)
        stored = (await client.get(f"/api/orders/{placed.json()['_id']}")).json()
        assert stored == placed.json()
        orders = await client.get("/api/orders/", params={"user_id": user["_id"]})
        sold = sum(line["quantity"] for o in orders.json() for line in o["items"])
        stock = (await client.get(f"/api/inventory/{product['_id']}")).json()["quantity"]
        assert stock == 100 - sold  # each order and its stock change: both or neither
        await create_user(999)  # and it writes again
        assert acknowledged[-1] and refused >= 0
    assert len(acknowledged) >= 22
