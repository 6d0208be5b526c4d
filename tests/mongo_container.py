"""A disposable single-node MongoDB replica set (so transactions work) via testcontainers."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

MONGO_IMAGE = os.environ.get("MONGODB_IMAGE", "mongo:8.0")
REPLICA_SET = "rs0"


def init_replica_set_js(host: str) -> str:
    """mongosh script: initiate the replica set unless it is, exit 0 only once it has a primary.

    Idempotent, so it serves as a readiness probe (here) and as a healthcheck (compose).
    """
    return (
        "try { rs.status() } catch (e) { "
        f"rs.initiate({{_id: '{REPLICA_SET}', members: [{{_id: 0, host: '{host}'}}]}}) }}; "
        "quit(db.hello().isWritablePrimary ? 0 : 1)"
    )


def docker_problem() -> str | None:
    """None when testcontainers is installed and a Docker engine answers, else why not."""
    try:
        import docker
        import testcontainers  # noqa: F401
    except ImportError as exc:
        return f"testcontainers is not installed ({exc}; `make install` installs the docker extra)"
    try:
        docker.from_env(timeout=5).ping()
    except Exception as exc:
        return f"no Docker engine answers for testcontainers ({type(exc).__name__}: {exc})"
    return None


@contextmanager
def replica_set() -> Iterator[str]:
    """Start mongo:8.0 with --replSet, wait for a primary, yield its URL, remove it afterwards."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import ExecWaitStrategy

    # The member is registered as localhost:27017 (its address inside the container); the
    # tests reach it through the mapped port with directConnection, so that name never
    # has to resolve on the host.
    ready = ExecWaitStrategy(
        ["mongosh", "--quiet", "--eval", init_replica_set_js("localhost:27017")]
    )
    container = (
        DockerContainer(MONGO_IMAGE)
        # test commands on, for the fault tests' failCommand failpoints (a disposable server)
        .with_command(
            ["--replSet", REPLICA_SET, "--bind_ip_all", "--setParameter", "enableTestCommands=1"]
        )
        .with_exposed_ports(27017)
        .waiting_for(ready.with_startup_timeout(120).with_poll_interval(0.5))
    )
    with container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(27017)
        yield f"mongodb://{host}:{port}/?directConnection=true"
