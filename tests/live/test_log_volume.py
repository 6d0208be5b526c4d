"""Log volume stays sane: 3,000 requests (successes and errors alike) write about one access
line each, not tracebacks (the issue saw 23 MiB for 3,000 requests)."""

import httpx

from tests.live.server import live_server


def test_3000_requests_write_well_under_a_mebibyte_of_logs(tmp_path):
    with live_server(tmp_path, LOG_LEVEL="INFO") as server:
        before = server.log.stat().st_size
        statuses: dict[int, int] = {}
        with httpx.Client(base_url=server.url, headers={"host": "localhost"}) as client:
            for n in range(750):
                for response in (
                    client.get("/health/live"),
                    client.get(f"/api/products/{n:024x}"),  # 404
                    client.get("/api/users/?limit=0"),  # 422
                    client.put("/health/live"),  # 405
                ):
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        written = server.log.stat().st_size - before
    assert statuses == {200: 750, 404: 750, 422: 750, 405: 750}
    print(f"\n[log volume] {written} bytes for 3,000 requests")
    assert written < 1024 * 1024
    assert "Traceback" not in server.log.read_text()
