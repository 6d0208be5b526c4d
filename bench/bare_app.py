"""Yardsticks: a bare FastAPI route with a constant body, and a parse-only order route."""

from fastapi import FastAPI, Response

from entrypoints.http.schemas.orders import OrderCreate

app = FastAPI()
BODY = b'{"_id":"0123456789abcdef01234567","email":"user@example.com","username":"user"}'


@app.get("/constant")
async def constant() -> Response:
    return Response(BODY, media_type="application/json")


@app.get("/health/ready")
async def ready() -> Response:
    return Response(b'{"status":"ready"}', media_type="application/json")


@app.post("/api/orders/", status_code=201)
async def parse_only(body: OrderCreate) -> Response:
    """Validates the same body as the real route, stores nothing."""
    return Response(b'{"status":"pending"}', status_code=201, media_type="application/json")
