"""A disposable single-node MongoDB replica set (so transactions work) via testcontainers."""

import atexit
import time

MONGO_IMAGE = "mongo:8.0"


def start_replica_set() -> str:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = (
        DockerContainer(MONGO_IMAGE)
        .with_command("--replSet rs0 --bind_ip_all")
        .with_exposed_ports(27017)
    )
    container.start()
    atexit.register(container.stop)
    wait_for_logs(container, "Waiting for connections", timeout=60)
    container.exec(
        [
            "mongosh",
            "--quiet",
            "--eval",
            "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'localhost:27017'}]})",
        ]
    )
    host, port = container.get_container_host_ip(), container.get_exposed_port(27017)
    url = f"mongodb://{host}:{port}/?directConnection=true"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        code, out = container.exec(["mongosh", "--quiet", "--eval", "rs.status().myState"])
        if code == 0 and out.strip() == b"1":
            return url
        time.sleep(0.5)
    raise RuntimeError("the MongoDB replica set did not elect a primary in 60 s")
