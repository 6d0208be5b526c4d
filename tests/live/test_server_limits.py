"""The served app's limits, over raw sockets: a client sending its headers slowly is dropped,
oversized headers are refused, and a 300 MiB body is refused with 413 while the server's
memory barely moves."""

import socket
import time

from entrypoints.settings import Settings
from tests.live.server import live_server

MIB = 1024 * 1024


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_default_header_deadline_is_ten_seconds():
    assert Settings(_env_file=None).http_header_timeout_s == 10.0


def test_a_client_sending_its_headers_slowly_is_dropped(tmp_path):
    with live_server(tmp_path, HTTP_HEADER_TIMEOUT_S="1.5") as server:
        idle = connect(server.port)  # connects and sends nothing at all
        slow = connect(server.port)
        started = time.monotonic()
        slow.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\n")
        dropped = None
        for n in range(20):  # a header line every half second: never finishing
            try:
                slow.sendall(f"X-Slow-{n}: a\r\n".encode())
            except OSError:
                dropped = time.monotonic() - started
                break
            slow.settimeout(0.5)
            try:
                if slow.recv(1) == b"":
                    dropped = time.monotonic() - started
                    break
            except TimeoutError:
                pass
        assert dropped is not None and dropped < 4, dropped
        idle.settimeout(5)
        assert idle.recv(1) == b""  # closed by the server too
        # a normal request on a fresh connection is served
        fresh = connect(server.port)
        fresh.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert read_all(fresh).startswith(b"HTTP/1.1 200")


def test_oversized_headers_are_431(tmp_path):
    with live_server(tmp_path, HTTP_MAX_HEADER_BYTES="4096") as server:
        sock = connect(server.port)
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 8192)
        answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 431")
        assert b'"code":"headers_too_large"' in answer


def _send_body(port: int, head: bytes, total: int, chunked: bool) -> bytes:
    """Send `head` and then `total` bytes of body; the server's answer."""
    sock = connect(port)
    sock.sendall(head)
    block = b" " * MIB
    sent = 0
    try:
        while sent < total:
            if chunked:
                sock.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
            else:
                sock.sendall(block)
            sent += len(block)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed early: the point
    sock.settimeout(30)
    try:
        return read_all(sock)
    except OSError:
        return b""


def test_a_300_mib_body_is_refused_with_413_and_server_memory_stays_flat(tmp_path):
    total = 300 * MIB
    with live_server(tmp_path) as server:
        before = server.rss_kib()
        declared = _send_body(
            server.port,
            b"POST /api/products/bulk HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % total,
            total,
            chunked=False,
        )
        streamed = _send_body(
            server.port,
            b"POST /api/users/ HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            total,
            chunked=True,
        )
        after = server.rss_kib()
        print(f"\n[body limit] RSS {before} KiB -> {after} KiB for 2 x 300 MiB refused")
    assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]
    assert b'"code":"content_too_large"' in declared
    assert after - before < 20 * 1024
