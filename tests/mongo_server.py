"""The real-wire MongoDB server of a test run, decided once per session, in this order:

1. `MONGODB_URL` (a real mongod you run; CI's GitHub workflow does);
2. testcontainers, when a Docker engine answers (mongo:8.0 as a single-node replica set);
3. SecantusDB, started in this process: a MongoDB wire-protocol server over WiredTiger
   (PyPI `secantusdb`, GPL-2.0, a test-only dependency), on 127.0.0.1, an OS-chosen port, a
   temporary storage directory and a replica-set name, so sessions and transactions work.
   `SECANTUSDB=0` turns this fallback off (the legs then skip, or fail in CI).

What the server cannot do is asked of the server (capability probes on a scratch database),
never inferred from its name; tests that need it skip with what the server answered.
At the end of the run no `storefront_test_*` database may remain (checked, then dropped).
"""

import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

import pytest

MONGO_SKIP = "real MongoDB leg skipped"
DB_PREFIX = "storefront_test_"
RUN_TOKEN = uuid.uuid4().hex[:6]  # names this run's databases apart from other runs'
SECANTUS_REPLICA_SET = "rs0"
REAL_MONGO_DRIVERS = {"mongo": "pymongo", "mongo-motor": "motor"}


def _mongo_unavailable(reason: str) -> NoReturn:
    """Skip the real-Mongo legs, or fail them where they must run (CI, MONGODB_REQUIRED=1)."""
    if os.environ.get("MONGODB_REQUIRED", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"MONGODB_REQUIRED is set but {reason}", pytrace=False)
    if os.environ.get("CI"):
        pytest.fail(f"the real MongoDB legs must run in CI, but {reason}", pytrace=False)
    pytest.skip(f"{MONGO_SKIP}: {reason}")


def fresh_database_name() -> str:
    """A database name of this run's own: storefront_test_<run>_<random>."""
    return f"{DB_PREFIX}{RUN_TOKEN}_{uuid.uuid4().hex[:10]}"


def secantus_disabled() -> bool:
    return os.environ.get("SECANTUSDB", "").lower() in {"0", "false", "no", "off"}


def mongo_server_choice() -> str:
    """One line for the report header: where the real-wire legs will find their server."""
    if os.environ.get("MONGODB_URL"):
        return "MONGODB_URL"
    fallback = "nothing" if secantus_disabled() else "SecantusDB started in-process"
    return f"testcontainers if a Docker engine answers, else {fallback}"


@dataclass
class Capabilities:
    """None where the server can, else what it answered when the probe asked."""

    text_search: str | None = None
    failpoints: str | None = None
    covered_scan: str | None = None
    ne_index_bounds: str | None = None
    partial_index: str | None = None


@dataclass
class RealWire:
    """What this run's real-wire legs ran on, and how they fared (for the summary)."""

    server: str = ""
    started_in_s: float | None = None
    capabilities: Capabilities | None = None
    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))


REAL_WIRE = RealWire()


def start_secantus(storage_path: str, port: int = 0) -> Any:
    """An in-process SecantusDB on 127.0.0.1 (port 0: the OS picks), a single-node replica set
    named rs0 over WiredTiger files in `storage_path`; `.stop()` shuts it down."""
    from secantus import SecantusDBServer

    server = SecantusDBServer(
        host="127.0.0.1",
        port=port,
        storage_path=storage_path,
        replica_set_name=SECANTUS_REPLICA_SET,
        ttl_sweep_seconds=3600.0,  # no TTL sweeps under the tests' feet
    )
    server.start()
    return server


def secantus_url(server: Any) -> str:
    host, port = server.address
    return f"mongodb://{host}:{port}/?replicaSet={SECANTUS_REPLICA_SET}"


def secantus_version() -> str:
    from importlib.metadata import version

    return version("secantusdb")


def probe_capabilities(client: Any) -> Capabilities:
    """Ask the server (a sync PyMongo client) on a scratch database, then drop it."""
    from pymongo import TEXT
    from pymongo.errors import OperationFailure

    found = Capabilities()
    name = f"{DB_PREFIX}{RUN_TOKEN}_probe"
    scratch = client[name]["probe"]
    client.admin.command("ping")  # a server that does not answer fails here, with nothing to drop
    try:
        try:
            scratch.create_index([("text", TEXT)], name="probe_text")
        except OperationFailure as exc:
            said = (exc.details or {}).get("errmsg") or str(exc)
            code = (exc.details or {}).get("codeName") or exc.code
            found.text_search = (
                f"the server cannot run $text: creating a text index on a scratch collection "
                f"answered {code}: {said}"
            )
        try:
            client.admin.command("configureFailPoint", "failCommand", mode="off")
        except OperationFailure as exc:
            found.failpoints = (
                "the server has no failCommand failpoint (a test command; mongod needs "
                f"--setParameter enableTestCommands=1): configureFailPoint answered {exc}"
            )
        for capability, reason in probe_planner(client[name]).items():
            setattr(found, capability, reason)
    finally:
        client.drop_database(name)
    return found


def _plan(explain: dict) -> tuple[set[str], set[str]]:
    """Stages and index names anywhere in an explain's winning plans."""
    stages: set[str] = set()
    indexes: set[str] = set()

    def walk(node: Any, winning: bool) -> None:
        if isinstance(node, dict):
            if winning and isinstance(node.get("stage"), str):
                stages.add(node["stage"])
            if winning and isinstance(node.get("indexName"), str):
                indexes.add(node["indexName"])
            for key, value in node.items():
                if key != "rejectedPlans":
                    walk(value, winning or key == "winningPlan")
        elif isinstance(node, list):
            for value in node:
                walk(value, winning)

    walk(explain, False)
    return stages, indexes


def probe_planner(db: Any) -> dict[str, str | None]:
    """Three planner behaviours of MongoDB's the explain tests assert, each asked of the server
    with explain on a scratch collection: None where it behaves so, else what explain showed."""
    from pymongo import ASCENDING

    coll = db["planner"]
    coll.insert_many(
        {"a": n % 3, "b": n % 2 == 0, "s": ("x", "y", "z")[n % 3], "pad": "x" * 50}
        for n in range(300)
    )
    coll.create_index([("a", ASCENDING), ("b", ASCENDING)], name="a_b")
    coll.create_index([("s", ASCENDING), ("a", ASCENDING)], name="s_a")
    coll.create_index(
        [("b", ASCENDING), ("a", ASCENDING)],
        name="partial_b",
        partialFilterExpression={"b": False},
    )

    def verdict(what: str, explain: dict, index: str, refused: tuple[str, ...]) -> str | None:
        stages, indexes = _plan(explain)
        if index in indexes and not stages & set(refused):
            return None
        shown = ", ".join(sorted(stages)) or "no stages"
        return (
            f"the server's planner does not make {what}: explain of a probe on a scratch "
            f"collection shows {shown} and indexes {sorted(indexes) or 'none'}, not {index}"
        )

    group = [{"$sort": {"a": 1}}, {"$group": {"_id": "$a", "n": {"$sum": {"$cond": ["$b", 1, 0]}}}}]
    ne = [{"$match": {"s": {"$ne": "x"}}}, {"$group": {"_id": "$a", "n": {"$sum": 1}}}]
    partial = {"b": False}  # only partial_b has b as its prefix
    return {
        "covered_scan": verdict(
            "covered index scans ($sort+$group reading only indexed fields)",
            db.command("aggregate", "planner", pipeline=group, explain=True),
            "a_b",
            ("COLLSCAN", "FETCH"),
        ),
        "ne_index_bounds": verdict(
            "index bounds for $ne (a $match on {field: {$ne: value}})",
            db.command("aggregate", "planner", pipeline=ne, explain=True),
            "s_a",
            ("COLLSCAN",),
        ),
        "partial_index": verdict(
            "plans on a partial index for a query within its filter",
            db.command(
                "explain",
                {"delete": "planner", "deletes": [{"q": partial, "limit": 0}]},
                verbosity="queryPlanner",
            ),
            "partial_b",
            ("COLLSCAN",),
        ),
    }


def leftover_databases(client: Any, prefix: str) -> list[str]:
    return sorted(n for n in client.list_database_names() if n.startswith(prefix))


def _admin_client(url: str) -> Any:
    from pymongo import MongoClient

    return MongoClient(url, serverSelectionTimeoutMS=10000, tz_aware=True)


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory) -> Iterator[str]:
    """The real server's URL (see the module docstring), started once per run; a skip saying
    why (or a failure in CI) when there is none. At the end: no test database may remain."""
    from tests.mongo_container import docker_problem, replica_set

    if url := os.environ.get("MONGODB_URL"):
        REAL_WIRE.server = "MONGODB_URL"
        yield from _serve(url, own_server=False)
        return
    problem = docker_problem()
    if problem is None:
        started = time.monotonic()
        with replica_set() as url:
            REAL_WIRE.server = "testcontainers (a mongod replica set)"
            REAL_WIRE.started_in_s = time.monotonic() - started
            yield from _serve(url, own_server=True)
        return
    if secantus_disabled():
        _mongo_unavailable(f"MONGODB_URL is not set, {problem}, and SECANTUSDB=0")
    try:
        import secantus  # noqa: F401
    except ImportError as exc:
        _mongo_unavailable(
            f"MONGODB_URL is not set, {problem}, and SecantusDB is not installed ({exc}; "
            "`make install` installs the dev extra)"
        )
    started = time.monotonic()
    server = start_secantus(str(tmp_path_factory.mktemp("secantusdb")))
    REAL_WIRE.server = f"SecantusDB {secantus_version()} in-process at {server.uri}"
    REAL_WIRE.started_in_s = time.monotonic() - started
    try:
        yield from _serve(secantus_url(server), own_server=True)
    finally:
        server.stop()


def _serve(url: str, *, own_server: bool) -> Iterator[str]:
    from pymongo.errors import ConnectionFailure

    client = _admin_client(url)
    try:
        try:
            REAL_WIRE.capabilities = probe_capabilities(client)
        except ConnectionFailure as exc:
            _mongo_unavailable(f"{REAL_WIRE.server} does not answer ({type(exc).__name__}: {exc})")
        yield url
        # on a server of our own every test database counts; on MONGODB_URL's, this run's
        prefix = DB_PREFIX if own_server else f"{DB_PREFIX}{RUN_TOKEN}_"
        left = leftover_databases(client, prefix)
        for name in left:
            client.drop_database(name)
        assert not left, f"test databases left on the MongoDB server after the run: {left}"
    finally:
        client.close()


@pytest.fixture(scope="session")
def mongo_admin(mongo_url) -> Iterator[Any]:
    """A synchronous PyMongo client for fixtures' set-up and clean-up (no event loop needed)."""
    client = _admin_client(mongo_url)
    yield client
    client.close()


@pytest.fixture
def mongo_database(mongo_admin) -> Iterator[str]:
    """A database name for one test; dropped afterwards whatever happened, even when the
    test's set-up failed half way."""
    name = fresh_database_name()
    try:
        yield name
    finally:
        mongo_admin.drop_database(name)


@pytest.fixture(scope="session")
def mongo_capabilities(mongo_url) -> Capabilities:
    assert REAL_WIRE.capabilities is not None
    return REAL_WIRE.capabilities


def needs_capability(capabilities: Capabilities, name: str) -> None:
    """Skip, with what the server answered, a case the probe found the server cannot run."""
    reason = getattr(capabilities, name)
    if reason is not None:
        pytest.skip(reason)


def _real_leg(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    leg = callspec.params.get("leg") if callspec is not None else None
    if leg in REAL_MONGO_DRIVERS:
        return leg
    return "mongo" if "mongo_url" in getattr(item, "fixturenames", ()) else None


def probed_without_text_search(item) -> str | None:
    """The probe's reason when `item` runs on a real-Mongo leg whose server cannot run $text."""
    if _real_leg(item) is None or REAL_WIRE.capabilities is None:
        return None
    return REAL_WIRE.capabilities.text_search


def count_real_wire_outcome(item, report) -> None:
    leg = _real_leg(item)
    if leg is None:
        return
    driver = REAL_MONGO_DRIVERS[leg]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "error" if report.when == "setup" and report.failed else report.outcome
        REAL_WIRE.outcomes[driver][outcome] += 1
    elif report.when == "teardown" and report.failed:
        REAL_WIRE.outcomes[driver]["error"] += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """The real-wire legs' server and counts per driver (executed = passed + failed)."""
    if not REAL_WIRE.outcomes:
        return
    write = terminalreporter.write_line
    terminalreporter.section("real-wire MongoDB legs")
    started = f", started in {REAL_WIRE.started_in_s:.2f}s" if REAL_WIRE.started_in_s else ""
    write(f"server: {REAL_WIRE.server or 'none'}{started}")
    for driver, counts in sorted(REAL_WIRE.outcomes.items()):
        executed = counts["passed"] + counts["failed"]
        write(
            f"{driver}: {executed} executed ({counts['passed']} passed, {counts['failed']} "
            f"failed), {counts['skipped']} skipped, {counts['error']} errors"
        )
    caps = REAL_WIRE.capabilities
    if caps is not None:
        for name, reason in vars(caps).items():
            write(f"capability {name}: {'yes' if reason is None else 'no: ' + reason}")
