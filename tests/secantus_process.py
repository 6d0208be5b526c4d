"""SecantusDB in a process of its own, to kill with SIGKILL: `python -m tests.secantus_process
STORAGE_DIR [PORT]` prints the port it listens on, then serves until killed."""

import sys
import threading

from tests.mongo_server import start_secantus


def main() -> None:
    storage, port = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = start_secantus(storage, port)
    print(server.address[1], flush=True)
    threading.Event().wait()  # until killed


if __name__ == "__main__":
    main()
