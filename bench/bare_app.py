"""The yardstick: a bare FastAPI route returning a constant pre-encoded JSON body."""

from fastapi import FastAPI, Response

app = FastAPI()
BODY = b'{"_id":"0123456789abcdef01234567","email":"user@example.com","username":"user"}'


@app.get("/constant")
async def constant() -> Response:
    return Response(BODY, media_type="application/json")


@app.get("/health/ready")
async def ready() -> Response:
    return Response(b'{"status":"ready"}', media_type="application/json")
